import { useQuery } from "convex/react";
import { api } from "../api.js";
import { NewSessionForm } from "./NewSessionForm.jsx";
import { SessionRow } from "./SessionRow.jsx";
import { PageHeading } from "./PageHeading.jsx";

/** Every session, newest first, kept live: new sessions and OCR progress appear as they happen. */
export function SessionsPage() {
  const sessions = useQuery(api.sessions.listSessions, {});
  return (
    <>
      <PageHeading>Sessions</PageHeading>
      <NewSessionForm />
      <section aria-labelledby="sessions-heading" aria-busy={sessions === undefined}>
        <h2 id="sessions-heading" className="visually-hidden">
          All sessions
        </h2>
        {sessions === undefined ? (
          <p className="hint">Loading sessions…</p>
        ) : sessions.length === 0 ? (
          <p className="empty">
            No sessions yet. Run the capture agent on a PC, or start one above.
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
