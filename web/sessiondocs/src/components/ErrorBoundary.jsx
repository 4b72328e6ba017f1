import { Component } from "react";

/**
 * Shows ``fallback(error)`` instead of its children once one of them throws while rendering:
 * convex/react's useQuery throws a query's error (a session that is not shared with the caller,
 * a revoked share link) where it is used. Give it a ``key`` to start over (another session).
 */
export class ErrorBoundary extends Component {
  constructor(props) {
    super(props);
    this.state = { error: null };
  }

  static getDerivedStateFromError(error) {
    return { error };
  }

  render() {
    if (this.state.error !== null) return this.props.fallback(this.state.error);
    return this.props.children;
  }
}
