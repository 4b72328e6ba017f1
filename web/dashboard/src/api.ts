import { makeFunctionReference } from "convex/server";
import type { PaginationResult } from "convex/server";

// The admin-only system functions every livebase deployment serves (services/system.py).
// They are plain queries, mutations and actions, so these pages are ordinary convex/react code.

/** A validator as Convex exports it: `{ type: "string" }`, `{ type: "object", value: ... }`... */
export type ValidatorJson = { type: string; [key: string]: unknown };

export type Doc = {
  _id: string;
  _creationTime: number;
  [field: string]: unknown;
};

export type TableInfo = {
  name: string;
  system: boolean;
  count: number;
  countCapped: number;
  indexes: { name: string; fields: string[] }[];
  document: ValidatorJson | null;
};

export type FilterOp = "eq" | "neq" | "lt" | "lte" | "gt" | "gte";
export type Filter = { field: string; op: FilterOp; value: unknown };

export type FunctionInfo = {
  path: string;
  kind: "query" | "mutation" | "action" | "httpAction";
  visibility: "public" | "internal";
  args: ValidatorJson | null;
  returns: ValidatorJson | null;
};

export type ScheduledJob = Doc & {
  name: string;
  args: unknown[];
  scheduledTime: number;
  completedTime?: number;
  state: { kind: string; error?: string };
};

export type CronInfo = {
  name: string;
  function: string;
  schedule: string;
  nextRun: number | null;
  lastRun: number | null;
};

export type StoredFile = Doc & {
  sha256: string;
  size: number;
  contentType?: string;
  url: string;
};

export type EnvVar = { name: string; value: string };

export type LogEntry = {
  seq: number;
  timestamp: number;
  path: string;
  kind: string;
  durationMs: number;
  status: "success" | "failure";
  error: string | null;
  logLines: string[];
};

export type Health = {
  uptimeSeconds: number;
  commitsLastMinute: number;
  latestTimestamp: bigint;
  functionRuns: number;
  /** Long work under way: index backfills, imports, exports. */
  work?: { description: string; done: number; total: number | null; started: number }[];
  connections?: number;
  connectionsAccepted?: number;
  liveQueries?: number;
  liveQueryRuns?: number;
};

type PageArgs = { paginationOpts: { numItems: number; cursor: string | null } };

export const system = {
  tables: {
    list: makeFunctionReference<"query", Record<string, never>, TableInfo[]>("_system/tables:list"),
    page: makeFunctionReference<
      "query",
      PageArgs & {
        table: string;
        order?: "asc" | "desc";
        index?: string;
        indexValues?: unknown[];
        filters?: Filter[];
      },
      PaginationResult<Doc>
    >("_system/tables:page"),
    insert: makeFunctionReference<"mutation", { table: string; document: unknown }, string>(
      "_system/tables:insert",
    ),
    replace: makeFunctionReference<
      "mutation",
      { table: string; id: string; document: unknown },
      null
    >("_system/tables:replace"),
    delete: makeFunctionReference<"mutation", { table: string; ids: string[] }, number>(
      "_system/tables:delete",
    ),
  },
  functions: {
    list: makeFunctionReference<"query", Record<string, never>, FunctionInfo[]>(
      "_system/functions:list",
    ),
  },
  scheduled: {
    list: makeFunctionReference<
      "query",
      PageArgs & { state?: string },
      PaginationResult<ScheduledJob>
    >("_system/scheduled:list"),
    cancel: makeFunctionReference<"mutation", { id: string }, null>("_system/scheduled:cancel"),
    crons: makeFunctionReference<"query", Record<string, never>, CronInfo[]>(
      "_system/scheduled:crons",
    ),
  },
  files: {
    list: makeFunctionReference<"query", PageArgs, PaginationResult<StoredFile>>(
      "_system/files:list",
    ),
    delete: makeFunctionReference<"mutation", { storageId: string }, null>("_system/files:delete"),
  },
  env: {
    list: makeFunctionReference<"query", Record<string, never>, EnvVar[]>("_system/env:list"),
    set: makeFunctionReference<"mutation", { name: string; value: string }, boolean>(
      "_system/env:set",
    ),
    remove: makeFunctionReference<"mutation", { name: string }, boolean>("_system/env:remove"),
  },
  logs: {
    tail: makeFunctionReference<
      "action",
      { after?: number; wait?: boolean; limit?: number },
      { entries: LogEntry[]; cursor: number }
    >("_system/logs:tail"),
  },
  health: {
    get: makeFunctionReference<"action", Record<string, never>, Health>("_system/health:get"),
  },
};

/** What POST /api/function answers. */
export type RunResult =
  | { status: "success"; value: unknown; logLines: string[] }
  | {
      status: "error";
      errorMessage: string;
      errorData?: unknown;
      logLines: string[];
    };

export class AdminKeyRefused extends Error {}

/** The `Authorization` header of an admin call, optionally acting as the user of `claims`. */
export function adminHeader(adminKey: string, claims?: object): string {
  if (claims === undefined) return `Convex ${adminKey}`;
  const bytes = new TextEncoder().encode(JSON.stringify(claims));
  let binary = "";
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return `Convex ${adminKey}:${btoa(binary)}`;
}

/**
 * Run any function over HTTP with the admin key (as the admin, or as the user of `claims`).
 * AdminKeyRefused when the server refuses the key; Error with the server's text on other
 * refusals (a malformed identity, too many wrong keys).
 */
export async function runFunction(
  adminKey: string,
  path: string,
  args: unknown,
  claims?: object,
): Promise<RunResult> {
  const response = await fetch(`${window.location.origin}/api/function`, {
    method: "POST",
    headers: {
      "Content-Type": "application/json",
      Authorization: adminHeader(adminKey, claims),
    },
    body: JSON.stringify({ path, args, format: "json" }),
  });
  if (response.ok) return (await response.json()) as RunResult;
  let message = `The server answered ${response.status} ${response.statusText}`;
  try {
    const body = (await response.json()) as { code?: string; message?: string };
    if (body.message) message = body.message;
  } catch {
    // not JSON: keep the status line
  }
  if (response.status === 401 && claims === undefined) throw new AdminKeyRefused(message);
  if (response.status === 429) {
    const wait = response.headers.get("Retry-After");
    throw new Error(
      `Too many wrong admin keys from this address${wait ? `: try again in ${wait} s` : ""}.`,
    );
  }
  throw new Error(message);
}
