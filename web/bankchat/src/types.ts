// The shapes the UI works with, as the bankchat functions return them: each is read off the
// generated `api` (from the functions' returns= validators), never written out here again.
import type { FunctionArgs, FunctionReturnType } from "convex/server";

import type { api } from "./convex/_generated/api";

export type { Id } from "./convex/_generated/dataModel";

// --- people --------------------------------------------------------------------------------

/** The signed-in user with role names and features (users:me). */
export type Me = NonNullable<FunctionReturnType<typeof api.users.me>>;
export type Theme = Me["preferences"]["theme"];
/** A user as an administrator sees them (users:listUsers). */
export type UserSummary = FunctionReturnType<typeof api.users.listUsers>[number];
export type Role = FunctionReturnType<typeof api.users.listRoles>[number];
/** What users:inviteUser returns: the token of the one-time sign-up link, shown only once. */
export type Invitation = FunctionReturnType<typeof api.users.inviteUser>;
export type PendingInvite = FunctionReturnType<typeof api.users.listInvites>[number];
/** What the holder of an invitation link may know about it (users:inviteInfo). */
export type InviteInfo = NonNullable<FunctionReturnType<typeof api.users.inviteInfo>>;

// --- conversations and answers -------------------------------------------------------------

export type Conversation = FunctionReturnType<typeof api.chat.listConversations>[number];
export type Message = FunctionReturnType<typeof api.chat.getConversationMessages>[number];
/** What chat:ask, chat:runSql, favorites:runFavorite and history:rerun return. */
export type AskResult = FunctionReturnType<typeof api.chat.ask>;
/** A result cell: a SQL value as JSON, mostly text, a number, a boolean or null (`any`: the
 * server does not narrow it, a column of another type is shown as text). */
export type Cell = AskResult["rows"][number][number];
/** The declarative chart spec of service.chart_for: never code, only which columns to plot. */
export type ChartSpec = NonNullable<AskResult["chart"]>;
/** A result column in the bank's words: its title, how to show its values, code meanings. */
export type ColumnInfo = AskResult["column_info"][number];

// --- saved and past queries ----------------------------------------------------------------

export type Favorite = FunctionReturnType<typeof api.favorites.getFavorites>[number];
export type HistoryEntry = FunctionReturnType<typeof api.history.pageHistory>["page"][number];
/** What search:mine returns: the caller's own matching questions, answers and favorites. */
export type SearchResults = FunctionReturnType<typeof api.search.mine>;
/** A text with the character spans (`[start, end)`) a search matched (livebase.highlight). */
export type Marked = NonNullable<SearchResults["answers"][number]["content"]>;

// --- teams and notifications ---------------------------------------------------------------

export type Team = FunctionReturnType<typeof api.teams.myTeams>[number];
/** A team invitation waiting for the signed-in user's answer (teams:myInvites). */
export type TeamInvite = FunctionReturnType<typeof api.teams.myInvites>[number];
/** A team's invitation not yet answered, as its owners see it (teams:pendingInvites). */
export type TeamPendingInvite = FunctionReturnType<typeof api.teams.pendingInvites>[number];
export type SharedQuery = FunctionReturnType<typeof api.teams.getSharedQueries>[number];
export type Notification = FunctionReturnType<typeof api.notifications.listNotifications>[number];

// --- administration ------------------------------------------------------------------------

/** An answer someone reported as wrong, for an administrator to correct or dismiss. */
export type Review = FunctionReturnType<typeof api.reviews.listReviews>[number];
export type ReviewStatus = Review["status"];
/** The audit log's filters (audit:pageAuditLogs without its page). */
export type AuditFilter = Omit<FunctionArgs<typeof api.audit.pageAuditLogs>, "paginationOpts">;
export type Analytics = FunctionReturnType<typeof api.analytics.getAnalytics>;
export type Counted = Analytics["byStatus"][number];
