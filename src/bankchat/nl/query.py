"""The state of one question being built into a SELECT, and what its phrases name.

The builder is one ``Builder`` over this state, in three parts that each read and add to
it: the frame of the question (``builder``: the aggregate, the measure, the grouping, the
records it is about), its conditions (``filters``) and the writing of the SQL
(``assembly``). Items start unused; each part marks the ones it accounts for, and the frame
refuses the question when a content word is left over.
"""

from __future__ import annotations

from bankchat.nl.base import Item, table_of
from bankchat.nl.semantic import SemanticLayer


class Query:
    """One question's items and the parts of its SELECT found so far."""

    def __init__(
        self,
        layer: SemanticLayer,
        items: list[Item],
        question: str,
        hidden: frozenset[tuple[str, str]] = frozenset(),
        anchor: str | None = None,
        each_row: bool = False,
    ) -> None:
        self.layer = layer
        # "..., counting each holder once": a total or average over the joined rows (one per
        # holder), not over the records themselves
        self.each_row = each_row
        # whose district a place name filters, when the caller chose a reading ("client" or
        # "account"); the reading not taken, when two were plausible
        self.anchor = anchor
        self.ambiguous_place: tuple[str, str] | None = None
        self.hidden = {f"{t}.{c}".lower() for t, c in hidden}
        self.left_out: list[str] = []
        self.applied: list[str] = []
        self.items = [i for i in items if i.kind != "stop"]
        self.question = question
        self.conditions: list[str] = []
        self.explain: list[str] = []
        self.tables: set[str] = set()
        self.extra_columns: list[str] = []
        # (table or "district", column) -> (index of its condition, the places said)
        self.place_conditions: dict[tuple[str, str], tuple[int, list[str]]] = {}
        self.value_closed: dict[str, list[str]] = {}  # values chosen before an "or"
        self.picked_out = False  # the fields of one record a largest or smallest picks out
        # a field of the one record a superlative picks out is what is asked ("when was the
        # largest loan granted", "which branch holds the single largest standing order")
        self.picked_field = False
        self.group_more: list[str] = []
        self.order_by: str | None = None
        self.any_disposition = False
        self.value_conditions: dict[str, tuple[int, list[str]]] = {}
        self.split_by: list[str] = []
        self.distinct_of: str | None = None
        self.list_order: str | None = None  # a list's order when nothing else orders it
        self.also_shown: list[Item] = []  # fields asked for that a filter also applies to
        self.dated: list[Item] = []  # named dates a period already applies to
        self.year_hint: str | None = None
        self.base = ""

    def _role_said(self) -> bool:
        """Whether a condition already says which dispositions count (owners, disponents)."""
        return any(c.startswith("disp.type") for c in self.conditions)

    # --- what the items name ---------------------------------------------------------------
    def _tables_in_play(self) -> list[str]:
        out = [self.base] if self.base else []
        for item in self.items:
            table = table_of(item)
            if table and table not in out:
                out.append(table)
        for item in self.items:
            for meaning in item.meanings:
                if meaning.kind == "value" and meaning.table not in ("*", *out):
                    out.append(meaning.table)
        return out

    def column(self, item: Item) -> str | None:
        """The column an item names, with generic ones (amount, date, type) resolved."""
        if item.kind != "meaning":
            return None
        for meaning in item.meanings:
            if meaning.kind != "column":
                continue
            if meaning.table != "*":
                return meaning.qualified
            said = self._said_of(item, meaning.column)
            if said is not None:
                return said
            for table in self._tables_in_play():
                if meaning.column in self.layer.tables[table].list_columns:
                    return f"{table}.{meaning.column}"
            return None
        return None

    def _said_of(self, item: Item, name: str) -> str | None:
        """ "the date it was opened": a generic column the verb right after it names
        (``account.date``), with only small words between."""
        at = self.items.index(item) if item in self.items else -1
        for later in self.items[at + 1 : at + 4] if at >= 0 else []:
            if later.kind == "stop":
                continue
            for meaning in later.meanings:
                if meaning.kind == "column" and meaning.table != "*" and meaning.column == name:
                    return meaning.qualified
            return None
        return None

    def ctype(self, column: str) -> str:
        """A column's type: date, number or text."""
        info = self.layer.columns.get(column)
        if info is not None:
            return info.type
        name = column.split(".")[1]
        return (
            "date"
            if name in ("date", "issued", "birth_date")
            else ("number" if name in ("amount", "balance", "payments", "duration") else "text")
        )
