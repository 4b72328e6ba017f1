import { useId, useState, type FocusEvent, type MouseEvent } from "react";

interface CopyFieldProps {
  label: string;
  value: string;
  /** the Copy button's name for screen readers, e.g. "Copy the share link" */
  copyLabel?: string;
  /** show it in a text area (commands) */
  multiline?: boolean;
}

/**
 * A secret or link shown once, read-only, with a Copy button (named ``copyLabel`` for screen
 * readers, e.g. "Copy the share link"). ``multiline`` shows it in a
 * text area (commands). The copy falls back to the selection where the Clipboard API is off
 * (pages served over plain http to another machine).
 */
export function CopyField({ label, value, copyLabel, multiline = false }: CopyFieldProps) {
  const [copied, setCopied] = useState<string | null>(null);
  const id = useId();

  async function copy(event: MouseEvent<HTMLButtonElement>) {
    const field = event.currentTarget.parentElement?.querySelector<
      HTMLInputElement | HTMLTextAreaElement
    >("input, textarea");
    try {
      await navigator.clipboard.writeText(value);
      setCopied("Copied");
    } catch {
      field?.select();
      setCopied(document.execCommand("copy") ? "Copied" : "Selected: press Ctrl+C to copy");
    }
  }

  const common = {
    id,
    value,
    readOnly: true,
    spellCheck: false,
    onFocus: (event: FocusEvent<HTMLInputElement | HTMLTextAreaElement>) => event.target.select(),
  };
  return (
    <div className="copy-field">
      <label htmlFor={id}>{label}</label>
      <div className="copy-row">
        {multiline ? (
          <textarea {...common} rows={value.split("\n").length + 1} />
        ) : (
          <input {...common} />
        )}
        <button type="button" onClick={copy} aria-label={copyLabel ?? `Copy ${label}`}>
          Copy
        </button>
      </div>
      <p className="hint" aria-live="polite">
        {copied}
      </p>
    </div>
  );
}
