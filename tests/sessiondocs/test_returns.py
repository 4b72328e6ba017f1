"""Every public sessiondocs function declares what it returns (``returns=``): the value is
checked on each call, and the web app's types come from it (``livebase codegen``, the
committed ``web/sessiondocs/src/convex/_generated``)."""

from __future__ import annotations

from livebase import load_app


def test_every_public_function_declares_what_it_returns() -> None:
    app = load_app("sessiondocs.functions")
    public = {path: fn for path, fn in app.functions.items() if not fn.internal}
    assert public, "no public functions found"
    missing = sorted(path for path, fn in public.items() if fn.returns is None)
    assert missing == [], (
        f"public functions without a returns= validator (their web types would be any): "
        f"{', '.join(missing)}"
    )
