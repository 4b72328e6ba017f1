import type { Cell } from "../api";

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
