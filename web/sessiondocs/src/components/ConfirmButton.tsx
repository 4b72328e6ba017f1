import {
  useEffect,
  useId,
  useRef,
  useState,
  type ButtonHTMLAttributes,
  type ReactNode,
} from "react";

interface ConfirmButtonProps extends Omit<
  ButtonHTMLAttributes<HTMLButtonElement>,
  "type" | "onClick" | "children"
> {
  children: ReactNode;
  question: string;
  confirmLabel: string;
  onConfirm: () => void;
}

/**
 * A button that asks first: a modal dialog with ``question`` and Cancel / ``confirmLabel``
 * (Escape cancels). ``onConfirm`` runs only when confirmed.
 */
export function ConfirmButton({
  children,
  question,
  confirmLabel,
  onConfirm,
  ...buttonProps
}: ConfirmButtonProps) {
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

interface ConfirmDialogProps {
  question: string;
  confirmLabel: string;
  onAnswer: (yes: boolean) => void;
}

function ConfirmDialog({ question, confirmLabel, onAnswer }: ConfirmDialogProps) {
  const dialog = useRef<HTMLDialogElement>(null);
  const answered = useRef(false);

  const questionId = useId();

  useEffect(() => {
    // why: no close() on cleanup; unmounting removes the dialog, and a close() there would
    // fire "close" (read as Cancel) after StrictMode's development remount reopened it.
    if (dialog.current && !dialog.current.open) dialog.current.showModal();
  }, []);

  function answer(yes: boolean) {
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
