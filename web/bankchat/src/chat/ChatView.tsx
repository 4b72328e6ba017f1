import { useAction, useQuery } from "convex/react";
import { useEffect, useRef, useState } from "react";

import { api } from "../convex/_generated/api";
import { errorMessage } from "../lib/errors";
import { Link } from "../lib/Link";
import type { Id, Message } from "../types";
import { Answer } from "./Answer";
import { Composer } from "./Composer";
import { useOpenResult } from "./useOpenResult";

const SUGGESTIONS = [
  "How many clients are there per district region?",
  "Number of loans per year",
  "Average loan amount per loan status",
];

/** One conversation (or a new one): its messages, live, and the box to ask the next question. */
export function ChatView({ conversationId }: { conversationId: Id<"conversations"> | null }) {
  const deleted = useDeleted(conversationId);
  const messages = useQuery(
    api.chat.getConversationMessages,
    conversationId && !deleted ? { conversationId } : "skip",
  );
  const ask = useAction(api.chat.ask);
  const open = useOpenResult();
  const [pending, setPending] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const end = useRef<HTMLDivElement>(null);

  useEffect(() => {
    end.current?.scrollIntoView?.({ block: "end" });
  }, [messages?.length, pending]);

  async function send(question: string) {
    setPending(question);
    setError(null);
    try {
      open(await ask(conversationId ? { question, conversationId } : { question }));
    } catch (failure) {
      setError(errorMessage(failure));
    } finally {
      setPending(null);
    }
  }

  if (deleted) {
    return (
      <section className="page">
        <h1>Conversation deleted</h1>
        <p>
          This conversation was deleted. <Link to="/">Start a new one</Link>.
        </p>
      </section>
    );
  }
  const shown = messages ?? [];
  const waitingForOwnMessage =
    pending !== null && !shown.some((m) => m.type === "user" && m.content === pending);
  return (
    <section className="chat" aria-label="Chat">
      <div className="messages" aria-live="polite">
        {conversationId === null && shown.length === 0 && pending === null && (
          <Welcome onPick={(q) => void send(q)} />
        )}
        {conversationId !== null && messages === undefined && <p className="muted">Loading…</p>}
        {shown.map((message, i) => (
          <MessageView key={message._id} message={message} before={shown[i - 1]} />
        ))}
        {waitingForOwnMessage && <div className="message user">{pending}</div>}
        {pending !== null && (
          <div className="message assistant thinking" role="status">
            Working on it…
          </div>
        )}
        <div ref={end} />
      </div>
      {error && (
        <p className="alert alert-error" role="alert">
          {error}
        </p>
      )}
      <Composer busy={pending !== null} onSend={(q) => void send(q)} />
    </section>
  );
}

function MessageView({ message, before }: { message: Message; before?: Message }) {
  if (message.type === "user") {
    // why: a run of edited or saved SQL is recorded as the user's turn, SQL and all
    const isSql = /^\s*(select|with)\b/i.test(message.content);
    return (
      <div className={isSql ? "message user sql-turn" : "message user"}>{message.content}</div>
    );
  }
  const question =
    before?.type === "user" && before.content !== message.sql ? before.content : undefined;
  return <Answer message={message} question={question} />;
}

function Welcome({ onPick }: { onPick: (question: string) => void }) {
  return (
    <div className="welcome">
      <h1>Ask the bank's data</h1>
      <p className="muted">
        Write a question in plain language. You will see the SQL it becomes, the rows, and a chart
        when the answer is a grouping or a time series.
      </p>
      <ul className="suggestions">
        {SUGGESTIONS.map((q) => (
          <li key={q}>
            <button type="button" onClick={() => onPick(q)}>
              {q}
            </button>
          </li>
        ))}
      </ul>
    </div>
  );
}

/** Whether the conversation was deleted (it was listed and is no longer). */
function useDeleted(conversationId: Id<"conversations"> | null): boolean {
  const conversations = useQuery(api.chat.listConversations);
  const [seen, setSeen] = useState(false);
  const listed = conversations?.some((c) => c._id === conversationId) ?? false;
  if (listed && !seen) setSeen(true);
  return seen && conversations !== undefined && !listed;
}
