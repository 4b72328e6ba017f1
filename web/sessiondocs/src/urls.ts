/**
 * The path and query of a URL the server made absolute (file and upload URLs).
 *
 * why: the server builds them from its configured origin, which differs from the one the
 * browser used when the app is reached by another host name (a LAN address, a proxy).
 */
export function onThisOrigin(url: string): string {
  const parsed = new URL(url, window.location.origin);
  return parsed.pathname + parsed.search;
}

/** The formats the documentation exports to. */
export type ExportFormat = "pdf" | "zip" | "html" | "md";

/**
 * The download URL of a session's documentation in ``format``. Signed-in people send their
 * token in a header (see download.ts); a share link's holder passes ``shareToken``, which makes
 * it a plain link.
 */
export function exportUrl(
  sessionId: string,
  format: ExportFormat,
  shareToken: string | null = null,
): string {
  const query = new URLSearchParams({ sessionId, format });
  if (shareToken) query.set("share", shareToken);
  return `/http/export?${query}`;
}
