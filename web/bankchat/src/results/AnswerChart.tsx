import { lazy, Suspense, useMemo } from "react";

import { formatValue } from "../lib/format";
import type { Cell, ChartSpec, ColumnInfo } from "../types";

// why: chart.js is the largest dependency; it loads with the first chart
const SeriesChart = lazy(() => import("./Chart"));

interface Props {
  spec: ChartSpec;
  columns: string[];
  rows: Cell[][];
  info?: ColumnInfo[];
}

/** The chart the backend's declarative spec asks for: which column is x, which is y. */
export function AnswerChart({ spec, columns, rows, info }: Props) {
  const series = useMemo(() => {
    const x = columns.indexOf(spec.x);
    const y = columns.lastIndexOf(spec.y);
    if (x < 0 || y < 0) return null;
    return {
      type: spec.type,
      title: spec.title,
      // why: the axis speaks the bank's words too (a loan status by its meaning, not "A")
      labels: rows.map((row) => formatValue(row[x], info?.[x])),
      values: rows.map((row) => Number(row[y] ?? 0)),
      valueLabel: spec.yLabel ?? spec.y,
    };
  }, [spec, columns, rows, info]);
  if (series === null) return null;
  return (
    <Suspense fallback={<div className="chart-box" />}>
      <SeriesChart series={series} />
    </Suspense>
  );
}
