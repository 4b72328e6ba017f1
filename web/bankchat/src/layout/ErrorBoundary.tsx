import { Component, type ErrorInfo, type ReactNode } from "react";

import { errorMessage } from "../lib/errors";

interface State {
  error: unknown;
}

/** Shows a page's error (a refused query, a lost connection) instead of a blank screen. */
export class ErrorBoundary extends Component<{ children: ReactNode }, State> {
  state: State = { error: null };

  static getDerivedStateFromError(error: unknown): State {
    return { error };
  }

  componentDidCatch(error: unknown, info: ErrorInfo): void {
    console.error("page error", error, info.componentStack);
  }

  render() {
    if (this.state.error === null) return this.props.children;
    return (
      <section className="page">
        <h1>Something went wrong</h1>
        <p className="alert alert-error" role="alert">
          {errorMessage(this.state.error)}
        </p>
        <button type="button" onClick={() => this.setState({ error: null })}>
          Try again
        </button>
      </section>
    );
  }
}
