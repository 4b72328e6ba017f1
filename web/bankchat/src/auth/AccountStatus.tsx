// Pages for a signed-in person who cannot use the app (yet): each says why, whom it is about,
// and offers to sign out. users:me is live, so they turn into the app when that changes.
import type { ReactNode } from "react";

import { navigate } from "../lib/router";
import type { Me } from "../types";
import { signOut } from "./session";

function StatusCard({ title, children }: { title: string; children: ReactNode }) {
  return (
    <main className="signin">
      <section className="card signin-form" aria-labelledby="account-title">
        <h1 id="account-title">{title}</h1>
        {children}
      </section>
    </main>
  );
}

function SignedInAs({ email }: { email: string }) {
  return (
    <p>
      Signed in as <strong className="invited">{email}</strong>.
    </p>
  );
}

function SignOutButton() {
  return (
    <button type="button" onClick={() => void signOut()}>
      Sign out
    </button>
  );
}

/** An account no administrator has given a role: it can see none of the bank's data. */
export function NoRolePage({ me }: { me: Me }) {
  return (
    <StatusCard title="No role yet">
      <SignedInAs email={me.email} />
      <p className="alert alert-warning" role="status">
        Your account has no role yet: an administrator must grant you one before you can ask
        questions. This page opens the app as soon as they do.
      </p>
      <SignOutButton />
    </StatusCard>
  );
}

/** A disabled account. */
export function DisabledPage({ me }: { me: Me }) {
  return (
    <StatusCard title="Account disabled">
      <SignedInAs email={me.email} />
      <p className="alert alert-error" role="status">
        An administrator has disabled this account. Ask them to enable it again.
      </p>
      <SignOutButton />
    </StatusCard>
  );
}

/** An invitation link opened while signed in: the invitation is for a new account. */
export function SignedInInvite({ me }: { me: Me }) {
  return (
    <StatusCard title="You are already signed in">
      <SignedInAs email={me.email} />
      <p>
        This invitation link makes a new account. To accept it, sign out first: the link then shows
        the invitation.
      </p>
      <div className="row">
        <SignOutButton />
        <button type="button" className="primary" onClick={() => navigate("/")}>
          Go to the app
        </button>
      </div>
    </StatusCard>
  );
}
