import { useMutation } from "convex/react";
import { useId, useState } from "react";
import { api, errorMessage } from "../api.js";
import { IMAGE_TYPES, uniqueName, uploadScreenshot } from "../upload.js";

/** A file input that uploads the chosen screenshots into the session, one after another. */
export function UploadScreenshots({ sessionId, takenNames }) {
  const calls = {
    generateUploadUrl: useMutation(api.screenshots.generateUploadUrl),
    registerScreenshot: useMutation(api.screenshots.registerScreenshot),
  };
  const [progress, setProgress] = useState(null);
  const [errors, setErrors] = useState([]);
  const id = useId();

  async function upload(event) {
    const input = event.target;
    const files = [...input.files];
    const taken = new Set(takenNames);
    const failed = [];
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
