"""The structural confidence gate: the offline engine's last check before it answers."""

from __future__ import annotations

import re
from functools import cached_property
from itertools import pairwise
from typing import Any

import sqlglot
from sqlglot import exp

from bankchat.nl.base import Item, NotUnderstood, place_cue
from bankchat.nl.reader import names_a_field
from bankchat.nl.semantic import SemanticLayer


def check_confidence(
    items: list[Item],
    sql: str,
    joins: bool = True,
    layer: SemanticLayer | None = None,
    question: str = "",
) -> None:
    """The structural gate: answer only when every part of the question is in the SQL.

    (The builder already refuses content words it could not place.) Raises NotUnderstood
    when a phrase the builder took shows nowhere in the SQL (its table, column or value was
    dropped), when the question asks for more figures than the SQL computes, or when the SQL
    joins a table it never uses."""
    tree = sqlglot.parse_one(sql, read="sqlite")
    shown = _Shown(tree)
    missing = [item.text for item in items if not _in_sql(item, shown, layer)]
    if missing:
        raise NotUnderstood(
            "I could not use "
            + ", ".join(repr(m) for m in missing)
            + " in the query I would run; rephrase the question, or write the SQL",
            missing,
        )
    # why: each "not", "without", "outside" and "a different district" is a negation of its
    # own; one negation in the SQL does not hold two of them ("authorised users who are not
    # owners, living outside their branch district")
    negated = [
        i.text
        for i in items
        if i.kind in ("neg", "outside")
        or (i.kind == "homeplace" and str(i.payload).startswith("<>"))
    ]
    if len(negated) > len(list(tree.find_all(exp.Not, exp.NEQ))):
        raise NotUnderstood(
            "I could not use every negation in the question ("
            + ", ".join(repr(t) for t in negated)
            + ") in the query I would run; rephrase the question, or write the SQL",
            negated,
        )
    outer = tree.args.get("expressions") or []
    figures = sum(1 for e in outer for _ in e.find_all(exp.AggFunc))
    # "how many owners and how many disponents", "how many loans ..., and what was the
    # total": figures asked in separate parts of the question
    parts, seen = 0, False
    said: set[Any] = set()
    listing = False
    restated: list[Item] = []
    for n, item in enumerate(items):
        if item.kind == "and" and item.text == "and":
            parts, seen = parts + seen, False
        elif said and (
            item.kind == "list"
            or (
                item.text == "with"
                and names_a_field(items[n + 1 :])
                and not _compared(items[n + 1 :])  # ("districts with a salary over 10,000")
            )
        ):
            listing = True  # "How many cards of each type? Give the type and the count."
        elif item.kind == "agg" and listing and _restates(item.payload, said):
            restated.append(item)
        elif item.kind == "agg":
            seen = True
            said.add(item.payload)
    parts += seen
    # why: "how many owners and how many disponents" is one figure per value when the SQL
    # groups by the column those values belong to
    grouped = {c.name.lower() for g in tree.find_all(exp.Group) for c in g.find_all(exp.Column)}
    valued = {
        m.column.lower()
        for i in items
        if i.kind == "meaning"
        for m in i.meanings
        if m.kind == "value"
    }
    # (one "how many" per value grouped by, and no more: "how many owners and how many
    # disponents ..., and how many cards do they hold" asks a third figure)
    values_said = sum(
        1
        for i in items
        if i.kind == "meaning"
        and any(m.kind == "value" and m.column.lower() in grouped for m in i.meanings)
    )
    if parts > max(figures, 1) and not (grouped & valued and parts <= values_said):
        raise NotUnderstood(
            "The question asks for more figures than I can compute at once; ask for one "
            "figure at a time, or write the SQL"
        )
    # two different figures joined by "and" ("the number of loans and their total amount")
    asked = [i for i in items if i.kind in ("agg", "and") and i not in restated]
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
    _check_fields_listed(items, outer)
    _check_field_asked(items, outer)
    _check_field_twice(items, outer)
    _check_most_counted(items, tree)
    _check_records_listed(question, items, outer)
    _check_contradictions(tree)
    _check_current_at_a_date(tree)
    _check_required_and_excluded(tree)
    _check_shared_disposition(question.lower(), tree)
    words = set(re.findall(r"[a-z]+", question.lower()))
    _check_place_words(place_cue(question), tree)
    _check_answer_shape(question.lower(), tree)
    both = bool({"both", "also"} & words) or "as well as" in question.lower()
    if both and any(len(node.expressions) > 1 for node in tree.find_all(exp.In)):
        # "accounts that pay both insurance and leasing", "owned by a man and also used by a
        # woman": each, not either
        raise NotUnderstood(
            "I cannot yet require both of two values at once (I would find either); ask for "
            "each in its own question, or write the SQL"
        )
    # (a latest or an earliest too: "the latest transaction date of the account with the
    # largest loan" is two)
    extremes = [i.payload for i in items if i.kind == "agg"]
    superlatives = sum(
        1
        for i in items
        if (i.kind == "agg" and i.payload in ("max", "min", "max_date", "min_date"))
        # ("the last one to open its very first account": a first and a last are two; a
        # first and an earliest one)
        or (i.kind == "topk" and i.payload is None and "max_date" in extremes)
    )
    ranked = sum(1 for _ in tree.find_all(exp.Max, exp.Min)) + sum(
        1 for s in tree.find_all(exp.Select) if s.args.get("order") and s.args.get("limit")
    )
    if superlatives > 1 and ranked < superlatives:
        raise NotUnderstood(
            "The question has a superlative inside another (the highest ... of the lowest "
            "...), which I cannot build yet; ask it in two steps, or write the SQL"
        )
    unused = _unused_joins(tree) if joins else set()
    if unused:
        raise NotUnderstood(
            f"I would have to read {', '.join(sorted(unused))} without using it; "
            "rephrase the question, or write the SQL"
        )
    _check_every_value(tree, layer)


def _check_required_and_excluded(tree: Any) -> None:
    """A table the query both requires (joined, with a condition on it) and excludes (NOT
    EXISTS over it): "accounts with no standing order for household payments" read as
    "with a household-payment order and with no order" answers nothing right."""
    if not isinstance(tree, exp.Select):
        return
    where = tree.args.get("where")
    if where is None:
        return
    excluded = {
        t.name
        for ex in where.find_all(exp.Exists)
        if isinstance(ex.parent, exp.Not)
        for t in ex.find_all(exp.Table)
    }
    required = {
        c.table
        for term in conjuncts(where.this)
        if not term.find(exp.Exists) and not term.find(exp.Subquery)
        for c in term.find_all(exp.Column)
    }
    # (owners are joined through their dispositions anyway; "districts that opened no
    # account in 1994" read as "accounts of 1994, and no account" is both for the accounts)
    both = sorted(t for t in required & excluded if t not in ("client", "disp", from_table(tree)))
    if both:
        raise NotUnderstood(
            f"I would both require and exclude {', '.join(both)}; ask which of them you mean, "
            "or write the SQL"
        )


def _restates(payload: Any, said: set[Any]) -> bool:
    """Whether a figure named among the fields asked for is one the question already asked:
    the same, or the figure a "the most" ranked by ("which three had the most transactions?
    Show the account id and the number of transactions")."""
    return payload in said or bool(said & {"max", "min"})


def conjuncts(node: Any) -> list[Any]:
    """The conditions ANDed in ``node`` (parentheses opened)."""
    inner = node.unnest()
    if isinstance(inner, exp.And):
        return conjuncts(inner.left) + conjuncts(inner.right)
    return [inner]


def _literal(node: Any) -> Any:
    if not isinstance(node, exp.Literal):
        return None
    return float(node.this) if node.is_number else node.this


def _check_contradictions(tree: Any) -> None:
    """No two conditions of one SELECT exclude each other ("born before 1930" and "born in
    1998"): such a query answers nothing, or zero, with confidence."""
    flips = {exp.GT: exp.LT, exp.GTE: exp.LTE, exp.LT: exp.GT, exp.LTE: exp.GTE, exp.EQ: exp.EQ}
    for select in tree.find_all(exp.Select):
        where = select.args.get("where")
        if where is None:
            continue
        bounds: dict[str, list[tuple[type, Any]]] = {}
        for term in conjuncts(where.this):
            kind = type(term)
            if kind in flips:
                left, right = term.left, term.right
                if not isinstance(left, exp.Column):
                    left, right, kind = right, left, flips[kind]
                value = _literal(right)
                if isinstance(left, exp.Column) and value is not None:
                    bounds.setdefault(left.sql(), []).append((kind, value))
            elif isinstance(term, exp.In) and isinstance(term.this, exp.Column):
                values = [_literal(e) for e in term.expressions]
                if values and None not in values:
                    bounds.setdefault(term.this.sql(), []).append((exp.In, values))
        for column, said in bounds.items():
            if not _satisfiable(said):
                raise NotUnderstood(
                    f"The conditions on {column} exclude each other, so no record could "
                    "meet them all; rephrase the question, or write the SQL"
                )


def _check_every_value(tree: Any, layer: SemanticLayer | None) -> None:
    """No condition keeps every value a coded column holds ("a disponent alongside the
    owner" read as owner or disponent, "a man or a woman" as either): it keeps all records,
    so the words that asked for a condition went unanswered."""
    if layer is None:
        return
    for term in tree.find_all(exp.In):
        column = term.this
        if not isinstance(column, exp.Column) or term.args.get("query") is not None:
            continue
        domain = layer.domains.get(f"{column.table}.{column.name}")
        listed = {_literal(e) for e in term.expressions}
        select = term.parent_select
        group = select.args.get("group") if select is not None else None
        if group is not None and any(c == column for c in group.find_all(exp.Column)):
            continue  # ("how many men and how many women": one row per value)
        if domain and len(domain) > 1 and domain <= listed:
            raise NotUnderstood(
                f"I would keep every value of {column.table}.{column.name}, which is no "
                "condition at all; say which one you mean, or write the SQL"
            )


def _check_current_at_a_date(tree: Any) -> None:
    """A current balance (after the account's latest transaction) is never also one of some
    period: "the balance after the last transaction in 1996" is the latest of that year."""
    for select in tree.find_all(exp.Select):
        where = select.args.get("where")
        terms = conjuncts(where.this) if where is not None else []
        latest = [
            t
            for t in terms
            if isinstance(t, exp.EQ)
            and isinstance(t.expression, exp.Subquery)
            and "latest" in {x.alias_or_name for x in t.expression.find_all(exp.Table)}
        ]
        dated = any(
            c.name == "date" and c.table == "trans"
            for t in terms
            if t not in latest
            for c in t.find_all(exp.Column)
        )
        if latest and dated:
            raise NotUnderstood(
                "I can give an account's current balance (after its latest transaction), not "
                "its balance at the end of a period; ask for the transactions of that period, "
                "or write the SQL"
            )


def _satisfiable(said: list[tuple[type, Any]]) -> bool:
    """Whether some value meets every (operator, value) bound (values of one type)."""
    kinds = {type(v) for _, value in said for v in (value if isinstance(value, list) else [value])}
    if len(kinds) > 1:
        return True  # a number against text: not for this check
    allowed: set[Any] | None = None
    for kind, value in said:
        if kind is exp.EQ:
            allowed = {value} if allowed is None else allowed & {value}
        elif kind is exp.In:
            allowed = set(value) if allowed is None else allowed & set(value)
    low = [(v, k is exp.GTE) for k, v in said if k in (exp.GT, exp.GTE)]
    high = [(v, k is exp.LTE) for k, v in said if k in (exp.LT, exp.LTE)]

    def inside(x: Any) -> bool:
        return all(x > v or (closed and x == v) for v, closed in low) and all(
            x < v or (closed and x == v) for v, closed in high
        )

    if allowed is not None:
        return any(inside(x) for x in allowed)
    if not low or not high:
        return True
    lo, lo_closed = max(low, key=lambda b: (b[0], not b[1]))
    hi, hi_closed = min(high, key=lambda b: (b[0], b[1]))
    return lo < hi or (lo == hi and lo_closed and hi_closed)


_ROLE_HOLDS = re.compile(
    r"\bwhose\s+(?:owner|disponent)s?\b"
    r"|\b(?:owner|disponent)s?'s?\s+(?:\w+\s+)?cards?\b"
    r"|\b(?:owner|disponent)s?\s+(?:who\s+|that\s+)?(?:holds?|has|have|had|got|gets|"
    r"(?:was|were|is|are)\s+issued)\s+(?:\w+\s+){0,2}?cards?\b"
    r"|\bcards?\s+(?:of|held\s+by|issued\s+to)\s+(?:the\s+|its\s+|their\s+)?"
    r"(?:owner|disponent)s?\b"
)


def from_table(tree: Any) -> str:
    """The table a SELECT reads first ("" when none)."""
    source = tree.args.get("from_") or tree.args.get("from")
    return str(getattr(getattr(source, "this", None), "name", ""))


def _check_shared_disposition(text: str, tree: Any) -> None:
    """ "Accounts that have a disponent and a card" are two facts about an account; joined
    through one disposition they would require the disponent's own card. Only a question that
    says whose card it is ("accounts whose disponent has a card") is answered that way."""
    if from_table(tree) != "account":
        return
    roles = any(
        isinstance(eq.left, exp.Column) and eq.left.table == "disp" and eq.left.name == "type"
        for eq in tree.find_all(exp.EQ)
    )
    cards = any(t.name == "card" for t in tree.find_all(exp.Table))
    if roles and cards and not _ROLE_HOLDS.search(text):
        raise NotUnderstood(
            "I would count only cards of that owner or disponent, not any card on the "
            'account; say whose card it is ("accounts whose disponent has a card"), or '
            "write the SQL"
        )


def _check_fields_listed(items: list[Item], outer: list[Any]) -> None:
    """Fields listed after the question ("... by men and by women? Show the card type, the
    gender and the count") are each a column of the answer, not only of its conditions."""
    at = next((n for n, i in enumerate(items) if i.kind == "list" and n > 0), 0)
    if at == 0:
        return  # "Show me the loans over 100,000": the question itself, not a list of fields
    shown = {c.name.lower() for e in outer for c in e.find_all(exp.Column)}
    missing = [
        item.text
        for item in items[at + 1 :]
        if item.kind == "meaning"
        and not item.text.endswith("ed")  # "the approved amount": a verb, not a field
        and (columns := {m.column.lower() for m in item.meanings if m.kind == "column"})
        and not columns & shown
    ]
    _refuse_unseen(missing)


def _refuse_unseen(missing: list[str]) -> None:
    """Refuses an answer that leaves out fields the question asks to see."""
    if missing:
        raise NotUnderstood(
            "The question asks to see "
            + ", ".join(repr(m) for m in dict.fromkeys(missing))
            + ", which the query I would run does not show; rephrase it, or write the SQL",
            missing,
        )


def _compared(items: list[Item]) -> bool:
    """Whether the first field said in ``items`` is compared with something (a condition,
    "an average salary over 10,000"), not a field shown."""
    said = [i for i in items if i.kind != "stop"]
    at = next((n for n, i in enumerate(said) if i.kind == "meaning"), None)
    return at is not None and at + 1 < len(said) and said[at + 1].kind in ("cmp", "between")


def _check_most_counted(items: list[Item], tree: Any) -> None:
    """ "the account with the most transactions" ranks by a count: an answer with no count
    (it had ranked by the opening date a later "when was it opened" named) drops it."""
    said = [i for i in items if i.kind != "stop"]
    most = [
        first.text
        for first, then in pairwise(said)
        if first.kind == "agg"
        and first.text in ("most", "fewest", "least")
        and then.kind == "meaning"
        and any(m.kind == "table" for m in then.meanings)
    ]
    if most and not any(True for _ in tree.find_all(exp.Count)):
        raise NotUnderstood(
            f"I could not use {most[0]!r} (a count to rank by) in the query I would run; "
            "rephrase the question, or write the SQL",
            most,
        )


def _check_field_twice(items: list[Item], outer: list[Any]) -> None:
    """A field of the home district and the same field of the branch's asked side by side
    ("home region, branch region") are two columns of the answer; one shown for both drops
    the other."""
    said: dict[str, set[str]] = {}
    for n, item in enumerate(items):
        # (said in the phrase or just before it: "home region", "branch region")
        side = re.search(r"\b(home|branch)\b", f"{items[n - 1].text if n else ''} {item.text}")
        for meaning in item.meanings:
            if side and meaning.kind == "column" and meaning.table == "district":
                said.setdefault(meaning.column.lower(), set()).add(side.group(1))
    shown = [c.name.lower() for e in outer for c in e.find_all(exp.Column)]
    twice = [column for column, sides in said.items() if len(sides) == 2]
    if any(shown.count(column) < 2 for column in twice):
        raise NotUnderstood(
            "The question asks for a field of the home district and the same field of the "
            "branch's, which the query I would run shows as one; ask for each on its own, or "
            "write the SQL"
        )


def _check_field_asked(items: list[Item], outer: list[Any]) -> None:
    """A field asked for by "what" or "which" ("What role does client 13 have ..., and when
    was the account opened?") is a column of the answer, not only of its conditions."""
    said = [i for i in items if i.kind != "stop"]
    shown = {c.name.lower() for e in outer for c in e.find_all(exp.Column)}
    missing = [
        asked.text
        for which, asked in pairwise(said)
        if which.kind == "which"
        and which.text in ("what", "which")
        and asked.kind == "meaning"
        and not asked.text.endswith("ed")  # ("who was born ...": a verb, not a field)
        and asked.meanings
        and all(m.kind == "column" for m in asked.meanings)
        and not {m.column.lower() for m in asked.meanings} & shown
    ]
    _refuse_unseen(missing)


def _check_records_listed(question: str, items: list[Item], outer: list[Any]) -> None:
    """Records named in a list of fields after a colon ("...: loan id, the account, amount
    and status") are each shown by a field of theirs, never dropped."""
    # (after a colon or a dash: "... in 1995 - the amount, the date and the account")
    text = re.sub(r"\s-\s(?=mesto|venkov|vychod|zapad)", "-", question.lower())  # ("Brno - mesto")
    said = re.split(r":|\s[-\u2013\u2014]\s", text)
    head, tail = " ".join(said[:-1]), said[-1]
    if len(said) < 2 or re.search(r"\b(?:what|which|how|who|when|where|is|are|was|were)\b", tail):
        return  # ("Gold card holders: what share are women?": a question, not fields)
    parts = [
        p.strip()
        for p in re.split(r",|\band\b", tail)
        # (a figure of the records is no record: "the loan count")
        if p.strip()
        and not re.search(r"\b(?:count|number|total|average|sum|share|percent\w*)\b", p)
    ]
    shown = {c.table.lower() for e in outer for c in e.find_all(exp.Column)}
    missing = [
        item.text
        for item in items
        if (table := next((m.table for m in item.meanings if m.kind == "table"), None))
        and table.lower() not in shown
        and any(re.search(rf"\b{re.escape(item.text)}\b", p) for p in parts)
        and not re.search(rf"\b{re.escape(item.text)}\b", head)
    ]
    _refuse_unseen(missing)


_PERSON = r"(?:owners?|clients?|holders?|wom[ae]n|m[ae]n|people|persons?|he|she|they|borrowers?)"
_AGE = re.compile(
    rf"\b{_PERSON}\b(?:\s+\w+){{0,3}}?\s+(?:was|were|is|are|aged)?\s*(?:over|under|above|"
    rf"below|older than|younger than|at least|at most)\s+(\d{{1,3}})\b(?!\s*(?:%|percent))"
)


# the nouns of the records a question can ask for
_RECORDS = r"(district|region|account|client|loan|card|order|branch|bank|owner|holder|customer)"


# "which district ...", "which branch district ...": a record asked for, not a figure
_WHICH_RECORD = re.compile(
    r"(?<!on )(?<!at )(?<!to )(?<!by )(?<!for )(?<!from )(?<!with )(?<!of )"
    rf"\bwhich\s+(?!a\b|an\b|the\b)(?:\w+\s+)?{_RECORDS}s?\b"
)


# "Which is the youngest client holding a gold card?": a record asked for, said the other way
_WHICH_IS_RECORD = re.compile(rf"\bwhich\s+(?:is|was)\s+the\s+(?:\w+\s+){{0,2}}?{_RECORDS}s?\b")


# "Among districts running more than 100 accounts, which has the highest salary?": one of
# the records said after "among" asked for
_AMONG_WHICH = re.compile(
    rf"\bamong\s+(?:the\s+|all\s+|our\s+)?(?:\w+\s+){{0,2}}?{_RECORDS}s\b[^?]*?,\s*which\s+"
    r"(?:one\s+)?(?:has|had|is|was|took|holds|held|received|got)\b"
)


# "List the owners with a gold card", "Show me all female clients ...": the records listed
_LIST_RECORD = re.compile(
    r"^\W*(?:please\s+)?(?:list|show(?:\s+me)?|give\s+me|name)\s+(?:the\s+|all\s+(?:the\s+)?|"
    rf"our\s+|every\s+)?(?!a\b|an\b|the\b)(?:\w+\s+)?{_RECORDS}s?\b(?!\s*\d)"
)


# "for each region, the district with the highest average salary": a record per group
_RECORD_PER_GROUP = re.compile(
    r"(?<!in )(?<!at )(?<!of )(?<!from )(?<!to )(?<!for )"
    r"\bthe\s+(district|account|client|loan|card|branch|owner|holder|customer)\s+(?:with|that\s+has|"
    r"that\s+had|which\s+has)\s+the\s+(highest|largest|biggest|lowest|smallest|most|fewest|"
    r"oldest|youngest|latest|earliest|greatest)\b"
)


# the table whose records "which <noun>" asks for
_ASKED_TABLES = {
    "client": "client",
    "owner": "client",
    "holder": "client",
    "customer": "client",
    "account": "account",
    "loan": "loan",
    "card": "card",
    "order": "order",
    "district": "district",
    "branch": "district",
    "region": "district",
}


def _check_records_asked(text: str, tree: exp.Select, aggregated: bool) -> None:
    """The rows shown are the records asked for: a list in an order is not one figure,
    regions are not one row per district, "which owner" shows clients, and two things asked
    ("which district ..., and which region ...") are two fields."""
    if re.search(
        r"\b(?:sorted|ordered|ranked)\s+(?:them\s+)?by\b|\brank\b[^,;:?.]*\bby\b", text
    ) and not tree.args.get("order"):
        raise NotUnderstood(
            "The question asks for a list in some order, but I would compute one figure "
            "instead; rephrase it, or write the SQL"
        )
    regions = [
        e
        for e in tree.expressions
        if isinstance(e.unalias(), exp.Column) and e.unalias().name == "A3"
    ]
    if (
        re.search(r"\bregions\b", text)
        and regions
        and not tree.args.get("group")
        and not tree.args.get("distinct")
        # (an average in a condition does not make one row per region: "regions with an
        # average salary above the average")
        and not any(e.find(exp.AggFunc) for e in tree.expressions)
    ):
        # (a region is a column of districts: listing regions so would show each many times)
        raise NotUnderstood(
            "The question lists regions, but I would show one row per district, each region "
            "many times; ask per region (the number of ..., the average ... per region), or "
            "write the SQL"
        )
    each = _RECORD_PER_GROUP.search(text)
    if each is not None and tree.args.get("group"):
        table = _ASKED_TABLES[each.group(1)]
        shown = [c for e in tree.expressions for c in e.find_all(exp.Column)]
        if not any(
            c.table == table
            and (c.name.endswith("_id") or (table == "district" and c.name == "A2"))
            for c in shown
        ):
            # "For each region, the district with the highest average salary": that district
            # in each group, not the highest salary alone
            raise NotUnderstood(
                f"The question asks for the {each.group(1)} with the {each.group(2)} ... in each "
                "group, but I would show only the figure; ask for the figure per group, or write "
                "the SQL"
            )
    record = _WHICH_RECORD.search(text) or _LIST_RECORD.search(text)
    wanted = _ASKED_TABLES.get(record.group(1)) if record else None
    if record is not None and re.match(r"\s+(?:owner|holder)s?\b", text[record.end() :]):
        wanted = "client"  # "which account owner"
    projected = [c for e in tree.expressions for c in e.find_all(exp.Column)]
    if (
        record is not None
        and wanted is not None
        and projected
        and not aggregated
        and not any(c.table == wanted or c.name == f"{wanted}_id" for c in projected)
        and not (wanted == "district" and any(c.name in ("A2", "A3") for c in projected))
        and not re.search(r"\bids?\b", text)  # ("which holders ...? List their card ids.")
    ):
        # "which female account owner has the biggest loan": the owner, not the loan
        raise NotUnderstood(
            f"The question asks which {'client' if wanted == 'client' else record.group(1)}, "
            "but I would show other records; "
            "rephrase it, or write the SQL"
        )
    asked = set(
        re.findall(
            r"\b(?:which|what)\s+(?!(?:one|ones|of|is|was|are|were|did|does|do|has|have|had)\b)"
            r"([a-z]+)",
            text,
        )
    )
    if len(asked) >= 2 and " and " in text and len(tree.expressions) < len(asked):
        # "which district does she live in, and which region is it in?": two things asked
        raise NotUnderstood(
            f"The question asks for {' and '.join(sorted(asked))}, but I would show fewer "
            "fields; ask for each, or write the SQL"
        )


def _check_answer_shape(text: str, tree: Any) -> None:
    """The answer has the shape the question asks for: one value for "what is the ...",
    the ids it names, and no person's age read as an amount."""
    if not isinstance(tree, exp.Select):
        return
    aggregated = any(True for _ in tree.find_all(exp.AggFunc))
    limited = tree.args.get("limit") is not None
    keyed = any(
        isinstance(eq.left, exp.Column) and eq.left.name.endswith("_id") and eq.right.is_number
        for eq in tree.find_all(exp.EQ)
        if isinstance(eq.right, exp.Literal)
    )
    asks_which = (
        _WHICH_RECORD.search(text) or _WHICH_IS_RECORD.search(text) or _AMONG_WHICH.search(text)
    )
    if (
        asks_which
        and len(tree.expressions) == 1
        and isinstance(tree.expressions[0].unalias(), exp.AggFunc)
        and not tree.args.get("group")
    ):
        raise NotUnderstood(
            f"The question asks which {asks_which.group(1)}, but I would compute one figure "
            "instead; rephrase it, or write the SQL"
        )
    _check_records_asked(text, tree, aggregated)
    who = re.match(r"\s*who\b", text) or re.search(r"(?:\band|[:;])\s+who\b", text)
    people = {c.table for e in tree.expressions for c in e.find_all(exp.Column)}
    # "Among owners in Jesenik, whose account is the oldest?": the owner asked for, never a
    # figure in their place
    whose = re.search(r"(?:^\s*|[,:;]\s+)whose\s+\w+\s+(?:is|was)\b", text)
    if whose and "client" not in people and aggregated:
        raise NotUnderstood(
            "The question asks whose, but I would show no client; rephrase it (the client who "
            "owns ..., the owner of ...), or write the SQL"
        )
    if who and "client" not in people and not aggregated:
        raise NotUnderstood(
            "The question asks who, but I would show no client; rephrase it (the client who "
            "owns ..., the owner of ...), or write the SQL"
        )
    if re.match(r"\s*what\s+(?:is|was)\s+the\b", text) and not (aggregated or limited or keyed):
        raise NotUnderstood(
            "The question asks for one value, but I would list many rows; rephrase it (for "
            "an average or total, say so), or write the SQL"
        )
    age = _AGE.search(text)
    if age is not None and age.group(1) in _numbers(tree):
        raise NotUnderstood(
            f"'{age.group(0).strip()}' reads as an age, which I cannot compute yet; ask by "
            "birth date, or write the SQL"
        )
    # ("the account id", and "the id of the account owned")
    asked = re.findall(
        r"\b(client|account|loan|card|order|transaction|district) ids?\b|\bids?\s+of\s+(?:the|"
        r"its|their|his|her|each)\s+(client|account|loan|card|order|transaction|district)\b",
        text,
    )
    asked = [first or second for first, second in asked]
    shown = {e.alias_or_name.lower() for e in tree.expressions}
    tables = {"transaction": "trans"}
    for word in asked:
        key = f"{tables.get(word, word)}_id"
        if key not in shown and not any(
            isinstance(e, exp.Column) and e.name.lower() == key for e in tree.expressions
        ):
            raise NotUnderstood(
                f"The question asks for {word} ids, which the query I would run does not "
                "show; rephrase it, or write the SQL"
            )


def _district_links(equalities: Any, through_district: bool = False) -> set[str]:
    """The tables whose ``district_id`` the equalities tie to another's (with
    ``through_district``, only ties to the district table itself)."""
    out: set[str] = set()
    for eq in equalities:
        sides = [c for c in (eq.left, eq.right) if isinstance(c, exp.Column)]
        if len(sides) == 2 and {c.name.lower() for c in sides} == {"district_id"}:
            tables = {c.table.lower() for c in sides}
            if not through_district or "district" in tables:
                out |= tables - {"district"}
    return out


def _check_place_words(cue: str | None, tree: Any) -> None:
    """A district reached the way the question says: where clients live, or the branch."""
    links = _district_links(tree.find_all(exp.EQ))
    for sub in tree.find_all(exp.In):
        if isinstance(sub.this, exp.Column) and sub.this.name.lower() == "district_id":
            links.add(sub.this.table.lower())
    joined = _district_links(
        (
            eq
            for join in tree.args.get("joins") or []
            if join.args.get("on") is not None
            for eq in join.args["on"].find_all(exp.EQ)
        ),
        through_district=True,
    )
    if {"client", "account"} <= joined:
        raise NotUnderstood(
            "I would tie the district both to where the client lives and to the account's "
            "branch; rephrase the question, or write the SQL"
        )
    if cue == "account" and links and "account" not in links:
        raise NotUnderstood(
            "The question speaks of branches, but I would place the district by where the "
            "clients live; rephrase it, or write the SQL"
        )
    if cue == "client" and links and "client" not in links:
        raise NotUnderstood(
            "The question speaks of where clients live, but I would place the district by "
            "the account's branch; rephrase it, or write the SQL"
        )


def _in_sql(item: Item, shown: _Shown, layer: SemanticLayer | None) -> bool:
    """Whether what a content phrase was read as shows in the SQL: its table, its column or
    one of its values (a phrase can mean several things; any one will do). A date column's
    verb ("loans we granted") needs only its table; a figure kept per year ("crimes") any of
    its years' columns."""
    tree = shown.tree
    if item.kind == "meaning":
        columns = shown.columns
        for meaning in item.meanings:
            if meaning.kind == "table" and meaning.table in shown.tables:
                return True
            if meaning.kind == "column":
                if meaning.column.lower() in columns:
                    return True
                info = layer.columns.get(meaning.qualified) if layer is not None else None
                if info is not None and info.type == "date" and meaning.table in shown.tables:
                    return True
                years = layer.year_columns.values() if layer is not None else []
                for group in years:
                    family = {c.split(".")[1].lower() for c in group.values()}
                    if meaning.column.lower() in family and family & columns:
                        return True
            if (
                meaning.kind in ("value", "region", "district")
                and set(meaning.values) & shown.literals
            ):
                return True
        return not item.meanings
    if item.kind == "id" and isinstance(item.payload, tuple):
        return str(item.payload[1]) in shown.literals | shown.numbers
    if item.kind == "number" and isinstance(item.payload, int | float):
        # a number shows as itself, or inside a date or a LIMIT
        text = str(item.payload)
        return any(text in lit for lit in shown.literals | shown.numbers)
    if item.kind == "agg":
        # the figure asked for is computed: an average is an AVG, a total a SUM, ...
        wanted = {
            "count": (exp.Count, exp.Sum),  # "the number of inhabitants" is a total
            "sum": (exp.Sum,),
            "avg": (exp.Avg,),
        }.get(str(item.payload))
        if item.payload == "count" and not any(True for _ in tree.find_all(exp.Count)):
            # (a total only of people or events a district records: "how many inhabitants";
            # never the records' amount in place of their number)
            return any(
                c.table == "district"
                for total in tree.find_all(exp.Sum)
                for c in total.find_all(exp.Column)
            )
        if wanted is not None:
            return any(True for _ in tree.find_all(*wanted))
    if item.kind in ("agg", "topk"):
        # a largest, smallest, first or top few: a ranking cut, or a MAX or MIN
        ranked = any(s.args.get("order") and s.args.get("limit") for s in tree.find_all(exp.Select))
        return ranked or any(True for _ in tree.find_all(exp.Max, exp.Min))
    if item.kind in ("neg", "outside"):
        # "not", "without", "never": a negation the SQL must hold
        return bool(list(tree.find_all(exp.Not, exp.NEQ))) or "NOT " in tree.sql().upper()
    return True


class _Shown:
    """What a SQL tree shows, each set gathered once however many phrases are checked."""

    def __init__(self, tree: Any) -> None:
        self.tree = tree

    @cached_property
    def tables(self) -> set[str]:
        return _tables(self.tree)

    @cached_property
    def columns(self) -> set[str]:
        return _columns(self.tree)

    @cached_property
    def literals(self) -> set[str]:
        return _literals(self.tree)

    @cached_property
    def numbers(self) -> set[str]:
        return _numbers(self.tree)


def _tables(tree: Any) -> set[str]:
    return {t.name.lower() for t in tree.find_all(exp.Table)}


def _columns(tree: Any) -> set[str]:
    return {c.name.lower() for c in tree.find_all(exp.Column)}


def _literals(tree: Any) -> set[str]:
    return {lit.name for lit in tree.find_all(exp.Literal) if lit.is_string}


def _numbers(tree: Any) -> set[str]:
    return {lit.name for lit in tree.find_all(exp.Literal) if not lit.is_string}


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
    unused |= _unused_from(tree, joins)
    return unused


def _unused_from(tree: exp.Select, joins: list[Any]) -> set[str]:
    """The FROM table, when the query only passes through it: nothing of it is read but its
    own key, in the ON clause joining the next table by its foreign key ("FROM district JOIN
    client ON client.district_id = district.district_id", selecting only clients' fields)."""
    source = tree.args.get("from_") or tree.args.get("from")
    table = source.this if source is not None else None
    if not isinstance(table, exp.Table) or not joins:
        return set()
    name = table.alias_or_name
    on = joins[0].args.get("on")
    following = joins[0].this
    # (through the dispositions, "the account owned by client 13" is the account of that
    # link: the chain is the phrase, as for joins above)
    if on is None or not isinstance(following, exp.Table) or following.name in BRIDGES:
        return set()
    in_on = {
        id(c) for join in joins for c in (join.args.get("on") or exp.Null()).find_all(exp.Column)
    }
    own_key = f"{table.name}_id"
    linked = any(
        isinstance(eq.left, exp.Column)
        and isinstance(eq.right, exp.Column)
        and any(side.table == name and side.name == own_key for side in (eq.left, eq.right))
        and any(side.table != name and side.name == own_key for side in (eq.left, eq.right))
        for eq in on.find_all(exp.EQ)
    )
    if not linked:
        return set()
    for column in tree.find_all(exp.Column):
        if column.table == name and (id(column) not in in_on or column.name != own_key):
            return set()
    if any(t is not table and t.name == table.name for t in tree.find_all(exp.Table)):
        return set()
    return {table.name}
