import { useAction } from "convex/react";
import { useEffect, useState } from "react";

import { system, type Health } from "../api";
import { ErrorNote, Loading, PageHeading } from "../components";
import { errorText, number, showClock, showDuration, showRelative, showTime } from "../format";

const EVERY_MS = 2000;

export function HealthPage() {
  const get = useAction(system.health.get);
  const [health, setHealth] = useState<Health | null>(null);
  const [at, setAt] = useState<number | null>(null);
  const [error, setError] = useState("");

  useEffect(() => {
    let stopped = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    async function poll() {
      try {
        const report = await get({});
        if (stopped) return;
        setHealth(report);
        setAt(Date.now());
        setError("");
      } catch (failure) {
        if (stopped) return;
        setError(errorText(failure));
      }
      if (!stopped) timer = setTimeout(poll, EVERY_MS);
    }
    void poll();
    return () => {
      stopped = true;
      clearTimeout(timer);
    };
  }, [get]);

  return (
    <section className="page">
      <PageHeading>Health</PageHeading>
      <p className="muted">
        Refreshes every {EVERY_MS / 1000} s{at !== null && <> · updated {showClock(at)}</>}
      </p>
      <ErrorNote error={error} title="Could not read the health figures" />
      {health === null && !error && <Loading what="health figures" />}
      {health && <Figures health={health} />}
      {health && <Work health={health} />}
    </section>
  );
}

function Figures({ health }: { health: Health }) {
  // the database's timestamps count nanoseconds since the epoch
  const lastCommit = health.latestTimestamp ? Number(health.latestTimestamp / 1_000_000n) : null;
  const figures: [string, string, string][] = [
    ["Connections", show(health.connections), "WebSocket clients connected now"],
    ["Live queries", show(health.liveQueries), "subscriptions kept up to date"],
    ["Commits in the last minute", show(health.commitsLastMinute), "transactions written"],
    ["Function runs", show(health.functionRuns), "since the server started"],
    ["Connections accepted", show(health.connectionsAccepted), "since the server started"],
    ["Live query runs", show(health.liveQueryRuns), "runs after writes"],
    ["Uptime", showDuration(health.uptimeSeconds), "since the server started"],
  ];
  return (
    <dl className="figures">
      {figures.map(([label, value, note]) => (
        <div className="figure card" key={label}>
          <dt>{label}</dt>
          <dd className="figure-value">{value}</dd>
          <dd className="figure-note muted">{note}</dd>
        </div>
      ))}
      <div className="figure card">
        <dt>Last commit</dt>
        <dd className="figure-value smaller">{showTime(lastCommit)}</dd>
        <dd className="figure-note muted">
          {lastCommit === null ? "nothing committed yet" : showRelative(lastCommit)}
        </dd>
      </div>
    </dl>
  );
}

function Work({ health }: { health: Health }) {
  const work = health.work ?? [];
  return (
    <section className="card" aria-labelledby="work-heading">
      <h2 id="work-heading">Work under way</h2>
      {work.length === 0 ? (
        <p className="muted">None: no index backfill, import or export is running.</p>
      ) : (
        <ul className="work">
          {work.map((task, i) => {
            const label = `${task.description}: ${number.format(task.done)}${
              task.total === null ? "" : ` of ${number.format(task.total)}`
            }`;
            return (
              <li key={`${task.description}-${i}`}>
                <div className="row-between">
                  <span>{label}</span>
                  <span className="muted small">started {showRelative(task.started)}</span>
                </div>
                <progress
                  aria-label={task.description}
                  value={task.total === null ? undefined : task.done}
                  max={task.total ?? undefined}
                />
              </li>
            );
          })}
        </ul>
      )}
    </section>
  );
}

function show(value: number | undefined): string {
  return value === undefined ? "—" : number.format(value);
}
