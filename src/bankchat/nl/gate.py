"""The structural confidence gate: the offline engine's last check before it answers."""

from __future__ import annotations

from typing import Any

import sqlglot
from sqlglot import exp

from bankchat.nl.base import Item, NotUnderstood


def check_confidence(items: list[Item], sql: str, joins: bool = True) -> None:
    """The structural gate: answer only when every part of the question is in the SQL.

    (The builder already refuses content words it could not place.) Raises NotUnderstood
    when the question asks for more figures than the SQL computes, or when the SQL joins a
    table it never uses."""
    tree = sqlglot.parse_one(sql, read="sqlite")
    outer = tree.args.get("expressions") or []
    figures = sum(1 for e in outer for _ in e.find_all(exp.AggFunc))
    # two different figures joined by "and" ("the number of loans and their total amount")
    asked = [i for i in items if i.kind in ("agg", "and")]
    kinds = {i.payload for i in asked if i.kind == "agg"}
    paired = any(
        a.kind == "agg"
        and b.kind == "and"
        and b.text in ("and", "as well as", "plus", "along with", "together with")
        and c.kind == "agg"
        and a.payload != c.payload
        for a, b, c in zip(asked, asked[1:], asked[2:], strict=False)
    )
    if paired and len(kinds) > max(figures, 1):
        raise NotUnderstood(
            "The question asks for more figures than I can compute at once; ask for one "
            "figure at a time, or write the SQL"
        )
    unused = _unused_joins(tree) if joins else set()
    if unused:
        raise NotUnderstood(
            f"I would have to read {', '.join(sorted(unused))} without using it; "
            "rephrase the question, or write the SQL"
        )


# tables that only link two others (a client's right to an account)
BRIDGES = frozenset({"disp"})


def _unused_joins(tree: Any) -> set[str]:
    """Tables joined in the outer query on their own key that nothing else uses.

    Such a join changes nothing (every account has a district), so a question word that led
    to it was not read into the SQL. A join on the other table's foreign key ("accounts
    with a loan") filters rows, and is a use."""
    if not isinstance(tree, exp.Select):
        return set()
    joins = tree.args.get("joins") or []
    unused = set()
    for join in joins:
        table = join.this
        if not isinstance(table, exp.Table):
            continue
        name = table.alias_or_name
        on = join.args.get("on")
        keyed = on is not None and any(
            isinstance(eq.left, exp.Column)
            and isinstance(eq.right, exp.Column)
            and any(
                side.table == name and side.name == f"{table.name}_id"
                for side in (eq.left, eq.right)
            )
            for eq in on.find_all(exp.EQ)
        )
        if not keyed:
            continue
        # why: through the dispositions table, a client's account (or an account's client) is
        # what "clients with an account" asks for: the link completes the phrase
        bridged = on is not None and any(
            isinstance(column, exp.Column) and column.table in BRIDGES
            for column in on.find_all(exp.Column)
        )
        if bridged:
            continue
        used = False
        for column in tree.find_all(exp.Column):
            if column.table != name:
                continue
            # a use is anything outside this table's own ON clause
            on = join.args.get("on")
            if on is None or not any(node is column for node in on.find_all(exp.Column)):
                used = True
                break
        elsewhere = [t for t in tree.find_all(exp.Table) if t is not table and t.name == table.name]
        if not used and not elsewhere:
            unused.add(table.name)
    return unused
