/** The ``data`` of a ConvexError (a string or ``{ code, message }``), or undefined. */
function dataOf(error: unknown): unknown {
  return typeof error === "object" && error !== null && "data" in error ? error.data : undefined;
}

/** The string field ``key`` of a ConvexError's data, or null. */
function field(error: unknown, key: "code" | "message"): string | null {
  const data = dataOf(error);
  if (typeof data !== "object" || data === null || !(key in data)) return null;
  const value: unknown = (data as Record<string, unknown>)[key];
  return typeof value === "string" ? value : null;
}

/** What to tell the user about a failed call: a ConvexError's message, else the error's. */
export function errorMessage(error: unknown): string {
  const data = dataOf(error);
  if (typeof data === "string") return data;
  const message = field(error, "message");
  if (message !== null) return message;
  const text = error instanceof Error ? error.message : String(error);
  return text.replace(/\[Request ID: [^\]]*\]\s*/, "");
}

/** A ConvexError's stable code ("not_found", "forbidden", ...), or null for any other error. */
export function errorCode(error: unknown): string | null {
  return field(error, "code");
}
