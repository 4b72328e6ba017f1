import { useQuery } from "convex/react";
import { useState, type FormEvent } from "react";

import { api } from "../convex/_generated/api";
import { Link } from "../lib/Link";
import { signIn } from "./session";

/** The sign-in form (livebase's password provider), with the demo accounts to pick from on a
 * server started with --demo. */
export function SignIn() {
  const demoAccounts = useQuery(api.users.demoAccounts) ?? [];
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function submit(event: FormEvent) {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await signIn(email.trim(), password);
    } catch (failure) {
      setError(failure instanceof Error ? failure.message : String(failure));
    } finally {
      setBusy(false);
    }
  }

  return (
    <main className="signin">
      <form className="card signin-form" onSubmit={submit} aria-labelledby="signin-title">
        <h1 id="signin-title">Sign in to bankchat</h1>
        <p className="muted">Ask the bank's database questions in plain language.</p>
        <label htmlFor="signin-email">Email</label>
        <input
          id="signin-email"
          type="email"
          autoComplete="username"
          required
          value={email}
          onChange={(e) => setEmail(e.target.value)}
        />
        <label htmlFor="signin-password">Password</label>
        <input
          id="signin-password"
          type="password"
          autoComplete="current-password"
          required
          value={password}
          onChange={(e) => setPassword(e.target.value)}
        />
        {error && (
          <p className="alert alert-error" role="alert">
            {error}
          </p>
        )}
        <button type="submit" className="primary" disabled={busy}>
          {busy ? "Signing in…" : "Sign in"}
        </button>
        <p className="muted small-text">
          No account? Accounts come from an administrator's invitation link, or{" "}
          <Link to="/signup">create one</Link> with an email your organisation allows.
        </p>
        {demoAccounts.length > 0 && (
          <details className="demo-users">
            <summary>Demo accounts</summary>
            <p className="muted">
              Each has the password <code>{demoAccounts[0].password}</code>.
            </p>
            <ul>
              {demoAccounts.map((demo) => (
                <li key={demo.email}>
                  <button
                    type="button"
                    className="link"
                    onClick={() => {
                      setEmail(demo.email);
                      setPassword(demo.password);
                    }}
                  >
                    {demo.email}
                  </button>{" "}
                  <span className="muted">({demo.role})</span>
                </li>
              ))}
            </ul>
          </details>
        )}
      </form>
    </main>
  );
}
