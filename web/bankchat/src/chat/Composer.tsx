import { useState, type FormEvent, type KeyboardEvent } from "react";

interface Props {
  busy: boolean;
  onSend: (question: string) => void;
}

/** The question box: Enter sends, Shift+Enter starts a new line. */
export function Composer({ busy, onSend }: Props) {
  const [text, setText] = useState("");

  function send() {
    const question = text.trim();
    if (!question || busy) return;
    onSend(question);
    setText("");
  }

  function onKeyDown(event: KeyboardEvent<HTMLTextAreaElement>) {
    if (event.key === "Enter" && !event.shiftKey && !event.nativeEvent.isComposing) {
      event.preventDefault();
      send();
    }
  }

  return (
    <form
      className="composer"
      onSubmit={(event: FormEvent) => {
        event.preventDefault();
        send();
      }}
    >
      <label htmlFor="question" className="visually-hidden">
        Your question
      </label>
      <textarea
        id="question"
        rows={2}
        placeholder="Ask about the bank’s data (Enter sends)"
        value={text}
        onChange={(e) => setText(e.target.value)}
        onKeyDown={onKeyDown}
      />
      <button type="submit" className="primary" disabled={busy || !text.trim()}>
        {busy ? "Asking…" : "Ask"}
      </button>
    </form>
  );
}
