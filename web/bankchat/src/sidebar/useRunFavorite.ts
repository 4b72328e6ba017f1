import { useAction } from "convex/react";
import { useState } from "react";

import { api } from "../api";
import { useOpenResult } from "../chat/useOpenResult";
import { errorMessage } from "../lib/errors";

/** Run a favorite again (in the open conversation, if any) and show its result. */
export function useRunFavorite(
  favoriteId: string,
  conversationId: string | null,
  onNavigate: () => void,
) {
  const run = useAction(api.favorites.runFavorite);
  const open = useOpenResult();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  async function runAgain() {
    setBusy(true);
    setError(null);
    try {
      open(await run(conversationId ? { favoriteId, conversationId } : { favoriteId }));
      onNavigate();
    } catch (failure) {
      setError(errorMessage(failure));
    } finally {
      setBusy(false);
    }
  }

  return { runAgain, busy, error };
}
