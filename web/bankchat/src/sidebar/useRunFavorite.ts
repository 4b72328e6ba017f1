import { useAction } from "convex/react";
import { useState } from "react";

import { useOpenResult } from "../chat/useOpenResult";
import { api } from "../convex/_generated/api";
import { errorMessage } from "../lib/errors";
import type { Id } from "../types";

/** Run a favorite again (in the open conversation, if any) and show its result. */
export function useRunFavorite(
  favoriteId: Id<"favorites">,
  conversationId: Id<"conversations"> | null,
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
