import { ConvexError } from "convex/values";

/** The message a person can act on, from a ConvexError's data or any other error. */
export function errorMessage(error: unknown): string {
  if (error instanceof ConvexError) {
    const data = error.data as unknown;
    if (data && typeof data === "object" && "message" in data) {
      return String((data as { message: unknown }).message);
    }
    return String(data);
  }
  if (error instanceof Error) return error.message;
  return String(error);
}
