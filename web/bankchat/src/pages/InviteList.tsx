import { useMutation, useQuery } from "convex/react";
import { useState } from "react";

import { api } from "../convex/_generated/api";
import { errorMessage } from "../lib/errors";
import { formatTime } from "../lib/format";
import type { PendingInvite } from "../types";

/** Invitations not yet used, live; revoking one makes its link stop working. */
export function InviteList() {
  const invites = useQuery(api.users.listInvites);
  return (
    <section className="card" aria-labelledby="invites-title">
      <h2 id="invites-title">Pending invitations</h2>
      {invites === undefined ? (
        <p className="muted">Loading…</p>
      ) : invites.length === 0 ? (
        <p className="muted">None: every invitation was used or withdrawn.</p>
      ) : (
        <ul className="plain-list rows" aria-labelledby="invites-title">
          {invites.map((invite) => (
            <PendingRow key={invite._id} invite={invite} />
          ))}
        </ul>
      )}
    </section>
  );
}

function PendingRow({ invite }: { invite: PendingInvite }) {
  const revoke = useMutation(api.users.revokeInvite);
  const [error, setError] = useState<string | null>(null);
  const expired = invite.expiresAt < Date.now();
  async function withdraw() {
    try {
      await revoke({ inviteId: invite._id });
    } catch (failure) {
      setError(errorMessage(failure));
    }
  }
  return (
    <li className="list-row">
      <div className="grow">
        <span className="invited">{invite.email}</span>
        <span className="muted small-text">
          {invite.roles.join(", ") || "no role"} · {expired ? "expired" : "expires"}{" "}
          {formatTime(invite.expiresAt)}
        </span>
      </div>
      <button type="button" className="small" onClick={() => void withdraw()}>
        Revoke<span className="visually-hidden"> the invitation for {invite.email}</span>
      </button>
      {error && (
        <p className="alert alert-error full" role="alert">
          {error}
        </p>
      )}
    </li>
  );
}
