import { useMutation, useQuery } from "convex/react";
import { useEffect, useId, useRef, useState, type FormEvent } from "react";

import { system, type EnvVar } from "../api";
import { ConfirmButton, ErrorNote, Loading, PageHeading } from "../components";
import { errorText } from "../format";

export function EnvironmentPage() {
  const vars = useQuery(system.env.list, {});
  const set = useMutation(system.env.set);
  const [name, setName] = useState("");
  const [value, setValue] = useState("");
  const [error, setError] = useState("");
  const [notice, setNotice] = useState("");
  const [busy, setBusy] = useState(false);
  const ids = useId();

  async function add(event: FormEvent) {
    event.preventDefault();
    setBusy(true);
    setError("");
    setNotice("");
    try {
      const chosen = name.trim();
      const existed = vars?.some((v) => v.name === chosen);
      await set({ name: chosen, value });
      setNotice(`${existed ? "Changed" : "Added"} ${chosen}.`);
      setName("");
      setValue("");
    } catch (failure) {
      setError(errorText(failure));
    } finally {
      setBusy(false);
    }
  }

  return (
    <section className="page">
      <PageHeading>Environment</PageHeading>
      <p className="muted">
        Variables the app's functions read with <code>ctx.env.get(name)</code>.
      </p>
      <section className="card" aria-labelledby={`${ids}-add`}>
        <h2 id={`${ids}-add`}>Add a variable</h2>
        <form className="control-row" onSubmit={add}>
          <div className="field">
            <label htmlFor={`${ids}-name`}>Name</label>
            <input
              id={`${ids}-name`}
              className="mono"
              value={name}
              placeholder="e.g. API_BASE_URL"
              autoComplete="off"
              spellCheck={false}
              onChange={(e) => setName(e.target.value)}
              aria-invalid={error ? true : undefined}
            />
          </div>
          <div className="field grow">
            <label htmlFor={`${ids}-value`}>Value</label>
            <input
              id={`${ids}-value`}
              className="mono"
              value={value}
              autoComplete="off"
              spellCheck={false}
              onChange={(e) => setValue(e.target.value)}
            />
          </div>
          <button type="submit" className="primary" disabled={busy}>
            Add
          </button>
        </form>
        <ErrorNote error={error} title="Not saved" />
        <p className="notice" role="status">
          {notice}
        </p>
      </section>
      <section className="card" aria-labelledby={`${ids}-list`}>
        <h2 id={`${ids}-list`}>Variables</h2>
        {vars === undefined ? (
          <Loading what="variables" />
        ) : vars.length === 0 ? (
          <p className="empty">No environment variables are set.</p>
        ) : (
          <ul className="env-list">
            {vars.map((v) => (
              <EnvRow key={v.name} variable={v} onDone={setNotice} />
            ))}
          </ul>
        )}
      </section>
    </section>
  );
}

function EnvRow({ variable, onDone }: { variable: EnvVar; onDone: (notice: string) => void }) {
  const [editing, setEditing] = useState(false);
  const [value, setValue] = useState(variable.value);
  const [error, setError] = useState("");
  const set = useMutation(system.env.set);
  const remove = useMutation(system.env.remove);
  const input = useRef<HTMLInputElement>(null);
  const ids = useId();

  useEffect(() => {
    if (editing) input.current?.focus();
  }, [editing]);

  async function save(event: FormEvent) {
    event.preventDefault();
    try {
      await set({ name: variable.name, value });
      setEditing(false);
      setError("");
      onDone(`Changed ${variable.name}.`);
    } catch (failure) {
      setError(errorText(failure));
    }
  }

  return (
    <li className="env-row">
      <code className="env-name" id={`${ids}-name`}>
        {variable.name}
      </code>
      {editing ? (
        <form className="env-edit" onSubmit={save}>
          <label htmlFor={`${ids}-value`} className="visually-hidden">
            New value of {variable.name}
          </label>
          <input
            id={`${ids}-value`}
            ref={input}
            className="mono"
            value={value}
            onChange={(e) => setValue(e.target.value)}
            onKeyDown={(e) => {
              if (e.key === "Escape") setEditing(false);
            }}
          />
          <button type="submit" className="primary">
            Save
          </button>
          <button type="button" onClick={() => setEditing(false)}>
            Cancel
          </button>
          <ErrorNote error={error} title="Not saved" />
        </form>
      ) : (
        <>
          <span className="env-value mono">
            {variable.value || <span className="muted">(empty)</span>}
          </span>
          <span className="actions">
            <button
              type="button"
              aria-label={`Change ${variable.name}`}
              onClick={() => {
                setValue(variable.value);
                setError("");
                setEditing(true);
              }}
            >
              Change
            </button>
            <ConfirmButton
              label="Remove"
              accessibleLabel={`Remove ${variable.name}`}
              question={`Remove ${variable.name}?`}
              confirmLabel="Remove"
              onConfirm={async () => {
                await remove({ name: variable.name });
                onDone(`Removed ${variable.name}.`);
              }}
            />
          </span>
        </>
      )}
    </li>
  );
}
