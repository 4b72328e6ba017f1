import { useMutation, useQuery } from "convex/react";
import { useState } from "react";

import { api } from "../convex/_generated/api";
import type { Favorite, Id } from "../types";
import { useRunFavorite } from "./useRunFavorite";

interface Props {
  conversationId: Id<"conversations"> | null;
  onNavigate: () => void;
}

/** Saved queries, live: the user's own, then public ones; filter by tag, run again. */
export function Favorites({ conversationId, onNavigate }: Props) {
  const [tag, setTag] = useState("");
  const all = useQuery(api.favorites.getFavorites, {});
  const tags = [...new Set((all ?? []).flatMap((f) => f.tags))].sort();
  const shown = (all ?? []).filter((f) => !tag || f.tags.includes(tag));
  return (
    <section className="side-section" aria-labelledby="favorites-title">
      <div className="side-head">
        <h2 id="favorites-title">Favorites</h2>
        {tags.length > 0 && (
          <>
            <label htmlFor="favorite-tag" className="visually-hidden">
              Filter favorites by tag
            </label>
            <select id="favorite-tag" value={tag} onChange={(e) => setTag(e.target.value)}>
              <option value="">All tags</option>
              {tags.map((t) => (
                <option key={t} value={t}>
                  {t}
                </option>
              ))}
            </select>
          </>
        )}
      </div>
      {all === undefined ? (
        <p className="muted">Loading…</p>
      ) : shown.length === 0 ? (
        <p className="muted">Save an answer's query to find it here.</p>
      ) : (
        <ul className="side-list" data-testid="favorites">
          {shown.map((f) => (
            <FavoriteItem
              key={f._id}
              favorite={f}
              conversationId={conversationId}
              onNavigate={onNavigate}
            />
          ))}
        </ul>
      )}
    </section>
  );
}

interface ItemProps {
  favorite: Favorite;
  conversationId: Id<"conversations"> | null;
  onNavigate: () => void;
}

function FavoriteItem({ favorite, conversationId, onNavigate }: ItemProps) {
  const remove = useMutation(api.favorites.deleteFavorite);
  const { runAgain, busy, error } = useRunFavorite(favorite._id, conversationId, onNavigate);

  return (
    <li className="side-item favorite">
      <span className="favorite-name" title={favorite.question ?? favorite.sql}>
        {favorite.name}
        {!favorite.mine && <span className="muted"> (shared)</span>}
      </span>
      {favorite.tags.length > 0 && (
        <span className="tags">
          {favorite.tags.map((t) => (
            <span key={t} className="tag">
              {t}
            </span>
          ))}
        </span>
      )}
      <span className="item-actions">
        <button
          type="button"
          className="small"
          disabled={busy}
          aria-label={`Run ${favorite.name}`}
          onClick={() => void runAgain()}
        >
          {busy ? "Running…" : "Run"}
        </button>
        {favorite.mine && (
          <button
            type="button"
            className="small"
            aria-label={`Remove ${favorite.name} from favorites`}
            onClick={() => void remove({ favoriteId: favorite._id })}
          >
            Remove
          </button>
        )}
      </span>
      {error && (
        <p className="alert alert-error" role="alert">
          {error}
        </p>
      )}
    </li>
  );
}
