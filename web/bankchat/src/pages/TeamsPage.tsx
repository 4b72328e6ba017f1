import { useMutation, useQuery } from "convex/react";
import { useState, type FormEvent } from "react";

import { api } from "../convex/_generated/api";
import { errorMessage } from "../lib/errors";
import type { Id, Team } from "../types";
import { SharedQueries } from "./SharedQueries";
import { InvitationsForYou, TeamPending } from "./TeamInvites";

/** The user's teams: answer invitations, create a team, invite members, and the queries
 * shared with each. */
export default function TeamsPage() {
  const teams = useQuery(api.teams.myTeams);
  const [chosen, setChosen] = useState<Id<"teams"> | null>(null);
  const team = teams?.find((t) => t._id === chosen) ?? teams?.[0];
  return (
    <section className="page" aria-labelledby="teams-title">
      <h1 id="teams-title">Teams</h1>
      <InvitationsForYou onJoined={setChosen} />
      <div className="split">
        <div className="card">
          <h2>Your teams</h2>
          {teams === undefined ? (
            <p className="muted">Loading…</p>
          ) : teams.length === 0 ? (
            <p className="muted">You are in no team yet.</p>
          ) : (
            <ul className="plain-list">
              {teams.map((t) => (
                <li key={t._id}>
                  <button
                    type="button"
                    className={t._id === team?._id ? "link current" : "link"}
                    aria-pressed={t._id === team?._id}
                    onClick={() => setChosen(t._id)}
                  >
                    {t.name}
                  </button>{" "}
                  <span className="muted">({t.myRole})</span>
                </li>
              ))}
            </ul>
          )}
          <CreateTeam onCreated={setChosen} />
        </div>
        {team && <TeamDetail key={team._id} team={team} />}
      </div>
    </section>
  );
}

function CreateTeam({ onCreated }: { onCreated: (id: Id<"teams">) => void }) {
  const create = useMutation(api.teams.createTeam);
  const [name, setName] = useState("");
  const [error, setError] = useState<string | null>(null);
  async function submit(event: FormEvent) {
    event.preventDefault();
    try {
      onCreated(await create({ name }));
      setName("");
      setError(null);
    } catch (failure) {
      setError(errorMessage(failure));
    }
  }
  return (
    <form className="stack" onSubmit={submit}>
      <label htmlFor="team-name">New team name</label>
      <div className="row">
        <input id="team-name" required value={name} onChange={(e) => setName(e.target.value)} />
        <button type="submit" className="primary small">
          Create team
        </button>
      </div>
      {error && (
        <p className="alert alert-error" role="alert">
          {error}
        </p>
      )}
    </form>
  );
}

function TeamDetail({ team }: { team: Team }) {
  const members = useQuery(api.teams.members, { teamId: team._id });
  return (
    <div className="card">
      <h2>{team.name}</h2>
      <h3>Members</h3>
      <ul className="plain-list">
        {(members ?? []).map((m) => (
          <li key={m.userId}>
            {m.name}{" "}
            <span className="muted invited">
              {m.email} ({m.role})
            </span>
          </li>
        ))}
      </ul>
      {team.myRole === "owner" && (
        <>
          <InviteMember teamId={team._id} />
          <TeamPending teamId={team._id} />
        </>
      )}
      <SharedQueries teamId={team._id} />
    </div>
  );
}

/** Owners invite by email; the invitee joins by accepting. The answer never says whether the
 * email has an account. */
function InviteMember({ teamId }: { teamId: Id<"teams"> }) {
  const invite = useMutation(api.teams.addMember);
  const [email, setEmail] = useState("");
  const [sent, setSent] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  async function submit(event: FormEvent) {
    event.preventDefault();
    setSent(null);
    try {
      const { invited } = await invite({ teamId, email });
      setSent(`Invitation sent to ${invited}.`);
      setEmail("");
      setError(null);
    } catch (failure) {
      setError(errorMessage(failure));
    }
  }
  return (
    <form className="stack" onSubmit={submit}>
      <label htmlFor="member-email">Invite by email</label>
      <div className="row">
        <input
          id="member-email"
          type="email"
          required
          value={email}
          onChange={(e) => setEmail(e.target.value)}
        />
        <button type="submit" className="small">
          Invite
        </button>
      </div>
      {sent && (
        <p className="status-line" role="status">
          {sent}
        </p>
      )}
      {error && (
        <p className="alert alert-error" role="alert">
          {error}
        </p>
      )}
    </form>
  );
}
