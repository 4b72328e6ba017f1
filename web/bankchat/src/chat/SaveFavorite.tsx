import { useMutation } from "convex/react";
import { useId, useState, type FormEvent } from "react";

import { api } from "../convex/_generated/api";
import { errorMessage } from "../lib/errors";

interface Props {
  sql: string;
  question?: string;
  onDone: (note?: string) => void;
}

/** Save an answer's query as a favorite, with a name and tags. */
export function SaveFavorite({ sql, question, onDone }: Props) {
  const save = useMutation(api.favorites.saveFavorite);
  const [name, setName] = useState(question ?? "");
  const [tags, setTags] = useState("");
  const [isPublic, setPublic] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const id = useId();

  async function submit(event: FormEvent) {
    event.preventDefault();
    try {
      const tagList = tags
        .split(",")
        .map((t) => t.trim())
        .filter(Boolean);
      await save({ name, sql, tags: tagList, isPublic, ...(question ? { question } : {}) });
      onDone(`Saved “${name}” to your favorites.`);
    } catch (failure) {
      setError(errorMessage(failure));
    }
  }

  return (
    <form className="tool-form" onSubmit={submit} aria-label="Save as favorite">
      <label htmlFor={`${id}-name`}>Favorite name</label>
      <input id={`${id}-name`} required value={name} onChange={(e) => setName(e.target.value)} />
      <label htmlFor={`${id}-tags`}>Tags (comma-separated)</label>
      <input
        id={`${id}-tags`}
        value={tags}
        placeholder="clients, districts"
        onChange={(e) => setTags(e.target.value)}
      />
      <label className="check">
        <input type="checkbox" checked={isPublic} onChange={(e) => setPublic(e.target.checked)} />
        Visible to everyone
      </label>
      {error && (
        <p className="alert alert-error" role="alert">
          {error}
        </p>
      )}
      <div className="row">
        <button type="submit" className="primary small">
          Save favorite
        </button>
        <button type="button" className="small" onClick={() => onDone()}>
          Cancel
        </button>
      </div>
    </form>
  );
}
