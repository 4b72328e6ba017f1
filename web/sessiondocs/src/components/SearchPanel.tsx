import { useQuery } from "convex/react";
import type { FunctionReturnType } from "convex/server";
import { useEffect, useId, useState, type ReactNode } from "react";
import { api } from "../convex/_generated/api";
import { formatDateTime } from "../format";
import { Link, sessionPath } from "../router";

/** A step or a screenshot found (search:search), with its snippet marked. */
type SearchResult = FunctionReturnType<typeof api.search.search>[number];

const PAUSE_MS = 250;

/** ``value``, once it has stopped changing for ``ms`` milliseconds. */
function useSettled<T>(value: T, ms: number): T {
  const [settled, setSettled] = useState(value);
  useEffect(() => {
    const timer = setTimeout(() => setSettled(value), ms);
    return () => clearTimeout(timer);
  }, [value, ms]);
  return settled;
}

/** A text with the spans in ``matches`` (``[start, end)`` pairs) marked. */
export function Marked({ text, matches }: SearchResult["snippet"]) {
  const parts: ReactNode[] = [];
  let at = 0;
  for (const [start, end] of matches) {
    if (start > at) parts.push(text.slice(at, start));
    parts.push(<mark key={start}>{text.slice(start, end)}</mark>);
    at = end;
  }
  parts.push(text.slice(at));
  return <>{parts}</>;
}

function resultPath(result: SearchResult): string {
  const target =
    result.kind === "step" ? `step-${result.stepNumber}` : `shot-${result.screenshotId}`;
  return `${sessionPath(result.sessionId)}#${target}`;
}

function resultLabel(result: SearchResult): string {
  if (result.kind === "step") return `Step ${result.stepNumber}: ${result.title}`;
  const step = result.stepNumber ? ` (step ${result.stepNumber})` : "";
  return `Screenshot ${result.filename}${step}`;
}

/**
 * Search every session the person may see: the steps of its documentation and the text read off
 * its screenshots. Results are live (a screenshot read while the search is open shows up) and
 * each one opens the session at that step or screenshot.
 */
export function SearchPanel() {
  const id = useId();
  const [text, setText] = useState("");
  const query = useSettled(text.trim(), PAUSE_MS);
  const results = useQuery(api.search.search, query ? { text: query } : "skip");
  const waiting = query !== text.trim() || (query && results === undefined);
  return (
    <section className="search panel" aria-labelledby={`${id}-heading`} role="search">
      <h2 id={`${id}-heading`}>Search</h2>
      <label htmlFor={`${id}-text`}>Find a step, or words seen on a screenshot</label>
      <input
        id={`${id}-text`}
        type="search"
        value={text}
        placeholder="e.g. export invoice"
        autoComplete="off"
        onChange={(event) => setText(event.target.value)}
      />
      <p className="hint" aria-live="polite">
        {!text.trim()
          ? ""
          : waiting || results === undefined
            ? "Searching…"
            : results.length === 0
              ? `Nothing found for “${query}”.`
              : `${results.length} ${results.length === 1 ? "result" : "results"} for “${query}”`}
      </p>
      {query && results && results.length > 0 && (
        <ol className="search-results">
          {results.map((result) => (
            <li key={`${result.kind}:${result.screenshotId}:${result.stepNumber}`}>
              <Link to={resultPath(result)} className="result-title">
                {resultLabel(result)}
              </Link>
              <p className="meta">
                {result.sessionTitle} · {formatDateTime(result.sessionStart)}
              </p>
              <p className="snippet">
                <Marked text={result.snippet.text} matches={result.snippet.matches} />
              </p>
            </li>
          ))}
        </ol>
      )}
    </section>
  );
}
