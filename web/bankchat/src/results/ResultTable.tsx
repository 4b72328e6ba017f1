import { useMemo, useState } from "react";

import type { Cell } from "../api";
import { downloadCsv } from "../lib/csv";
import { formatCell } from "../lib/format";
import { sortRows, type SortOrder } from "../lib/sortRows";

const PAGE_SIZE = 20;

interface Props {
  columns: string[];
  rows: Cell[][];
  fileName: string;
}

/** Result rows: sort by a column (its header is a button), page through, download as CSV. */
export function ResultTable({ columns, rows, fileName }: Props) {
  const [order, setOrder] = useState<SortOrder>(null);
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
                  <th key={`${name}-${i}`} scope="col" aria-sort={direction}>
                    <button type="button" className="sort" onClick={() => sortBy(i)}>
                      {name}
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
                  <td key={c} className={typeof value === "number" ? "num" : undefined}>
                    {formatCell(value)}
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
        <button
          type="button"
          className="small"
          onClick={() => downloadCsv(fileName, columns, sorted)}
        >
          Download CSV
        </button>
      </div>
    </div>
  );
}
