import { useMutation } from "convex/react";
import { useId, useState, type FormEvent } from "react";

import { api } from "../convex/_generated/api";
import { errorMessage } from "../lib/errors";
import type { Id } from "../types";

interface Props {
  messageId: Id<"messages">;
  onDone: (note?: string) => void;
}

/** Report an answer as wrong, with a note, for an administrator to review. */
export function ReportWrong({ messageId, onDone }: Props) {
  const report = useMutation(api.reviews.reportWrong);
  const [note, setNote] = useState("");
  const [error, setError] = useState<string | null>(null);
  const id = useId();

  async function submit(event: FormEvent) {
    event.preventDefault();
    try {
      await report({ messageId, ...(note.trim() ? { note: note.trim() } : {}) });
      onDone("Sent for review: an administrator will correct or dismiss it.");
    } catch (failure) {
      setError(errorMessage(failure));
    }
  }

  return (
    <form className="tool-form" onSubmit={submit} aria-label="Report a wrong answer">
      <label htmlFor={`${id}-note`}>What is wrong? (optional)</label>
      <textarea
        id={`${id}-note`}
        rows={2}
        value={note}
        placeholder="e.g. it counted all accounts, not only the ones with a loan"
        onChange={(e) => setNote(e.target.value)}
      />
      {error && (
        <p className="alert alert-error" role="alert">
          {error}
        </p>
      )}
      <div className="row">
        <button type="submit" className="primary small">
          Send for review
        </button>
        <button type="button" className="small" onClick={() => onDone()}>
          Cancel
        </button>
      </div>
    </form>
  );
}
