import { ConvexError, convexToJson, jsonToConvex, type Value } from "convex/values";

import type { ValidatorJson } from "./api";

// Showing values, validators, times and errors, and reading the JSON people type.

/** A Convex value as readable text: JSON (indented by `indent`, else on one line), with int64
 *  as `12n` and bytes as `bytes(3)`. */
export function showValue(value: unknown, indent?: number): string {
  if (value === undefined) return "undefined";
  const text = JSON.stringify(
    value,
    (_key, item: unknown) => {
      if (typeof item === "bigint") return `\u0000${item.toString()}n`;
      if (item instanceof ArrayBuffer) return `\u0000bytes(${item.byteLength})`;
      return item;
    },
    indent,
  );
  // why: the markers keep these two from looking like strings ("12n" would be a string)
  return text.replace(/"\\u0000([^"]*)"/g, "$1");
}

/** A value as one short line (for table cells). */
export function showShort(value: unknown, limit = 80): string {
  const text = typeof value === "string" ? value : showValue(value, undefined);
  return text.length > limit ? `${text.slice(0, limit - 1)}…` : text;
}

/** A Convex value as editable JSON: Convex's JSON form, so int64 and bytes survive a round trip. */
export function toEditableJson(value: unknown): string {
  return JSON.stringify(convexToJson(value as Value), null, 2);
}

/** What `parseJson` returns: the value, or why the text is not JSON. */
export type Parsed = { ok: true; value: Value } | { ok: false; error: string };

/** Parse JSON a person typed (Convex's JSON: `{"$integer": ...}` makes an int64). */
export function parseJson(text: string, what: string): Parsed {
  if (!text.trim()) return { ok: false, error: `${what} is empty: write JSON` };
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    const detail = error instanceof Error ? error.message : String(error);
    return { ok: false, error: `${what} is not valid JSON: ${detail}` };
  }
  try {
    return { ok: true, value: jsonToConvex(raw as never) };
  } catch (error) {
    const detail = error instanceof Error ? error.message : String(error);
    return { ok: false, error: `${what} is not a Convex value: ${detail}` };
  }
}

/** A value from the HTTP API's JSON format, decoded (int64, bytes); as is if it is not. */
export function fromWireJson(value: unknown): unknown {
  try {
    return jsonToConvex(value as never);
  } catch {
    return value;
  }
}

/** What to tell the person about a failed call: the server's words, without the client's
 *  wrapping (`[CONVEX M(path)] ... Called by client`) or a request ID. */
export function errorText(error: unknown): string {
  if (error instanceof ConvexError) {
    const data: unknown = error.data;
    if (typeof data === "string") return data;
    if (
      data &&
      typeof data === "object" &&
      typeof (data as { message?: unknown }).message === "string"
    ) {
      return (data as { message: string }).message;
    }
    return showValue(data, undefined);
  }
  const text = error instanceof Error ? error.message : String(error);
  return text
    .replace(/^\[CONVEX [A-Z]\([^)]*\)\]\s*/, "")
    .replace(/\[Request ID: [^\]]*\]\s*/, "")
    .replace(/\s*Called by client\s*$/, "")
    .replace(/^Uncaught (\w*Error: )?/, "")
    .trim();
}

/** A validator, readably: `{ author: string, score?: number }`, `"a" | "b"`, `Id<"notes">`. */
export function showValidator(validator: ValidatorJson | null | undefined): string {
  if (!validator) return "any (not validated)";
  return validatorText(validator);
}

type Field = { fieldType: ValidatorJson; optional?: boolean };

function validatorText(v: ValidatorJson): string {
  switch (v.type) {
    case "number":
      return "number";
    case "int64":
    case "bigint":
      return "int64";
    case "id":
      return `Id<"${String(v.tableName)}">`;
    case "literal":
      return JSON.stringify(v.value);
    case "array":
      return `${wrapUnion(v.value as ValidatorJson)}[]`;
    case "object": {
      const fields = Object.entries((v.value ?? {}) as Record<string, Field>);
      if (!fields.length) return "{}";
      const parts = fields.map(
        ([name, f]) => `${name}${f.optional ? "?" : ""}: ${validatorText(f.fieldType)}`,
      );
      return `{ ${parts.join(", ")} }`;
    }
    case "record": {
      const values = v.values as Field;
      return `Record<${validatorText(v.keys as ValidatorJson)}, ${validatorText(values.fieldType)}>`;
    }
    case "union":
      return (v.value as ValidatorJson[]).map(validatorText).join(" | ");
    default:
      return v.type;
  }
}

function wrapUnion(v: ValidatorJson): string {
  const text = validatorText(v);
  return v.type === "union" ? `(${text})` : text;
}

/** A skeleton of arguments for a validator: `{"author": "", "body": ""}` (required fields). */
export function argsTemplate(validator: ValidatorJson | null): string {
  if (!validator || validator.type !== "object") return "{}";
  const fields = Object.entries((validator.value ?? {}) as Record<string, Field>);
  const template: Record<string, unknown> = {};
  for (const [name, f] of fields) {
    if (!f.optional) template[name] = example(f.fieldType);
  }
  return Object.keys(template).length ? JSON.stringify(template, null, 2) : "{}";
}

function example(v: ValidatorJson): unknown {
  switch (v.type) {
    case "string":
    case "id":
      return "";
    case "number":
      return 0;
    case "int64":
    case "bigint":
      return { $integer: "AAAAAAAAAAA=" };
    case "boolean":
      return false;
    case "null":
      return null;
    case "literal":
      return v.value;
    case "array":
      return [];
    case "object": {
      const out: Record<string, unknown> = {};
      for (const [name, f] of Object.entries((v.value ?? {}) as Record<string, Field>)) {
        if (!f.optional) out[name] = example(f.fieldType);
      }
      return out;
    }
    case "union":
      return example((v.value as ValidatorJson[])[0]);
    default:
      return null;
  }
}

/** The fields an object validator names, in order (a table's schema). */
export function validatorFields(validator: ValidatorJson | null): string[] {
  if (!validator || validator.type !== "object") return [];
  return Object.keys((validator.value ?? {}) as object);
}

const dateTime = new Intl.DateTimeFormat(undefined, {
  year: "numeric",
  month: "short",
  day: "numeric",
  hour: "2-digit",
  minute: "2-digit",
  second: "2-digit",
});
const timeOnly = new Intl.DateTimeFormat(undefined, {
  hour: "2-digit",
  minute: "2-digit",
  second: "2-digit",
});

const stampThisYear = new Intl.DateTimeFormat(undefined, {
  month: "short",
  day: "numeric",
  hour: "2-digit",
  minute: "2-digit",
  second: "2-digit",
});

/** A time for a table cell: without the year when it is this year's. */
export function showStamp(ms: number | null | undefined): string {
  if (ms === null || ms === undefined) return "—";
  const date = new Date(ms);
  return date.getFullYear() === new Date().getFullYear()
    ? stampThisYear.format(date)
    : dateTime.format(date);
}

/** A time in milliseconds since the epoch, as a local date and time. */
export function showTime(ms: number | null | undefined): string {
  if (ms === null || ms === undefined) return "—";
  return dateTime.format(new Date(ms));
}

export function showClock(ms: number): string {
  return timeOnly.format(new Date(ms));
}

/** A time relative to now: "in 5 min", "2 h ago". */
export function showRelative(ms: number | null | undefined, now = Date.now()): string {
  if (ms === null || ms === undefined) return "";
  const seconds = Math.round((ms - now) / 1000);
  const size = Math.abs(seconds);
  const amount =
    size < 60
      ? `${size} s`
      : size < 3600
        ? `${Math.round(size / 60)} min`
        : size < 86_400
          ? `${Math.round(size / 3600)} h`
          : `${Math.round(size / 86_400)} d`;
  return seconds >= 0 ? `in ${amount}` : `${amount} ago`;
}

export function showBytes(size: number): string {
  if (size < 1024) return `${size} B`;
  const units = ["KB", "MB", "GB", "TB"];
  let value = size / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value < 10 ? value.toFixed(1) : Math.round(value)} ${units[unit]}`;
}

export function showDuration(seconds: number): string {
  const s = Math.floor(seconds);
  const d = Math.floor(s / 86_400);
  const h = Math.floor((s % 86_400) / 3600);
  const m = Math.floor((s % 3600) / 60);
  const parts = d
    ? [`${d} d`, `${h} h`]
    : h
      ? [`${h} h`, `${m} min`]
      : m
        ? [`${m} min`, `${s % 60} s`]
        : [`${s} s`];
  return parts.join(" ");
}

export const number = new Intl.NumberFormat();
