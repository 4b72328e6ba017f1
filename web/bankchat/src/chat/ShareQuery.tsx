import { useMutation, useQuery } from "convex/react";
import { useId, useState, type FormEvent } from "react";

import { api } from "../convex/_generated/api";
import { errorMessage } from "../lib/errors";
import { Link } from "../lib/Link";
import type { Id } from "../types";

interface Props {
  sql: string;
  question?: string;
  onDone: (note?: string) => void;
}

/** Share an answer's query with one of the user's teams (its members are notified). */
export function ShareQuery({ sql, question, onDone }: Props) {
  const teams = useQuery(api.teams.myTeams);
  const share = useMutation(api.teams.shareQuery);
  const [teamId, setTeamId] = useState<Id<"teams"> | "">("");
  const [name, setName] = useState(question ?? "");
  const [error, setError] = useState<string | null>(null);
  const id = useId();

  if (teams === undefined) return <p className="muted">Loading teams…</p>;
  if (teams.length === 0) {
    return (
      <p className="tool-form muted">
        You are in no team yet. <Link to="/teams">Create one on the Teams page</Link>.
      </p>
    );
  }
  const chosen = teamId || teams[0]._id;
  const teamName = teams.find((t) => t._id === chosen)?.name ?? "the team";

  async function submit(event: FormEvent) {
    event.preventDefault();
    try {
      await share({ teamId: chosen, name, sql, ...(question ? { question } : {}) });
      onDone(`Shared with ${teamName}.`);
    } catch (failure) {
      setError(errorMessage(failure));
    }
  }

  return (
    <form className="tool-form" onSubmit={submit} aria-label="Share with a team">
      <label htmlFor={`${id}-team`}>Team</label>
      <select
        id={`${id}-team`}
        value={chosen}
        onChange={(e) => setTeamId(e.target.value as Id<"teams">)}
      >
        {teams.map((team) => (
          <option key={team._id} value={team._id}>
            {team.name}
          </option>
        ))}
      </select>
      <label htmlFor={`${id}-name`}>Name for the team</label>
      <input id={`${id}-name`} required value={name} onChange={(e) => setName(e.target.value)} />
      {error && (
        <p className="alert alert-error" role="alert">
          {error}
        </p>
      )}
      <div className="row">
        <button type="submit" className="primary small">
          Share
        </button>
        <button type="button" className="small" onClick={() => onDone()}>
          Cancel
        </button>
      </div>
    </form>
  );
}
