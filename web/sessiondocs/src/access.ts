// What the caller may do with a session, from its ``access`` ("owner", "edit" or "read").
import type { Access } from "./types";

interface WithAccess {
  access: Access;
}

/** Rename, upload, complete, regenerate, retry: the owner and people it is shared with to edit. */
export function canEdit(session: WithAccess): boolean {
  return session.access === "owner" || session.access === "edit";
}

/** Delete and share: the owner only. */
export function isOwner(session: WithAccess): boolean {
  return session.access === "owner";
}

/** "Shared with you (read)" for a session someone shared with the caller; null for their own. */
export function sharedLabel(session: WithAccess): string | null {
  if (session.access === "edit") return "Shared with you (edit)";
  if (session.access === "read") return "Shared with you (read)";
  return null;
}
