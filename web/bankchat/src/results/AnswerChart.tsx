import { lazy, Suspense, useMemo } from "react";

import type { Cell, ChartSpec } from "../api";

// why: chart.js is the largest dependency; it loads with the first chart
const SeriesChart = lazy(() => import("./Chart"));

interface Props {
  spec: ChartSpec;
  columns: string[];
  rows: Cell[][];
}

/** The chart the backend's declarative spec asks for: which column is x, which is y. */
export function AnswerChart({ spec, columns, rows }: Props) {
  const series = useMemo(() => {
    const x = columns.indexOf(spec.x);
    const y = columns.lastIndexOf(spec.y);
    if (x < 0 || y < 0) return null;
    return {
      type: spec.type,
      title: spec.title,
      labels: rows.map((row) => String(row[x] ?? "")),
      values: rows.map((row) => Number(row[y] ?? 0)),
      valueLabel: spec.y,
    };
  }, [spec, columns, rows]);
  if (series === null) return null;
  return (
    <Suspense fallback={<div className="chart-box" />}>
      <SeriesChart series={series} />
    </Suspense>
  );
}
