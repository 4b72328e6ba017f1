"""Day counts between an account's opening and a later moment: "how many days passed between
the opening of the account and the approval of its loan", "how many days old was the account
on 12/31/1998", "the average number of days between account opening and card issue".

The question is asked again with the later moment's date in place of the day count ("list the
approval dates"), and that date's column in the answer becomes the days from the account's
opening to it (averaged over the records when an average is asked)."""

from __future__ import annotations

import re

import sqlglot
from sqlglot import exp

from bankchat.nl.base import NotUnderstood, Translation
from bankchat.nl.reader import written_dates


class DayQuestions:
    """Day-count questions of the offline engine (a mixin: ``translate`` is the engine's)."""

    def translate(
        self, question: str, hidden: frozenset[tuple[str, str]] = frozenset()
    ) -> Translation:
        raise NotImplementedError

    def days_question(
        self, question: str, hidden: frozenset[tuple[str, str]]
    ) -> Translation | None:
        """The answer to ``question`` when it asks for days since an account was opened,
        else None."""
        text = _dated(question)
        aged = _AGE_IN_DAYS.search(text)
        found = aged or _DAYS.search(text)
        if found is None:
            return None
        clause = found.group("clause") if aged is None else ""
        # (the date said in the clause, or said once elsewhere: "Measured on 1998-12-31, ...")
        moment = _MOMENT.search(clause) or (
            _MOMENT.search(text) if len(_MOMENT.findall(text)) == 1 else None
        )
        later = (
            "loan"
            if re.search(r"\b(?:approv\w*|grant\w*)\b", clause)
            else "card"
            if re.search(r"\bissu\w*\b", clause)
            else "account"
            if moment is not None
            else None
        )
        opened = re.search(r"\bopen\w*\b", clause) or (
            later == "account" and re.search(r"\b(?:old|age)\b", found.group(0))
        )
        if later is None or not opened:
            raise NotUnderstood(
                "I can count the days from an account's opening to its loan's approval, its "
                "card's issue or a date; say which two moments, or write the SQL"
            )
        shown = _DATE_SHOWN[later]
        averaged = aged is not None or bool(
            found.group("avg") or found.group("said") or found.group("then")
        )
        lead, rest = text[: found.start()], text[found.end() :]
        if moment is not None and later == "account":
            # (the date the days are counted to is no condition of the records)
            lead, rest = _MOMENT.sub("", lead), _MOMENT.sub("", rest)
        lead = re.sub(r"^\W*,?\s*", "", lead)
        rest = _DAYS_NAMED.sub(shown, re.sub(r"^\s*,\s*(?=,|\s)", "", rest))
        asked = f"{lead}list the {shown}s{' of' if aged is not None else ''}{rest}"
        base = self.translate(asked, hidden)
        tree = sqlglot.parse_one(base.sql, read="sqlite")
        column = _DATE_COLUMN[later]
        spans = [
            n
            for n, e in enumerate(tree.expressions if isinstance(tree, exp.Select) else [])
            if isinstance(e.unalias(), exp.Column) and e.unalias().sql() == column
        ]
        if len(spans) != 1 or base.alternatives or tree.args.get("group"):
            raise NotUnderstood(
                "I could not tell which records the days are counted for; ask for their dates, "
                "or write the SQL"
            )
        end = f"'{moment.group(1)}'" if later == "account" and moment else column
        days = sqlglot.parse_one(
            f"julianday({end}) - julianday({_OPENED[later]})", read="sqlite"
        ).as_("days")
        tree.expressions[spans[0]] = days
        sql = tree.sql(dialect="sqlite")
        if averaged:
            key = _KEYS[later]
            tree.set("expressions", [sqlglot.parse_one(key, read="sqlite"), days])
            tree.set("order", None)
            tree.set("distinct", exp.Distinct())
            sql = (
                f"SELECT AVG(records.days) AS average_days FROM ({tree.sql(dialect='sqlite')}) "
                "AS records"
            )
        until = f"{moment.group(1)}" if later == "account" and moment else _SAID[later]
        said = found.group(0).strip()
        return Translation(
            sql,
            f"{'Average days' if averaged else 'Days'} from the account's opening to {until}: "
            f"{base.explanation}",
            notes=[*base.notes, f"days = from the account's opening date to {until}"],
            # (the words of the question as written, not those of the dates asked for it)
            words=[
                *(w for w in base.words if w[0] not in ("list", f"{shown}s")),
                (said, f"days from account.date to {until}"),
            ],
            filler=base.filler,
        )


def _dated(question: str) -> str:
    """The question with its dates as ISO dates, "the last day of 1998" as that day."""
    text = re.sub(
        r"\b(?:the\s+)?(?:last\s+day|end)\s+of\s+(\d{4})\b", r"\1-12-31", question, flags=re.I
    )
    return written_dates(text.lower())


# "the average age in days of the accounts held at ...": the records named after it
_AGE_IN_DAYS = re.compile(
    r"(?:what\s+(?:is|was)\s+)?(?:the\s+)?(?:average|mean)\s+(?:account\s+)?age\s+in\s+days"
    r"(?:\s*,?\s*(?:on|as\s+of|at)\s+\d{4}-\d{2}-\d{2}\s*,?)?\s+of\b"
)
# "how many days passed between ...", "how many days on average had the account been open
# ...", "the average number of days between ...", "how many days old was it on ...", "the
# average age in days of ...": the day count and the clause that says between what
_DAYS = re.compile(
    r"(?:what\s+(?:is|was)\s+)?(?:the\s+)?(?:(?P<avg>average|mean)\s+number\s+of\s+days|(?:(?P<said>on\s+average),?\s+)?how\s+many\s+days(?P<then>\s+on\s+average)?)"
    r"(?P<clause>[^?;,]*?)(?=\s*(?:[?;,]|\.\s|\.?$))",
)
_MOMENT = re.compile(r"\b(?:on|by|as\s+of|at|measured\s+on)\s+(\d{4}-\d{2}-\d{2})\b")
_DAYS_NAMED = re.compile(r"\b(?:the\s+)?(?:number\s+of\s+)?days\b(?:\s+(?:between|since)[^,?.]*)?")
_DATE_SHOWN = {"loan": "approval date", "card": "issue date", "account": "opening date"}
_DATE_COLUMN = {"loan": "loan.date", "card": "card.issued", "account": "account.date"}
_KEYS = {"loan": "loan.loan_id", "card": "card.card_id", "account": "account.account_id"}
_SAID = {"loan": "the loan's approval", "card": "the card's issue", "account": "that date"}
# the opening date of the account a loan or a card belongs to, looked up by its key
_OPENED = {
    "loan": "(SELECT opened.date FROM account AS opened WHERE opened.account_id = loan.account_id)",
    "card": "(SELECT opened.date FROM disp AS holder JOIN account AS opened ON "
    "opened.account_id = holder.account_id WHERE holder.disp_id = card.disp_id)",
    "account": "account.date",
}
