import { useMemo, useState } from "react";

import { downloadText, labelledCsv } from "../lib/csv";
import { columnTitle, formatValue } from "../lib/format";
import { sortRows, type SortOrder } from "../lib/sortRows";
import type { Cell, ColumnInfo } from "../types";

const PAGE_SIZE = 20;

interface Props {
  columns: string[];
  rows: Cell[][];
  fileName: string;
  info?: ColumnInfo[];
}

/** Result rows: sort by a column (its header is a button), page through, download as CSV. */
export function ResultTable({ columns, rows, fileName, info }: Props) {
  const [order, setOrder] = useState<SortOrder>(null);
  const [rawCodes, setRawCodes] = useState(false);
  const known = info && info.length === columns.length ? info : undefined;
  const hasCodes = known?.some((c) => c.kind === "code") ?? false;
  // why: a column shows its numbers with the same decimals throughout, so they line up
  const fractions = useMemo(
    () =>
      columns.map((_, i) =>
        rows.some((row) => typeof row[i] === "number" && !Number.isInteger(row[i])),
      ),
    [columns, rows],
  );
  const [page, setPage] = useState(0);
  const sorted = useMemo(() => sortRows(rows, order), [rows, order]);
  const pages = Math.max(1, Math.ceil(sorted.length / PAGE_SIZE));
  const current = Math.min(page, pages - 1);
  const first = current * PAGE_SIZE;
  const shown = sorted.slice(first, first + PAGE_SIZE);

  function sortBy(column: number) {
    setOrder(
      order?.column === column
        ? { column, descending: !order.descending }
        : { column, descending: false },
    );
    setPage(0);
  }

  return (
    <div className="results">
      <div className="table-scroll">
        <table className="result-table">
          <thead>
            <tr>
              {columns.map((name, i) => {
                const sorted = order?.column === i;
                const direction = sorted ? (order.descending ? "descending" : "ascending") : "none";
                return (
                  <th
                    key={`${name}-${i}`}
                    scope="col"
                    aria-sort={direction}
                    title={known?.[i].source ?? name}
                  >
                    <button type="button" className="sort" onClick={() => sortBy(i)}>
                      {columnTitle(name, known?.[i])}
                      <span aria-hidden="true" className="sort-mark">
                        {sorted ? (order.descending ? " ▼" : " ▲") : " ↕"}
                      </span>
                    </button>
                  </th>
                );
              })}
            </tr>
          </thead>
          <tbody>
            {shown.map((row, r) => (
              <tr key={first + r}>
                {row.map((value, c) => (
                  <td
                    key={c}
                    className={
                      typeof value === "number" && known?.[c].kind !== "code" ? "num" : undefined
                    }
                    title={known?.[c].kind === "code" && value !== null ? String(value) : undefined}
                  >
                    {formatValue(value, known?.[c], fractions[c])}
                  </td>
                ))}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <div className="table-tools">
        <span className="muted" aria-live="polite">
          {sorted.length === 0
            ? "No rows"
            : `Rows ${first + 1}–${Math.min(first + PAGE_SIZE, sorted.length)} of ${sorted.length}`}
        </span>
        {pages > 1 && (
          <span className="pager">
            <button
              type="button"
              className="small"
              disabled={current === 0}
              onClick={() => setPage(current - 1)}
            >
              Previous
            </button>
            <span>
              Page {current + 1} of {pages}
            </span>
            <button
              type="button"
              className="small"
              disabled={current >= pages - 1}
              onClick={() => setPage(current + 1)}
            >
              Next
            </button>
          </span>
        )}
        {hasCodes && (
          <label className="inline-check">
            <input
              type="checkbox"
              checked={rawCodes}
              onChange={(event) => setRawCodes(event.target.checked)}
            />{" "}
            CSV with stored codes
          </label>
        )}
        <button
          type="button"
          className="small"
          onClick={() => downloadText(fileName, labelledCsv(columns, known, sorted, rawCodes))}
        >
          Download CSV
        </button>
      </div>
    </div>
  );
}
