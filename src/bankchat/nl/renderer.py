"""What the engine read and did, in words: each phrase's reading and the query's explanation."""

from __future__ import annotations

from bankchat.nl.base import Item


def reading(item: Item) -> str:
    """What one read phrase became, in words."""
    for meaning in item.meanings:
        if meaning.kind == "table":
            return f"the {meaning.table} table"
        if meaning.kind == "column":
            return f"the column {meaning.qualified}" if meaning.table != "*" else meaning.column
        if meaning.kind in ("value", "region", "district"):
            return f"{meaning.qualified} = " + " or ".join(repr(v) for v in meaning.values)
    if item.kind == "homeplace":
        op, level = str(item.payload).split()
        where = "outside" if op == "<>" else "in"
        return f"the client living {where} the {level} of the account's branch"
    return {
        "anydisp": "any disposition (owners and disponents)",
        "number": "a number",
        "date": "a date",
        "yearnum": "a year",
        "id": "an id",
        "agg": "an aggregate",
        "topk": "a top-k limit",
        "sort": "an ordering",
        "date_order": "an ordering by date",
        "measure_order": "an ordering by amount",
        "name_order": "an alphabetical ordering",
        "cmp": "a comparison",
    }.get(item.kind, item.kind.replace("_", " "))


def explanation(
    base: str,
    explain: list[str],
    agg: str | None,
    measure: str | None,
    group: tuple[str, str] | None,
    topk: int | None,
) -> str:
    """One line on what the SQL computes over ``base`` records; ``explain``: its conditions."""
    what = {
        "count": "Counted",
        "sum": "Summed",
        "avg": "Averaged",
        "max": "Highest",
        "min": "Lowest",
        "max_date": "Latest",
        "min_date": "Earliest",
    }.get(agg or "", "Listed")
    parts = [f"{what} {base}" + (f" {measure}" if measure else "")]
    if explain:
        parts.append("where " + "; ".join(explain))
    if group:
        parts.append(f"per {group[1]}")
    if topk:
        parts.append(f"top {topk}")
    return ", ".join(parts)
