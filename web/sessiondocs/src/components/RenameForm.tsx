import { useId, useState, type FormEvent } from "react";

interface RenameFormProps {
  initial: string;
  onSave: (title: string) => void;
  onCancel: () => void;
  busy: boolean;
}

/** An inline form to edit a title: Save submits, Cancel or Escape gives up. */
export function RenameForm({ initial, onSave, onCancel, busy }: RenameFormProps) {
  const [title, setTitle] = useState(initial);
  const id = useId();

  function submit(event: FormEvent<HTMLFormElement>) {
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
