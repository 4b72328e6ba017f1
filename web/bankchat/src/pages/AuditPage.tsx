import { usePaginatedQuery } from "convex/react";
import { useState } from "react";

import { api } from "../convex/_generated/api";
import { formatTime } from "../lib/format";
import { Marked } from "../lib/Marked";
import type { AuditFilter, Me } from "../types";
import { AuditFilters } from "./AuditFilters";
import { StatusBadge } from "./StatusBadge";

/** The audit log (auditors): every query attempt, allowed or refused, filtered and live. */
export default function AuditPage({ me }: { me: Me }) {
  if (!me.features.includes("audit")) {
    return (
      <section className="page">
        <h1>Audit log</h1>
        <p className="alert alert-warning">Your role does not include the audit log.</p>
      </section>
    );
  }
  return <AuditLog />;
}

function AuditLog() {
  const [filter, setFilter] = useState<AuditFilter>({});
  const { results, status, loadMore } = usePaginatedQuery(api.audit.pageAuditLogs, filter, {
    initialNumItems: 25,
  });
  const emails = [...new Set(results.map((e) => e.userEmail))].sort();
  return (
    <section className="page" aria-labelledby="audit-title">
      <h1 id="audit-title">Audit log</h1>
      <AuditFilters emails={emails} onApply={setFilter} />
      {status === "LoadingFirstPage" ? (
        <p className="muted">Loading…</p>
      ) : results.length === 0 && status === "Exhausted" ? (
        <p className="muted">No entries match.</p>
      ) : (
        <div className="table-scroll">
          <table className="data-table" aria-label="Audit entries">
            <thead>
              <tr>
                <th scope="col">When</th>
                <th scope="col">User</th>
                <th scope="col">Action</th>
                <th scope="col">Question or SQL</th>
                <th scope="col">Tables</th>
                <th scope="col">Outcome</th>
                <th scope="col">From</th>
              </tr>
            </thead>
            <tbody>
              {results.map((entry) => (
                <tr key={entry._id}>
                  <td className="nowrap">{formatTime(entry.timestamp)}</td>
                  <td>{entry.userEmail}</td>
                  <td>{entry.action}</td>
                  <td className="wrap">
                    {entry.question && (
                      <div>
                        <Marked value={entry.found?.question ?? entry.question} />
                      </div>
                    )}
                    {entry.sql && (
                      <code className="sql-inline">
                        <Marked value={entry.found?.sql ?? entry.sql} />
                      </code>
                    )}
                  </td>
                  <td>{entry.tables.join(", ")}</td>
                  <td className="wrap">
                    <StatusBadge status={entry.outcome ?? (entry.allowed ? "allowed" : "denied")} />
                    {entry.reason && (
                      <div className="reason">
                        <Marked value={entry.found?.reason ?? entry.reason} />
                      </div>
                    )}
                  </td>
                  <td className="wrap">
                    {entry.ipAddress ?? "—"}
                    {entry.userAgent && <div className="muted small-text">{entry.userAgent}</div>}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {status === "CanLoadMore" && (
        <button type="button" onClick={() => loadMore(25)}>
          Load more
        </button>
      )}
      {status === "LoadingMore" && <p className="muted">Loading more…</p>}
    </section>
  );
}
