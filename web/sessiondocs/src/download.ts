import { accessToken } from "./auth/session";
import { exportUrl, type ExportFormat } from "./urls";

/** The file name in a Content-Disposition header (``attachment; filename="x.zip"``), or null. */
export function filenameFrom(disposition: string | null): string | null {
  const match = /filename\*?=(?:UTF-8'')?"?([^";]+)"?/i.exec(disposition ?? "");
  return match ? decodeURIComponent(match[1]) : null;
}

/**
 * Download a session's documentation in ``format`` as the signed-in person.
 *
 * why: the export needs the person's token in an Authorization header, which a plain link
 * cannot send; the answer is fetched, then saved from an object URL under the server's name.
 */
export async function downloadExport(sessionId: string, format: ExportFormat): Promise<void> {
  const token = await accessToken(false);
  const response = await fetch(exportUrl(sessionId, format), {
    headers: token ? { Authorization: `Bearer ${token}` } : {},
  });
  if (!response.ok) {
    // the export's own refusals are {code, message}; a ConvexError it raised arrives as
    // Convex sends it, {code: "[Request ID: ...] Server Error", data}
    const body: { message?: unknown; data?: unknown } = await response.json().catch(() => ({}));
    const data = body.data;
    const said =
      typeof data === "string"
        ? data
        : typeof data === "object" && data !== null && "message" in data
          ? (data as { message: unknown }).message
          : body.message;
    throw new Error(
      typeof said === "string" ? said : `The export failed (HTTP ${response.status})`,
    );
  }
  const name =
    filenameFrom(response.headers.get("Content-Disposition")) ?? `documentation.${format}`;
  const url = URL.createObjectURL(await response.blob());
  const link = document.createElement("a");
  link.href = url;
  link.download = name;
  document.body.append(link);
  link.click();
  link.remove();
  // why: revoking at once can cancel the download in some browsers before it has started
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}
