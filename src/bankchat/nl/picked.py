"""Questions about records picked out, and ages: the place with the highest figure found by
its own question and the rest asked of it, the record ranked second or third, an age as a
condition ("women aged 60 or older on 1998/1/1") or as the figure asked ("how old was ...",
"the average age of ... on ...")."""

from __future__ import annotations

import re

import sqlglot
from sqlglot import exp

from bankchat.nl.base import Item, NotUnderstood, Translation
from bankchat.nl.gate import check_confidence
from bankchat.nl.reader import written_dates
from bankchat.nl.semantic import SemanticLayer


class PickedQuestions:
    """Questions of the offline engine about records picked out and ages (a mixin:
    ``translate``, ``read`` and ``layer`` are the engine's)."""

    layer: SemanticLayer

    def translate(
        self, question: str, hidden: frozenset[tuple[str, str]] = frozenset()
    ) -> Translation:
        raise NotImplementedError

    def read(self, question: str) -> list[Item]:
        raise NotImplementedError

    def picked_question(
        self, question: str, hidden: frozenset[tuple[str, str]]
    ) -> Translation | None:
        """The answer to ``question`` when it asks about a record picked out or an age, else
        None."""
        nested = _NESTED.match(question.strip())
        if nested is not None:
            return self._nested(nested, hidden)
        fields = self._record_fields(question, hidden)
        if fields is not None:
            return fields
        which_and = _WHICH_AND.match(question.strip())
        if which_and is not None and _SUPERLATIVE.search(which_and.group("clause")):
            try:
                return self._which_and(which_and, hidden)
            except NotUnderstood:
                pass  # (read as one question instead)
        record = _PICKED_RECORD.match(question.strip())
        if record is not None and _SUPERLATIVE.search(record.group("head")):
            try:
                return self._picked_record(record.group("head"), record.group("rest"), hidden)
            except NotUnderstood:
                pass  # (read as one question instead: "The five largest orders: ids and amounts")
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
            return self._aged(_age_text(question), age, hidden)
        return None

    def _aged(
        self, question: str, age: re.Match[str], hidden: frozenset[tuple[str, str]]
    ) -> Translation:
        """ "Women aged 60 or older on 1998/1/1": the question without the age, then the
        age condition on the clients' birth dates (full years at that date, or at the date
        a loan was approved / an account opened / a card issued)."""
        rest = (question[: age.start()] + " " + question[age.end() :]).strip()
        base = self.translate(rest, hidden)
        tree = sqlglot.parse_one(base.sql, read="sqlite")
        # (only the outer query's own tables: a figure built of sub-queries is refused, but
        # for the records an average or a total is taken over, each once: "AVG(loan.amount)
        # ... WHERE loan.loan_id IN (SELECT loan.loan_id ... JOIN client ...)")
        target = tree
        where = tree.args.get("where") if isinstance(tree, exp.Select) else None
        if isinstance(where, exp.Where) and isinstance(where.this, exp.In):
            query = where.this.args.get("query")
            inner = query.this if isinstance(query, exp.Subquery) else query
            own = (
                {t.name for t in inner.find_all(exp.Table) if t.parent_select is inner}
                if isinstance(inner, exp.Select)
                else set()
            )
            if isinstance(inner, exp.Select) and "client" not in own and "disp" in own:
                # (the owners are there by their dispositions: their birth dates are one join on)
                inner.join("client", on="client.client_id = disp.client_id", copy=False)
                own.add("client")
            if isinstance(inner, exp.Select) and "client" in own:
                target = inner
        tables = {t.alias_or_name for t in target.find_all(exp.Table) if t.parent_select is target}
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
        if "client" not in tables or not isinstance(target, exp.Select) or base.alternatives:
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
        if age.group("n2"):  # "aged 30 to 39", "in their thirties"
            bounds = f"{years} >= {number} AND {years} <= {int(age.group('n2'))}"
            condition = sqlglot.parse_one(bounds, read="sqlite")
        else:
            condition = sqlglot.parse_one(f"{years} {op} {number}", read="sqlite")
        target.where(condition, copy=False)
        if target is tree and re.search(r"\bages?\b", rest, re.I) and "birth" not in rest.lower():
            # ("give client id, age, loan amount": the age at that date, where the birth date
            # the age was read as would stand)
            tree.set(
                "expressions",
                [
                    sqlglot.parse_one(years, read="sqlite").as_("age")
                    if e.unalias().sql() == "client.birth_date"
                    else e
                    for e in tree.expressions
                ],
            )
        sql = tree.sql(dialect="sqlite")
        check_confidence(self.read(rest), sql, layer=self.layer, question=rest)
        said = age.group(0).strip()
        return Translation(
            sql,
            f"{base.explanation}, {said}",
            notes=[*base.notes, f"age = full years at {moment.strip(chr(39))}: {said}"],
            words=[*base.words, (said, "an age condition on client.birth_date")],
            filler=base.filler,
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
        outer, sql = self._asked_of(
            outer_question, f"'{placeholder}'", f"({picked})", entity, hidden
        )
        ordinal = f"{found.group('rank')} " if found.group("rank") else ""
        note = (
            f"the {entity} = the one with the {ordinal}{found.group('sup')} {what} (its own "
            "query, inside this one)"
        )
        return Translation(
            sql,
            f"{outer.explanation}, in the {entity} with the {found.group('sup')} {what}",
            notes=[*outer.notes, note],
            words=[*inner.words, *(w for w in outer.words if w[0] != placeholder.lower())],
            filler=[*outer.filler],
        )

    def _record_fields(
        self, question: str, hidden: frozenset[tuple[str, str]]
    ) -> Translation | None:
        """ "When was account 42 opened, and which branch holds it?": each part asked of the
        one record the question names, the pronouns standing for it, each part's fields side
        by side. Every part must read one value per field of that one record (its own fields,
        or a record it belongs to); None when the question is not of this shape."""
        parts = _CLAUSES.split(question.strip().rstrip("?.! "))
        records = set(_RECORD_ID.findall(question.lower()))
        if len(parts) < 2 or len(records) != 1 or not _RECORD_ID.search(parts[0].lower()):
            return None
        if _SUPERLATIVE.search(question):
            return None  # ("the biggest withdrawal from account 2000, and when ...": of it)
        if not all(_ASKS.match(part) for part in parts):
            return None
        entity, key = records.pop()
        said = f"{entity} {key}"
        table = "trans" if entity == "transaction" else entity
        refusal = NotUnderstood(
            f"I could not read each part of the question as one value of {said}; ask each "
            "part on its own, or write the SQL"
        )
        columns: list[str] = []
        translations: list[Translation] = []
        for n, part in enumerate(parts):
            asked = part if n == 0 else _refer(part, said, entity)
            translation = self.translate(f"{asked}?", hidden)
            tree = sqlglot.parse_one(translation.sql, read="sqlite")
            if (
                not isinstance(tree, exp.Select)
                or translation.alternatives
                or tree.args.get("group")
                or tree.args.get("limit")
                or not self._one_row_of(tree, table, key)
            ):
                raise refusal
            tree.set("order", None)
            tree.set("distinct", None)
            for projection in tree.expressions:
                body = projection.unalias()
                if isinstance(body, exp.Max | exp.Min) and isinstance(body.this, exp.Column):
                    body = body.this  # (one record's date: the date itself)
                one = tree.copy()
                one.set("expressions", [body.copy()])
                name = projection.alias or (body.name if isinstance(body, exp.Column) else "")
                name = name or f"value_{len(columns) + 1}"
                while name in [c.rsplit(" AS ", 1)[-1] for c in columns]:
                    name = f"{name}_{len(columns) + 1}"
                columns.append(f"({one.sql(dialect='sqlite')}) AS {name}")
            translations.append(translation)
        return Translation(
            "SELECT " + ", ".join(columns),
            "; ".join(t.explanation for t in translations),
            notes=[
                f"each value shown is of {said}, read by a query of its own",
                *dict.fromkeys(n for t in translations for n in t.notes),
            ],
            words=[w for t in translations for w in t.words],
            filler=[f for t in translations for f in t.filler],
        )

    def _one_row_of(self, tree: exp.Select, table: str, key: str) -> bool:
        """Whether ``tree`` reads fields of one row: the record of ``table`` with that key
        and only records it belongs to (each join reaches a table by its own key); the
        latest or earliest of a field ("when was ...") is the field itself there."""
        if any(
            not isinstance(e.unalias(), exp.Max | exp.Min | exp.Column) for e in tree.expressions
        ):
            return False  # (a count or total is no field of the record)
        info = self.layer.tables.get(table)
        where = tree.args.get("where")
        if info is None or where is None:
            return False
        pinned = any(
            isinstance(t, exp.EQ)
            and isinstance(t.left, exp.Column)
            and t.left.table == table
            and t.left.name == info.key
            and t.right.sql() == key
            for t in where.find_all(exp.EQ)
        )
        source = tree.args.get("from_") or tree.args.get("from")
        joins = list(tree.args.get("joins") or [])
        tables = {j.this.name for j in joins} | (
            {source.this.name} if source is not None else set()
        )
        links = [
            (eq.left, eq.right)
            for j in joins
            for eq in (j.args["on"].find_all(exp.EQ) if j.args.get("on") is not None else [])
            if isinstance(eq.left, exp.Column) and isinstance(eq.right, exp.Column)
        ]
        # walk out from the pinned record: each table must be reached by its own key
        known = {table} & tables
        grew = True
        while grew:
            grew = False
            for left, right in links:
                for near, far in ((left, right), (right, left)):
                    if near.table in known and far.table not in known:
                        target = self.layer.tables.get(far.table)
                        if target is None or far.name != target.key:
                            return False  # (many records of it for the one pinned)
                        known.add(far.table)
                        grew = True
        return pinned and known == tables

    def _asked_of(
        self,
        question: str,
        stand_in: str,
        picked: str,
        entity: str,
        hidden: frozenset[tuple[str, str]],
    ) -> tuple[Translation, str]:
        """The rest of a question, asked of a stand-in for the record picked out: its
        translation, and its SQL with the stand-in (once, in one reading) replaced by the
        query that picks the record."""
        outer = self.translate(question, hidden)
        if outer.sql.count(stand_in) != 1 or outer.alternatives:
            raise NotUnderstood(
                f"I could not use the {entity} found this way in the rest of the question; ask "
                "in two steps, or write the SQL"
            )
        return outer, outer.sql.replace(stand_in, picked)

    def _picked_record(
        self, head: str, rest: str, hidden: frozenset[tuple[str, str]]
    ) -> Translation:
        """ "Take the largest loan approved in '97: who owns it?", "The branch district that
        granted the most loans in 1998: how many inhabitants does that district have?": the
        record is found by its own question ("which loan approved in '97 is the largest"),
        and the rest is asked of it, the record standing in for "it", "its" and "that loan".
        Several figures asked of it ("how many clients live there, and how many accounts are
        held at its branches?") are each asked of it, side by side."""
        parts = _CLAUSES.split(rest.strip().rstrip("?.! "))
        if len(parts) < 2 or not all(_ASKS.match(part) for part in parts):
            return self._picked(head, rest, hidden)[0]
        answers = [self._picked(head, f"{part}?", hidden)[0] for part in parts]
        for answer in answers:
            tree = sqlglot.parse_one(answer.sql, read="sqlite")
            if (
                not isinstance(tree, exp.Select)
                or len(tree.expressions) != 1
                or not isinstance(tree.expressions[0].unalias(), exp.AggFunc)
                or tree.args.get("group")
                or answer.alternatives
            ):
                raise NotUnderstood(
                    "I could read the figures asked of the record only as something else; ask "
                    "for each on its own, or write the SQL"
                )
        return Translation(
            "SELECT " + ", ".join(f"({a.sql}) AS figure_{n}" for n, a in enumerate(answers, 1)),
            "; ".join(a.explanation for a in answers),
            notes=list(dict.fromkeys(n for a in answers for n in a.notes)),
            words=list(dict.fromkeys(w for a in answers for w in a.words)),
            filler=list(dict.fromkeys(f for a in answers for f in a.filler)),
        )

    def _picked(
        self, head: str, rest: str, hidden: frozenset[tuple[str, str]]
    ) -> tuple[Translation, Translation]:
        """The answer to the rest asked of the record picked out, and the question that
        picks it out."""
        inner_question = _which_question(head)
        if inner_question is None:
            raise NotUnderstood(
                "I could not tell which record the first part picks out; ask for it first, or "
                "write the SQL"
            )
        inner = self.translate(inner_question, hidden)
        tree = sqlglot.parse_one(inner.sql, read="sqlite")
        shown = tree.expressions if isinstance(tree, exp.Select) else []
        column = shown[0].unalias() if len(shown) == 1 else None
        if (
            not re.search(r" LIMIT 1(?: OFFSET \d+)?$", inner.sql)
            or inner.alternatives
            or not isinstance(column, exp.Column)
        ):
            raise NotUnderstood(
                "I could not find the one record the first part picks out by itself; ask for "
                "it first, or write the SQL"
            )
        name = column.name
        if name in ("A2", "A3"):  # a place, by its name
            entity = "region" if name == "A3" else "district"
            literal = f"'{_PLACEHOLDERS[entity]}'"
            said = f"the {_PLACEHOLDERS[entity]} {entity}"
        else:  # a record, by its key
            table = next((t for t, info in self.layer.tables.items() if name == info.key), None)
            if table is None:
                raise NotUnderstood("I could not tell which record the first part picks out")
            entity = _RECORD_WORDS.get(table, table)
            literal = _STAND_IN
            said = f"{entity} {_STAND_IN}"
        if literal.strip("'").lower() in rest.lower():
            raise NotUnderstood("I could not read the rest of the question apart from the record")
        picked = f"(SELECT picked.{shown[0].alias_or_name} FROM ({inner.sql}) AS picked)"
        outer, sql = self._asked_of(_refer(rest, said, entity), literal, picked, entity, hidden)
        note = f"the {entity} is found first, by a query of its own: {inner_question}?"
        answer = Translation(
            sql,
            f"{outer.explanation}, of the {entity} {head.strip()}",
            notes=[*outer.notes, note],
            # (the stand-in, a number or a real place's name, is not a word the user said)
            words=[
                *inner.words,
                *(w for w in outer.words if literal.strip("'").lower() not in w[0]),
            ],
            filler=[*outer.filler],
        )
        return answer, inner

    def _which_and(self, found: re.Match[str], hidden: frozenset[tuple[str, str]]) -> Translation:
        """ "Which region has the lowest average salary, and how many clients live there?":
        the record picked out, by its name or key, beside the answer to the rest asked of it
        (as "The region with the lowest average salary: how many clients live there?")."""
        entity, verb, clause = found.group("entity", "verb", "clause")
        has = verb.lower() in ("has", "had", "have")
        head = f"the {entity} {'with' if has else 'that ' + verb} {clause}"
        # (what follows the question mark names what is shown: "Region and count.")
        rest = re.sub(r"\?\s+\S.*$", "?", found.group("rest"))
        answer, inner = self._picked(head, rest, hidden)
        name = sqlglot.parse_one(inner.sql, read="sqlite").expressions[0].alias_or_name
        asked = sqlglot.parse_one(answer.sql, read="sqlite")
        if not isinstance(asked, exp.Select) or asked.args.get("group"):
            raise NotUnderstood("I could not give the record and the rest asked of it together")
        if name in [e.alias_or_name for e in asked.expressions]:
            sql = answer.sql  # (the record's name is shown already)
        else:
            record = sqlglot.parse_one(
                f"(SELECT picked.{name} FROM ({inner.sql}) AS picked) AS {name}", read="sqlite"
            )
            asked.set("expressions", [record, *asked.expressions])
            sql = asked.sql(dialect="sqlite")
        return Translation(
            sql,
            f"The {entity} {clause}, and {answer.explanation}",
            notes=answer.notes,
            words=answer.words,
            filler=answer.filler,
        )

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
        if at:  # "gold cards that had been issued by then": by the age's date
            tail = _THEN.sub(lambda m: f"{_THEN_BOUNDS[m.group(1).lower()]} {at}", tail)
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
        averaged = bool(found.group("avg") or found.group("said"))
        figure = f"AVG({years}) AS average_age" if averaged else f"{years} AS age"
        age = sqlglot.parse_one(figure, read="sqlite")
        shown = [age]
        if not averaged and re.search(r"\bids?\b", question, re.IGNORECASE):
            # (ids asked beside each one's age stay, "give account id and age"; those the
            # birth dates' list added to identify each row go)
            shown = [age if e.sql() == "client.birth_date" else e for e in tree.expressions]
        tree.set("expressions", list({e.sql(): e for e in shown}.values()))
        tree.set("distinct", None)
        tree.set("order", None)
        if averaged and at and tables != {"client"}:
            # why: a join that repeats a client (one row per standing order of the account)
            # would count the client's age once per row; each client once, at one date
            people = tree.copy().select("client.client_id", append=False)
            tree = sqlglot.parse_one(
                f"SELECT {figure} FROM client WHERE client.client_id IN "
                f"({people.sql(dialect='sqlite')})",
                read="sqlite",
            )
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


_AGE = re.compile(
    r"\b(?:who\s+(?:were|was|are|is)\s+|(?:were|was|are|is)\s+)?"
    r"(?P<cmp>aged|over|under|older\s+than|younger\s+than|at\s+least|at\s+most)\s+"
    r"(?P<n>\d{1,3})(?:\s+to\s+(?P<n2>\d{1,3}))?"
    r"(?P<more>\s+or\s+(?:older|more|over|younger|less|under))?"
    r"(?:\s+years?(?:\s+old)?)?\s+"
    r"(?:(?:on|at|as\s+of)\s+(?P<date>\d{4}-\d{2}-\d{2})|"
    r"(?:when|on\s+the\s+(?:day|date))\s+(?:that\s+)?(?:the|their|his|her|its|that)?\s*"
    r"(?P<event>loan|account|card)\s+"
    r"was\s+(?:approved|granted|opened|issued)(?:\s+to\s+(?:them|him|her))?)",
    re.IGNORECASE,
)


# "the average age (in full years) of ... on 1997-01-01", "how old was ... when the account
# was opened", "the average age at approval"
_AGE_FIGURE = re.compile(
    r"(?:\b(?P<avg>average|mean)\s+age|(?:\b(?P<said>on\s+average),?\s+)?\bhow\s+old\s+"
    r"(?:was|were|is|are))\b"
    r"(?:,?\s+in\s+(?:full\s+|whole\s+|completed\s+)?years)?"
    r"(?:,?\s+(?:on|at|as\s+of)\s+(?P<date>\d{4}-\d{2}-\d{2})"
    r"|\s+at\s+(?P<at>approval|opening|issue))?"
    r",?",
    re.IGNORECASE,
)


_AGE_WHEN = re.compile(
    r"\s*,?\s*(?:when|on\s+the\s+(?:day|date))\s+(?:that\s+)?(?:the|their|his|her|its|that)\s+"
    r"(?P<event>loan|account|card)\s+was\s+(?:approved|granted|opened|issued)"
    r"(?:\s+to\s+(?:them|him|her))?\b",
    re.IGNORECASE,
)


_AT_EVENT = {"approval": "loan", "opening": "account", "issue": "card"}

_THEN = re.compile(r"\b(by|before)\s+(?:then|that\s+(?:date|day|time))\b", re.IGNORECASE)
_THEN_BOUNDS = {"by": "on or before", "before": "before"}


_AGE_AT = re.compile(r",?\s*\b(?:on|as\s+of|at)\s+(\d{4}-\d{2}-\d{2})\b", re.IGNORECASE)


def _age_text(question: str) -> str:
    """The question with its dates as ISO dates, "the end of 1998" as its last day."""
    text = re.sub(r"\bat\s+the\s+end\s+of\s+(\d{4})\b", r"on \1-12-31", question, flags=re.I)
    # ("had a card by the end of 1998": on or before that day, not on it)
    text = re.sub(r"\bby\s+the\s+end\s+of\s+(\d{4})\b", r"by \1-12-31", text, flags=re.I)
    # "who were already 18 or older": the age alone
    text = re.sub(r"\b(were|was|are|is)\s+already\b", r"\1", text, flags=re.I)
    text = re.sub(
        r"\b(?:at\s+)?the\s+(?:start|beginning)\s+of\s+(\d{4})\b",
        r"on \1-01-01",
        text,
        flags=re.I,
    )
    # "who were 60 or older", "in their thirties", "aged between 30 and 39"
    for said, bound in (("older|over|more", "at least"), ("younger|under|less", "at most")):
        text = re.sub(
            rf"\b(were|was|are|is|be)\s+(\d{{1,3}})\s+or\s+(?:{said})\b",
            rf"\1 {bound} \2",
            text,
            flags=re.I,
        )
    text = re.sub(
        r"\bin\s+(?:their|his|her)\s+(twenties|thirties|forties|fifties|sixties|seventies|"
        r"eighties)\b(?:\s*,?\s*\(?\d{1,3}\s+to\s+\d{1,3}(?:\s+full)?(?:\s+years)?(?:\s+old)?\)?,?)?",
        lambda m: f"aged {_DECADES[m.group(1).lower()]} to {_DECADES[m.group(1).lower()] + 9}",
        text,
        flags=re.I,
    )
    text = re.sub(
        r"\baged\s+between\s+(\d{1,3})\s+and\s+(\d{1,3})\b", r"aged \1 to \2", text, flags=re.I
    )
    text = re.sub(
        r"\bon\s+the\s+(issue|approval|opening)\s+date\b",
        lambda m: {
            "issue": "when the card was issued",
            "approval": "when the loan was approved",
            "opening": "when the account was opened",
        }[m.group(1).lower()],
        text,
        flags=re.I,
    )
    if re.search(r"\b(?:old|age|aged|older|younger)\b", text, re.I):
        # "how old was the owner, in full years, on ...": an age is in full years anyway
        text = re.sub(r",?\s*in\s+(?:full|whole|completed)\s+years\b,?", "", text, flags=re.I)
        text = re.sub(r"\b(\d{1,3})\s+full\s+years\b", r"\1", text, flags=re.I)
    # "on the day they opened it": when the account was opened
    text = re.sub(
        r"\b(when|on\s+the\s+day)\s+(?:that\s+)?(?:they|he|she)\s+opened\s+"
        r"(?:it|the\s+account|their\s+account|his\s+account|her\s+account)\b",
        r"\1 the account was opened",
        text,
        flags=re.I,
    )
    return _iso_dates(text)


_DECADES = {
    "twenties": 20,
    "thirties": 30,
    "forties": 40,
    "fifties": 50,
    "sixties": 60,
    "seventies": 70,
    "eighties": 80,
}

_EVENT_DATES = {
    "loan": ("loan", "date"),
    "account": ("account", "date"),
    "card": ("card", "issued"),
}


def _age_phrase(question: str) -> re.Match[str] | None:
    """An age at a date in the question (dates written any way are made ISO first)."""
    return _AGE.search(_age_text(question))


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


# "<a record picked out by a superlative>: <what is asked of it>"
# "Which region has the lowest average salary, and how many clients live there?"
_WHICH_AND = re.compile(
    r"^\s*(?:which|what)\s+(?P<entity>region|district|account|client|loan|card)\s+"
    r"(?P<verb>has|had|have|saw|recorded|received|made|took|granted|opened|issued)\s+"
    r"(?P<clause>[^,?]+?),?\s+and\s+(?P<rest>(?:how|what|which|when|who|where)\b.+)$",
    re.IGNORECASE,
)
# one record named by its id: "client 42", "account number 310", "loan #5000"
_RECORD_ID = re.compile(
    r"\b(client|account|loan|card|district|transaction)\s+(?:number\s+|no\.?\s*|#\s*|"
    r"id\s+)?(\d+)\b"
)
# the parts of a question that asks several things: "When was ..., and which branch ...?"
_CLAUSES = re.compile(
    r"\s*(?:,\s*(?:and\s+)?|\s+and\s+)(?=(?:what|what's|when|which|where|how|who|whose)\b)",
    re.IGNORECASE,
)
_ASKS = re.compile(r"^\s*(?:what|what's|when|which|where|how|who|whose)\b", re.IGNORECASE)
_PICKED_RECORD = re.compile(r"^(?P<head>[^:?]+?)\s*:\s*(?P<rest>\S.*)$")
_SUPERLATIVE = re.compile(
    r"\b(?:highest|lowest|largest|smallest|biggest|most|fewest|greatest|oldest|youngest|"
    r"earliest|latest|first|last|longest|shortest)\b",
    re.IGNORECASE,
)
# an id no record has, standing for the one picked out while the rest is read
_STAND_IN = "987654321"
_RECORD_WORDS = {"order": "standing order", "trans": "transaction"}


def _which_question(head: str) -> str | None:
    """The question that finds the record ``head`` describes: "Take the largest loan
    approved in '97" -> "which is the largest loan approved in '97"; "Of all the loans
    approved in '95, take the one with the highest instalment" -> "which of the loans
    approved in '95 has the highest instalment"; "The account that took out the largest loan"
    -> "which account took out the largest loan"."""
    text = re.sub(r"^\s*(?:take|consider|look at|pick|for)\s+", "", head.strip(), flags=re.I)
    text = text[:1].lower() + text[1:]
    among = re.match(
        r"(?:of|among|out of)\s+(?:all\s+)?(?:the\s+|our\s+)?(?P<set>[^,]+),\s*(?:take|"
        r"consider|pick)?\s*the\s+one\s+(?:with|that\s+has|which\s+has)\s+(?P<sup>.+)$",
        text,
        re.I,
    )
    if among is not None:
        return f"which of the {among.group('set')} has {among.group('sup')}"
    youngest = re.match(
        r"(?:of|among|out of)\s+(?:all\s+)?(?:the\s+|our\s+)?(?P<set>[^,]+),\s*(?:take|"
        r"consider|pick)?\s*the\s+(?P<sup>\w+)(?:\s+one)?$",
        text,
        re.I,
    )
    if youngest is not None and _SUPERLATIVE.fullmatch(youngest.group("sup")):
        return f"which of the {youngest.group('set')} is the {youngest.group('sup')}"
    who = re.match(r"the\s+(?P<what>[^,]+?)\s+(?:that|which|who)\s+(?P<does>.+)$", text, re.I)
    if who is not None:
        return f"which {who.group('what')} {who.group('does')}"
    having = re.match(r"the\s+(?P<what>[^,]+?)\s+(?:with|behind)\s+(?P<sup>the\s+.+)$", text, re.I)
    if having is not None and _SUPERLATIVE.search(having.group("sup")):
        return f"which {having.group('what')} has {having.group('sup')}"
    if re.match(r"(?:the|our)\s+\S", text, re.I) and _SUPERLATIVE.search(text):
        return f"which is {text}"
    return None


def _refer(rest: str, said: str, entity: str) -> str:
    """The rest of the question with the record picked out named where it is referred to:
    "that loan", "this district", "it", "its"."""
    words = re.escape(entity)
    rest = re.sub(rf"\b(?:that|this|the\s+same)\s+{words}\b", said, rest, flags=re.I)
    if entity in ("region", "district"):
        # "how many clients live there", "loans granted at its branches": in that place
        rest = re.sub(
            r"\b(?:at|in|of)\s+(?:its|their)\s+(branch(?:es)?)\b",
            rf"at \1 in {said}",
            rest,
            flags=re.I,
        )
        rest = re.sub(r"\bthere\b", f"in {said}", rest, flags=re.I)
    # ("its owner" reads best as "the owner of loan N": a possessive owner reads as a place)
    rest = re.sub(
        r"\b(?:its|their|his|her)\s+(owner|holder|account|branch|card|loan)\b(?!')",
        rf"the \1 of {said}",
        rest,
        flags=re.I,
    )
    rest = re.sub(r"\b(?:its|their|his|her)\b", f"{said}'s", rest, flags=re.I)
    return re.sub(r"\b(?:it|he|she|they)\b", said, rest, flags=re.I)


# a real name to stand for the place while the rest of the question is read
_PLACEHOLDERS = {"region": "Prague", "district": "Benesov", "branch": "Benesov"}


def _iso_dates(question: str) -> str:
    """The question with its dates written as ISO dates (the reader's own reading)."""
    return written_dates(question.lower())
