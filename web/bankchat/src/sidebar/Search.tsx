import { useQuery } from "convex/react";
import { useEffect, useState, type ReactNode } from "react";

import { api } from "../convex/_generated/api";
import { Link } from "../lib/Link";
import { Marked } from "../lib/Marked";
import { conversationPath } from "../lib/router";
import type { Id, SearchResults } from "../types";
import { useRunFavorite } from "./useRunFavorite";

const PAUSE_MS = 250;

/** ``value`` once it has stopped changing for ``ms`` milliseconds. */
function useSettled(value: string, ms: number): string {
  const [settled, setSettled] = useState(value);
  useEffect(() => {
    const timer = setTimeout(() => setSettled(value), ms);
    return () => clearTimeout(timer);
  }, [value, ms]);
  return settled;
}

interface Props {
  conversationId: Id<"conversations"> | null;
  onNavigate: () => void;
  /** What the sidebar shows while nothing is searched (the conversations and favorites). */
  children: ReactNode;
}

/**
 * Search one's own past questions, their SQL, the answers and one's favorites. Results are
 * live (a question asked in another tab shows up) and the matching words are marked.
 */
export function SidebarSearch({ conversationId, onNavigate, children }: Props) {
  const [text, setText] = useState("");
  const query = useSettled(text.trim(), PAUSE_MS);
  const results = useQuery(api.search.mine, query ? { text: query } : "skip");
  const searching = text.trim() !== "";
  return (
    <>
      <section className="side-section side-search" role="search" aria-label="Search">
        <label htmlFor="side-search-text" className="visually-hidden">
          Search past questions, SQL, answers and favorites
        </label>
        <input
          id="side-search-text"
          type="search"
          placeholder="Search past questions, SQL, favorites"
          autoComplete="off"
          value={text}
          onChange={(e) => setText(e.target.value)}
        />
      </section>
      {searching ? (
        <Found
          query={query}
          results={query === text.trim() ? results : undefined}
          conversationId={conversationId}
          onNavigate={onNavigate}
        />
      ) : (
        children
      )}
    </>
  );
}

interface FoundProps {
  query: string;
  results: SearchResults | undefined;
  conversationId: Id<"conversations"> | null;
  onNavigate: () => void;
}

function Found({ query, results, conversationId, onNavigate }: FoundProps) {
  if (results === undefined) {
    return (
      <p className="muted" aria-live="polite">
        Searching…
      </p>
    );
  }
  const count = results.questions.length + results.answers.length + results.favorites.length;
  return (
    <div className="search-found">
      <p className="muted" aria-live="polite">
        {count === 0
          ? `Nothing found for “${query}”.`
          : `${count} ${count === 1 ? "match" : "matches"} for “${query}”`}
      </p>
      {results.questions.length > 0 && (
        <FoundGroup title="Questions">
          {results.questions.map((r) => (
            <li key={r.historyId} className="side-item">
              <Link
                to={r.conversationId ? conversationPath(r.conversationId) : "/history"}
                onNavigate={onNavigate}
              >
                {r.question ? <Marked value={r.question} /> : "(SQL run directly)"}
              </Link>
              {r.sql && r.sql.matches.length > 0 && (
                <code className="sql-inline">
                  <Marked value={r.sql} />
                </code>
              )}
            </li>
          ))}
        </FoundGroup>
      )}
      {results.answers.length > 0 && (
        <FoundGroup title="Answers">
          {results.answers.map((r) => (
            <li key={r.messageId} className="side-item">
              <Link to={conversationPath(r.conversationId)} onNavigate={onNavigate}>
                <Marked value={r.content} />
              </Link>
            </li>
          ))}
        </FoundGroup>
      )}
      {results.favorites.length > 0 && (
        <FoundGroup title="Favorites">
          {results.favorites.map((r) => (
            <FoundFavorite
              key={r.favoriteId}
              favorite={r}
              conversationId={conversationId}
              onNavigate={onNavigate}
            />
          ))}
        </FoundGroup>
      )}
    </div>
  );
}

/** One kind of result (questions, answers, favorites) under its heading. */
function FoundGroup({ title, children }: { title: string; children: ReactNode }) {
  const id = `found-${title.toLowerCase()}`;
  return (
    <section className="side-section" aria-labelledby={id}>
      <h2 id={id}>{title}</h2>
      <ul className="side-list found-list">{children}</ul>
    </section>
  );
}

interface FavoriteProps {
  favorite: SearchResults["favorites"][number];
  conversationId: Id<"conversations"> | null;
  onNavigate: () => void;
}

function FoundFavorite({ favorite, conversationId, onNavigate }: FavoriteProps) {
  const { runAgain, busy, error } = useRunFavorite(favorite.favoriteId, conversationId, onNavigate);
  const name = favorite.name?.text ?? "";

  return (
    <li className="side-item favorite">
      <span className="favorite-name">
        <Marked value={favorite.name} />
      </span>
      {favorite.question && favorite.question.matches.length > 0 && (
        <span className="muted">
          <Marked value={favorite.question} />
        </span>
      )}
      {favorite.sql && (
        <code className="sql-inline">
          <Marked value={favorite.sql} />
        </code>
      )}
      <span className="item-actions">
        <button
          type="button"
          className="small"
          disabled={busy}
          aria-label={`Run ${name}`}
          onClick={() => void runAgain()}
        >
          {busy ? "Running…" : "Run"}
        </button>
      </span>
      {error && (
        <p className="alert alert-error" role="alert">
          {error}
        </p>
      )}
    </li>
  );
}
