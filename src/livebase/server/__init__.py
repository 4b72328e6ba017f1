"""livebase's server: Convex's sync protocol and HTTP API over an app's runtime."""

from livebase.server.app import Server, create_app
from livebase.server.auth import AuthFailed, ServerAuth, TokenVerifier

__all__ = ["AuthFailed", "Server", "ServerAuth", "TokenVerifier", "create_app"]
