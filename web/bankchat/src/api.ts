// Typed references to the bankchat functions (src/bankchat/functions), by their wire names.
// livebase answers to the camelCase form of each snake_case Python function.
import type { PaginationOptions, PaginationResult } from "convex/server";
import { makeFunctionReference } from "convex/server";

export type Id = string;
type NoArgs = Record<string, never>;

export type Theme = "light" | "dark";
export type Feature = "admin" | "analytics" | "audit";

export interface Me {
  _id: Id;
  email: string;
  name: string;
  isActive: boolean;
  /** Empty until an administrator grants a role: such an account can use none of the app. */
  roles: string[];
  features: Feature[];
  preferences: { theme: Theme; notificationsEnabled: boolean };
}

/** A user as an administrator sees them (users:listUsers). */
export interface UserSummary {
  _id: Id;
  email: string;
  name: string;
  isActive: boolean;
  roles: string[];
  createdAt: number;
}

export interface Role {
  _id: Id;
  name: string;
  description: string;
}

/** What users:inviteUser returns: the token of the one-time sign-up link, shown only once. */
export interface Invitation {
  inviteId: Id;
  email: string;
  token: string;
  expiresAt: number;
}

export interface PendingInvite {
  _id: Id;
  email: string;
  roles: string[];
  createdAt: number;
  expiresAt: number;
}

/** What the holder of an invitation link may know about it (users:inviteInfo). */
export interface InviteInfo {
  email: string;
  state: "valid" | "used" | "revoked" | "expired";
}

export interface Conversation {
  _id: Id;
  title: string;
  createdAt: number;
  updatedAt: number;
}

export type Cell = string | number | boolean | null;

/** The declarative chart spec of service.chart_for: never code, only which columns to plot. */
export interface ChartSpec {
  type: "bar" | "line";
  x: string;
  y: string;
  title: string;
  xLabel?: string;
  yLabel?: string;
}

/** A result column in the bank's words: its title, how to show its values, code meanings. */
export interface ColumnInfo {
  name: string;
  label: string;
  kind: "id" | "text" | "code" | "date" | "money" | "number" | "percent" | "count";
  unit: string | null;
  source: string | null;
  values: Record<string, string>;
}

/** One line of what the SQL computes: the clause or convention, in words. */
export interface InterpretationLine {
  part: string;
  text: string;
}

export interface Message {
  _id: Id;
  conversationId: Id;
  type: "user" | "assistant";
  content: string;
  sql?: string;
  resultCount?: number;
  executionTimeMs?: number;
  error?: string;
  denied?: boolean;
  engine?: string;
  columns?: string[];
  rows?: Cell[][];
  chart?: ChartSpec | null;
  columnInfo?: ColumnInfo[];
  interpretation?: InterpretationLine[];
  flags?: string[];
  choices?: Choice[];
  timestamp: number;
}

/** One reading of an ambiguous question: what it means, and its SQL. */
export interface Choice {
  label: string;
  sql: string;
}

/** What chat:ask, chat:runSql, favorites:runFavorite and history:rerun return. */
export interface AskResult {
  question: string | null;
  sql: string | null;
  columns: string[];
  rows: Cell[][];
  row_count: number;
  truncated: boolean;
  engine: string | null;
  explanation: string | null;
  error: string | null;
  denied: boolean;
  not_understood: boolean;
  tables: string[];
  execution_ms: number | null;
  chart: ChartSpec | null;
  column_info: ColumnInfo[];
  interpretation: InterpretationLine[];
  flags: string[];
  choices: Choice[];
  status: "success" | "error" | "denied" | "not_understood" | "ambiguous";
  conversationId: Id;
  messageId: Id | null;
}

export interface Favorite {
  _id: Id;
  name: string;
  question?: string;
  sql: string;
  tags: string[];
  isPublic: boolean;
  useCount: number;
  mine: boolean;
}

export interface HistoryEntry {
  _id: Id;
  question?: string;
  sql?: string;
  status: AskResult["status"];
  resultCount?: number;
  executionTimeMs?: number;
  timestamp: number;
}

export interface Team {
  _id: Id;
  name: string;
  description?: string;
  myRole: "owner" | "member";
}

export interface TeamMember {
  userId: Id;
  email: string;
  name: string;
  role: "owner" | "member";
}

/** A team invitation waiting for the signed-in user's answer (teams:myInvites). */
export interface TeamInvite {
  _id: Id;
  teamId: Id;
  teamName: string;
  invitedBy: string | null;
  createdAt: number;
}

/** A team's invitation not yet answered, as its owners see it (teams:pendingInvites). */
export interface TeamPendingInvite {
  _id: Id;
  teamId: Id;
  email: string;
  createdAt: number;
}

export interface SharedQuery {
  _id: Id;
  name: string;
  question?: string;
  sql: string;
  createdAt: number;
}

export interface Notification {
  _id: Id;
  type: string;
  title: string;
  body?: string;
  /** An in-app path without its leading slash ("teams"). */
  link?: string;
  read: boolean;
  createdAt: number;
}

export type ReviewStatus = "open" | "corrected" | "dismissed";

/** An answer someone reported as wrong, for an administrator to correct or dismiss. */
export interface Review {
  _id: Id;
  messageId: Id;
  userEmail: string;
  question?: string;
  answer: string;
  sql?: string;
  interpretation?: InterpretationLine[];
  note?: string;
  status: ReviewStatus;
  correctedSql?: string;
  resolvedBy?: string;
  createdAt: number;
}

export interface AuditEntry {
  _id: Id;
  userEmail: string;
  action: string;
  question?: string;
  sql?: string;
  tables: string[];
  allowed: boolean;
  outcome?: "answered" | "refused" | "not_understood" | "failed" | "asked_back";
  reason?: string;
  ipAddress?: string;
  userAgent?: string;
  timestamp: number;
  /** With a text filter: the fields whose words matched, marked. */
  found?: { question?: Marked; sql?: Marked; reason?: Marked };
}

/** A text with the character spans (``[start, end)``) a search matched (livebase.highlight). */
export interface Marked {
  text: string;
  matches: [number, number][];
}

/** What search:mine returns: the caller's own matching questions, answers and favorites. */
export interface SearchResults {
  questions: {
    historyId: Id;
    conversationId?: Id;
    status: HistoryEntry["status"];
    timestamp: number;
    question: Marked | null;
    sql: Marked | null;
  }[];
  answers: { messageId: Id; conversationId: Id; timestamp: number; content: Marked }[];
  favorites: {
    favoriteId: Id;
    name: Marked;
    question: Marked | null;
    sql: Marked | null;
    tags: string[];
  }[];
}

export type AuditFilter = {
  /** words in the question, the SQL or the reason */
  text?: string;
  userEmail?: string;
  table?: string;
  since?: number;
  until?: number;
  deniedOnly?: boolean;
  ipAddress?: string;
  outcome?: string;
};

export interface Counted {
  key: string;
  count: number;
}

export interface Analytics {
  queriesPerDay: { day: string; count: number }[];
  byStatus: Counted[];
  popularQuestions: Counted[];
  topTables: Counted[];
  failures: number;
}

const q = <Args extends Record<string, unknown>, Ret>(name: string) =>
  makeFunctionReference<"query", Args, Ret>(name);
const m = <Args extends Record<string, unknown>, Ret>(name: string) =>
  makeFunctionReference<"mutation", Args, Ret>(name);
const a = <Args extends Record<string, unknown>, Ret>(name: string) =>
  makeFunctionReference<"action", Args, Ret>(name);

type InConversation = { conversationId?: Id };

export const api = {
  users: {
    me: q<NoArgs, Me | null>("users:me"),
    demoAccounts: q<NoArgs, { email: string; role: string; password: string }[]>(
      "users:demoAccounts",
    ),
    ensureUser: m<NoArgs, Id>("users:ensureUser"),
    updatePreferences: m<{ theme?: Theme; notificationsEnabled?: boolean }, unknown>(
      "users:updatePreferences",
    ),
    listUsers: q<NoArgs, UserSummary[]>("users:listUsers"),
    listRoles: q<NoArgs, Role[]>("users:listRoles"),
    setRoles: m<{ userId: Id; roles: string[] }, null>("users:setRoles"),
    setActive: m<{ userId: Id; isActive: boolean }, null>("users:setActive"),
    inviteUser: m<{ email: string; roles: string[] }, Invitation>("users:inviteUser"),
    listInvites: q<NoArgs, PendingInvite[]>("users:listInvites"),
    revokeInvite: m<{ inviteId: Id }, null>("users:revokeInvite"),
    inviteInfo: q<{ token: string }, InviteInfo | null>("users:inviteInfo"),
  },
  chat: {
    listConversations: q<NoArgs, Conversation[]>("chat:listConversations"),
    getConversationMessages: q<{ conversationId: Id }, Message[]>("chat:getConversationMessages"),
    renameConversation: m<{ conversationId: Id; title: string }, null>("chat:renameConversation"),
    deleteConversation: m<{ conversationId: Id }, null>("chat:deleteConversation"),
    ask: a<{ question: string } & InConversation, AskResult>("chat:ask"),
    runSql: a<{ sql: string } & InConversation, AskResult>("chat:runSql"),
  },
  favorites: {
    getFavorites: q<{ tag?: string }, Favorite[]>("favorites:getFavorites"),
    saveFavorite: m<
      { name: string; sql: string; question?: string; tags?: string[]; isPublic?: boolean },
      Id
    >("favorites:saveFavorite"),
    deleteFavorite: m<{ favoriteId: Id }, null>("favorites:deleteFavorite"),
    runFavorite: a<{ favoriteId: Id } & InConversation, AskResult>("favorites:runFavorite"),
  },
  search: {
    mine: q<{ text: string; limit?: number }, SearchResults>("search:mine"),
  },
  history: {
    pageHistory: q<{ paginationOpts: PaginationOptions }, PaginationResult<HistoryEntry>>(
      "history:pageHistory",
    ),
    rerun: a<{ historyId: Id }, AskResult>("history:rerun"),
  },
  teams: {
    myTeams: q<NoArgs, Team[]>("teams:myTeams"),
    createTeam: m<{ name: string; description?: string }, Id>("teams:createTeam"),
    members: q<{ teamId: Id }, TeamMember[]>("teams:members"),
    /** Invites (the invitee accepts); the same answer whether or not the email has an account. */
    addMember: m<{ teamId: Id; email: string }, { invited: string }>("teams:addMember"),
    myInvites: q<NoArgs, TeamInvite[]>("teams:myInvites"),
    acceptInvite: m<{ inviteId: Id }, Id>("teams:acceptInvite"),
    declineInvite: m<{ inviteId: Id }, null>("teams:declineInvite"),
    pendingInvites: q<{ teamId: Id }, TeamPendingInvite[]>("teams:pendingInvites"),
    cancelInvite: m<{ inviteId: Id }, null>("teams:cancelInvite"),
    shareQuery: m<{ teamId: Id; name: string; sql: string; question?: string }, Id>(
      "teams:shareQuery",
    ),
    getSharedQueries: q<{ teamId: Id }, SharedQuery[]>("teams:getSharedQueries"),
  },
  notifications: {
    getUnread: q<NoArgs, Notification[]>("notifications:getUnread"),
    listNotifications: q<{ limit?: number }, Notification[]>("notifications:listNotifications"),
    markRead: m<{ notificationId: Id }, null>("notifications:markRead"),
    markAllRead: m<NoArgs, null>("notifications:markAllRead"),
  },
  audit: {
    pageAuditLogs: q<
      AuditFilter & { paginationOpts: PaginationOptions },
      PaginationResult<AuditEntry>
    >("audit:pageAuditLogs"),
  },
  analytics: {
    getAnalytics: q<{ sinceDay?: string }, Analytics>("analytics:getAnalytics"),
  },
  reviews: {
    reportWrong: m<{ messageId: Id; note?: string }, Id>("reviews:reportWrong"),
    myReports: q<NoArgs, Id[]>("reviews:myReports"),
    listReviews: q<{ status?: ReviewStatus }, Review[]>("reviews:listReviews"),
    dismissReview: m<{ reviewId: Id }, null>("reviews:dismissReview"),
    correctReview: a<
      { reviewId: Id; sql: string },
      { ok: true; rowCount: number; columns: string[] } | { ok: false; error: string }
    >("reviews:correctReview"),
  },
};
