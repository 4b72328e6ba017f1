import {
  BarController,
  BarElement,
  CategoryScale,
  Chart,
  Filler,
  LinearScale,
  LineController,
  LineElement,
  PointElement,
  Tooltip,
} from "chart.js";
import { useEffect, useRef } from "react";

import { useTheme } from "../lib/theme";

Chart.register(
  BarController,
  BarElement,
  CategoryScale,
  Filler,
  LinearScale,
  LineController,
  LineElement,
  PointElement,
  Tooltip,
);

export interface Series {
  type: "bar" | "line";
  title: string;
  labels: string[];
  values: number[];
  valueLabel: string;
}

function cssVar(name: string): string {
  return getComputedStyle(document.documentElement).getPropertyValue(name).trim();
}

/** A bar or line chart of one series, in the theme's colours; the canvas names its title. */
export default function SeriesChart({ series }: { series: Series }) {
  const canvas = useRef<HTMLCanvasElement>(null);
  const theme = useTheme();

  useEffect(() => {
    if (!canvas.current) return;
    const accent = cssVar("--accent");
    const text = cssVar("--text-muted");
    const grid = cssVar("--border");
    const chart = new Chart(canvas.current, {
      type: series.type,
      data: {
        labels: series.labels,
        datasets: [
          {
            label: series.valueLabel,
            data: series.values,
            backgroundColor: series.type === "bar" ? accent : `${accent}33`,
            borderColor: accent,
            fill: series.type === "line",
            tension: 0.2,
          },
        ],
      },
      options: {
        responsive: true,
        maintainAspectRatio: false,
        animation: false,
        plugins: { legend: { display: false } },
        scales: {
          x: { ticks: { color: text, autoSkip: true, maxRotation: 60 }, grid: { color: grid } },
          y: { beginAtZero: true, ticks: { color: text }, grid: { color: grid } },
        },
      },
    });
    return () => chart.destroy();
  }, [series, theme]);

  return (
    <figure className="chart">
      <figcaption>{series.title}</figcaption>
      <div className="chart-box">
        <canvas ref={canvas} role="img" aria-label={`${series.type} chart: ${series.title}`} />
      </div>
    </figure>
  );
}
