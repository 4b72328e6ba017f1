"""What the access-scenario tests of both apps share: the app's public functions, a call
reduced to its outcome, and the check that every public function has its rule and its row."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from livebase import ConvexError, Runtime
from livebase.runtime.app import camel_case, load_app

OK = "ok"


def public_functions(app: Path) -> dict[str, Any]:
    """The app's public functions by wire path (``module:camelCase``)."""
    loaded = load_app(app)
    return {
        f"{path.split(':')[0]}:{camel_case(path.split(':')[1])}": fn
        for path, fn in loaded.functions.items()
        if not fn.internal
    }


def outcome(runtime: Runtime, path: str, args: dict[str, Any], identity: Any) -> str:
    """Run a public function as ``identity``: "ok", or the code of the ConvexError it raised."""
    kind = runtime.function(path).kind
    try:
        if kind == "query":
            runtime.run_query(path, args, identity=identity)
        elif kind == "mutation":
            runtime.run_mutation(path, args, identity=identity)
        else:
            asyncio.run(runtime.run_action(path, args, identity=identity))
    except ConvexError as exc:
        return str(exc.data.get("code")) if isinstance(exc.data, dict) else str(exc.data)
    return OK


def assert_rules_match(app: Path, rules: Iterable[tuple[str, str]]) -> None:
    """Every public function has exactly one scenario row, declaring the row's rule."""
    public = public_functions(app)
    rows = dict(rules)
    assert sorted(set(public) - set(rows)) == [], "public functions without a scenario"
    assert sorted(set(rows) - set(public)) == [], "scenarios of functions that are not public"
    for name, fn in public.items():
        assert getattr(fn.handler, "__access__", None) == rows[name], name
