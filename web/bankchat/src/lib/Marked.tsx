import type { ReactNode } from "react";

import type { Marked as MarkedText } from "../types";

/** A text with the words a search matched marked (``<mark>``); plain text when ``value`` is a
 * string or has no matches, nothing when it is null (a field with no text). */
export function Marked({ value }: { value: MarkedText | string | null }) {
  if (value === null) return null;
  if (typeof value === "string") return <>{value}</>;
  const parts: ReactNode[] = [];
  let at = 0;
  for (const [start, end] of value.matches) {
    if (start > at) parts.push(value.text.slice(at, start));
    parts.push(<mark key={start}>{value.text.slice(start, end)}</mark>);
    at = end;
  }
  parts.push(value.text.slice(at));
  return <>{parts}</>;
}
