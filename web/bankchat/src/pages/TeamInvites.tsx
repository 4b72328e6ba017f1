import { useMutation, useQuery } from "convex/react";
import { useState } from "react";

import { api } from "../convex/_generated/api";
import { errorMessage } from "../lib/errors";
import { formatTime } from "../lib/format";
import type { Id, TeamInvite, TeamPendingInvite } from "../types";

/** Team invitations waiting for the user's answer (nothing when there are none). */
export function InvitationsForYou({ onJoined }: { onJoined: (teamId: Id<"teams">) => void }) {
  const invites = useQuery(api.teams.myInvites);
  if (!invites || invites.length === 0) return null;
  return (
    <section className="card invitations" aria-labelledby="for-you-title">
      <h2 id="for-you-title">Invitations for you</h2>
      <ul className="plain-list rows" aria-labelledby="for-you-title">
        {invites.map((invite) => (
          <ForYou key={invite._id} invite={invite} onJoined={onJoined} />
        ))}
      </ul>
    </section>
  );
}

function ForYou({ invite, onJoined }: { invite: TeamInvite; onJoined: (id: Id<"teams">) => void }) {
  const accept = useMutation(api.teams.acceptInvite);
  const decline = useMutation(api.teams.declineInvite);
  const [error, setError] = useState<string | null>(null);
  async function answer(yes: boolean) {
    try {
      if (yes) onJoined(await accept({ inviteId: invite._id }));
      else await decline({ inviteId: invite._id });
    } catch (failure) {
      setError(errorMessage(failure));
    }
  }
  return (
    <li className="list-row">
      <div className="grow">
        <strong>{invite.teamName}</strong>
        <span className="muted small-text">
          {invite.invitedBy ? `from ${invite.invitedBy}, ` : ""}
          {formatTime(invite.createdAt)}
        </span>
      </div>
      <div className="row">
        <button type="button" className="primary small" onClick={() => void answer(true)}>
          Accept<span className="visually-hidden"> the invitation to {invite.teamName}</span>
        </button>
        <button type="button" className="small" onClick={() => void answer(false)}>
          Decline<span className="visually-hidden"> the invitation to {invite.teamName}</span>
        </button>
      </div>
      {error && (
        <p className="alert alert-error full" role="alert">
          {error}
        </p>
      )}
    </li>
  );
}

/** A team's invitations not yet answered (its owners see them), each one cancellable. */
export function TeamPending({ teamId }: { teamId: Id<"teams"> }) {
  const pending = useQuery(api.teams.pendingInvites, { teamId });
  if (!pending || pending.length === 0) return null;
  return (
    <>
      <h3 id="team-pending-title">Pending invitations</h3>
      <ul className="plain-list rows" aria-labelledby="team-pending-title">
        {pending.map((invite) => (
          <Pending key={invite._id} invite={invite} />
        ))}
      </ul>
    </>
  );
}

function Pending({ invite }: { invite: TeamPendingInvite }) {
  const cancel = useMutation(api.teams.cancelInvite);
  const [error, setError] = useState<string | null>(null);
  async function withdraw() {
    try {
      await cancel({ inviteId: invite._id });
    } catch (failure) {
      setError(errorMessage(failure));
    }
  }
  return (
    <li className="list-row">
      <div className="grow">
        <span className="invited">{invite.email}</span>
        <span className="muted small-text">invited {formatTime(invite.createdAt)}</span>
      </div>
      <button type="button" className="small" onClick={() => void withdraw()}>
        Cancel<span className="visually-hidden"> the invitation for {invite.email}</span>
      </button>
      {error && (
        <p className="alert alert-error full" role="alert">
          {error}
        </p>
      )}
    </li>
  );
}
