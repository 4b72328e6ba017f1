"""The builder: the items of one question to one SELECT.

It reads the frame of the question first (durations, the aggregate, a top-k limit, the
measure, the grouping, the records it is about), then lets the filters add conditions and
the assembly write the SQL. A content word nothing accounted for is refused by name rather
than dropped.
"""

from __future__ import annotations

import re
from typing import Any

from bankchat.nl.assembly import ASKS_WHEN, Assembly
from bankchat.nl.base import Item, NotUnderstood, Translation, table_of
from bankchat.nl.filters import Filters

_AGENT_BY = re.compile(
    r"\bby\s+(?:an?|the)\b(?!\s+(?:\w+\s+){0,2}?\w+'s\s)|\b(?:pay|pays|paid|paying|withdrawn|made|received|sent|"
    r"granted|approved|held|owned|issued|settled|borrowed|lent|spent|deposited|"
    r"transferred)\b(?:\s+\S+){0,4}?\s+by\b"
    # "by accounts held at ...", "by clients who ...": the doers, described
    r"|\bby\s+\w+\s+(?:held|owned|opened|that|which|who|whose|living)\b"
)

_IN_ALL = ("in total", "altogether", "in all")
_SINGLE = re.compile(
    r"\b(?:single|individual)\s+(?:largest|biggest|highest|smallest|lowest)\b|\b(?:largest|biggest|highest|smallest|lowest)\s+(?:single|individual)\b"
)
# superlatives of size, not of time ("the largest loan", not "the latest")
_SIZES = ("largest", "biggest", "highest", "smallest", "lowest", "greatest", "maximum", "minimum")
_OWNER = re.compile(r"\bowners?\b")


class Builder(Filters, Assembly):
    """Turns the items of one question into one SELECT."""

    def build(self) -> Translation:
        """The question's SQL, or NotUnderstood naming what could not be placed."""
        self._durations()
        agg, agg_at = self._agg()
        topk = self._topk()
        measure = self._measure(agg, agg_at)
        if agg == "count" and measure is not None:
            agg = "sum"  # "number of inhabitants" is a total, not a count of rows
        if agg == "sum" and measure in self.layer.averaged:
            # "how much is the average salary in a region": a rate is averaged, and "how
            # much" only asks for it
            agg = "avg"
            if 0 <= agg_at < len(self.items) and self.items[agg_at].text == "how much":
                self.items[agg_at].kind = "stop"
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
            if table_of(item) == self.base:
                item.used = True
        self.any_disposition = any(i.kind == "anydisp" for i in self.items)
        self._filters()
        for item in self.items:
            if item.kind == "homeplace":
                self._home_and_branch(item)
        if (
            not self.any_disposition
            and any(table_of(i) == "client" and _OWNER.search(i.text) for i in self.items)
            and not self._role_said()
        ):
            # "account owners" are the clients who own an account, not every client (some
            # are only disponents)
            self.tables.add("disp")
            self.conditions.append("disp.type = 'OWNER'")
            self.applied.append("owners = clients with an owner's disposition of an account")
        if any(i.text.startswith("current balance") for i in self.items) or (
            agg in ("sum", "avg") and measure == "trans.balance" and self._accounts_balance()
        ):
            self._current_balance()
        if group is None and self.split_by and agg in ("count", "sum", "avg"):
            group = (self.split_by[0], self.split_by[0].split(".")[1])
        self._related_tables()
        self._extra_columns(agg, group, measure)
        when = any(i.kind == "when" for i in self.items)
        if self.picked_field and when and measure is not None and group is None:
            self._when_picked(measure)
        if agg is None and group is None and not row_focus and topk is None:
            focus = self._focus()
            # (a column a condition already uses, "districts of the south Bohemia region",
            # is not the field asked for)
            named = [
                c
                for n, c in enumerate(self.column(i) for i in self.items)
                if c is not None
                and (self._in_field_list(n) or not any(c in cond for cond in self.conditions))
            ]
            if (
                focus is not None
                and focus[0] <= 2
                and len(set(named)) == 1
                and len(set(self.extra_columns)) <= 1  # (several fields asked: a list)
            ):
                only = named[0]
                table = table_of(focus[1])
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
                "year",
                "month",
                "or",
            )
        ]
        if leftovers:
            raise NotUnderstood(
                "I could not place: " + ", ".join(repr(i.text) for i in leftovers),
                [i.text for i in leftovers],
            )
        return self._assemble(agg, measure, group, topk, row_focus)

    def _durations(self) -> None:
        """``24 month loans`` -> loan.duration = 24; ``12-month or 24-month loans`` -> either."""
        chosen: list[Any] = []
        at = 0  # the index of the last duration's condition
        for n, item in enumerate(self.items[:-1]):
            nxt = self.items[n + 1]
            before = self.items[n - 1] if n > 0 else None
            compared = before is not None and before.kind in ("cmp", "between", "and")
            if item.kind == "number" and nxt.kind == "month" and not compared:
                item.used = nxt.used = True
                said = [i for i in self.items[max(0, n - 2) : n] if i.kind != "stop"]
                if (
                    len(said) == 2
                    and said[1].text == "of"
                    and self.column(said[0]) == "loan.duration"
                ):
                    said[0].used = said[1].used = True  # ("a term of 48 months": the condition)
                if before is not None and before.kind == "or" and chosen:
                    before.used = True
                    chosen.append(item.payload)
                    self.conditions[at] = f"loan.duration IN ({', '.join(map(str, chosen))})"
                    continue
                chosen, at = [item.payload], len(self.conditions)
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
                    # (unless it is compared: "average salary above 10,000: which districts")
                    and not any(i.kind in ("cmp", "between") for i in self.items[n + 1 : n + 3])
                ):
                    return "avg", n - 1
        for n, item in enumerate(self.items):
            if (
                item.kind == "agg"
                and item.payload == "avg"
                and n
                and self.items[n - 1].kind == "cmp"
            ):
                continue  # "above the average" is a condition, not the figure asked for
            if (
                item.kind == "agg"
                and item.text == "how much"
                and any(i.kind == "agg" and i.payload == "avg" for i in self.items[n + 1 :])
            ):
                item.kind = "stop"  # "how much is the average loan": the average is asked
                continue
            if item.kind == "agg":
                item.used = True
                payload = item.payload
                if when and payload in ("max", "min") and item.text in _SIZES:
                    # "when was the largest loan granted": the largest loan's date, not the
                    # latest date
                    self.picked_field = True
                elif when and payload in ("max", "min"):
                    payload = "max_date" if payload == "max" else "min_date"
                if payload in ("count", "sum"):
                    # "how many disponents are there in total": the same figure, said again
                    for other in self.items[n + 1 :]:
                        if other.kind == "agg" and other.text in _IN_ALL:
                            other.kind, other.used = "stop", True
                return payload, n
        if when:
            for item in self.items:
                item.used = item.used or item.kind == "when"
            last = any(i.kind == "topk" for i in self.items) is False
            return ("max_date" if last else "min_date"), 0
        return None, -1

    def _accounts_balance(self) -> bool:
        """Whether a total or average balance is of accounts ("the total balance of all
        accounts in Kolin": each one's current balance), not of transactions (no
        transaction, date or other field of one is named)."""
        named = {c for c in (self.column(i) for i in self.items) if c and c.startswith("trans.")}
        return (
            named == {"trans.balance"}
            and any(table_of(i) == "account" for i in self.items)
            and not self._transactions_said()
        )

    def _when_picked(self, measure: str) -> None:
        """The date of the record a largest or smallest picks out, shown as its field ("When
        was the largest loan granted?"); after the figure itself when that is asked first
        ("What was the biggest withdrawal, and when did it happen?")."""
        for item in self.items:
            if item.kind == "when":
                item.used = True
        table = measure.split(".")[0]
        date = self._date_column(table, len(self.items))
        if not date.startswith(f"{table}."):
            raise NotUnderstood(f"I could not tell which date of the {table} records is asked for")
        if not ASKS_WHEN.match(self.question.lower()) and measure not in (self.extra_columns):
            self.extra_columns.append(measure)
        if date not in self.extra_columns:
            self.extra_columns.append(date)

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
                    or (n > 0 and self.items[n - 1].kind in ("which", "list") and table_of(nxt))
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
            following = next((i for i in self.items[at + 1 :] if i.kind != "stop"), None)
            before = next((i for i in reversed(self.items[:at]) if i.kind != "stop"), None)
            if (following is None or table_of(following) is None) and before is not None:
                # ("whose account is the oldest": the record said just before)
                said = re.search(
                    rf"\b{re.escape(before.text)}\s+(?:is|was)\s+(?:the\s+)?"
                    rf"{re.escape(word)}\b",
                    self.question.lower(),
                )
                following = before if said else following
            table = table_of(following) if following is not None else None
            own = self.layer.tables[table].date if table not in (None, "client") else None
            if following is not None and own:
                # "the oldest account", "the youngest card": the record's own date (the
                # account opened first), not its owner's birth date
                following.used = True
                return f"{table}.{own}"
            return "client.birth_date"
        after = at + 1
        while (
            word in ("most", "fewest", "least")
            and after + 1 < len(self.items)
            and table_of(self.items[after]) is None
            and _value_table(self.items[after]) is not None
            and table_of(self.items[after + 1]) is not None
        ):
            after += 1  # ("the fewest running loans": the loans, with what they are)
        if (
            word in ("most", "fewest", "least")
            and after < len(self.items)
            and (
                table_of(self.items[after])
                or self._records_named(self.items[after])
                or _plural_kind(self.items[after])
            )
        ):
            return None  # "the most loans", "the most women", "the most withdrawals": a count
        wanted = ("date",) if agg in ("min_date", "max_date") else ("number",)
        for n, item in enumerate(self.items[at + 1 :], start=at + 1):
            column = self.column(item)
            compared = next((i for i in self.items[n + 1 :] if i.kind != "stop"), None)
            if (
                column is not None
                and agg in ("sum", "avg")
                and compared is not None
                and compared.kind in ("cmp", "between")
                and self.items[at].text in ("how much", "in total")
            ):
                continue  # ("how much ... in districts with unemployment under 2%": a condition)
            if column is not None and self.ctype(column) in wanted:
                item.used = True
                return column
            table = table_of(item)
            if table is None and agg in ("sum", "avg", "max", "min"):
                # "the average single cash deposit": the amount of the records a value names
                named = _value_table(item)
                if named is not None and self.layer.tables[named].measure:
                    table = named
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
            named_date = (
                self.column(items[n - 1]) if n > 1 and items[n - 2].kind == "group" else None
            )
            if item.kind == "year" and named_date is not None and self.ctype(named_date) == "date":
                # "per approval year": the year of that date
                item.used = items[n - 1].used = items[n - 2].used = True
                return ("YEAR", "year"), False
            if item.kind == "year" and n + 1 < len(items) and items[n + 1].kind == "yearnum":
                # "during the year 1998" names a year, it does not group by year
                item.used = True
                continue
            if item.kind == "year" and item.text == "years" and n > 0 and items[n - 1].kind == "in":
                # "duration in years" is a unit, not a grouping: not read, so refused
                continue
            if item.kind == "year" and (
                (n > 0 and items[n - 1].kind in ("group", "in"))
                or item.text in ("yearly", "annually", "per year")
            ):
                item.used = True
                if n > 0 and items[n - 1].kind in ("group", "in"):
                    items[n - 1].used = True
                for later in items[n + 1 :]:
                    if later.kind == "year" and later.text == "year":
                        later.used = True  # "... Show the year and the count."
                return ("YEAR", "year"), False
            if item.kind == "month" and n > 0 and items[n - 1].kind in ("group", "in"):
                item.used = items[n - 1].used = True
                if measure in self.layer.monthly and items[n - 1].text in ("every", "each"):
                    continue  # "pay every month in installments": the installment itself
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
            if item.text == "by" and _AGENT_BY.search(self.question.lower()):
                # "received by an account", "pay their bills by permanent order": who did it or
                # how, not a grouping
                continue
            target = items[n + 1]
            if agg is None and item.text in ("every", "each") and table_of(target) is not None:
                # "the date and amount of every transaction on account 1": all of them, listed
                item.used = True
                continue
            after = items[n + 2] if n + 2 < len(items) else None
            owned = self.column(after) if after is not None else None
            if (
                after is not None
                and table_of(target) is not None
                and owned
                and owned.startswith(f"{table_of(target)}.")
            ):
                # "by the account owner's gender": that field of those records
                target.used = True
                n, target = n + 1, after
            grouping = self._group_column(target)
            if (
                grouping is not None
                and measure is not None
                and table_of(target) == measure.split(".")[0]
                and item.text in ("per", "for each", "each")
            ):
                # "the average amount per transaction": over the transactions, not per each one
                item.used = target.used = True
                continue
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
            return self._ranked_by(column)
        table = table_of(target)
        if table is None:
            return None, False
        measured = measure.split(".")[0] if measure else None
        if measured == table or (measure is None and not self._counts_other_table(table, n)):
            return None, True
        info = self.layer.tables[table]
        target.used = True
        self.tables.add(table)
        return self._ranked_by(f"{table}.{info.name_column or info.key}")

    def _ranked_by(self, column: str) -> tuple[tuple[str, str] | None, bool]:
        """Group by ``column`` to rank its values ("which region has the most clients"),
        unless one record is ranked: "which branch holds the account that pays the single
        largest standing order" is that order's branch, not the branch whose orders add up
        to the most."""
        if _SINGLE.search(self.question.lower()):
            self.picked_field = True
            self.extra_columns.append(column)
            self.tables.add(column.split(".")[0])
            return None, False
        return (column, column.split(".")[1]), False

    def _after_topk(self, n: int) -> bool:
        return any(i.kind in ("topk", "number") for i in self.items[:n])

    def _focus(self) -> tuple[int, Item] | None:
        for n, item in enumerate(self.items):
            if item.kind == "meaning":
                return n, item
        return None

    def _counts_other_table(self, table: str, at: int) -> bool:
        for item in self.items[at + 1 :]:
            other = table_of(item)
            if other and other != table:
                return True
            if _plural_kind(item) and any(
                m.kind == "value" and m.table not in (table, "*") for m in item.meanings
            ):
                return True  # "which account made the most card withdrawals"
        return False

    def _group_column(self, item: Item) -> tuple[str, str] | None:
        if item.kind != "meaning":
            return None
        column = self.column(item)
        if column is not None:
            return (column, column.split(".")[1])
        table = table_of(item)
        if table is not None:
            info = self.layer.tables[table]
            name = info.name_column or info.key
            return (f"{table}.{name}", name)
        return None

    def _counted_value_table(self) -> str | None:
        """The table of a value phrase that directly follows "how many", if one does."""
        for n, item in enumerate(self.items[:-1]):
            if item.kind == "agg" and item.payload == "count":
                # ("how many of the clients living there": the clients)
                rest = self.items[n + 1 :]
                while len(rest) > 1 and (rest[0].kind == "stop" or rest[0].text == "of"):
                    rest = rest[1:]
                nxt = rest[0]
                kinds = {m.kind for m in nxt.meanings}
                if nxt.kind == "meaning" and kinds == {"value"}:
                    named = _value_table(nxt)
                    if named is not None:
                        return named
                # "At the Praha branch, how many accounts were opened": the accounts
                counted = table_of(nxt)
                if counted is not None and n > 0:
                    return counted
                return None
        return None

    def _records_first(self) -> str | None:
        """The records a value names when it comes before any table: "List the women born
        before 1940 who own an account" lists clients, "Which gold cards were issued to
        ..." cards."""
        for item in self.items:
            if table_of(item) is not None:
                return None
            named = self._records_named(item)
            if named is not None:
                return named
        return None

    def _records_named(self, item: Item) -> str | None:
        """The table of the records a value names ("women": clients), if it names some."""
        for meaning in item.meanings:
            if meaning.kind == "value" and meaning.qualified in self.layer.record_values:
                return meaning.table
        return None

    def _kind_named(self, item: Item) -> str | None:
        """The table of the records a plural value names ("card withdrawals": transactions)."""
        return _value_table(item) if _plural_kind(item) else None

    def _base(
        self, agg: str | None, measure: str | None, group: tuple[str, str] | None, row_focus: bool
    ) -> str:
        if row_focus:
            focus = self._focus()
            assert focus is not None
            table = table_of(focus[1])
            assert table is not None
            return table
        if measure is not None and agg not in (None, "count"):
            return measure.split(".")[0]
        if agg == "count":
            # why: "how many card withdrawals were made from accounts ..." counts withdrawals:
            # a value right after "how many" names the records counted
            counted = self._counted_value_table()
            if counted is not None:
                return counted
        named = self._records_first()
        if named is not None and agg in (None, "count"):
            return named
        if (group is not None and agg in ("count", "max", "min", None)) or agg == "count":
            # "which accounts at branches in Kolin have the most orders" counts what follows
            # "the most" (orders), not the first records named after the grouping (branches)
            most = next(
                (
                    n
                    for n, i in enumerate(self.items)
                    if i.kind == "agg" and i.payload in ("max", "min")
                ),
                0,
            )
            for item in [*self.items[most:], *self.items[:most]]:
                table = table_of(item) or self._records_named(item) or self._kind_named(item)
                if table and not item.used:
                    return table
        for item in self.items:
            table = table_of(item)
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
        for item in self.items:
            if item.kind == "id":
                return str(item.payload[0])  # "Show account 42"
        raise NotUnderstood(
            "I could not tell which records the question is about "
            "(clients, accounts, loans, cards, transactions, orders, districts?)"
        )


def _plural_kind(item: Item) -> bool:
    """Whether an item names records of a kind in the plural ("card withdrawals", "credits"),
    which "the most" counts, not an amount ("the most withdrawn"); the head noun is before a
    qualifier ("withdrawals by card", "payments for insurance")."""
    head = re.split(r"\s+(?:by|of|for|from|to|in|at|with)\s+", item.text)[0]
    return head.endswith("s") and any(m.kind == "value" for m in item.meanings)


def _value_table(item: Item) -> str | None:
    """The one table whose records a value names ("cash deposit": transactions), if one."""
    tables = {m.table for m in item.meanings if m.kind == "value"} - {"*"}
    return tables.pop() if len(tables) == 1 else None
