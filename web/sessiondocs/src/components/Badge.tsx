import type { ReactNode } from "react";

const TONES: Record<string, string> = {
  active: "info",
  completed: "ok",
  pending: "neutral",
  processing: "info",
  done: "ok",
  failed: "danger",
  generating: "info",
  ready: "ok",
  shared: "info",
  admin: "info",
  disabled: "danger",
  checked: "ok",
};

interface BadgeProps {
  /** what it shows the state of: its colour, and its words unless ``children`` are given */
  state: string;
  children?: ReactNode;
  title?: string;
}

/** A small labelled state chip; its colour comes from the state, its words from ``children``. */
export function Badge({ state, children, title }: BadgeProps) {
  return (
    <span className="badge" data-tone={TONES[state] ?? "neutral"} data-state={state} title={title}>
      {children ?? state}
    </span>
  );
}
