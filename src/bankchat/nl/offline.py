"""The offline engine: plain-language questions to SQL with no model and no network.

A deterministic parser over the semantic layer. It reads the question as a sequence of known
phrases (tables, columns, coded values, regions and districts, numbers, dates, and keywords for
counting, totals, averages, extremes, top-k, grouping, comparisons and date ranges), then builds
one SELECT with the joins the semantic layer's graph gives. Every content word must be
understood: when one is not, the engine says which instead of guessing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import sqlglot
from sqlglot import exp

from bankchat.nl.semantic import Meaning, SemanticLayer, load_layer, normalize_phrase

MONTHS = {
    m: i
    for i, m in enumerate(
        [
            "january",
            "february",
            "march",
            "april",
            "may",
            "june",
            "july",
            "august",
            "september",
            "october",
            "november",
            "december",
        ],
        start=1,
    )
}
MONTHS.update({k[:3]: v for k, v in list(MONTHS.items())})

# keyword phrases -> (kind, payload)
KEYWORDS: dict[str, tuple[str, Any]] = {}


def _kw(kind: str, payload: Any, *phrases: str) -> None:
    for phrase in phrases:
        KEYWORDS[normalize_phrase(phrase)] = (kind, payload)


_kw(
    "agg",
    "count",
    "how many",
    "number of",
    "count",
    "count of",
    "total number of",
    "count the",
    "how many different",
    "number of different",
)
_kw(
    "rel",
    None,
    "held by",
    "owned by",
    "belonging to",
    "issued to",
    "made by",
    "opened by",
    "used by",
    "held at",
    "held in",
    "that belong to",
    "which belong to",
)
_kw(
    "anydisp",
    None,
    "attached",
    "attached to",
    "linked to",
    "connected to",
    "related to",
    "users of",
    "people on",
    "clients on",
)
_kw(
    "agg",
    "sum",
    "total",
    "sum",
    "sum of",
    "in total",
    "altogether",
    "total amount of",
    "how much",
    "combined",
    "overall",
    "add up to",
    "adds up to",
    "add up",
)
_kw("agg", "avg", "average", "mean", "avg", "on average", "typical")
_kw("agg", "min", "minimum", "lowest", "smallest", "min", "least expensive", "fewest")
_kw("agg", "max", "maximum", "highest", "largest", "biggest", "greatest", "max", "most")
_kw("agg", "min_date", "earliest", "oldest", "first opened")
_kw(
    "agg",
    "max_date",
    "latest",
    "newest",
    "most recent",
    "most recently",
    "youngest",
    "last",
    "last one",
)
_kw(
    "unsupported",
    None,
    "different from",
    "same as",
    "compared to",
    "compared with",
    "ratio of",
    "percentage",
    "percent",
    "%",
    "share of",
    "proportion",
    "difference between",
    "more than one",
    "went up",
    "went down",
    "increase",
    "decrease",
    "grew",
    "growth",
    "and total",
    "and average",
    "and the total",
    "and the average",
    "median",
)
_kw("when", None, "when", "what date", "on what date", "which date")
_kw(
    "cmp",
    ">",
    "more than",
    "greater than",
    "over",
    "above",
    "exceeding",
    "larger than",
    "higher than",
    "bigger than",
    "exceeds",
    "exceed",
    "greater",
    ">",
)
_kw("cmp", ">=", "at least", "no less than", "not less than", "minimum of", ">=", "or more")
_kw("cmp", "<", "less than", "below", "under", "fewer than", "smaller than", "lower than", "<")
_kw("cmp", "<=", "at most", "no more than", "not more than", "up to", "maximum of", "<=", "or less")
_kw("cmp", "=", "equal to", "equals", "exactly", "=", "of exactly")
_kw("between", None, "between", "from")
_kw("and", None, "and", "to", "through")
_kw("datecmp", "<", "before", "prior to", "earlier than", "until", "till")
_kw("datecmp", ">", "after", "later than")
_kw("datecmp", ">=", "since", "starting")
_kw("in", None, "in", "during", "in the year", "within", "for the year", "of")
_kw(
    "group",
    None,
    "per",
    "by",
    "for each",
    "each",
    "for every",
    "every",
    "grouped by",
    "broken down by",
    "by each",
    "in each",
    "of each",
    "split by",
)
_kw("year", None, "year", "years", "yearly", "annually", "per year", "annual")
_kw("month", None, "month", "months", "per month")
_kw("topk", None, "top", "first", "the top")
_kw("desc", None, "descending", "in descending order", "largest first", "highest first")
_kw(
    "asc",
    None,
    "ascending",
    "in ascending order",
    "smallest first",
    "lowest first",
    "alphabetically",
    "in alphabetical order",
)
_kw(
    "sort", None, "sorted by", "ordered by", "order by", "sort by", "ranked by", "sorted", "ordered"
)
_kw(
    "neg",
    None,
    "without",
    "no",
    "not",
    "never",
    "don't",
    "do not",
    "does not",
    "doesn't",
    "who don't",
    "that don't",
    "with no",
)
_kw(
    "with",
    None,
    "with",
    "having",
    "that have",
    "who have",
    "which have",
    "has",
    "have",
    "holding",
    "hold",
    "owning",
    "who own",
    "that own",
    "own",
)
_kw("which", None, "which", "what", "who")
_kw("distinct", None, "different", "distinct", "unique")
_kw(
    "list",
    None,
    "list",
    "show",
    "give",
    "display",
    "find",
    "get",
    "return",
    "tell",
    "retrieve",
    "name",
    "names",
    "identify",
    "select",
    "enumerate",
)
_kw("id_word", None, "id", "ids", "number", "numbers", "identifier", "identifiers")

STOPWORDS = set(
    [
        "a",
        "an",
        "the",
        "of",
        "is",
        "are",
        "was",
        "were",
        "be",
        "been",
        "there",
        "their",
        "its",
        "it",
        "this",
        "that",
        "these",
        "those",
        "me",
        "us",
        "i",
        "we",
        "you",
        "please",
        "can",
        "could",
        "would",
        "will",
        "do",
        "does",
        "did",
        "for",
        "on",
        "at",
        "all",
        "any",
        "some",
        "as",
        "with",
        "whose",
        "whom",
        "per",
        "them",
        "they",
        "his",
        "her",
        "whatsoever",
        "so",
        "also",
        "just",
        "only",
        "than",
        "then",
        "ever",
        "each",
        "one",
        "ones",
        "both",
        "either",
        "here",
        "currently",
        "now",
        "much",
        "many",
        "what's",
        "whats",
        "which's",
        "theirs",
        "yours",
        "our",
    ]
)

# Verbs and fillers that carry no meaning a query needs in this domain ("clients living in
# Prague" = "clients in Prague"); multi-word phrases are matched before these.
FILLERS = set(
    [
        "live",
        "lives",
        "living",
        "located",
        "based",
        "held",
        "made",
        "make",
        "received",
        "receive",
        "receives",
        "still",
        "attached",
        "go",
        "goes",
        "went",
        "sent",
        "send",
        "paid",
        "pay",
        "pays",
        "credited",
        "committed",
        "charged",
        "granted",
        "lent",
        "had",
        "ever",
        "single",
        "among",
        "where",
        "recently",
        "up",
        "add",
        "adds",
        "out",
        "details",
        "detail",
        "very",
        "used",
        "we",
        "our",
        "we've",
        "you've",
        "they",
        "issue",
        "does",
        "got",
        "get",
        "gets",
        "currently",
        "exist",
        "exists",
        "existing",
        "stored",
        "recorded",
        "record",
        "records",
        "whose",
        "its",
        "cash",
        "across",
        "statements",
        "statement",
    ]
)

_NUMBER = re.compile(r"^-?\d+(?:\.\d+)?$")


@dataclass
class Item:
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


class NotUnderstood(Exception):
    """The engine could not read the question with confidence; ``reason`` says what."""

    def __init__(self, reason: str, unknown: list[str] | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.unknown = unknown or []


def _tokens(question: str) -> list[str]:
    text = question.lower().replace("\u2019", "'")
    text = re.sub(r"(\d),(\d{3})", r"\1\2", text)
    text = re.sub(r"(\d),(\d{3})", r"\1\2", text)
    # why: amounts are in the bank's one currency; a sign or unit beside a number adds nothing
    text = re.sub(r"(?:[$€£]|\b(?:czk|kč|kc|usd)\b)\s*(?=\d)", "", text)
    text = re.sub(r"(?<=\d)(k|m|million)?\s*(?:czk|kč|kc|crowns|dollars|usd)\b", r"\1", text)
    text = re.sub(r"(\d+(?:\.\d+)?)\s*k\b", lambda m: str(int(float(m.group(1)) * 1000)), text)
    text = re.sub(
        r"(\d+(?:\.\d+)?)\s*(million|mil|m)\b",
        lambda m: str(int(float(m.group(1)) * 1_000_000)),
        text,
    )
    text = re.sub(r"(\d{4})s\b", r"\1 decade", text)
    text = re.sub(r"[\"“”]", " ", text)
    text = re.sub(r"([?!,;:()])", " ", text)
    text = re.sub(r"(?<=[a-z])'s\b", "", text)
    text = re.sub(r"\.(?=\s|$)", " ", text)
    text = re.sub(r"(?<=[a-z])-(?=[a-z])", " ", text)
    text = re.sub(r"(?<=\d)-(?=[a-z])", " ", text)
    text = re.sub(r"(\d)\s*%", r"\1", text)
    return [t for t in text.split() if t]


class OfflineEngine:
    """Translate questions into SQLite SQL over the semantic layer."""

    name = "offline"

    def __init__(self, layer: SemanticLayer | None = None) -> None:
        self.layer = layer or load_layer()
        self._max_words = max(self.layer.max_phrase_words, 6)

    # --- reading the question ------------------------------------------------------------
    def read(self, question: str) -> list[Item]:
        tokens = _tokens(question)
        items: list[Item] = []
        i = 0
        while i < len(tokens):
            matched = self._match_at(tokens, i)
            if matched is None:
                items.append(Item("unknown", tokens[i]))
                i += 1
                continue
            item, width = matched
            items.append(item)
            i += width
        return self._combine(items)

    def _match_at(self, tokens: list[str], i: int) -> tuple[Item, int] | None:
        token = tokens[i]
        date = _date_at(tokens, i)
        if date is not None and date[1] > 1:
            return date
        for width in range(min(self._max_words, len(tokens) - i), 1, -1):
            phrase = " ".join(tokens[i : i + width])
            meanings = self.layer.lexicon.get(phrase) or self.layer.lexicon.get(_singular(phrase))
            if meanings:
                return Item("meaning", phrase, list(meanings)), width
            keyword = KEYWORDS.get(phrase)
            if keyword:
                return Item(keyword[0], phrase, payload=keyword[1]), width
        if date is not None:
            return date
        for width in range(1, 0, -1):
            phrase = " ".join(tokens[i : i + width])
            meanings = self.layer.lexicon.get(phrase)
            keyword = KEYWORDS.get(phrase)
            if meanings and keyword and width == 1:
                meanings = None  # a one-word keyword beats a one-word name ("most", "open")
            if meanings:
                return Item("meaning", phrase, list(meanings)), width
            if keyword:
                return Item(keyword[0], phrase, payload=keyword[1]), width
        if _NUMBER.match(token):
            value = float(token)
            return Item("number", token, payload=int(value) if value.is_integer() else value), 1
        if token in STOPWORDS or token in FILLERS:
            return Item("stop", token), 1
        return None

    def _combine(self, items: list[Item]) -> list[Item]:
        """Join ``<table id phrase> <number>`` into id references."""
        out: list[Item] = []
        for item in items:
            prev = out[-1] if out else None
            if item.kind == "number" and prev is not None:
                table = _table_of(prev)
                if table and prev.kind in ("meaning", "id_word"):
                    if prev.kind == "id_word" and len(out) > 1:
                        table = _table_of(out[-2])
                        if table:
                            out.pop()
                    if table:
                        out[-1] = Item(
                            "id", f"{table} {item.payload}", payload=(table, item.payload)
                        )
                        continue
            out.append(item)
        return out

    # --- building the query ----------------------------------------------------------------
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
        translation = _Builder(self.layer, items, question, hidden).build()
        _confident(items, translation.sql)
        translation.filler = [i.text for i in items if i.kind == "stop"]
        translation.words = [(i.text, _reading(i)) for i in items if i.kind != "stop"]
        return translation


def _confident(items: list[Item], sql: str) -> None:
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
    unused = _unused_joins(tree)
    if unused:
        raise NotUnderstood(
            f"I would have to read {', '.join(sorted(unused))} without using it; "
            "rephrase the question, or write the SQL"
        )


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


def _reading(item: Item) -> str:
    """What one read phrase became, in words."""
    for meaning in item.meanings:
        if meaning.kind == "table":
            return f"the {meaning.table} table"
        if meaning.kind == "column":
            return f"the column {meaning.qualified}" if meaning.table != "*" else meaning.column
        if meaning.kind in ("value", "region", "district"):
            return f"{meaning.qualified} = " + " or ".join(repr(v) for v in meaning.values)
    return {
        "number": "a number",
        "date": "a date",
        "yearnum": "a year",
        "id": "an id",
        "agg": "an aggregate",
        "topk": "a top-k limit",
        "sort": "an ordering",
        "cmp": "a comparison",
    }.get(item.kind, item.kind.replace("_", " "))


def _singular(phrase: str) -> str:
    """A plural phrase's last word made singular ("birth dates" -> "birth date"), or ""."""
    if len(phrase) > 4 and phrase.endswith("s") and not phrase.endswith("ss"):
        return phrase[:-1]
    return ""


def _table_of(item: Item) -> str | None:
    if item.kind == "meaning":
        for meaning in item.meanings:
            if meaning.kind == "table":
                return meaning.table
    return None


def _date_at(tokens: list[str], i: int) -> tuple[Item, int] | None:
    token = tokens[i]
    iso = re.match(r"^(\d{4})-(\d{2})(?:-(\d{2}))?$", token)
    if iso:
        year, month, day = int(iso.group(1)), int(iso.group(2)), iso.group(3)
        if day:
            return Item("date", token, payload=("day", year, month, int(day))), 1
        return Item("date", token, payload=("month", year, month)), 1
    part = _year_part(tokens, i)
    if part is not None:
        return part
    if token in MONTHS and i + 1 < len(tokens) and re.match(r"^(19|20)\d\d$", tokens[i + 1]):
        return Item(
            "date", f"{token} {tokens[i + 1]}", payload=("month", int(tokens[i + 1]), MONTHS[token])
        ), 2
    if (
        token.isdigit()
        and i + 2 < len(tokens)
        and tokens[i + 1] in MONTHS
        and re.match(r"^(19|20)\d\d$", tokens[i + 2])
    ):
        return Item(
            "date",
            " ".join(tokens[i : i + 3]),
            payload=("day", int(tokens[i + 2]), MONTHS[tokens[i + 1]], int(token)),
        ), 3
    if re.match(r"^(19[0-9]\d|20[0-2]\d)$", token):
        if i + 1 < len(tokens) and tokens[i + 1] == "decade":
            return Item("date", token + "s", payload=("decade", int(token))), 2
        return Item("yearnum", token, payload=int(token)), 1
    return None


_ORDINALS = {
    "first": 1,
    "second": 2,
    "third": 3,
    "fourth": 4,
    "last": 4,
    "1st": 1,
    "2nd": 2,
    "3rd": 3,
    "4th": 4,
}


def _year_part(tokens: list[str], i: int) -> tuple[Item, int] | None:
    """ "the first half of 1993", "second quarter of 1997" as a month range."""
    words = tokens[i : i + 5]
    if words[:1] == ["the"]:
        words = words[1:]
        skip = 1
    else:
        skip = 0
    if (
        len(words) < 4
        or words[0] not in _ORDINALS
        or words[1] not in ("half", "quarter")
        or words[2] != "of"
        or not re.match(r"^(19|20)\d\d$", words[3])
    ):
        return None
    year, n = int(words[3]), _ORDINALS[words[0]]
    months = 6 if words[1] == "half" else 3
    if n * months > 12:
        return None
    first = (n - 1) * months + 1
    return Item(
        "date", " ".join(tokens[i : i + 4 + skip]), payload=("months", year, first, months)
    ), 4 + skip


def _period(item: Item) -> tuple[Any, ...]:
    return ("year", item.payload) if item.kind == "yearnum" else item.payload


def _date_bounds(payload: tuple[Any, ...]) -> tuple[str, str]:
    """[start, end) ISO bounds of a year, month, day or decade."""
    kind = payload[0]
    if kind == "year":
        return f"{payload[1]}-01-01", f"{payload[1] + 1}-01-01"
    if kind == "decade":
        return f"{payload[1]}-01-01", f"{payload[1] + 10}-01-01"
    if kind == "months":
        year, first, count = payload[1], payload[2], payload[3]
        end_month = first + count
        end = f"{year + 1}-01-01" if end_month > 12 else f"{year}-{end_month:02d}-01"
        return f"{year}-{first:02d}-01", end
    if kind == "month":
        year, month = payload[1], payload[2]
        nxt = (year + 1, 1) if month == 12 else (year, month + 1)
        return f"{year}-{month:02d}-01", f"{nxt[0]}-{nxt[1]:02d}-01"
    year, month, day = payload[1], payload[2], payload[3]
    import datetime as _dt

    start = _dt.date(year, month, day)
    return start.isoformat(), (start + _dt.timedelta(days=1)).isoformat()


def _quote(table: str) -> str:
    return f'"{table}"' if table == "order" else table


def _literal(value: Any) -> str:
    if isinstance(value, int | float):
        return str(value)
    return "'" + str(value).replace("'", "''") + "'"


class _Builder:
    """Turns the items of one question into one SELECT."""

    def __init__(
        self,
        layer: SemanticLayer,
        items: list[Item],
        question: str,
        hidden: frozenset[tuple[str, str]] = frozenset(),
    ) -> None:
        self.layer = layer
        self.hidden = {f"{t}.{c}".lower() for t, c in hidden}
        self.left_out: list[str] = []
        self.applied: list[str] = []
        self.items = [i for i in items if i.kind != "stop"]
        self.question = question
        self.conditions: list[str] = []
        self.explain: list[str] = []
        self.tables: set[str] = set()
        self.extra_columns: list[str] = []
        self.group_more: list[str] = []
        self.order_by: str | None = None
        self.any_disposition = False
        self.value_conditions: dict[str, tuple[int, list[str]]] = {}
        self.split_by: list[str] = []
        self.distinct_of: str | None = None
        self.year_hint: str | None = None
        self.base = ""

    # --- vocabulary helpers ----------------------------------------------------------------
    def _tables_in_play(self) -> list[str]:
        out = [self.base] if self.base else []
        for item in self.items:
            table = _table_of(item)
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
            for table in self._tables_in_play():
                if meaning.column in self.layer.tables[table].list_columns:
                    return f"{table}.{meaning.column}"
            return None
        return None

    def ctype(self, column: str) -> str:
        info = self.layer.columns.get(column)
        if info is not None:
            return info.type
        name = column.split(".")[1]
        return (
            "date"
            if name in ("date", "issued", "birth_date")
            else ("number" if name in ("amount", "balance", "payments", "duration") else "text")
        )

    # --- the frame of the question ---------------------------------------------------------
    def build(self) -> Translation:
        self._durations()
        agg, agg_at = self._agg()
        topk = self._topk()
        measure = self._measure(agg, agg_at)
        if agg == "count" and measure is not None:
            agg = "sum"  # "number of inhabitants" is a total, not a count of rows
        group, row_focus = self._group(agg, measure, topk)
        self.base = self._base(agg, measure, group, row_focus)
        self.tables.add(self.base)
        if measure is None and agg in ("max", "min") and group is None:
            info = self.layer.tables[self.base]
            if info.measure:
                measure = f"{self.base}.{info.measure}"
        if agg in ("min_date", "max_date") and measure is None:
            measure = self._date_column(self.base, len(self.items))
        if agg in ("sum", "avg") and measure is None and group is None:
            raise NotUnderstood("I could not tell which amount to add up or average")
        if agg in ("max", "min") and measure is None and group is None and not row_focus:
            raise NotUnderstood("I could not tell which amount the highest or lowest refers to")
        if self.order_by is not None:
            self.tables.add(self.order_by.split(".")[0])
        for item in self.items:
            if _table_of(item) == self.base:
                item.used = True
        self.any_disposition = any(i.kind == "anydisp" for i in self.items)
        self._filters()
        if group is None and self.split_by and agg in ("count", "sum", "avg"):
            group = (self.split_by[0], self.split_by[0].split(".")[1])
        self._related_tables()
        self._extra_columns(agg, group)
        if agg is None and group is None and not row_focus and topk is None:
            focus = self._focus()
            named = [c for c in (self.column(i) for i in self.items) if c is not None]
            if focus is not None and focus[0] <= 2 and len(set(named)) == 1:
                only = named[0]
                table = _table_of(focus[1])
                if self.ctype(only) == "text" and (
                    self.column(focus[1]) == only
                    or (table is not None and only.startswith(table + "."))
                ):
                    self.distinct_of = only
        leftovers = [
            i
            for i in self.items
            if not i.used
            and i.kind
            in (
                "meaning",
                "number",
                "yearnum",
                "date",
                "id",
                "cmp",
                "datecmp",
                "between",
                "unknown",
            )
        ]
        if leftovers:
            raise NotUnderstood(
                "I could not place: " + ", ".join(repr(i.text) for i in leftovers),
                [i.text for i in leftovers],
            )
        return self._assemble(agg, measure, group, topk, row_focus)

    def _durations(self) -> None:
        """``24 month loans`` -> loan.duration = 24."""
        for n, item in enumerate(self.items[:-1]):
            nxt = self.items[n + 1]
            if item.kind == "number" and nxt.kind == "month":
                item.used = nxt.used = True
                self._add_condition(
                    f"loan.duration = {item.payload}",
                    f"{item.payload}-month loans",
                    "loan.duration",
                )

    def _agg(self) -> tuple[str | None, int]:
        when = any(i.kind == "when" for i in self.items)
        if not any(i.kind in ("agg", "topk", "sort") for i in self.items) and not when:
            for n, item in enumerate(self.items[:1]):
                if (
                    item.kind == "meaning"
                    and item.text.startswith(("average ", "mean "))
                    and self.column(item) is not None
                    and not any(i.kind in ("cmp", "between") for i in self.items)
                ):
                    return "avg", n - 1
        for n, item in enumerate(self.items):
            if item.kind == "agg":
                item.used = True
                payload = item.payload
                if when and payload in ("max", "min"):
                    payload = "max_date" if payload == "max" else "min_date"
                return payload, n
        if when:
            for item in self.items:
                item.used = item.used or item.kind == "when"
            last = any(i.kind == "topk" for i in self.items) is False
            return ("max_date" if last else "min_date"), 0
        return None, -1

    def _topk(self) -> int | None:
        for n, item in enumerate(self.items):
            nxt = self.items[n + 1] if n + 1 < len(self.items) else None
            if item.kind == "topk":
                item.used = True
                if nxt is not None and nxt.kind == "number":
                    nxt.used = True
                    return int(nxt.payload)
                return 1
            if (
                item.kind == "number"
                and nxt is not None
                and (
                    (nxt.kind == "agg" and nxt.payload in ("max", "min", "max_date", "min_date"))
                    or (n > 0 and self.items[n - 1].kind in ("which", "list") and _table_of(nxt))
                )
            ):
                item.used = True
                return int(item.payload)
        return None

    def _measure(self, agg: str | None, at: int) -> str | None:
        """The column an aggregate or an ordering is about."""
        if agg is None:
            return None
        word = self.items[at].text if 0 <= at < len(self.items) else ""
        if word in ("youngest", "oldest"):
            return "client.birth_date"
        if (
            word in ("most", "fewest", "least")
            and at + 1 < len(self.items)
            and _table_of(self.items[at + 1]) is not None
        ):
            return None
        wanted = ("date",) if agg in ("min_date", "max_date") else ("number",)
        for item in self.items[at + 1 :]:
            column = self.column(item)
            if column is not None and self.ctype(column) in wanted:
                item.used = True
                return column
            table = _table_of(item)
            if table is not None:
                if agg == "count":
                    return None
                if agg in ("sum", "avg", "max", "min") and self.layer.tables[table].measure:
                    return f"{table}.{self.layer.tables[table].measure}"
        if agg in ("sum", "avg", "max", "min"):
            for table in self._tables_in_play():
                if self.layer.tables[table].measure:
                    return f"{table}.{self.layer.tables[table].measure}"
        return None

    def _group(
        self, agg: str | None, measure: str | None, topk: int | None
    ) -> tuple[tuple[str, str] | None, bool]:
        """What to group by, and whether the question asks for rows of its focus table."""
        items = self.items
        for n, item in enumerate(items):
            if item.kind == "year" and (
                (n > 0 and items[n - 1].kind in ("group", "in"))
                or item.text in ("yearly", "annually", "per year")
            ):
                item.used = True
                if n > 0 and items[n - 1].kind in ("group", "in"):
                    items[n - 1].used = True
                return ("YEAR", "year"), False
            if item.kind == "month" and n > 0 and items[n - 1].kind in ("group", "in"):
                item.used = items[n - 1].used = True
                return ("MONTH", "month"), False
        for n, item in enumerate(items[:-1]):
            if item.kind == "group" and topk is not None and self._after_topk(n):
                order_by = self.column(items[n + 1])
                if order_by is not None and self.ctype(order_by) in ("number", "date"):
                    item.used = items[n + 1].used = True
                    self.order_by = order_by
                continue
            if item.kind != "group":
                continue
            target = items[n + 1]
            grouping = self._group_column(target)
            if grouping is not None:
                item.used = target.used = True
                k = n + 2
                while k + 1 < len(items) and items[k].kind == "and":
                    more = self._group_column(items[k + 1])
                    if more is None:
                        break
                    items[k].used = items[k + 1].used = True
                    self.group_more.append(more[0])
                    k += 2
                return grouping, False
        # "which region has the most clients", "top 3 regions by population"
        focus = self._focus()
        asks_which = any(i.kind == "which" and i.text in ("which", "who") for i in items[:3])
        if (
            focus is None
            or (agg not in ("max", "min") and topk is None)
            or not (asks_which or topk is not None)
        ):
            return None, False
        n, target = focus
        column = self.column(target)
        if column is not None and self.ctype(column) == "text":
            target.used = True
            return (column, column.split(".")[1]), False
        table = _table_of(target)
        if table is None:
            return None, False
        measured = measure.split(".")[0] if measure else None
        if measured == table or (measure is None and not self._counts_other_table(table, n)):
            return None, True
        info = self.layer.tables[table]
        target.used = True
        self.tables.add(table)
        name = info.name_column or info.key
        return (f"{table}.{name}", name), False

    def _after_topk(self, n: int) -> bool:
        return any(i.kind in ("topk", "number") for i in self.items[:n])

    def _focus(self) -> tuple[int, Item] | None:
        for n, item in enumerate(self.items):
            if item.kind == "meaning":
                return n, item
        return None

    def _counts_other_table(self, table: str, at: int) -> bool:
        for item in self.items[at + 1 :]:
            other = _table_of(item)
            if other and other != table:
                return True
        return False

    def _group_column(self, item: Item) -> tuple[str, str] | None:
        if item.kind != "meaning":
            return None
        column = self.column(item)
        if column is not None:
            return (column, column.split(".")[1])
        table = _table_of(item)
        if table is not None:
            info = self.layer.tables[table]
            name = info.name_column or info.key
            return (f"{table}.{name}", name)
        return None

    def _base(
        self, agg: str | None, measure: str | None, group: tuple[str, str] | None, row_focus: bool
    ) -> str:
        if row_focus:
            focus = self._focus()
            assert focus is not None
            table = _table_of(focus[1])
            assert table is not None
            return table
        if measure is not None and agg not in (None, "count"):
            return measure.split(".")[0]
        if (group is not None and agg in ("count", "max", "min", None)) or agg == "count":
            for item in self.items:
                table = _table_of(item)
                if table and not item.used:
                    return table
        for item in self.items:
            table = _table_of(item)
            if table:
                return table
        for item in self.items:
            for meaning in item.meanings:
                if meaning.kind == "value" and meaning.table != "*":
                    return meaning.table
        if group is not None and group[0] not in ("YEAR", "MONTH"):
            return group[0].split(".")[0]
        for item in self.items:
            column = self.column(item)
            if column is not None:
                return column.split(".")[0]
        raise NotUnderstood(
            "I could not tell which records the question is about "
            "(clients, accounts, loans, cards, transactions, orders, districts?)"
        )

    def _asks_for_rows(self) -> bool:
        return any(i.kind in ("which", "list") for i in self.items[:2])

    # --- filters ---------------------------------------------------------------------------
    def _date_column(self, base: str, near: int) -> str:
        for item in list(reversed(self.items[:near])) + self.items[near : near + 3]:
            column = self.column(item)
            if column is not None and self.ctype(column) == "date":
                item.used = True
                return column
        info = self.layer.tables[base]
        if info.date:
            return f"{base}.{info.date}"
        for table in self._tables_in_play():
            if self.layer.tables[table].date:
                return f"{table}.{self.layer.tables[table].date}"
        return "@year"  # no date to filter: a year-specific column may take the year

    def _numeric_column(self, near: int) -> str:
        for item in reversed(self.items[:near]):
            column = self.column(item)
            if column is not None and self.ctype(column) == "number":
                item.used = True
                return column
            table = _table_of(item)
            if table is not None and self.layer.tables[table].measure:
                return f"{table}.{self.layer.tables[table].measure}"
        for item in self.items[near : near + 4]:
            column = self.column(item)
            if column is not None and self.ctype(column) == "number":
                item.used = True
                return column
        info = self.layer.tables[self.base]
        if info.measure:
            return f"{self.base}.{info.measure}"
        raise NotUnderstood("I do not know which amount the number refers to")

    def _add_condition(self, sql: str, text: str, column: str) -> None:
        self.conditions.append(sql)
        self.explain.append(text)
        self.tables.add(column.split(".")[0])

    def _filters(self) -> None:
        items = self.items
        n = 0
        while n < len(items):
            item = items[n]
            if item.used:
                n += 1
                continue
            if item.kind == "meaning":
                self._meaning_filter(item)
            elif item.kind == "id":
                table, value = item.payload
                info = self.layer.tables[table]
                self._add_condition(
                    f"{_quote(table)}.{info.key} = {value}",
                    f"{table} {value}",
                    f"{table}.{info.key}",
                )
                item.used = True
            elif item.kind == "cmp":
                n = self._comparison(n)
                continue
            elif item.kind == "between":
                n = self._between(n)
                continue
            elif (
                item.kind in ("datecmp", "in")
                and n + 1 < len(items)
                and items[n + 1].kind in ("yearnum", "date")
            ):
                self._date_filter(n)
            elif item.kind in ("yearnum", "date"):
                self._date_filter(n, implicit=True)
            n += 1

    def _meaning_filter(self, item: Item) -> None:
        for meaning in item.meanings:
            if meaning.kind in ("region", "district"):
                anchor = self._place_anchor(item)
                value = _literal(meaning.values[0])
                if anchor == "district":
                    self._add_condition(
                        f"district.{meaning.column} = {value}",
                        f"{meaning.values[0]}",
                        "district.A2",
                    )
                else:
                    self._add_condition(
                        f"{anchor}.district_id IN (SELECT district_id FROM district WHERE "
                        f"{meaning.column} = {value})",
                        f"{anchor} in {meaning.values[0]}",
                        f"{anchor}.district_id",
                    )
                item.used = True
                return
        in_play = set(self._tables_in_play())
        picked = next(
            (m for m in item.meanings if m.kind == "value" and (not m.when or m.when in in_play)),
            None,
        )
        if picked is None:
            return
        meaning = picked
        table = meaning.table
        if table == "*":
            table = "order" if "order" in in_play else "trans"
        column = f"{table}.{meaning.column}"
        item.used = True
        earlier = self.value_conditions.get(column)
        if earlier is not None:
            index, chosen = earlier
            narrower = set(meaning.values)
            if narrower <= set(chosen) or set(chosen) <= narrower:
                # "running ... in debt": the more specific of the two
                keep = sorted(narrower & set(chosen))
                chosen[:] = keep
                self.conditions[index] = (
                    f"{_quote(table)}.{meaning.column} IN ({', '.join(map(_literal, keep))})"
                )
                return
            # "owners and disponents", "female and male": both values, one group each
            chosen.extend(v for v in meaning.values if v not in chosen)
            self.conditions[index] = (
                f"{_quote(table)}.{meaning.column} IN ({', '.join(map(_literal, chosen))})"
            )
            self.split_by.append(column)
            return
        if len(meaning.values) == 1:
            sql = f"{_quote(table)}.{meaning.column} = {_literal(meaning.values[0])}"
        else:
            sql = (
                f"{_quote(table)}.{meaning.column} IN ({', '.join(map(_literal, meaning.values))})"
            )
        self.value_conditions[column] = (len(self.conditions), list(meaning.values))
        self._add_condition(sql, item.text, column)

    def _use_year(self, date_item: Item) -> None:
        """ "crimes in 1995": pick the column holding that year's figure."""
        year = str(date_item.payload) if date_item.kind == "yearnum" else ""
        if not any(year in years for years in self.layer.year_columns.values()):
            raise NotUnderstood(f"{self.base} records have no date to filter by {date_item.text}")
        self.year_hint = year
        date_item.used = True

    def _year_swap(self, column: str | None) -> str | None:
        if column is None or self.year_hint is None:
            return column
        return self.layer.column_for_year(column, self.year_hint) or column

    def _place_anchor(self, item: Item) -> str:
        """Whose district a place name filters: the nearest table named before it.

        "clients in Prague" is where clients live; "loans of accounts held in Prague" is
        the accounts' branch. Loans, transactions and orders are placed by their account,
        cards and dispositions by their client.
        """
        at = self.items.index(item)
        candidates = [_table_of(i) for i in reversed(self.items[:at])]
        candidates += [self.base]
        for table in candidates:
            if table is None:
                continue
            if table in ("client", "district"):
                return table
            if table in ("account", "loan", "trans", "order"):
                return "account"
            if table in ("card", "disp"):
                return "client"
        return "district"

    def _comparison(self, n: int) -> int:
        op = self.items[n].payload
        self.items[n].used = True
        nxt = self.items[n + 1] if n + 1 < len(self.items) else None
        if nxt is not None and nxt.kind in ("yearnum", "date"):
            column = self._date_column(self.base, n)
            start, end = _date_bounds(_period(nxt))
            bound = end if op in (">", "<=") else start
            sql_op = {">": ">=", "<=": "<", ">=": ">=", "<": "<", "=": ">="}[op]
            self._add_condition(
                f"{_q(column)} {sql_op} '{bound}'", f"{column} {op} {nxt.text}", column
            )
            nxt.used = True
            return n + 2
        if nxt is None or nxt.kind != "number":
            if self.items[n].text in ("over", "under", "above", "below"):
                return n + 1  # a preposition here: "over all districts"
            raise NotUnderstood(f"'{self.items[n].text}' needs a number after it")
        column = self._numeric_column(n)
        nxt.used = True
        self._add_condition(
            f"{_q(column, self.layer)} {op} {nxt.payload}", f"{column} {op} {nxt.payload}", column
        )
        return n + 2

    def _between(self, n: int) -> int:
        items = self.items
        if n + 3 < len(items) and items[n + 2].kind == "and":
            low, high = items[n + 1], items[n + 3]
            if low.kind in ("yearnum", "date") and high.kind in ("yearnum", "date"):
                column = self._date_column(self.base, n)
                start, _ = _date_bounds(_period(low))
                _, end = _date_bounds(_period(high))
                self._add_condition(
                    f"{_q(column)} >= '{start}' AND {_q(column)} < '{end}'",
                    f"{column} from {low.text} to {high.text}",
                    column,
                )
            elif low.kind == "number" and high.kind == "number":
                column = self._numeric_column(n)
                self._add_condition(
                    f"{_q(column, self.layer)} BETWEEN {low.payload} AND {high.payload}",
                    f"{column} between {low.payload} and {high.payload}",
                    column,
                )
            else:
                items[n].used = True
                return n + 1
            for i in (n, n + 1, n + 2, n + 3):
                items[i].used = True
            return n + 4
        items[n].used = True
        return n + 1

    def _date_filter(self, n: int, implicit: bool = False) -> None:
        items = self.items
        if implicit:
            date_item, op = items[n], "in"
        else:
            date_item = items[n + 1]
            op = items[n].payload if items[n].kind == "datecmp" else "in"
            items[n].used = True
        column = self._date_column(self.base, n)
        if column == "@year":
            self._use_year(date_item)
            return
        start, end = _date_bounds(_period(date_item))
        if op == "in":
            sql = f"{_q(column)} >= '{start}' AND {_q(column)} < '{end}'"
        elif op == "<":
            sql = f"{_q(column)} < '{start}'"
        elif op == ">":
            sql = f"{_q(column)} >= '{end}'"
        else:
            sql = f"{_q(column)} >= '{start}'"
        self._add_condition(sql, f"{column} {op} {date_item.text}", column)
        date_item.used = True

    def _related_tables(self) -> None:
        """Other tables named: the base records must have (or, after "without", lack) one."""
        negate_next = False
        for item in self.items:
            if item.kind == "neg":
                negate_next = True
                item.used = True
                continue
            table = _table_of(item)
            if table is None or item.used:
                continue
            item.used = True
            if table == self.base:
                continue
            if negate_next:
                self._exists(table, negate=True)
            elif table not in self.tables:
                self.tables.add(table)
            negate_next = False

    def _exists(self, table: str, negate: bool) -> None:
        path = self.layer.path(table, self.base)
        joins = "".join(
            f" JOIN {_quote(to)} ON {_quote(to)}.{tcol} = {_quote(frm)}.{fcol}"
            for frm, fcol, to, tcol in path[:-1]
        )
        frm, fcol, to, tcol = path[-1]
        owner = (
            " AND disp.type = 'OWNER'"
            if not self.any_disposition
            and any("disp" in (p[0], p[2]) for p in path)
            and {"client", "account"} <= {p[0] for p in path} | {p[2] for p in path}
            else ""
        )
        inner = (
            f"SELECT 1 FROM {_quote(table)}{joins} WHERE {_quote(frm)}.{fcol} = "
            f"{_quote(to)}.{tcol}{owner}"
        )
        self.conditions.append(f"{'NOT ' if negate else ''}EXISTS ({inner})")
        self.explain.append(f"{'without' if negate else 'with'} {table}")

    def _extra_columns(self, agg: str | None, group: tuple[str, str] | None) -> None:
        """Columns named in a list question are shown ("districts with their salary")."""
        for item in self.items:
            column = self.column(item)
            if column is None or item.used:
                continue
            item.used = True
            if agg is None and group is None:
                self.extra_columns.append(column)
                self.tables.add(column.split(".")[0])

    # --- assembling ------------------------------------------------------------------------
    def _assemble(
        self,
        agg: str | None,
        measure: str | None,
        group: tuple[str, str] | None,
        topk: int | None,
        row_focus: bool,
    ) -> Translation:
        base = self.base
        info = self.layer.tables[base]
        if self.year_hint is not None:
            measure = self._year_swap(measure)
            self.order_by = self._year_swap(self.order_by)
            for years in self.layer.year_columns.values():
                for old in years.values():
                    new = self._year_swap(old)
                    if new is not None and new != old:
                        self.conditions = [c.replace(_q(old), _q(new)) for c in self.conditions]
        group_sql = None
        if group is not None:
            if group[0] in ("YEAR", "MONTH"):
                date_table = measure.split(".")[0] if measure else base
                date_info = self.layer.tables[date_table]
                if not date_info.date:
                    raise NotUnderstood(f"{date_table} records have no date to group by")
                fmt = "%Y" if group[0] == "YEAR" else "%m"
                group_sql = f"strftime('{fmt}', {_quote(date_table)}.{date_info.date})"
            else:
                group_sql = (
                    _q(group[0], self.layer) if self.ctype(group[0]) == "number" else _q(group[0])
                )
                self.tables.add(group[0].split(".")[0])
        if measure is not None:
            self.tables.add(measure.split(".")[0])
        joins, fanout = self._joins()
        key = f"{_quote(base)}.{info.key}"
        count = f"COUNT(DISTINCT {key})" if fanout else "COUNT(*)"
        measure_sql = _q(measure, self.layer) if measure else None
        where = self._where()
        if group_sql is not None:
            if agg in ("sum", "avg"):
                value = f"{_agg_sql(agg)}({measure_sql})" if measure_sql else count
            elif agg in ("max", "min") and measure_sql:
                # the extreme of a per-group figure: an average for rates ("average salary"),
                # a total for amounts
                func = "AVG" if self._measure_says_average() else "SUM"
                value = f"{func}({measure_sql})"
            else:
                value = count
            label = group[1] if group else "group"
            extra = [_q(c) for c in self.group_more]
            keys = ", ".join([group_sql, *extra])
            shown = ", ".join([f"{group_sql} AS {label}", *extra])
            if agg in ("max", "min") and topk is None and self._asks_which_only():
                # why: "which district has the most accounts" asks for a district; the count
                # decides which, and is shown only when the question asks for it too
                direction = "ASC" if agg == "min" else "DESC"
                sql = (
                    f"SELECT {shown} FROM {_quote(base)}{joins}{where} GROUP BY {keys}"
                    f" ORDER BY {value} {direction}, {group_sql} LIMIT 1"
                )
                return Translation(sql, self._explanation(agg, measure, group, topk))
            sql = (
                f"SELECT {shown}, {value} AS {_alias(agg, measure)} "
                f"FROM {_quote(base)}{joins}{where} GROUP BY {keys}"
            )
            if agg in ("max", "min") or topk is not None:
                direction = "ASC" if agg == "min" else "DESC"
                sql += (
                    f" ORDER BY {_alias(agg, measure)} {direction}, {group_sql} LIMIT {topk or 1}"
                )
            else:
                sql += f" ORDER BY {keys}"
        elif self.distinct_of is not None:
            sql = (
                f"SELECT DISTINCT {_q(self.distinct_of)} FROM {_quote(base)}{joins}{where} "
                f"ORDER BY {_q(self.distinct_of)}"
            )
        elif agg == "count":
            sql = f"SELECT {count} FROM {_quote(base)}{joins}{where}"
        elif agg in ("sum", "avg") and measure_sql:
            sql = f"SELECT {_agg_sql(agg)}({measure_sql}) FROM {_quote(base)}{joins}{where}"
        elif agg in ("max", "min", "max_date", "min_date") and measure_sql:
            descending = agg in ("max", "max_date")
            if (
                measure == "client.birth_date"
                and agg in ("max_date", "min_date")
                and self._says("oldest", "youngest")
            ):
                descending = self._says("youngest")
            when = self.question.lower().lstrip().startswith("when")
            if not when and (
                topk is not None or row_focus or (self._asks_for_rows() and not self._says("what"))
            ):
                cols = self._ranked_columns(measure, fanout)
                direction = "DESC" if descending else "ASC"
                sql = (
                    f"SELECT {'DISTINCT ' if fanout else ''}{cols} FROM {_quote(base)}"
                    f"{joins}{where} ORDER BY {measure_sql} {direction}, "
                    f"{key} {direction} LIMIT {topk or 1}"
                )
            else:
                sql = (
                    f"SELECT {'MAX' if descending else 'MIN'}({measure_sql}) "
                    f"FROM {_quote(base)}{joins}{where}"
                )
        elif self.order_by is not None:
            order_sql = _q(self.order_by, self.layer)
            cols = self._ranked_columns(self.order_by, fanout)
            sql = (
                f"SELECT {'DISTINCT ' if fanout else ''}{cols} FROM {_quote(base)}{joins}"
                f"{where} ORDER BY {order_sql} DESC, {key} LIMIT {topk or 1}"
            )
        else:
            cols = self._list_columns(None, fanout)
            sql = (
                f"SELECT {'DISTINCT ' if fanout else ''}{cols} FROM {_quote(base)}{joins}"
                f"{where} ORDER BY {self._sort_column() or key}"
            )
            if topk is not None:
                sql += f" LIMIT {topk}"
        notes = [
            *self.applied,
            *(f"left out {column} (your role may not read it)" for column in self.left_out),
        ]
        return Translation(sql, self._explanation(agg, measure, group, topk), notes=notes)

    def _measure_says_average(self) -> bool:
        return any(i.text.startswith(("average", "mean")) for i in self.items)

    def _says(self, *words: str) -> bool:
        return any(i.text in words for i in self.items)

    def _list_columns(self, measure: str | None, fanout: bool = False) -> str:
        base = self.base
        named = [c for c in self.extra_columns if f"{c}".lower() not in self.hidden]
        if named:
            # why: "opening date and region of account 2" asks for fields: those, in its
            # order; "the accounts of client 2 with their opening date" asks for records
            # and a field: the record's name or key first. A join that repeats rows keeps
            # the key too, so each record stays one row.
            info = self.layer.tables[base]
            key = f"{base}.{info.key}"
            ident = f"{base}.{info.name_column}" if info.name_column else key
            lead = [ident] if not self._fields_first() else []
            if fanout and key not in named and ident == key:
                lead = [key]
            chosen = [c for c in lead if c not in named] + named
            if measure and measure not in chosen:
                chosen.append(measure)
            return ", ".join(dict.fromkeys(_q(c) for c in chosen))
        cols = []
        self.applied.append(f"no fields were named: showing the usual columns of {base} records")
        for c in self.layer.tables[base].list_columns:
            if f"{base}.{c}".lower() in self.hidden:
                self.left_out.append(f"{base}.{c}")
            else:
                cols.append(f"{_quote(base)}.{c}")
        for table in sorted(self.tables - {base}):
            name = self.layer.tables[table].name_column
            if (
                name
                and f"{table}.{name}" not in self.extra_columns
                and not any(c.startswith(f"district.{name} =") for c in self.conditions)
            ):
                self.extra_columns.append(f"{table}.{name}")
        for extra in [*self.extra_columns, *([measure] if measure else [])]:
            ref = _q(extra)
            if ref not in cols:
                cols.append(ref)
        return ", ".join(cols)

    def _sort_column(self) -> str | None:
        for n, item in enumerate(self.items):
            if item.kind == "sort" and n + 1 < len(self.items):
                column = self.column(self.items[n + 1])
                if column:
                    self.items[n + 1].used = True
                    desc = any(i.kind == "desc" for i in self.items)
                    return _q(column, self.layer) + (" DESC" if desc else "")
        return None

    def _joins(self) -> tuple[str, bool]:
        """JOIN clauses reaching every table used, and whether they can repeat base rows."""
        base = self.base
        edges: list[tuple[str, str, str, str]] = []
        reached = {base}
        for table in sorted(self.tables - {base}):
            for step in self.layer.path(base, table):
                if step[2] not in reached:
                    edges.append(step)
                    reached.add(step[2])
        sql = ""
        fanout = False
        for frm, fcol, to, tcol in edges:
            sql += f" JOIN {_quote(to)} ON {_quote(to)}.{tcol} = {_quote(frm)}.{fcol}"
            if to == "trans" and frm == "account" and self._balance_only():
                # why: an account's balance is its current one, the balance after its latest
                # transaction; joining every transaction would rank past balances, each
                # account many times over.
                sql += (
                    " AND trans.trans_id = (SELECT latest.trans_id FROM trans AS latest"
                    " WHERE latest.account_id = account.account_id"
                    " ORDER BY latest.date DESC, latest.trans_id DESC LIMIT 1)"
                )
                self.applied.append(
                    "balance = the account's current balance (after its latest transaction)"
                )
                continue
            if tcol != self.layer.tables[to].key:
                fanout = True  # from a key to a foreign key: one base row, many joined rows
        if (
            "disp" in reached
            and {"client", "account"} <= reached
            and not self.any_disposition
            and not any("disp.type" in c for c in self.conditions)
        ):
            self.conditions.append("disp.type = 'OWNER'")
            if "card" not in reached and {t for t in reached} <= {
                "client",
                "disp",
                "account",
                "district",
                base,
            }:
                fanout = False
        return sql, fanout

    def _ranked_columns(self, measure: str | None, fanout: bool) -> str:
        """Columns of a ranked list ("the 10 largest loans", "which district has the highest
        salary"): the fields it names if any; else the record's name or key, and the figure
        it is ranked by unless the question asks only "which"."""
        if self.extra_columns or measure is None:
            return self._list_columns(measure, fanout)
        info = self.layer.tables[self.base]
        ident = [f"{self.base}.{c}" for c in info.ident or [info.name_column or info.key]]
        chosen = ident if self._asks_which_only() else [*ident, measure]
        self.applied.append(
            "shown: "
            + " and ".join(c.split(".")[1] for c in chosen)
            + " (the record and what it is ranked by)"
            if len(chosen) > 1
            else "shown: the record asked for"
        )
        return ", ".join(dict.fromkeys(_q(c) for c in chosen))

    def _fields_first(self) -> bool:
        """Whether the question names a field before the records it is about."""
        for item in self.items:
            if item.kind in ("meaning", "id"):
                kinds = {m.kind for m in item.meanings}
                return "column" in kinds and "table" not in kinds
        return False

    def _asks_which_only(self) -> bool:
        """A "which/what X has the most Y" question that asks for X alone."""
        words = re.findall(r"[a-z]+", self.question.lower())
        if not words or words[0] not in ("which", "what"):
            return False
        figure = {"many", "number", "count", "much", "figure", "and"}
        return not figure & set(words)

    def _balance_only(self) -> bool:
        """Whether transactions are read only for an account's balance."""
        if self.base == "trans" or any(_table_of(i) == "trans" for i in self.items):
            return False
        named = {c for c in (self.column(i) for i in self.items) if c and c.startswith("trans.")}
        in_conditions = any("trans." in c for c in self.conditions)
        return named == {"trans.balance"} and not in_conditions

    def _where(self) -> str:
        return f" WHERE {' AND '.join(self.conditions)}" if self.conditions else ""

    def _explanation(
        self, agg: str | None, measure: str | None, group: tuple[str, str] | None, topk: int | None
    ) -> str:
        what = {
            "count": "Counted",
            "sum": "Summed",
            "avg": "Averaged",
            "max": "Highest",
            "min": "Lowest",
            "max_date": "Latest",
            "min_date": "Earliest",
        }.get(agg or "", "Listed")
        parts = [f"{what} {self.base}" + (f" {measure}" if measure else "")]
        if self.explain:
            parts.append("where " + "; ".join(self.explain))
        if group:
            parts.append(f"per {group[1]}")
        if topk:
            parts.append(f"top {topk}")
        return ", ".join(parts)


def _column_of(item: Item, layer: SemanticLayer) -> str | None:
    if item.kind != "meaning":
        return None
    for meaning in item.meanings:
        if meaning.kind == "column":
            return meaning.qualified
    return None


def _q(column: str | None, layer: SemanticLayer | None = None) -> str:
    assert column is not None
    table, name = column.split(".")
    ref = f"{_quote(table)}.{name}"
    if layer is not None and layer.columns.get(column) and layer.columns[column].cast:
        return f"CAST({ref} AS INTEGER)"
    return ref


def _agg_sql(agg: str | None) -> str:
    return {"sum": "SUM", "avg": "AVG", "max": "MAX", "min": "MIN"}.get(agg or "", "COUNT")


def _alias(agg: str | None, measure: str | None) -> str:
    if agg in (None, "count") or measure is None:
        return "count"
    return f"{agg}_{measure.split('.')[1].lower()}"
