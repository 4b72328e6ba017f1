import { useQuery } from "convex/react";
import { api } from "../api.js";
import { Link } from "../router.js";
import { DocumentationView } from "./DocumentationView.jsx";
import { ScreenshotList } from "./ScreenshotList.jsx";
import { SessionHeader } from "./SessionHeader.jsx";
import { PageHeading } from "./PageHeading.jsx";

/**
 * One session, kept live: its screenshots appear as they are uploaded and read, and its
 * documentation as it is written. While capturing, screenshots come first; once completed,
 * the documentation does.
 */
export function SessionPage({ sessionId }) {
  const session = useQuery(api.sessions.getSession, { sessionId });
  const shots = useQuery(api.screenshots.listBySession, { sessionId });

  if (session === undefined) return <p className="hint">Loading the session…</p>;
  if (session === null) {
    return (
      <>
        <PageHeading>Session not found</PageHeading>
        <p>
          There is no session “{sessionId}”; it may have been deleted.{" "}
          <Link to="/">All sessions</Link>
        </p>
      </>
    );
  }

  const screenshots = <ScreenshotList session={session} shots={shots} />;
  const documentation = <DocumentationView session={session} shots={shots ?? []} />;
  return (
    <article className="session-page">
      <SessionHeader session={session} />
      {session.status === "active" ? screenshots : documentation}
      {session.status === "active" ? documentation : screenshots}
    </article>
  );
}
