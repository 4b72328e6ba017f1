import { useId, useState, type FormEvent } from "react";

import { ErrorNote } from "./components";

/** The sign-in form: the deployment's admin key (`livebase admin-key --data-dir DIR`). */
export function SignIn({
  onSignIn,
  initialError,
}: {
  onSignIn: (key: string) => Promise<string | null>;
  initialError: string | null;
}) {
  const [key, setKey] = useState("");
  const [error, setError] = useState<string | null>(initialError);
  const [busy, setBusy] = useState(false);
  const hintId = useId();

  async function submit(event: FormEvent) {
    event.preventDefault();
    const trimmed = key.trim();
    if (!trimmed) {
      setError("Enter the admin key.");
      return;
    }
    setBusy(true);
    setError(null);
    const why = await onSignIn(trimmed);
    setBusy(false);
    if (why !== null) setError(why);
  }

  return (
    <main className="center" id="main">
      <form className="sign-in card" onSubmit={submit} noValidate>
        <h1>livebase dashboard</h1>
        <p className="muted">{window.location.host}</p>
        <label htmlFor="admin-key">Admin key</label>
        <input
          id="admin-key"
          type="password"
          autoComplete="off"
          spellCheck={false}
          value={key}
          aria-describedby={hintId}
          aria-invalid={error ? true : undefined}
          onChange={(event) => setKey(event.target.value)}
          autoFocus
        />
        <p id={hintId} className="hint">
          Print it on the server with <code>livebase admin-key --data-dir DIR</code>. It is kept
          only in this tab until you sign out.
        </p>
        <ErrorNote error={error} />
        <button type="submit" className="primary" disabled={busy}>
          {busy ? "Checking…" : "Sign in"}
        </button>
      </form>
    </main>
  );
}
