import { useMutation } from "convex/react";
import { api } from "../api.js";
import { formatDateTime, isoTime, sessionTitle } from "../format.js";
import { Link, navigate } from "../router.js";
import { useRun } from "../useRun.js";
import { Badge } from "./Badge.jsx";
import { Counts } from "./Counts.jsx";
import { ErrorNote } from "./ErrorNote.jsx";
import { SessionActions } from "./SessionActions.jsx";
import { PageHeading } from "./PageHeading.jsx";

/** The session's title, where and when it was captured, its progress and its actions. */
export function SessionHeader({ session }) {
  const complete = useRun(useMutation(api.sessions.completeSession));
  return (
    <header className="session-header panel">
      <p className="back">
        <Link to="/">← All sessions</Link>
      </p>
      <PageHeading>{sessionTitle(session)}</PageHeading>
      <p className="meta">
        <span>
          <span className="label">PC</span> {session.pcName}
        </span>
        <span>
          <span className="label">Started</span>{" "}
          <time dateTime={isoTime(session.startTime)}>{formatDateTime(session.startTime)}</time>
        </span>
        {session.endTime !== undefined && (
          <span>
            <span className="label">Completed</span>{" "}
            <time dateTime={isoTime(session.endTime)}>{formatDateTime(session.endTime)}</time>
          </span>
        )}
        <Badge state={session.status} />
        {session.redact && <Badge state="redact">Redaction on</Badge>}
      </p>
      <Counts counts={session.counts} />
      <div className="actions">
        {session.status === "active" && (
          <button
            type="button"
            className="primary"
            disabled={complete.busy}
            onClick={() => complete.run({ sessionId: session.sessionId })}
          >
            Complete session
          </button>
        )}
        <SessionActions session={session} onDeleted={() => navigate("/")} />
      </div>
      <ErrorNote error={complete.error} />
    </header>
  );
}
