"""Test harness for app authors: call your functions in tests, with an identity.

    from livebase.testing import AppTester

    def test_create(tmp_path):
        with AppTester("myapp", tmp_path) as t:
            session_id = t.mutation("sessions:createSession", {"pcName": "PC-1"})
            alice = t.as_user(subject="alice", email="alice@example.com")
            assert alice.query("sessions:mine") == [...]

Internal functions are callable, as from the CLI. Each tester has a real SQLite database in
its directory (a fresh temporary one when none is given).
"""

from __future__ import annotations

import asyncio
import shutil
import tempfile
from pathlib import Path
from types import ModuleType
from typing import Any

from livebase.runtime.app import App
from livebase.services.runtime import Runtime


class AppTester:
    """An app on a real database, called as a given user (or anonymously)."""

    def __init__(
        self,
        app: str | Path | ModuleType | App,
        data_dir: str | Path | None = None,
        *,
        identity: dict[str, Any] | None = None,
        _runtime: Runtime | None = None,
    ) -> None:
        self._tmp: str | None = None
        self._owner = _runtime is None
        if _runtime is None:
            if data_dir is None:
                self._tmp = tempfile.mkdtemp(prefix="livebase-test-")
                data_dir = self._tmp
            _runtime = Runtime(app, data_dir)
        self.runtime = _runtime
        self.identity = identity

    def as_user(self, **claims: Any) -> AppTester:
        """A view of the same app and data that calls as this user (claims need ``subject``)."""
        view = AppTester.__new__(AppTester)
        view._tmp = None
        view.runtime = self.runtime
        view.identity = claims
        view._owner = False
        return view

    def query(self, path: Any, args: dict[str, Any] | None = None) -> Any:
        return self.runtime.run_query(path, args, identity=self.identity, internal_ok=True).value

    def mutation(self, path: Any, args: dict[str, Any] | None = None) -> Any:
        return self.runtime.run_mutation(path, args, identity=self.identity, internal_ok=True).value

    def action(self, path: Any, args: dict[str, Any] | None = None) -> Any:
        coro = self.runtime.run_action(path, args, identity=self.identity, internal_ok=True)
        return asyncio.run(coro)

    def run(self, path: Any, args: dict[str, Any] | None = None) -> Any:
        """Call a function of any kind."""
        return self.runtime.call(path, args, identity=self.identity, internal_ok=True)

    def close(self) -> None:
        if not self._owner:
            return
        self.runtime.close()
        if self._tmp is not None:
            shutil.rmtree(self._tmp, ignore_errors=True)

    def __enter__(self) -> AppTester:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
