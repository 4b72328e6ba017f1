"""Reading a question: its words as a sequence of items the builder can place.

The question is cut into tokens (amounts as people write them: "1,000", "5k", "2 million
CZK"), then read left to right, the longest known phrase first: the semantic layer's names of
tables, columns and values, the vocabulary's keywords, dates ("March 1995", "the first half of
1993", "the 1990s"), numbers, and words that carry no meaning. A word none of these reads
becomes an ``unknown`` item, which the engine reports instead of guessing.
"""

from __future__ import annotations

import datetime as dt
import re

from bankchat.nl.base import Item, table_of
from bankchat.nl.semantic import SemanticLayer
from bankchat.nl.vocabulary import (
    CURRENCIES_AFTER,
    CURRENCIES_BEFORE,
    FILLERS,
    KEYWORDS,
    MONTHS,
    NUMBER_SCALES,
    NUMBER_WORDS,
    ORDINALS,
    REWRITES,
    STOPWORDS,
)

_NUMBER = re.compile(r"^-?\d+(?:\.\d+)?$")
_CURRENCY_BEFORE = re.compile(
    r"(?:[$€£]|\b(?:" + "|".join(map(re.escape, CURRENCIES_BEFORE)) + r")\b)\s*(?=\d)"
)
_CURRENCY_AFTER = re.compile(
    r"(?<=\d)(k|m|million)?\s*(?:" + "|".join(map(re.escape, CURRENCIES_AFTER)) + r")\b"
)


def _year_twice(m: re.Match[str]) -> str:
    """ "from 1 March to 31 May 1995" -> "from 1 March 1995 to 31 May 1995"; "between March
    and May 1997" -> from the first of March to the last day of May."""
    word, day1, month1, joint, day2, month2, year = m.groups()
    if not day1 and not day2:
        last = _last_day(int(year), MONTHS[month2])
        return f"{word} 1 {month1} {year} {joint} {last} {month2} {year}"
    return f"{word} {day1 or '1 '}{month1} {year} {joint} {day2 or ''}{month2} {year}"


def _last_day(year: int, month: int) -> int:
    following = dt.date(year + (month == 12), month % 12 + 1, 1)
    return (following - dt.timedelta(days=1)).day


def written_dates(text: str) -> str:
    """Dates in the forms people write them, as ISO dates the reader knows: 1995/7/14,
    11/30/1996 (month first, or day first when the first number cannot be a month),
    14.7.1995, July 14th 1995, 14th July 1995, '97, Q1 1997."""

    def iso(year: int, month: int, day: int) -> str:
        return f"{year:04d}-{month:02d}-{day:02d}" if 1 <= month <= 12 and 1 <= day <= 31 else ""

    def slashed(m: re.Match[str]) -> str:
        a, b, year = int(m.group(1)), int(m.group(2)), int(m.group(3))
        return iso(year, a, b) if a <= 12 else iso(year, b, a) or m.group(0)

    text = re.sub(
        r"\b(\d{4})/(\d{1,2})/(\d{1,2})\b",
        lambda m: iso(int(m.group(1)), int(m.group(2)), int(m.group(3))) or m.group(0),
        text,
    )
    text = re.sub(r"\b(\d{1,2})/(\d{1,2})/(\d{4})\b", slashed, text)
    text = re.sub(
        r"\b(\d{1,2})\.(\d{1,2})\.(\d{4})\b",
        lambda m: iso(int(m.group(3)), int(m.group(2)), int(m.group(1))) or m.group(0),
        text,
    )
    months = "|".join(sorted(MONTHS, key=len, reverse=True))
    # "from 1 March to 31 May 1995", "between March and May 1997": the year said once
    text = re.sub(
        rf"\b(from|between)\s+(\d{{1,2}}(?:st|nd|rd|th)?\s+(?:of\s+)?)?({months})\s+(to|and|until|through)"
        rf"\s+(\d{{1,2}}(?:st|nd|rd|th)?\s+(?:of\s+)?)?({months}),?\s+(\d{{4}})\b",
        _year_twice,
        text,
    )
    text = re.sub(
        rf"\b({months})\.?\s+(\d{{1,2}})(?:st|nd|rd|th)?,?\s+(\d{{4}})\b",
        lambda m: iso(int(m.group(3)), MONTHS[m.group(1)], int(m.group(2))) or m.group(0),
        text,
    )
    text = re.sub(
        rf"\b(\d{{1,2}})(?:st|nd|rd|th)?\s+(?:of\s+)?({months})\.?,?\s+(\d{{4}})\b",
        lambda m: iso(int(m.group(3)), MONTHS[m.group(2)], int(m.group(1))) or m.group(0),
        text,
    )
    text = re.sub(r"(?<![\w'])'(\d{2})\b", r"19\1", text)
    quarters = {"1": "first", "2": "second", "3": "third", "4": "fourth"}
    return re.sub(
        r"\bq([1-4])(?:\s+of)?\s+(\d{4})\b",
        lambda m: f"the {quarters[m.group(1)]} quarter of {m.group(2)}",
        text,
    )


def number_words(text: str) -> str:
    """ "ten thousand" -> 10000, "five" -> 5, "two million" -> 2000000 (not "one": it is
    also a pronoun)."""
    words = "|".join(sorted(NUMBER_WORDS, key=len, reverse=True))
    scales = "|".join(NUMBER_SCALES)
    # "twenty-four", "thirty six": the tens and the units, one number
    tens = "|".join(w for w, n in NUMBER_WORDS.items() if n % 10 == 0 and 20 <= n <= 90)
    units = "|".join(w for w, n in NUMBER_WORDS.items() if 1 <= n <= 9) + "|one"
    text = re.sub(
        rf"\b({tens})[- ]({units})\b",
        lambda m: str(NUMBER_WORDS[m.group(1)] + NUMBER_WORDS.get(m.group(2), 1)),
        text,
    )
    scaled = None
    while scaled != text:  # (twice for "a hundred thousand": 100, then 100000)
        scaled = text
        text = re.sub(
            rf"\b(\d+|{words}|a|one)\s+({scales})\b",
            lambda m: str(
                (int(m.group(1)) if m.group(1).isdigit() else NUMBER_WORDS.get(m.group(1), 1))
                * NUMBER_SCALES[m.group(2)]
            ),
            text,
        )
    return re.sub(rf"\b({words})\b", lambda m: str(NUMBER_WORDS[m.group(1)]), text)


_CASH_APART = re.compile(
    r"\bcash\b((?:\s+(?!cash\b)[\w']+){0,4}?)\s+(withdrawn|withdrew|withdraw|deposited|"
    r"deposit)\b(?!\s+in\s+cash)"
)

# "withdrawn with a credit card", "paid using their card": one way of saying "by card"
_BY_CARD = re.compile(
    r"\b(withdrawn|withdrew|withdraw|withdrawals?|paid|payments?)\s+(?:by|with|using)\s+"
    r"(?:an?\s+|the\s+|their\s+|his\s+|her\s+)?(?:credit\s+|debit\s+|bank\s+)?cards?\b"
)

# a loan's term in years ("two-year loans", "loans that run for five years") is its duration
# in months, the unit the bank records
_LOAN_YEARS = re.compile(r"\b(\d+)[\s-]+years?(?=\s+loans?\b)")
# "a term of more than three years", "a duration of at least 2 years": loans run in months
_TERM_YEARS = re.compile(
    r"\b((?:term|duration|length)\s+of\s+(?:(?:more|less|fewer)\s+than\s+|over\s+|under\s+|"
    r"at\s+(?:least|most)\s+|exactly\s+|up\s+to\s+)?)(\d+)\s+years?\b"
)
# "loans of four years or longer", "loans longer than three years": their duration in months
_LONGER = {
    "longer": "at least",
    "more": "at least",
    "shorter": "at most",
    "less": "at most",
    "longer than": "more than",
    "shorter than": "less than",
}
_YEARS_OR_LONGER = re.compile(
    r"\b(loans?|terms?)\s+of\s+(\d+)\s+years?\s+or\s+(longer|more|shorter|less)\b"
)
_LONGER_THAN = re.compile(
    r"(?<=loans )(?:(?:that|which)\s+(?:are|were|run|ran)\s+)?(longer than|shorter than)\s+"
    r"(\d+)\s+years?\b"
)
_RUNS_YEARS = re.compile(
    r"\b(?:that\s+|which\s+)?(?:runs?|running|lasts?|lasting|repaid)\s+(?:for\s+|over\s+)?"
    r"(\d+)\s+(years?|months?)\b"
)


# "largest amount first" orders by the amount; it is no top-1 "largest amount"
_FIELD_FIRST = re.compile(
    r"\b(largest|highest|biggest|smallest|lowest)\s+(?!number\b|count\b|total\b|average\b)"
    r"([a-z]+)\s+first\b"
)


def _field_first(found: re.Match[str]) -> str:
    descending = found.group(1) in ("largest", "highest", "biggest")
    return f"sorted by {found.group(2)}" + (" descending" if descending else "")


# "born in 1975 or later", "opened on or before 1994-03-01": a bound that takes in the
# year or day itself
_OR_LATER = re.compile(
    r"\b(?:in\s+|on\s+)?(\d{4}(?:-\d{2}-\d{2})?)\s+or\s+(later|after|earlier|before)\b"
)
_ON_OR = re.compile(r"\b(?:in|on)\s+or\s+(after|before)\s+(\d{4}(?:-\d{2}-\d{2})?)\b")
# "before (by) the end of 1997" takes 1997 in; "after the start of 1996" too
_YEAR_EDGE = re.compile(
    r"\b(before|by)\s+the\s+end\s+of\s+(\d{4})\b|\b(after)\s+the\s+(?:start|beginning)\s+of\s+(\d{4})\b"
)


def _inclusive(when: str, direction: str) -> str:
    if direction in ("later", "after"):
        return f"since {when}"
    if len(when) == 4:
        return f"before {int(when) + 1}"
    return f"before {dt.date.fromisoformat(when) + dt.timedelta(days=1)}"


def _inclusive_bounds(text: str) -> str:
    text = _YEAR_EDGE.sub(
        lambda m: (
            _inclusive(m.group(2), "earlier") if m.group(1) else _inclusive(m.group(4), "later")
        ),
        text,
    )
    text = _OR_LATER.sub(lambda m: _inclusive(m.group(1), m.group(2)), text)
    return _ON_OR.sub(lambda m: _inclusive(m.group(2), m.group(1)), text)


def _loan_terms(text: str) -> str:
    text = _LOAN_YEARS.sub(lambda m: f"{int(m.group(1)) * 12} month", text)
    text = _TERM_YEARS.sub(lambda m: f"{m.group(1)}{int(m.group(2)) * 12} months", text)
    text = _YEARS_OR_LONGER.sub(
        lambda m: f"{m.group(1)} a duration of {_LONGER[m.group(3)]} {int(m.group(2)) * 12} months",
        text,
    )
    text = _LONGER_THAN.sub(
        lambda m: f"with a duration of {_LONGER[m.group(1)]} {int(m.group(2)) * 12} months", text
    )
    return _RUNS_YEARS.sub(
        lambda m: (
            "of " + str(int(m.group(1)) * (12 if m.group(2).startswith("year") else 1)) + " months"
        ),
        text,
    )


_FIELD_VERBS = ("give", "show", "list", "tell", "show me", "give me")
_RESTATED = {
    "and total": "sum",
    "and the total": "sum",
    "and average": "avg",
    "and the average": "avg",
}


def names_a_field(items: list[Item]) -> bool:
    """Whether the first word of ``items`` that is not filler names a field."""
    following = next((i for i in items if i.kind != "stop"), None)
    return following is not None and any(m.kind == "column" for m in following.meanings)


def _restated_figures(items: list[Item]) -> list[Item]:
    """ "... Give the duration and the average payment": after the list of fields asked for,
    "and the average" names the figure the question already asked, not a second one."""
    out: list[Item] = []
    listing = restated = False
    for n, item in enumerate(items):
        listing = listing or (item.kind == "list" and item.text in _FIELD_VERBS and bool(out))
        # "..., with the district name and the total loan amount": fields asked for too
        listing = listing or (item.text == "with" and names_a_field(items[n + 1 :]))
        asked = any(i.kind == "agg" for i in out)  # only a figure asked before is restated
        if listing and asked and item.kind == "unsupported" and item.text in _RESTATED:
            out += [Item("and", "and"), Item("agg", item.text[4:], payload=_RESTATED[item.text])]
            restated = True
            continue
        if restated and item.kind == "meaning" and {m.kind for m in item.meanings} == {"table"}:
            # "the average payment": the figure's own noun, not the transactions table
            item = Item("stop", item.text)
        restated = False
        out.append(item)
    return out


def _tokens(question: str) -> list[str]:
    text = question.lower().replace("\u2019", "'")
    text = written_dates(text)
    text = number_words(text)
    text = re.sub(
        r"\bat least (?:one|1)\b(?![,.]?\d)", "a", text
    )  # "with at least one card": a card
    text = _loan_terms(text)
    text = _FIELD_FIRST.sub(_field_first, text)
    text = _inclusive_bounds(text)
    for pattern, replacement in REWRITES:  # how staff phrase things (vocabulary.json)
        text = pattern.sub(replacement, text)
    text = _inclusive_bounds(text)  # (a rewrite can say "on or before" too)
    text = re.sub(r"\s-\s", " ", text)
    # why: "how much cash in total was withdrawn": the cash says how the money moved; read it
    # with the verb it belongs to ("withdrawn in cash"), not as a word of its own
    text = _CASH_APART.sub(r"\1 \2 in cash", text)
    text = _BY_CARD.sub(r"\1 by card", text)
    text = re.sub(r"(\d),(\d{3})", r"\1\2", text)
    text = re.sub(r"(\d),(\d{3})", r"\1\2", text)
    # why: amounts are in the bank's one currency; a sign or unit beside a number adds nothing
    text = _CURRENCY_BEFORE.sub("", text)
    text = _CURRENCY_AFTER.sub(r"\1", text)
    text = re.sub(r"(\d+(?:\.\d+)?)\s*k\b", lambda m: str(int(float(m.group(1)) * 1000)), text)
    text = re.sub(
        r"(\d+(?:\.\d+)?)\s*(million|mil|m)\b",
        lambda m: str(int(float(m.group(1)) * 1_000_000)),
        text,
    )
    text = re.sub(r"(\d{4})s\b", r"\1 decade", text)
    text = re.sub('["\u201c\u201d\u2018]', " ", text)
    # a single quote that opens or closes a quotation, not one inside a word ("client's")
    text = re.sub(r"(?:(?<=\s)|^)'|'(?=[\s?!.,;:)]|$)", " ", text)
    text = re.sub(r"([?!,;:()])", " ", text)
    text = re.sub(r"(?<=[a-z])'s\b", "", text)
    text = re.sub(r"\.(?=\s|$)", " ", text)
    text = re.sub(r"(?<=[a-z])-(?=[a-z])", " ", text)
    text = re.sub(r"(?<=\d)-(?=[a-z])", " ", text)
    text = re.sub(r"(\d)\s*%", r"\1", text)
    return [t for t in text.split() if t]


class Reader:
    """Reads questions into items over one semantic layer and the vocabulary."""

    def __init__(self, layer: SemanticLayer) -> None:
        self.layer = layer
        self._max_words = max(self.layer.max_phrase_words, 6)

    def read(self, question: str) -> list[Item]:
        """The question's phrases, in order, each read as one item."""
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
        return _restated_figures(self._combine(items))

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
            if keyword and not self._name_follows(tokens, i, width, keyword[0]):
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
        # a plural of a one-word name or keyword ("totals", "averages", "counts")
        single = _singular(token)
        meanings = self.layer.lexicon.get(single) if single else None
        keyword = KEYWORDS.get(single) if single else None
        if meanings and not keyword:
            return Item("meaning", token, list(meanings)), 1
        if keyword:
            return Item(keyword[0], token, payload=keyword[1]), 1
        return None

    def _name_follows(self, tokens: list[str], i: int, width: int, kind: str) -> bool:
        """Whether an ``and ...`` phrase the engine refuses ("and average": two figures)
        opens a longer name instead ("the name and average salary": a column)."""
        if kind != "unsupported" or tokens[i] != "and":
            return False
        start = i + 1 + (tokens[i + 1] == "the")
        for end in range(min(len(tokens), start + self._max_words), i + width, -1):
            phrase = " ".join(tokens[start:end])
            if self.layer.lexicon.get(phrase) or self.layer.lexicon.get(_singular(phrase)):
                return True
        return False

    def _combine(self, items: list[Item]) -> list[Item]:
        """Join ``<table id phrase> <number>`` into id references."""
        out: list[Item] = []
        for item in items:
            prev = out[-1] if out else None
            # ("client 2000": an id, though it reads like a year, after one record's name)
            numbered = item.kind == "number" or (
                item.kind == "yearnum" and prev is not None and not prev.text.endswith("s")
            )
            if numbered and prev is not None:
                table = table_of(prev)
                if table and prev.kind in ("meaning", "id_word"):
                    if prev.kind == "id_word" and len(out) > 1:
                        table = table_of(out[-2])
                        if table:
                            out.pop()
                    if table:
                        out[-1] = Item(
                            "id", f"{table} {item.payload}", payload=(table, item.payload)
                        )
                        continue
            out.append(item)
        return out


def _singular(phrase: str) -> str:
    """A plural phrase's last word made singular ("birth dates" -> "birth date"), or ""."""
    if len(phrase) > 4 and phrase.endswith("s") and not phrase.endswith("ss"):
        return phrase[:-1]
    return ""


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
        or words[0] not in ORDINALS
        or words[1] not in ("half", "quarter")
        or words[2] != "of"
        or not re.match(r"^(19|20)\d\d$", words[3])
    ):
        return None
    year, n = int(words[3]), ORDINALS[words[0]]
    months = 6 if words[1] == "half" else 3
    if n * months > 12:
        return None
    first = (n - 1) * months + 1
    return Item(
        "date", " ".join(tokens[i : i + 4 + skip]), payload=("months", year, first, months)
    ), 4 + skip
