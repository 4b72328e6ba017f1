import { useQuery } from "convex/react";
import { useId, useState, type FormEvent } from "react";
import { AuthError, signIn } from "../auth/session";
import { api } from "../convex/_generated/api";
import { ErrorNote } from "./ErrorNote";
import { PageHeading } from "./PageHeading";

/** What to tell someone whose sign-in (or sign-up) was refused. */
export function refusal(error: unknown): string {
  if (error instanceof AuthError && error.code === "too_many_attempts" && error.retryAfter) {
    return `Too many failed attempts: try again in ${error.retryAfter} s.`;
  }
  return error instanceof Error ? error.message : String(error);
}

/** The sign-in form; everything else needs it, except share links and invitations. */
export function SignInPage() {
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const ids = { email: useId(), password: useId() };
  // the demo person, only on a server started with --demo (their password is public)
  const demo = useQuery(api.users.demoAccount);

  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await signIn(email.trim(), password);
    } catch (failure) {
      setError(refusal(failure));
      setBusy(false);
    }
  }

  function fillDemo() {
    if (!demo) return;
    setEmail(demo.email);
    setPassword(demo.password);
  }

  return (
    <div className="auth-page">
      <form className="auth-form panel" onSubmit={submit} aria-labelledby="sign-in-heading">
        <PageHeading id="sign-in-heading">Sign in</PageHeading>
        <p className="hint">Sessions, screenshots and documentation are private to their people.</p>
        <div className="field">
          <label htmlFor={ids.email}>Email</label>
          <input
            id={ids.email}
            type="email"
            autoComplete="username"
            required
            value={email}
            onChange={(event) => setEmail(event.target.value)}
          />
        </div>
        <div className="field">
          <label htmlFor={ids.password}>Password</label>
          <input
            id={ids.password}
            type="password"
            autoComplete="current-password"
            required
            value={password}
            onChange={(event) => setPassword(event.target.value)}
          />
        </div>
        <ErrorNote error={error} />
        <button type="submit" className="primary" disabled={busy}>
          {busy ? "Signing in…" : "Sign in"}
        </button>
        <p className="hint">No account? Ask an administrator for an invitation.</p>
        {demo && (
          <div className="demo-hint">
            <p>
              Demo: <strong>{demo.email}</strong>, password <strong>{demo.password}</strong>
            </p>
            <button type="button" onClick={fillDemo}>
              Use the demo account
            </button>
          </div>
        )}
      </form>
    </div>
  );
}
