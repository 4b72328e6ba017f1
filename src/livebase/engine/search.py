"""Full-text search: tokens, index entries, relevance and the ``q`` of ``with_search_index``.

A search index over a text field keeps, per document, its terms with their frequencies and its
length in tokens, and its filter fields' values as extra "terms" of frequency 0 (a byte 0x00,
the field name, 0x00, the value's index key: no text term starts with 0x00). Storage keeps the
entries, each term's document frequency and the index's document and token counts, and ranks
by BM25 itself; this module holds what every storage engine and the transaction share, so that
they all score and order alike.

Convex's semantics: the text is split into terms at every character that is not a letter or a
digit and lower-cased; terms longer than 32 bytes are left out; a query's terms match any
document holding one of them (the last term also as a prefix, for typeahead), ranked by
relevance; at most 1,024 results; filter fields are matched by equality.
"""

from __future__ import annotations

import math
import re
import struct
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, NamedTuple

from livebase.engine import values
from livebase.engine.errors import IndexRangeError, ValidationError
from livebase.engine.keys import encode_key, field_value, undefined

if TYPE_CHECKING:
    from livebase.engine.catalog import SearchIndexInfo

MAX_RESULTS = 1024
MAX_QUERY_TERMS = 16
MAX_FILTERS = 8
MAX_TERM_BYTES = 32
MAX_PREFIX_EXPANSIONS = 64
# BM25's constants, as Lucene and SQLite's FTS5 use them
K1 = 1.2
B = 0.75
# Scores are compared as integers of millionths so that every storage engine, whatever the
# order in which it sums a document's terms, ranks two equal documents alike.
SCORE_SCALE = 1_000_000

_TERM = re.compile(r"[^\W_]+")
_SORT = struct.Struct(">Q")
_SORT_TOP = (1 << 64) - 1


def tokenize(text: str) -> list[str]:
    """The terms of a text, in order: letters and digits, lower-cased, at most 32 bytes."""
    return [
        term for term in _TERM.findall(text.lower()) if len(term.encode("utf-8")) <= MAX_TERM_BYTES
    ]


def filter_term(field_name: str, value: Any) -> bytes:
    """The pseudo-term that stands for ``field == value`` in a search index's entries."""
    return b"\x00" + field_name.encode("utf-8") + b"\x00" + encode_key((value,))


@dataclass
class SearchEntry:
    """One document's entry in one search index."""

    index: int
    doc: bytes  # the document's ID key
    terms: dict[bytes, int]  # term -> frequency; filter pseudo-terms with frequency 0
    length: int  # tokens in the search field

    def text_terms(self) -> list[bytes]:
        return [term for term in self.terms if not term.startswith(b"\x00")]


def entry_of(index: SearchIndexInfo, doc: dict[str, Any], doc_key: bytes) -> SearchEntry:
    """A document's entry in a search index; a field that is not a string holds no terms."""
    text = field_value(doc, index.search_path)
    tokens = tokenize(text) if isinstance(text, str) else []
    terms: dict[bytes, int] = {
        term.encode("utf-8"): count for term, count in Counter(tokens).items()
    }
    for name, path in zip(index.filter_fields, index.filter_paths, strict=True):
        terms[filter_term(name, field_value(doc, path))] = 0
    return SearchEntry(index.id, doc_key, terms, len(tokens))


@dataclass(frozen=True)
class SearchQuery:
    """What a storage engine looks up: exact terms, a last term matched as a prefix too, and
    the filter pseudo-terms every result must hold."""

    terms: tuple[bytes, ...]
    filters: tuple[bytes, ...]
    limit: int = MAX_RESULTS

    @property
    def prefix(self) -> bytes | None:
        """The last term, which also matches as the start of a word; None for no terms."""
        return self.terms[-1] if self.terms else None


class SearchHit(NamedTuple):
    """A result from storage: the document's ID key, its score and its JSON text."""

    doc: bytes
    score: int
    text: str


@dataclass
class Weights:
    """The idf of each term a query matched, with the index's average length: enough to score
    a document the same way storage did (the transaction scores its own pending writes).

    A term the query names counts on its own; the words that only start with the query's last
    term count together, as their best match in the document (typing "hel" finds "hello" and
    "help" without a document holding both outranking one holding "hel" itself).
    """

    idf: dict[bytes, float] = field(default_factory=dict)
    exact: frozenset[bytes] = frozenset()
    documents: int = 0
    average_length: float = 1.0

    def score(self, entry: SearchEntry) -> int:
        matched = [t for t in sorted(self.idf) if t in entry.terms]
        parts = [(t in self.exact, entry.terms[t], self.idf[t]) for t in matched]
        return bm25(parts, entry.length, self.average_length)


def idf(documents: int, frequency: int) -> float:
    """BM25's inverse document frequency (Lucene's form, never negative)."""
    return math.log(1.0 + (documents - frequency + 0.5) / (frequency + 0.5))


def average_length(documents: int, tokens: int) -> float:
    return tokens / documents if documents and tokens else 1.0


def bm25(matches: Iterable[tuple[bool, int, float]], length: int, avg: float) -> int:
    """A document's score, in millionths, from (named by the query, frequency, idf) per
    matched term: each term's BM25 value; the values of the terms the query named summed,
    plus the best of the prefix-only ones. The same arithmetic as the SQL engines' ranking
    statement."""
    slope, base = K1 * B / avg, K1 * (1.0 - B)
    named, prefixed = 0.0, 0.0
    for is_named, tf, w in matches:
        value = w * tf * (K1 + 1.0) / (tf + slope * length + base)
        if is_named:
            named += value
        else:
            prefixed = max(prefixed, value)
    return round((named + prefixed) * SCORE_SCALE)


def weigh(
    frequencies: dict[bytes, int], exact: Iterable[bytes], documents: int, tokens: int
) -> Weights:
    """The weights of the terms a query matched, from their document frequencies, the terms
    the query named and the index's document and token counts (terms no document holds are
    left out)."""
    return Weights(
        {term: idf(documents, df) for term, df in frequencies.items() if df > 0},
        frozenset(exact),
        documents,
        average_length(documents, tokens),
    )


def prefix_end(prefix: bytes) -> bytes:
    """The first byte string above every one starting with ``prefix`` (UTF-8 text: no 0xFF)."""
    return prefix + b"\xff"


def sort_key(score: int, doc: bytes) -> bytes:
    """A key whose byte order is the results' order: higher scores first, then by ID key."""
    return _SORT.pack(_SORT_TOP - max(0, min(score, _SORT_TOP))) + doc


class SearchFilter:
    """The ``q`` handed to ``.with_search_index(name, lambda q: q.search(...).eq(...))``."""

    def __init__(self, index: SearchIndexInfo) -> None:
        self._index = index
        self.text: str | None = None
        self.filters: list[tuple[str, Any]] = []

    def search(self, field_name: str, text: str) -> SearchFilter:
        if self.text is not None:
            raise IndexRangeError("q.search() may be called once per search query")
        if self.filters:
            raise IndexRangeError("q.search() must come before q.eq() in a search query")
        if field_name != self._index.search_field:
            raise IndexRangeError(
                f"Search index {self._index.name!r} searches field "
                f"{self._index.search_field!r}, not {field_name!r}"
            )
        if not isinstance(text, str):
            raise ValidationError(f"q.search() takes a string, got {values.type_name(text)}")
        self.text = text
        return self

    def eq(self, field_name: str, value: Any) -> SearchFilter:
        if self.text is None:
            raise IndexRangeError("a search query starts with q.search(field, text)")
        if field_name not in self._index.filter_fields:
            known = ", ".join(self._index.filter_fields) or "none"
            raise IndexRangeError(
                f"Search index {self._index.name!r} cannot filter on {field_name!r} "
                f"(filter fields: {known})"
            )
        if len(self.filters) >= MAX_FILTERS:
            raise IndexRangeError(f"A search query has at most {MAX_FILTERS} q.eq() filters")
        value = undefined if value is undefined else values.normalize(value)
        self.filters.append((field_name, value))
        return self

    def query(self) -> SearchQuery:
        """The storage lookup; an empty search text matches nothing."""
        if self.text is None:
            raise IndexRangeError("a search query needs q.search(field, text)")
        words = tokenize(self.text)
        if len(words) > MAX_QUERY_TERMS:
            raise ValidationError(
                f"A search query has at most {MAX_QUERY_TERMS} terms, got {len(words)}"
            )
        terms = tuple(dict.fromkeys(w.encode("utf-8") for w in words))
        return SearchQuery(
            terms=terms, filters=tuple(filter_term(name, value) for name, value in self.filters)
        )


def highlight(text: str, query: str, width: int | None = None) -> dict[str, Any]:
    """Where a search query matches a text, for showing a result: ``{"text", "matches"}``,
    ``matches`` the ``[start, end)`` character spans of the words the query matches (its terms
    exactly, the last also as a prefix), as ``with_search_index`` matches them. With ``width``,
    ``text`` is cut to about that many characters around the first match (``…`` where cut)."""
    words = tokenize(query)
    exact, prefix = set(words), words[-1] if words else None
    spans = []
    for found in _TERM.finditer(text):
        word = found.group().lower()
        if len(word.encode("utf-8")) > MAX_TERM_BYTES:
            continue
        if word in exact or (prefix is not None and word.startswith(prefix)):
            spans.append([found.start(), found.end()])
    if width is None or len(text) <= width:
        return {"text": text, "matches": spans}
    first = spans[0][0] if spans else 0
    start = max(0, min(first - width // 4, len(text) - width))
    while 0 < start < len(text) and not text[start - 1].isspace():
        start += 1  # why: begin at a word
    end = min(len(text), start + width)
    while start < end < len(text) and not text[end].isspace():
        end -= 1
    if end <= start:
        end = min(len(text), start + width)
    before, after = ("…" if start > 0 else ""), ("…" if end < len(text) else "")
    shift = len(before) - start
    kept = [[s + shift, e + shift] for s, e in spans if s >= start and e <= end]
    return {"text": before + text[start:end] + after, "matches": kept}
