import type { ReactNode } from "react";

interface ErrorNoteProps {
  /** the message; nothing is shown when it is null or empty */
  error: string | null;
  children?: ReactNode;
}

/** An error message announced to screen readers; nothing when there is no error. */
export function ErrorNote({ error, children }: ErrorNoteProps) {
  if (!error) return null;
  return (
    <p className="error-note" role="alert">
      {error}
      {children}
    </p>
  );
}
