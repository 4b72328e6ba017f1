import {
  createElement,
  useSyncExternalStore,
  type AnchorHTMLAttributes,
  type MouseEvent,
  type ReactElement,
  type ReactNode,
} from "react";

// A small client-side router. Signed in: "/" (sessions), "/sessions/<id>" (one session),
// "/devices" and "/people"; without signing in: "/shared/<token>" (a read-only share link) and
// "/invite/<token>" (an invitation). The server answers every unknown path with index.html, so
// these URLs also work on reload and as links.

const listeners = new Set<() => void>();
// set by a client-side navigation, taken by the next page heading that mounts (PageHeading)
let focusPending = false;

function onPopState(): void {
  focusPending = true;
}

function subscribe(listener: () => void): () => void {
  listeners.add(listener);
  window.addEventListener("popstate", listener);
  return () => {
    listeners.delete(listener);
    window.removeEventListener("popstate", listener);
  };
}

window.addEventListener("popstate", onPopState);

/** True once after each client-side navigation: whether a new page should take the focus. */
export function takeNavigationFocus(): boolean {
  const pending = focusPending;
  focusPending = false;
  return pending;
}

/** The current location's path; re-renders on navigation and on back/forward. */
export function usePath(): string {
  return useSyncExternalStore(subscribe, () => window.location.pathname);
}

/** Go to ``path`` without reloading the page. */
export function navigate(path: string): void {
  window.history.pushState(null, "", path);
  window.scrollTo(0, 0);
  focusPending = true;
  for (const listener of listeners) listener();
}

export const DEVICES_PATH = "/devices";
export const PEOPLE_PATH = "/people";

export function sessionPath(sessionId: string): string {
  return `/sessions/${encodeURIComponent(sessionId)}`;
}

/** The full URL of a share link, to hand to someone. */
export function sharedUrl(token: string): string {
  return `${window.location.origin}/shared/${encodeURIComponent(token)}`;
}

/** The full URL of an invitation, to hand to the person invited. */
export function inviteUrl(token: string): string {
  return `${window.location.origin}/invite/${encodeURIComponent(token)}`;
}

/**
 * The page a path shows, and for a session, a share link or an invitation the session ID or
 * token in it (``param``).
 */
export type Route =
  | { page: "sessions" | "devices" | "people" | "notFound"; param: null }
  | { page: "session" | "shared" | "invite"; param: string };

export type PageName = Route["page"];

const PAGES: [RegExp, "sessions" | "devices" | "people"][] = [
  [/^\/?$/, "sessions"],
  [/^\/devices\/?$/, "devices"],
  [/^\/people\/?$/, "people"],
];

const PAGES_OF_ONE: [RegExp, "session" | "shared" | "invite"][] = [
  [/^\/sessions\/([^/]+)\/?$/, "session"],
  [/^\/shared\/([^/]+)\/?$/, "shared"],
  [/^\/invite\/([^/]+)\/?$/, "invite"],
];

/** The page a path shows (``notFound`` for any other path). */
export function routeOf(path: string): Route {
  for (const [pattern, page] of PAGES) {
    if (pattern.test(path)) return { page, param: null };
  }
  for (const [pattern, page] of PAGES_OF_ONE) {
    const match = pattern.exec(path);
    if (match) return { page, param: decodeURIComponent(match[1]) };
  }
  return { page: "notFound", param: null };
}

interface LinkProps extends Omit<AnchorHTMLAttributes<HTMLAnchorElement>, "href" | "onClick"> {
  to: string;
  children: ReactNode;
}

/** An ordinary link that navigates in place (modified clicks still open a new tab). */
export function Link({ to, children, ...props }: LinkProps): ReactElement {
  function onClick(event: MouseEvent<HTMLAnchorElement>): void {
    const modified = event.metaKey || event.ctrlKey || event.shiftKey || event.altKey;
    if (event.defaultPrevented || event.button !== 0 || modified) return;
    event.preventDefault();
    navigate(to);
  }
  return createElement("a", { ...props, href: to, onClick }, children);
}
