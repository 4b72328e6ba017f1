"""The offline engine's own words, as data: ``vocabulary.json``.

The semantic layer (``financial.json``) names the database's tables, columns and coded values;
the vocabulary holds the other words of a question, the ones that say what to do with them:

- ``keywords``: phrases, each group with the ``kind`` of item it reads as and, for some, a
  ``payload``: ``agg`` (count, sum, avg, min, max, min_date, max_date), ``cmp`` and
  ``datecmp`` (an operator), ``between``/``and``, ``in``, ``group``, ``year``, ``month``,
  ``topk``, ``sort``, ``desc``, ``neg``, ``when``, ``which``, ``list``, ``id_word``,
  ``anydisp`` (any disposition, not only the owner), and ``unsupported`` (questions the
  engine refuses: ratios, changes over time, two figures at once). ``rel``, ``with``,
  ``distinct`` and ``asc`` have no rule of their own: they are read so that they are not
  unknown words.
- ``months``: month names from January; the first three letters name a month too.
- ``ordinals``: for "the first half of 1993", "the last quarter of 1997".
- ``stopwords``: words no query needs.
- ``fillers``: verbs and fillers that carry no meaning a query needs in this domain ("clients
  living in Prague" = "clients in Prague"); multi-word phrases are matched before these.
- ``currencies``: currency names written before or after an amount; amounts are in the
  bank's one currency, so the reader drops them.
- ``rewrites``: ways bank staff phrase things, each a regular expression and its
  replacement with the words the reader knows ("fallen into debt" -> "in debt"), applied in
  order, with why.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from bankchat.nl.semantic import normalize_phrase

HERE = Path(__file__).resolve().parent
DEFAULT_VOCABULARY = HERE / "vocabulary.json"


def _keywords(groups: list[dict[str, Any]]) -> dict[str, tuple[str, Any]]:
    """Each phrase -> (kind, payload); a phrase listed twice takes its later meaning."""
    keywords: dict[str, tuple[str, Any]] = {}
    for group in groups:
        for phrase in group["phrases"]:
            keywords[normalize_phrase(phrase)] = (group["kind"], group.get("payload"))
    return keywords


def _months(names: list[str]) -> dict[str, int]:
    """Month names and their three-letter abbreviations -> month number."""
    months = {name: number for number, name in enumerate(names, start=1)}
    months.update({name[:3]: number for name, number in list(months.items())})
    return months


_DATA = json.loads(DEFAULT_VOCABULARY.read_text(encoding="utf-8"))

KEYWORDS = _keywords(_DATA["keywords"])
MONTHS = _months(_DATA["months"])
ORDINALS: dict[str, int] = dict(_DATA["ordinals"])
STOPWORDS = frozenset(_DATA["stopwords"])
FILLERS = frozenset(_DATA["fillers"])
NUMBER_WORDS: dict[str, int] = dict(_DATA["number_words"])
NUMBER_SCALES: dict[str, int] = dict(_DATA["number_scales"])
CURRENCIES_BEFORE: tuple[str, ...] = tuple(_DATA["currencies"]["before_number"])
CURRENCIES_AFTER: tuple[str, ...] = tuple(_DATA["currencies"]["after_number"])
REWRITES: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(r["pattern"]), r["replace"]) for r in _DATA["rewrites"]
)
