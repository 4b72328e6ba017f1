import { useMutation } from "convex/react";
import { useState } from "react";
import { canEdit, isOwner } from "../access";
import { api } from "../convex/_generated/api";
import { sessionTitle } from "../format";
import type { Session } from "../types";
import { useRun } from "../useRun";
import { ConfirmButton } from "./ConfirmButton";
import { ErrorNote } from "./ErrorNote";
import { RenameForm } from "./RenameForm";

/**
 * Rename and Delete for one session (the list's rows and the session page share them), as far
 * as the caller may: Rename for its owner and editors, Delete for its owner; nothing for a
 * read-only share. ``onDeleted`` runs after the session is gone.
 */
export function SessionActions({
  session,
  onDeleted,
}: {
  session: Session;
  onDeleted?: () => void;
}) {
  const [renaming, setRenaming] = useState(false);
  const rename = useRun(useMutation(api.sessions.renameSession));
  const remove = useRun(useMutation(api.sessions.deleteSession));
  const name = sessionTitle(session);
  if (!canEdit(session)) return null;

  async function save(title: string) {
    if ((await rename.run({ sessionId: session.sessionId, title })).ok) setRenaming(false);
  }

  async function confirmDelete() {
    if ((await remove.run({ sessionId: session.sessionId })).ok) onDeleted?.();
  }

  return (
    <div className="session-actions">
      {renaming ? (
        <RenameForm
          initial={session.title ?? ""}
          busy={rename.busy}
          onSave={save}
          onCancel={() => setRenaming(false)}
        />
      ) : (
        <div className="actions">
          <button type="button" onClick={() => setRenaming(true)} aria-label={`Rename ${name}`}>
            Rename
          </button>
          {isOwner(session) && (
            <ConfirmButton
              className="danger"
              question={`Delete “${name}” with its screenshots and documentation? This cannot be undone.`}
              confirmLabel="Delete session"
              disabled={remove.busy}
              aria-label={`Delete ${name}`}
              onConfirm={confirmDelete}
            >
              Delete
            </ConfirmButton>
          )}
        </div>
      )}
      <ErrorNote error={rename.error || remove.error} />
    </div>
  );
}
