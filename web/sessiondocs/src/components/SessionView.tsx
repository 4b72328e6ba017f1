import type { ReactNode } from "react";
import type { Documentation, Session, Shot } from "../types";
import { DocumentationView } from "./DocumentationView";
import { ScreenshotList } from "./ScreenshotList";

interface SessionViewProps {
  session: Session;
  /** undefined while loading */
  shots: Shot[] | undefined;
  /** undefined while loading, null before it is first written */
  doc: Documentation | null | undefined;
  header: ReactNode;
  exports: ReactNode;
}

/**
 * A session's page below its ``header``: its screenshots and documentation, live. While
 * capturing, screenshots come first; once completed, the documentation does. ``exports``: the
 * downloads offered once the documentation is ready.
 */
export function SessionView({ session, shots, doc, header, exports }: SessionViewProps) {
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
