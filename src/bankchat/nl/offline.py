"""The offline engine: plain-language questions to SQL with no model and no network.

A deterministic parser over the semantic layer. It reads the question as a sequence of known
phrases (tables, columns, coded values, regions and districts, numbers, dates, and keywords for
counting, totals, averages, extremes, top-k, grouping, comparisons and date ranges), then builds
one SELECT with the joins the semantic layer's graph gives. Every content word must be
understood: when one is not, the engine says which instead of guessing.

The engine is made of small modules: ``vocabulary`` (its words, from ``vocabulary.json``),
``reader`` (a question to items), ``builder`` (items to one SELECT, with ``query``,
``filters`` and ``assembly``), ``gate`` (the structural confidence check) and ``renderer``
(what was read, in words); ``base`` holds the shared types.
"""

from __future__ import annotations

import re
from typing import Any

import sqlglot
from sqlglot import exp

from bankchat.nl.base import Item, NotUnderstood, Translation, quote
from bankchat.nl.builder import Builder
from bankchat.nl.gate import check_confidence, conjuncts, from_table
from bankchat.nl.reader import Reader, written_dates
from bankchat.nl.renderer import reading
from bankchat.nl.semantic import SemanticLayer, load_layer
from bankchat.nl.vocabulary import STOPWORDS

__all__ = ["Item", "NotUnderstood", "OfflineEngine", "Translation"]


class OfflineEngine:
    """Translate questions into SQLite SQL over the semantic layer."""

    name = "offline"

    def __init__(self, layer: SemanticLayer | None = None) -> None:
        self.layer = layer or load_layer()
        self.reader = Reader(self.layer)

    def _figures(
        self, questions: list[str], hidden: frozenset[tuple[str, str]], kind: type, refusal: str
    ) -> list[Translation]:
        """Each of ``questions`` written (and gated) as its own question, each one ungrouped
        figure of ``kind``; else NotUnderstood(``refusal``)."""
        parts = [self.translate(question, hidden) for question in questions]
        if not all(_one_figure(part, kind) for part in parts):
            raise NotUnderstood(refusal)
        return parts

    def _share(
        self, question: str, whole: str, part: str, hidden: frozenset[tuple[str, str]]
    ) -> Translation:
        """A percentage: the records that also meet the question's condition, over all of
        them, each count written (and gated) as its own "how many" question."""
        base, subset = self._figures(
            [f"how many {whole}", f"how many {whole} {part}"],
            hidden,
            exp.Count,
            "I could read the two counts of this percentage only as something else; ask for "
            "the two counts, or write the SQL",
        )
        if not _implied(_conditions(base.sql), _conditions(subset.sql)):
            # the part must be the whole with more conditions, never a different whole
            raise NotUnderstood(
                "I could not read the part of this percentage as the whole with one more "
                "condition; ask for the two counts, or write the SQL"
            )
        sql = f"SELECT 100.0 * ({subset.sql}) / ({base.sql}) AS percent"
        return Translation(
            sql,
            f"Percentage: {subset.explanation}, out of {base.explanation}",
            notes=[
                *base.notes,
                f"percentage = 100 x (how many {whole} {part}) / (how many {whole})",
            ],
            words=[*subset.words],
            filler=[*subset.filler],
        )

    def _share_per_group(
        self,
        group: str,
        whole: str,
        part: str,
        highest_first: bool,
        hidden: frozenset[tuple[str, str]],
    ) -> Translation:
        """ "For each region, what percentage of the clients who live there are women?": the
        two counts per group, each written (and gated) as its own question, the part over the
        whole in each group (0 where the part has none)."""
        asked = [f"how many {whole} for each {group}", f"how many {whole} {part} for each {group}"]
        base, subset = (self.translate(question, hidden) for question in asked)
        trees = [sqlglot.parse_one(t.sql, read="sqlite") for t in (base, subset)]
        keys = [_group_key(tree) for tree in trees]
        if keys[0] is None or keys[0] != keys[1] or base.alternatives or subset.alternatives:
            raise NotUnderstood(
                "I could read the two counts of this percentage only as something else; ask "
                "for the counts per group, or write the SQL"
            )
        if not _implied(_conditions(base.sql), _conditions(subset.sql)):
            raise NotUnderstood(
                "I could not read the part of this percentage as the whole with one more "
                "condition; ask for the counts per group, or write the SQL"
            )
        key = keys[0]
        order = "percent DESC, " if highest_first else ""
        sql = (
            f"SELECT whole.{key}, 100.0 * COALESCE(part.count, 0) / whole.count AS percent "
            f"FROM ({base.sql}) AS whole LEFT JOIN ({subset.sql}) AS part "
            f"ON part.{key} = whole.{key} ORDER BY {order}whole.{key}"
        )
        return Translation(
            sql,
            f"Percentage per {group}: {subset.explanation}, out of {base.explanation}",
            notes=[
                *base.notes,
                f"percentage = 100 x (how many {whole} {part}) / (how many {whole}), for each "
                f"{group}",
            ],
            words=[*subset.words],
            filler=[*subset.filler],
        )

    def _aged(
        self, question: str, age: re.Match[str], hidden: frozenset[tuple[str, str]]
    ) -> Translation:
        """ "Women aged 60 or older on 1998/1/1": the question without the age, then the
        age condition on the clients' birth dates (full years at that date, or at the date
        a loan was approved / an account opened / a card issued)."""
        rest = (question[: age.start()] + " " + question[age.end() :]).strip()
        base = self.translate(rest, hidden)
        tree = sqlglot.parse_one(base.sql, read="sqlite")
        # (only the outer query's own tables: a figure built of sub-queries is refused)
        tables = {t.alias_or_name for t in tree.find_all(exp.Table) if t.parent_select is tree}
        at = age.group("date")
        if at:
            moment = f"'{at}'"
        else:
            table, column = _EVENT_DATES[age.group("event").lower()]
            if table not in tables:
                raise NotUnderstood(
                    f"I could not tell which {table} date the age is taken at; write the SQL"
                )
            moment = f"{table}.{column}"
        if "client" not in tables or not isinstance(tree, exp.Select) or base.alternatives:
            raise NotUnderstood(
                "The question gives an age, but I would not read any client's birth date; "
                "rephrase it, or write the SQL"
            )
        years = (
            f"(CAST(strftime('%Y', {moment}) AS INTEGER) - CAST(strftime('%Y', "
            f"client.birth_date) AS INTEGER) - (strftime('%m-%d', {moment}) < "
            f"strftime('%m-%d', client.birth_date)))"
        )
        op, number = _age_condition(age)
        condition = sqlglot.parse_one(f"{years} {op} {number}", read="sqlite")
        sql = tree.where(condition).sql(dialect="sqlite")
        check_confidence(self.read(rest), sql, layer=self.layer, question=rest)
        said = age.group(0).strip()
        return Translation(
            sql,
            f"{base.explanation}, {said}",
            notes=[*base.notes, f"age = full years at {moment.strip(chr(39))}: {said}"],
            words=[*base.words, (said, "an age condition on client.birth_date")],
            filler=base.filler,
        )

    def _ratio(self, found: re.Match[str], hidden: frozenset[tuple[str, str]]) -> Translation:
        """ "What is the ratio of male clients to female clients?": two counts, each written
        (and gated) as its own "how many" question, the first over the second."""
        lead = found.group("lead") or ""
        lead = f" {lead[:1].lower()}{lead[1:]}" if lead else ""
        asked = [f"how many {found.group(side)}{lead}" for side in ("a", "b")]
        parts = self._figures(
            asked,
            hidden,
            exp.Count,
            "I could read the two counts of this ratio only as something else; ask for the two "
            "counts, or write the SQL",
        )
        first, second = (_conditions(part.sql) for part in parts)
        # why: of records of one kind, each side differing from the other by as much ("male
        # to female clients"), it is clear what each counts; in "loans to accounts in Kolin"
        # or "weekly to monthly accounts opened in 1996" the place or the year may be said
        # of both sides, or of one
        tables = {from_table(sqlglot.parse_one(part.sql, read="sqlite")) for part in parts}
        if len(tables) > 1 or len(first - second) != len(second - first):
            raise NotUnderstood(
                'I can answer a ratio of two kinds of the same records ("male clients to '
                'female clients"); ask for the two counts, or write the SQL'
            )
        return Translation(
            f"SELECT 1.0 * ({parts[0].sql}) / ({parts[1].sql}) AS ratio",
            f"Ratio: ({asked[0]}) / ({asked[1]})",
            notes=[*parts[0].notes, f"ratio = ({asked[0]}) / ({asked[1]})"],
            words=[*parts[0].words, *parts[1].words],
            filler=[*parts[0].filler],
        )

    def _divided(self, found: re.Match[str], hidden: frozenset[tuple[str, str]]) -> Translation:
        """ "What is the total amount of loans approved in 1997 divided by the total approved
        in 1996?": each figure written (and gated) as its own question, the first over the
        second; a second figure said without its records has the first one's."""
        lead = found.group("lead") or ""
        first = found.group("a").strip()
        second = _LEAD_FIGURE.sub("", found.group("b").strip())
        if not re.search(r"\b(?:of|for|among)\b", second):
            # "the total approved in 1996": the first figure's records, said again
            head = re.match(r"^(.*?\b(?:of|for)\s+\S+(?:\s+\S+)?)\s", first)
            words = second.split()
            if head is None or not words:
                raise NotUnderstood(
                    "I could not tell what the second figure of this ratio counts; ask for each "
                    "figure, or write the SQL"
                )
            second = f"{head.group(1)} {second}"
        asked = [f"{lead}what is {first}".strip(), f"{lead}what is the {second}".strip()]
        asked[1] = re.sub(r"\bthe the\b", "the", asked[1])
        parts = self._figures(
            asked,
            hidden,
            exp.AggFunc,
            "I could read the two figures of this ratio only as something else; ask for each "
            "figure, or write the SQL",
        )
        return Translation(
            f"SELECT 1.0 * ({parts[0].sql}) / ({parts[1].sql}) AS ratio",
            f"Ratio: ({asked[0]}) / ({asked[1]})",
            notes=[*parts[0].notes, f"ratio = ({asked[0]}) / ({asked[1]})"],
            words=[*parts[0].words, *parts[1].words],
            filler=[*parts[0].filler],
        )

    def _growth(self, found: re.Match[str], hidden: frozenset[tuple[str, str]]) -> Translation:
        """ "By what percentage did the number of loans ... grow from 1996 to 1997?": each
        year's figure as its own question (and gate), then the change over the first."""
        what, first, then = found.group("what"), found.group("y1"), found.group("y2")
        parts = self._figures(
            [f"{what} in {year}" for year in (first, then)],
            hidden,
            exp.AggFunc,
            "I could read the two figures of this growth only as something else; ask for each "
            "year's figure, or write the SQL",
        )
        sql = (
            f"SELECT 100.0 * (({parts[1].sql}) - ({parts[0].sql})) / ({parts[0].sql}) "
            "AS percent_change"
        )
        return Translation(
            sql,
            f"Change in percent from {first} to {then}: {parts[0].explanation}",
            notes=[
                *parts[0].notes,
                f"change = 100 x ({what} in {then} - the same in {first}) / the same in {first}",
            ],
            words=[*parts[0].words],
            filler=[*parts[0].filler],
        )

    def _difference(
        self, first: str, second: str, hidden: frozenset[tuple[str, str]]
    ) -> Translation:
        """ "How many more A than B ...": each figure written (and gated) as its own question,
        the second subtracted from the first."""
        parts = self._figures(
            [first, second],
            hidden,
            exp.AggFunc,
            "I could read the two figures of this difference only as something else; ask for "
            "each figure, or write the SQL",
        )
        sql = f"SELECT ({parts[0].sql}) - ({parts[1].sql}) AS difference"
        return Translation(
            sql,
            f"Difference: ({first}) - ({second})",
            notes=[*parts[0].notes, f"difference = ({first}) - ({second})"],
            words=[*parts[0].words, *parts[1].words],
            filler=[*parts[0].filler],
        )

    def _nested(self, found: re.Match[str], hidden: frozenset[tuple[str, str]]) -> Translation:
        """ "In the region with the second-lowest average salary, how many loans are still
        running?": the place is found by its own question ("which region has the lowest
        average salary", then the rank), and the rest is asked of that place."""
        entity = found.group("entity").lower()
        verb = found.group("verb") or "has"
        what, post = found.group("what"), found.group("post")
        clause = _CLAUSE_VERB.search(what)
        if clause is not None:
            # "accounts at branches in the district with the most entrepreneurs ... have a
            # household payment order": the verb and what follows are the rest of the question
            what, post = what[: clause.start()], what[clause.start() :] + post
        inner_question = f"which {entity} {verb} the {found.group('sup')} {what}"
        inner = self.translate(inner_question, hidden)
        tree = sqlglot.parse_one(inner.sql, read="sqlite")
        limit = tree.args.get("limit") if isinstance(tree, exp.Select) else None
        if limit is None or inner.alternatives or not inner.sql.endswith(" LIMIT 1"):
            raise NotUnderstood(
                f"I could not find the {entity} with the {found.group('sup')} "
                f"{what} by itself; ask for it first, or write the SQL"
            )
        rank = _RANKS.get((found.group("rank") or "").lower(), 1)
        first = tree.expressions[0].alias_or_name
        picked = f"SELECT ranked.{first} FROM ({inner.sql}"
        picked = picked.removesuffix(" LIMIT 1") + f" LIMIT 1 OFFSET {rank - 1}) AS ranked"
        placeholder = _PLACEHOLDERS[entity]
        outer_question = (
            f"{found.group('pre')}{found.group('prep')} the {placeholder} {entity}{post}"
        )
        outer = self.translate(outer_question, hidden)
        literal = f"'{placeholder}'"
        if outer.sql.count(literal) != 1 or outer.alternatives:
            raise NotUnderstood(
                f"I could not use the {entity} found this way in the rest of the question; ask "
                "in two steps, or write the SQL"
            )
        sql = outer.sql.replace(literal, f"({picked})")
        ordinal = found.group("rank") or "the"
        note = (
            f"the {entity} = the one with the {ordinal} {found.group('sup')} {what} (its own "
            "query, inside this one)"
        )
        return Translation(
            sql,
            f"{outer.explanation}, in the {entity} with the {found.group('sup')} {what}",
            notes=[*outer.notes, note],
            words=[*inner.words, *(w for w in outer.words if w[0] != placeholder.lower())],
            filler=[*outer.filler],
        )

    def _count_and_figure(
        self, found: re.Match[str], hidden: frozenset[tuple[str, str]]
    ) -> Translation:
        """ "How many loans were approved at branches in Kolin, and what is their total
        amount?": the count written (and gated) as its own question, then the total or the
        average of one field over the same records, each record once."""
        post = (found.group("post") or "").lstrip(",")
        asked = f"{found.group('lead')}how many {found.group('rest')}{post}".strip()
        counted = self.translate(asked, hidden)
        tree = sqlglot.parse_one(counted.sql, read="sqlite")
        if not _one_figure(counted, exp.Count) or not isinstance(tree, exp.Select):
            raise NotUnderstood(
                "I could read the count of this question only as something else; ask for each "
                "figure on its own, or write the SQL"
            )
        base = from_table(tree)
        column = self._field_of(base, found.group("what"))
        if base is None or column is None:
            raise NotUnderstood(
                f"I could not tell which field of the records counted {found.group('what')!r} "
                "is; ask for each figure on its own, or write the SQL"
            )
        key = self.layer.tables[base].key
        agg = "AVG" if found.group("agg").lower() in ("average", "mean") else "SUM"
        name = f"{'average' if agg == 'AVG' else 'total'}_{column}"
        counting = tree.expressions[0].unalias()
        if isinstance(counting.this, exp.Star):
            # each record is one row: both figures over the same rows
            sql = tree.select(f"{agg}({quote(base)}.{column}) AS {name}", append=True).sql(
                dialect="sqlite"
            )
        else:
            # a join repeats records: each once, then the figures
            rows = tree.copy()
            rows.set(
                "expressions",
                [
                    sqlglot.parse_one(f"{quote(base)}.{key}", read="sqlite"),
                    sqlglot.parse_one(f"{quote(base)}.{column}", read="sqlite"),
                ],
            )
            rows.set("distinct", exp.Distinct())
            sql = (
                f"SELECT COUNT(*) AS count, {agg}(records.{column}) AS {name} FROM "
                f"({rows.sql(dialect='sqlite')}) AS records"
            )
        said = f"{found.group('agg')} {found.group('what')}"
        return Translation(
            sql,
            f"{counted.explanation}, with their {said}",
            notes=[
                *counted.notes,
                f"two figures over the same {base} records, each once: "
                f"how many, and their {said} ({agg}({base}.{column}))",
            ],
            words=[*counted.words, (said, f"{agg} of {base}.{column}")],
            filler=counted.filler,
        )

    def _field_of(self, table: str | None, words: str) -> str | None:
        """The column of ``table`` a phrase names ("amount", "loan amount", "approved
        amount", "monthly payment"), trying it without its first words too."""
        if table is None:
            return None
        parts = words.lower().split()
        for start in range(len(parts)):
            for meaning in self.layer.lexicon.get(" ".join(parts[start:]), []):
                if meaning.kind == "column" and meaning.table in (table, "*"):
                    info = self.layer.columns.get(f"{table}.{meaning.column}")
                    if info is not None and info.type == "number":
                        return meaning.column
        return None

    def _age_figure(
        self,
        question: str,
        found: re.Match[str],
        event: str | None,
        hidden: frozenset[tuple[str, str]],
    ) -> Translation:
        """ "Average age of gold card holders on 1998-12-31", "How old was the owner of
        account 5270 when the account was opened?": the question asked of the birth dates,
        then the age in full years at that date (or at the loan's, account's or card's own
        date) in their place, averaged over the rows when an average is asked."""
        lead = re.sub(
            r"(?:what(?:'s|\s+is|\s+was|\s+are|\s+were)\s+)?(?:the\s+)?\s*$",
            "",
            question[: found.start()],
            flags=re.IGNORECASE,
        )
        tail = question[found.end() :].strip()
        at = found.group("date")
        later = None if at else _AGE_AT.search(tail)
        if later is not None:  # "the average age of gold card holders on 1998-12-31"
            at, tail = later.group(1), (tail[: later.start()] + tail[later.end() :]).strip()
        tail = tail if re.match(r"of\b", tail, re.IGNORECASE) else f"of {tail}"
        rest = re.sub(r"\s+", " ", f"{lead} list the birth dates {tail}").strip()
        base = self.translate(rest, hidden)
        tree = sqlglot.parse_one(base.sql, read="sqlite")
        if (
            not isinstance(tree, exp.Select)
            or base.alternatives
            or tree.args.get("group")
            or tree.args.get("limit")
            or not any(
                isinstance(c, exp.Column) and c.sql() == "client.birth_date"
                for c in tree.expressions
            )
        ):
            raise NotUnderstood(
                "The question asks for an age, but I could not read whose; ask for their birth "
                "dates, or write the SQL"
            )
        tables = {t.alias_or_name for t in tree.find_all(exp.Table) if t.parent_select is tree}
        event = _AT_EVENT[found.group("at").lower()] if found.group("at") else event
        if at:
            moment = f"'{at}'"
        elif event is None:
            raise NotUnderstood(
                'The question asks for an age but not at which date; say one ("on 1 January '
                '1998", "when the loan was approved"), or write the SQL'
            )
        else:
            table, column = _EVENT_DATES[event]
            if table not in tables:
                raise NotUnderstood(
                    f"I could not tell which {table} date the age is taken at; write the SQL"
                )
            moment = f"{table}.{column}"
        years = (
            f"(CAST(strftime('%Y', {moment}) AS INTEGER) - CAST(strftime('%Y', "
            f"client.birth_date) AS INTEGER) - (strftime('%m-%d', {moment}) < "
            f"strftime('%m-%d', client.birth_date)))"
        )
        averaged = bool(found.group("avg"))
        figure = f"AVG({years}) AS average_age" if averaged else f"{years} AS age"
        tree.set("expressions", [sqlglot.parse_one(figure, read="sqlite")])
        tree.set("distinct", None)
        tree.set("order", None)
        said = found.group(0).strip()
        return Translation(
            tree.sql(dialect="sqlite"),
            f"{'Average age' if averaged else 'Age'}: {base.explanation}",
            notes=[*base.notes, f"age = full years from the birth date to {moment.strip(chr(39))}"],
            words=[*base.words, (said, "an age in full years, from client.birth_date")],
            filler=base.filler,
        )

    def _ranked(
        self, question: str, ranked: re.Match[str], hidden: frozenset[tuple[str, str]]
    ) -> Translation:
        """ "Which district has the second-lowest average salary?": the question about the
        lowest, then the record ranked second (ties broken as for the first)."""
        rank = _RANKS[ranked.group("rank").lower()]
        first = f"{question[: ranked.start()]}the {ranked.group('sup')}{question[ranked.end() :]}"
        base = self.translate(first, hidden)
        if base.alternatives or not base.sql.endswith(" LIMIT 1") or base.sql.count("LIMIT") != 1:
            raise NotUnderstood(
                f"I could not find the {ranked.group('rank')} {ranked.group('sup')} by itself; "
                "ask for the top few and read it there, or write the SQL"
            )
        said = ranked.group(0).strip()
        return Translation(
            f"{base.sql} OFFSET {rank - 1}",
            f"{base.explanation}, ranked {ranked.group('rank')}",
            notes=[*base.notes, f"{said}: the record ranked {rank} in that order"],
            words=[*base.words, (said, f"the record ranked {rank}")],
            filler=base.filler,
        )

    def read(self, question: str) -> list[Item]:
        """The question's phrases, in order, each read as one item."""
        return self.reader.read(question)

    def translate(
        self, question: str, hidden: frozenset[tuple[str, str]] = frozenset()
    ) -> Translation:
        """SQL for ``question``, or NotUnderstood saying what could not be read.

        ``hidden``: (table, column) pairs the asker may not read; default columns leave them
        out (a column the question names is still written, and the guard refuses it)."""
        question = _without_asides(question)
        both = _COUNT_AND.match(question.strip())
        if both is not None:
            return self._count_and_figure(both, hidden)
        grouped = _grouped_share(question)
        if grouped is not None:
            return self._share_per_group(*grouped, hidden=hidden)
        share = _share_parts(question)
        if share is not None:
            return self._share(question, *share, hidden=hidden)
        difference = _difference_parts(question)
        if difference is not None:
            return self._difference(*difference, hidden=hidden)
        growth = next((m for m in (p.match(question.strip()) for p in _GROWTH) if m), None)
        if growth is not None and not re.search(r"percent|%", growth.group(0), re.IGNORECASE):
            growth = None  # "the growth in the number of loans": not said to be in percent
        if growth is not None:
            return self._growth(growth, hidden)
        divided = _DIVIDED.match(question.strip())
        if divided is not None:
            return self._divided(divided, hidden)
        ratio = _RATIO.match(question.strip())
        if ratio is not None:
            return self._ratio(ratio, hidden)
        nested = _NESTED.match(question.strip())
        if nested is not None:
            return self._nested(nested, hidden)
        ranked = _RANKED.search(question)
        if ranked is not None:
            return self._ranked(question, ranked, hidden)
        aged = _age_text(question)
        when = _AGE_WHEN.search(aged)
        event = when.group("event").lower() if when else None
        if when is not None:
            aged = aged[: when.start()] + aged[when.end() :]
        figure = _AGE_FIGURE.search(aged)
        if figure is not None:
            return self._age_figure(aged, figure, event, hidden)
        age = _age_phrase(question)
        if age is not None:
            return self._aged(_iso_dates(question), age, hidden)
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
        builder = Builder(self.layer, items, question, hidden)
        translation = builder.build()
        check_confidence(items, translation.sql, layer=self.layer, question=question)
        if builder.ambiguous_place is not None:
            taken, other = builder.ambiguous_place
            place = next((i.text for i in items if _is_place(i)), "there")
            try:
                fresh = self.read(question)
                second = Builder(self.layer, fresh, question, hidden, anchor=other).build()
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
        translation.filler = [i.text for i in items if i.kind == "stop"]
        translation.words = [(i.text, reading(i)) for i in items if i.kind != "stop"]
        return translation


# what a question is for, said around it ("For our quarterly review, ...", "... I need this
# for the credit risk summary."), and requests the answer meets anyway ("Count each client
# once, please."): read as nothing
_ASIDES = (
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
    re.compile(  # "..., counting each card holder only once"
        r",?\s*counting\s+each\s+[\w ]+?\s+(?:only\s+)?once\b",
        re.IGNORECASE,
    ),
    re.compile(
        r"(?<=[?.])\s+count\s+each\s+(?:client|account|loan|card|person|owner)\s+"
        r"(?:only\s+)?once\b[^?.]*[?.]?",
        re.IGNORECASE,
    ),
)


# "Which region's branches hold the most weekly-statement accounts, and how many?": the
# ranked records with the count they are ranked by
_AND_HOW_MANY = re.compile(
    r"(\bthe\s+(?:most|fewest|largest\s+number\s+of|highest\s+number\s+of|smallest\s+number"
    r"\s+of|lowest\s+number\s+of)\b[^?]*?),?\s+and\s+how\s+many(?:\s+(?:did|does|do|were|was|"
    r"are|is|has|have)\b[^?.]*)?(?=\s*[?.]|\s*$)",
    re.IGNORECASE,
)


def _without_asides(question: str) -> str:
    for aside in _ASIDES:
        question = aside.sub("", question)
    question = _AND_HOW_MANY.sub(r"\1, with the count", question)
    return question.strip()


def _conditions(sql: str) -> set[str]:
    """The ANDed conditions of a query's WHERE, each as SQL text."""
    where = sqlglot.parse_one(sql, read="sqlite").args.get("where")
    return {t.sql(dialect="sqlite") for t in conjuncts(where.this)} if where is not None else set()


def _values_of(condition: str) -> tuple[str, frozenset[str]] | None:
    """ "loan.status IN ('A', 'B')" -> ("loan.status", {"'A'", "'B'"}); None for others."""
    tree = sqlglot.parse_one(condition, read="sqlite")
    if isinstance(tree, exp.EQ):
        column, listed = tree.left, [tree.right]
    elif isinstance(tree, exp.In):
        column, listed = tree.this, tree.expressions
    else:
        return None
    if not listed or not isinstance(column, exp.Column):
        return None
    if not all(isinstance(e, exp.Literal) for e in listed):
        return None
    return column.sql(), frozenset(e.sql() for e in listed)


def _implied(whole: set[str], part: set[str]) -> bool:
    """Whether the part's conditions imply each of the whole's: the same condition, or one
    on the same column keeping fewer of its values ("finished" is status A or B, "finished
    unpaid" status B)."""
    narrower = [v for v in map(_values_of, part) if v is not None]
    for condition in whole - part:
        wide = _values_of(condition)
        if wide is None or not any(c == wide[0] and v <= wide[1] for c, v in narrower):
            return False
    return True


def _one_figure(translation: Translation, kind: type) -> bool:
    """Whether a translation is one ungrouped figure of ``kind`` with one reading."""
    tree = sqlglot.parse_one(translation.sql, read="sqlite")
    return (
        isinstance(tree, exp.Select)
        and len(tree.expressions) == 1
        and isinstance(tree.expressions[0].unalias(), kind)
        and not tree.args.get("group")
        and not translation.alternatives
    )


# the verb that starts what the part of a percentage does ("... are running", "... finished
# with no problems", "... have taken a loan")
_SHARE_VERB = (
    r"(?:are|is|were|was|have|has|had|went|go|goes|ran|run|runs|live|lives|hold|holds|belong|"
    r"belongs|finished|ended|get|gets|got|took|take|takes|receive|receives|pay|pays|also|carry|"
    r"carries|own|owns|use|uses|came|come|comes|chose|choose|chosen|opted|picked)\b"
)
_SHARE = re.compile(
    r"^\s*(?:(?:what|which)\s+(?:is\s+the\s+|'s\s+the\s+)?)?(?:percentage|percent|share|"
    r"proportion|fraction)\s+of\s+(?:the\s+|all\s+(?:the\s+)?)?(?P<rest>.+?)\s*[?.]?\s*$",
    re.IGNORECASE,
)
_SHARE_OF = re.compile(
    r"^\s*(?:of|among|out\s+of)\s+(?:the\s+|all\s+(?:the\s+)?)?(?P<whole>[^,]+),\s*"
    r"(?:what|which)\s+(?:percentage|percent|share|proportion|fraction)\s+"
    rf"(?P<part>{_SHARE_VERB}.+?)\s*[?.]?\s*$",
    re.IGNORECASE,
)
_SHARE_AMONG = re.compile(
    r"^\s*(?:(?:what|which)\s+(?:is\s+the\s+|'s\s+the\s+)?)?(?:the\s+)?(?:percentage|percent|"
    r"share|proportion|fraction)\s+of\s+(?P<part>men|women|male|female|males|females)\s+"
    r"(?:among|of|in)\s+(?P<whole>[^?]+?)\s*[?.]?\s*$",
    re.IGNORECASE,
)
# a verb that opens a clause of the whole ("the men who own ...", "the accounts whose branch
# is in ..."), not the part
_CLAUSE_OPEN = re.compile(r"\b(?:who|that|which|whose(?:\s+\w+)?)$", re.IGNORECASE)


# "What is the ratio of male clients to female clients?", "Among loans in debt, what is the
# ratio of female owners to male owners?"
_RATIO = re.compile(
    r"^(?:(?P<lead>(?:among|in|at|for)\s+[^,]+),\s*)?(?:what(?:'s|\s+is)\s+)?the\s+ratio\s+"
    r"of\s+(?P<a>.+?)\s+to\s+(?P<b>.+?)\s*[?.]?$",
    re.IGNORECASE,
)
# "For accounts ..., what is the total amount of loans approved in 1997 divided by the total
# approved in 1996?"
_DIVIDED = re.compile(
    r"^(?P<lead>(?:for|among|in|at|of)\s+[^,]+,\s*)?(?:what(?:'s|\s+is|\s+was)\s+)?"
    r"(?P<a>the\s+(?:total|average|number|sum)\b.+?)\s+divided\s+by\s+(?P<b>.+?)\s*[?.]?$",
    re.IGNORECASE,
)
# "By what percentage did the number of loans ... grow from 1996 to 1997?", "What was the
# percentage growth in the number of accounts opened ... from 1995 to 1996?"
_YEARS = (
    r"(?:from|between)\s+(?:(?:the\s+)?calendar\s+year\s+)?(?P<y1>\d{4})\s+(?:to|and)\s+"
    r"(?:(?:the\s+)?calendar\s+year\s+)?(?P<y2>\d{4})"
    r"(?:,?\s+(?:relative\s+to|compared\s+with|over)\s+(?:the\s+)?(?:\d{4})(?:\s+\w+)?)?"
    r"(?:,?\s+expressed\s+as\s+a\s+percentage\s+of\s+the\s+\d{4}\s+figure)?\s*[?.]?$"
)
_GROWTH = (
    re.compile(
        r"^(?:by\s+)?(?:what|how\s+much|how\s+many)\s+(?:percentage|percent|%)\s+did\s+"
        r"(?P<what>.+?)\s+(?:grow|increase|rise|change|go\s+up|fall|drop|decrease|go\s+down)\s+"
        + _YEARS,
        re.IGNORECASE,
    ),
    re.compile(
        r"^what\s+(?:was|is)\s+the\s+(?:percentage\s+|percent\s+)?(?:growth|increase|change)\s+"
        r"in\s+(?P<what>.+?)\s+" + _YEARS,
        re.IGNORECASE,
    ),
)


_AS_PERCENT = re.compile(
    r"[,;]?\s*(?:(?:please\s+)?(?:give|show|express)\s+(?:it|this|that)\s+)?"
    r"(?:as|in)\s+(?:a\s+)?percent(?:age)?\s*(?=[?.]?\s*$)",
    re.IGNORECASE,
)


_EACH_LEAD = re.compile(
    r"^\s*(?:for|in|within|across)\s+(?:each|every)\s+(?P<g>[^,]+?)\s*,\s*(?P<rest>.+)$",
    re.IGNORECASE,
)
_EACH_TAIL = re.compile(
    r"^(?P<rest>.+?)\s*,?\s+(?:(?:for|in|within)\s+(?:each|every)|per)\s+"
    r"(?P<g>[\w' -]+?)\s*[?.]?$",
    re.IGNORECASE,
)
_HIGHEST_FIRST = re.compile(
    r"\b(?:highest|largest|biggest)\s+(?:share|percentage|percent|proportion)?\s*first\b",
    re.IGNORECASE,
)


def _grouped_share(question: str) -> tuple[str, str, str, bool] | None:
    """ "For each region, what percentage of the clients who live there are women?" ->
    ("region", "the clients who live there", "are women", highest first?)."""
    text = question.strip()
    highest_first = bool(_HIGHEST_FIRST.search(text))
    text = re.sub(r"(?<=[?.])\s+\S.*$", "", text)  # "... Show the region and the percentage."
    found = _EACH_LEAD.match(text) or _EACH_TAIL.match(text)
    if found is None:
        return None
    share = _share_parts(found.group("rest"))
    if share is None:
        return None
    return found.group("g").strip(), share[0], share[1], highest_first


def _group_key(tree: Any) -> str | None:
    """The name of a grouped count's group column ("A3" of "SELECT district.A3 AS A3,
    COUNT(*) AS count ... GROUP BY district.A3"), None for any other shape."""
    if not isinstance(tree, exp.Select) or not tree.args.get("group"):
        return None
    columns = tree.expressions
    if len(columns) != 2 or columns[1].alias != "count":
        return None
    if not isinstance(columns[1].unalias(), exp.Count):
        return None
    return columns[0].alias_or_name or None


def _share_parts(question: str) -> tuple[str, str] | None:
    """ "What percentage of loans are running?" -> ("loans", "are running")."""
    # "..., as a percentage?", "... Give it as a percentage.": the share is one already
    question = _AS_PERCENT.sub("", question.strip())
    question = re.sub(r",\s*in\s+percent(?:age)?\s*,", "", question, flags=re.IGNORECASE)
    question = re.sub(r"\?\s+\S.*$", "?", question)  # "...? Answer as a percentage."
    share = _SHARE.match(question)
    if share:
        rest = share.group("rest")
        for verb in re.finditer(rf"\s{_SHARE_VERB}", rest, re.IGNORECASE):
            whole = rest[: verb.start()].strip()
            if whole and not _CLAUSE_OPEN.search(whole):
                return whole, rest[verb.start() :].strip()
    found = _SHARE_OF.match(question)
    if found:
        return found.group("whole").strip(), found.group("part").strip()
    among = _SHARE_AMONG.match(question)
    if among:  # "Percentage of men among the clients living in Karvina?"
        return among.group("whole").strip(), f"who are {among.group('part').strip()}"
    # "In 1997, what share of all transactions were ...": the lead says which whole
    lead = re.match(r"^((?:in|during|for|at)\s+[^,]+),\s*(.+)$", question, re.IGNORECASE)
    if lead:
        inner = _share_parts(lead.group(2))
        if inner is not None:
            return f"{inner[0]} {lead.group(1)[0].lower()}{lead.group(1)[1:]}", inner[1]
    return None


_MORE_YEARS = re.compile(
    r"^(?P<head>.*?)\bmore\b(?P<mid>.*?)\bin\s+(?P<y1>\d{4})\s+than\s+in\s+(?P<y2>\d{4})"
    r"(?P<rest>.*?)[?.]?\s*$",
    re.IGNORECASE,
)
_MORE_TERMS = re.compile(
    r"^(?P<lead>.*?)(?P<head>how\s+(?:many|much))\s+more\s+(?P<x>[\w'-]+(?:\s+[\w'-]+)?)\s+"
    r"than\s+(?P<y>[\w'-]+(?:\s+[\w'-]+)?)\s+(?P<rest>(?:live|lives|were|was|are|is|have|"
    r"has|hold|holds|received|got|took|own|owns)\b.*?)[?.]?\s*$",
    re.IGNORECASE,
)

# "How many more clients live in South Moravia than in North Moravia?": the phrase after
# "than" takes the place of the last phrase of the question opened by the same preposition
_MORE = ("more", "bigger", "higher", "larger", "greater")
_MORE_PLACE = re.compile(
    r"^(?P<lead>.*?)(?P<head>how\s+(?:many|much))\s+(?P<way>more|bigger|higher|larger|greater|"
    r"fewer|less|lower|smaller)\s+(?P<body>.+?)\s+than\s+(?:that\s+|those\s+)?"
    r"(?P<other>(?P<prep>in|at|to|by|for|from|on|of)\s+.+?)[?.]?\s*$",
    re.IGNORECASE,
)


# "What is the difference between the average loan at branches in Prague and at branches in
# Brno?", "... the gap between the largest and the smallest loan approved in 1995?"
_BETWEEN = re.compile(
    r"^(?P<lead>.*?)\b(?:what(?:'s|\s+is|\s+was)\s+)?the\s+(?:difference|gap)\s+"
    r"(?:in\s+(?P<what>.+?)\s+)?between\s+(?P<a>.+?)\s+and\s+(?P<b>.+?)\s*[?.]?$",
    re.IGNORECASE,
)
# which figure is taken from which: "Please compute Prague minus North Bohemia.", "Subtract
# North Moravia from South Moravia."
_ORDER = (
    re.compile(
        r"(?<=[?.])\s+(?:please\s+)?(?:(?:compute|give|take|calculate|show)\s+(?:it\s+as\s+)?)?"
        r"(?:the\s+)?(?:(?P<x>[^?.]+?)\s+minus\s+(?:the\s+)?(?P<y>[^?.]+?)|subtract\s+"
        r"(?P<sy>[^?.]+?)\s+from\s+(?P<sx>[^?.]+?))(?:,?\s+please)?\s*[?.]?\s*$",
        re.IGNORECASE,
    ),
    # "(Prague minus South Moravia)", "..., taking the weekly figure minus the monthly one"
    re.compile(
        r"\s*(?:\(|,\s*(?:taking|that\s+is|i\.e\.)\s+)(?:the\s+)?(?P<x>[^(),?.]+?)\s+minus\s+"
        r"(?:the\s+)?(?P<y>[^(),?.]+?)\s*\)?(?=\s*[?.]?\s*$)",
        re.IGNORECASE,
    ),
)
_EXTREME_PAIR = re.compile(
    r"^(?:the\s+)?(?P<one>largest|highest|biggest|smallest|lowest|earliest|latest)$", re.I
)
_LEAD_FIGURE = re.compile(r"^(?:the\s+)?(?:average|total|figure|one|ones|number|that|those)\s+")


def _difference_between(question: str) -> tuple[str, str] | None:
    """ "What is the difference between X at A and (X) at B?" -> ("X at A", "X at B"), in the
    order a closing "A minus B" or "subtract B from A" gives, else as said."""
    text = question.strip()
    found = _BETWEEN.match(text)
    if found is None:
        return None
    lead, what = found.group("lead"), found.group("what")
    a, b = found.group("a").strip(), found.group("b").strip()
    extreme = _EXTREME_PAIR.match(a)
    if extreme is not None and what is None:
        # "between the largest and smallest loans approved in 1995": two extremes, one rest
        words = b.split(maxsplit=1)
        other = _EXTREME_PAIR.match(words[0].removeprefix("the ")) if words else None
        if other is None or len(words) < 2:
            return None
        rest = words[1]
        pair = (
            f"{lead}what is the {extreme.group('one')} {rest}",
            f"{lead}what is the {other.group('one')} {rest}",
        )
    elif what is not None:
        # "the difference in the average loan between branches in Prague and in Brno"
        pair = (f"{lead}{what} for {a}", f"{lead}{what} for {_LEAD_FIGURE.sub('', b)}")
    else:
        # "between the average loan at branches in Prague and (the average) at branches in
        # Brno": the second figure is the first with its last place or time said again
        second = _LEAD_FIGURE.sub("", b)
        prep = re.match(r"^(in|at|of|for|from|to|during|on)\s", second, re.IGNORECASE)
        if prep is None:
            return None
        starts = [m.start() for m in re.finditer(rf"\b{prep.group(1)}\b", a, re.IGNORECASE)]
        if not starts:
            return None
        pair = (f"{lead}{a}", f"{lead}{a[: starts[-1]]}{second}")
    return pair


def _in_order(pair: tuple[str, str], order: re.Match[str]) -> tuple[str, str] | None:
    """The two questions in the order a closing "A minus B" (or "subtract B from A") gives;
    None when it names neither side clearly."""
    groups = order.groupdict()
    x = (groups.get("x") or groups.get("sx") or "").strip().lower()
    y = (groups.get("y") or groups.get("sy") or "").strip().lower()
    first, second = (p.lower() for p in pair)
    if _mentions(second, x) and _mentions(first, y) and not _mentions(first, x):
        return pair[1], pair[0]
    if _mentions(first, x) and _mentions(second, y):
        return pair
    return None


_SAME_SIDE = {
    "men": "men|man|male",
    "man": "men|man|male",
    "male": "men|man|male",
    "women": "women|woman|female",
    "woman": "women|woman|female",
    "female": "women|woman|female",
}


def _mentions(text: str, name: str) -> bool:
    """Whether ``text`` says ``name`` (its words, leading "the" and figure words aside;
    "men" for "male" and "women" for "female")."""
    name = re.sub(r"^(?:the\s+)", "", name)
    name = re.sub(r"\b(?:total|average|figure|one|number|count|ones)\b", " ", name).strip()
    name = re.sub(r"\s+", " ", name)
    if not name:
        return False
    pattern = _SAME_SIDE.get(name, re.escape(name))
    return re.search(rf"\b(?:{pattern})\b", text) is not None


def _difference_parts(question: str) -> tuple[str, str] | None:
    """ "How many more accounts were opened in 1993 than in 1997?" -> the two questions
    whose answers are subtracted; None when the question is not such a comparison."""
    text = question.strip()
    order = next((m for m in (p.search(text) for p in _ORDER) if m), None)
    if order is not None:
        text = text[: order.start()].strip()
    pair = _difference_between(text) or _difference_said(text)
    if pair is None or order is None:
        return pair
    return _in_order(pair, order)


# "By how much did the total of cash deposits grow from 1996 to 1997?": the later year's
# figure less the earlier's
_GREW_BY = re.compile(
    r"^(?P<lead>.*?)\b(?:by\s+)?how\s+much\s+did\s+(?P<what>.+?)\s+(?:grow|increase|rise|"
    r"change|go\s+up|fall|drop|decrease|go\s+down)\s+(?:from|between)\s+(?P<y1>\d{4})\s+"
    r"(?:to|and)\s+(?P<y2>\d{4})(?:,?\s+in\s+absolute\s+terms)?\s*[?.]?$",
    re.IGNORECASE,
)


def _difference_said(text: str) -> tuple[str, str] | None:
    """The two questions of "how many more ... than ...", "by how much did ... grow from
    1996 to 1997"."""
    grew = _GREW_BY.match(text)
    if grew:
        lead, what = grew.group("lead"), grew.group("what")
        return (
            f"{lead}{what} in {grew.group('y2')}".strip(),
            f"{lead}{what} in {grew.group('y1')}".strip(),
        )
    years = _MORE_YEARS.match(text)
    if years:
        head = f"{years.group('head')}{years.group('mid')}".replace("  ", " ")
        rest = years.group("rest")
        return (
            f"{head}in {years.group('y1')}{rest}".strip(),
            f"{head}in {years.group('y2')}{rest}".strip(),
        )
    terms = _MORE_TERMS.match(text)
    if terms:
        lead, head, rest = terms.group("lead"), terms.group("head"), terms.group("rest")
        return (
            f"{lead}{head} {terms.group('x')} {rest}".strip(),
            f"{lead}{head} {terms.group('y')} {rest}".strip(),
        )
    place = _MORE_PLACE.match(text)
    if place:
        body = place.group("body")
        starts = [m.start() for m in re.finditer(rf"\b{place.group('prep')}\b", body, re.I)]
        if starts:
            lead, head, kept = place.group("lead"), place.group("head"), body[: starts[-1]]
            pair = (
                f"{lead}{head} {body}".strip(),
                f"{lead}{head} {kept}{place.group('other')}".strip(),
            )
            # "how many fewer ... in A than in B" is B's figure less A's
            return pair if place.group("way").lower() in _MORE else (pair[1], pair[0])
    return None


_AGE = re.compile(
    r"\b(?:who\s+(?:were|was|are|is)\s+|(?:were|was|are|is)\s+)?"
    r"(?P<cmp>aged|over|under|older\s+than|younger\s+than|at\s+least|at\s+most)\s+"
    r"(?P<n>\d{1,3})(?P<more>\s+or\s+(?:older|more|over|younger|less|under))?"
    r"(?:\s+years?(?:\s+old)?)?\s+"
    r"(?:(?:on|at|as\s+of)\s+(?P<date>\d{4}-\d{2}-\d{2})|"
    r"when\s+(?:the|their|his|her|its)?\s*(?P<event>loan|account|card)\s+was\s+"
    r"(?:approved|granted|opened|issued))",
    re.IGNORECASE,
)
# "the average age (in full years) of ... on 1997-01-01", "how old was ... when the account
# was opened", "the average age at approval"
_AGE_FIGURE = re.compile(
    r"\b(?:(?P<avg>average|mean)\s+age|how\s+old\s+(?:was|were|is|are))\b"
    r"(?:,?\s+in\s+(?:full\s+|whole\s+|completed\s+)?years)?"
    r"(?:,?\s+(?:on|at|as\s+of)\s+(?P<date>\d{4}-\d{2}-\d{2})"
    r"|\s+at\s+(?P<at>approval|opening|issue))?"
    r",?",
    re.IGNORECASE,
)
_AGE_WHEN = re.compile(
    r"\s*,?\s*when\s+(?:the|their|his|her|its)\s+(?P<event>loan|account|card)\s+was\s+"
    r"(?:approved|granted|opened|issued)\b",
    re.IGNORECASE,
)
_AT_EVENT = {"approval": "loan", "opening": "account", "issue": "card"}
_AGE_AT = re.compile(r",?\s*\b(?:on|as\s+of|at)\s+(\d{4}-\d{2}-\d{2})\b", re.IGNORECASE)


def _age_text(question: str) -> str:
    """The question with its dates as ISO dates, "the end of 1998" as its last day."""
    text = re.sub(r"\b(?:at|by)\s+the\s+end\s+of\s+(\d{4})\b", r"on \1-12-31", question, flags=re.I)
    text = re.sub(
        r"\b(?:at\s+)?the\s+(?:start|beginning)\s+of\s+(\d{4})\b",
        r"on \1-01-01",
        text,
        flags=re.I,
    )
    return _iso_dates(text)


_EVENT_DATES = {
    "loan": ("loan", "date"),
    "account": ("account", "date"),
    "card": ("card", "issued"),
}


def _age_phrase(question: str) -> re.Match[str] | None:
    """An age at a date in the question (dates written any way are made ISO first)."""
    return _AGE.search(_iso_dates(question))


def _age_condition(age: re.Match[str]) -> tuple[str, int]:
    """The comparison an age phrase asks for, in full years."""
    word, number, more = age.group("cmp").lower(), int(age.group("n")), age.group("more") or ""
    younger = any(w in more for w in ("younger", "less", "under"))
    if word == "aged":
        return ("<=" if younger else ">=", number) if more else ("=", number)
    if word in ("over",) or word.startswith("older"):
        return ">", number
    if word in ("under",) or word.startswith("younger"):
        return "<", number
    return (">=", number) if word.startswith("at least") else ("<=", number)


_RANKS = {
    "": 1,
    "second": 2,
    "third": 3,
    "fourth": 4,
    "fifth": 5,
    "2nd": 2,
    "3rd": 3,
    "4th": 4,
    "5th": 5,
}
# "How many loans were approved in 1997, and what is their total amount?", "the number of
# such loans and their total approved amount"
_COUNT_AND = re.compile(
    r"^(?P<lead>.*?)\b(?:how\s+many|(?:give\s+(?:me\s+)?)?the\s+number\s+of)\s+(?P<rest>.+?)"
    r",?\s+and\s+(?:what\s+(?:is|was|are|were)\s+)?(?:their|the|its)\s+"
    r"(?P<agg>total|average|combined|overall|mean)\s+(?P<what>[a-z][\w -]*?)"
    r"(?:\s+of\s+(?:those|these|them|such)\b[\w ]*)?"
    r"(?P<post>,\s+(?:for|among|at|in|on|of|from)\s+[^?.]+?)?\s*[?.]?"
    r"(?:\s+(?:please\s+)?give\s+both\s+(?:figures|numbers)\.?)?\s*$",
    re.IGNORECASE,
)
# "the second-lowest average salary", "the third largest number of inhabitants"
_RANKED = re.compile(
    r"\bthe\s+(?P<rank>second|third|fourth|fifth|2nd|3rd|4th|5th)[- ]?"
    r"(?P<sup>highest|lowest|largest|smallest|biggest|most|fewest|greatest)\b",
    re.IGNORECASE,
)
_NESTED = re.compile(
    r"^(?P<pre>.*?)\b(?P<prep>in|at|of|for|from)\s+the\s+(?:branch\s+)?"
    r"(?P<entity>region|district|branch)\s+(?:with|that\s+(?P<verb>had|has|recorded|registered|"
    r"saw|reported|counted|opened|granted|approved|lent|issued))\s+the\s+"
    r"(?:(?P<rank>second|third|fourth|fifth|2nd|3rd|4th|5th)[- ]?)?"
    r"(?P<sup>highest|lowest|largest|smallest|biggest|most|fewest|greatest)\s+"
    r"(?P<what>(?:[^,?.]|(?<=\d)[,.](?=\d))+?)(?P<post>(?:,(?!\d)|\?|\.(?!\d)|$).*)$",
    re.IGNORECASE,
)
# a verb that ends the superlative's phrase and starts the rest of the question
_CLAUSE_VERB = re.compile(
    r"\s(?:have|has|had|hold|holds|held|are|is|were|was|live|lives|own|owns|took|take|took|"
    r"received|receive|got|get)\b",
    re.IGNORECASE,
)
# a real name to stand for the place while the rest of the question is read
_PLACEHOLDERS = {"region": "Prague", "district": "Benesov", "branch": "Benesov"}

_PLACE_READINGS = {
    "account": "accounts held at branches in {place}",
    "client": "clients living in {place}",
}


def _is_place(item: Item) -> bool:
    return any(m.kind in ("region", "district") for m in item.meanings)


def _title(text: str) -> str:
    return " ".join(w[:1].upper() + w[1:] for w in text.split())


def _iso_dates(question: str) -> str:
    """The question with its dates written as ISO dates (the reader's own reading)."""
    return written_dates(question.lower())
