"""The offline engine: plain-language questions to SQL with no model and no network.

A deterministic parser over the semantic layer. It reads the question as a sequence of known
phrases (tables, columns, coded values, regions and districts, numbers, dates, and keywords for
counting, totals, averages, extremes, top-k, grouping, comparisons and date ranges), then builds
one SELECT with the joins the semantic layer's graph gives. Every content word must be
understood: when one is not, the engine says which instead of guessing.

The engine is made of small modules: ``vocabulary`` (its words, from ``vocabulary.json``),
``reader`` (a question to items), ``builder`` (items to one SELECT, with ``query``,
``filters`` and ``assembly``), ``gate`` (the structural confidence check), ``renderer``
(what was read, in words), ``figures`` (questions whose answer is two figures combined) and
``picked`` (records picked out by a superlative or a rank, and ages) and ``days`` (days
since an account was opened); ``base`` holds the shared types.
"""

from __future__ import annotations

import re

import sqlglot
from sqlglot import exp

from bankchat.nl.base import Item, NotUnderstood, Translation
from bankchat.nl.builder import Builder
from bankchat.nl.days import DayQuestions
from bankchat.nl.figures import FigureQuestions
from bankchat.nl.gate import check_confidence
from bankchat.nl.picked import PickedQuestions
from bankchat.nl.reader import Reader
from bankchat.nl.renderer import reading
from bankchat.nl.semantic import SemanticLayer, load_layer
from bankchat.nl.vocabulary import STOPWORDS

__all__ = ["Item", "NotUnderstood", "OfflineEngine", "Translation"]


class OfflineEngine(FigureQuestions, PickedQuestions, DayQuestions):
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
        years = _IN_YEARS.search(question)
        if years is not None:
            return self._in_years(question, years, hidden)
        each_row = any(said.search(question) for said in _EACH_ONCE)
        question = _without_asides(question)
        answer = (
            self.days_question(question, hidden)
            or self.figure_question(question, hidden)
            or self.picked_question(question, hidden)
        )
        if answer is not None:
            return answer
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
        builder = Builder(self.layer, items, question, hidden, each_row=each_row)
        translation = builder.build()
        check_confidence(items, translation.sql, layer=self.layer, question=question)
        if builder.ambiguous_place is not None:
            taken, other = builder.ambiguous_place
            place = next((i.text for i in items if _is_place(i)), "there")
            try:
                fresh = self.read(question)
                second = Builder(
                    self.layer, fresh, question, hidden, anchor=other, each_row=each_row
                ).build()
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
        if not translation.alternatives and len(re.findall(r"\bhow\s+many\b", question, re.I)) > 1:
            # "how many men and how many women ...": one row per gender, or the two counts
            # side by side; both are read, and the asker chooses when they differ
            translation.alternatives = _counts_side_by_side(translation.sql)
        translation.filler = [i.text for i in items if i.kind == "stop"]
        translation.words = [(i.text, reading(i)) for i in items if i.kind != "stop"]
        return translation

    def _in_years(
        self, question: str, found: re.Match[str], hidden: frozenset[tuple[str, str]]
    ) -> Translation:
        """ "The average loan duration in years": the question without the unit, then each
        figure of a loan's duration it shows divided by 12 (durations are stored in months)."""
        cut = found.end("between")
        rest = (question[:cut] + question[found.end() :]).strip()
        base = self.translate(rest, hidden)
        tree = sqlglot.parse_one(base.sql, read="sqlite")
        if not isinstance(tree, exp.Select) or base.alternatives:
            raise NotUnderstood("I could not show the loans' duration in years; write the SQL")
        changed = 0
        for n, projection in enumerate(tree.expressions):
            body = projection.unalias()
            if any(c.name == "duration" for c in body.find_all(exp.Column)):
                years = sqlglot.parse_one(f"({body.sql(dialect='sqlite')}) / 12.0", read="sqlite")
                averaged = any(True for _ in body.find_all(exp.Avg))
                alias = "average_duration_years" if averaged else "duration_years"
                tree.expressions[n] = exp.alias_(years, alias)
                changed += 1
        if changed == 0 or tree.args.get("group") is not None:
            raise NotUnderstood(
                "I could not tell which figure to give in years; ask for the loans' duration "
                "in months, or write the SQL"
            )
        return Translation(
            tree.sql(dialect="sqlite"),
            base.explanation + ", in years",
            notes=[*base.notes, "duration in years = its months / 12"],
            words=[*base.words, (found.group(0).strip(), "the duration in years (months / 12)")],
            filler=base.filler,
        )


# "the average duration in years", "loan term, expressed in years": a loan's duration is
# stored in months ("in years" said of an age is not this)
_IN_YEARS = re.compile(
    r"\b(?P<word>duration|durations|term|terms|length)(?P<between>[^?.;:]{0,40}?)"
    r",?\s*(?:expressed\s+|measured\s+|given\s+)?in\s+years\b(?!\s+(?:old|of\s+age))",
    re.IGNORECASE,
)


# "..., counting each card holder only once", "Count each client once.": read as nothing,
# except that a total or average is then taken over the joined rows (``each_row``)
_EACH_ONCE = (
    re.compile(r",?\s*counting\s+each\s+[\w ]+?\s+(?:only\s+)?once\b", re.IGNORECASE),
    re.compile(
        r"(?<=[?.])\s+count\s+each\s+(?:client|account|loan|card|person|owner)\s+"
        r"(?:only\s+)?once\b[^?.]*[?.]?",
        re.IGNORECASE,
    ),
)


# what a question is for, said around it ("For our quarterly review, ...", "... I need this
# for the credit risk summary."), and requests the answer meets anyway ("Count each client
# once, please."): read as nothing
_ASIDES = (
    # "..., whatever branch the account is held at", "..., whichever state the loan is in":
    # any of them, so no condition
    re.compile(
        r",\s*(?:whatever|whichever|regardless\s+of)\s+(?:its\s+|their\s+|the\s+)?(?:branch|"
        r"state|status|repayment\s+standing|standing|type|frequency)\b[^,?.;]*",
        re.IGNORECASE,
    ),
    re.compile(
        r"^\s*(?:for|ahead\s+of)\s+(?:our|the|my|a|this|next\s+week's)\s+(?:[\w'-]+\s+){0,3}?"
        r"(?:review|report|reporting|meeting|summary|analysis|presentation|audit|dashboard|"
        r"board|committee|briefing|pack|slides?)\s*,\s*",
        re.IGNORECASE,
    ),
    re.compile(
        r"(?<=[?.])\s+(?:i(?:'m|\s+am)\s+(?:preparing|asking|working|putting|doing|building|"
        r"compiling|writing)|i\s+need\s+(?:this|it|these)|this\s+is\s+for|it'?s\s+for|"
        r"(?:we|i)\s+(?:need|want)\s+(?:this|it)\s+for)\b[^?.]*[?.]?\s*$",
        re.IGNORECASE,
    ),
    re.compile(  # "the ratio of men to women, that is the number of men divided by ..."
        r",?\s*(?:that\s+is|i\.e\.|meaning)\s+the\s+number\s+of\s+[^?.]+?\s+divided\s+by\s+"
        r"the\s+number\s+of\s+[^?.]+?(?=\s*[?.]?\s*$)",
        re.IGNORECASE,
    ),
    re.compile(  # "... I only need the overall sum.", "A single count is fine."
        r"(?<=[?.])\s+(?:i\s+(?:only\s+|just\s+)?need\s+(?:the\s+)?(?:overall\s+|total\s+)?"
        r"(?:sum|total|number|count|figure|percentage)(?:\s+of\s+[^?.]+)?|(?:one|a\s+single)\s+"
        r"(?:number|count|figure|total)\s+is\s+(?:fine|enough|ok)|just\s+the\s+(?:total|number|"
        r"count|figure|percentage)(?:,?\s+please)?)\s*[?.!]?\s*$",
        re.IGNORECASE,
    ),
    re.compile(  # "Comparing account owners by gender, how many more ...": what follows
        r"^\s*comparing\s+[^,?]+,\s*|,\s*comparing\s+[^,?.]+(?=\s*[?.]?\s*$)",
        re.IGNORECASE,
    ),
    re.compile(  # "..., counting both kinds of withdrawal transactions,": both, as always
        r",?\s*counting\s+both\s+(?:kinds|types)\s+of\s+withdrawals?(?:\s+transactions)?,?",
        re.IGNORECASE,
    ),
    *_EACH_ONCE,
)


# "Which region's branches hold the most weekly-statement accounts, and how many?": the
# ranked records with the count they are ranked by
_AND_HOW_MANY = re.compile(
    r"(\bthe\s+(?:most|fewest|largest\s+number\s+of|highest\s+number\s+of|smallest\s+number"
    r"\s+of|lowest\s+number\s+of)\b[^?]*?),?\s+and\s+how\s+many(?:\s+(?:of\s+them|of\s+those|"
    r"such\s+[\w-]+(?:\s+[\w-]+)??))?"
    # (only words that add no condition: "and how many of them are there?", "... did it
    # grant?", "and how many such clients live in each?"; "how many are women" asks another)
    r"(?:\s+(?:(?:did|does|do)\s+(?:it|they|each(?:\s+of\s+them)?|that\s+[\w-]+|the\s+[\w-]+)\s+(?:have|hold|"
    r"has|get|record|grant|open|issue|make|see|approve|book|handle|receive)|(?:are|were|is|"
    r"was)\s+there|is\s+that|(?:live|lives|are|were)\s+(?:there|in\s+(?:each|it|them))|in\s+"
    r"each|in\s+it|there|in\s+total|in\s+all)(?:\s+(?:there|in\s+(?:total|all|each)))?)?"
    r"(?=\s*[?.]|\s*$)",
    re.IGNORECASE,
)


# said before the record picked out is found: "the district paying the second-lowest average
# salary" is the district with it
_PAYING = re.compile(r"\b(districts?|regions?)\s+paying\b", re.IGNORECASE)


# "Which district lent the most in total ..., and what is that total?", "... the second-highest
# average loan amount, and what is that average?": the figure the most was taken by, shown
# beside each record ("Give the district and the total.")
_AND_THAT_TOTAL = re.compile(
    r"^(?P<head>\s*(?:which|what)\b(?P<who>[^,?]*?)\b(?:highest|largest|biggest|greatest|most|"
    r"lowest|smallest)\b[^?]*?),?\s+and\s+(?:what|how\s+much)\s+(?:is|was|were|are)\s+(?:(?:that|"
    r"those)\s+(?:combined\s+amount|total\s+amount|(?P<what>totals?|sum|average|averages|mean))|"
    r"(?:the|its|their)\s+(?:combined\s+amount|total\s+amount|totals?|sum))\b"
    # (nothing after it that names another figure: "the average salary of its districts")
    r"(?![^?.]*\b(?:salary|salaries|inhabitants|unemployment|crimes?|ratio|balances?|payments?|"
    r"instal+ments?|entrepreneurs|age)\b)[^?.]*[?.]?(?P<tail>.*)$",
    re.IGNORECASE,
)
_RECORD_WORD = re.compile(
    r"\b(region|district|bank|account|client|card|loan|branch)(?:es|s)?\b", re.IGNORECASE
)


def _with_that_total(found: re.Match[str]) -> str:
    said = _RECORD_WORD.findall(found.group("who"))
    if not said:
        return found.group(0)
    entity = said[-1].lower()
    figure = (
        "average"
        if (found.group("what") or "").lower() in ("average", "averages", "mean")
        else "total"
    )
    return f"{found.group('head')}? Give the {entity} and the {figure}.{found.group('tail')}"


# "How many card withdrawals were made ..., and what did they add up to?"
_ADD_UP_TO = re.compile(
    r"\band\s+what\s+(?:did|do|does)\s+(?:they|those|these|it|that)(?:\s+\w+)?\s+(?:add|sum|come)"
    r"\s+(?:up\s+)?to(?:\s+in\s+total)?\b",
    re.IGNORECASE,
)


def _without_asides(question: str) -> str:
    for aside in _ASIDES:
        question = aside.sub("", question)
    question = _PAYING.sub(r"\1 with", question)
    question = _AND_THAT_TOTAL.sub(_with_that_total, question)
    question = _ADD_UP_TO.sub("and what was their total amount", question)
    question = _AND_HOW_MANY.sub(r"\1, with the count", question)
    return question.strip()


_PLACE_READINGS = {
    "account": "accounts held at branches in {place}",
    "client": "clients living in {place}",
}


def _counts_side_by_side(sql: str) -> list[tuple[str, str]]:
    """ "SELECT gender, COUNT(*) ... WHERE gender IN ('M', 'F') GROUP BY gender" and the same
    as one row of counts, one per value in the order the values are listed, as two readings;
    none for any other SQL."""
    tree = sqlglot.parse_one(sql, read="sqlite")
    group = tree.args.get("group") if isinstance(tree, exp.Select) else None
    where = tree.args.get("where") if isinstance(tree, exp.Select) else None
    if group is None or where is None or len(group.expressions) != 1:
        return []
    column = group.expressions[0]
    listed = next(
        (
            node
            for node in where.find_all(exp.In)
            if node.this == column and len(node.expressions) > 1
        ),
        None,
    )
    counted = tree.expressions[-1].unalias() if len(tree.expressions) == 2 else None
    if listed is None or not isinstance(counted, exp.Count):
        return []
    inner = counted.this
    distinct = isinstance(inner, exp.Distinct)
    value = inner.expressions[0].sql(dialect="sqlite") if distinct else "1"
    counts = [
        f"COUNT({'DISTINCT ' if distinct else ''}CASE WHEN {column.sql(dialect='sqlite')} = "
        f"{literal.sql(dialect='sqlite')} THEN {value} END) AS count_{n}"
        for n, literal in enumerate(listed.expressions, 1)
    ]
    flat = tree.copy()
    for part in ("group", "order"):
        flat.set(part, None)
    flat.set("expressions", [sqlglot.parse_one(c, read="sqlite") for c in counts])
    return [
        (f"a row for each {tree.expressions[0].alias_or_name}, with its count", sql),
        ("the counts side by side, in the order asked", flat.sql(dialect="sqlite")),
    ]


def _is_place(item: Item) -> bool:
    return any(m.kind in ("region", "district") for m in item.meanings)


def _title(text: str) -> str:
    return " ".join(w[:1].upper() + w[1:] for w in text.split())
