import { useMutation, useQuery } from "convex/react";
import type { FunctionReturnType } from "convex/server";
import { useId, useState, type FormEvent } from "react";
import { api } from "../convex/_generated/api";
import { formatDateTime, isoTime } from "../format";
import { inviteUrl } from "../router";
import type { Me } from "../types";
import { useRun } from "../useRun";
import { Badge } from "./Badge";
import { CopyField } from "./CopyField";
import { ErrorNote } from "./ErrorNote";
import { PageHeading } from "./PageHeading";

/** An invitation just made: its one-time token is shown only now (users:inviteUser). */
type Invitation = FunctionReturnType<typeof api.users.inviteUser>;

/**
 * For administrators: invite people by email (a one-time link), revoke pending invitations,
 * disable and enable accounts. ``me``: the signed-in person.
 */
export function PeoplePage({ me }: { me: Me }) {
  if (!me.isAdmin) {
    return (
      <>
        <PageHeading>People</PageHeading>
        <p>Only an administrator can invite people and manage accounts.</p>
      </>
    );
  }
  return (
    <>
      <PageHeading>People</PageHeading>
      <p className="intro">
        Sign-up is by invitation: invite someone by email and send them the link.
      </p>
      <InviteForm />
      <PendingInvites />
      <Accounts me={me} />
    </>
  );
}

function InviteForm() {
  const [email, setEmail] = useState("");
  const [isAdmin, setIsAdmin] = useState(false);
  const [sent, setSent] = useState<Invitation | null>(null);
  const invite = useRun(useMutation(api.users.inviteUser));
  const ids = { email: useId(), admin: useId() };

  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const result = await invite.run({ email: email.trim(), isAdmin });
    if (result.ok) {
      setSent(result.value);
      setEmail("");
      setIsAdmin(false);
    }
  }

  return (
    <div className="invite panel">
      <form className="fields" onSubmit={submit} aria-labelledby="invite-heading">
        <h2 id="invite-heading" className="fields-title">
          Invite someone
        </h2>
        <div className="field">
          <label htmlFor={ids.email}>Email</label>
          <input
            id={ids.email}
            type="email"
            required
            value={email}
            placeholder="name@example.com"
            onChange={(event) => setEmail(event.target.value)}
          />
        </div>
        <div className="field checkbox">
          <input
            id={ids.admin}
            type="checkbox"
            checked={isAdmin}
            onChange={(event) => setIsAdmin(event.target.checked)}
          />
          <label htmlFor={ids.admin}>Administrator</label>
        </div>
        <button type="submit" className="primary" disabled={invite.busy || !email.trim()}>
          Invite
        </button>
      </form>
      <ErrorNote error={invite.error} />
      {sent && (
        <div className="one-time">
          <p>
            Send this link to <strong>{sent.email}</strong>. It is shown only now, works once, and
            expires <time dateTime={isoTime(sent.expiresAt)}>{formatDateTime(sent.expiresAt)}</time>
            .
          </p>
          <CopyField
            label="Invitation link"
            copyLabel="Copy the invitation link"
            value={inviteUrl(sent.token)}
          />
          <button type="button" onClick={() => setSent(null)}>
            Done
          </button>
        </div>
      )}
    </div>
  );
}

function PendingInvites() {
  const invites = useQuery(api.users.listInvites, {});
  const revoke = useRun(useMutation(api.users.revokeInvite));
  return (
    <section aria-labelledby="invites-heading">
      <h2 id="invites-heading" className="section-title">
        Pending invitations
      </h2>
      {invites === undefined ? (
        <p className="hint">Loading invitations…</p>
      ) : invites.length === 0 ? (
        <p className="empty">No pending invitations.</p>
      ) : (
        <ul className="plain-list">
          {invites.map((invite) => (
            <li key={invite._id} className="list-row panel" data-invite={invite.email}>
              <span className="list-main">
                <strong>{invite.email}</strong>
                <span className="meta">
                  {invite.isAdmin && <Badge state="admin">Administrator</Badge>}
                  <span>
                    Expires{" "}
                    <time dateTime={isoTime(invite.expiresAt)}>
                      {formatDateTime(invite.expiresAt)}
                    </time>
                  </span>
                </span>
              </span>
              <button
                type="button"
                className="danger"
                disabled={revoke.busy}
                aria-label={`Revoke the invitation of ${invite.email}`}
                onClick={() => revoke.run({ inviteId: invite._id })}
              >
                Revoke
              </button>
            </li>
          ))}
        </ul>
      )}
      <ErrorNote error={revoke.error} />
    </section>
  );
}

function Accounts({ me }: { me: Me }) {
  const users = useQuery(api.users.listUsers, {});
  const setActive = useRun(useMutation(api.users.setActive));
  return (
    <section aria-labelledby="accounts-heading">
      <h2 id="accounts-heading" className="section-title">
        Accounts
      </h2>
      {users === undefined ? (
        <p className="hint">Loading accounts…</p>
      ) : (
        <ul className="plain-list">
          {users.map((user) => (
            <li key={user._id} className="list-row panel" data-user={user.email}>
              <span className="list-main">
                <strong>{user.email}</strong>
                <span className="meta">
                  <span>{user.name}</span>
                  {user.isAdmin && <Badge state="admin">Administrator</Badge>}
                  {!user.isActive && <Badge state="disabled">Disabled</Badge>}
                  <span>
                    Joined{" "}
                    <time dateTime={isoTime(user.createdAt)}>{formatDateTime(user.createdAt)}</time>
                  </span>
                </span>
              </span>
              {user._id === me._id ? (
                <span className="hint">You</span>
              ) : (
                <button
                  type="button"
                  className={user.isActive ? "danger" : undefined}
                  disabled={setActive.busy}
                  aria-label={`${user.isActive ? "Disable" : "Enable"} ${user.email}`}
                  onClick={() => setActive.run({ userId: user._id, isActive: !user.isActive })}
                >
                  {user.isActive ? "Disable" : "Enable"}
                </button>
              )}
            </li>
          ))}
        </ul>
      )}
      <ErrorNote error={setActive.error} />
    </section>
  );
}
