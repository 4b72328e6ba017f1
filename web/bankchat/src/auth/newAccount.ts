// Making an account with livebase's password provider (POST /api/auth/signup). Sign-up is
// closed: it takes an administrator's invitation (the token of its one-time link) or an email
// of a domain the server allows. The new account then signs in like any other.
import { signIn } from "./session";

export const MIN_PASSWORD = 8; // the provider's minimum length

export interface NewAccount {
  email: string;
  password: string;
  name?: string;
  invite?: string;
}

/** A refused sign-up: `code` is the server's (signup_closed, invalid_invite, ...). */
export class SignUpError extends Error {
  code: string;
  constructor(code: string, message: string) {
    super(message);
    this.code = code;
  }
}

/** The account was made but signing in failed: the person can sign in from the sign-in page. */
export class SignedUpError extends Error {}

function wait(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds <= 0) return "a moment";
  if (seconds < 90) return `${Math.ceil(seconds)} seconds`;
  return `${Math.ceil(seconds / 60)} minutes`;
}

function refusal(response: Response, data: Record<string, unknown>): SignUpError {
  const code = String(data.code ?? "error");
  if (code === "too_many_attempts" || code === "busy") {
    const retry = Number(response.headers.get("Retry-After"));
    return new SignUpError(code, `Too many attempts: try again in ${wait(retry)}.`);
  }
  if (code === "account_exists") {
    return new SignUpError(code, "An account with this email already exists: sign in instead.");
  }
  return new SignUpError(code, String(data.message ?? `Sign-up failed (error ${response.status})`));
}

/** Make the account, then sign it in (the session then starts in every tab). */
export async function signUp(account: NewAccount): Promise<void> {
  const response = await fetch("/api/auth/signup", {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify(account),
  });
  const data = (await response.json().catch(() => ({}))) as Record<string, unknown>;
  if (!response.ok) throw refusal(response, data);
  try {
    await signIn(account.email, account.password);
  } catch (failure) {
    const why = failure instanceof Error ? failure.message : String(failure);
    throw new SignedUpError(`Your account is ready, but signing in failed (${why}).`);
  }
}
