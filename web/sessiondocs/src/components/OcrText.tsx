import { plural } from "../format";
import type { Shot } from "../types";

/** A screenshot's OCR text, collapsed under a summary of what was read and how. */
export function OcrText({ ocr }: { ocr: NonNullable<Shot["ocr"]> }) {
  return (
    <details className="ocr-text">
      <summary>
        OCR text{" "}
        <span className="hint">
          ({plural(ocr.wordCount, "word")}, {ocr.engine}, {ocr.seconds.toFixed(1)} s)
        </span>
      </summary>
      {ocr.text.trim() ? <pre>{ocr.text}</pre> : <p className="hint">No text was found.</p>}
    </details>
  );
}
