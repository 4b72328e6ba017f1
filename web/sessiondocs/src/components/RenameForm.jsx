import { useId, useState } from "react";

/** An inline form to edit a title: Save submits, Cancel or Escape gives up. */
export function RenameForm({ initial, onSave, onCancel, busy }) {
  const [title, setTitle] = useState(initial);
  const id = useId();

  function submit(event) {
    event.preventDefault();
    if (title.trim()) onSave(title.trim());
  }

  return (
    <form
      className="rename-form"
      onSubmit={submit}
      onKeyDown={(event) => event.key === "Escape" && onCancel()}
    >
      <label htmlFor={id}>Title</label>
      <input
        id={id}
        value={title}
        maxLength={200}
        required
        autoFocus
        onChange={(event) => setTitle(event.target.value)}
      />
      <button type="submit" className="primary" disabled={busy || !title.trim()}>
        Save
      </button>
      <button type="button" onClick={onCancel}>
        Cancel
      </button>
    </form>
  );
}
