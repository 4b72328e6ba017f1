import { useState, type FormEvent } from "react";

import { Link } from "../lib/Link";
import { signIn } from "./session";

const DEMO_USERS = [
  ["admin@bank.example", "admin"],
  ["analyst@bank.example", "analyst"],
  ["teller@bank.example", "teller"],
  ["auditor@bank.example", "auditor"],
] as const;

/** The sign-in form (livebase's password provider), with the demo accounts to pick from. */
export function SignIn() {
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
        <details className="demo-users">
          <summary>Demo accounts</summary>
          <p className="muted">
            Each has the password <code>livebase-demo</code>.
          </p>
          <ul>
            {DEMO_USERS.map(([demoEmail, role]) => (
              <li key={demoEmail}>
                <button
                  type="button"
                  className="link"
                  onClick={() => {
                    setEmail(demoEmail);
                    setPassword("livebase-demo");
                  }}
                >
                  {demoEmail}
                </button>{" "}
                <span className="muted">({role})</span>
              </li>
            ))}
          </ul>
        </details>
      </form>
    </main>
  );
}
