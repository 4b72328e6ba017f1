import { DocumentationView } from "./DocumentationView.jsx";
import { ScreenshotList } from "./ScreenshotList.jsx";

/**
 * A session's page below its ``header``: its screenshots and documentation, live. While
 * capturing, screenshots come first; once completed, the documentation does. ``exports``: the
 * downloads offered once the documentation is ready.
 */
export function SessionView({ session, shots, doc, header, exports }) {
  const screenshots = <ScreenshotList session={session} shots={shots} />;
  const documentation = (
    <DocumentationView session={session} shots={shots ?? []} doc={doc} exports={exports} />
  );
  return (
    <article className="session-page">
      {header}
      {session.status === "active" ? screenshots : documentation}
      {session.status === "active" ? documentation : screenshots}
    </article>
  );
}
