import { useSyncExternalStore, type MouseEvent } from "react";

// A small client-side router under the dashboard's base path (/_dashboard/): "/data",
// "/data/<table>", "/functions", "/logs", "/scheduled", "/files", "/environment", "/health".
// The server answers every unknown path under /_dashboard with index.html, so these URLs
// work on reload and as links.

const BASE = import.meta.env.BASE_URL.replace(/\/$/, ""); // "/_dashboard"

export const PAGES = [
  { id: "data", title: "Data" },
  { id: "functions", title: "Functions" },
  { id: "logs", title: "Logs" },
  { id: "scheduled", title: "Scheduled" },
  { id: "files", title: "Files" },
  { id: "environment", title: "Environment" },
  { id: "health", title: "Health" },
] as const;

export type PageId = (typeof PAGES)[number]["id"];

export type Route = { page: PageId; param: string | null };

const listeners = new Set<() => void>();
let focusPending = false;

function subscribe(listener: () => void): () => void {
  listeners.add(listener);
  window.addEventListener("popstate", listener);
  return () => {
    listeners.delete(listener);
    window.removeEventListener("popstate", listener);
  };
}

window.addEventListener("popstate", () => {
  focusPending = true;
});

/** True once after each client-side navigation: whether the new page's heading takes focus. */
export function takeNavigationFocus(): boolean {
  const pending = focusPending;
  focusPending = false;
  return pending;
}

export function parseRoute(pathname: string): Route {
  const rest = pathname.startsWith(BASE) ? pathname.slice(BASE.length) : pathname;
  const [first = "", second] = rest.split("/").filter(Boolean);
  const page = PAGES.find((p) => p.id === first)?.id ?? "data";
  return { page, param: second ? decodeURIComponent(second) : null };
}

export function useRoute(): Route {
  const path = useSyncExternalStore(subscribe, () => window.location.pathname);
  return parseRoute(path);
}

export function href(page: PageId, param?: string | null): string {
  return `${BASE}/${page}${param ? `/${encodeURIComponent(param)}` : ""}`;
}

export function navigate(url: string): void {
  window.history.pushState(null, "", url);
  focusPending = true;
  for (const listener of listeners) listener();
}

/** onClick for an in-app link: navigate without reloading (new tabs still work). */
export function followLink(event: MouseEvent<HTMLAnchorElement>): void {
  if (event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) {
    return;
  }
  event.preventDefault();
  navigate(event.currentTarget.getAttribute("href") ?? BASE);
}
