import { useQuery } from "convex/react";
import { api } from "../convex/_generated/api";
import { errorCode, errorMessage } from "../errors";
import { ErrorBoundary } from "./ErrorBoundary";
import { ExportLinks } from "./ExportLinks";
import { PageHeading } from "./PageHeading";
import { SessionHeader } from "./SessionHeader";
import { SessionView } from "./SessionView";

/**
 * A session seen through a read-only share link, with no account: its screenshots with their
 * OCR text, its documentation and exports, kept live. Once the owner revokes the link, the page
 * says so at once (its queries throw).
 */
export function SharedPage({ token }: { token: string }) {
  return (
    <ErrorBoundary key={token} fallback={(error) => <LinkUnavailable error={error} />}>
      <LiveShared token={token} />
    </ErrorBoundary>
  );
}

function LiveShared({ token }: { token: string }) {
  const session = useQuery(api.shared.getSession, { token });
  const shots = useQuery(api.shared.listScreenshots, { token });
  const doc = useQuery(api.shared.getDocumentation, { token });
  if (session === undefined) return <p className="hint">Loading the shared session…</p>;
  return (
    <SessionView
      session={session}
      shots={shots}
      doc={doc}
      header={<SessionHeader session={session} shared />}
      exports={<ExportLinks sessionId={session.sessionId} shareToken={token} />}
    />
  );
}

function LinkUnavailable({ error }: { error: unknown }) {
  const revoked = errorCode(error) === "not_found";
  return (
    <div role="alert">
      <PageHeading>
        {revoked ? "This link no longer works" : "The shared session could not be loaded"}
      </PageHeading>
      <p>
        {revoked
          ? "The share link was revoked, or its session was deleted. Ask the person who sent it for a new one."
          : `The server answered: ${errorMessage(error)}`}
      </p>
    </div>
  );
}
