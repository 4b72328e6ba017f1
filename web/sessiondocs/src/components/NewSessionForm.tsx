import { useMutation } from "convex/react";
import type { FunctionArgs } from "convex/server";
import { useId, useState, type FormEvent } from "react";
import { api } from "../convex/_generated/api";
import { navigate, sessionPath } from "../router";
import { useRun } from "../useRun";
import { ErrorNote } from "./ErrorNote";

/** Start a session from the browser (for screenshots uploaded by hand), then open it. */
export function NewSessionForm() {
  const [pcName, setPcName] = useState("Web upload");
  const [title, setTitle] = useState("");
  const [redact, setRedact] = useState(true);
  const create = useRun(useMutation(api.sessions.createSession));
  const ids = { pcName: useId(), title: useId(), redact: useId() };

  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const args: FunctionArgs<typeof api.sessions.createSession> = { pcName: pcName.trim(), redact };
    if (title.trim()) args.title = title.trim();
    const result = await create.run(args);
    if (result.ok) navigate(sessionPath(result.value));
  }

  return (
    <form className="new-session panel" onSubmit={submit} aria-labelledby="new-session-heading">
      <h2 id="new-session-heading">Start a session</h2>
      <p className="hint">
        The capture agent starts sessions by itself. Start one here to upload screenshots by hand.
      </p>
      <div className="fields">
        <div className="field">
          <label htmlFor={ids.pcName}>PC name</label>
          <input
            id={ids.pcName}
            value={pcName}
            required
            maxLength={200}
            onChange={(event) => setPcName(event.target.value)}
          />
        </div>
        <div className="field">
          <label htmlFor={ids.title}>Title (optional)</label>
          <input
            id={ids.title}
            value={title}
            maxLength={200}
            placeholder="e.g. Create an invoice"
            onChange={(event) => setTitle(event.target.value)}
          />
        </div>
        <div className="field checkbox">
          <input
            id={ids.redact}
            type="checkbox"
            checked={redact}
            onChange={(event) => setRedact(event.target.checked)}
          />
          <label htmlFor={ids.redact}>Redact sensitive text</label>
        </div>
        <button type="submit" className="primary" disabled={create.busy || !pcName.trim()}>
          New session
        </button>
      </div>
      <ErrorNote error={create.error} />
    </form>
  );
}
