const TONES = {
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

/** A small labelled state chip; its colour comes from the state, its words from ``children``. */
export function Badge({ state, children, title }) {
  return (
    <span className="badge" data-tone={TONES[state] ?? "neutral"} data-state={state} title={title}>
      {children ?? state}
    </span>
  );
}
