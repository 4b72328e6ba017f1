import { useQuery } from "convex/react";
import { api } from "../convex/_generated/api";
import { DEVICES_PATH, Link } from "../router";
import { NewSessionForm } from "./NewSessionForm";
import { PageHeading } from "./PageHeading";
import { SearchPanel } from "./SearchPanel";
import { SessionRow } from "./SessionRow";

/**
 * The caller's sessions and those shared with them, newest first, kept live: new sessions, new
 * shares and OCR progress appear as they happen.
 */
export function SessionsPage() {
  const sessions = useQuery(api.sessions.listSessions, {});
  return (
    <>
      <PageHeading>Sessions</PageHeading>
      <SearchPanel />
      <NewSessionForm />
      <section aria-labelledby="sessions-heading" aria-busy={sessions === undefined}>
        <h2 id="sessions-heading" className="visually-hidden">
          Your sessions and those shared with you
        </h2>
        {sessions === undefined ? (
          <p className="hint">Loading sessions…</p>
        ) : sessions.length === 0 ? (
          <p className="empty">
            No sessions yet. Run the capture agent on a PC (see{" "}
            <Link to={DEVICES_PATH}>Devices</Link>), or start one above.
          </p>
        ) : (
          <ul className="session-list">
            {sessions.map((session) => (
              <SessionRow key={session._id} session={session} />
            ))}
          </ul>
        )}
      </section>
    </>
  );
}
