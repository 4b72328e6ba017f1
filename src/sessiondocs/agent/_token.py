"""The agent's device token: made by its person in the web app (Devices), kept per server in
the OS user's config directory, readable by that user only (mode 0600)."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

ENV = "SESSIONDOCS_DEVICE_TOKEN"


def config_path() -> Path:
    """``$XDG_CONFIG_HOME/sessiondocs/agent.json`` (``%APPDATA%`` on Windows)."""
    if sys.platform == "win32" and os.environ.get("APPDATA"):
        return Path(os.environ["APPDATA"]) / "sessiondocs" / "agent.json"
    config = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(config) / "sessiondocs" / "agent.json"


def _tokens(path: Path) -> dict[str, str]:
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return {}
    tokens = data.get("tokens") if isinstance(data, dict) else None
    return {str(k): str(v) for k, v in tokens.items()} if isinstance(tokens, dict) else {}


def load_token(url: str, path: Path | None = None) -> str | None:
    """The token for the server at ``url``: ``$SESSIONDOCS_DEVICE_TOKEN``, else the saved one."""
    if os.environ.get(ENV):
        return os.environ[ENV]
    return _tokens(path or config_path()).get(url.rstrip("/"))


def save_token(url: str, token: str, path: Path | None = None) -> Path:
    """Keep ``token`` for ``url``; the file is created, and rewritten, with mode 0600."""
    path = path or config_path()
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    tokens = _tokens(path)
    tokens[url.rstrip("/")] = token
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as out:
        json.dump({"tokens": tokens}, out, indent=2)
    os.chmod(tmp, 0o600)  # why: an older file of the same name may have had wider bits
    os.replace(tmp, path)
    return path
