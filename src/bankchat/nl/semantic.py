"""The semantic layer: what the bank database's tables, columns and codes mean, as data.

Loaded from a JSON description (``financial.json``) plus the district names of the data, it
gives the offline engine its vocabulary (phrases for tables, columns and coded values) and its
join graph. Another database is described the same way, with no change to the engine.
"""

from __future__ import annotations

import csv
import json
import re
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
DEFAULT_LAYER = HERE / "financial.json"
DISTRICTS = HERE.parent / "bankdb" / "berka" / "district.asc"


@dataclass(frozen=True)
class Meaning:
    """What a phrase can mean."""

    kind: str  # table | column | value | region | district | id
    table: str = ""
    column: str = ""
    values: tuple[str, ...] = ()
    when: str = ""  # a value phrase that applies only when this table is in play

    @property
    def qualified(self) -> str:
        return f"{self.table}.{self.column}"


@dataclass
class TableInfo:
    name: str
    key: str
    list_columns: list[str]
    date: str | None = None
    measure: str | None = None
    name_column: str | None = None
    id_phrases: list[str] = field(default_factory=list)
    # the columns that name one record in a ranked list (default: its name, else its key)
    ident: list[str] = field(default_factory=list)


@dataclass
class ColumnInfo:
    table: str
    column: str
    type: str
    cast: bool = False
    # some records have no value (a district's 1995 figures)
    nullable: bool = False


class SemanticLayer:
    """Vocabulary and join graph of one database."""

    def __init__(self, data: dict[str, Any], district_names: list[str] | None = None) -> None:
        self.name = data.get("name", "db")
        self.description = data.get("description", "")
        self.tables: dict[str, TableInfo] = {}
        self.columns: dict[str, ColumnInfo] = {}
        self.lexicon: dict[str, list[Meaning]] = {}
        self.value_meanings: dict[str, dict[str, str]] = data.get("value_meanings", {})
        for name, spec in data["tables"].items():
            self.tables[name] = TableInfo(
                name,
                spec["key"],
                list(spec["list"]),
                spec.get("date"),
                spec.get("measure"),
                spec.get("name"),
                list(spec.get("id_phrases", [])),
                list(spec.get("ident", [])),
            )
            for phrase in spec["phrases"]:
                self._add(phrase, Meaning("table", name))
        for qualified, spec in data["columns"].items():
            table, column = qualified.split(".")
            self.columns[qualified] = ColumnInfo(
                table, column, spec["type"], spec.get("cast", False), spec.get("nullable", False)
            )
            for phrase in spec["phrases"]:
                self._add(phrase, Meaning("column", table, column))
        # every value a coded column holds, as far as the vocabulary knows them
        self.domains: dict[str, set[str]] = {
            column: set(meanings) for column, meanings in self.value_meanings.items()
        }
        for spec in data["values"]:
            table, column = spec["column"].split(".")
            values = tuple(spec["values"]) if "values" in spec else (spec["value"],)
            self.domains.setdefault(spec["column"], set()).update(values)
            for phrase in spec["phrases"]:
                self._add(phrase, Meaning("value", table, column, values, spec.get("when", "")))
        for phrase, stored in data.get("regions", {}).items():
            self._add(phrase, Meaning("region", "district", "A3", (stored,)))
        for name in district_names or []:
            self._add(name, Meaning("district", "district", "A2", (name,)))
        # a city said bare ("in Brno") is its city district ("Brno - mesto"), not the country
        # district around it ("Brno - venkov"); the interpretation names the district read
        for alias, name in data.get("district_aliases", {}).items():
            self._add(alias, Meaning("district", "district", "A2", (name,)))
        self.hubs = set(data.get("no_pass_through", []))
        # one figure kept per year in its own column: {"crimes": {"1995": "district.A15", ...}}
        self.year_columns: dict[str, dict[str, str]] = data.get("year_columns", {})
        # rates and per-head figures: a group of districts has their average, never their sum
        self.averaged: frozenset[str] = frozenset(data.get("averaged", []))
        # amounts paid every month (a loan's installment, a standing order): "every month" said
        # of them is what they are, not a grouping by month
        self.monthly: frozenset[str] = frozenset(data.get("monthly", []))
        # values that name records ("women": clients, "gold cards": cards): said first, they
        # are the records asked for
        self.record_values: frozenset[str] = frozenset(data.get("record_values", []))

        self.edges: dict[str, list[tuple[str, str, str]]] = {t: [] for t in self.tables}
        for left, right in data["joins"]:
            lt, lc = left.split(".")
            rt, rc = right.split(".")
            self.edges[lt].append((rt, lc, rc))
            self.edges[rt].append((lt, rc, lc))

    def column_for_year(self, column: str, year: str) -> str | None:
        """The column holding the same figure as ``column`` for ``year``, if there is one."""
        for years in self.year_columns.values():
            if column in years.values():
                return years.get(year)
        return None

    def _add(self, phrase: str, meaning: Meaning) -> None:
        key = normalize_phrase(phrase)
        bucket = self.lexicon.setdefault(key, [])
        if meaning not in bucket:
            bucket.append(meaning)

    @property
    def max_phrase_words(self) -> int:
        return max(len(p.split()) for p in self.lexicon)

    def path(self, start: str, goal: str) -> list[tuple[str, str, str, str]]:
        """The shortest join path: (from table, from column, to table, to column) steps."""
        if start == goal:
            return []
        previous: dict[str, tuple[str, str, str]] = {start: ("", "", "")}
        queue = deque([start])
        while queue:
            table = queue.popleft()
            if table in self.hubs and table != start:
                continue  # why: clients and accounts relate through disp, never via a district
            for other, mine, theirs in self.edges[table]:
                if other not in previous:
                    previous[other] = (table, mine, theirs)
                    if other == goal:
                        queue.clear()
                        break
                    queue.append(other)
        if goal not in previous:
            raise KeyError(f"no join path from {start} to {goal}")
        steps = []
        node = goal
        while node != start:
            parent, mine, theirs = previous[node]
            steps.append((parent, mine, node, theirs))
            node = parent
        return list(reversed(steps))

    def meaning_of_code(self, qualified: str, code: str) -> str:
        return self.value_meanings.get(qualified, {}).get(code, code)

    def describe(self) -> str:
        """A compact text description for prompts: tables, columns and code meanings."""
        lines = [self.description]
        for name, info in self.tables.items():
            cols = [c.split(".")[1] for c in self.columns if c.startswith(name + ".")]
            unique = list(dict.fromkeys(info.list_columns + cols))
            lines.append(f"- {name} (key {info.key}): {', '.join(unique)}")
        for qualified, codes in self.value_meanings.items():
            pairs = "; ".join(f"{k!r} = {v}" for k, v in codes.items())
            lines.append(f"- {qualified}: {pairs}")
        lines.append(
            "- joins: "
            + ", ".join(
                f"{t}.{a} = {o}.{b}"
                for t, edges in self.edges.items()
                for o, a, b in edges
                if t < o
            )
        )
        return "\n".join(lines)


def normalize_phrase(text: str) -> str:
    """A phrase as questions are tokenized: lower case, hyphens and a full stop that ends a
    word dropped ("Hl.m. Praha" -> "hl.m praha", "Brno - mesto" -> "brno mesto")."""
    text = re.sub(r"\.(?=\s|$)", " ", text.lower())
    return " ".join(text.replace("-", " ").split())


def load_layer(path: Path = DEFAULT_LAYER) -> SemanticLayer:
    """The semantic layer of the bank database, with its district names."""
    with open(DISTRICTS, newline="") as handle:
        reader = csv.reader(handle, delimiter=";", quotechar='"')
        next(reader)
        names = [row[1] for row in reader if row]
    return SemanticLayer(json.loads(path.read_text()), names)
