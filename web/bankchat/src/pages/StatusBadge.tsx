const LABELS: Record<string, string> = {
  success: "Answered",
  error: "Failed",
  denied: "Refused",
  not_understood: "Not understood",
  ambiguous: "Asked back",
  asked_back: "Asked back",
  allowed: "Allowed",
  answered: "Answered",
  refused: "Refused",
  failed: "Failed",
  disabled: "Disabled",
  no_role: "No role",
};

/** An outcome as a word on a coloured badge (the word carries the meaning, not the colour). */
export function StatusBadge({ status }: { status: string }) {
  return <span className={`badge-status status-${status}`}>{LABELS[status] ?? status}</span>;
}
