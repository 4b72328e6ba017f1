import type { Session } from "../types";
import { Badge } from "./Badge";

type DocStatus = NonNullable<Session["docStatus"]>;

const LABELS: Record<DocStatus, string> = {
  generating: "Documentation: writing…",
  ready: "Documentation ready",
  failed: "Documentation failed",
};

/** Where a session's documentation stands (``status`` null: not written yet). */
export function DocState({ status }: { status: DocStatus | null }) {
  if (!status) return <Badge state="none">No documentation yet</Badge>;
  return <Badge state={status}>{LABELS[status]}</Badge>;
}
