import { useMutation, useQuery } from "convex/react";
import type { FunctionReturnType } from "convex/server";
import { useId, useState, type FormEvent } from "react";
import { api } from "../convex/_generated/api";
import { formatDateTime, isoTime, sessionTitle } from "../format";
import { sharedUrl } from "../router";
import type { Session } from "../types";
import { useRun, type MutationRun } from "../useRun";
import { CopyField } from "./CopyField";
import { ErrorNote } from "./ErrorNote";

type Shares = FunctionReturnType<typeof api.shares.listShares>;
/** What a person a session is shared with may do: "read" or "edit". */
type ShareAccess = Shares["people"][number]["access"];
/** A share link just made: its token is shown only now. */
type NewLink = FunctionReturnType<typeof api.shares.createLink>;

const ACCESS: [ShareAccess, string][] = [
  ["read", "Can read"],
  ["edit", "Can edit"],
];

/** The access a select's value names. */
function accessOf(value: string): ShareAccess {
  return value === "edit" ? "edit" : "read";
}

/**
 * The owner's sharing of a session, kept live: people (by email, to read or to edit; they need
 * an account to sign in) and read-only links for anyone, each revocable.
 */
export function SharePanel({ session, onClose }: { session: Session; onClose: () => void }) {
  const shares = useQuery(api.shares.listShares, { sessionId: session.sessionId });
  return (
    <section id="share-panel" className="share-panel panel" aria-labelledby="share-heading">
      <div className="section-head">
        <h2 id="share-heading">Share “{sessionTitle(session)}”</h2>
        <button type="button" onClick={onClose}>
          Close
        </button>
      </div>
      {shares === undefined ? (
        <p className="hint">Loading…</p>
      ) : (
        <div className="share-columns">
          <SharedPeople sessionId={session.sessionId} people={shares.people} />
          <ShareLinks sessionId={session.sessionId} links={shares.links} />
        </div>
      )}
    </section>
  );
}

function SharedPeople({ sessionId, people }: { sessionId: string; people: Shares["people"] }) {
  const share = useRun(useMutation(api.shares.shareWith));
  const unshare = useRun(useMutation(api.shares.unshare));
  return (
    <div className="share-people">
      <h3>People</h3>
      {people.length === 0 ? (
        <p className="hint">Not shared with anyone yet.</p>
      ) : (
        <ul className="plain-list" aria-label="People this session is shared with">
          {people.map((person) => (
            <li key={person.email} className="list-row">
              <span className="list-main">{person.email}</span>
              <select
                aria-label={`Access of ${person.email}`}
                value={person.access}
                disabled={share.busy}
                onChange={(event) =>
                  share.run({
                    sessionId,
                    email: person.email,
                    access: accessOf(event.target.value),
                  })
                }
              >
                {ACCESS.map(([value, label]) => (
                  <option key={value} value={value}>
                    {label}
                  </option>
                ))}
              </select>
              <button
                type="button"
                className="danger"
                disabled={unshare.busy}
                aria-label={`Stop sharing with ${person.email}`}
                onClick={() => unshare.run({ sessionId, email: person.email })}
              >
                Remove
              </button>
            </li>
          ))}
        </ul>
      )}
      <ErrorNote error={unshare.error} />
      <ShareWithForm sessionId={sessionId} share={share} />
    </div>
  );
}

interface ShareWithFormProps {
  sessionId: string;
  share: MutationRun<typeof api.shares.shareWith>;
}

function ShareWithForm({ sessionId, share }: ShareWithFormProps) {
  const [email, setEmail] = useState("");
  const [access, setAccess] = useState<ShareAccess>("read");
  const ids = { email: useId(), access: useId() };

  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    if ((await share.run({ sessionId, email: email.trim(), access })).ok) setEmail("");
  }

  return (
    <form className="fields share-form" onSubmit={submit} aria-label="Share with a person">
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
      <div className="field narrow">
        <label htmlFor={ids.access}>Access</label>
        <select
          id={ids.access}
          value={access}
          onChange={(event) => setAccess(accessOf(event.target.value))}
        >
          {ACCESS.map(([value, label]) => (
            <option key={value} value={value}>
              {label}
            </option>
          ))}
        </select>
      </div>
      <button type="submit" className="primary" disabled={share.busy || !email.trim()}>
        Add
      </button>
      <ErrorNote error={share.error} />
    </form>
  );
}

function ShareLinks({ sessionId, links }: { sessionId: string; links: Shares["links"] }) {
  const create = useRun(useMutation(api.shares.createLink));
  const revoke = useRun(useMutation(api.shares.revokeLink));
  const [created, setCreated] = useState<NewLink | null>(null);
  const shown = created && links.some((link) => link._id === created.linkId) ? created : null;

  async function createLink() {
    const result = await create.run({ sessionId });
    if (result.ok) setCreated(result.value);
  }

  return (
    <div className="share-links">
      <h3>Links</h3>
      <p className="hint">
        Anyone with a link can read this session, its screenshots and documentation without an
        account, until you revoke the link.
      </p>
      {shown && (
        <div className="one-time">
          <CopyField
            label="New share link"
            copyLabel="Copy the share link"
            value={sharedUrl(shown.token)}
          />
          <p className="hint">Shown only now: copy it and send it.</p>
        </div>
      )}
      {links.length > 0 && (
        <ul className="plain-list" aria-label="Share links">
          {links.map((link) => (
            <li key={link._id} className="list-row">
              <span className="list-main">
                Link created{" "}
                <time dateTime={isoTime(link.createdAt)}>{formatDateTime(link.createdAt)}</time>
              </span>
              <button
                type="button"
                className="danger"
                disabled={revoke.busy}
                aria-label={`Revoke the link created ${formatDateTime(link.createdAt)}`}
                onClick={() => revoke.run({ sessionId, linkId: link._id })}
              >
                Revoke
              </button>
            </li>
          ))}
        </ul>
      )}
      <button type="button" disabled={create.busy} onClick={createLink}>
        Create a share link
      </button>
      <ErrorNote error={create.error || revoke.error} />
    </div>
  );
}
