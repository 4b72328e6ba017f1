"""The offline engine: plain-language questions to SQL with no model and no network.

A deterministic parser over the semantic layer. It reads the question as a sequence of known
phrases (tables, columns, coded values, regions and districts, numbers, dates, and keywords for
counting, totals, averages, extremes, top-k, grouping, comparisons and date ranges), then builds
one SELECT with the joins the semantic layer's graph gives. Every content word must be
understood: when one is not, the engine says which instead of guessing.

The engine is made of small modules: ``vocabulary`` (its words, from ``vocabulary.json``),
``reader`` (a question to items), ``builder`` (items to one SELECT, with ``query``,
``filters`` and ``assembly``), ``gate`` (the structural confidence check) and ``renderer``
(what was read, in words); ``base`` holds the shared types.
"""

from __future__ import annotations

from bankchat.nl.base import Item, NotUnderstood, Translation
from bankchat.nl.builder import Builder
from bankchat.nl.gate import check_confidence
from bankchat.nl.reader import Reader
from bankchat.nl.renderer import reading
from bankchat.nl.semantic import SemanticLayer, load_layer
from bankchat.nl.vocabulary import STOPWORDS

__all__ = ["Item", "NotUnderstood", "OfflineEngine", "Translation"]


class OfflineEngine:
    """Translate questions into SQLite SQL over the semantic layer."""

    name = "offline"

    def __init__(self, layer: SemanticLayer | None = None) -> None:
        self.layer = layer or load_layer()
        self.reader = Reader(self.layer)

    def read(self, question: str) -> list[Item]:
        """The question's phrases, in order, each read as one item."""
        return self.reader.read(question)

    def translate(
        self, question: str, hidden: frozenset[tuple[str, str]] = frozenset()
    ) -> Translation:
        """SQL for ``question``, or NotUnderstood saying what could not be read.

        ``hidden``: (table, column) pairs the asker may not read; default columns leave them
        out (a column the question names is still written, and the guard refuses it)."""
        items = self.read(question)
        unsupported = [i.text for i in items if i.kind == "unsupported"]
        if unsupported:
            raise NotUnderstood(
                f"I cannot yet answer questions with {unsupported[0]!r} (comparisons between "
                "columns, ratios, changes over time or two figures at once); try asking for "
                "one figure, or write the SQL",
                unsupported,
            )
        unknown = [i.text for i in items if i.kind == "unknown" and i.text not in STOPWORDS]
        if unknown:
            raise NotUnderstood(
                "I did not understand: " + ", ".join(repr(u) for u in unknown), unknown
            )
        builder = Builder(self.layer, items, question, hidden)
        translation = builder.build()
        check_confidence(items, translation.sql, layer=self.layer, question=question)
        if builder.ambiguous_place is not None:
            taken, other = builder.ambiguous_place
            place = next((i.text for i in items if _is_place(i)), "there")
            try:
                fresh = self.read(question)
                second = Builder(self.layer, fresh, question, hidden, anchor=other).build()
                # why: the other reading moves one place filter; a join the first reading
                # filtered on may now only link the tables, which is no dropped phrase
                check_confidence(
                    fresh, second.sql, joins=False, layer=self.layer, question=question
                )
            except NotUnderstood:
                second = None
            if second is not None and second.sql != translation.sql:
                translation.alternatives = [
                    (_PLACE_READINGS[taken].format(place=_title(place)), translation.sql),
                    (_PLACE_READINGS[other].format(place=_title(place)), second.sql),
                ]
        translation.filler = [i.text for i in items if i.kind == "stop"]
        translation.words = [(i.text, reading(i)) for i in items if i.kind != "stop"]
        return translation


_PLACE_READINGS = {
    "account": "accounts held at branches in {place}",
    "client": "clients living in {place}",
}


def _is_place(item: Item) -> bool:
    return any(m.kind in ("region", "district") for m in item.meanings)


def _title(text: str) -> str:
    return " ".join(w[:1].upper() + w[1:] for w in text.split())
