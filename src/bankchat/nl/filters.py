"""The conditions of a question: values, places, ids, comparisons, date ranges, related records.

Each condition goes into the WHERE clause with a phrase for the explanation, and the table
it reads joins the query. A place filters the district of the nearest records named
before it; a date filters the nearest date column (or, for a figure kept per year, picks that
year's column); "with"/"without" another kind of record becomes an EXISTS.
"""

from __future__ import annotations

import re
from typing import Any

from bankchat.nl.base import (
    Item,
    NotUnderstood,
    column_sql,
    literal,
    place_cue,
    quote,
    table_of,
)
from bankchat.nl.query import Query
from bankchat.nl.reader import number_words
from bankchat.nl.vocabulary import NUMBER_WORDS

# whose district a place names, by the table it is said of
_SIDES = {
    "client": "client",
    "card": "client",
    "disp": "client",
    "district": "district",
    "account": "account",
    "loan": "account",
    "trans": "account",
    "order": "account",
}

# a verb right before a place that says whose place it is ("living in", "branches in")
_HOME_VERB = r"(?:liv(?:e|es|ing|ed)|resid(?:e|es|ing|ent|ents))"
_BRANCH_VERB = r"(?:branch(?:es)?|held|opened|managed)"


class Filters(Query):
    """Adds the question's conditions to the query."""

    def _take(self, item: Item, near: int) -> None:
        """Mark a named column as the one a filter at ``near`` applies to. Named far from the
        filter in a list of fields ("show the date, operation and amount of the transactions
        ... in 1998"), it is also a field asked for, and stays shown."""
        item.used = True
        at = self.items.index(item)
        if (abs(near - at) > 2 or at > near) and self._in_field_list(at):
            self.also_shown.append(item)

    def _average_of_all(self, at: int) -> None:
        """An average compared with is taken over all records; one said of some ("the average
        repayment of all 60-month loans", "... of the region") is refused, not widened."""
        scope = self.items[at] if at < len(self.items) else None
        if scope is not None and scope.kind == "in" and scope.text in ("of", "in", "for", "among"):
            raise NotUnderstood(
                f"I can compare only with the average over all records, not {scope.text} some "
                "of them; ask for that average first, or write the SQL"
            )

    def _in_field_list(self, at: int) -> bool:
        items = self.items
        before = items[at - 1] if at > 0 else None
        if before is not None and (before.kind == "list" or before.text == "with"):
            return True
        for step in (-1, 1):
            k = at + step
            if 0 <= k < len(items) and items[k].kind == "and":
                k += step
            if 0 <= k < len(items) and (
                self.column(items[k]) is not None or items[k].kind == "id_word"
            ):
                return True  # (a field beside it: "the client id and birth date")
        return False

    def _date_column(self, base: str, near: int) -> str:
        for item in list(reversed(self.items[:near])) + self.items[near : near + 3]:
            column = self.column(item)
            if column is not None and self.ctype(column) == "date" and item not in self.dated:
                # (each named date takes one period: "women born before 1930 ... during
                # 1998" dates the payments, not the births twice)
                self._take(item, near)
                self.dated.append(item)
                return column
        # why: a date with no date column named applies to the records counted or summed
        # (their own event date), else to the nearest thing named before it ("women who
        # received a pension credit in 1998": the credit's date, not the account's)
        own = self.layer.tables[base].date
        if own is not None and own != "birth_date":
            if self.layer.tables[base].measure is None:
                # why: records without amounts (accounts) are listed by what happened to
                # them: "accounts that received a pension payment in 1998" is the payment's
                # year, "accounts that took out a loan in 1997" the loan's (their opening is
                # named when meant: "opened in 1997")
                for item in reversed(self.items[:near]):
                    table = _item_table(item)
                    if table not in (None, base):
                        info = self.layer.tables[table]
                        if info.measure is not None and info.date is not None:
                            return f"{table}.{info.date}"
            return f"{base}.{own}"
        for item in reversed(self.items[:near]):
            table = _item_table(item)
            # (a client's only date is the birth date, which a period means only when "born"
            # or "birth" is said, and then that column is named)
            if table is not None and self.layer.tables[table].date not in (None, "birth_date"):
                return f"{table}.{self.layer.tables[table].date}"
        info = self.layer.tables[base]
        if info.date:
            return f"{base}.{info.date}"
        for table in self._tables_in_play():
            if self.layer.tables[table].date:
                return f"{table}.{self.layer.tables[table].date}"
        return "@year"  # no date to filter: a year-specific column may take the year

    def _numeric_column(self, near: int) -> str:
        unit = self.items[near + 2] if near + 2 < len(self.items) else None
        if (
            unit is not None
            and self.items[near + 1].kind == "number"
            and (column := self.column(unit)) is not None
            and self.ctype(column) == "number"
            # (said right after the number: not "loans of 25,000 or less had a term of ...")
            and self._number_of(self.items[near + 1], unit)
        ):
            # "districts with more than 150,000 inhabitants": the figure said after the number
            unit.used = True
            return column
        for item in reversed(self.items[:near]):
            column = self.column(item)
            if column is not None and self.ctype(column) == "number":
                self._take(item, near)
                return column
            table = table_of(item)
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
                nxt = items[n + 1] if n + 1 < len(items) else None
                valued = {m.qualified for m in item.meanings if m.kind != "table"}
                if item.used and nxt is not None and not nxt.used and self.column(nxt) in valued:
                    nxt.used = True  # "the East Bohemia region": the value's own noun
            elif item.kind == "id":
                table, value = item.payload
                info = self.layer.tables[table]
                self._add_condition(
                    f"{quote(table)}.{info.key} = {value}",
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
                value = literal(meaning.values[0])
                # "outside the Prague region", "excluding Kolin": every place but that one
                outside = self._outside(item)
                op, said = ("<>", "not in ") if outside else ("=", "")
                if not outside and self._place_or(item, meaning, anchor):
                    item.used = True
                    return
                if not outside:
                    self.place_conditions[(anchor, meaning.column)] = (
                        len(self.conditions),
                        [meaning.values[0]],
                    )
                if anchor == "district":
                    self._add_condition(
                        f"district.{meaning.column} {op} {value}",
                        f"{said}{meaning.values[0]}",
                        "district.A2",
                    )
                else:
                    self._add_condition(
                        f"{anchor}.district_id {'NOT IN' if outside else 'IN'} (SELECT "
                        f"district_id FROM district WHERE {meaning.column} = {value})",
                        f"{anchor} {said or 'in '}{meaning.values[0]}",
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
        either = self._after_or(item)
        closed = self.value_closed.setdefault(column, [])
        if earlier is not None and either:
            # "finished unpaid or running in debt": the values said so far are one choice,
            # and what follows "or" another
            index, chosen = earlier
            closed.extend(v for v in chosen if v not in closed)
            chosen[:] = list(meaning.values)
            either_of = sorted(set(closed) | set(chosen))
            self.conditions[index] = (
                f"{quote(table)}.{meaning.column} IN ({', '.join(map(literal, either_of))})"
            )
            return
        if earlier is not None:
            index, chosen = earlier
            narrower = set(meaning.values)
            if narrower <= set(chosen) or set(chosen) <= narrower:
                # "running ... in debt": the more specific of the two
                keep = sorted(narrower & set(chosen))
                chosen[:] = keep
                either_of = sorted(set(closed) | set(keep))
                self.conditions[index] = (
                    f"{quote(table)}.{meaning.column} IN ({', '.join(map(literal, either_of))})"
                )
                return
            if closed:
                raise NotUnderstood(
                    'I could not tell which values this question\'s "or" chooses between; ask '
                    "for each in its own question, or write the SQL"
                )
            # "owners and disponents", "female and male": both values, one group each
            chosen.extend(v for v in meaning.values if v not in chosen)
            self.conditions[index] = (
                f"{quote(table)}.{meaning.column} IN ({', '.join(map(literal, chosen))})"
            )
            self.split_by.append(column)
            return
        if len(meaning.values) == 1:
            sql = f"{quote(table)}.{meaning.column} = {literal(meaning.values[0])}"
        else:
            sql = f"{quote(table)}.{meaning.column} IN ({', '.join(map(literal, meaning.values))})"
        self.value_conditions[column] = (len(self.conditions), list(meaning.values))
        self._add_condition(sql, item.text, column)

    def _home_and_branch(self, item: Item) -> None:
        """ "owners living in a different district from their account's branch": where the
        client lives compared with the district (or region) of the branch holding the
        account."""
        op, level = item.payload.split()
        if level == "district":
            sql = f"client.district_id {op} account.district_id"
        else:
            sql = (
                "(SELECT home.A3 FROM district AS home WHERE home.district_id = "
                f"client.district_id) {op} (SELECT branch.A3 FROM district AS branch WHERE "
                "branch.district_id = account.district_id)"
            )
        where = "outside" if op == "<>" else "in"
        self.conditions.append(sql)
        self.explain.append(f"the client living {where} the {level} of the account's branch")
        self.tables.update(("client", "account"))
        item.used = True

    def _after_a_field(self, n: int) -> bool:
        """Whether the item at ``n`` follows a field named in a list ("the birth date and
        home district", "its loan id, the branch district"): a column or a record's id, then
        "and" or a comma."""
        before = self.items[n - 1]
        if before.kind == "and":
            if n < 2:
                return False
            before = self.items[n - 2]
        elif not re.search(
            rf"\b(?:id|ids|{re.escape(before.text)})\s*,\s*(?:the\s+|its\s+|their\s+)?"
            rf"{re.escape(self.items[n].text)}\b",
            self.question.lower(),
        ):
            return False
        # (a record's id in a list after a colon: "...: loan id, branch district, amount")
        listed = re.search(rf":[^:]*\b{re.escape(self.items[n].text)}\b", self.question.lower())
        return self.column(before) is not None or (
            before.kind == "id_word" and (before.used or bool(listed))
        )

    def _names_a_yearly_figure(self, n: int) -> bool:
        """Whether a figure kept once per year (unemployment, crimes) is named just before
        the year at ``n``, or just after it ("where 1995 unemployment exceeded 3%")."""
        yearly = {c for years in self.layer.year_columns.values() for c in years.values()}
        after = [i for i in self.items[n + 1 : n + 3] if i.kind != "stop"][:1]
        return any(self.column(i) in yearly for i in [*self.items[max(0, n - 4) : n], *after])

    def _use_year(self, date_item: Item) -> None:
        """ "crimes in 1995": pick the column holding that year's figure."""
        year = str(date_item.payload) if date_item.kind == "yearnum" else ""
        if not any(year in years for years in self.layer.year_columns.values()):
            raise NotUnderstood(f"{self.base} records have no date to filter by {date_item.text}")
        self.year_hint = year
        date_item.used = True

    def _place_anchor(self, item: Item) -> str:
        """Whose district a place name filters: the nearest table named before it.

        "clients in Prague" is where clients live; "loans of accounts held in Prague" is
        the accounts' branch. Loans, transactions and orders are placed by their account,
        cards and dispositions by their client.
        """
        at = self.items.index(item)
        candidates = [table_of(i) for i in reversed(self.items[:at])]
        candidates += [self.base]
        chosen = "district"
        for table in candidates:
            side = _SIDES.get(table or "")
            if side is not None:
                chosen = side
                break
        tables = {table_of(i) for i in self.items} | {self.base}
        sides = {_SIDES.get(t or "") for t in tables} - {None, "district"}
        # "clients living in Kolin who hold an account at a branch in Prague": the verb right
        # before a place says whose place it is, whatever the rest of the question says
        local = self._place_verb(item)
        if (
            self.anchor is None
            and local is not None
            and local in sides
            and (chosen != "district" or _SIDES.get(self.base) not in (local, "district"))
        ):
            return local
        if chosen == "district":
            return chosen
        # why: a question about clients and accounts ("clients with loans in Prague") can mean
        # where the clients live or where the accounts are held; a verb that says which
        # ("living", "held") decides, otherwise both readings are offered
        cue = place_cue(self.question)
        if self.anchor in ("client", "account"):
            return self.anchor
        if cue is not None:
            return cue
        if sides == {"client", "account"}:
            self.ambiguous_place = (chosen, "client" if chosen == "account" else "account")
        return chosen

    def _place_verb(self, item: Item) -> str | None:
        """ "living in Kolin" -> "client", "a branch in Prague" -> "account", else None."""
        place = r"[\s.-]+".join(re.escape(word) for word in item.text.split())
        text = self.question.lower()
        # (the same place said twice: this item's own occurrence)
        nth = [i for i in self.items if i.text == item.text].index(item)
        found = list(re.finditer(rf"\b{place}\b", text))
        if nth >= len(found):
            return None
        before = text[: found[nth].start()]
        for side, verb in (("client", _HOME_VERB), ("account", _BRANCH_VERB)):
            if re.search(
                rf"\b{verb}\s+(?:in|at|outside(?:\s+of)?)\s+(?:the\s+)?['\"\u2018\u201c]?$", before
            ):
                return side
        return None

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
                f"{column_sql(column)} {sql_op} '{bound}'", f"{column} {op} {nxt.text}", column
            )
            nxt.used = True
            return n + 2
        averaged = self.column(nxt) if nxt is not None else None
        if (
            nxt is not None
            and averaged is not None
            and nxt.text.startswith(("average ", "mean "))
            and self.ctype(averaged) == "number"
        ):
            # "a salary below the average salary": the phrase names the figure and its average
            self._average_of_all(n + 2)
            nxt.used = True
            self._figure_said_before(n, averaged)  # "an average salary above the average salary"
            figure, mean = self._average_of(averaged)
            self._add_condition(f"{figure} {op} {mean}", f"{averaged} {op} its average", averaged)
            return n + 2
        if nxt is not None and nxt.kind == "agg" and nxt.payload == "avg":
            # "a salary above the average": against the average over all records
            following = self._item(n + 2)
            named = self.column(following) if following is not None else None
            self._average_of_all(n + 3 if named is not None else n + 2)
            column = named or self._numeric_column(n)
            if column is None or column.startswith("*"):
                raise NotUnderstood("I could not tell which figure is compared with the average")
            nxt.used = True
            if named is not None and following is not None:
                following.used = True  # "above the average salary"
            self._figure_said_before(n, column)  # "a payment higher than the average payment"
            figure, mean = self._average_of(column)
            self._add_condition(f"{figure} {op} {mean}", f"{column} {op} its average", column)
            return n + 3 if named is not None else n + 2
        if nxt is None or nxt.kind != "number":
            if self.items[n].text in ("over", "under", "above", "below"):
                return n + 1  # a preposition here: "over all districts"
            raise NotUnderstood(f"'{self.items[n].text}' needs a number after it")
        beyond, average = self._item(n + 2), self._item(n + 3)
        if (
            beyond is not None
            and beyond.kind == "cmp"
            and beyond.payload in (">", "<")
            and average is not None
            and (
                (average.kind == "agg" and average.payload == "avg")
                or (average.text.startswith(("average ", "mean ")) and self.column(average))
            )
        ):
            return self._beyond_average(n, op, nxt, beyond)
        counted = self._count_condition(n, op, nxt)
        if counted:
            return counted
        records = self._item(n + 2)
        if records is not None and table_of(records) is not None and self._number_of(nxt, records):
            # "among districts that granted at least ten loans, which has the most bad loans":
            # a count of the records the question counts anyway, never one of their amounts
            raise NotUnderstood(
                f"I cannot yet keep only the groups with {self.items[n].text} {nxt.text} "
                f"{records.text}; ask for the count of each group, or write the SQL"
            )
        column = self._numeric_column(n)
        nxt.used = True
        self._in_months(n + 2, column)  # "a term of more than 36 months"
        self._add_condition(
            f"{column_sql(column, self.layer)} {op} {nxt.payload}",
            f"{column} {op} {nxt.payload}",
            column,
        )
        return n + 2

    def _item(self, at: int) -> Item | None:
        return self.items[at] if at < len(self.items) else None

    def _figure_said_before(self, n: int, column: str) -> None:
        """The figure said just before a comparison with its average is the one compared
        ("a payment higher than the average payment"): read, not left over."""
        before = self.items[n - 1] if n > 0 else None
        if before is not None and self.column(before) == column and not before.used:
            before.used = True

    def _average_of(self, column: str) -> tuple[str, str]:
        """A figure in SQL, and its average over all records as a sub-query."""
        figure = column_sql(column, self.layer)
        return figure, f"(SELECT AVG({figure}) FROM {quote(column.split('.')[0])})"

    def _beyond_average(self, n: int, op: str, number: Item, beyond: Item) -> int:
        """ "an instalment more than CZK 5,000 above the average instalment": the figure
        against the average over all records moved by the amount (it had been read as two
        conditions, more than 5,000 and above the average). Returns the index after it."""
        if op not in (">", ">="):
            raise NotUnderstood(
                f"I can compare with an amount {beyond.text} the average only as more than or "
                "at least that far from it; ask for the average first, or write the SQL"
            )
        average = self.items[n + 3]
        # ("below the average salary": the phrase names the figure and its average)
        following = average if average.kind != "agg" else self._item(n + 4)
        named = self.column(following) if following is not None else None
        after = n + 4 if average.kind != "agg" or named is None else n + 5
        self._average_of_all(after)
        column = named or self._numeric_column(n)
        if self.ctype(column) != "number":
            raise NotUnderstood("I could not tell which figure is compared with the average")
        for item in self.items[n : n + 4]:
            item.used = True
        if named is not None and following is not None:
            following.used = True
        self._figure_said_before(n, column)
        above = beyond.payload == ">"
        final = op if above else {">": "<", ">=": "<="}[op]
        figure, mean = self._average_of(column)
        sign = "+" if above else "-"
        if re.search(
            rf"(?<![\d.,]){number.payload}\s*(?:%|percent\b|per\s*cent\b)", self.question.lower()
        ):
            # "at least 10% above the average": the average times (100 + 10) / 100
            bound = f"{mean} * (100 {sign} {number.payload}) / 100.0"
            said = f"its average {sign} {number.payload}%"
        else:
            bound = f"{mean} {sign} {number.payload}"
            said = f"its average {sign} {number.payload}"
        self._add_condition(f"{figure} {final} {bound}", f"{column} {final} {said}", column)
        return after

    def _count_condition(self, n: int, op: str, number: Item) -> int:
        """ "accounts with more than 5 standing orders", "owners with orders to at least five
        different banks": how many related records (or different values) each record has,
        counted in a query of its own. Returns the index after the phrase, or 0 when the
        number is not followed by the records counted."""
        at = n + 2
        distinct = at < len(self.items) and self.items[at].kind == "distinct"
        counted = self.items[at + distinct] if at + distinct < len(self.items) else None
        if counted is None or counted.kind != "meaning":
            return 0
        table = table_of(counted)
        column = None if table is not None else self.column(counted)
        if column is not None and (not distinct or self.ctype(column) == "number"):
            return 0  # "more than 5 amount": an amount, not a count
        if column is not None:
            table = column.split(".")[0]
        if table is None or table == self.base or not self.base:
            return 0
        if not self._number_of(number, counted):
            return 0  # "loans over 300,000 where the client ...": an amount, then records
        later = [i for i in self.items[at + distinct + 1 :] if i.kind == "meaning"][:1]
        after = self.items[at + distinct + 1 : at + distinct + 3]
        kinds = [i.kind for i in after]
        if (
            (later and table in {m.table for m in later[0].meanings if m.kind != "table"})
            or kinds[:1] in (["cmp"], ["between"], ["datecmp"], ["yearnum"], ["date"])
            or (kinds[:1] == ["in"] and kinds[1:2] in (["yearnum"], ["date"]))
        ):
            # "more than 5 standing orders for insurance": the count of some of them
            raise NotUnderstood(
                f"I can count all of a record's {counted.text}, not only some of them; ask "
                "for that count per record, or write the SQL"
            )
        what = f"DISTINCT {column_sql(column)}" if column is not None else "*"
        self.conditions.append(
            f"(SELECT COUNT({what}) {self._related_to_base(table)}) {op} {number.payload}"
        )
        said = f"{'different ' if distinct else ''}{counted.text}"
        self.explain.append(f"{op} {number.payload} {said} each")
        for item in self.items[n : at + distinct + 1]:
            item.used = True
        return at + distinct + 1

    def _number_of(self, number: Item, counted: Item) -> bool:
        """Whether the question says ``counted`` right after ``number`` ("5 standing orders",
        "ten different banks"), not only somewhere later."""
        written = "|".join(
            [rf"{number.payload:,}".replace(",", ",?"), re.escape(str(number.payload))]
            + [re.escape(w) for w, v in NUMBER_WORDS.items() if v == number.payload]
        )
        noun = r"\W+".join(re.escape(w) for w in counted.text.split())
        # (also with the number words and thousands separators read: "ten thousand crimes",
        # "130 entrepreneurs per 1,000 inhabitants")
        plain = re.sub(r"(?<=\d),(?=\d{3})", "", number_words(self.question.lower()))
        return any(
            re.search(rf"\b(?:{written})\s+(?:different\s+|distinct\s+|separate\s+)?{noun}", text)
            for text in (self.question.lower(), plain)
        )

    def _in_months(self, at: int, column: str) -> None:
        """The unit said after a loan's duration ("36 months"): durations are in months."""
        unit = self._item(at)
        if unit is not None and unit.kind == "month" and column == "loan.duration":
            unit.used = True

    def _between(self, n: int) -> int:
        items = self.items
        if n + 3 < len(items) and items[n + 2].kind == "and":
            low, high = items[n + 1], items[n + 3]
            if low.kind in ("yearnum", "date") and high.kind in ("yearnum", "date"):
                column = self._date_column(self.base, n)
                start, _ = _date_bounds(_period(low))
                _, end = _date_bounds(_period(high))
                self._add_condition(
                    f"{column_sql(column)} >= '{start}' AND {column_sql(column)} < '{end}'",
                    f"{column} from {low.text} to {high.text}",
                    column,
                )
            elif low.kind == "number" and high.kind == "number":
                column = self._numeric_column(n)
                self._add_condition(
                    f"{column_sql(column, self.layer)} BETWEEN {low.payload} AND {high.payload}",
                    f"{column} between {low.payload} and {high.payload}",
                    column,
                )
                self._in_months(n + 4, column)  # "a duration between 12 and 36 months"
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
        if date_item.kind == "yearnum" and self._names_a_yearly_figure(n):
            # "districts where unemployment was above 6 percent in 1996": that year's figure
            self._use_year(date_item)
            return
        column = self._date_column(self.base, n)
        if column == "@year":
            self._use_year(date_item)
            return
        start, end = _date_bounds(_period(date_item))
        if op == "in":
            sql = f"{column_sql(column)} >= '{start}' AND {column_sql(column)} < '{end}'"
        elif op == "<":
            sql = f"{column_sql(column)} < '{start}'"
        elif op == ">":
            sql = f"{column_sql(column)} >= '{end}'"
        else:
            sql = f"{column_sql(column)} >= '{start}'"
        self._add_condition(sql, f"{column} {op} {date_item.text}", column)
        date_item.used = True

    def _related_tables(self) -> None:
        """Other tables named: the base records must have (or, after "without", lack) one."""
        negation: Item | None = None
        for item in self.items:
            if item.kind == "neg":
                negation = None if item.used else item
                continue
            table = table_of(item)
            if table is None or item.used:
                if any(m.kind in ("value", "region", "district") for m in item.meanings):
                    # "users who are not owners can use an account": the "not" is said of
                    # the owners, not of the account named after them
                    negation = None
                continue
            item.used = True
            if table == self.base:
                continue
            if negation is not None:
                negation.used = True
                self._exists(table, negate=True)
            elif table not in self.tables:
                self.tables.add(table)
            negation = None

    def _exists(self, table: str, negate: bool) -> None:
        inner = f"SELECT 1 {self._related_to_base(table)}"
        self.conditions.append(f"{'NOT ' if negate else ''}EXISTS ({inner})")
        self.explain.append(f"{'without' if negate else 'with'} {table}")

    def _related_to_base(self, table: str) -> str:
        """``FROM table ... WHERE`` the rows of ``table`` related to the base record the outer
        query is on (owners only where clients and accounts meet, unless any disposition is
        said)."""
        path = self.layer.path(table, self.base)
        joins = "".join(
            f" JOIN {quote(to)} ON {quote(to)}.{tcol} = {quote(frm)}.{fcol}"
            for frm, fcol, to, tcol in path[:-1]
        )
        frm, fcol, to, tcol = path[-1]
        tables = {p[0] for p in path} | {p[2] for p in path}
        owner = (
            " AND disp.type = 'OWNER'"
            if not self.any_disposition and "disp" in tables and {"client", "account"} <= tables
            else ""
        )
        return f"FROM {quote(table)}{joins} WHERE {quote(frm)}.{fcol} = {quote(to)}.{tcol}{owner}"

    def _said_before(self, at: int) -> list[Item]:
        """The items before ``at`` that say something (filler left out)."""
        return [i for i in self.items[:at] if i.kind != "stop"]

    def _said_after(self, at: int) -> Item | None:
        """The first item after ``at`` that says something, if any."""
        return next((i for i in self.items[at + 1 :] if i.kind != "stop"), None)

    def _place_or(self, item: Item, meaning: Any, anchor: str) -> bool:
        """ "at branches in South or North Moravia": the place said after "or" joins the one
        said before it, of the same kind and the same records, as either of the two."""
        before = self._said_before(self.items.index(item))
        if len(before) < 2 or before[-1].kind != "or":
            return False
        key = (anchor, meaning.column)
        earlier = self.place_conditions.get(key)
        if earlier is None or before[-2].kind != "meaning":
            return False
        index, places = earlier
        places.append(meaning.values[0])
        listed = ", ".join(map(literal, places))
        if anchor == "district":
            self.conditions[index] = f"district.{meaning.column} IN ({listed})"
        else:
            self.conditions[index] = (
                f"{anchor}.district_id IN (SELECT district_id FROM district WHERE "
                f"{meaning.column} IN ({listed}))"
            )
        before[-1].used = True
        return True

    def _after_or(self, item: Item) -> bool:
        """Whether a value follows "or" ("... unpaid or running in debt"); the "or" is then
        read."""
        before = self._said_before(self.items.index(item))
        if before and before[-1].kind == "or":
            before[-1].used = True
            return True
        return False

    def _outside(self, item: Item) -> bool:
        """Whether a place is said with "outside", "excluding", "other than" before it (that
        word is then read)."""
        before = self._said_before(self.items.index(item))
        if before and before[-1].kind == "in" and len(before) > 1:
            before = before[:-1]  # "outside of the region", "apart from in Prague"
        if before and before[-1].kind == "outside":
            before[-1].used = True
            return True
        return False

    def _after_with(self, at: int) -> bool:
        """Whether an item follows "with" ("the accounts ... with their branch district
        names"): a field of the records listed."""
        before = self._said_before(at)
        return bool(before) and before[-1].text == "with"

    def _given_a_value(self, at: int, column: str) -> bool:
        """Whether a field is followed by a value for it ("duration 60", "status running",
        "frequency weekly"): a condition, not a field asked for."""
        nxt = self._said_after(at)
        if nxt is None:
            return False
        if nxt.kind in ("number", "cmp", "between", "yearnum", "date"):
            return True
        return any(m.kind == "value" and m.qualified == column for m in nxt.meanings)

    def _of_other_records(self, at: int, column: str) -> bool:
        """Whether a field is said of records other than those its column belongs to: "the
        date the card was issued" is no date of an account."""
        if not any(m.kind == "column" and m.table == "*" for m in self.items[at].meanings):
            return False  # (a field of one table, "the card's issue date", is its own)
        nxt = self._said_after(at)
        table = table_of(nxt) if nxt is not None else None
        return table is not None and table != column.split(".")[0]

    def _extra_columns(
        self, agg: str | None, group: tuple[str, str] | None, measure: str | None = None
    ) -> None:
        """Columns named in a list question are shown ("districts with their salary"), and
        after the verb that lists them the ids of the records named ("Show the client id,
        the account id and the loan amount")."""
        listed = next((n for n, i in enumerate(self.items) if i.kind == "list" and n), None)
        # (beside a largest or smallest one, the fields are those of the record picked out:
        # "the amount and date of the largest loan")
        rows = group is None and agg in (None, *EXTREMES)
        for n, item in enumerate(self.items):
            table = table_of(item)
            following = self.items[n + 1] if n + 1 < len(self.items) else None
            info = self.layer.tables[table] if table is not None else None
            if (
                ((listed is not None and n > listed) or self._after_with(n))
                and info is not None
                and following is not None
                and rows
            ):
                # "the loan id", "the branch's district name": that field of those records
                field = (
                    info.key
                    if following.kind == "id_word"
                    else info.name_column
                    if following.text in ("name", "names")
                    else None
                )
                if field is not None:
                    item.used = following.used = True
                    self.extra_columns.append(f"{info.name}.{field}")
                    self.tables.add(info.name)
                    continue
            column = self.column(item)
            if (
                column is None
                and info is not None
                and info.name_column
                and agg is None
                and group is None
                and n >= 2
                and self._after_a_field(n)
                and (
                    following is None
                    or self.column(following) is None
                    # ("the loan id, the branch district, the amount": a field of its own)
                    or re.search(rf"\b{re.escape(item.text)}\s*,", self.question.lower())
                )
            ):
                # "the birth date and home district of client 2166", "the loan id and the
                # branch district": the district's name
                item.used = True
                self.extra_columns.append(f"{info.name}.{info.name_column}")
                self.tables.add(info.name)
                continue
            if column is not None and item in self.also_shown and rows:
                self.extra_columns.append(column)
                continue
            verb = column is not None and self.ctype(column) == "date" and item.text.endswith("ed")
            if (
                column is not None
                and agg in EXTREMES
                and rows
                and self._in_field_list(n)
                and not verb
                and not self._of_other_records(n, column)
                # (not one a condition took: "the largest loan with duration 60", "with
                # status running")
                and (not item.used or column == measure)
                and not self._given_a_value(n, column)
            ):
                # (named in the list, it is shown where it is named, also when it is what
                # picks the record out: "the client id and birth date of the oldest woman")
                item.used = True
                self.extra_columns.append(column)
                self.tables.add(column.split(".")[0])
                continue
            if (
                column is None
                or item.used
                or (agg in EXTREMES and self._of_other_records(n, column))
            ):
                continue  # (said of other records, it is not read: asked back)
            item.used = True
            if verb:
                # "loans approved to accounts ...": a verb, not a field asked for
                continue
            if agg is None and group is None:
                self.extra_columns.append(column)
                self.tables.add(column.split(".")[0])


EXTREMES = ("max", "min", "max_date", "min_date")


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


def _item_table(item: Item) -> str | None:
    """The table a read phrase names: a table, a column's or a value's (not a generic one)."""
    for meaning in item.meanings:
        if meaning.kind in ("table", "column", "value") and meaning.table not in ("", "*"):
            return meaning.table
    return None
