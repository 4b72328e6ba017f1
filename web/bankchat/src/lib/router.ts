// A very small router over the History API: livebase serves index.html for any path that
// names no file, so these routes also load on refresh.
import type { MouseEvent } from "react";
import { useCallback, useSyncExternalStore } from "react";

import type { Id } from "../types";

export type Route =
  | { page: "chat"; conversationId: Id<"conversations"> | null }
  | { page: "history" }
  | { page: "teams" }
  | { page: "audit" }
  | { page: "analytics" }
  | { page: "people" }
  | { page: "reviews" }
  | { page: "invite"; token: string }
  | { page: "signup" }
  | { page: "missing" };

const PAGES = ["history", "teams", "audit", "analytics", "people", "reviews", "signup"];

const listeners = new Set<() => void>();

function subscribe(listener: () => void): () => void {
  listeners.add(listener);
  window.addEventListener("popstate", listener);
  return () => {
    listeners.delete(listener);
    window.removeEventListener("popstate", listener);
  };
}

/** Go to a path of the app without reloading the page. */
export function navigate(path: string): void {
  if (path === window.location.pathname) return;
  window.history.pushState(null, "", path);
  listeners.forEach((listener) => listener());
}

export function parseRoute(path: string): Route {
  const parts = path.split("/").filter(Boolean);
  if (parts.length === 0) return { page: "chat", conversationId: null };
  if (parts[0] === "c" && parts.length === 2) {
    // why: the path names a conversation; the server checks that it is one of the caller's
    const conversationId = decodeURIComponent(parts[1]) as Id<"conversations">;
    return { page: "chat", conversationId };
  }
  if (parts[0] === "invite" && parts.length === 2) {
    return { page: "invite", token: decodeURIComponent(parts[1]) };
  }
  if (parts.length === 1 && PAGES.includes(parts[0])) {
    return { page: parts[0] } as Route;
  }
  return { page: "missing" };
}

export const conversationPath = (id: string) => `/c/${encodeURIComponent(id)}`;
export const invitePath = (token: string) => `/invite/${encodeURIComponent(token)}`;

/** The current route, re-rendering on navigation. */
export function useRoute(): Route {
  const path = useSyncExternalStore(subscribe, () => window.location.pathname);
  return parseRoute(path);
}

/** An onClick for an <a href>: navigate in the app, but let modified clicks open a tab. */
export function useLinkClick(path: string, after?: () => void) {
  return useCallback(
    (event: MouseEvent<HTMLAnchorElement>) => {
      if (event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) {
        return;
      }
      event.preventDefault();
      navigate(path);
      after?.();
    },
    [path, after],
  );
}
