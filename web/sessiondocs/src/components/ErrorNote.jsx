/** An error message announced to screen readers; nothing when there is no error. */
export function ErrorNote({ error, children }) {
  if (!error) return null;
  return (
    <p className="error-note" role="alert">
      {error}
      {children}
    </p>
  );
}
