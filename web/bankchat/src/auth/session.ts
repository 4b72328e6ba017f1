// The signed-in session: livebase's password provider over HTTP (/api/auth/*), kept in
// localStorage so every tab of the app shares it. Refresh tokens are single-use, so tabs
// refresh one at a time (a Web Lock) and take a token another tab already refreshed.
import { useSyncExternalStore } from "react";

export interface Session {
  token: string;
  refreshToken: string;
  expiresAt: number; // ms
  email: string;
}

const KEY = "bankchat.session";
const EARLY_MS = 60_000; // refresh a token that runs out within a minute

let current: Session | null = read();
const listeners = new Set<() => void>();

function read(): Session | null {
  try {
    const raw = window.localStorage.getItem(KEY);
    return raw ? (JSON.parse(raw) as Session) : null;
  } catch {
    return null;
  }
}

function store(session: Session | null): void {
  current = session;
  if (session) window.localStorage.setItem(KEY, JSON.stringify(session));
  else window.localStorage.removeItem(KEY);
  listeners.forEach((listener) => listener());
}

window.addEventListener("storage", (event) => {
  if (event.key !== KEY && event.key !== null) return;
  current = read();
  listeners.forEach((listener) => listener());
});

function subscribe(listener: () => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

/** The session, re-rendering when it starts or ends (in this tab or another). */
export function useSession(): Session | null {
  return useSyncExternalStore(subscribe, () => current);
}

export class AuthError extends Error {}

async function post(path: string, body: object): Promise<Record<string, unknown>> {
  const response = await fetch(`/api/auth/${path}`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify(body),
  });
  const data = (await response.json().catch(() => ({}))) as Record<string, unknown>;
  if (!response.ok) throw new AuthError(String(data.message ?? `Error ${response.status}`));
  return data;
}

function sessionFrom(data: Record<string, unknown>, email: string): Session {
  return {
    token: String(data.token),
    refreshToken: String(data.refreshToken),
    expiresAt: Number(data.expiresAt),
    email: String(data.email ?? email),
  };
}

export async function signIn(email: string, password: string): Promise<void> {
  store(sessionFrom(await post("signin", { email, password }), email));
}

export async function signOut(): Promise<void> {
  const session = current;
  store(null);
  if (session) await post("signout", { refreshToken: session.refreshToken }).catch(() => {});
}

async function oneTabAtATime<T>(work: () => Promise<T>): Promise<T> {
  if (navigator.locks) return navigator.locks.request("bankchat.refresh", work);
  return work();
}

/**
 * Whether the server still accepts `token`: a query run with it is not refused as
 * unauthenticated. Unlike a refresh this uses nothing up, so a reload may cut it short.
 */
async function accepted(token: string): Promise<boolean> {
  try {
    const response = await fetch("/api/query", {
      method: "POST",
      headers: { "Content-Type": "application/json", Authorization: `Bearer ${token}` },
      body: JSON.stringify({ path: "users:me", args: {}, format: "json" }),
    });
    return response.status !== 401;
  } catch {
    return true; // offline: a refresh could not get through either
  }
}

let handedOut: string | null = null;

/**
 * A valid access token for the Convex client, or null when the session has ended.
 * `force`: the client wants a new one. It asks so right after the server accepted the token
 * it had (on every page load), when that token runs out, and when the server refused it.
 */
export async function accessToken(force: boolean): Promise<string | null> {
  return oneTabAtATime(async () => {
    const session = read();
    if (session === null) return null;
    const fresh = session.expiresAt - Date.now() > EARLY_MS;
    // why: with `force`, a token another tab refreshed since we last asked is new enough
    if (fresh && (!force || session.token !== handedOut)) {
      handedOut = session.token;
      return session.token;
    }
    // why: a refresh uses up the refresh token; if the page reloads before the answer is
    // stored, the stored one is spent and the next load signs the person out. So a token
    // that is fresh and still accepted is kept, and the session is refreshed only when the
    // token runs out or the server refused it.
    if (fresh && (await accepted(session.token))) return session.token;
    try {
      const renewed = sessionFrom(
        await post("refresh", { refreshToken: session.refreshToken }),
        session.email,
      );
      store(renewed);
      handedOut = renewed.token;
      return renewed.token;
    } catch (error) {
      if (error instanceof AuthError) store(null); // the session has ended: sign in again
      return null;
    }
  });
}
