import { useState } from "react";
import { exportUrl } from "../api.js";
import { downloadExport } from "../download.js";
import { ErrorNote } from "./ErrorNote.jsx";

const FORMATS = [
  ["pdf", "Export PDF"],
  ["zip", "Export Markdown (ZIP)"],
  ["html", "Export HTML"],
  ["md", "Export .md"],
];

/**
 * Downloads of the documentation for a signed-in person: PDF, Markdown with images (ZIP), one
 * HTML file, one Markdown file with its images embedded. Buttons, because the export needs their token (see download.js).
 */
export function ExportButtons({ sessionId }) {
  const [busy, setBusy] = useState(null);
  const [error, setError] = useState(null);

  async function download(format) {
    setBusy(format);
    setError(null);
    try {
      await downloadExport(sessionId, format);
    } catch (failure) {
      setError(failure instanceof Error ? failure.message : String(failure));
    } finally {
      setBusy(null);
    }
  }

  return (
    <div className="exports">
      <div className="actions" role="group" aria-label="Export the documentation">
        {FORMATS.map(([format, label]) => (
          <button
            key={format}
            type="button"
            disabled={busy !== null}
            aria-busy={busy === format}
            onClick={() => download(format)}
          >
            {label}
          </button>
        ))}
      </div>
      <p className="hint" aria-live="polite">
        {busy && "Preparing the download…"}
      </p>
      <ErrorNote error={error} />
    </div>
  );
}

/** The same downloads for the holder of a share link: plain links carrying its token. */
export function ExportLinks({ sessionId, shareToken }) {
  return (
    <nav className="exports actions" aria-label="Export the documentation">
      {FORMATS.map(([format, label]) => (
        <a key={format} className="button" href={exportUrl(sessionId, format, shareToken)} download>
          {label}
        </a>
      ))}
    </nav>
  );
}
