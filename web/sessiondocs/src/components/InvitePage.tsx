import { useQuery } from "convex/react";
import { useId, useState, type FormEvent } from "react";
import { signOut, signUp, useSession, type AuthSession } from "../auth/session";
import { api } from "../convex/_generated/api";
import { Link, navigate } from "../router";
import { ErrorNote } from "./ErrorNote";
import { PageHeading } from "./PageHeading";
import { refusal } from "./SignInPage";

const MIN_PASSWORD = 8;

const UNUSABLE: Record<"used" | "revoked" | "expired", string> = {
  used: "This invitation was already used. If it was yours, sign in.",
  revoked: "This invitation was revoked. Ask an administrator for a new one.",
  expired: "This invitation has expired. Ask an administrator for a new one.",
};

/** An invitation link: the invited person chooses a password and is signed in. */
export function InvitePage({ token }: { token: string }) {
  const invite = useQuery(api.users.inviteInfo, { token });
  const session = useSession();

  if (invite === undefined) return <p className="hint">Loading the invitation…</p>;
  if (invite === null) return <NotValid why="This invitation link is not valid." />;
  if (invite.state !== "valid") return <NotValid why={UNUSABLE[invite.state]} />;
  if (session !== null) return <SignedInAlready session={session} email={invite.email} />;
  return <AcceptForm token={token} email={invite.email} />;
}

function NotValid({ why }: { why: string }) {
  return (
    <div className="auth-page">
      <div className="auth-form panel">
        <PageHeading>Invitation not valid</PageHeading>
        <p>{why}</p>
        <p>
          <Link to="/">Go to sign-in</Link>
        </p>
      </div>
    </div>
  );
}

function SignedInAlready({ session, email }: { session: AuthSession; email: string }) {
  return (
    <div className="auth-page">
      <div className="auth-form panel">
        <PageHeading>Invitation for {email}</PageHeading>
        <p>
          You are signed in as {session.email}. Sign out first to accept this invitation, or{" "}
          <Link to="/">go to your sessions</Link>.
        </p>
        <button type="button" onClick={() => signOut()}>
          Sign out
        </button>
      </div>
    </div>
  );
}

function AcceptForm({ token, email }: { token: string; email: string }) {
  const [name, setName] = useState("");
  const [password, setPassword] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const ids = { email: useId(), name: useId(), password: useId(), hint: useId() };

  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await signUp({ email, password, name: name.trim(), invite: token });
      navigate("/");
    } catch (failure) {
      setError(refusal(failure));
      setBusy(false);
    }
  }

  return (
    <div className="auth-page">
      <form className="auth-form panel" onSubmit={submit} aria-labelledby="invite-heading">
        <PageHeading id="invite-heading">Join sessiondocs</PageHeading>
        <p className="hint">You were invited. Choose a password to create your account.</p>
        <div className="field">
          <label htmlFor={ids.email}>Email</label>
          <input id={ids.email} type="email" value={email} readOnly autoComplete="username" />
        </div>
        <div className="field">
          <label htmlFor={ids.name}>Name (optional)</label>
          <input
            id={ids.name}
            value={name}
            maxLength={200}
            autoComplete="name"
            onChange={(event) => setName(event.target.value)}
          />
        </div>
        <div className="field">
          <label htmlFor={ids.password}>Password</label>
          <input
            id={ids.password}
            type="password"
            autoComplete="new-password"
            required
            minLength={MIN_PASSWORD}
            aria-describedby={ids.hint}
            value={password}
            onChange={(event) => setPassword(event.target.value)}
          />
          <p id={ids.hint} className="hint">
            At least {MIN_PASSWORD} characters.
          </p>
        </div>
        <ErrorNote error={error} />
        <button type="submit" className="primary" disabled={busy}>
          {busy ? "Creating your account…" : "Create account"}
        </button>
      </form>
    </div>
  );
}
