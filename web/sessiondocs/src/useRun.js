import { useCallback, useState } from "react";
import { errorMessage } from "./api.js";

/**
 * ``fn`` (a mutation, an upload) wrapped with the state a button needs: ``busy`` while it runs,
 * ``error`` (a message) when it failed. ``run`` resolves to ``{ ok: true, value }`` or ``{ ok: false }``.
 */
export function useRun(fn) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState(null);
  const run = useCallback(
    async (...args) => {
      setBusy(true);
      setError(null);
      try {
        return { ok: true, value: await fn(...args) };
      } catch (err) {
        setError(errorMessage(err));
        return { ok: false };
      } finally {
        setBusy(false);
      }
    },
    [fn],
  );
  return { run, busy, error, clearError: () => setError(null) };
}
