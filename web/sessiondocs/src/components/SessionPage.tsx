import { useQuery } from "convex/react";
import { useEffect, useRef, useState } from "react";
import { isOwner } from "../access";
import { api } from "../convex/_generated/api";
import { errorCode, errorMessage } from "../errors";
import { Link } from "../router";
import { ErrorBoundary } from "./ErrorBoundary";
import { ExportButtons } from "./ExportLinks";
import { PageHeading } from "./PageHeading";
import { SessionHeader } from "./SessionHeader";
import { SessionView } from "./SessionView";
import { SharePanel } from "./SharePanel";

/**
 * One session of the signed-in person (or shared with them), kept live. A session that does not
 * exist, or is not (or no longer) shared with them, says so instead: its queries throw.
 */
export function SessionPage({ sessionId }: { sessionId: string }) {
  return (
    <ErrorBoundary key={sessionId} fallback={(error) => <SessionUnavailable error={error} />}>
      <LiveSession sessionId={sessionId} />
    </ErrorBoundary>
  );
}

function LiveSession({ sessionId }: { sessionId: string }) {
  const session = useQuery(api.sessions.getSession, { sessionId });
  const shots = useQuery(api.screenshots.listBySession, { sessionId });
  const doc = useQuery(api.docs.getDocumentation, { sessionId });
  const [sharing, setSharing] = useState(false);
  useJumpToHash(shots !== undefined && doc !== undefined);

  if (session === undefined) return <p className="hint">Loading the session…</p>;
  const shareButton = isOwner(session) && (
    <button
      type="button"
      aria-expanded={sharing}
      aria-controls="share-panel"
      onClick={() => setSharing(!sharing)}
    >
      Share
    </button>
  );
  return (
    <SessionView
      session={session}
      shots={shots}
      doc={doc}
      header={
        <>
          <SessionHeader session={session} actions={shareButton} />
          {isOwner(session) && sharing && (
            <SharePanel session={session} onClose={() => setSharing(false)} />
          )}
        </>
      }
      exports={<ExportButtons sessionId={session.sessionId} />}
    />
  );
}

/**
 * Once the page's content is there, scroll to and focus the step or screenshot the address
 * names (``#step-3``, ``#shot-<id>``: where a search result points), once per address.
 */
function useJumpToHash(ready: boolean): void {
  const done = useRef<string | null>(null);
  useEffect(() => {
    const hash = window.location.hash.slice(1);
    if (!ready || !hash || done.current === hash) return;
    const target = document.getElementById(decodeURIComponent(hash));
    if (!target) return;
    done.current = hash;
    target.scrollIntoView({ block: "start" });
    target.focus({ preventScroll: true });
    target.classList.add("jumped");
  });
}

/** Shown for a session the person may not see (or that failed to load): its query's error. */
function SessionUnavailable({ error }: { error: unknown }) {
  const code = errorCode(error);
  const hidden = code === "not_found" || code === "forbidden";
  return (
    <>
      <PageHeading>
        {hidden ? "Session not available" : "The session could not be loaded"}
      </PageHeading>
      <p>
        {hidden
          ? "This session does not exist or is not shared with you."
          : `The server answered: ${errorMessage(error)}`}{" "}
        <Link to="/">All sessions</Link>
      </p>
    </>
  );
}
