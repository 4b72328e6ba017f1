import type { Session } from "../types";

const STATES = ["pending", "processing", "done", "failed"] as const;

/** A session's screenshot count, then how many are in each OCR state. */
export function Counts({ counts }: { counts: Session["counts"] }) {
  return (
    <ul className="counts" aria-label="Screenshots by OCR state">
      <li className="count-total">
        {counts.screenshots} screenshot{counts.screenshots === 1 ? "" : "s"}
      </li>
      {STATES.map((state) => (
        <li key={state} data-state={state} data-zero={counts[state] === 0 || undefined}>
          {counts[state]} {state}
        </li>
      ))}
    </ul>
  );
}
