import { useCallback } from "react";

import { useResults } from "../lib/results";
import { conversationPath, navigate } from "../lib/router";
import type { AskResult } from "../types";

/** Keep a run's full result and show the conversation it was recorded in. */
export function useOpenResult(): (result: AskResult) => void {
  const { remember } = useResults();
  return useCallback(
    (result: AskResult) => {
      remember(result);
      navigate(conversationPath(result.conversationId));
    },
    [remember],
  );
}
