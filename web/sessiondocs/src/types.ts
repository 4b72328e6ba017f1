// The data the app shows, as the backend's functions return it: taken from the generated client
// code (livebase codegen), whose types come from the Python functions' returns= validators.
import type { FunctionReturnType } from "convex/server";
import type { api } from "./convex/_generated/api";
import type { Doc } from "./convex/_generated/dataModel";

/** The signed-in person (users:me). */
export type Me = NonNullable<FunctionReturnType<typeof api.users.me>>;

/**
 * A session as its list and its page show it (sessions:listSessions, sessions:getSession,
 * shared:getSession): its counts by OCR state, its documentation's status and the caller's access.
 */
export type Session = FunctionReturnType<typeof api.sessions.listSessions>[number];

/** What the caller may do with a session: "owner", "edit" or "read". */
export type Access = Session["access"];

/** A screenshot of a session with its image URL and OCR summary (screenshots:listBySession). */
export type Shot = FunctionReturnType<typeof api.screenshots.listBySession>[number];

/** A session's documentation (docs:getDocumentation). */
export type Documentation = Doc<"documentation">;

/** One numbered step of the documentation. */
export type Step = Documentation["steps"][number];
