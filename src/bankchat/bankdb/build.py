"""Build the bank database: the seven shipped Berka tables plus a generated ``trans`` table.

The shipped tables (``berka/*.asc``) are decoded into the shape of SCHEMA.md: ISO dates, client
gender and birth date from the Berka birth number. ``trans`` (about 1,056,320 rows) is
generated reproducibly from a seed, following the distributions in SCHEMA.md section 4: a first
cash deposit when an account opens, monthly income (salary or pension transfers, or cash
deposits), the account's permanent orders (household, insurance, leasing, loan payments) as
monthly transfers, cash and card withdrawals, monthly statement fees and interest credits,
sanction interest on a negative balance, and a running balance after every transaction.
"""

from __future__ import annotations

import csv
import datetime as dt
import math
import random
import sqlite3
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
BERKA = HERE / "berka"
DEFAULT_SEED = 1999
END = dt.date(1998, 12, 31)

DDL = """
CREATE TABLE district (
    district_id INTEGER default 0 not null primary key,
    A2 TEXT not null, A3 TEXT not null, A4 TEXT not null, A5 TEXT not null,
    A6 TEXT not null, A7 TEXT not null, A8 INTEGER not null, A9 INTEGER not null,
    A10 REAL not null, A11 INTEGER not null, A12 REAL null, A13 REAL not null,
    A14 INTEGER not null, A15 INTEGER null, A16 INTEGER not null
);
CREATE TABLE account (
    account_id INTEGER default 0 not null primary key,
    district_id INTEGER default 0 not null references district (district_id),
    frequency TEXT not null,
    date DATE not null
);
CREATE TABLE client (
    client_id INTEGER not null primary key,
    gender TEXT not null,
    birth_date DATE not null,
    district_id INTEGER not null references district (district_id)
);
CREATE TABLE disp (
    disp_id INTEGER not null primary key,
    client_id INTEGER not null references client (client_id),
    account_id INTEGER not null references account (account_id),
    type TEXT not null
);
CREATE TABLE card (
    card_id INTEGER default 0 not null primary key,
    disp_id INTEGER not null references disp (disp_id),
    type TEXT not null,
    issued DATE not null
);
CREATE TABLE loan (
    loan_id INTEGER default 0 not null primary key,
    account_id INTEGER not null references account (account_id),
    date DATE not null,
    amount INTEGER not null,
    duration INTEGER not null,
    payments REAL not null,
    status TEXT not null
);
CREATE TABLE "order" (
    order_id INTEGER default 0 not null primary key,
    account_id INTEGER not null references account (account_id),
    bank_to TEXT not null,
    account_to INTEGER not null,
    amount REAL not null,
    k_symbol TEXT not null
);
CREATE TABLE trans (
    trans_id INTEGER default 0 not null primary key,
    account_id INTEGER default 0 not null references account (account_id),
    date DATE not null,
    type TEXT not null,
    operation TEXT null,
    amount INTEGER not null,
    balance INTEGER not null,
    k_symbol TEXT null,
    bank TEXT null,
    account INTEGER null
);
"""
INDEXES = """
CREATE INDEX trans_account_date ON trans (account_id, date);
CREATE INDEX trans_date ON trans (date);
CREATE INDEX disp_account ON disp (account_id);
CREATE INDEX disp_client ON disp (client_id);
CREATE INDEX card_disp ON card (disp_id);
CREATE INDEX loan_account ON loan (account_id);
CREATE INDEX order_account ON "order" (account_id);
CREATE INDEX account_district ON account (district_id);
CREATE INDEX client_district ON client (district_id);
"""
TABLE_ORDER = ["district", "account", "client", "disp", "card", "loan", "order", "trans"]
TRANS_COLUMNS = [
    "trans_id",
    "account_id",
    "date",
    "type",
    "operation",
    "amount",
    "balance",
    "k_symbol",
    "bank",
    "account",
]
BANKS = ["AB", "CD", "EF", "GH", "IJ", "KL", "MN", "OP", "QR", "ST", "UV", "WX", "YZ"]


# --- the shipped tables ---------------------------------------------------------------------


def _rows(name: str) -> list[list[str]]:
    with open(BERKA / f"{name}.asc", newline="") as handle:
        reader = csv.reader(handle, delimiter=";", quotechar='"')
        next(reader)
        return [row for row in reader if row]


def _date(text: str) -> str:
    raw = text.split()[0]
    return f"19{raw[0:2]}-{raw[2:4]}-{raw[4:6]}"


def _birth(number: str) -> tuple[str, str]:
    year, month, day = int(number[0:2]), int(number[2:4]), int(number[4:6])
    gender = "F" if month > 50 else "M"
    return gender, f"19{year:02d}-{month % 50:02d}-{day:02d}"


def _nullable(text: str, kind: Callable[[str], Any]) -> Any:
    return None if text.strip() in ("?", "") else kind(text)


def _truncate_1(text: str) -> float | None:
    value = _nullable(text, float)
    return None if value is None else math.floor(value * 10 + 1e-9) / 10


def load_shipped() -> dict[str, list[tuple[Any, ...]]]:
    """The seven shipped tables, decoded into the SCHEMA.md shape."""
    tables: dict[str, list[tuple[Any, ...]]] = {}
    tables["district"] = [
        (
            int(r[0]),
            r[1],
            r[2],
            r[3],
            r[4],
            r[5],
            r[6],
            int(r[7]),
            int(r[8]),
            float(r[9]),
            int(r[10]),
            _truncate_1(r[11]),
            float(r[12]),
            int(r[13]),
            _nullable(r[14], int),
            int(r[15]),
        )
        for r in _rows("district")
    ]
    tables["account"] = [(int(r[0]), int(r[1]), r[2], _date(r[3])) for r in _rows("account")]
    tables["client"] = [(int(r[0]), *_birth(r[1]), int(r[2])) for r in _rows("client")]
    tables["disp"] = [(int(r[0]), int(r[1]), int(r[2]), r[3]) for r in _rows("disp")]
    tables["card"] = [(int(r[0]), int(r[1]), r[2], _date(r[3])) for r in _rows("card")]
    tables["loan"] = [
        (int(r[0]), int(r[1]), _date(r[2]), int(r[3]), int(r[4]), float(r[5]), r[6])
        for r in _rows("loan")
    ]
    tables["order"] = [
        (int(r[0]), int(r[1]), r[2], int(r[3]), float(r[4]), r[5]) for r in _rows("order")
    ]
    return tables


# --- generating trans -----------------------------------------------------------------------


@dataclass
class AccountProfile:
    """What drives one account's transactions."""

    account_id: int
    opened: dt.date
    frequency: str
    salary: float
    pensioner: bool
    transfers_income: bool
    orders: list[tuple[str, int, float, str]] = field(default_factory=list)
    loan: tuple[dt.date, int, float] | None = None
    card_issued: dt.date | None = None


def _iso(day: dt.date) -> str:
    return day.isoformat()


def _months(start: dt.date) -> Iterator[tuple[dt.date, dt.date]]:
    year, month = start.year, start.month
    while (year, month) <= (END.year, END.month):
        first = dt.date(year, month, 1)
        nxt = dt.date(year + (month == 12), month % 12 + 1, 1)
        yield first, nxt - dt.timedelta(days=1)
        year, month = nxt.year, nxt.month


def profiles(tables: dict[str, list[tuple[Any, ...]]], rng: random.Random) -> list[AccountProfile]:
    """One profile per account from the shipped tables (orders, loans, cards, owners)."""
    salary_of = {r[0]: r[10] for r in tables["district"]}
    born = {r[0]: int(r[2][:4]) for r in tables["client"]}
    owner: dict[int, int] = {}
    disp_account = {}
    for disp_id, client_id, account_id, kind in tables["disp"]:
        disp_account[disp_id] = account_id
        if kind == "OWNER":
            owner[account_id] = client_id
    orders: dict[int, list[tuple[str, int, float, str]]] = defaultdict(list)
    for _, account_id, bank_to, account_to, amount, k_symbol in tables["order"]:
        orders[account_id].append((bank_to, account_to, amount, k_symbol))
    loans = {r[1]: (dt.date.fromisoformat(r[2]), r[4], r[5]) for r in tables["loan"]}
    cards = {disp_account[r[1]]: dt.date.fromisoformat(r[3]) for r in tables["card"]}
    out = []
    for account_id, district_id, frequency, opened in tables["account"]:
        pensioner = born.get(owner.get(account_id, -1), 1960) < 1936
        out.append(
            AccountProfile(
                account_id=account_id,
                opened=dt.date.fromisoformat(opened),
                frequency=frequency,
                salary=max(
                    salary_of[district_id] * rng.uniform(0.55, 1.45) * (0.45 if pensioner else 1),
                    sum(o[2] for o in orders.get(account_id, [])) * rng.uniform(1.3, 1.8),
                ),
                pensioner=pensioner,
                transfers_income=pensioner or rng.random() < 0.24,
                orders=orders.get(account_id, []),
                loan=loans.get(account_id),
                card_issued=cards.get(account_id),
            )
        )
    return out


_ROUND_WITHDRAWALS = [
    100,
    200,
    300,
    400,
    500,
    600,
    800,
    1000,
    1200,
    1500,
    1800,
    2000,
    2500,
    3000,
    3500,
    4000,
    5000,
    6000,
    8000,
    10000,
    14000,
]
_ROUND_WEIGHTS = [9, 4, 3, 3, 6, 3, 3, 6, 8, 4, 8, 6, 4, 5, 2, 3, 4, 2, 1, 1, 1]
_CARD_AMOUNTS = [400, 800, 1200, 2000, 2400, 3000, 5000]


class Ledger:
    """One account's transactions, kept in date order with the running balance."""

    def __init__(self, account_id: int, rng: random.Random) -> None:
        self.account_id = account_id
        self.rng = rng
        self.balance = 0
        self.rows: list[list[Any]] = []

    def add(
        self,
        day: dt.date,
        kind: str,
        operation: str | None,
        amount: float,
        k_symbol: str | None = None,
        bank: str | None = None,
        account: int | None = None,
    ) -> None:
        value = max(0, round(amount))
        self.balance += value if kind == "PRIJEM" else -value
        self.rows.append(
            [
                self.account_id,
                day.isoformat(),
                kind,
                operation,
                value,
                self.balance,
                k_symbol,
                bank,
                account,
            ]
        )

    def withdraw(self, day: dt.date, budget: float) -> None:
        """A cash withdrawal of about ``budget``, in round numbers, rarely overdrawn."""
        rng = self.rng
        amount = float(rng.choices(_ROUND_WITHDRAWALS, _ROUND_WEIGHTS)[0])
        if rng.random() < 0.45:
            amount = round(budget * rng.uniform(0.6, 1.4), -2 if budget > 2000 else -1)
        if self.balance > 150_000:
            amount += round(self.balance * rng.uniform(0.2, 0.5), -3)
        if self.balance < amount and rng.random() < 0.97:
            amount = math.floor(max(self.balance, 0) * rng.uniform(0.3, 0.9) / 100) * 100
        if amount <= 0:
            return
        kind = "VYBER" if rng.random() < 0.064 else "VYDAJ"
        self.add(day, kind, "VYBER", amount)

    def month_end(self, day: dt.date, weekly: bool) -> None:
        self.add(day, "VYDAJ", "VYBER", 30 if weekly else 15, "SLUZBY")
        if self.balance < 0:
            self.add(day, "VYDAJ", None, max(1, -self.balance * 0.02), "SANKC. UROK")
        else:
            interest = self.balance * self.rng.uniform(0.0008, 0.0012) + 1
            self.add(
                day, "PRIJEM", None, interest, "UROK", None, 0 if self.rng.random() < 0.1 else None
            )


def account_transactions(p: AccountProfile, rng: random.Random) -> list[list[Any]]:
    """One account's transactions in date order, each with its running balance."""
    ledger = Ledger(p.account_id, rng)
    ledger.add(p.opened, "PRIJEM", "VKLAD", rng.choice([300, 500, 700, 900, 1000, 1100]))
    income_bank = rng.choice(BANKS)
    income_account = rng.randrange(10_000_000, 99_999_999)
    order_start = [p.opened + dt.timedelta(days=rng.randint(20, 400)) for _ in p.orders]
    monthly_orders = sum(o[2] for o in p.orders)
    pay_day = rng.randint(1, 28)
    weekly = p.frequency == "POPLATEK TYDNE"
    for first, last in _months(p.opened):
        events: list[tuple[int, int, tuple[Any, ...]]] = []
        at = _scheduler(events, first, last, p.opened)

        income = p.salary * rng.uniform(0.85, 1.15)
        if p.transfers_income:
            k_income = "DUCHOD" if p.pensioner else rng.choice([None, None, " "])
            at(pay_day, 0, "PRIJEM", "PREVOD Z UCTU", income, k_income, income_bank, income_account)
        else:
            at(pay_day, 0, "PRIJEM", "VKLAD", income)
        if rng.random() < 0.2:
            extra = rng.choice([800, 1000, 2000, 3000, 5000]) * rng.uniform(0.5, 3)
            at(rng.randint(1, 28), 1, "PRIJEM", "VKLAD", extra)
        for (bank_to, account_to, amount, k_symbol), start in zip(
            p.orders, order_start, strict=True
        ):
            if start > last or not _order_active(p, k_symbol, first):
                continue
            at(
                pay_day + rng.randint(0, 3),
                2,
                "VYDAJ",
                "PREVOD NA UCET",
                amount,
                k_symbol,
                bank_to,
                account_to,
            )
        withdrawals = _poisson(rng, 1.38)
        budget = max(income - monthly_orders, 300) * rng.uniform(0.75, 1.08) / max(withdrawals, 1)
        for _ in range(withdrawals):
            at(rng.randint(1, last.day), 3, "withdraw", budget)
        if p.card_issued is not None and p.card_issued <= last and rng.random() < 0.56:
            at(rng.randint(1, last.day), 4, "VYDAJ", "VYBER KARTOU", rng.choice(_CARD_AMOUNTS))
        events.sort(key=lambda e: (e[0], e[1]))
        for day, _, event in events:
            when = first.replace(day=day)
            if event[0] == "withdraw":
                ledger.withdraw(when, event[1])
            else:
                ledger.add(when, *event)
        if last <= END:
            ledger.month_end(last, weekly)
    return ledger.rows


def _scheduler(
    events: list[tuple[int, int, tuple[Any, ...]]],
    first: dt.date,
    last: dt.date,
    opened: dt.date,
) -> Callable[..., None]:
    """``at(day, seq, *event)``: plan an event on a day of the month (not before opening)."""

    def at(day: int, seq: int, *event: Any) -> None:
        day = min(day, last.day)
        if first.replace(day=day) >= opened:
            events.append((day, seq, event))

    return at


def _order_active(p: AccountProfile, k_symbol: str, month: dt.date) -> bool:
    """Loan payments (UVER) run for the loan's duration; other orders run on."""
    if k_symbol != "UVER" or p.loan is None:
        return True
    start, duration, _ = p.loan
    months_in = (month.year - start.year) * 12 + month.month - start.month
    return 0 <= months_in < duration


def _poisson(rng: random.Random, lam: float) -> int:
    threshold = math.exp(-lam)
    count, product = 0, rng.random()
    while product > threshold:
        count += 1
        product *= rng.random()
    return count


def generate_trans(
    tables: dict[str, list[tuple[Any, ...]]],
    seed: int = DEFAULT_SEED,
    progress: Callable[[int], None] | None = None,
) -> list[tuple[Any, ...]]:
    """All generated transactions, trans_id ascending by date (with gaps, as in Berka)."""
    rng = random.Random(seed)
    rows: list[list[Any]] = []
    for p in profiles(tables, rng):
        rows.extend(account_transactions(p, random.Random(seed * 1_000_003 + p.account_id)))
        if progress is not None:
            progress(1)
    rows.sort(key=lambda r: (r[1], r[0]))
    gaps = random.Random(seed + 7)
    trans_id = 0
    out = []
    for row in rows:
        trans_id += 1 + int(gaps.expovariate(1 / 2.5))
        out.append((trans_id, *row))
    return out


def generate_trans_with_progress(
    tables: dict[str, list[tuple[Any, ...]]], seed: int, progress: bool
) -> list[tuple[Any, ...]]:
    """``generate_trans`` with a progress bar over the accounts."""
    from tqdm import tqdm  # type: ignore[import-untyped]

    with tqdm(
        total=len(tables["account"]), desc="generating trans", unit="account", disable=not progress
    ) as bar:
        return generate_trans(tables, seed, bar.update)


# --- writing the database -------------------------------------------------------------------

INSERT_BATCH = 20_000


def build_sqlite(path: str | Path, seed: int = DEFAULT_SEED, progress: bool = True) -> Path:
    """Write the whole bank database to a new SQLite file (replacing a half-built one)."""
    from tqdm import tqdm

    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".partial")
    partial.unlink(missing_ok=True)
    tables = load_shipped()
    conn = sqlite3.connect(partial)
    try:
        conn.executescript("PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF;" + DDL)
        for name in TABLE_ORDER[:-1]:
            width = len(tables[name][0])
            conn.executemany(
                f'INSERT INTO "{name}" VALUES ({", ".join("?" * width)})', tables[name]
            )
        trans = generate_trans_with_progress(tables, seed, progress)
        with tqdm(
            total=len(trans),
            desc="writing trans",
            unit="row",
            unit_scale=True,
            disable=not progress,
        ) as bar:
            for start in range(0, len(trans), INSERT_BATCH):
                chunk = trans[start : start + INSERT_BATCH]
                conn.executemany("INSERT INTO trans VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", chunk)
                bar.update(len(chunk))
        conn.executescript(INDEXES)
        conn.execute("ANALYZE")
        conn.commit()
    finally:
        conn.close()
    partial.replace(target)  # why: a build cut short never leaves a half-filled database
    return target
