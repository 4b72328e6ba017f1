import { useAction } from "convex/react";
import { useEffect, useId, useRef, useState } from "react";

import { system, type LogEntry } from "../api";
import { ErrorNote, PageHeading } from "../components";
import { errorText, showClock, showTime } from "../format";

const KEEP = 1000; // runs kept in the page, newest first
const RETRY_MS = 2000;

export function LogsPage() {
  const tail = useAction(system.logs.tail);
  const [entries, setEntries] = useState<LogEntry[]>([]);
  const [loaded, setLoaded] = useState(false);
  const [following, setFollowing] = useState(true);
  const [error, setError] = useState<string>("");
  const [pathText, setPathText] = useState("");
  const [status, setStatus] = useState<"" | "success" | "failure">("");
  const cursor = useRef<number | null>(null);
  const ids = useId();

  useEffect(() => {
    if (!following) return;
    let stopped = false;
    void (async () => {
      while (!stopped) {
        try {
          const after = cursor.current;
          // the first call reads the recent history; then each call waits for new runs
          const answer = await tail(
            after === null ? { limit: 200 } : { after, wait: true, limit: 500 },
          );
          if (stopped) return;
          cursor.current = answer.cursor;
          setLoaded(true);
          setError("");
          if (answer.entries.length) {
            setEntries((old) => {
              const known = new Set(old.map((e) => e.seq));
              const fresh = answer.entries.filter((e) => !known.has(e.seq)).reverse();
              return [...fresh, ...old].slice(0, KEEP);
            });
          }
        } catch (failure) {
          if (stopped) return;
          setError(errorText(failure));
          await new Promise((resolve) => setTimeout(resolve, RETRY_MS));
        }
      }
    })();
    return () => {
      stopped = true;
    };
  }, [following, tail]);

  const needle = pathText.trim().toLowerCase();
  const shown = entries.filter(
    (e) => (!needle || e.path.toLowerCase().includes(needle)) && (!status || e.status === status),
  );

  return (
    <section className="page">
      <PageHeading>Logs</PageHeading>
      <div className="toolbar wrap">
        <div className="field grow">
          <label htmlFor={`${ids}-path`}>Function path contains</label>
          <input
            id={`${ids}-path`}
            type="search"
            value={pathText}
            onChange={(e) => setPathText(e.target.value)}
          />
        </div>
        <div className="field">
          <label htmlFor={`${ids}-status`}>Status</label>
          <select
            id={`${ids}-status`}
            value={status}
            onChange={(e) => setStatus(e.target.value as "" | "success" | "failure")}
          >
            <option value="">All</option>
            <option value="success">Success</option>
            <option value="failure">Failure</option>
          </select>
        </div>
        <button type="button" onClick={() => setFollowing(!following)} aria-pressed={!following}>
          {following ? "Pause" : "Resume"}
        </button>
        <button type="button" onClick={() => setEntries([])}>
          Clear
        </button>
      </div>
      <p className="muted live-line" role="status">
        <span className={`dot ${following ? "live" : ""}`} aria-hidden="true" />
        {following ? "Following new runs" : "Paused"} · showing {shown.length} of {entries.length}{" "}
        runs
      </p>
      <ErrorNote error={error} title="The log could not be read" />
      {loaded && shown.length === 0 && (
        <p className="empty">
          {entries.length === 0 ? "No function has run yet." : "No run matches these filters."}
        </p>
      )}
      <ol className="log-list" aria-label="Function runs, newest first">
        {shown.map((entry) => (
          <LogItem key={entry.seq} entry={entry} />
        ))}
      </ol>
    </section>
  );
}

function LogItem({ entry }: { entry: LogEntry }) {
  const ok = entry.status === "success";
  return (
    <li className={`log-item ${ok ? "" : "failed"}`}>
      <div className="log-head">
        <time dateTime={new Date(entry.timestamp).toISOString()} title={showTime(entry.timestamp)}>
          {showClock(entry.timestamp)}
        </time>
        <span className={`badge ${ok ? "success" : "failure"}`}>{ok ? "success" : "failure"}</span>
        <code className="log-path">{entry.path}</code>
        <span className="muted">
          {entry.kind} ·{" "}
          {entry.durationMs < 10 ? entry.durationMs.toFixed(1) : Math.round(entry.durationMs)} ms
        </span>
      </div>
      {entry.error && <pre className="log-error">{entry.error}</pre>}
      {entry.logLines.length > 0 && <pre className="log-lines">{entry.logLines.join("\n")}</pre>}
    </li>
  );
}
