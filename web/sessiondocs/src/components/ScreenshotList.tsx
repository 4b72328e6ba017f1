import { canEdit } from "../access";
import { plural } from "../format";
import type { Session, Shot } from "../types";
import { ScreenshotCard } from "./ScreenshotCard";
import { UploadScreenshots } from "./UploadScreenshots";

/**
 * The session's screenshots in capture order, and (while it is active, for those who may edit
 * it) an upload input.
 */
export function ScreenshotList({
  session,
  shots,
}: {
  session: Session;
  shots: Shot[] | undefined;
}) {
  return (
    <section className="screenshots" aria-labelledby="screenshots-heading">
      <div className="section-head">
        <h2 id="screenshots-heading">Screenshots</h2>
        {shots !== undefined && <span className="hint">{plural(shots.length, "screenshot")}</span>}
      </div>
      {session.status === "active" && canEdit(session) && (
        <UploadScreenshots
          sessionId={session.sessionId}
          takenNames={(shots ?? []).map((shot) => shot.filename)}
        />
      )}
      {shots === undefined ? (
        <p className="hint">Loading screenshots…</p>
      ) : shots.length === 0 ? (
        <p className="empty">No screenshots yet. They appear here as soon as they are uploaded.</p>
      ) : (
        <ol className="shot-grid">
          {shots.map((shot, index) => (
            <ScreenshotCard
              key={shot._id}
              shot={shot}
              position={index + 1}
              editable={canEdit(session)}
            />
          ))}
        </ol>
      )}
    </section>
  );
}
