import type { ReactMutation } from "convex/react";
import type { api } from "./convex/_generated/api";
import type { Id } from "./convex/_generated/dataModel";
import { onThisOrigin } from "./urls";

export const IMAGE_TYPES = ["image/png", "image/jpeg", "image/webp"];

/** The mutations an upload calls (from useMutation). */
export interface UploadCalls {
  generateUploadUrl: ReactMutation<typeof api.screenshots.generateUploadUrl>;
  registerScreenshot: ReactMutation<typeof api.screenshots.registerScreenshot>;
}

/**
 * A file name not yet in ``taken`` ("shot.png", then "shot (2).png", ...); adds it to ``taken``.
 *
 * why: the server treats a file name registered twice in a session as the same screenshot (an
 * agent's retry), so two different manual files both called "image.png" need distinct names.
 */
export function uniqueName(name: string, taken: Set<string>): string {
  const dot = name.lastIndexOf(".");
  const stem = dot > 0 ? name.slice(0, dot) : name;
  const extension = dot > 0 ? name.slice(dot) : "";
  let candidate = name;
  for (let n = 2; taken.has(candidate); n += 1) candidate = `${stem} (${n})${extension}`;
  taken.add(candidate);
  return candidate;
}

/**
 * Upload one image file into a session: POST it to a fresh upload URL, then register it (which
 * schedules its OCR). Returns the new screenshot's ID.
 */
export async function uploadScreenshot(
  calls: UploadCalls,
  sessionId: string,
  file: File,
  filename: string,
): Promise<Id<"screenshots">> {
  if (!IMAGE_TYPES.includes(file.type)) {
    throw new Error(`${file.name} is not a PNG, JPEG or WebP image`);
  }
  const uploadUrl = await calls.generateUploadUrl();
  const response = await fetch(onThisOrigin(uploadUrl), {
    method: "POST",
    headers: { "Content-Type": file.type },
    body: file,
  });
  if (!response.ok) {
    throw new Error(`The upload of ${file.name} failed (HTTP ${response.status})`);
  }
  // the upload URL's answer (livebase's file storage, as Convex's)
  const { storageId }: { storageId: Id<"_storage"> } = await response.json();
  return calls.registerScreenshot({
    sessionId,
    filename,
    storageId,
    capturedAt: file.lastModified || Date.now(),
  });
}
