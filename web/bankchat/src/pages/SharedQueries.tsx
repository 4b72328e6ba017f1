import { useAction, useQuery } from "convex/react";
import { useState } from "react";

import { useOpenResult } from "../chat/useOpenResult";
import { api } from "../convex/_generated/api";
import { errorMessage } from "../lib/errors";
import { formatTime } from "../lib/format";
import type { Id, SharedQuery } from "../types";

/** The queries shared with a team, live; each runs as the reader, through their own role. */
export function SharedQueries({ teamId }: { teamId: Id<"teams"> }) {
  const shared = useQuery(api.teams.getSharedQueries, { teamId });
  return (
    <>
      <h3>Shared queries</h3>
      {shared === undefined ? (
        <p className="muted">Loading…</p>
      ) : shared.length === 0 ? (
        <p className="muted">Nothing shared yet: use “Share with a team” under an answer.</p>
      ) : (
        <ul className="plain-list shared">
          {shared.map((item) => (
            <SharedItem key={item._id} item={item} />
          ))}
        </ul>
      )}
    </>
  );
}

function SharedItem({ item }: { item: SharedQuery }) {
  const runSql = useAction(api.chat.runSql);
  const open = useOpenResult();
  const [error, setError] = useState<string | null>(null);
  async function run() {
    try {
      open(await runSql({ sql: item.sql }));
    } catch (failure) {
      setError(errorMessage(failure));
    }
  }
  return (
    <li>
      <strong>{item.name}</strong> <span className="muted">{formatTime(item.createdAt)}</span>
      <code className="sql-inline">{item.sql}</code>
      <button type="button" className="small" onClick={() => void run()}>
        Run
      </button>
      {error && (
        <p className="alert alert-error" role="alert">
          {error}
        </p>
      )}
    </li>
  );
}
