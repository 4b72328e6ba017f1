"""The offline engine's shared types: read items, translations, and the one error.

An ``Item`` is one phrase of a question as the reader read it (a table, a column, a value, a
keyword, a number, a date); the builder marks it ``used`` once the SQL accounts for it. A
``Translation`` is a question understood; ``NotUnderstood`` says, in words the asker can act
on, why a question was not. The helpers below write names and literals the one way every part
of the SQL writes them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from bankchat.nl.semantic import Meaning, SemanticLayer


@dataclass(eq=False)
class Item:
    """One phrase of a question as read: its kind, its words, what it can mean. Each is
    itself: two readings of the same word ("date" said twice) are two items."""

    kind: str
    text: str
    meanings: list[Meaning] = field(default_factory=list)
    payload: Any = None
    used: bool = False


@dataclass
class Translation:
    """A question the engine understood."""

    sql: str
    explanation: str
    engine: str = "offline"
    # conventions the engine applied that the SQL alone does not show (columns left out)
    notes: list[str] = field(default_factory=list)
    # how the question's words were read: (words, what they became); filler words apart
    words: list[tuple[str, str]] = field(default_factory=list)
    filler: list[str] = field(default_factory=list)
    # other plausible readings of the question: (what it means, in words; its SQL)
    alternatives: list[tuple[str, str]] = field(default_factory=list)


class NotUnderstood(Exception):
    """The engine could not read the question with confidence; ``reason`` says what."""

    def __init__(self, reason: str, unknown: list[str] | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.unknown = unknown or []


def table_of(item: Item) -> str | None:
    """The table a read phrase names, if it names one."""
    if item.kind == "meaning":
        for meaning in item.meanings:
            if meaning.kind == "table":
                return meaning.table
    return None


def quote(table: str) -> str:
    """A table name in SQL (``order`` is a keyword)."""
    return f'"{table}"' if table == "order" else table


def literal(value: Any) -> str:
    """A number or a string as an SQL literal."""
    if isinstance(value, int | float):
        return str(value)
    return "'" + str(value).replace("'", "''") + "'"


def column_sql(column: str | None, layer: SemanticLayer | None = None) -> str:
    """``table.column`` in SQL; given the layer, a number stored as text is cast."""
    assert column is not None
    table, name = column.split(".")
    ref = f"{quote(table)}.{name}"
    if layer is not None and layer.columns.get(column) and layer.columns[column].cast:
        return f"CAST({ref} AS INTEGER)"
    return ref


_HOME_CUE = re.compile(r"\b(?:liv(?:e|es|ing|ed)|resid\w*|home)\b")
_BRANCH_CUE = re.compile(r"\b(?:branch(?:es)?|(?:held|opened|managed|banks?) (?:at|in))\b")


def place_cue(question: str) -> str | None:
    """Whose district the question's verbs place: "client" (where clients live), "account"
    (the branch that holds the account), or None when it says neither (or both)."""
    text = question.lower()
    home, branch = bool(_HOME_CUE.search(text)), bool(_BRANCH_CUE.search(text))
    if home == branch:
        return None
    return "client" if home else "account"


# the condition that keeps, of an account's transactions, its latest one
LATEST_TRANSACTION = (
    "trans.trans_id = (SELECT latest.trans_id FROM trans AS latest WHERE latest.account_id = "
    "trans.account_id ORDER BY latest.date DESC, latest.trans_id DESC LIMIT 1)"
)
