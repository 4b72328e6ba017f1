import type { ReactNode } from "react";

import type { Marked as MarkedText } from "../api";

/** A text with the words a search matched marked (``<mark>``); plain text when ``value`` is a
 * string or has no matches. */
export function Marked({ value }: { value: MarkedText | string }) {
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
