import { useMutation } from "convex/react";
import { useId, useState, type ChangeEvent } from "react";
import { api } from "../convex/_generated/api";
import { errorMessage } from "../errors";
import { IMAGE_TYPES, uniqueName, uploadScreenshot, type UploadCalls } from "../upload";

interface UploadScreenshotsProps {
  sessionId: string;
  /** the file names of the session's screenshots, which new ones may not reuse */
  takenNames: string[];
}

/** A file input that uploads the chosen screenshots into the session, one after another. */
export function UploadScreenshots({ sessionId, takenNames }: UploadScreenshotsProps) {
  const calls: UploadCalls = {
    generateUploadUrl: useMutation(api.screenshots.generateUploadUrl),
    registerScreenshot: useMutation(api.screenshots.registerScreenshot),
  };
  const [progress, setProgress] = useState<string | null>(null);
  const [errors, setErrors] = useState<string[]>([]);
  const id = useId();

  async function upload(event: ChangeEvent<HTMLInputElement>) {
    const input = event.target;
    const files = [...(input.files ?? [])];
    const taken = new Set(takenNames);
    const failed: string[] = [];
    for (const [index, file] of files.entries()) {
      setProgress(`Uploading ${index + 1} of ${files.length}: ${file.name}`);
      try {
        await uploadScreenshot(calls, sessionId, file, uniqueName(file.name, taken));
      } catch (err) {
        failed.push(`${file.name}: ${errorMessage(err)}`);
      }
    }
    input.value = "";
    setProgress(null);
    setErrors(failed);
  }

  return (
    <div className="upload">
      <label htmlFor={id}>Upload screenshots</label>
      <input
        id={id}
        type="file"
        multiple
        accept={IMAGE_TYPES.join(",")}
        disabled={progress !== null}
        onChange={upload}
      />
      <p className="hint" aria-live="polite">
        {progress ?? "PNG, JPEG or WebP; each is read by OCR as soon as it arrives."}
      </p>
      {errors.length > 0 && (
        <ul className="error-note" role="alert">
          {errors.map((error) => (
            <li key={error}>{error}</li>
          ))}
        </ul>
      )}
    </div>
  );
}
