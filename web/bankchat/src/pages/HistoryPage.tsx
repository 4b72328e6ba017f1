import { useAction, usePaginatedQuery } from "convex/react";
import { useState } from "react";

import { useOpenResult } from "../chat/useOpenResult";
import { api } from "../convex/_generated/api";
import { errorMessage } from "../lib/errors";
import { formatTime } from "../lib/format";
import type { HistoryEntry } from "../types";
import { StatusBadge } from "./StatusBadge";

/** Every query the user ran, newest first, a page at a time (live), each one re-runnable. */
export default function HistoryPage() {
  const { results, status, loadMore } = usePaginatedQuery(
    api.history.pageHistory,
    {},
    { initialNumItems: 20 },
  );
  const [error, setError] = useState<string | null>(null);
  return (
    <section className="page" aria-labelledby="history-title">
      <h1 id="history-title">Query history</h1>
      {error && (
        <p className="alert alert-error" role="alert">
          {error}
        </p>
      )}
      {status === "LoadingFirstPage" ? (
        <p className="muted">Loading…</p>
      ) : results.length === 0 ? (
        <p className="muted">Nothing yet: the questions you ask and the SQL you run appear here.</p>
      ) : (
        <div className="table-scroll">
          <table className="data-table">
            <thead>
              <tr>
                <th scope="col">When</th>
                <th scope="col">Question or SQL</th>
                <th scope="col">Outcome</th>
                <th scope="col">Rows</th>
                <th scope="col">
                  <span className="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {results.map((entry) => (
                <HistoryRow key={entry._id} entry={entry} onError={setError} />
              ))}
            </tbody>
          </table>
        </div>
      )}
      {status === "CanLoadMore" && (
        <button type="button" onClick={() => loadMore(20)}>
          Load more
        </button>
      )}
      {status === "LoadingMore" && <p className="muted">Loading more…</p>}
    </section>
  );
}

function HistoryRow({
  entry,
  onError,
}: {
  entry: HistoryEntry;
  onError: (error: string | null) => void;
}) {
  const rerun = useAction(api.history.rerun);
  const open = useOpenResult();
  const [busy, setBusy] = useState(false);

  async function runAgain() {
    setBusy(true);
    onError(null);
    try {
      open(await rerun({ historyId: entry._id }));
    } catch (failure) {
      onError(errorMessage(failure));
      setBusy(false);
    }
  }

  return (
    <tr>
      <td className="nowrap">{formatTime(entry.timestamp)}</td>
      <td className="wrap">
        {entry.question && <div>{entry.question}</div>}
        {entry.sql && <code className="sql-inline">{entry.sql}</code>}
      </td>
      <td>
        <StatusBadge status={entry.status} />
      </td>
      <td className="num">{entry.resultCount ?? ""}</td>
      <td>
        <button type="button" className="small" disabled={busy} onClick={() => void runAgain()}>
          {busy ? "Running…" : "Run again"}
        </button>
      </td>
    </tr>
  );
}
