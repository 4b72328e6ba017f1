import { exportUrl } from "../api.js";

const FORMATS = [
  ["zip", "Export Markdown (ZIP)"],
  ["html", "Export HTML"],
  ["md", "Export .md"],
];

/** Download links for the documentation: Markdown with images (ZIP), one HTML file, Markdown. */
export function ExportLinks({ sessionId }) {
  return (
    <nav className="exports actions" aria-label="Export the documentation">
      {FORMATS.map(([format, label]) => (
        <a key={format} className="button" href={exportUrl(sessionId, format)} download>
          {label}
        </a>
      ))}
    </nav>
  );
}
