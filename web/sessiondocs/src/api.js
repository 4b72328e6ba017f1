import { anyApi } from "convex/server";

/** References to the backend's functions (src/sessiondocs/functions), e.g. api.sessions.getSession. */
export const api = anyApi;

/** What to tell the user about a failed call: a ConvexError's message, else the error's. */
export function errorMessage(error) {
  const data = error?.data;
  if (typeof data === "string") return data;
  if (data && typeof data.message === "string") return data.message;
  const message = error instanceof Error ? error.message : String(error);
  return message.replace(/\[Request ID: [^\]]*\]\s*/, "");
}

/** A ConvexError's stable code ("not_found", "forbidden", ...), or null for any other error. */
export function errorCode(error) {
  const data = error?.data;
  return data && typeof data.code === "string" ? data.code : null;
}

/**
 * The path and query of a URL the server made absolute (file and upload URLs).
 *
 * why: the server builds them from its configured origin, which differs from the one the
 * browser used when the app is reached by another host name (a LAN address, a proxy).
 */
export function onThisOrigin(url) {
  if (!url) return url;
  const parsed = new URL(url, window.location.origin);
  return parsed.pathname + parsed.search;
}

/**
 * The download URL of a session's documentation in ``format`` (md, zip or html). Signed-in
 * people send their token in a header (see download.js); a share link's holder passes
 * ``shareToken``, which makes it a plain link.
 */
export function exportUrl(sessionId, format, shareToken = null) {
  const query = new URLSearchParams({ sessionId, format });
  if (shareToken) query.set("share", shareToken);
  return `/http/export?${query}`;
}
