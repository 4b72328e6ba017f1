// Full results this tab received from chat:ask / chat:runSql, by the message they produced.
// A message keeps only its first rows (service.CACHED_ROWS); the answer shows all of them
// where this tab asked, and the kept rows elsewhere.
import { createContext, useCallback, useContext, useMemo, useState, type ReactNode } from "react";

import type { AskResult } from "../types";

interface Results {
  remember: (result: AskResult) => void;
  byMessage: ReadonlyMap<string, AskResult>;
}

const ResultsContext = createContext<Results>({ remember: () => {}, byMessage: new Map() });

export function ResultsProvider({ children }: { children: ReactNode }) {
  const [byMessage, setByMessage] = useState<ReadonlyMap<string, AskResult>>(new Map());
  const remember = useCallback((result: AskResult) => {
    const id = result.messageId;
    if (id) setByMessage((old) => new Map(old).set(id, result));
  }, []);
  const value = useMemo(() => ({ remember, byMessage }), [remember, byMessage]);
  return <ResultsContext.Provider value={value}>{children}</ResultsContext.Provider>;
}

export function useResults(): Results {
  return useContext(ResultsContext);
}
