import type { Cell } from "../types";

export type SortOrder = { column: number; descending: boolean } | null;

function compare(a: Cell, b: Cell): number {
  if (a === b) return 0;
  if (a === null || a === undefined) return 1; // empty cells last, whatever the direction
  if (b === null || b === undefined) return -1;
  if (typeof a === "number" && typeof b === "number") return a - b;
  return String(a).localeCompare(String(b), undefined, { numeric: true });
}

/** The rows in the given order (a stable sort; the input is left as it is). */
export function sortRows(rows: Cell[][], order: SortOrder): Cell[][] {
  if (order === null) return rows;
  const { column, descending } = order;
  return rows
    .map((row, index) => ({ row, index }))
    .sort((x, y) => {
      const a = x.row[column];
      const b = y.row[column];
      const empty = a === null || b === null;
      const c = compare(a, b);
      return (descending && !empty ? -c : c) || x.index - y.index;
    })
    .map(({ row }) => row);
}
