import { useMutation } from "convex/react";
import type { ReactNode } from "react";
import { canEdit, sharedLabel } from "../access";
import { api } from "../convex/_generated/api";
import { formatDateTime, isoTime, sessionTitle } from "../format";
import { Link, navigate } from "../router";
import type { Session } from "../types";
import { useRun } from "../useRun";
import { Badge } from "./Badge";
import { Counts } from "./Counts";
import { ErrorNote } from "./ErrorNote";
import { PageHeading } from "./PageHeading";
import { SessionActions } from "./SessionActions";

interface SessionHeaderProps {
  session: Session;
  /** more buttons (Share) */
  actions?: ReactNode;
  /** seen through a share link, without an account */
  shared?: boolean;
}

/**
 * The session's title, where and when it was captured, its progress, and what the caller may do
 * with it (plus ``actions``). ``shared``: seen through a share link, without an account.
 */
export function SessionHeader({ session, actions = null, shared = false }: SessionHeaderProps) {
  const label = shared ? "Shared by link, read-only" : sharedLabel(session);
  return (
    <header className="session-header panel">
      {!shared && (
        <p className="back">
          <Link to="/">← All sessions</Link>
        </p>
      )}
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
        {label && <Badge state="shared">{label}</Badge>}
      </p>
      <Counts counts={session.counts} />
      {!shared && (canEdit(session) || actions) && (
        <div className="actions">
          {session.status === "active" && canEdit(session) && (
            <CompleteButton sessionId={session.sessionId} />
          )}
          {actions}
          <SessionActions session={session} onDeleted={() => navigate("/")} />
        </div>
      )}
    </header>
  );
}

function CompleteButton({ sessionId }: { sessionId: string }) {
  const complete = useRun(useMutation(api.sessions.completeSession));
  return (
    <>
      <button
        type="button"
        className="primary"
        disabled={complete.busy}
        onClick={() => complete.run({ sessionId })}
      >
        Complete session
      </button>
      <ErrorNote error={complete.error} />
    </>
  );
}
