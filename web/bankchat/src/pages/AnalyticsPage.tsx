import { useQuery } from "convex/react";
import { useMemo } from "react";

import { api } from "../convex/_generated/api";
import SeriesChart, { type Series } from "../results/Chart";
import type { Analytics, Counted, Me } from "../types";

/** Usage for admins, live: queries per day, the most-queried tables, outcomes and failures. */
export default function AnalyticsPage({ me }: { me: Me }) {
  if (!me.features.includes("analytics")) {
    return (
      <section className="page">
        <h1>Analytics</h1>
        <p className="alert alert-warning">Your role does not include analytics.</p>
      </section>
    );
  }
  return <Dashboard />;
}

function counted(type: Series["type"], title: string, rows: Counted[], valueLabel: string): Series {
  return {
    type,
    title,
    labels: rows.map((r) => r.key),
    values: rows.map((r) => r.count),
    valueLabel,
  };
}

function seriesOf(data: Analytics): Series[] {
  return [
    {
      type: "line",
      title: "Queries per day",
      labels: data.queriesPerDay.map((d) => d.day),
      values: data.queriesPerDay.map((d) => d.count),
      valueLabel: "queries",
    },
    counted("bar", "Most-queried tables", data.topTables, "queries"),
    counted("bar", "Outcomes", data.byStatus, "queries"),
  ];
}

function Dashboard() {
  const data = useQuery(api.analytics.getAnalytics, {});
  const charts = useMemo(() => (data ? seriesOf(data) : []), [data]);
  if (data === undefined) return <p className="muted">Loading…</p>;
  const total = data.queriesPerDay.reduce((sum, d) => sum + d.count, 0);
  const denied = data.byStatus.find((s) => s.key === "denied")?.count ?? 0;
  return (
    <section className="page" aria-labelledby="analytics-title">
      <h1 id="analytics-title">Analytics</h1>
      <div className="stats">
        <Stat label="Queries" value={total} />
        <Stat label="Failures" value={data.failures} />
        <Stat label="Refused" value={denied} />
      </div>
      <div className="chart-grid">
        {charts.map((series) => (
          <div className="card" key={series.title}>
            {series.values.length > 0 ? (
              <SeriesChart series={series} />
            ) : (
              <p className="muted">{series.title}: no data yet.</p>
            )}
          </div>
        ))}
      </div>
      <div className="card">
        <h2 id="popular-title">Popular questions</h2>
        {data.popularQuestions.length === 0 ? (
          <p className="muted">No questions yet.</p>
        ) : (
          <ol className="popular" aria-labelledby="popular-title">
            {data.popularQuestions.map((q) => (
              <li key={q.key}>
                {q.key} <span className="muted">({q.count})</span>
              </li>
            ))}
          </ol>
        )}
      </div>
    </section>
  );
}

function Stat({ label, value }: { label: string; value: number }) {
  return (
    <div className="stat card">
      <span className="stat-value">{value.toLocaleString()}</span>
      <span className="stat-label">{label}</span>
    </div>
  );
}
