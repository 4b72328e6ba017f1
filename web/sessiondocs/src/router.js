import { createElement, useSyncExternalStore } from "react";

// A two-route client-side router: "/" (sessions) and "/sessions/<id>" (one session). The server
// answers every unknown path with index.html, so these URLs also work on reload and as links.

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

export function sessionPath(sessionId) {
  return `/sessions/${encodeURIComponent(sessionId)}`;
}

/** The session ID in a "/sessions/<id>" path, or null for any other path. */
export function sessionIdFromPath(path) {
  const match = /^\/sessions\/([^/]+)\/?$/.exec(path);
  return match ? decodeURIComponent(match[1]) : null;
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
