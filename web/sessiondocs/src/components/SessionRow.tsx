import { sharedLabel } from "../access";
import { formatDateTime, isoTime, sessionTitle } from "../format";
import { Link, sessionPath } from "../router";
import type { Session } from "../types";
import { Badge } from "./Badge";
import { Counts } from "./Counts";
import { DocState } from "./DocState";
import { SessionActions } from "./SessionActions";

/**
 * One session in the list: what, where and when, whether it was shared with the caller, its
 * progress, and Rename / Delete where the caller may.
 */
export function SessionRow({ session }: { session: Session }) {
  return (
    <li className="session-row panel" data-session-id={session.sessionId}>
      <div className="session-summary">
        <h3 className="session-title">
          <Link to={sessionPath(session.sessionId)}>{sessionTitle(session)}</Link>
        </h3>
        <p className="meta">
          <span>
            <span className="label">PC</span> {session.pcName}
          </span>
          <span>
            <span className="label">Started</span>{" "}
            <time dateTime={isoTime(session.startTime)}>{formatDateTime(session.startTime)}</time>
          </span>
          <Badge state={session.status} />
          <DocState status={session.docStatus} />
          {sharedLabel(session) && <Badge state="shared">{sharedLabel(session)}</Badge>}
        </p>
        <Counts counts={session.counts} />
      </div>
      <SessionActions session={session} />
    </li>
  );
}
