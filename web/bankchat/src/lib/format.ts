import type { Cell, ColumnInfo } from "../types";

const dateTime = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" });

/** A millisecond timestamp as a short local date and time. */
export function formatTime(ms: number): string {
  return dateTime.format(new Date(ms));
}

/** A result cell as text (null shows as an empty cell). */
export function formatCell(value: Cell): string {
  if (value === null || value === undefined) return "";
  if (typeof value === "number") return Number.isInteger(value) ? String(value) : value.toFixed(2);
  return String(value);
}

export function plural(n: number, word: string): string {
  return `${n.toLocaleString()} ${word}${n === 1 ? "" : "s"}`;
}

const day = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeZone: "UTC" });

function grouped(value: number, decimals: number): string {
  return value.toLocaleString(undefined, {
    minimumFractionDigits: decimals,
    maximumFractionDigits: decimals,
  });
}

/** A result cell as the bank speaks of it: amounts with thousands separators and their
 * currency, codes by their meaning, dates as dates; ids and text as they are. */
export function formatValue(value: Cell, info?: ColumnInfo, fractions?: boolean): string {
  if (value === null || value === undefined) return "";
  if (!info) return formatCell(value);
  const meaning = info.kind === "code" ? info.values?.[String(value)] : undefined;
  if (meaning) return meaning.charAt(0).toUpperCase() + meaning.slice(1);
  if (typeof value === "number") {
    if (info.kind === "money") {
      const text = grouped(value, (fractions ?? !Number.isInteger(value)) ? 2 : 0);
      return info.unit ? `${text} ${info.unit}` : text;
    }
    const decimals = (fractions ?? !Number.isInteger(value)) ? 2 : 0;
    if (info.kind === "percent") return `${grouped(value, decimals)} %`;
    if (info.kind === "count" || info.kind === "number") return grouped(value, decimals);
    return String(value);
  }
  if (info.kind === "date" && typeof value === "string" && /^\d{4}-\d{2}-\d{2}$/.test(value)) {
    return day.format(new Date(`${value}T00:00:00Z`));
  }
  return String(value);
}

/** A column's title with its unit ("Loan amount (CZK)"), or its SQL name when unknown. */
export function columnTitle(name: string, info?: ColumnInfo): string {
  if (!info) return name;
  return info.unit ? `${info.label} (${info.unit})` : info.label;
}
