import type { FunctionReference, FunctionReturnType, OptionalRestArgs } from "convex/server";
import { useCallback, useState } from "react";
import { errorMessage } from "./errors";

/** How a run ended: its value, or failed (the error is in ``error``). */
export type RunResult<T> = { ok: true; value: T } | { ok: false };

/** What useRun gives: ``run``, and the state a button needs. */
export interface Running<Args extends unknown[], T> {
  run: (...args: Args) => Promise<RunResult<T>>;
  /** while it runs */
  busy: boolean;
  /** the last run's error, as a message; null when it did not fail */
  error: string | null;
  clearError: () => void;
}

/** What useRun gives for the mutation ``F`` (``useRun(useMutation(F))``). */
export type MutationRun<F extends FunctionReference<"mutation">> = Running<
  OptionalRestArgs<F>,
  FunctionReturnType<F>
>;

/**
 * ``fn`` (a mutation, an upload) wrapped with the state a button needs: ``busy`` while it runs,
 * ``error`` (a message) when it failed. ``run`` resolves to ``{ ok: true, value }`` or ``{ ok: false }``.
 */
export function useRun<Args extends unknown[], T>(
  fn: (...args: Args) => Promise<T>,
): Running<Args, T> {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const run = useCallback(
    async (...args: Args): Promise<RunResult<T>> => {
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
