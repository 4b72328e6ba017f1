"""The offline engine's vocabulary: data in vocabulary.json, loaded as the reader reads words."""

from __future__ import annotations

import json

from bankchat.nl.semantic import normalize_phrase
from bankchat.nl.vocabulary import DEFAULT_VOCABULARY, KEYWORDS, MONTHS, STOPWORDS


def _data() -> dict:
    return json.loads(DEFAULT_VOCABULARY.read_text(encoding="utf-8"))


def test_every_keyword_phrase_is_written_as_the_reader_reads_it():
    phrases = [p for group in _data()["keywords"] for p in group["phrases"]]
    assert [p for p in phrases if normalize_phrase(p) != p] == []


def test_no_keyword_phrase_is_given_two_meanings():
    phrases = [p for group in _data()["keywords"] for p in group["phrases"]]
    assert len(phrases) == len(set(phrases)) == len(KEYWORDS)


def test_keywords_read_as_their_kind_and_payload():
    assert KEYWORDS["how many"] == ("agg", "count")
    assert KEYWORDS["at least"] == ("cmp", ">=")
    assert KEYWORDS["without"] == ("neg", None)


def test_a_month_is_named_in_full_or_by_its_first_three_letters():
    assert MONTHS["march"] == MONTHS["mar"] == 3
    assert MONTHS["may"] == 5
    assert len(MONTHS) == 23  # "may" is its own abbreviation


def test_stopwords_are_lower_case_single_words():
    assert all(w == w.lower() and " " not in w for w in STOPWORDS)
