import { useAction } from "convex/react";
import hljs from "highlight.js/lib/core";
import sqlLanguage from "highlight.js/lib/languages/sql";
import { useId, useMemo, useState, type KeyboardEvent } from "react";

import { api } from "../convex/_generated/api";
import { errorMessage } from "../lib/errors";
import type { Id } from "../types";
import { useOpenResult } from "./useOpenResult";

hljs.registerLanguage("sql", sqlLanguage);

interface Props {
  sql: string;
  conversationId: Id<"conversations">;
}

/** The SQL of an answer, highlighted; editable and run again through the same guard. */
export function SqlPanel({ sql, conversationId }: Props) {
  const [editing, setEditing] = useState(false);
  const [draft, setDraft] = useState(sql);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const runSql = useAction(api.chat.runSql);
  const open = useOpenResult();
  const id = useId();
  // why: highlight.js escapes the text it wraps in spans, so its HTML is safe to insert
  const html = useMemo(() => hljs.highlight(sql, { language: "sql" }).value, [sql]);

  async function run() {
    if (!draft.trim()) return;
    setBusy(true);
    setError(null);
    try {
      open(await runSql({ sql: draft, conversationId }));
      setEditing(false);
    } catch (failure) {
      setError(errorMessage(failure));
    } finally {
      setBusy(false);
    }
  }

  function onKeyDown(event: KeyboardEvent<HTMLTextAreaElement>) {
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
      event.preventDefault();
      void run();
    } else if (event.key === "Escape") {
      setEditing(false);
    }
  }

  if (!editing) {
    return (
      <div className="sql-panel">
        <pre className="sql">
          <code className="hljs language-sql" dangerouslySetInnerHTML={{ __html: html }} />
        </pre>
        <button
          type="button"
          className="small"
          onClick={() => {
            setDraft(sql);
            setEditing(true);
          }}
        >
          Edit SQL
        </button>
      </div>
    );
  }
  return (
    <div className="sql-panel editing">
      <label htmlFor={id}>Edit the SQL (Ctrl+Enter runs it)</label>
      <textarea
        id={id}
        className="sql-editor"
        spellCheck={false}
        rows={Math.min(12, draft.split("\n").length + 2)}
        value={draft}
        autoFocus
        onChange={(e) => setDraft(e.target.value)}
        onKeyDown={onKeyDown}
      />
      <div className="row">
        <button type="button" className="primary small" disabled={busy} onClick={() => void run()}>
          {busy ? "Running…" : "Run SQL"}
        </button>
        <button type="button" className="small" onClick={() => setEditing(false)}>
          Cancel
        </button>
      </div>
      {error && (
        <p className="alert alert-error" role="alert">
          {error}
        </p>
      )}
    </div>
  );
}
