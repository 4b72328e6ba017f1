import { useMutation, useQuery } from "convex/react";
import { useState, type FormEvent } from "react";

import { api } from "../convex/_generated/api";
import { errorMessage } from "../lib/errors";
import { Link } from "../lib/Link";
import { conversationPath, navigate } from "../lib/router";
import type { Conversation, Id } from "../types";

interface Props {
  currentId: Id<"conversations"> | null;
  onNavigate: () => void;
}

/** The user's conversations, live, most recent first; each can be renamed or deleted. */
export function Conversations({ currentId, onNavigate }: Props) {
  const conversations = useQuery(api.chat.listConversations);
  return (
    <section className="side-section" aria-labelledby="conversations-title">
      <div className="side-head">
        <h2 id="conversations-title">Conversations</h2>
        <Link to="/" className="button small" onNavigate={onNavigate}>
          New chat
        </Link>
      </div>
      {conversations === undefined ? (
        <p className="muted">Loading…</p>
      ) : conversations.length === 0 ? (
        <p className="muted">No conversations yet. Ask a question to start one.</p>
      ) : (
        <ul className="side-list">
          {conversations.map((c) => (
            <ConversationItem
              key={c._id}
              conversation={c}
              current={c._id === currentId}
              onNavigate={onNavigate}
            />
          ))}
        </ul>
      )}
    </section>
  );
}

interface ItemProps {
  conversation: Conversation;
  current: boolean;
  onNavigate: () => void;
}

function ConversationItem({ conversation, current, onNavigate }: ItemProps) {
  const rename = useMutation(api.chat.renameConversation);
  const remove = useMutation(api.chat.deleteConversation);
  const [mode, setMode] = useState<"view" | "rename" | "delete">("view");
  const [title, setTitle] = useState(conversation.title);
  const [error, setError] = useState<string | null>(null);
  const inputId = `rename-${conversation._id}`;

  async function save(event: FormEvent) {
    event.preventDefault();
    try {
      await rename({ conversationId: conversation._id, title });
      setMode("view");
      setError(null);
    } catch (failure) {
      setError(errorMessage(failure));
    }
  }

  async function confirmDelete() {
    await remove({ conversationId: conversation._id });
    if (current) navigate("/");
  }

  if (mode === "rename") {
    return (
      <li className="side-item">
        <form className="inline-form" onSubmit={save}>
          <label htmlFor={inputId} className="visually-hidden">
            New title for {conversation.title}
          </label>
          <input
            id={inputId}
            value={title}
            autoFocus
            onChange={(e) => setTitle(e.target.value)}
            onKeyDown={(e) => e.key === "Escape" && setMode("view")}
          />
          <button type="submit" className="small primary">
            Save
          </button>
          <button type="button" className="small" onClick={() => setMode("view")}>
            Cancel
          </button>
        </form>
        {error && (
          <p className="alert alert-error" role="alert">
            {error}
          </p>
        )}
      </li>
    );
  }
  return (
    <li className={current ? "side-item current" : "side-item"}>
      <Link
        to={conversationPath(conversation._id)}
        current={current}
        onNavigate={onNavigate}
        className="side-link"
      >
        {conversation.title}
      </Link>
      {mode === "delete" ? (
        <span className="item-actions">
          <button type="button" className="small danger" onClick={() => void confirmDelete()}>
            Delete
          </button>
          <button type="button" className="small" onClick={() => setMode("view")}>
            Keep
          </button>
        </span>
      ) : (
        <span className="item-actions">
          <button
            type="button"
            className="small"
            aria-label={`Rename ${conversation.title}`}
            onClick={() => {
              setTitle(conversation.title);
              setMode("rename");
            }}
          >
            Rename
          </button>
          <button
            type="button"
            className="small"
            aria-label={`Delete ${conversation.title}`}
            onClick={() => setMode("delete")}
          >
            Delete
          </button>
        </span>
      )}
    </li>
  );
}
