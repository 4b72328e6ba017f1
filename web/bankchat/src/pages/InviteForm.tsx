import { useMutation } from "convex/react";
import { useEffect, useRef, useState, type FormEvent } from "react";

import { api } from "../convex/_generated/api";
import { errorMessage } from "../lib/errors";
import { formatTime } from "../lib/format";
import { invitePath } from "../lib/router";
import type { Invitation, Role } from "../types";
import { RoleChecks } from "./RoleChecks";

/** Invite an email with roles: the answer is a one-time sign-up link, shown here once. */
export function InviteForm({ roles }: { roles: Role[] }) {
  const invite = useMutation(api.users.inviteUser);
  const [email, setEmail] = useState("");
  const [chosen, setChosen] = useState<string[]>([]);
  const [made, setMade] = useState<Invitation | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function submit(event: FormEvent) {
    event.preventDefault();
    setBusy(true);
    try {
      setMade(await invite({ email: email.trim(), roles: chosen }));
      setEmail("");
      setChosen([]);
      setError(null);
    } catch (failure) {
      setError(errorMessage(failure));
    } finally {
      setBusy(false);
    }
  }

  return (
    <div className="card">
      <form className="form-grid" onSubmit={submit} aria-labelledby="invite-title">
        <h2 id="invite-title">Invite someone</h2>
        <label htmlFor="invite-email">Email</label>
        <input
          id="invite-email"
          type="email"
          required
          value={email}
          onChange={(e) => setEmail(e.target.value)}
        />
        <RoleChecks
          legend="Roles of the new account"
          roles={roles}
          chosen={chosen}
          onChange={setChosen}
          describe
        />
        {chosen.length === 0 && (
          <p className="muted small-text">
            With no role, the account can sign in but see nothing until you grant one.
          </p>
        )}
        {error && (
          <p className="alert alert-error" role="alert">
            {error}
          </p>
        )}
        <button type="submit" className="primary" disabled={busy}>
          Create invitation link
        </button>
      </form>
      {made && <InviteLink invitation={made} />}
    </div>
  );
}

/** The link of a new invitation, focused and selected, with a copy button. */
function InviteLink({ invitation }: { invitation: Invitation }) {
  const link = `${window.location.origin}${invitePath(invitation.token)}`;
  const field = useRef<HTMLInputElement>(null);
  const [copied, setCopied] = useState<string | null>(null);
  useEffect(() => {
    field.current?.focus();
    setCopied(null);
  }, [link]);

  async function copy() {
    try {
      await navigator.clipboard.writeText(link);
      setCopied("Link copied.");
    } catch {
      // why: the clipboard API needs a secure origin and the page's focus; selecting the
      // text still lets the person copy it themselves
      field.current?.select();
      setCopied("Copying failed: the link is selected, press Ctrl+C.");
    }
  }

  return (
    <div className="invite-link">
      <p role="status">
        Invitation for <strong className="invited">{invitation.email}</strong>, valid until{" "}
        {formatTime(invitation.expiresAt)}. Send them this link now: it is shown only once.
      </p>
      <label htmlFor="invite-link">Invitation link</label>
      <div className="row">
        <input
          ref={field}
          id="invite-link"
          className="link-field"
          readOnly
          value={link}
          onFocus={(e) => e.target.select()}
        />
        <button type="button" className="small" onClick={() => void copy()}>
          Copy link
        </button>
      </div>
      {copied && (
        <p className="muted small-text" role="status">
          {copied}
        </p>
      )}
    </div>
  );
}
