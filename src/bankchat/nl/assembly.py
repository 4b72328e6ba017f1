"""Writing the SQL: one SELECT from the frame, the conditions and the tables of a question.

The shape follows the frame: a grouped figure, a single figure, a ranked list or a plain list.
Joins follow the semantic layer's graph from the base table; a join that can repeat base rows
makes counts count distinct keys, and a client reached through dispositions is the account's
owner unless the question asks otherwise. Columns of a list are the ones the question names,
else the table's usual columns minus those the asker may not read (said in the notes).
"""

from __future__ import annotations

import re

import sqlglot
from sqlglot import exp

from bankchat.nl.base import (
    LATEST_TRANSACTION,
    NotUnderstood,
    Translation,
    column_sql,
    place_cue,
    quote,
    table_of,
)
from bankchat.nl.query import Query
from bankchat.nl.renderer import explanation

# a question that opens by asking for a date: "when was ...", "on what date was ..."
# a balance asked of any moment, not today's: "the lowest balance ever recorded"
_EVER = re.compile(r"\b(?:ever|all[- ]time|at any (?:time|point)|recorded|historic(?:al)?)\b")
CURRENT_BALANCE = "balance = the account's current balance (after its latest transaction)"
_EVERY_BALANCE = "(SELECT AVG(trans.balance) FROM trans)"
_CURRENT_AVERAGE = (
    "(SELECT AVG(newest.balance) FROM account AS holder JOIN trans AS newest ON newest.trans_id = "
    "(SELECT latest.trans_id FROM trans AS latest WHERE latest.account_id = holder.account_id "
    "ORDER BY latest.date DESC, latest.trans_id DESC LIMIT 1))"
)
# "the oldest when the loan was approved", "youngest at the time the card was issued"
_AGE_THEN = re.compile(
    r"\b(?:oldest|youngest)\b.*?\b(?:when|at\s+the\s+time|on\s+the\s+day|at\s+the\s+moment|"
    r"by\s+the\s+time)\b"
)
ASKS_WHEN = re.compile(r"\s*(?:when|(?:on\s+)?(?:what|which)\s+date)\b")


class Assembly(Query):
    """Writes the query's SQL."""

    def _year_swap(self, column: str | None) -> str | None:
        if column is None or self.year_hint is None:
            return column
        return self.layer.column_for_year(column, self.year_hint) or column

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
                        self.conditions = [
                            c.replace(column_sql(old), column_sql(new)) for c in self.conditions
                        ]
        group_sql = None
        if group is not None:
            if group[0] in ("YEAR", "MONTH"):
                date_table = measure.split(".")[0] if measure else base
                date_info = self.layer.tables[date_table]
                if not date_info.date:
                    raise NotUnderstood(f"{date_table} records have no date to group by")
                fmt = "%Y" if group[0] == "YEAR" else "%m"
                group_sql = f"strftime('{fmt}', {quote(date_table)}.{date_info.date})"
            else:
                group_sql = (
                    column_sql(group[0], self.layer)
                    if self.ctype(group[0]) == "number"
                    else column_sql(group[0])
                )
                self.tables.add(group[0].split(".")[0])
        if measure is not None:
            self.tables.add(measure.split(".")[0])
        balance_of_group = None
        if group is not None and measure == "trans.balance" and agg in ("max", "min"):
            balance_of_group = self._balance_of_group(group[0], agg)
        joins, fanout = self._joins()
        key = f"{quote(base)}.{info.key}"
        count = f"COUNT(DISTINCT {key})" if fanout else "COUNT(*)"
        measure_sql = column_sql(measure, self.layer) if measure else None
        where = self._where()
        if group_sql is not None:
            # "the largest loan amount for each region": the largest of each group's records,
            # one row per group (not the group with the largest figure)
            each = bool(
                agg in ("max", "min")
                and measure_sql
                and group is not None
                and self._extreme_in_each(topk, group[0])
            )
            if agg in ("sum", "avg"):
                value = f"{_agg_sql(agg)}({measure_sql})" if measure_sql else count
            elif each:
                value = f"{str(agg).upper()}({measure_sql})"
            elif agg in ("max", "min") and measure_sql:
                # the extreme of a per-group figure: an average for rates ("average salary"),
                # a total for amounts
                averaged = self._measure_says_average() or measure in self.layer.averaged
                func = balance_of_group or ("AVG" if averaged else "SUM")
                value = f"{func}({measure_sql})"
            else:
                value = count
            label = group[1] if group else "group"
            extra = [column_sql(c) for c in self.group_more]
            keys = ", ".join([group_sql, *extra])
            shown = ", ".join([f"{group_sql} AS {label}", *extra])
            if each:
                sql = (
                    f"SELECT {shown}, {value} AS {_alias(agg, measure)} "
                    f"FROM {quote(base)}{joins}{where} GROUP BY {keys} ORDER BY {keys}"
                )
                return self._answer(sql, agg, measure, group, topk)
            names_only = self._asks_only_for() == "name"  # "just name the regions"
            if (agg in ("max", "min") and (self._asks_which_only() or names_only)) or (
                topk is not None and names_only
            ):
                # why: "which (five) districts have the most accounts" asks for districts; the
                # count decides which, and is shown only when the question asks for it too
                direction = "ASC" if agg == "min" else "DESC"
                sql = (
                    f"SELECT {shown} FROM {quote(base)}{joins}{where} GROUP BY {keys}"
                    f" ORDER BY {value} {direction}, {group_sql} LIMIT {topk or 1}"
                )
                return self._answer(sql, agg, measure, group, topk)
            # (titled by what it is: the highest total is a total, not a maximum)
            func_name = {"SUM": "sum", "AVG": "avg", "MAX": "max", "MIN": "min"}
            alias = _alias(func_name.get(value.split("(")[0]), measure)
            if balance_of_group == "MAX" and LATEST_TRANSACTION in self.conditions:
                alias = "current_balance"  # (each account's one latest transaction)
            sql = (
                f"SELECT {shown}, {value} AS {alias} "
                f"FROM {quote(base)}{joins}{where} GROUP BY {keys}"
            )
            by_figure = next((i for i in self.items if i.kind == "measure_order"), None)
            if agg in ("max", "min") or topk is not None:
                direction = "ASC" if agg == "min" else "DESC"
                sql += f" ORDER BY {alias} {direction}, {group_sql} LIMIT {topk or 1}"
            elif by_figure is not None:
                # "show the region and the number of loans, largest number first"
                by_figure.used = True
                direction = "DESC" if by_figure.payload == "desc" else "ASC"
                sql += f" ORDER BY {alias} {direction}, {keys}"
            else:
                sql += f" ORDER BY {keys}"
        elif self.distinct_of is not None:
            sql = (
                f"SELECT DISTINCT {column_sql(self.distinct_of)} FROM {quote(base)}{joins}{where} "
                f"ORDER BY {column_sql(self.distinct_of)}"
            )
        elif agg == "count":
            sql = f"SELECT {count} FROM {quote(base)}{joins}{where}"
        elif (
            agg in ("sum", "avg")
            and measure_sql
            and fanout
            and not self.each_row
            and measure is not None
            and measure.startswith(f"{base}.")
        ):
            # why: a join that repeats each record ("the districts where gold card holders
            # live": one row per holder) would add a record's figure once per row
            sql = (
                f"SELECT {_agg_sql(agg)}({measure_sql}) FROM {quote(base)} WHERE {key} IN "
                f"(SELECT {key} FROM {quote(base)}{joins}{where})"
            )
            self.applied.append(f"each {base} record counted once")
        elif agg in ("sum", "avg") and measure_sql:
            sql = f"SELECT {_agg_sql(agg)}({measure_sql}) FROM {quote(base)}{joins}{where}"
        elif agg in ("max", "min", "max_date", "min_date") and measure_sql:
            descending = agg in ("max", "max_date")
            if (
                measure == "client.birth_date"
                and agg in ("max_date", "min_date")
                and self._says("oldest", "youngest")
            ):
                descending = self._says("youngest")
                if _AGE_THEN.search(self.question.lower()):
                    # "the oldest when the loan was approved": an age at each record's own
                    # date, which the birth date alone does not rank
                    raise NotUnderstood(
                        "I can rank clients by their birth date, not by their age at the time "
                        "of each record; ask for their ages at that date, or write the SQL"
                    )
            # "when was ...", "on what date was the very first account opened": a date
            when = not self.picked_field and bool(ASKS_WHEN.match(self.question.lower()))
            # (fields named beside it are those of the record picked out: "the amount and
            # date of the largest loan" is that loan's row)
            fields = any(c != measure for c in self.extra_columns)
            self.picked_out = fields and (topk or 1) == 1
            if not when and (
                topk is not None
                or row_focus
                or fields
                or (self._asks_for_rows() and not self._says("what"))
            ):
                cols = self._ranked_columns(measure, fanout)
                direction = "DESC" if descending else "ASC"
                # ties: an amount's by the lowest key; a date's by the key the same way (the
                # most recent of one day is the one entered last)
                ties = f" {direction}" if agg in ("max_date", "min_date") else ""
                sql = (
                    f"SELECT {'DISTINCT ' if fanout else ''}{cols} FROM {quote(base)}"
                    f"{joins}{where} ORDER BY {measure_sql} {direction}, "
                    f"{key}{ties} LIMIT {topk or 1}"
                )
            else:
                sql = (
                    f"SELECT {'MAX' if descending else 'MIN'}({measure_sql}) "
                    f"FROM {quote(base)}{joins}{where}"
                )
        elif self.order_by is not None:
            order_sql = column_sql(self.order_by, self.layer)
            cols = self._ranked_columns(self.order_by, fanout)
            sql = (
                f"SELECT {'DISTINCT ' if fanout else ''}{cols} FROM {quote(base)}{joins}"
                f"{where} ORDER BY {order_sql} DESC, {key} LIMIT {topk or 1}"
            )
        else:
            cols = self._list_columns(None, fanout)
            asked_order = self._sort_column()
            order = self._ordered_by(key, asked_order)
            # (what each shown column is, its "AS name" aside)
            selected = [re.sub(r"\s+AS\s+\w+$", "", c.strip()) for c in cols.split(", ")]
            # (regions alone, "which regions have districts with ...": each region once)
            distinct = fanout or selected == ["district.A3"]
            if distinct and not all(part.split(" ")[0] in selected for part in order.split(", ")):
                if asked_order is not None:
                    # (the order asked for would be dropped: "..., in date order" of loans
                    # listed with their owners' birth dates)
                    raise NotUnderstood(
                        "I cannot yet order these rows by a field they do not show; ask for "
                        "that field too, or write the SQL"
                    )
                order = ", ".join(selected)  # DISTINCT rows are ordered by what they show
            sql = (
                f"SELECT {'DISTINCT ' if distinct else ''}{cols} FROM {quote(base)}{joins}"
                f"{where} ORDER BY {order}"
            )
            if topk is not None:
                sql += f" LIMIT {topk}"
        return self._answer(sql, agg, measure, group, topk)

    def _answer(
        self,
        sql: str,
        agg: str | None,
        measure: str | None,
        group: tuple[str, str] | None,
        topk: int | None,
    ) -> Translation:
        """The assembled query, what it computes in words, and the conventions applied."""
        notes = [
            *self.applied,
            *(f"left out {column} (your role may not read it)" for column in self.left_out),
        ]
        return Translation(
            self._nulls_last(sql),
            explanation(self.base, self.explain, agg, measure, group, topk),
            notes=notes,
        )

    def _nulls_last(self, sql: str) -> str:
        """``sql`` with records that have no value of a figure ranked after all others when
        the lowest are picked ("the district with the lowest unemployment in 1995" is not the
        one whose 1995 figures are missing)."""
        tree = sqlglot.parse_one(sql, read="sqlite")
        changed = False
        for select in tree.find_all(exp.Select):
            order = select.args.get("order")
            if order is None or select.args.get("limit") is None:
                continue
            first = order.expressions[0]
            column = first.this
            if isinstance(column, exp.Column) and not first.args.get("desc"):
                info = self.layer.columns.get(f"{column.table}.{column.name}")
                if info is not None and info.nullable:
                    first.set("nulls_first", False)
                    changed = True
        return tree.sql(dialect="sqlite") if changed else sql

    def _extreme_in_each(self, topk: int | None, group: str) -> bool:
        """Whether a largest or smallest is asked of each group ("the largest loan amount
        for each region"), not which group has the largest figure."""
        each = any(
            i.kind == "group" and i.text in ("for each", "each", "for every", "every", "in each")
            for i in self.items
        )
        if not each or topk is not None:
            return False
        figure = re.search(
            r"(?:^|[,:;]\s*)(?:what|how\s+much|how\s+many)\s+(?:is|was|are|were)\b|"
            r"\b(?:give|show|list|tell)\b",
            self.question.lower(),
        )
        which = next((n for n, i in enumerate(self.items) if i.kind == "which"), None)
        if figure is None and which is not None:
            asked = next((i for i in self.items[which + 1 :] if i.kind == "meaning"), None)
            table = table_of(asked) if asked is not None else None
            info = self.layer.tables[table] if table is not None else None
            named = (
                {f"{table}.{info.key}", f"{table}.{info.name_column}"}
                if info is not None
                else {self.column(asked) if asked is not None else None}
            )
            if group in named:
                return False  # "looking at every account, which account ...": a ranking
            # "for each region, which district has the highest salary": the record with the
            # largest figure within each group
            raise NotUnderstood(
                "I cannot yet pick the record with the largest or smallest figure within each "
                "group; ask for one group at a time, or write the SQL"
            )
        return True

    def _asks_for_rows(self) -> bool:
        return any(i.kind in ("which", "list") for i in self.items[:2])

    def _measure_says_average(self) -> bool:
        return any(i.text.startswith(("average", "mean")) for i in self.items)

    def _says(self, *words: str) -> bool:
        return any(i.text in words for i in self.items)

    def _list_columns(self, measure: str | None, fanout: bool = False) -> str:
        base = self.base
        named = [c for c in self.extra_columns if f"{c}".lower() not in self.hidden]
        only = self._asks_only_for()
        if only is not None and not named:
            info = self.layer.tables[base]
            if only == "name" and info.name_column:
                column = f"{base}.{info.name_column}"
            else:
                column = self._id_column()
            self.applied.append(f"shown: only {column}, as asked")
            return column_sql(column)
        if named:
            # why: "opening date and region of account 2" asks for fields: those, in its
            # order; "the accounts of client 2 with their opening date" asks for records
            # and a field: the record's name or key first. A join that repeats rows keeps
            # the key too, so each record stays one row.
            info = self.layer.tables[base]
            key = f"{base}.{info.key}"
            ident = f"{base}.{info.name_column}" if info.name_column else key
            lead = [ident] if not self._fields_first() else []
            if not lead and self._asks_for_a_name():
                lead = [ident]
                self.applied.append(f"shown: {ident}, the name asked for")
            pinned = any(re.fullmatch(r"\w+\.\w+_id = \d+", c) for c in self.conditions)
            pinned = pinned or any(self._is_key(c) for c in named)  # (an id asked keeps rows apart)
            if fanout and key not in named and ident == key and not (lead == [] and pinned):
                # (a join that repeats rows keeps each record apart by its key, unless the
                # fields come first and one numbered record is asked about)
                lead = [key]
            if self._asks_only_for() == "key" and key not in lead:
                lead = [self._id_column(), *lead]  # "account ids and branch names"
            lead = [c for c in lead if c not in named]
            chosen = lead + named
            # (the fields of the one record a largest or smallest picks out are what is
            # asked: "the name and region of the district where the youngest client lives")
            picked = self.picked_out and not lead
            if measure and measure not in chosen and not picked:
                chosen.append(measure)
            return ", ".join(dict.fromkeys(self._shown(c) for c in chosen))
        opens = [i.text for i in self.items[:2]]
        # "List the running loans over 400,000": records picked by conditions, shown by what
        # identifies them, as "which loans ..." is; a plain "list clients" browses their
        # usual columns, and so do "details" and the statement of one record's orders or
        # transactions ("Show the standing orders of account 97")
        listing = (
            bool(self.items)
            and self.items[0].kind == "list"
            and bool(self.conditions)
            and not any(re.fullmatch(r"\w+\.\w+_id = \d+", c) for c in self.conditions)
            and not re.search(
                r"\b(?:details?|everything|all\s+(?:the\s+)?information|full)\b",
                self.question.lower(),
            )
        )
        if (
            opens[:1] in (["which"], ["who"]) or opens == ["in", "which"] or listing
        ) and measure is None:
            # "Which clients hold a gold card?": the records themselves, by what names them
            record = self.layer.tables[base]
            names = [f"{base}.{c}" for c in record.ident or [record.name_column or record.key]]
            self.applied.append(f"no fields were named: showing what identifies each {base} record")
            if names == [f"{base}.{record.name_column}"]:
                self.list_order = column_sql(names[0])  # names read best in alphabetical order
            return ", ".join(column_sql(c) for c in names)
        cols = []
        self.applied.append(f"no fields were named: showing the usual columns of {base} records")
        for c in self.layer.tables[base].list_columns:
            if f"{base}.{c}".lower() in self.hidden:
                self.left_out.append(f"{base}.{c}")
            else:
                cols.append(f"{quote(base)}.{c}")
        for table in sorted(self.tables - {base}):
            name = self.layer.tables[table].name_column
            if (
                name
                and f"{table}.{name}" not in self.extra_columns
                and not any(c.startswith(f"district.{name} =") for c in self.conditions)
            ):
                self.extra_columns.append(f"{table}.{name}")
        for extra in [*self.extra_columns, *([measure] if measure else [])]:
            ref = column_sql(extra)
            if ref not in cols:
                cols.append(ref)
        return ", ".join(cols)

    def _is_key(self, column: str) -> bool:
        """Whether a qualified column is its table's key."""
        table, _, name = column.replace('"', "").partition(".")
        info = self.layer.tables.get(table)
        return info is not None and info.key == name

    def _ordered_by(self, key: str, sort: str | None) -> str:
        """A list's ORDER BY: what the question orders by, then the key (so that equal
        values come in one order), else the records' names or keys. ``sort``: what the
        question orders by (``_sort_column``)."""
        if sort is None:
            return self.list_order or key
        return sort if sort.split(", ")[-1] == key else f"{sort}, {key}"

    def _sort_column(self) -> str | None:
        for n, item in enumerate(self.items):
            if item.kind == "sort" and n + 1 < len(self.items):
                column = self.column(self.items[n + 1])
                table = table_of(self.items[n + 1])
                after = self.items[n + 2] if n + 2 < len(self.items) else None
                if (
                    column is None
                    and table is not None
                    and self.layer.tables[table].measure
                    and not (after is not None and after.kind == "id_word")
                ):
                    # "largest loan first" (not "by loan id"): the loans' own amount
                    column = f"{table}.{self.layer.tables[table].measure}"
                if column:
                    self.items[n + 1].used = True
                    desc = False
                    for other in self.items:
                        if other.kind in ("desc", "measure_order", "name_order", "date_order"):
                            other.used = True
                            desc = desc or other.kind == "desc" or other.payload == "desc"
                    return column_sql(column, self.layer) + (" DESC" if desc else "")
        # "oldest first", "largest first", "alphabetically" with no column named: the listed
        # records' own date, amount or name
        info = self.layer.tables[self.base]
        own = {
            "date_order": info.date,
            "measure_order": info.measure,
            "name_order": info.name_column,
        }
        for item in self.items:
            column = own.get(item.kind)
            if column is not None:
                item.used = True
                order = " DESC" if item.payload == "desc" else ""
                return f"{quote(self.base)}.{column}{order}, {quote(self.base)}.{info.key}"
        return None

    def _joins(self) -> tuple[str, bool]:
        """JOIN clauses reaching every table used, and whether they can repeat base rows."""
        base = self.base
        edges: list[tuple[str, str, str, str]] = []
        reached = {base}
        targets = sorted(self.tables - {base})
        starts: dict[str, str] = {}
        whose = place_cue(self.question)
        if whose is None and "district" in targets:
            # (a question that places people both ways shows the district its field names:
            # "where they live ... at a branch outside Prague? Give the branch district name")
            said = {
                i.text
                for i in self.items
                if i.used and any(m.qualified.startswith("district.") for m in i.meanings)
            }
            cues = {
                cue
                for text in said
                for cue, word in (("account", "branch"), ("client", "home"))
                if word in text
            }
            whose = cues.pop() if len(cues) == 1 else None
        if "district" in targets and whose is not None and base not in (whose, "district"):
            # "loans of accounts whose owner lives in a district where ...": the district
            # reached through whom the question places there
            targets = [whose, *[t for t in targets if t not in (whose, "district")], "district"]
            starts["district"] = whose
            self.tables.add(whose)
        elif base == "district" and whose in targets:
            # "the region of the branch of the account client 2000 owns": the others are
            # reached through the account (or the client) the district is placed by
            targets = [whose, *[t for t in targets if t != whose]]
            starts.update({t: whose for t in targets if t != whose})
        for table in targets:
            for step in self.layer.path(starts.get(table, base), table):
                if step[2] not in reached:
                    edges.append(step)
                    reached.add(step[2])
        sql = ""
        fanout = False
        for frm, fcol, to, tcol in edges:
            sql += f" JOIN {quote(to)} ON {quote(to)}.{tcol} = {quote(frm)}.{fcol}"
            current = any("latest.trans_id" in c for c in self.conditions)
            if to == "trans" and frm == "account" and self._balance_only() and not current:
                # why: an account's balance is its current one, the balance after its latest
                # transaction; joining every transaction would rank past balances, each
                # account many times over.
                sql += (
                    " AND trans.trans_id = (SELECT latest.trans_id FROM trans AS latest"
                    " WHERE latest.account_id = account.account_id"
                    " ORDER BY latest.date DESC, latest.trans_id DESC LIMIT 1)"
                )
                self.applied.append(CURRENT_BALANCE)
                continue
            if tcol != self.layer.tables[to].key:
                fanout = True  # from a key to a foreign key: one base row, many joined rows
        if (
            "disp" in reached
            and {"client", "account"} <= reached
            and not self.any_disposition
            and not self._role_said()
            # ("what role does client 13 have on the account": the role is what is asked)
            and "disp.type" not in self.extra_columns
            and "disp.type" not in self.split_by
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
        if self._asks_only_for() == "key":
            ident = [self._id_column()]  # "order ids and amounts"
        # ("I just need their client id": that alone)
        alone = re.search(r"\b(?:only|just)\b[^.?!]*\bids?\b", self.question.lower()) or (
            self._asks_only_for() == "name"
        )
        chosen = ident if self._asks_which_only() or alone else [*ident, measure]
        self.applied.append(
            "shown: "
            + " and ".join(self._said(c) for c in chosen)
            + " (the record and what it is ranked by)"
            if len(chosen) > 1
            else "shown: the record asked for"
        )
        return ", ".join(dict.fromkeys(self._shown(c) for c in chosen))

    def _said(self, column: str) -> str:
        """How the bank says a column ("district name" for district.A2): its first phrase."""
        table, _, name = column.partition(".")
        # (a key, its own or another table's: "loan id", "account id")
        info = self.layer.tables.get(name[:-3]) if name.endswith("_id") else None
        if info is not None:
            said = [p for p in info.id_phrases if p.endswith(" id")]
            return said[0] if said else name.replace("_", " ")
        for phrase, meanings in self.layer.lexicon.items():
            if any(m.kind == "column" and m.table == table and m.column == name for m in meanings):
                return phrase
        return name

    def _shown(self, column: str) -> str:
        """A column as shown: a number stored as text (a district's inhabitants) as the
        number, under its own name."""
        ref = column_sql(column, self.layer)
        return ref if ref == column_sql(column) else f"{ref} AS {column.split('.')[1]}"

    def _id_column(self) -> str:
        """The key of the records whose ids are asked for ("their card ids"), if they are in
        the query, else of the records the question is about."""
        named = re.search(r"\b([a-z]+) (?:ids?|numbers?)\b(?!\s*\d)", self.question.lower())
        if named:
            word = named.group(1)
            for phrase in (word, word.rstrip("s")):
                for meaning in self.layer.lexicon.get(phrase, []):
                    if meaning.kind == "table" and meaning.table in self.tables | {self.base}:
                        return f"{meaning.table}.{self.layer.tables[meaning.table].key}"
        return f"{self.base}.{self.layer.tables[self.base].key}"

    def _asks_only_for(self) -> str | None:
        """ "Client ids." / "Loan ids please" / "names only": "key" or "name", else None."""
        text = self.question.lower()
        if re.search(
            r"\bnames? only\b|\b(?:only|just) (?:the |their |its )?names?\b|\bjust name\b"
            r"|\bonly need (?:the |their |its )?(?:\w+'s )?names?\b"
            r"|^\W*(?:(?:give|list|show|tell)\s+(?:me\s+|us\s+)?)?(?:the\s+)?names\s+of\b"
            # "Name the five most populous districts" (unless other fields are asked for too)
            r"|^\W*name\s+(?:the|our|all)\b(?![^?]*\b(?:give|show|list|tell|and|with|together|"
            r"along|plus|including|as\s+well)\b)",
            text,
        ):
            return "name"  # ("just name the regions")
        if re.search(
            r"\bids\b|\bid\b(?!\s*\d)|\b(?:client|account|loan|card|order|transaction)\s+"
            r"numbers?\b(?!\s*\d)",
            text,
        ):
            return "key"  # "client ids", "the order id and the amount", "the client numbers"
        return None

    def _asks_for_a_name(self) -> bool:
        """Whether "name" is one of the fields asked for ("give their name and region"), not
        the verb ("name the districts")."""
        return bool(
            self.layer.tables[self.base].name_column
            and re.search(
                r"\b(?:their|its|the)\s+names?\b(?!\s+of\b)|\bnames?\s*(?:,|and\b)"
                r"|\b(?:and|,)\s*(?:their\s+|the\s+)?names?\b",
                self.question.lower(),
            )
        )

    def _fields_first(self) -> bool:
        """Whether the question names a field before the records it is about (or lists the
        fields it wants after the question: "Where does the owner live? District name.")."""
        if re.search(r"[?.;]\s+\S", self.question.strip()) or self.picked_field:
            return True  # (the date of the record picked out is its field)
        asks = next((n for n, i in enumerate(self.items) if i.kind == "which"), None)
        if asks is not None and asks + 1 < len(self.items) and self.items[asks].text != "who":
            after = self.items[asks + 1]
            if table_of(after) is None and self.column(after):
                return True  # "in which region is the branch of the account ...": that field
        if re.search(r"\d's\b", self.question):
            return True  # "Client 4's gender, birth date and home district name"
        if re.match(r"\W*[a-z ]+\s\d+\s*[:,-]\s*(?:its|their|his|her)\b", self.question.lower()):
            return True  # "Loan 5027: its amount, its term and its status?"
        if re.match(r"\W*[a-z ]+\s\d+\s*(?::|\s[-\u2013\u2014]\s)", self.question.lower()):
            # "Client with id 42: birth date and gender?": that record's fields, unless the
            # first thing named after it is records ("Account 42: standing orders")
            named = next((i for i in self.items if i.kind == "meaning"), None)
            if named is not None and table_of(named) is None and self.column(named):
                return True
        if re.search(
            r",?\s+with\s+(?!their\b|its\b|his\b|her\b)[a-z ]+,\s*[a-z ]+\s+and\s+",
            self.question.lower(),
        ):
            # "Show all standing orders on account 37, with recipient bank, amount and
            # purpose": those fields (a list said with "their" keeps the records' key first)
            return True
        _, colon, tail = self.question.lower().rpartition(":")
        if (
            colon
            and re.search(r",|\band\b", tail)
            and not re.search(r"\b(?:what|which|how)\b", tail)
        ):
            # "List the standing orders on account 2000: recipient bank, amount and purpose":
            # the fields listed after the colon, those alone
            listed = [
                i
                for i in self.items
                if i.kind == "meaning" and re.search(rf"\b{re.escape(i.text)}\b", tail)
            ]
            if listed and table_of(listed[0]) is None and self.column(listed[0]):
                return True
        first = next((i for i in self.items if i.kind == "meaning"), None)
        if (
            first is not None
            and table_of(first) is None
            and self.column(first) is None
            and re.search(rf"\b{re.escape(first.text)}'s\b", self.question.lower())
        ):
            return True  # "What was Kladno's unemployment rate in 1996?": that record's field
        if re.search(r"[,:;]\s*(?:and\s+)?(?:give|show|list|tell)\b", self.question.lower()):
            # "For the person who owns account 1787, give their gender, ...", but not "For
            # account 25, list the standing orders, ...": records, not fields
            at = next((n for n, i in enumerate(self.items) if i.kind == "list"), 0)
            n = next(
                (k for k in range(at + 1, len(self.items)) if self.items[k].kind == "meaning"), None
            )
            if n is None or table_of(self.items[n]) is None or self.column(self.items[n]):
                return True
            # "list each standing order's recipient bank and amount": fields of the records
            following = self.items[n + 1] if n + 1 < len(self.items) else None
            return following is not None and (
                self.column(following) is not None or following.kind == "id_word"
            )  # (or their ids: "list their card ids")
        for item in self.items:
            if item.kind in ("meaning", "id"):
                kinds = {m.kind for m in item.meanings}
                return "column" in kinds and "table" not in kinds
        return False

    def _asks_which_only(self) -> bool:
        """A "which/what X has the most Y" question that asks for X alone."""
        # (the clause that asks: "Looking at the accounts of Tachov, on which one ...")
        for clause in re.split(r"[,:;]", self.question.lower()):
            opening = re.findall(r"[a-z]+", clause)[:2]
            if opening[:1] in (["in"], ["at"], ["from"], ["for"], ["on"]):
                opening = opening[1:]  # "In which district do the most ... live?"
            if opening[:1] in (["which"], ["what"]):
                break
        else:
            return False
        words = re.findall(r"[a-z]+", self.question.lower())
        figure = {"many", "number", "count", "much", "figure", "and"}
        # (a field's own name is no figure asked: "the largest total number of inhabitants")
        # nor is the count a superlative ranks by ("the largest total number of clients")
        ranked = [
            b
            for a, b in zip(self.items, self.items[1:], strict=False)
            if a.kind == "agg" and a.payload in ("max", "min") and b.kind == "agg"
        ]
        said = {
            w for i in self.items if i.kind != "meaning" and i not in ranked for w in i.text.split()
        }
        return not figure & set(words) & said

    def _transactions_said(self) -> bool:
        """Whether the question names transactions, a date or a condition on them (so a
        balance is the one after those, not an account's current one)."""
        return any(
            table_of(i) == "trans" or i.kind in ("date", "yearnum") for i in self.items
        ) or any("trans." in c and "latest.trans_id" not in c for c in self.conditions)

    def _current_balance(self) -> None:
        """Keep each account's latest transaction only: the balance after it is the account's
        current balance."""
        if LATEST_TRANSACTION not in self.conditions:
            self.conditions.append(LATEST_TRANSACTION)
            self.tables.add("trans")
            self.applied.append(CURRENT_BALANCE)

    def _balance_of_group(self, group: str, agg: str) -> str:
        """How a balance ranks accounts or groups of them (never a sum over an account's
        transactions, which is no balance at all): each account's current balance (a group's
        total of them), or the highest or lowest balance an account ever had when the question
        says "ever" or limits the transactions read."""
        if not _EVER.search(self.question.lower()) and not self._transactions_said():
            self._current_balance()
            return "MAX" if group == "account.account_id" else "SUM"
        if group == "account.account_id":
            return "MAX" if agg == "max" else "MIN"
        raise NotUnderstood(
            "I could not tell which balance ranks these: say the accounts' current balances, "
            "or the highest (lowest) balance an account ever had"
        )

    def _balance_only(self) -> bool:
        """Whether transactions are read only for an account's balance."""
        if self.base == "trans" or any(table_of(i) == "trans" for i in self.items):
            return False
        named = {c for c in (self.column(i) for i in self.items) if c and c.startswith("trans.")}
        in_conditions = any("trans." in c for c in self.conditions)
        return named == {"trans.balance"} and not in_conditions

    def _where(self) -> str:
        conditions = self.conditions
        if CURRENT_BALANCE in self.applied or LATEST_TRANSACTION in conditions:
            # why: a current balance compared with "the average balance" is compared with the
            # average of the accounts' current balances, not of every balance ever recorded
            conditions = [c.replace(_EVERY_BALANCE, _CURRENT_AVERAGE) for c in conditions]
        return f" WHERE {' AND '.join(conditions)}" if conditions else ""


def _agg_sql(agg: str | None) -> str:
    return {"sum": "SUM", "avg": "AVG", "max": "MAX", "min": "MIN"}.get(agg or "", "COUNT")


def _alias(agg: str | None, measure: str | None) -> str:
    if agg in (None, "count") or measure is None:
        return "count"
    return f"{agg}_{measure.split('.')[1].lower()}"
