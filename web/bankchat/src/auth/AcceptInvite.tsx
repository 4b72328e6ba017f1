import { useQuery } from "convex/react";
import { useState } from "react";

import { api } from "../convex/_generated/api";
import { Link } from "../lib/Link";
import type { InviteInfo } from "../types";
import { NewAccountForm } from "./NewAccountForm";

const UNUSABLE: Record<Exclude<InviteInfo["state"], "valid">, [string, string]> = {
  used: [
    "Invitation already used",
    "This invitation link has already been used to make an account. If that was you, sign in.",
  ],
  revoked: [
    "Invitation withdrawn",
    "An administrator withdrew this invitation. Ask them for a new link.",
  ],
  expired: [
    "Invitation expired",
    "This invitation link is more than a week old. Ask an administrator for a new one.",
  ],
};

/** /invite/<token>, signed out: make the invited account, or say why the link cannot. */
export function AcceptInvite({ token }: { token: string }) {
  const info = useQuery(api.users.inviteInfo, { token });
  // why: signing up uses the link up, and the live answer turns "used" before the sign-in ends
  const [busy, setBusy] = useState(false);

  if (info === undefined) {
    return (
      <p className="loading" role="status">
        Loading…
      </p>
    );
  }
  if (info === null) {
    return (
      <Unusable
        title="Invitation not found"
        text="This invitation link is not valid: check that you copied all of it, or ask an administrator for a new one."
      />
    );
  }
  if (info.state !== "valid" && !busy) {
    const [title, text] = UNUSABLE[info.state];
    return <Unusable title={title} text={text} />;
  }
  return (
    <main className="signin">
      <NewAccountForm
        title="Accept your invitation"
        intro={
          <p className="muted">
            You are invited to bankchat as <strong className="invited">{info.email}</strong>. Choose
            a password to make your account.
          </p>
        }
        invitation={{ email: info.email, token }}
        onBusy={setBusy}
      />
    </main>
  );
}

function Unusable({ title, text }: { title: string; text: string }) {
  return (
    <main className="signin">
      <section className="card signin-form" aria-labelledby="invite-title">
        <h1 id="invite-title">{title}</h1>
        <p className="alert alert-warning">{text}</p>
        <Link to="/" className="button">
          Go to sign-in
        </Link>
      </section>
    </main>
  );
}
