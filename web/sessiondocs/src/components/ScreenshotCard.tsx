import { useMutation } from "convex/react";
import { useState } from "react";
import { api } from "../convex/_generated/api";
import { formatTime, isoTime, plural } from "../format";
import type { Shot } from "../types";
import { onThisOrigin } from "../urls";
import { useRun } from "../useRun";
import { Badge } from "./Badge";
import { ErrorNote } from "./ErrorNote";
import { Lightbox } from "./Lightbox";
import { OcrText } from "./OcrText";

interface ScreenshotCardProps {
  shot: Shot;
  /** its number in the session, from 1 */
  position: number;
  /** whether the caller may edit the session (Retry) */
  editable: boolean;
}

/**
 * One screenshot: its thumbnail (click to enlarge), OCR state, redaction and OCR text; a failed
 * read offers Retry when ``editable``.
 */
export function ScreenshotCard({ shot, position, editable }: ScreenshotCardProps) {
  const [enlarged, setEnlarged] = useState(false);
  const src = shot.url ? onThisOrigin(shot.url) : null;
  const alt = `Screenshot ${position}: ${shot.filename}`;
  return (
    <li
      className="shot panel"
      id={`shot-${shot._id}`}
      tabIndex={-1}
      data-status={shot.status}
      data-filename={shot.filename}
    >
      {src ? (
        <button
          type="button"
          className="thumb"
          onClick={() => setEnlarged(true)}
          aria-label={`Enlarge ${alt}`}
        >
          <img src={src} alt="" loading="lazy" />
        </button>
      ) : (
        <div className="thumb missing">
          {/* a session with redaction on shows an image only once its redacted copy exists */}
          {shot.status === "pending" || shot.status === "processing"
            ? "Redacting…"
            : "Image unavailable"}
        </div>
      )}
      <div className="shot-body">
        <p className="shot-name">
          <span className="position">{position}.</span> {shot.filename}
        </p>
        <p className="meta">
          <time dateTime={isoTime(shot.capturedAt)}>{formatTime(shot.capturedAt)}</time>
          <Badge state={shot.status}>OCR {shot.status}</Badge>
          <RedactionBadge shot={shot} />
        </p>
        <OcrProblem shot={shot} editable={editable} />
        {shot.ocr && <OcrText ocr={shot.ocr} />}
      </div>
      {enlarged && src && (
        <Lightbox src={src} alt={alt} caption={shot.filename} onClose={() => setEnlarged(false)} />
      )}
    </li>
  );
}

function RedactionBadge({ shot }: { shot: Shot }) {
  if (!shot.redacted) return null;
  const kinds = shot.redactions ?? [];
  if (!kinds.length) {
    // why: a clean check is good news, not a warning
    return (
      <Badge state="checked" title="Checked for sensitive text before it was stored: none found">
        Redaction: nothing found
      </Badge>
    );
  }
  return (
    <Badge state="redacted" title="Sensitive text was blacked out before the image was stored">
      {`Redacted: ${kinds.join(", ")}`}
    </Badge>
  );
}

/** A failed read (with its error and Retry), or a failed attempt that will be retried. */
function OcrProblem({ shot, editable }: { shot: Shot; editable: boolean }) {
  if (shot.status === "failed") {
    return (
      <div className="ocr-problem">
        <ErrorNote
          error={`OCR failed after ${plural(shot.attempts, "attempt")}: ${shot.error ?? "unknown error"}`}
        />
        {editable && <RetryButton shot={shot} />}
      </div>
    );
  }
  if (shot.error && shot.status !== "done") {
    return <p className="hint">An attempt to read it failed ({shot.error}); trying again.</p>;
  }
  return null;
}

function RetryButton({ shot }: { shot: Shot }) {
  const retry = useRun(useMutation(api.screenshots.retry));
  return (
    <>
      <button
        type="button"
        disabled={retry.busy}
        aria-label={`Retry OCR of ${shot.filename}`}
        onClick={() => retry.run({ screenshotId: shot._id })}
      >
        Retry
      </button>
      <ErrorNote error={retry.error} />
    </>
  );
}
