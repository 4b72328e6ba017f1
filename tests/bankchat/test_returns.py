"""What bankchat's functions return is declared (``returns=``): checked on every call and read
by ``livebase codegen`` into the web app's types, which the UI takes instead of copies."""

from __future__ import annotations

import pytest

import livebase
from bankchat.functions import _shapes
from bankchat.service import AskResult, chart_for
from livebase import ValidationError
from livebase.engine.ids import new_id


def test_every_public_function_declares_what_it_returns() -> None:
    app = livebase.load_app("bankchat.functions")
    public = {path: fn for path, fn in app.functions.items() if not fn.internal}
    assert len(public) > 40
    missing = sorted(path for path, fn in public.items() if fn.returns is None)
    assert not missing, f"functions without returns=: {missing}"


def _answer(**fields: object) -> dict[str, object]:
    result = AskResult("Loans per year?", "SELECT ...", **fields).to_dict()
    return {**result, "conversationId": new_id(1), "messageId": None}


def test_an_answer_matches_its_shape_with_or_without_the_bank_words() -> None:
    columns, rows = ["year", "loans"], [[1996, 10], [1997, 12.5]]
    info = [
        {"name": "year", "label": "Year", "kind": "text", "unit": None, "source": None,
         "values": {}},
        {"name": "loans", "label": "Number of loans", "kind": "count", "unit": None,
         "source": None, "values": {}},
    ]  # fmt: skip
    chart = chart_for(columns, rows, info)
    assert chart is not None
    full = _answer(columns=columns, rows=rows, row_count=2, chart=chart, column_info=info)
    assert _shapes.AskResult.check(full)["chart"] == chart
    # the explainer failed: each column has only its name, label and kind
    plain = [{"name": c, "label": c, "kind": "text"} for c in columns]
    _shapes.AskResult.check(_answer(columns=columns, rows=rows, column_info=plain))
    refused = _answer(error="Not allowed", denied=True)
    assert _shapes.AskResult.check(refused)["status"] == "denied"


def test_a_field_the_shape_does_not_name_fails_the_call() -> None:
    with pytest.raises(ValidationError, match="extra field"):
        _shapes.AskResult.check({**_answer(), "secret": 1})
    with pytest.raises(ValidationError):
        _shapes.AskResult.check(_answer(chart={"type": "pie", "x": "a", "y": "b", "title": ""}))
