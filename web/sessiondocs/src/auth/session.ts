// The signed-in person's session: livebase's password provider over HTTP (/api/auth/*), kept in
// localStorage so every tab of the app shares it. Refresh tokens are single-use, so tabs refresh
// one at a time (a Web Lock) and take a token another tab already refreshed.
import { useSyncExternalStore } from "react";

const KEY = "sessiondocs.session";
const LOCK = "sessiondocs.refresh";
const EARLY_MS = 60_000; // refresh a token that runs out within a minute

/** A sign-in: its tokens, when the access token runs out, whose it is. ``id`` names one sign-in
 * and survives its token refreshes. */
export interface AuthSession {
  token: string;
  refreshToken: string;
  expiresAt: number;
  email: string;
  id: string;
}

/** What /api/auth answers (JSON), as far as it is read here. */
type Answer = Record<string, unknown>;

let current = read();
const listeners = new Set<() => void>();

function read(): AuthSession | null {
  try {
    const raw = window.localStorage.getItem(KEY);
    return raw ? (JSON.parse(raw) as AuthSession) : null;
  } catch {
    return null;
  }
}

function store(session: AuthSession | null): void {
  current = session;
  if (session) window.localStorage.setItem(KEY, JSON.stringify(session));
  else window.localStorage.removeItem(KEY);
  for (const listener of listeners) listener();
}

window.addEventListener("storage", (event) => {
  if (event.key !== KEY && event.key !== null) return;
  current = read();
  for (const listener of listeners) listener();
});

function subscribe(listener: () => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

/** The session or null; re-renders when it starts or ends, in this tab or another. */
export function useSession(): AuthSession | null {
  return useSyncExternalStore(subscribe, () => current);
}

/** A refusal from /api/auth: ``code`` (e.g. "invalid_invite"), the server's message, and for
 * too_many_attempts the seconds to wait (``retryAfter``). */
export class AuthError extends Error {
  code: string;
  retryAfter: number | null;

  constructor(code: string, message: string, retryAfter: number | null = null) {
    super(message);
    this.code = code;
    this.retryAfter = retryAfter;
  }
}

async function post(path: string, body: Record<string, string>): Promise<Answer> {
  const response = await fetch(`/api/auth/${path}`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify(body),
  });
  const data: Answer = await response.json().catch(() => ({}));
  if (!response.ok) {
    const wait = Number(response.headers.get("Retry-After")) || null;
    const message =
      typeof data.message === "string" ? data.message : `The server answered ${response.status}`;
    throw new AuthError(typeof data.code === "string" ? data.code : "error", message, wait);
  }
  return data;
}

function sessionFrom(data: Answer, id: string): AuthSession {
  return {
    token: String(data.token),
    refreshToken: String(data.refreshToken),
    expiresAt: Number(data.expiresAt),
    email: String(data.email),
    id,
  };
}

function newId(): string {
  return `${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}`;
}

/** Sign in with an email and password (AuthError when refused). */
export async function signIn(email: string, password: string): Promise<void> {
  store(sessionFrom(await post("signin", { email, password }), newId()));
}

interface SignUp {
  email: string;
  password: string;
  name?: string;
  /** an invitation's token */
  invite?: string;
}

/** Create an account (with an invitation's token, or in an allowed domain) and sign it in. */
export async function signUp({ email, password, name, invite }: SignUp): Promise<void> {
  const body: Record<string, string> = { email, password };
  if (name) body.name = name;
  if (invite) body.invite = invite;
  store(sessionFrom(await post("signup", body), newId()));
}

/** End the session in every tab, and on the server. */
export async function signOut(): Promise<void> {
  const session = current;
  store(null);
  if (session) await post("signout", { refreshToken: session.refreshToken }).catch(() => {});
}

async function oneTabAtATime<T>(work: () => Promise<T>): Promise<T> {
  if (navigator.locks) return navigator.locks.request(LOCK, work);
  return work();
}

let handedOut: string | null = null;

/**
 * A valid access token, or null when the session has ended. ``force``: the caller wants a new
 * one (its token is about to run out, or was refused).
 */
export async function accessToken(force = false): Promise<string | null> {
  return oneTabAtATime(async () => {
    const session = read();
    if (session === null) return null;
    const fresh = session.expiresAt - Date.now() > EARLY_MS;
    // why: with ``force``, a token another tab refreshed since we last asked is new enough
    if (fresh && (!force || session.token !== handedOut)) {
      handedOut = session.token;
      return session.token;
    }
    try {
      const renewed = sessionFrom(
        await post("refresh", { refreshToken: session.refreshToken }),
        session.id,
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
