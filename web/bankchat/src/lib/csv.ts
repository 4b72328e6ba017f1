import type { Cell, ColumnInfo } from "../types";

function field(value: Cell): string {
  const text = value === null || value === undefined ? "" : String(value);
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** RFC 4180 CSV: a header line, then one line per row. */
export function toCsv(columns: string[], rows: Cell[][]): string {
  return [columns, ...rows].map((row) => row.map(field).join(",")).join("\r\n") + "\r\n";
}

/** The table as the answer shows it: the bank's titles (with units) as headers, coded values
 * by their meaning, numbers as plain numbers. With `raw`, each coded column is followed by
 * one holding the stored code. */
export function labelledCsv(
  columns: string[],
  info: ColumnInfo[] | undefined,
  rows: Cell[][],
  raw = false,
): string {
  if (!info || info.length !== columns.length) return toCsv(columns, rows);
  const header: string[] = [];
  info.forEach((c) => {
    header.push(c.unit ? `${c.label} (${c.unit})` : c.label);
    if (raw && c.kind === "code") header.push(`${c.label} (code)`);
  });
  const body = rows.map((row) => {
    const out: Cell[] = [];
    row.forEach((value, i) => {
      const c = info[i];
      const meaning =
        c.kind === "code" && value !== null && value !== undefined
          ? c.values?.[String(value)]
          : undefined;
      out.push(meaning ?? value);
      if (raw && c.kind === "code") out.push(value);
    });
    return out;
  });
  return toCsv(header, body);
}

/** Offer CSV text to the user as a file download. */
export function downloadText(fileName: string, text: string): void {
  const blob = new Blob([text], { type: "text/csv;charset=utf-8" });
  const url = URL.createObjectURL(blob);
  const link = document.createElement("a");
  link.href = url;
  link.download = fileName;
  document.body.appendChild(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

/** Offer `columns` and `rows` to the user as a CSV file download. */
export function downloadCsv(fileName: string, columns: string[], rows: Cell[][]): void {
  downloadText(fileName, toCsv(columns, rows));
}
