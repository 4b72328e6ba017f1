import { createElement, useSyncExternalStore } from "react";

// A small client-side router. Signed in: "/" (sessions), "/sessions/<id>" (one session),
// "/devices" and "/people"; without signing in: "/shared/<token>" (a read-only share link) and
// "/invite/<token>" (an invitation). The server answers every unknown path with index.html, so
// these URLs also work on reload and as links.

const listeners = new Set();
// set by a client-side navigation, taken by the next page heading that mounts (PageHeading)
let focusPending = false;

function onPopState() {
  focusPending = true;
}

function subscribe(listener) {
  listeners.add(listener);
  window.addEventListener("popstate", listener);
  return () => {
    listeners.delete(listener);
    window.removeEventListener("popstate", listener);
  };
}

window.addEventListener("popstate", onPopState);

/** True once after each client-side navigation: whether a new page should take the focus. */
export function takeNavigationFocus() {
  const pending = focusPending;
  focusPending = false;
  return pending;
}

/** The current location's path; re-renders on navigation and on back/forward. */
export function usePath() {
  return useSyncExternalStore(subscribe, () => window.location.pathname);
}

/** Go to ``path`` without reloading the page. */
export function navigate(path) {
  window.history.pushState(null, "", path);
  window.scrollTo(0, 0);
  focusPending = true;
  for (const listener of listeners) listener();
}

export const DEVICES_PATH = "/devices";
export const PEOPLE_PATH = "/people";

export function sessionPath(sessionId) {
  return `/sessions/${encodeURIComponent(sessionId)}`;
}

/** The full URL of a share link, to hand to someone. */
export function sharedUrl(token) {
  return `${window.location.origin}/shared/${encodeURIComponent(token)}`;
}

/** The full URL of an invitation, to hand to the person invited. */
export function inviteUrl(token) {
  return `${window.location.origin}/invite/${encodeURIComponent(token)}`;
}

const ROUTES = [
  [/^\/?$/, "sessions"],
  [/^\/sessions\/([^/]+)\/?$/, "session"],
  [/^\/devices\/?$/, "devices"],
  [/^\/people\/?$/, "people"],
  [/^\/shared\/([^/]+)\/?$/, "shared"],
  [/^\/invite\/([^/]+)\/?$/, "invite"],
];

/**
 * The page a path shows: ``{ page, param }``, where ``page`` is one of sessions, session,
 * devices, people, shared, invite or notFound, and ``param`` the session ID or token in it.
 */
export function routeOf(path) {
  for (const [pattern, page] of ROUTES) {
    const match = pattern.exec(path);
    if (match) return { page, param: match[1] === undefined ? null : decodeURIComponent(match[1]) };
  }
  return { page: "notFound", param: null };
}

/** An ordinary link that navigates in place (modified clicks still open a new tab). */
export function Link({ to, children, ...props }) {
  function onClick(event) {
    const modified = event.metaKey || event.ctrlKey || event.shiftKey || event.altKey;
    if (event.defaultPrevented || event.button !== 0 || modified) return;
    event.preventDefault();
    navigate(to);
  }
  return createElement("a", { ...props, href: to, onClick }, children);
}
