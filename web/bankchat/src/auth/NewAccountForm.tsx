import { useId, useState, type FormEvent, type ReactNode } from "react";

import { Link } from "../lib/Link";
import { navigate } from "../lib/router";
import { MIN_PASSWORD, signUp, SignUpError } from "./newAccount";

interface Props {
  title: string;
  intro: ReactNode;
  /** The invitation's email (shown, not editable) and its token. */
  invitation?: { email: string; token: string };
  /** Told when a sign-up starts and when it fails (an invitation's page keeps the form while
   * its link turns "used" under it). */
  onBusy?: (busy: boolean) => void;
}

/** A new account's form: email, name, a password typed twice; signs the account in. */
export function NewAccountForm({ title, intro, invitation, onBusy }: Props) {
  const id = useId();
  const [email, setEmail] = useState(invitation?.email ?? "");
  const [name, setName] = useState("");
  const [password, setPassword] = useState("");
  const [again, setAgain] = useState("");
  const [error, setError] = useState<ReactNode>(null);
  const [busy, setBusy] = useState(false);

  function working(state: boolean) {
    setBusy(state);
    onBusy?.(state);
  }

  async function submit(event: FormEvent) {
    event.preventDefault();
    if (password.length < MIN_PASSWORD) {
      setError(`Passwords need at least ${MIN_PASSWORD} characters.`);
      return;
    }
    if (password !== again) {
      setError("The two passwords differ: type the same password twice.");
      return;
    }
    setError(null);
    working(true);
    try {
      await signUp({
        email: email.trim(),
        password,
        ...(name.trim() ? { name: name.trim() } : {}),
        ...(invitation ? { invite: invitation.token } : {}),
      });
      navigate("/");
    } catch (failure) {
      working(false);
      const message = failure instanceof Error ? failure.message : String(failure);
      const signInInstead = !(failure instanceof SignUpError) || failure.code === "account_exists";
      setError(
        signInInstead ? (
          <>
            {message} <Link to="/">Go to sign-in</Link>
          </>
        ) : (
          message
        ),
      );
    }
  }

  return (
    <form className="card signin-form" onSubmit={submit} aria-labelledby={`${id}-title`}>
      <h1 id={`${id}-title`}>{title}</h1>
      {intro}
      <label htmlFor={`${id}-email`}>Email</label>
      <input
        id={`${id}-email`}
        type="email"
        autoComplete="username"
        required
        readOnly={invitation !== undefined}
        value={email}
        onChange={(e) => setEmail(e.target.value)}
      />
      <label htmlFor={`${id}-name`}>Your name (optional)</label>
      <input
        id={`${id}-name`}
        autoComplete="name"
        value={name}
        onChange={(e) => setName(e.target.value)}
      />
      <label htmlFor={`${id}-password`}>Choose a password</label>
      <input
        id={`${id}-password`}
        type="password"
        autoComplete="new-password"
        required
        aria-describedby={`${id}-hint`}
        value={password}
        onChange={(e) => setPassword(e.target.value)}
      />
      <p id={`${id}-hint`} className="muted small-text hint">
        At least {MIN_PASSWORD} characters.
      </p>
      <label htmlFor={`${id}-again`}>Repeat the password</label>
      <input
        id={`${id}-again`}
        type="password"
        autoComplete="new-password"
        required
        value={again}
        onChange={(e) => setAgain(e.target.value)}
      />
      {error && (
        <p className="alert alert-error" role="alert">
          {error}
        </p>
      )}
      <button type="submit" className="primary" disabled={busy}>
        {busy ? "Creating your account…" : "Create my account"}
      </button>
    </form>
  );
}
