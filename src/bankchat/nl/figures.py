"""Questions whose answer is two figures: each figure is written (and gated) as its own
question, then combined. A percentage, a percentage for each group, a ratio, one figure
divided by another, a growth in percent, a difference, and a count with a total or average
of the same records."""

from __future__ import annotations

import re
from typing import Any

import sqlglot
from sqlglot import exp

from bankchat.nl.base import Item, NotUnderstood, Translation, quote, table_of
from bankchat.nl.gate import conjuncts, from_table
from bankchat.nl.reader import number_words
from bankchat.nl.semantic import SemanticLayer


class FigureQuestions:
    """The two-figure questions of the offline engine (a mixin: ``translate`` and ``layer``
    are the engine's)."""

    layer: SemanticLayer

    def translate(
        self, question: str, hidden: frozenset[tuple[str, str]] = frozenset()
    ) -> Translation:
        raise NotImplementedError

    def read(self, question: str) -> list[Item]:
        raise NotImplementedError

    def figure_question(
        self, question: str, hidden: frozenset[tuple[str, str]]
    ) -> Translation | None:
        """The answer to ``question`` when it asks for two figures combined, else None."""
        if _FOR_EVERY.search(question):
            raise NotUnderstood(
                "The question asks how many of one kind there are for every one of another (a "
                "ratio of two counts); ask for the two counts, or write the SQL"
            )
        listed = _FIGURE_LIST.search(question)
        if re.search(r"\b(?:percent\w*|ratios?|shares?|differ\w*|gap)\b", question, re.I):
            listed = None  # (a list of two figures combined into one)
        kept = _GROUPS_KEPT.match(number_words(question.strip()))
        if kept is not None:
            answer = self._groups_kept(kept, hidden)
            if answer is not None:
                return answer
        both = _COUNT_AND.match(question.strip())
        if both is not None and (listed is None or len(_FIGURE_SPLIT.split(listed["list"])) < 3):
            return self._count_and_figure(both, hidden)
        answer = self._figure_list(question, listed, hidden) if listed is not None else None
        if answer is not None:
            return answer
        people = _PER_PEOPLE.search(question)
        if people is not None and not any(
            "inhabitants" in item.text and "per" in item.text.split() and item.meanings
            for item in self.read(question)
        ):
            # (unless the words name a figure of their own: "entrepreneurs per 1,000
            # inhabitants" is a district's)
            return self._per_people(question, people, hidden)
        question = _RANK_SHARE_WORDS.sub(
            _by_group_share, _IN_WHICH_SHARE.sub(_which_share, question)
        )
        question = _EVERY_GROUP_SHARE.sub(_by_group_share, question)
        ranked = _RANKED_SHARE.search(question)
        if ranked is not None:
            return self._ranked_share(question, ranked, hidden)
        grouped = _grouped_share(question)
        split = self._share_split(grouped[1]) if grouped is not None else None
        if grouped is not None and split is not None:
            if grouped[2] == "?":
                raise NotUnderstood(
                    "The question asks for the groups in order, but not which end comes first; "
                    'say "highest first" or "lowest first", or write the SQL'
                )
            return self._share_per_group(grouped[0], *split, grouped[2], hidden=hidden)
        those = _COUNT_OF_THOSE.match(question.strip())
        if those is not None:
            return self._count_of_those(those, hidden)
        counted = _COUNT_AND_SHARE.match(question.strip())
        if counted is not None:
            # "How many card holders have never ..., and what share of all card holders is
            # that?": the count, then its percentage of the whole
            if re.search(r"\b(?:those|these|such|them|their|its)\b", counted["whole"], re.I):
                raise NotUnderstood(
                    f"I could not tell which records {counted['whole']!r} are; say them in "
                    "full, or write the SQL"
                )
            return self._share(counted["whole"], counted["part"], hidden=hidden, count=True)
        both = _SHARE_AND_COUNT.search(question)
        share = self._share_split(question[: both.start() + 1] if both else question)
        if share is not None:
            if both is None and _SECOND_FIGURE.search(question):
                raise NotUnderstood(
                    "The question asks for another figure beside the percentage; ask for each "
                    "figure on its own, or write the SQL"
                )
            counted_first = both is not None and both.group("first") in ("number", "count")
            return self._share(*share, hidden=hidden, count=counted_first if both else None)
        difference = _difference_parts(question) or self._more_than_value(question)
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
        return None

    def _figures(
        self, questions: list[str], hidden: frozenset[tuple[str, str]], kind: type, refusal: str
    ) -> list[Translation]:
        """Each of ``questions`` written (and gated) as its own question, each one ungrouped
        figure of ``kind``; else NotUnderstood(``refusal``)."""
        parts = [self.translate(question, hidden) for question in questions]
        if not all(_one_figure(part, kind) for part in parts):
            raise NotUnderstood(refusal)
        return parts

    def _share_split(self, question: str) -> tuple[str, str] | None:
        """ "What percentage of loans are running?" -> ("loans", "loans are running"), "the
        share of bad loans" -> ("loans", "bad loans"): the whole and the part, each said as
        the records a "how many" question counts; None when the question is no percentage."""
        share = _share_parts(question)
        if share is not None:
            return share[0], f"{share[0]} {share[1]}"
        if _SHARE_ASKED.match(question):
            return None  # "what share of X <verb> ...": a verb not known, so no split
        found = _SHARE_NP.match(_AS_PERCENT.sub("", question.strip()))
        return self._np_split(found.group("np")) if found is not None else None

    def _np_split(self, phrase: str) -> tuple[str, str] | None:
        """The records a share is taken of, and the part of them it counts, in a noun phrase:
        "accounts with weekly statements" -> ("accounts", the phrase), "bad loans granted in
        1997" -> ("loans granted in 1997", the phrase); None when no word ahead of the
        records or clause after them says which part."""
        if re.search(r"(?:among|of\s+all|out\s+of)", phrase, re.IGNORECASE):
            return None  # (the whole said apart: not split here)
        clause = _PART_CLAUSE.search(phrase) or _PART_WITH.search(phrase)
        if clause is not None:
            return phrase[: clause.start()].strip(), phrase
        words = phrase.split()
        for skip in (1, 2):
            rest = " ".join(words[skip:])
            items = self.read(rest) if rest else []
            if items and table_of(items[0]) is not None:
                return rest, phrase
        return None

    def _ranked_share(
        self, question: str, found: re.Match[str], hidden: frozenset[tuple[str, str]]
    ) -> Translation:
        """ "Which region has the highest share of bad loans?": the question asked of the
        count ("... the most bad loans"), its count then taken as a percentage of the whole
        ("... the most loans"), both written (and gated) as their own questions, which must
        differ in their conditions only."""
        refusal = NotUnderstood(
            "I could not read this share as a count of some records out of all of them; ask "
            "for the percentage for each group, or write the SQL"
        )
        split = self._share_split(f"the percentage of {found.group('np')}")
        if split is None:
            raise refusal
        lead, tail = question[: found.start()], question[found.end() :]
        shown = bool(_SHARE_WORD.search(tail))
        if shown:
            # ("..., and what is that share?", "Names and percentages."): shown; anything else
            # said before the question mark stays part of the question
            said, _, _ = tail.partition("?")
            if _SHARE_WORD.search(said):
                said = re.sub(r",?\s*(?:and\s+)?(?:what|give|show|list)\b.*$", "", said)
            tail = f"{said}?"
        most = "fewest" if found.group("dir").lower() in ("lowest", "smallest") else "most"
        whole, part = (
            self.translate(f"{lead}the {most} {records}{tail}", hidden) for records in split
        )
        trees = [sqlglot.parse_one(t.sql, read="sqlite") for t in (whole, part)]
        if (
            whole.alternatives
            or part.alternatives
            or not all(
                isinstance(t, exp.Select) and t.args.get("group") and t.args.get("order")
                for t in trees
            )
        ):
            raise refusal
        conditions = [_conditions(t.sql) for t in (whole, part)]
        bare = [t.copy() for t in trees]
        for tree in bare:
            tree.set("where", None)
        extra = sorted(conditions[1] - conditions[0])
        if bare[0] != bare[1] or not extra or not _implied(conditions[0], conditions[1]):
            raise refusal
        tree = trees[0]
        assert isinstance(tree, exp.Select)
        counts = [c for c in tree.find_all(exp.Count) if c.parent_select is tree]
        if not counts:
            raise refusal
        condition = " AND ".join(extra)
        for count in counts:
            counted = count.this
            distinct = "DISTINCT " if isinstance(counted, exp.Distinct) else ""
            inner = counted.expressions[0] if isinstance(counted, exp.Distinct) else counted
            value = "1" if isinstance(inner, exp.Star) else inner.sql(dialect="sqlite")
            count.replace(
                sqlglot.parse_one(
                    f"100.0 * COUNT({distinct}CASE WHEN {condition} THEN {value} END) / "
                    f"{count.sql(dialect='sqlite')}",
                    read="sqlite",
                )
            )
        ordered = tree.args["order"].expressions[0].this
        if shown:
            tree.select(exp.alias_(ordered.copy(), "percent"), copy=False)
        return Translation(
            tree.sql(dialect="sqlite"),
            f"{part.explanation}, as a percentage of {whole.explanation}",
            notes=[
                *whole.notes,
                f"percentage = 100 x (how many {split[1]}) / (how many {split[0]}), in each group",
            ],
            words=[*part.words, (found.group(0).strip(), "ranked by that percentage")],
            filler=part.filler,
        )

    def _share(
        self,
        whole: str,
        subset: str,
        hidden: frozenset[tuple[str, str]],
        count: bool | None = None,
    ) -> Translation:
        """A percentage: the records that also meet the question's condition, over all of
        them, each count written (and gated) as its own "how many" question. With ``count``
        the part's count is shown too, first (True) or after the percentage (False)."""
        if _MONEY_WHOLE.search(whole):
            # "what share of all the cash deposited in 1997 came through Prague": a share of
            # an amount of money, which counting the records does not give
            raise NotUnderstood(
                f"I can give a share of records counted, not of {whole!r} as an amount; ask "
                "for the two totals, or write the SQL"
            )
        base, part = self._whole_and_part(
            [f"how many {whole}", f"how many {subset}"],
            hidden,
            "I could read the two counts of this percentage only as something else; ask for "
            "the two counts, or write the SQL",
            "I could not read the part of this percentage as the whole with one more "
            "condition; ask for the two counts, or write the SQL",
        )
        figures = [f"100.0 * ({part.sql}) / ({base.sql}) AS percent"]
        if count is not None:  # "Give the number of such accounts and the percentage."
            figures.insert(0 if count else 1, f"({part.sql}) AS count")
        sql = f"SELECT {', '.join(figures)}"
        return Translation(
            sql,
            f"Percentage: {part.explanation}, out of {base.explanation}",
            notes=[
                *base.notes,
                f"percentage = 100 x (how many {subset}) / (how many {whole})",
                *([f"count = how many {subset}"] if count is not None else []),
            ],
            words=[*part.words],
            filler=[*part.filler],
        )

    def _share_per_group(
        self,
        group: str,
        whole: str,
        subset: str,
        order: str | None,
        hidden: frozenset[tuple[str, str]],
    ) -> Translation:
        """ "For each region, what percentage of the clients who live there are women?": the
        two counts per group, each written (and gated) as its own question, the part over the
        whole in each group (0 where the part has none)."""
        asked = [f"how many {whole} for each {group}", f"how many {subset} for each {group}"]
        base, part = (self.translate(question, hidden) for question in asked)
        trees = [sqlglot.parse_one(t.sql, read="sqlite") for t in (base, part)]
        keys = [_group_key(tree) for tree in trees]
        if keys[0] is None or keys[0] != keys[1] or base.alternatives or part.alternatives:
            raise NotUnderstood(
                "I could read the two counts of this percentage only as something else; ask "
                "for the counts per group, or write the SQL"
            )
        if base.sql == part.sql or not _implied(_conditions(base.sql), _conditions(part.sql)):
            raise NotUnderstood(
                "I could not read the part of this percentage as the whole with one more "
                "condition; ask for the counts per group, or write the SQL"
            )
        key = keys[0]
        ranked = f"percent {order}, " if order is not None else ""
        sql = (
            f"SELECT whole.{key}, 100.0 * COALESCE(part.count, 0) / whole.count AS percent "
            f"FROM ({base.sql}) AS whole LEFT JOIN ({part.sql}) AS part "
            f"ON part.{key} = whole.{key} ORDER BY {ranked}whole.{key}"
        )
        return Translation(
            sql,
            f"Percentage per {group}: {part.explanation}, out of {base.explanation}",
            notes=[
                *base.notes,
                f"percentage = 100 x (how many {subset}) / (how many {whole}), for each {group}",
            ],
            words=[*part.words],
            filler=[*part.filler],
        )

    def _figure_list(
        self, question: str, found: re.Match[str], hidden: frozenset[tuple[str, str]]
    ) -> Translation | None:
        """ "For each loan status, give the number of loans, the total amount lent and the
        average duration": each figure asked as the question with that figure alone, written
        (and gated) on its own; figures of the same records, groups and order become one
        SELECT. Figures of different records are asked back: which records each is of is a
        guess."""
        phrases = [p for p in _FIGURE_SPLIT.split(found.group("list")) if p.strip()]
        if re.fullmatch(rf"\s*(?:the\s+|their\s+|its\s+)?{_FIGURE_WORD}\s*", phrases[-1], re.I):
            return None  # ("... - gender and average": the columns of one figure's answer)
        for n, phrase in enumerate(phrases[:-1]):
            # "the smallest and the largest amount": the noun said once, for both
            if re.fullmatch(rf"\s*(?:the\s+|their\s+|its\s+)?{_FIGURE_WORD}\s*", phrase, re.I):
                noun = re.sub(
                    rf"^\s*(?:the\s+|their\s+|its\s+)?{_FIGURE_WORD}\s+",
                    "",
                    phrases[-1],
                    flags=re.I,
                )
                phrases[n] = f"{phrase.strip()} {noun}"
        head, tail = question[: found.start("list")], question[found.end("list") :]
        asked = [f"{head}{phrase.strip()}{tail}" for phrase in phrases]
        parts = [self.translate(one, hidden) for one in asked]
        trees = [sqlglot.parse_one(part.sql, read="sqlite") for part in parts]
        refusal = NotUnderstood(
            "I could not give these figures together; ask for each figure on its own, or "
            "write the SQL"
        )
        if any(
            not isinstance(t, exp.Select) or p.alternatives
            for t, p in zip(trees, parts, strict=True)
        ):
            raise refusal
        figures = [_figure_of(tree) for tree in trees]
        if any(f is None for f in figures):
            raise refusal
        # (each part ordered by its own figure: "..., highest total first" says which one
        # orders them all, and this reading does not know)
        orders = {str(t.args["order"].sql()) if t.args.get("order") else "" for t in trees}
        if len({_records_of(tree) for tree in trees}) != 1 or len(orders) != 1:
            raise refusal
        merged = trees[0].copy()
        first = _figure_of(merged)
        at = next(n for n, e in enumerate(merged.expressions) if e is first)
        keep = [e for e in merged.expressions if e is not first]
        names: set[str] = {e.alias_or_name for e in keep}
        chosen = []
        for figure in figures:
            assert figure is not None
            copy = figure.copy()
            name = copy.alias_or_name
            while name in names:
                name += "_2"
            names.add(name)
            chosen.append(exp.alias_(copy.unalias(), name) if copy.alias else copy)
        merged.set("expressions", keep[:at] + chosen + keep[at:])
        return Translation(
            merged.sql(dialect="sqlite"),
            "; ".join(part.explanation for part in parts),
            notes=list(dict.fromkeys(note for part in parts for note in part.notes)),
            words=[word for part in parts for word in part.words],
            filler=parts[0].filler,
        )

    def _per_people(
        self, question: str, found: re.Match[str], hidden: frozenset[tuple[str, str]]
    ) -> Translation:
        """ "For each region, how many accounts are there per 1,000 inhabitants?": the count
        asked, for each district or region, over the people living there. The question is
        read without the rate; its count (or a district's own figure, "crimes per thousand
        inhabitants") is then divided by the inhabitants of each row's district or region."""
        said = found.group("n").lower().replace(",", "")
        scale = int(number_words(said if said[0].isdigit() or " " in said else f"a {said}"))
        rest = (question[: found.start()] + question[found.end() :]).strip(" ,")
        rest = rest[:1].upper() + rest[1:]
        shown = bool(_RATE_ASKED.search(rest))
        for pattern, replacement in _RATE_WORDS:
            rest = pattern.sub(replacement, rest)
        base = self.translate(rest, hidden)
        tree = sqlglot.parse_one(base.sql, read="sqlite")
        refusal = NotUnderstood(
            "I can give a rate per inhabitants for each district or region only; ask for the "
            "count per district or region, or write the SQL"
        )
        if not isinstance(tree, exp.Select) or base.alternatives:
            raise refusal
        name = f"per_{scale}_inhabitants"
        keys = [c for g in tree.find_all(exp.Group) for c in g.expressions]
        key = keys[0] if len(keys) == 1 and isinstance(keys[0], exp.Column) else None
        if key is not None and key.table == "district" and key.name in ("A2", "A3", "district_id"):
            people = sqlglot.parse_one(
                f"(SELECT SUM(CAST(people.A4 AS INTEGER)) FROM district AS people WHERE "
                f"people.{key.name} = district.{key.name})",
                read="sqlite",
            )
            counts = [c for c in tree.find_all(exp.Count) if c.parent_select is tree]
            if not counts:
                raise refusal
            for count in counts:
                count.replace(
                    sqlglot.parse_one(f"{scale}.0 * {count.sql()} / {people.sql()}", read="sqlite")
                )
            what = "the count"
        elif from_table(tree) == "district" and not keys:
            # "the districts with the most crimes per thousand inhabitants": their own figure
            figures = [
                c
                for c in tree.find_all(exp.Column)
                if c.parent_select is tree
                and self.layer.columns.get(f"district.{c.name}") is not None
                and self.layer.columns[f"district.{c.name}"].type == "number"
                and c.name not in ("A4", "district_id", "A14")  # (A14 is per 1,000 already)
                and isinstance(c.parent, exp.Ordered | exp.Select | exp.Alias)
            ]
            if not figures:
                raise refusal
            for column in figures:
                column.replace(
                    sqlglot.parse_one(
                        f"{scale}.0 * {column.sql()} / CAST(district.A4 AS INTEGER)",
                        read="sqlite",
                    )
                )
            what = "the figure"
        else:
            raise refusal
        rate = None
        for projection in tree.expressions:
            if projection.alias == "count" or (
                isinstance(projection.unalias(), exp.Div) and projection.alias != name
            ):
                rate = projection
        if rate is not None:
            old_name = rate.alias
            rate.replace(exp.alias_(rate.unalias(), name))
            ordered = tree.args.get("order")
            for column in ordered.find_all(exp.Column) if ordered is not None else []:
                if not column.table and column.name == old_name:
                    column.replace(exp.column(name))
        elif shown:
            ordered = tree.args.get("order")
            first = ordered.expressions[0].this if ordered is not None else None
            if first is None or not isinstance(first, exp.Div):
                raise refusal
            tree.select(exp.alias_(first.copy(), name), copy=False)
        unit = f"{scale:,}"
        return Translation(
            tree.sql(dialect="sqlite"),
            f"{base.explanation}, per {unit} inhabitants",
            notes=[
                *base.notes,
                f"rate = {what} x {unit} / the inhabitants of the district or region",
            ],
            words=[*base.words, (found.group(0).strip(" ,"), f"per {unit} inhabitants")],
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
        return _quotient(asked, parts)

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
        return _quotient(asked, parts)

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

    def _more_than_value(self, question: str) -> tuple[str, str] | None:
        """ "How much more cash did men withdraw than women ...", "How many more accounts use
        monthly than weekly statements ...": the question as asked of the value said before
        "than", and again with the value after "than" in its place (a value of the same
        field, so that the two figures differ by it alone)."""
        found = _MORE_THAN_VALUE.match(question.strip())
        if found is None:
            return None
        other = [i for i in self.read(found.group("b")) if i.kind != "stop"]
        values = [m for m in other[0].meanings if m.kind in ("value", "region", "district")]
        if len(other) != 1 or not values:
            return None
        field = {m.qualified for m in values}
        body = found.group("body")
        said = [
            i
            for i in self.read(body)
            if any(m.qualified in field for m in i.meanings if m.kind == values[0].kind)
        ]
        if len(said) != 1:
            return None
        at = re.search(
            r"\b" + r"[\s'-]+".join(map(re.escape, said[0].text.split())) + r"\b", body, re.I
        )
        if at is None:
            return None
        swapped = body[: at.start()] + found.group("b") + body[at.end() :]
        lead, head, rest = found.group("lead"), found.group("head"), found.group("rest") or ""
        return (
            f"{lead}{head}{body}{rest}".strip() + "?",
            f"{lead}{head}{swapped}{rest}".strip() + "?",
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
        grouped = _count_per_group(counted, tree)
        if not isinstance(tree, exp.Select):
            raise NotUnderstood("I could read this question only as something else")
        if grouped is None and not _one_figure(counted, exp.Count):
            raise NotUnderstood(
                "I could read the count of this question only as something else; ask for each "
                "figure on its own, or write the SQL"
            )
        base = from_table(tree)
        said = found.group("what")
        # ("and what was their total?": the records' own amount)
        column = self._field_of(base, said) if said else self.layer.tables[base].measure
        if column is None:
            raise NotUnderstood(
                f"I could not tell which field of the records counted {said or 'their total'!r} "
                "is; ask for each figure on its own, or write the SQL"
            )
        key = self.layer.tables[base].key
        agg = "AVG" if found.group("agg").lower() in ("average", "mean") else "SUM"
        name = f"{'average' if agg == 'AVG' else 'total'}_{column}"
        counting = tree.expressions[-1].unalias()
        if grouped is None and isinstance(counting.this, exp.Star):
            # each record is one row: both figures over the same rows
            sql = tree.select(f"{agg}({quote(base)}.{column}) AS {name}", append=True).sql(
                dialect="sqlite"
            )
        else:
            # a join repeats records, or groups are asked: each record once (in each group),
            # then both figures (per group)
            groups = grouped or []
            rows = tree.copy()
            rows.set(
                "expressions",
                [
                    *(e.unalias().as_(f"group_{i}") for i, e in enumerate(groups)),
                    sqlglot.parse_one(f"{quote(base)}.{key}", read="sqlite"),
                    sqlglot.parse_one(f"{quote(base)}.{column}", read="sqlite"),
                ],
            )
            for part in ("group", "order"):
                rows.set(part, None)
            rows.set("distinct", exp.Distinct())
            keys = ", ".join(f"records.group_{i}" for i in range(len(groups)))
            shown = "".join(
                f"records.group_{i} AS {e.alias_or_name}, " for i, e in enumerate(groups)
            )
            sql = (
                f"SELECT {shown}COUNT(*) AS count, {agg}(records.{column}) AS {name} FROM "
                f"({rows.sql(dialect='sqlite')}) AS records"
            ) + (f" GROUP BY {keys} ORDER BY {keys}" if groups else "")
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

    def _groups_kept(
        self, found: re.Match[str], hidden: frozenset[tuple[str, str]]
    ) -> Translation | None:
        """ "Which regions have more than 500 clients?": the count per group written (and
        gated) as its own question, then only the groups whose count passes. None when the
        groups are records of a table of their own ("Which districts have ..."), which the
        conditions of one record answer."""
        group = found.group("group").lower()
        one = re.sub(r"([sx]|ch|sh)es$|s$", r"\1", re.sub(r"ies$", "y", group))
        if one == group or any(table_of(item) for item in self.read(one)):
            return None
        counted = self.translate(f"For each {one}, how many {found.group('rest')}", hidden)
        tree = sqlglot.parse_one(counted.sql, read="sqlite")
        shown = _count_per_group(counted, tree)
        if shown is None or not isinstance(tree, exp.Select):
            raise NotUnderstood(
                f"I could not count the {found.group('rest')} of each {one}; ask for the count "
                "of each group, or write the SQL"
            )
        op = _KEPT_OPS[re.sub(r"\s+", " ", found.group("op").lower())]
        if op.startswith("<") and tree.args.get("where"):
            # (a group none of whose records pass the conditions has no row to keep)
            raise NotUnderstood(
                f"I cannot yet keep the groups with {found.group('op')} {found.group('n')} of "
                "some of their records; ask for the count of each group, or write the SQL"
            )
        number = int(found.group("n").replace(",", ""))
        said = f"{found.group('op')} {found.group('n')} {found.group('rest')}"
        if found.group("how") is None:  # ("..., and how many?": the count too)
            tree = tree.select(*shown, append=False)
        kept = tree.having(f"COUNT(*) {op} {number}")
        return Translation(
            kept.sql(dialect="sqlite"),
            f"{counted.explanation}, only the {group} with {said}",
            notes=counted.notes,
            # (the words of the question as written, not those of the count asked for it)
            words=[
                *(w for w in counted.words if w[0] not in ("for each", "how many")),
                (f"{found.group('op')} {found.group('n')}", f"count {op} {number}"),
            ],
            filler=counted.filler,
        )

    def _whole_and_part(
        self,
        questions: list[str],
        hidden: frozenset[tuple[str, str]],
        unread: str,
        unnarrowed: str,
    ) -> tuple[Translation, Translation]:
        """Two counts, each written (and gated) as its own question, the second the first
        with more conditions (never a different whole): else NotUnderstood."""
        whole, part = self._figures(questions, hidden, exp.Count, unread)
        if not _narrows(whole.sql, part.sql):
            raise NotUnderstood(unnarrowed)
        return whole, part

    def _count_of_those(
        self, found: re.Match[str], hidden: frozenset[tuple[str, str]]
    ) -> Translation:
        """ "How many accounts were opened in 1994, and how many of those are owned by
        women?": both counts, each written (and gated) as its own question, the second the
        first with one more condition."""
        lead, rest, cond = found.group("lead", "rest", "cond")
        whole, part = self._whole_and_part(
            # (joined by "and", never "that": "accounts that have a disponent that have a card"
            # would be the disponent's card)
            [f"{lead}how many {rest}", f"{lead}how many {rest} and {cond}"],
            hidden,
            "I could read the two counts of this question only as something else; ask for each "
            "on its own, or write the SQL",
            "I could not read the second count as some of the records the first counts; "
            "ask for each on its own, or write the SQL",
        )
        return Translation(
            f"SELECT ({whole.sql}) AS count, ({part.sql}) AS count_of_them",
            f"{whole.explanation}; of them, {cond}",
            notes=[*whole.notes, f"the second count = those of the first that {cond}"],
            words=[*part.words],
            filler=part.filler,
        )

    def _field_of(self, table: str, words: str) -> str | None:
        """The column of ``table`` a phrase names ("amount", "loan amount", "approved
        amount", "monthly payment"), trying it without its first words too."""
        parts = words.lower().split()
        for start in range(len(parts)):
            for meaning in self.layer.lexicon.get(" ".join(parts[start:]), []):
                if meaning.kind == "column" and meaning.table in (table, "*"):
                    info = self.layer.columns.get(f"{table}.{meaning.column}")
                    if info is not None and info.type == "number":
                        return meaning.column
        return None


def _quotient(asked: list[str], parts: list[Translation]) -> Translation:
    """The first figure over the second, titled "Ratio"."""
    return Translation(
        f"SELECT 1.0 * ({parts[0].sql}) / ({parts[1].sql}) AS ratio",
        f"Ratio: ({asked[0]}) / ({asked[1]})",
        notes=[*parts[0].notes, f"ratio = ({asked[0]}) / ({asked[1]})"],
        words=[*parts[0].words, *parts[1].words],
        filler=[*parts[0].filler],
    )


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


def _narrows(whole: str, part: str) -> bool:
    """Whether the count ``part`` is the count ``whole`` with more conditions: other SQL,
    the same records counted (not accounts out of districts), and every condition of the
    whole implied by the part's."""
    return (
        whole != part
        and _implied(_conditions(whole), _conditions(part))
        and from_table(sqlglot.parse_one(whole, read="sqlite"))
        == from_table(sqlglot.parse_one(part, read="sqlite"))
    )


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


def _count_per_group(translation: Translation, tree: Any) -> list[Any] | None:
    """The group columns of a count per group ("For each loan status, how many loans ...")
    shown first, the count last, ordered by the groups alone; else None."""
    if not isinstance(tree, exp.Select) or not tree.args.get("group") or translation.alternatives:
        return None
    *shown, counting = tree.expressions
    group = tree.args["group"].expressions
    order = tree.args.get("order")
    if (
        not shown
        or not isinstance(counting.unalias(), exp.Count)
        or not isinstance(counting.unalias().this, exp.Star)
        or tree.args.get("having")
        or tree.args.get("limit")
        or [e.unalias().sql() for e in shown] != [g.sql() for g in group]
        or (
            order is not None
            and [o.this.sql() for o in order.expressions] != [g.sql() for g in group]
        )
    ):
        return None
    return shown


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
    r"carries|own|owns|use|uses|came|come|comes|chose|choose|chosen|opted|picked|keep|keeps|"
    r"kept|bank|banks|banked)\b"
)


_SHARE = re.compile(
    r"^\s*(?:(?:what|which)\s+(?:is\s+the\s+|'s\s+the\s+)?|how\s+many\s+)?(?:percentage|"
    r"percent|share|proportion|fraction)\s+of\s+(?:the\s+|all\s+(?:the\s+)?)?(?P<rest>.+?)"
    r"\s*[?.]?\s*$",
    re.IGNORECASE,
)


_SHARE_OF = re.compile(
    r"^\s*(?:(?:of|among|out\s+of)\s+(?:the\s+|all\s+(?:the\s+)?)?(?P<whole>(?:[^,]|,(?=\d{3}))+),|"
    r"(?:the\s+)?(?P<said>[^,:]+):)\s*(?:what|which)\s+(?:percentage|percent|share|proportion|"
    rf"fraction)\s+(?:of\s+them\s+)?(?P<part>{_SHARE_VERB}.+?)\s*[?.]?\s*$",
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


# "highest first", "lowest share first", "worst region first": the order of the groups
_FIRST_SAID = re.compile(
    r",?\s*(?:with\s+)?(?:the\s+)?(?P<how>highest|largest|biggest|greatest|top|most|lowest|"
    r"smallest|least|fewest|worst|best)\s+(?:[\w-]+\s+)?first\b",
    re.IGNORECASE,
)


# "Rank the regions from the highest percentage to the lowest"
_FROM_TO = re.compile(
    r"[,;]?\s*(?:(?:ranked|sorted|ordered|listed)\s+)?from\s+(?:the\s+)?(?P<how>highest|largest|"
    r"biggest|greatest|most|lowest|smallest|least|fewest)\b[^.?]*?\bto\s+(?:the\s+)?(?:highest|"
    r"largest|biggest|greatest|most|lowest|smallest|least|fewest)\b(?:\s+(?:one|share|"
    r"percentage|percent))?",
    re.IGNORECASE,
)
# an order asked for, in any words
_RANK_SAID = re.compile(
    r"\b(?:rank(?:ed)?|sort(?:ed)?|ordered|in\s+(?:\w+\s+)?order\s+of)\b"
    r"(?!\s+(?:them\s+)?by\s+(?:the\s+)?(?:region|district|name)|\s+alphabetical)",
    re.IGNORECASE,
)


def _grouped_share(question: str) -> tuple[str, str, str | None] | None:
    """ "For each region, what percentage of the clients who live there are women?" ->
    ("region", "what percentage of the clients who live there are women", the order of the
    groups by their percentage: "DESC", "ASC", None, or "?" when an order is asked for
    without saying which end comes first)."""
    text = question.strip()
    first = _FIRST_SAID.search(text) or _FROM_TO.search(text)
    text = _FROM_TO.sub("", _FIRST_SAID.sub("", text))
    ranked = _RANK_SAID.search(text)
    text = re.sub(r"(?<=[?.])\s+\S.*$", "", text)  # "... Show the region and the percentage."
    found = _EACH_LEAD.match(text) or _EACH_TAIL.match(text)
    if found is None:
        return None
    order = None
    if first is not None:
        how = first.group("how").lower()
        if how in ("worst", "best"):
            raise NotUnderstood(
                f"I cannot tell whether {first.group(0).strip(' ,')} means the highest "
                "percentage first or the lowest; say which, or write the SQL"
            )
        order = "ASC" if how in ("lowest", "smallest", "least", "fewest") else "DESC"
    elif ranked is not None:
        order = "?"  # (an order asked for, but not which end comes first)
    return found.group("g").strip(), found.group("rest"), order


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


_SHARE_WORD = re.compile(r"\b(?:percent\w*|shares?|proportions?|%)", re.IGNORECASE)


# "the share of bad loans", "Percentage of accounts with weekly statements": a noun phrase,
# no verb
_SHARE_NP = re.compile(
    r"^\s*(?:(?:what|which)(?:\s+is|\s+was|'s)?\s+)?(?:the\s+)?(?:percentage|percent|share|"
    r"proportion|fraction)\s+of\s+(?:the\s+|all\s+(?:the\s+)?)?(?P<np>.+?)\s*[?.]?\s*$",
    re.IGNORECASE,
)


# "What share of ... ": a verb follows the records
_SHARE_ASKED = re.compile(
    r"^\s*(?:what|which)\s+(?:percentage|percent|share|proportion|fraction)\b", re.IGNORECASE
)


# the clause of a noun phrase that says which part of the records a share counts
_PART_CLAUSE = re.compile(r"\s+(?:that|which|who|whose|where)\s+(?=\S)", re.IGNORECASE)
_PART_WITH = re.compile(r"\s+(?:with|without)\s+(?=\S)", re.IGNORECASE)


# "Which region has the highest share of bad loans?", "... the lowest percentage of accounts
# with weekly statements, and what is it?"
_RANKED_SHARE = re.compile(
    r"\b(?:the\s+)?(?P<dir>highest|largest|biggest|greatest|lowest|smallest)\s+"
    r"(?:share|percentage|proportion|percent|fraction)\s+of\s+(?:the\s+|all\s+(?:the\s+)?)?"
    r"(?P<np>[^?,.;]+?)(?=\s*(?:[?,.;]|\s+and\s+(?:what|how|give|show)\b|$))",
    re.IGNORECASE,
)


# "In which branch region is the share of accounts with a disponent the highest?"
_IN_WHICH_SHARE = re.compile(
    r"^\s*in\s+which\s+(?P<g>.+?)\s+is\s+the\s+(?P<word>share|percentage|proportion)\s+of\s+"
    r"(?P<np>.+?)\s+(?:the\s+)?(?P<dir>highest|lowest)\b",
    re.IGNORECASE,
)


def _which_share(found: re.Match[str]) -> str:
    return f"Which {found['g']} has the {found['dir']} {found['word']} of {found['np']}"


# "Rank the regions by the share of bad loans, highest first"
_RANK_SHARE_WORDS = re.compile(
    r"^\s*rank\s+(?:the\s+|all\s+(?:the\s+)?)?(?:\w+\s+)??(?P<g>[\w' -]+?)\s+by\s+"
    r"(?:the\s+|their\s+)?(?P<word>share|percentage|proportion)\s+of\s+(?P<np>[^,?.]+)",
    re.IGNORECASE,
)


# "give every region with the percentage of loans booked at its branches that went bad"
_EVERY_GROUP_SHARE = re.compile(
    r"^\s*(?:please\s+)?(?:give|show|list)\s+(?:me\s+|us\s+)?(?:every|each|all\s+(?:the\s+)?)\s*"
    r"(?P<g>[\w' -]+?)\s+(?:with|and)\s+(?:the\s+|its\s+|their\s+)?(?P<word>percentage|share|"
    r"proportion)\s+of\s+(?P<np>[^?]+?)(?=,\s*(?:the\s+)?(?:highest|largest|biggest|lowest|"
    r"smallest)\b|[?.]|$)",
    re.IGNORECASE,
)


def _by_group_share(found: re.Match[str]) -> str:
    group = re.sub(r"(?:(?<=[cs]h)e|(?<=ss)e)?s$", "", re.sub(r"ies$", "y", found["g"]))
    return f"For each {group}, the {found['word']} of {found['np']}"


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
    if found:  # "Of all gold card holders, what share ...", "Gold card holders: what share ..."
        return (found.group("whole") or found.group("said")).strip(), found.group("part").strip()
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


# "How much more cash did men withdraw than women from ...", "How many more accounts use
# monthly than weekly statements at ...": a value, then another of the same field after "than"
_MORE_THAN_VALUE = re.compile(
    r"^(?P<lead>.*?)\b(?P<head>how\s+(?:many|much))\s+more\b(?P<body>.+?)\s+than\s+"
    r"(?:through\s+|at\s+|in\s+|for\s+|by\s+|to\s+)?(?P<b>[\w'-]+(?:\s+[\w'-]+)?)"
    r"(?P<rest>(?:\s+(?:from|at|in|on|during|for|through|branches|statements)\b[^?]*|,[^?]*)?)"
    r"\s*[?.]?\s*$",
    re.IGNORECASE,
)
_MORE_TERMS = re.compile(
    r"^(?P<lead>.*?)(?P<head>how\s+(?:many|much))\s+more\s+(?P<x>[\w'-]+(?:\s+[\w'-]+)?)\s+"
    r"than\s+(?P<y>[\w'-]+(?:\s+[\w'-]+)?)\s+(?P<rest>(?:live|lives|were|was|are|is|have|"
    r"has|hold|holds|received|got|took|own|owns|do|does|did)\b.*?)[?.]?\s*$",
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


# "How many loans were approved in 1997, and what is their total amount?", "the number of
# such loans and their total approved amount"
# "...? Give the number of such accounts and the percentage.": the part's count beside the
# percentage; any other figure asked after a percentage is asked back
_SHARE_AND_COUNT = re.compile(
    r"[?.]\s*(?:please\s+)?(?:give|show|list|return|tell)\s+(?:me\s+)?(?:both\s+)?(?:the\s+)?"
    r"(?P<first>number|count|percentage|share)(?:\s+of\s+(?:such|those|these|them)\b[\w ]*?)?"
    r"\s+(?:and|as\s+well\s+as)\s+(?:the\s+|their\s+)?(?:number|count|percentage|share)"
    r"(?:\s+of\s+(?:such|those|these|them)\b[\w ]*?)?\s*[?.]?\s*$",
    re.IGNORECASE,
)
# "how many women are there for every man": a ratio of two counts, not a count per group
_FOR_EVERY = re.compile(
    r"\bhow\s+many\b[^?.,;:]*\b(?:for|to)\s+every\s+(?:single\s+)?(?:man|woman|male|female|"
    r"owner|disponent|holder)\b",
    re.IGNORECASE,
)
# "How many accounts were opened in 1994, and how many of those are owned by women?"
_COUNT_OF_THOSE = re.compile(
    r"^(?P<lead>[^?]*?)\bhow\s+many\s+(?P<rest>[^?]+?),?\s+and\s+how\s+many\s+of\s+(?:them|"
    r"those|these)(?:\s+(?:accounts|clients|loans|cards|owners|holders|orders|transactions))?\s+"
    r"(?P<cond>(?:are|were|is|was|have|has|had|hold|held|live|lived|went|got|received|took)\b"
    r"[^?]+?)\s*[?.]?\s*$",
    re.IGNORECASE,
)
_COUNT_AND_SHARE = re.compile(
    r"^(?:[^,:?]*:\s*)?how\s+many\s+(?P<part>[^?]+?),?\s+and\s+what\s+(?:share|percentage|"
    r"proportion|fraction|percent)\s+(?:is\s+that\s+)?of\s+(?:all\s+(?:the\s+)?|the\s+)?"
    r"(?P<whole>[^?,]+?)\s+(?:is\s+that|does\s+that\s+(?:represent|make)|do\s+they\s+"
    r"(?:make\s+up|represent)|are\s+they|is\s+this|does\s+this\s+represent)\s*[?.]?\s*$",
    re.IGNORECASE,
)
_MONEY_WHOLE = re.compile(
    r"^\s*(?:the\s+|all\s+(?:the\s+)?)?(?:cash|money|amount|amounts|volume|value|sum|total|"
    r"funds|lending|credit\s+volume)\b",
    re.IGNORECASE,
)
_SECOND_FIGURE = re.compile(
    r"[?.;]\s*\w.*\b(?:number|count|how\s+many|total|average|sum)\b", re.IGNORECASE
)


# "Which regions have more than 500 clients?": groups kept by how many records they have
_GROUPS_KEPT = re.compile(
    r"^\s*(?:which|what|list|name|show(?:\s+me)?|give(?:\s+me)?)\s+(?:the\s+|all\s+(?:the\s+)?)?"
    r"(?P<group>[a-z][a-z ]*?)\s+(?:that\s+|which\s+)?(?:have|has|had|hold|held|with|counted|"
    r"recorded)\s+(?P<op>more\s+than|over|above|at\s+least|fewer\s+than|less\s+than|under|"
    r"below|at\s+most|no\s+more\s+than)\s+(?P<n>\d[\d,]*)\s+(?P<rest>[a-z](?:[^,?;:]|,(?=\d{3}))*?)"
    r"(?P<how>,?\s+and\s+how\s+many(?:\s+(?:each|of\s+them|do\s+they\s+have|are\s+there))?)?"
    r"\s*[?.]?\s*$",
    re.IGNORECASE,
)
_KEPT_OPS = {
    "more than": ">",
    "over": ">",
    "above": ">",
    "at least": ">=",
    "fewer than": "<",
    "less than": "<",
    "under": "<",
    "below": "<",
    "at most": "<=",
    "no more than": "<=",
}


_COUNT_AND = re.compile(
    r"^(?P<lead>.*?)\b(?:how\s+many|(?:give\s+(?:me\s+)?)?the\s+number\s+of)\s+(?P<rest>.+?)"
    r",?\s+and\s+(?:what\s+(?:is|was|are|were)\s+)?(?:their|the|its)\s+"
    r"(?P<agg>total|average|combined|overall|mean)(?:\s+(?P<what>[a-z][\w -]*?))?"
    r"(?:\s+of\s+(?:those|these|them|such)\b[\w ]*)?"
    r"(?P<post>,\s+(?:for|among|at|in|on|of|from)\s+[^?.]+?)?\s*[?.]?"
    r"(?:\s+(?:please\s+)?give\s+both\s+(?:figures|numbers)\.?)?\s*$",
    re.IGNORECASE,
)


# "per 1,000 inhabitants", "per thousand residents": a rate over the people living there
_PER_PEOPLE = re.compile(
    r",?\s*\bper\s+(?P<n>1,?000|(?:a\s+|one\s+|ten\s+)?thousand|10,?000|100,?000|"
    r"(?:a|one)\s+hundred\s+thousand)\s+(?:inhabitants|residents|people|population|citizens|"
    r"persons)\b",
    re.IGNORECASE,
)
# the rate asked for as a field ("Show the region and the rate"), and its words taken out of
# the question read without it
_RATE_ASKED = re.compile(r"\b(?:that|the|its|this)?\s*rates?\b(?!\s+first)", re.IGNORECASE)
_RATE_WORDS = (
    (re.compile(r"\b(highest|lowest)\s+rates?\s+first\b", re.IGNORECASE), r"\1 first"),
    (
        re.compile(
            r",?\s*(?:and\s+)?what\s+(?:was|is|were|are)\s+(?:that|the|its|their)\s+rates?\b",
            re.IGNORECASE,
        ),
        "",
    ),
    (
        re.compile(
            r"(?:\s*,\s*|\s+)(?:and\s+)?(?:that\s+|the\s+|its\s+|this\s+)?rates?\b", re.IGNORECASE
        ),
        "",
    ),
)


# a list of figures asked together: "the number of loans, their total amount and the average
# monthly payment", "the smallest and the largest amounts"
_FIGURE_WORD = (
    r"(?:average|mean|total|smallest|largest|lowest|highest|minimum|maximum|biggest|combined|"
    r"overall|number\s+of)"
)
_ONE_FIGURE = (
    # (not an order: "largest first", "the highest average first")
    r"(?!(?:the\s+)?(?:highest|largest|lowest|smallest|biggest|most|fewest)\b[^,?.;:]*?"
    r"\b(?:first|last)\b)"
    rf"(?:(?:the\s+|their\s+|its\s+)?{_FIGURE_WORD}|(?:their|its)\s+number)\b[^,?.;:]*?"
)
_FIGURE_LIST = re.compile(
    rf"(?P<list>{_ONE_FIGURE}(?:(?:\s*,\s*(?:and\s+)?|\s+and\s+){_ONE_FIGURE})+)"
    r"(?=\s*(?:[,?.;:]|$)|\s+(?:for|of|per|among|from|during|on|at|by|in(?!\s+(?:months|years|days)\b))\b)",
    re.IGNORECASE,
)
_FIGURE_SPLIT = re.compile(
    r"\s*,\s*(?:and\s+)?|\s+and\s+(?=(?:the\s+|their\s+|its\s+)?"
    rf"{_FIGURE_WORD}\b)",
    re.IGNORECASE,
)


def _figure_of(tree: Any) -> Any:
    """The one aggregate a query shows (beside the columns it groups by), else None."""
    grouped = {g.sql() for g in tree.args["group"].expressions} if tree.args.get("group") else set()
    figures = [e for e in tree.expressions if e.unalias().sql() not in grouped]
    if len(figures) != 1 or not any(True for _ in figures[0].find_all(exp.AggFunc)):
        return None
    return figures[0]


def _records_of(tree: Any) -> str:
    """What a query reads and groups by, without what it shows or how it orders."""
    bare = tree.copy()
    bare.set("expressions", [exp.Star()])
    bare.set("order", None)
    bare.set("limit", None)
    bare.set("distinct", None)
    return str(bare.sql(dialect="sqlite"))
