import { Component, type ReactNode } from "react";

interface ErrorBoundaryProps {
  /** what to show instead of the children, given the error one of them threw */
  fallback: (error: unknown) => ReactNode;
  children: ReactNode;
}

interface ErrorBoundaryState {
  /** what a child threw; null while none has */
  error: unknown;
}

/**
 * Shows ``fallback(error)`` instead of its children once one of them throws while rendering:
 * convex/react's useQuery throws a query's error (a session that is not shared with the caller,
 * a revoked share link) where it is used. Give it a ``key`` to start over (another session).
 */
export class ErrorBoundary extends Component<ErrorBoundaryProps, ErrorBoundaryState> {
  state: ErrorBoundaryState = { error: null };

  static getDerivedStateFromError(error: unknown): ErrorBoundaryState {
    return { error };
  }

  render() {
    if (this.state.error !== null) return this.props.fallback(this.state.error);
    return this.props.children;
  }
}
