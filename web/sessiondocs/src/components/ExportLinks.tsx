import { useState } from "react";
import { downloadExport } from "../download";
import { exportUrl, type ExportFormat } from "../urls";
import { ErrorNote } from "./ErrorNote";

const FORMATS: [ExportFormat, string][] = [
  ["pdf", "Export PDF"],
  ["zip", "Export Markdown (ZIP)"],
  ["html", "Export HTML"],
  ["md", "Export .md"],
];

/**
 * Downloads of the documentation for a signed-in person: PDF, Markdown with images (ZIP), one
 * HTML file, one Markdown file with its images embedded. Buttons, because the export needs their token (see download.ts).
 */
export function ExportButtons({ sessionId }: { sessionId: string }) {
  const [busy, setBusy] = useState<ExportFormat | null>(null);
  const [error, setError] = useState<string | null>(null);

  async function download(format: ExportFormat) {
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
export function ExportLinks({ sessionId, shareToken }: { sessionId: string; shareToken: string }) {
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
