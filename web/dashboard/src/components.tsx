import {
  Component,
  useEffect,
  useId,
  useRef,
  useState,
  type ErrorInfo,
  type ReactNode,
} from "react";

import { errorText, number } from "./format";
import { takeNavigationFocus } from "./router";

/** A page's h1, which takes the focus after a client-side navigation (for screen readers). */
export function PageHeading({ children }: { children: ReactNode }) {
  const ref = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    if (takeNavigationFocus()) ref.current?.focus();
  }, []);
  return (
    <h1 ref={ref} tabIndex={-1} className="page-heading">
      {children}
    </h1>
  );
}

/** An error the server gave, said clearly (role=alert: announced when it appears). */
export function ErrorNote({ error, title }: { error: unknown; title?: string }) {
  if (error === null || error === undefined || error === "") return null;
  const text = typeof error === "string" ? error : errorText(error);
  return (
    <div className="error" role="alert">
      {title && <strong>{title}: </strong>}
      <span className="error-text">{text}</span>
    </div>
  );
}

type BoundaryProps = {
  resetKey: string;
  children: ReactNode;
  render?: (error: unknown) => ReactNode;
};

/** Catches a failing query (useQuery throws) below it; tries again when `resetKey` changes. */
export class ErrorBoundary extends Component<BoundaryProps, { error: unknown; key: string }> {
  state = { error: null as unknown, key: this.props.resetKey };

  static getDerivedStateFromError(error: unknown) {
    return { error };
  }

  static getDerivedStateFromProps(props: BoundaryProps, state: { error: unknown; key: string }) {
    if (props.resetKey !== state.key) return { error: null, key: props.resetKey };
    return null;
  }

  componentDidCatch(error: unknown, info: ErrorInfo) {
    console.warn("dashboard query failed", error, info.componentStack);
  }

  render() {
    if (this.state.error !== null) {
      return this.props.render ? (
        this.props.render(this.state.error)
      ) : (
        <ErrorNote error={this.state.error} title="This could not be loaded" />
      );
    }
    return this.props.children;
  }
}

/**
 * A destructive action behind a confirmation: the button becomes a question with the action
 * and Cancel (focus moves to Cancel, Escape cancels).
 */
export function ConfirmButton({
  label,
  accessibleLabel,
  question,
  confirmLabel,
  keepLabel = "Cancel",
  onConfirm,
}: {
  label: string;
  accessibleLabel?: string;
  question: string;
  confirmLabel: string;
  keepLabel?: string;
  onConfirm: () => Promise<unknown>;
}) {
  const [asking, setAsking] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const cancelRef = useRef<HTMLButtonElement>(null);
  const openRef = useRef<HTMLButtonElement>(null);
  const wasAsking = useRef(false);
  const questionId = useId();

  useEffect(() => {
    if (asking) cancelRef.current?.focus();
    else if (wasAsking.current) openRef.current?.focus();
    wasAsking.current = asking;
  }, [asking]);

  if (!asking) {
    return (
      <span className="confirm">
        <button
          ref={openRef}
          type="button"
          className="danger-quiet"
          aria-label={accessibleLabel}
          onClick={() => {
            setError(null);
            setAsking(true);
          }}
        >
          {label}
        </button>
        <ErrorNote error={error} />
      </span>
    );
  }
  return (
    <span
      className="confirm asking"
      role="group"
      aria-labelledby={questionId}
      onKeyDown={(event) => {
        if (event.key === "Escape") setAsking(false);
      }}
    >
      <span id={questionId} className="confirm-question">
        {question}
      </span>
      <button
        type="button"
        className="danger"
        disabled={busy}
        onClick={async () => {
          setBusy(true);
          try {
            await onConfirm();
            setAsking(false);
          } catch (failure) {
            setError(failure);
            setAsking(false);
          } finally {
            setBusy(false);
          }
        }}
      >
        {confirmLabel}
      </button>
      <button ref={cancelRef} type="button" onClick={() => setAsking(false)}>
        {keepLabel}
      </button>
    </span>
  );
}

/** "Loading…" for a query that has not answered yet (polite, so it is not announced twice). */
export function Loading({ what }: { what: string }) {
  return <p className="muted">Loading {what}…</p>;
}

/** The footer of a paginated list: how many rows it shows, and a button for the next page. */
export function LoadMore({
  shown,
  status,
  loadMore,
}: {
  shown: number;
  status: "LoadingFirstPage" | "CanLoadMore" | "LoadingMore" | "Exhausted";
  loadMore: () => void;
}) {
  return (
    <div className="toolbar">
      <span className="muted">
        Showing {number.format(shown)}
        {status === "Exhausted" ? "" : " so far"}
      </span>
      {status === "CanLoadMore" && (
        <button type="button" onClick={loadMore}>
          Load more
        </button>
      )}
      {status === "LoadingMore" && <span className="muted">Loading more…</span>}
    </div>
  );
}

/** A table that scrolls sideways on a narrow screen: a labelled region keyboard users can
 *  focus to scroll. */
export function ScrollRegion({ label, children }: { label: string; children: ReactNode }) {
  return (
    <div className="table-scroll" tabIndex={0} role="region" aria-label={label}>
      {children}
    </div>
  );
}
