import { useAction, useQuery } from "convex/react";
import { useState } from "react";

import { api } from "../convex/_generated/api";
import { errorMessage } from "../lib/errors";
import { plural } from "../lib/format";
import { useResults } from "../lib/results";
import { AnswerChart } from "../results/AnswerChart";
import { ResultTable } from "../results/ResultTable";
import type { AskResult, Message } from "../types";
import { ReportWrong } from "./ReportWrong";
import { SaveFavorite } from "./SaveFavorite";
import { ShareQuery } from "./ShareQuery";
import { useOpenResult } from "./useOpenResult";
import { SqlPanel } from "./SqlPanel";

/** What became of the question: an answer's status. */
type Outcome = AskResult["status"];

function outcomeOf(message: Message): Outcome {
  if (message.denied) return "denied";
  if (message.choices && message.choices.length > 0) return "ambiguous";
  if (message.error && !message.sql) return "not_understood";
  return message.error ? "error" : "success";
}

/** An assistant answer: what happened, the SQL (editable), rows, chart, and what to do next. */
export function Answer({ message, question }: { message: Message; question?: string }) {
  const full = useResults().byMessage.get(message._id);
  const outcome = outcomeOf(message);
  const [tool, setTool] = useState<"none" | "favorite" | "share" | "report">("none");
  const reported = useQuery(api.reviews.myReports)?.includes(message._id) ?? false;
  const [note, setNote] = useState<string | null>(null);
  const done = (what?: string) => {
    setTool("none");
    setNote(what ?? null);
  };
  const columns = full?.columns ?? message.columns ?? [];
  const rows = full?.rows ?? message.rows ?? [];
  const info = full?.column_info ?? message.columnInfo;
  const interpretation = full?.interpretation ?? message.interpretation ?? [];
  const flags = full?.flags ?? message.flags ?? [];
  const total = message.resultCount ?? rows.length;

  return (
    <article className={`message assistant ${outcome}`} aria-label="Answer">
      <Verdict outcome={outcome} message={message} />
      {outcome === "success" && interpretation.length > 0 && (
        <Interpretation lines={interpretation} />
      )}
      {outcome === "success" && flags.length > 0 && (
        <ul className="flags" aria-label="Before you rely on this answer">
          {flags.map((flag) => (
            <li key={flag}>{flag}</li>
          ))}
        </ul>
      )}
      {message.sql && <SqlPanel sql={message.sql} conversationId={message.conversationId} />}
      {outcome === "success" && columns.length > 0 && (
        <>
          <p className="meta">
            {plural(total, "row")}
            {message.executionTimeMs !== undefined && ` in ${message.executionTimeMs} ms`}
            {full?.truncated && " (the first rows only: refine the question for the rest)"}
            {!full && total > rows.length && (
              <>
                {" "}
                · showing the {rows.length} rows kept with the conversation; run it again for all
              </>
            )}
          </p>
          {message.chart && (
            <AnswerChart spec={message.chart} columns={columns} rows={rows} info={info} />
          )}
          <ResultTable
            columns={columns}
            rows={rows}
            info={info}
            fileName={`bankchat-${message._id}.csv`}
          />
        </>
      )}
      {message.sql && outcome !== "denied" && (
        <div className="answer-actions">
          <button
            type="button"
            className="small"
            aria-expanded={tool === "favorite"}
            onClick={() => setTool(tool === "favorite" ? "none" : "favorite")}
          >
            Save as favorite
          </button>
          <button
            type="button"
            className="small"
            aria-expanded={tool === "share"}
            onClick={() => setTool(tool === "share" ? "none" : "share")}
          >
            Share with a team
          </button>
        </div>
      )}
      <div className="answer-actions">
        {reported ? (
          <span className="muted">Reported as wrong: an administrator will review it.</span>
        ) : (
          <button
            type="button"
            className="small"
            aria-expanded={tool === "report"}
            onClick={() => setTool(tool === "report" ? "none" : "report")}
          >
            Wrong answer?
          </button>
        )}
      </div>
      {tool === "report" && <ReportWrong messageId={message._id} onDone={done} />}
      {tool === "favorite" && message.sql && (
        <SaveFavorite sql={message.sql} question={question} onDone={done} />
      )}
      {tool === "share" && message.sql && (
        <ShareQuery sql={message.sql} question={question} onDone={done} />
      )}
      {note && (
        <p className="status-line" role="status">
          {note}
        </p>
      )}
    </article>
  );
}

const PARTS: Record<string, string> = {
  words: "Read",
  filler: "Ignored as filler",
  reads: "From",
  computes: "Computes",
  filter: "Where",
  group: "Grouped",
  distinct: "Rows",
  order: "Order",
  limit: "Limit",
  convention: "Convention",
  scope: "Your access",
  cap: "Row cap",
  query: "Query",
};

/** What the SQL computes, clause by clause, so the reader can check it against the question. */
function Interpretation({ lines }: { lines: AskResult["interpretation"] }) {
  return (
    <details className="interpretation" open>
      <summary>How this was read</summary>
      <dl>
        {lines.map((line, i) => (
          <div key={i} className={`interp-${line.part}`}>
            <dt>{PARTS[line.part] ?? line.part}</dt>
            <dd>{line.text}</dd>
          </div>
        ))}
      </dl>
    </details>
  );
}

/** Two readings of the question that give different answers: the asker picks one. */
function Choices({ message }: { message: Message }) {
  const runSql = useAction(api.chat.runSql);
  const open = useOpenResult();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  async function pick(sql: string) {
    setBusy(true);
    setError(null);
    try {
      open(await runSql({ sql, conversationId: message.conversationId }));
    } catch (failure) {
      setError(errorMessage(failure));
    } finally {
      setBusy(false);
    }
  }

  return (
    <div className="alert alert-warning" role="group" aria-label="Which did you mean?">
      <strong>Which did you mean?</strong> The question can be read two ways, with different
      answers.
      <div className="row choices">
        {(message.choices ?? []).map((choice) => (
          <button
            key={choice.sql}
            type="button"
            className="small"
            disabled={busy}
            onClick={() => pick(choice.sql)}
          >
            {choice.label}
          </button>
        ))}
      </div>
      {error && <p className="reason">{error}</p>}
    </div>
  );
}

function Verdict({ outcome, message }: { outcome: Outcome; message: Message }) {
  if (outcome === "ambiguous") return <Choices message={message} />;
  if (outcome === "denied") {
    return (
      <div className="alert alert-denied" role="alert">
        <strong>Query refused.</strong> <span className="reason">{message.error}</span>
      </div>
    );
  }
  if (outcome === "not_understood") {
    return (
      <div className="alert alert-warning" role="alert">
        <strong>Not understood.</strong> {message.error}. Try naming what to count or list, e.g.
        “number of accounts per district region”.
      </div>
    );
  }
  if (outcome === "error") {
    return (
      <div className="alert alert-error" role="alert">
        <strong>The query failed.</strong> {message.error}
      </div>
    );
  }
  return <p className="explanation">{message.content}</p>;
}
