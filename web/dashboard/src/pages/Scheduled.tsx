import { useMutation, usePaginatedQuery, useQuery } from "convex/react";
import { useId, useState } from "react";

import { system } from "../api";
import {
  ConfirmButton,
  ErrorBoundary,
  Loading,
  LoadMore,
  PageHeading,
  ScrollRegion,
} from "../components";
import { showRelative, showShort, showTime } from "../format";

const PAGE_SIZE = 25;
const STATES = ["pending", "inProgress", "success", "failed", "canceled"];

export function ScheduledPage() {
  const [state, setState] = useState("");
  const ids = useId();
  return (
    <section className="page">
      <PageHeading>Scheduled</PageHeading>
      <section className="card" aria-labelledby={`${ids}-jobs`}>
        <div className="row-between">
          <h2 id={`${ids}-jobs`}>Scheduled functions</h2>
          <div className="field inline-field">
            <label htmlFor={`${ids}-state`}>State</label>
            <select id={`${ids}-state`} value={state} onChange={(e) => setState(e.target.value)}>
              <option value="">All</option>
              {STATES.map((s) => (
                <option key={s} value={s}>
                  {s}
                </option>
              ))}
            </select>
          </div>
        </div>
        <ErrorBoundary resetKey={state}>
          <Jobs state={state} />
        </ErrorBoundary>
      </section>
      <section className="card" aria-labelledby={`${ids}-crons`}>
        <h2 id={`${ids}-crons`}>Cron jobs</h2>
        <ErrorBoundary resetKey="crons">
          <Crons />
        </ErrorBoundary>
      </section>
    </section>
  );
}

function Jobs({ state }: { state: string }) {
  const { results, status, loadMore } = usePaginatedQuery(
    system.scheduled.list,
    state ? { state } : {},
    { initialNumItems: PAGE_SIZE },
  );
  const cancel = useMutation(system.scheduled.cancel);
  if (status === "LoadingFirstPage") return <Loading what="scheduled functions" />;
  if (results.length === 0) {
    return <p className="empty">{state ? `No ${state} jobs.` : "Nothing has been scheduled."}</p>;
  }
  return (
    <>
      <ScrollRegion label="Table of scheduled functions">
        <table>
          <thead>
            <tr>
              <th scope="col">Function</th>
              <th scope="col">Args</th>
              <th scope="col">Scheduled for</th>
              <th scope="col">State</th>
              <th scope="col">Completed</th>
              <th scope="col">
                <span className="visually-hidden">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {results.map((job) => (
              <tr key={job._id}>
                <td>
                  <code>{job.name}</code>
                  <div className="mono muted small">{job._id}</div>
                </td>
                <td className="mono">
                  <span className="cell">
                    {showShort(job.args?.length === 1 ? job.args[0] : job.args)}
                  </span>
                </td>
                <td className="nowrap">
                  {showTime(job.scheduledTime)}
                  {job.state.kind === "pending" && (
                    <div className="muted small">{showRelative(job.scheduledTime)}</div>
                  )}
                </td>
                <td>
                  <span className={`badge state-${job.state.kind}`}>{job.state.kind}</span>
                  {job.state.error && <div className="error-text small">{job.state.error}</div>}
                </td>
                <td className="nowrap">{showTime(job.completedTime)}</td>
                <td className="actions">
                  {job.state.kind === "pending" && (
                    <ConfirmButton
                      label="Cancel"
                      accessibleLabel={`Cancel ${job.name} scheduled for ${showTime(job.scheduledTime)}`}
                      question="Cancel this job?"
                      confirmLabel="Cancel job"
                      keepLabel="Keep it"
                      onConfirm={() => cancel({ id: job._id })}
                    />
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </ScrollRegion>
      <LoadMore shown={results.length} status={status} loadMore={() => loadMore(PAGE_SIZE)} />
    </>
  );
}

function Crons() {
  const crons = useQuery(system.scheduled.crons, {});
  if (crons === undefined) return <Loading what="cron jobs" />;
  if (crons.length === 0) return <p className="empty">This app defines no cron jobs.</p>;
  return (
    <ScrollRegion label="Table of cron jobs">
      <table>
        <thead>
          <tr>
            <th scope="col">Name</th>
            <th scope="col">Function</th>
            <th scope="col">Schedule</th>
            <th scope="col">Next run</th>
            <th scope="col">Last run</th>
          </tr>
        </thead>
        <tbody>
          {crons.map((cron) => (
            <tr key={cron.name}>
              <td>{cron.name}</td>
              <td>
                <code>{cron.function}</code>
              </td>
              <td className="mono">{cron.schedule}</td>
              <td className="nowrap">
                {showTime(cron.nextRun)}
                {cron.nextRun !== null && (
                  <div className="muted small">{showRelative(cron.nextRun)}</div>
                )}
              </td>
              <td className="nowrap">{cron.lastRun === null ? "never" : showTime(cron.lastRun)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </ScrollRegion>
  );
}
