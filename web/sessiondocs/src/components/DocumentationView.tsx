import { useMutation } from "convex/react";
import type { ReactNode } from "react";
import { canEdit } from "../access";
import { api } from "../convex/_generated/api";
import { formatDateTime, plural } from "../format";
import type { Documentation, Session, Shot } from "../types";
import { useRun } from "../useRun";
import { DocState } from "./DocState";
import { DocStep } from "./DocStep";
import { ErrorNote } from "./ErrorNote";

/** The documentation: undefined while loading, null before it is first written. */
type MaybeDoc = Documentation | null | undefined;

interface DocumentationViewProps {
  session: Session;
  shots: Shot[];
  doc: MaybeDoc;
  /** the downloads offered once the documentation is ready */
  exports: ReactNode;
}

/**
 * The session's generated documentation ``doc`` (undefined while loading, null before it is
 * first written), rendered from its structured steps (never from its Markdown as HTML), with
 * Regenerate for those who may edit, and ``exports`` once it is ready.
 */
export function DocumentationView({ session, shots, doc, exports }: DocumentationViewProps) {
  const images = new Map<string, Shot>(shots.map((shot) => [shot._id, shot]));
  return (
    <section className="documentation" aria-labelledby="documentation-heading">
      <div className="section-head">
        <h2 id="documentation-heading">Documentation</h2>
        <DocState status={doc?.status ?? null} />
        {canEdit(session) && <Regenerate session={session} doc={doc} />}
      </div>
      {doc?.status === "ready" && exports}
      <UnreadNote session={session} doc={doc} />
      <DocBody doc={doc} session={session} images={images} />
    </section>
  );
}

function Regenerate({ session, doc }: { session: Session; doc: MaybeDoc }) {
  const regenerate = useRun(useMutation(api.docs.regenerate));
  return (
    <>
      <button
        type="button"
        disabled={regenerate.busy || doc?.status === "generating"}
        onClick={() => regenerate.run({ sessionId: session.sessionId })}
      >
        Regenerate
      </button>
      <ErrorNote error={regenerate.error} />
    </>
  );
}

/** Says so when a completed session's documentation will be rewritten as OCR catches up. */
function UnreadNote({ session, doc }: { session: Session; doc: MaybeDoc }) {
  const unread = session.counts.pending + session.counts.processing;
  if (!doc || session.status !== "completed" || unread === 0) return null;
  return (
    <p className="note">
      {plural(unread, "screenshot")} still being read; the documentation is written again when they
      are done.
    </p>
  );
}

interface DocBodyProps {
  doc: MaybeDoc;
  session: Session;
  /** the session's screenshots by ID */
  images: Map<string, Shot>;
}

function DocBody({ doc, session, images }: DocBodyProps) {
  if (doc === undefined) return <p className="hint">Loading the documentation…</p>;
  if (doc === null) {
    return (
      <p className="empty">
        {session.status === "active"
          ? canEdit(session)
            ? "The documentation is written when the session is completed (or now, with Regenerate)."
            : "The documentation is written when the session is completed."
          : "No documentation has been written for this session yet."}
      </p>
    );
  }
  return (
    <div className="doc-body" aria-busy={doc.status === "generating"}>
      <p className="hint" aria-live="polite">
        {doc.status === "generating" &&
          "Writing the documentation from the screenshots read so far…"}
        {doc.status === "ready" && doc.generatedAt && (
          <>
            Written {formatDateTime(doc.generatedAt)} by the {doc.engine} engine.
          </>
        )}
      </p>
      {doc.status === "failed" && (
        <ErrorNote error={`Writing failed: ${doc.error ?? "unknown error"}`} />
      )}
      {doc.status !== "failed" && doc.error && <p className="note">{doc.error}</p>}
      {doc.steps.length > 0 && (
        <>
          <h3 className="doc-title">{doc.title}</h3>
          {doc.summary && <p className="doc-summary">{doc.summary}</p>}
          <ol className="steps">
            {doc.steps.map((step) => (
              <DocStep key={step.number} step={step} shot={images.get(step.screenshotId)} />
            ))}
          </ol>
        </>
      )}
      {doc.status === "ready" && doc.steps.length === 0 && (
        <p className="empty">No steps: none of the session's screenshots has been read yet.</p>
      )}
    </div>
  );
}
