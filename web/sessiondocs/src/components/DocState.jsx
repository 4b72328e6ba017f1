import { Badge } from "./Badge.jsx";

const LABELS = {
  generating: "Documentation: writing…",
  ready: "Documentation ready",
  failed: "Documentation failed",
};

/** Where a session's documentation stands (``status`` null: not written yet). */
export function DocState({ status }) {
  if (!status) return <Badge state="none">No documentation yet</Badge>;
  return <Badge state={status}>{LABELS[status] ?? status}</Badge>;
}
