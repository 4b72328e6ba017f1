import { useEffect, useId, useRef, useState } from "react";

/**
 * A button that asks first: a modal dialog with ``question`` and Cancel / ``confirmLabel``
 * (Escape cancels). ``onConfirm`` runs only when confirmed.
 */
export function ConfirmButton({ children, question, confirmLabel, onConfirm, ...buttonProps }) {
  const [asking, setAsking] = useState(false);
  return (
    <>
      <button type="button" {...buttonProps} onClick={() => setAsking(true)}>
        {children}
      </button>
      {asking && (
        <ConfirmDialog
          question={question}
          confirmLabel={confirmLabel}
          onAnswer={(yes) => {
            setAsking(false);
            if (yes) onConfirm();
          }}
        />
      )}
    </>
  );
}

function ConfirmDialog({ question, confirmLabel, onAnswer }) {
  const dialog = useRef(null);
  const answered = useRef(false);

  const questionId = useId();

  useEffect(() => {
    // why: no close() on cleanup; unmounting removes the dialog, and a close() there would
    // fire "close" (read as Cancel) after StrictMode's development remount reopened it.
    if (!dialog.current.open) dialog.current.showModal();
  }, []);

  function answer(yes) {
    if (answered.current) return;
    answered.current = true;
    onAnswer(yes);
  }

  return (
    <dialog
      ref={dialog}
      className="confirm"
      aria-labelledby={questionId}
      onClose={() => answer(false)}
    >
      <p id={questionId}>{question}</p>
      <div className="actions">
        <button type="button" autoFocus onClick={() => answer(false)}>
          Cancel
        </button>
        <button type="button" className="danger" onClick={() => answer(true)}>
          {confirmLabel}
        </button>
      </div>
    </dialog>
  );
}
