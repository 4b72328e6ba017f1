"""Answers in the bank's words: column titles, the interpretation, flags, and roles that
explain themselves. Everything runs on the real bank database through the real pipeline."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from bankchat.nl.engine import OfflineAdapter
from bankchat.roles import DEMO_ROLES, policy_of
from bankchat.service import BankChat


def _policy(role: str):
    return policy_of([r for r in DEMO_ROLES if r["name"] == role])


@pytest.fixture(scope="module")
def chat(bank_sqlite: Path) -> BankChat:
    return BankChat(str(bank_sqlite), engine=OfflineAdapter())


def _texts(result, part: str) -> list[str]:
    return [line["text"] for line in result.interpretation if line["part"] == part]


def test_columns_carry_bank_titles_units_and_code_meanings(chat: BankChat) -> None:
    result = chat.run_sql(
        "SELECT d.A2, l.status, AVG(l.amount) AS avg_amount, COUNT(*) "
        "FROM loan l JOIN account a ON a.account_id = l.account_id "
        "JOIN district d ON d.district_id = a.district_id GROUP BY d.A2, l.status",
        _policy("analyst"),
    )
    assert result.status == "success"
    info = result.column_info
    assert [c["label"] for c in info] == [
        "District",
        "Loan status",
        "Average loan amount",
        "Number of loans",
    ]
    assert info[2]["kind"] == "money" and info[2]["unit"] == "CZK"
    assert info[1]["kind"] == "code" and info[1]["values"]["D"] == "running, client in debt"
    assert info[3]["kind"] == "count"
    assert result.chart is None or "A2" not in result.chart["title"]


def test_the_interpretation_reads_the_sql_clause_by_clause(chat: BankChat) -> None:
    result = chat.run_sql(
        "SELECT COUNT(DISTINCT c.client_id) FROM client c "
        "JOIN disp d ON d.client_id = c.client_id JOIN account a ON a.account_id = d.account_id "
        "JOIN district x ON x.district_id = a.district_id "
        "WHERE d.type = 'OWNER' AND a.frequency = 'POPLATEK TYDNE' AND x.A11 > 10000",
        _policy("analyst"),
    )
    assert result.status == "success"
    assert _texts(result, "computes") == ["Number of clients"]
    filters = _texts(result, "filter")
    assert 'Statement frequency is "weekly statements" (POPLATEK TYDNE)' in filters
    assert "Average salary over 10,000 CZK" in filters
    conventions = _texts(result, "convention")
    assert "owners only (not other people allowed to use the account)" in conventions
    assert "district = the branch that holds the account" in conventions
    # one figure: no row cap to mention
    assert _texts(result, "cap") == []


@pytest.mark.parametrize(
    ("select", "title"),
    [("t.balance", "Current balance"), ("SUM(t.balance)", "Total current balance")],
)
def test_a_balance_of_each_accounts_latest_transaction_is_its_current_balance(
    chat: BankChat, select: str, title: str
) -> None:
    """Whoever wrote the SQL (the engine, a model, the user), keeping only each account's
    latest transaction reads as that, and its balance is the current balance; they read
    "Transaction is a computed value" and "balance after the transaction"."""
    result = chat.run_sql(
        f"SELECT {select} FROM trans t JOIN account a ON a.account_id = t.account_id "
        "WHERE a.district_id = 1 AND t.trans_id = (SELECT l.trans_id FROM trans AS l "
        "WHERE l.account_id = t.account_id ORDER BY l.date DESC, l.trans_id DESC LIMIT 1)",
        _policy("analyst"),
    )
    assert result.status == "success"
    assert [c["label"] for c in result.column_info] == [title]
    assert "Transaction: each account's latest" in _texts(result, "filter")
    # the largest transaction's row: still the balance after that transaction
    other = chat.run_sql(
        f"SELECT {select} FROM trans t WHERE t.account_id = 500 AND t.trans_id = (SELECT "
        "l.trans_id FROM trans AS l WHERE l.account_id = t.account_id ORDER BY l.amount DESC "
        "LIMIT 1)",
        _policy("analyst"),
    )
    assert other.status == "success"
    assert "current" not in other.column_info[0]["label"].lower()


def test_an_order_by_date_reads_latest_or_earliest_first(chat: BankChat) -> None:
    result = chat.run_sql(
        "SELECT a.account_id, a.date, l.amount FROM account a "
        "JOIN loan l ON l.account_id = a.account_id ORDER BY a.date DESC, l.amount",
        _policy("analyst"),
    )
    assert result.status == "success"
    [order] = _texts(result, "order")
    assert "latest first" in order and "highest" not in order.split(";")[0]
    assert order.endswith("lowest first")  # an amount is still highest or lowest


def test_an_interpretation_names_the_words_the_engine_read_and_the_filler(chat) -> None:
    result = chat.ask("Show me loans over $10,000", _policy("analyst"))
    assert result.status == "success"
    assert "loan.amount > 10000" in result.sql
    assert "Loan amount over 10,000 CZK" in _texts(result, "filter")
    assert "'me'" in _texts(result, "filler")[0]
    assert "the loan table" in _texts(result, "words")[0]


def test_an_account_balance_is_its_current_one_and_each_account_is_listed_once(
    chat: BankChat, bank_sqlite: Path
) -> None:
    result = chat.ask("top 5 accounts by balance", _policy("analyst"))
    assert result.status == "success"
    accounts = [row[0] for row in result.rows]
    assert len(accounts) == 5 == len(set(accounts))
    with sqlite3.connect(bank_sqlite) as db:
        current = dict(
            db.execute(
                "SELECT t.account_id, t.balance FROM trans t WHERE t.trans_id = "
                "(SELECT l.trans_id FROM trans l WHERE l.account_id = t.account_id "
                "ORDER BY l.date DESC, l.trans_id DESC LIMIT 1)"
            ).fetchall()
        )
    expected = sorted(current.items(), key=lambda kv: (-kv[1], kv[0]))[:5]
    assert [(row[0], row[-1]) for row in result.rows] == expected
    assert any("current balance" in text for text in _texts(result, "convention"))


def test_a_teller_lists_clients_without_the_column_the_role_may_not_read(chat) -> None:
    result = chat.ask("list clients", _policy("teller"))
    assert result.status == "success" and result.rows
    assert "birth_date" not in result.columns
    conventions = _texts(result, "convention")
    assert any("left out client.birth_date" in text for text in conventions)
    # a district number is shown by its name
    home = result.column_info[result.columns.index("district_id")]
    assert home["kind"] == "code" and home["values"]["1"] == "Hl.m. Praha"
    scope = _texts(result, "scope")
    assert scope and "your branch" in scope[0]
    assert any("Your role sees only part of the data" in flag for flag in result.flags)


def test_asking_for_a_forbidden_column_says_not_allowed_and_why(chat: BankChat) -> None:
    result = chat.ask("show the birth dates of clients", _policy("teller"))
    assert result.status == "denied", result
    assert result.error.startswith("Not allowed")
    assert "birth date" in result.error and "teller" in result.error
    table = chat.run_sql("SELECT * FROM loan", _policy("auditor"))
    assert table.status == "denied" and "may not read loans" in table.error


def test_a_total_limited_to_the_branch_says_so(chat: BankChat) -> None:
    teller = chat.ask("total loan amount", _policy("teller"))
    analyst = chat.ask("total loan amount", _policy("analyst"))
    assert teller.rows[0][0] < analyst.rows[0][0]
    assert _texts(teller, "scope") and not _texts(analyst, "scope")
    assert teller.flags and not analyst.flags


def test_flags_for_empty_results_ties_at_the_cut_off_and_all_null_columns(chat) -> None:
    empty = chat.run_sql("SELECT loan_id FROM loan WHERE amount < 0", _policy("analyst"))
    assert any("No rows match" in flag for flag in empty.flags)
    # many districts share a region: cutting a list sorted by region at 2 picks among equals
    tie = chat.run_sql("SELECT A2, A3 FROM district ORDER BY A3, A2 LIMIT 2", _policy("analyst"))
    assert any(flag.startswith("Tie at the cut-off") for flag in tie.flags)
    clean = chat.run_sql(
        "SELECT A2, district_id FROM district ORDER BY district_id LIMIT 2", _policy("analyst")
    )
    assert not any(flag.startswith("Tie") for flag in clean.flags)
    nulls = chat.run_sql(
        "SELECT trans_id, bank FROM trans WHERE bank IS NULL LIMIT 3", _policy("analyst")
    )
    assert any("'Partner bank' is empty" in flag for flag in nulls.flags)


@pytest.mark.parametrize(
    ("question", "why"),
    [
        # a comparison with another record the engine cannot build: never dropped silently
        ("accounts opened earlier than account 42", "could not place: 'earlier than'"),
        # two different figures joined by "and", where the SQL would compute one
        (
            "How many loans were granted in 1996 and how many accounts were opened in 1997?",
            "more figures",
        ),
        # one figure per value grouped by, and a third one asked
        (
            "How many owners and how many disponents live in Kolin, and how many cards do they "
            "hold?",
            "more figures",
        ),
        # a comparison with another client the engine cannot build
        ("How many clients live in the same district as client 42?", "'the same district'"),
    ],
)
def test_the_gate_asks_back_instead_of_answering_part_of_the_question(
    chat: BankChat, question: str, why: str
) -> None:
    result = chat.ask(question, _policy("analyst"))
    assert result.status == "not_understood", result.sql
    assert why in result.error


def test_a_home_compared_with_a_branch_reads_in_the_banks_words(chat: BankChat) -> None:
    """The interpretation names both sides of a comparison of two columns ("Home district is
    not Branch district"), and a region looked up for each ("Home district's region")."""
    district = chat.ask(
        "How many account owners live in a different district from their account's branch?",
        _policy("analyst"),
    )
    assert district.status == "success", district.error
    assert "Home district is not Branch district" in _texts(district, "filter")
    region = chat.ask(
        "How many account owners live in the same region as the branch of their account?",
        _policy("analyst"),
    )
    assert region.status == "success", region.error
    assert "Home district's region is Branch district's region" in _texts(region, "filter")
    words = " ".join(_texts(region, "words"))
    assert "the client living in the region of the account's branch" in words


def test_a_count_per_record_reads_as_a_number_of_its_records(chat: BankChat) -> None:
    districts = chat.ask("How many districts have more than 100 clients?", _policy("analyst"))
    assert districts.status == "success", districts.error
    assert "Number of its clients over 100" in _texts(districts, "filter")
    owners = chat.ask(
        "Which account owners send standing orders to at least 5 different recipient banks?",
        _policy("analyst"),
    )
    assert owners.status == "success", owners.error
    assert any(
        text.startswith("Number of different recipient banks of its permanent orders")
        for text in _texts(owners, "filter")
    )


def test_groups_kept_by_a_count_read_as_such(chat: BankChat) -> None:
    """ "Which regions had more than 40 loans granted in 1997?" keeps the regions whose count
    passes, and the interpretation says so in the bank's words (the SQL's HAVING)."""
    result = chat.ask("Which regions had more than 40 loans granted in 1997?", _policy("analyst"))
    assert result.status == "success", result.error
    assert result.rows == [["north Moravia"], ["south Moravia"]]
    assert "only the groups whose number of loans is over 40" in _texts(result, "filter")
    assert "one row per region" in _texts(result, "group")


def test_a_join_that_filters_is_a_use_and_passes_the_gate(chat: BankChat) -> None:
    result = chat.ask("How many clients own an account that has a loan?", _policy("analyst"))
    assert result.status == "success", result.error
    assert "JOIN loan" in result.sql


def test_two_readings_with_different_answers_are_offered_as_choices(chat: BankChat) -> None:
    asked = chat.ask("How many clients with accounts in Prague?", _policy("analyst"))
    assert asked.status == "ambiguous" and asked.rows == []
    labels = [choice["label"] for choice in asked.choices]
    assert labels == ["accounts held at branches in Prague", "clients living in Prague"]
    held, living = (chat.run_sql(c["sql"], _policy("analyst")) for c in asked.choices)
    assert held.rows != living.rows
    assert "account.district_id" in asked.choices[0]["sql"]
    assert "client.district_id" in asked.choices[1]["sql"]
    # a verb that says which is followed, with no question back
    living_answer = chat.ask(
        "How many clients living in Prague own an account?", _policy("analyst")
    )
    assert living_answer.status == "success" and living_answer.rows == living.rows


def test_how_many_of_each_of_two_values_offers_rows_or_counts_side_by_side(chat) -> None:
    """ "How many men and how many women ...?" is read both as one row per gender and as the
    two counts side by side (in the order asked); the asker chooses."""
    asked = chat.ask(
        "How many men and how many women own accounts at Kolin branches?", _policy("analyst")
    )
    assert asked.status == "ambiguous"
    assert [c["label"] for c in asked.choices] == [
        "a row for each gender, with its count",
        "the counts side by side, in the order asked",
    ]
    rows, side = (chat.run_sql(c["sql"], _policy("analyst")).rows for c in asked.choices)
    assert side == [[count for _, count in sorted(rows, key=lambda r: r[0] != "M")]]


def test_readings_that_agree_are_answered_and_the_interpretation_says_so(bank_sqlite) -> None:
    from bankchat.nl.base import Translation

    sql = "SELECT COUNT(*) FROM district WHERE A3 = 'Prague'"

    class TwoReadings:
        name = "offline"

        def translate(self, question, context):
            same = [("branches in Prague", sql), ("homes in Prague", sql + " AND 1 = 1")]
            return Translation(sql, "counted", "offline", alternatives=same)

    chat = BankChat(str(bank_sqlite), engine=TwoReadings())
    result = chat.ask("districts in Prague", _policy("analyst"))
    assert result.status == "success" and result.rows == [[1]]
    assert any("the same answer whether" in text for text in _texts(result, "convention"))


GATE_CASES = [
    # a phrase read but dropped from the SQL ('age' became the loan amount)
    (
        "average age of the owners of loans in debt",
        "SELECT AVG(loan.amount) FROM loan WHERE loan.status = 'D'",
        "could not use 'age'",
    ),
    # two figures in separate parts of the question, one in the SQL
    (
        "how many loans were granted in 1996, and what was the total amount",
        "SELECT COUNT(*) FROM loan WHERE loan.date >= '1996-01-01' AND loan.amount > 0",
        "could not use 'total'",
    ),
    (
        "how many loans are there and how many accounts",
        "SELECT COUNT(*) FROM loan JOIN account ON account.account_id = loan.account_id",
        "more figures",
    ),
    # 'both' read as either
    (
        "accounts with both gold and junior cards",
        "SELECT account.account_id FROM account JOIN disp ON disp.account_id = "
        "account.account_id JOIN card ON card.disp_id = disp.disp_id "
        "WHERE card.type IN ('gold', 'junior')",
        "both of two values",
    ),
    (
        "accounts owned by a man that also have a woman as disponent",
        "SELECT COUNT(DISTINCT account.account_id) FROM account JOIN disp ON "
        "disp.account_id = account.account_id JOIN client ON client.client_id = "
        "disp.client_id WHERE client.gender IN ('M', 'F') AND disp.type = 'DISPONENT'",
        "both of two values",
    ),
    # a superlative inside another, with one in the SQL
    (
        "the largest loan in the district with the lowest average salary",
        "SELECT MAX(loan.amount) FROM loan JOIN account ON account.account_id = "
        "loan.account_id JOIN district ON district.district_id = account.district_id "
        "WHERE district.A11 > 0",
        "superlative inside another",
    ),
    # one value asked for, many rows listed
    (
        "What is the average salary across the districts of north Bohemia?",
        "SELECT district.A11 FROM district WHERE district.A3 = 'north Bohemia'",
        "asks for one value",
    ),
    # a table named as a field, passed through and shown nowhere
    (
        "the birth date and home district of client 2166",
        "SELECT DISTINCT client.birth_date FROM district JOIN client "
        "ON client.district_id = district.district_id WHERE client.client_id = 2166",
        "read district without using it",
    ),
    # a person's age read as an amount
    (
        "total amount of the loans whose owner was over 50 when it was approved",
        "SELECT SUM(loan.amount) FROM loan JOIN disp ON disp.account_id = loan.account_id "
        "WHERE disp.type = 'OWNER' AND loan.amount > 50",
        "reads as an age",
    ),
    # ids asked for, not shown
    (
        "the account with the lowest balance: give the account id and the balance",
        "SELECT MIN(trans.balance) FROM trans JOIN account ON account.account_id = "
        "trans.account_id",
        "asks for account ids",
    ),
    # branches said, the clients' home used
    (
        "clients with accounts at branches in Prague",
        "SELECT client.client_id FROM client JOIN disp ON disp.client_id = client.client_id "
        "JOIN account ON account.account_id = disp.account_id WHERE client.district_id IN "
        "(SELECT district_id FROM district WHERE A3 = 'Prague')",
        "speaks of branches",
    ),
]


@pytest.mark.parametrize(("question", "sql", "why"), GATE_CASES)
def test_the_gate_refuses_sql_that_drops_part_of_the_question(question, sql, why) -> None:
    from bankchat.nl.gate import check_confidence
    from bankchat.nl.offline import NotUnderstood, OfflineEngine

    engine = OfflineEngine()
    with pytest.raises(NotUnderstood) as refused:
        check_confidence(engine.read(question), sql, layer=engine.layer, question=question)
    assert why in refused.value.reason


def test_the_gate_passes_sql_that_holds_every_part() -> None:
    from bankchat.nl.gate import check_confidence
    from bankchat.nl.offline import OfflineEngine

    engine = OfflineEngine()
    question = "clients with accounts at branches in Prague"
    sql = GATE_CASES[-1][1].replace("WHERE client.district_id", "WHERE account.district_id")
    check_confidence(engine.read(question), sql, layer=engine.layer, question=question)


def test_a_percentage_is_the_share_of_two_counts_and_says_so(chat, bank_sqlite) -> None:
    result = chat.ask("What percentage of accounts have weekly statements?", _policy("analyst"))
    assert result.status == "success"
    with sqlite3.connect(bank_sqlite) as db:
        weekly, total = db.execute(
            "SELECT SUM(frequency = 'POPLATEK TYDNE'), COUNT(*) FROM account"
        ).fetchone()
    assert result.rows[0][0] == pytest.approx(100.0 * weekly / total)
    assert result.column_info[0]["kind"] == "percent"
    assert _texts(result, "computes") == ["Percentage"]
    assert result.explanation == (
        "Percentage: 100 x (how many accounts have weekly statements) / (how many accounts)"
    )
    assert any("percentage = 100 x" in text for text in _texts(result, "convention"))
    among = chat.ask(
        "Of the clients living in Prague, what percentage are women?", _policy("analyst")
    )
    assert among.status == "success" and 0 < among.rows[0][0] < 100


def test_the_gate_refuses_sql_that_dropped_a_negation_or_a_number() -> None:
    from bankchat.nl.gate import check_confidence
    from bankchat.nl.offline import NotUnderstood, OfflineEngine

    engine = OfflineEngine()
    for question, sql in [
        ("clients without a loan", "SELECT client.client_id FROM client"),
        ("the 5 largest loans", "SELECT loan.loan_id FROM loan ORDER BY loan.amount DESC"),
    ]:
        with pytest.raises(NotUnderstood):
            check_confidence(engine.read(question), sql, layer=engine.layer, question=question)


def test_a_current_balance_is_the_latest_transactions_and_ids_are_the_ones_named(
    chat: BankChat, bank_sqlite: Path
) -> None:
    result = chat.ask(
        "What is the lowest current balance among accounts with weekly statements?",
        _policy("analyst"),
    )
    assert result.status == "success", result.error
    with sqlite3.connect(bank_sqlite) as db:
        expected = db.execute(
            "SELECT MIN(t.balance) FROM account a JOIN trans t ON t.account_id = a.account_id "
            "WHERE a.frequency = 'POPLATEK TYDNE' AND t.trans_id = (SELECT l.trans_id FROM "
            "trans l WHERE l.account_id = a.account_id ORDER BY l.date DESC, l.trans_id DESC "
            "LIMIT 1)"
        ).fetchone()[0]
    assert result.rows == [[expected]]
    cards = chat.ask("Women who hold a gold card: list their card ids.", _policy("analyst"))
    assert cards.status == "success" and cards.columns == ["card_id"]


def test_the_gate_refuses_a_district_tied_to_both_home_and_branch() -> None:
    from bankchat.nl.gate import check_confidence
    from bankchat.nl.offline import NotUnderstood, OfflineEngine

    engine = OfflineEngine()
    question = "for loan 6077, the account's statement frequency and the owner's gender"
    sql = (
        "SELECT account.frequency, client.gender FROM district JOIN account ON "
        "account.district_id = district.district_id JOIN client ON client.district_id = "
        "district.district_id JOIN disp ON disp.client_id = client.client_id "
        "JOIN loan ON loan.account_id = account.account_id "
        "WHERE loan.loan_id = 6077 AND disp.type = 'OWNER'"
    )
    with pytest.raises(NotUnderstood) as refused:
        check_confidence(engine.read(question), sql, layer=engine.layer, question=question)
    assert "both to where the client lives and to the account's branch" in refused.value.reason


def test_a_place_filter_reads_as_the_place_not_as_a_sub_query(chat: BankChat) -> None:
    result = chat.ask("How many loans are still running in the Prague region?", _policy("analyst"))
    assert "Branch district: region is 'Prague'" in _texts(result, "filter")


def test_growth_between_two_years_is_titled_and_explained_as_a_change(chat, bank_sqlite) -> None:
    """The answer to "by what percentage did ... grow" is a percent column titled as a change,
    and the interpretation says it computes one."""
    result = chat.ask(
        "By what percentage did the number of loans granted at branches in the Prague region "
        "grow from 1996 to 1997?",
        _policy("analyst"),
    )
    assert result.status == "success", result.error
    assert result.column_info[0]["kind"] == "percent"
    assert result.column_info[0]["label"] == "Change (%)"
    assert _texts(result, "computes") == ["Change (%)"]


def test_a_ratio_is_titled_a_ratio(chat) -> None:
    result = chat.ask("What's the ratio of male clients to female clients?", _policy("analyst"))
    assert result.status == "success", result.error
    assert result.column_info[0]["label"] == "Ratio"
    assert _texts(result, "computes") == ["Ratio"]


def test_a_percentage_for_each_group_is_titled_and_limited_for_a_teller(chat) -> None:
    question = "For each region, what percentage of the clients who live there are women?"
    analyst = chat.ask(question, _policy("analyst"))
    assert analyst.status == "success", analyst.error
    assert [c["label"] for c in analyst.column_info] == ["Region", "Percentage"]
    assert len(analyst.rows) == 8 and all(0 < row[1] < 100 for row in analyst.rows)
    teller = chat.ask(question, _policy("teller"))
    assert teller.status == "success" and len(teller.rows) == 1
    assert _texts(teller, "scope")


def test_an_age_is_titled_in_years_and_says_how_it_is_counted(chat) -> None:
    result = chat.ask("Average age of gold card holders at the end of 1998?", _policy("analyst"))
    assert result.status == "success", result.error
    assert result.column_info[0]["label"] == "Average age (years)"
    assert _texts(result, "computes") == ["Average age (years)"]
    assert "age = full years from the birth date to 1998-12-31" in _texts(result, "convention")


def test_two_figures_of_the_same_records_show_their_titles_and_filters(chat) -> None:
    result = chat.ask(
        "How many loans approved in 1997 have an owner who is a woman, and what is their "
        "average amount?",
        _policy("analyst"),
    )
    assert result.status == "success", result.error
    assert [c["label"] for c in result.column_info] == ["Number of loans", "Average loan amount"]
    filters = " ".join(_texts(result, "filter"))
    assert "1997-01-01" in filters and "female" in filters


def test_the_columns_shown_are_named_in_the_banks_words(chat) -> None:
    """ "shown: district name and average salary", not the database's "A2 and A11"."""
    result = chat.ask("Top 5 districts by average salary", _policy("analyst"))
    assert result.status == "success", result.error
    shown = [text for text in _texts(result, "convention") if text.startswith("shown: ")]
    assert shown == [
        "shown: district name and average salary (the record and what it is ranked by)"
    ]


def test_an_accounts_current_balance_beside_it_is_titled_so(chat: BankChat) -> None:
    result = chat.ask(
        "Among accounts with a loan in debt, which one has the lowest current balance? "
        "Give the account id and that balance.",
        _policy("analyst"),
    )
    assert result.status == "success"
    assert [c["label"] for c in result.column_info] == ["Account", "Current balance"]
    assert result.column_info[1]["unit"] == "CZK"


def test_a_duration_in_years_is_titled_in_years(chat: BankChat) -> None:
    result = chat.ask("Average term in years of loans that finished unpaid?", _policy("analyst"))
    assert result.status == "success"
    assert [c["label"] for c in result.column_info] == ["Average duration (years)"]
    assert any("months / 12" in line["text"] for line in result.interpretation)


def test_a_record_picked_out_by_its_own_query_is_described(chat: BankChat) -> None:
    result = chat.ask(
        "Take the largest loan approved in '97: what are its owner's gender and birth date?",
        _policy("analyst"),
    )
    assert result.status == "success"
    assert "Loan is the one with the highest loan amount" in _texts(result, "filter")
    assert any("found first" in c for c in _texts(result, "convention"))


def test_ranking_accounts_by_balance_says_it_is_the_current_one(chat: BankChat) -> None:
    result = chat.ask(
        "Which account at the Tachov branch has the lowest balance?", _policy("analyst")
    )
    assert result.status == "success"
    assert any("current balance" in c for c in _texts(result, "convention"))


def test_the_stand_in_for_a_picked_place_is_not_shown_as_read(chat: BankChat) -> None:
    """The place picked out is read in the rest of the question as a stand-in name; the
    "Read" line had shown "'benesov' as district.A2 = 'Benesov'", a place the user never
    named (the answer is Prague's)."""
    result = chat.ask(
        "The branch district that granted the most loans in 1998: how many inhabitants does "
        "that district have?",
        _policy("analyst"),
    )
    assert result.status == "success"
    [read] = _texts(result, "words")
    assert "benesov" not in read.lower()
    assert "inhabitants" in read


def test_a_rate_per_inhabitants_is_titled_in_words(chat: BankChat) -> None:
    result = chat.ask(
        "For each region, how many accounts are there per 10,000 inhabitants? Region and rate.",
        _policy("analyst"),
    )
    assert result.status == "success", result.error
    labels = [info["label"] for info in result.column_info]
    assert labels == ["Region", "Accounts per 10,000 inhabitants"]
    assert any("10,000" in text for text in _texts(result, "convention"))


def test_a_record_picked_out_is_titled_beside_the_answer(chat: BankChat) -> None:
    result = chat.ask(
        "Which region had the lowest average salary across its districts, and how many loans "
        "did accounts at its branches take out in 1997?",
        _policy("analyst"),
    )
    assert result.status == "success", result.error
    assert [info["label"] for info in result.column_info] == ["Region", "Number of loans"]


def test_an_age_condition_reads_as_an_age(chat: BankChat) -> None:
    """The interpretation names an age condition as one ("Age in full years when granted at
    least 30"); it had shown the SQL expression that computes it."""
    result = chat.ask(
        "What is the average loan amount for owners who were in their thirties when their "
        "loan was approved?",
        _policy("analyst"),
    )
    assert result.status == "success", result.error
    where = " ".join(_texts(result, "filter"))
    assert "age in full years when granted at least 30" in where.lower()
    assert "strftime" not in where.lower() and "time_to_str" not in where.lower()
    dated = chat.ask("How many clients were older than 70 on 1 January 1998?", _policy("analyst"))
    assert "Age in full years on 1998-01-01 over 70" in _texts(dated, "filter")


def test_an_order_that_puts_missing_figures_last_says_so(chat: BankChat) -> None:
    """The lowest 1995 unemployment leaves out the district with no 1995 figures, and the
    interpretation says where such records go."""
    result = chat.ask(
        "Which district had the lowest unemployment rate in 1995?", _policy("analyst")
    )
    assert result.status == "success", result.error
    assert result.rows and result.rows[0][0] is not None
    order = " ".join(_texts(result, "order"))
    assert "lowest first (those without one last)" in order


def test_a_figure_beyond_the_average_reads_in_words(chat: BankChat) -> None:
    """The filter says "the average monthly payment plus 10%", not the SQL of the sub-query
    (and "above the average" names the average, not "a computed value")."""
    policy = _policy("analyst")
    cases = {
        "Which loans have a monthly payment at least 10% above the average?": (
            "monthly payment at least the average monthly payment plus 10%"
        ),
        "Which loans have a monthly payment more than 3,000 above the average?": (
            "monthly payment over the average monthly payment plus 3,000 czk"
        ),
        "Which loans have a monthly payment above the average?": (
            "monthly payment over the average monthly payment"
        ),
    }
    for question, said in cases.items():
        result = chat.ask(question, policy)
        assert result.status == "success", result.error
        assert said in " ".join(_texts(result, "filter")).lower(), result.interpretation


@pytest.mark.parametrize(
    ("said", "district"),
    [
        ("Brno", "Brno - mesto"),
        ("Ostrava", "Ostrava - mesto"),
        ("Pilsen", "Plzen - mesto"),
        ("Praha", "Hl.m. Praha"),
        ("Brno - venkov", "Brno - venkov"),
    ],
)
def test_a_city_said_bare_is_its_city_district(chat, bank_sqlite, said, district) -> None:
    """ "How many clients live in Brno?": the district is stored as "Brno - mesto" (the city)
    and "Brno - venkov" (the country around it); a bare city name is the city."""
    result = chat.ask(f"How many clients live in {said}?", _policy("analyst"))
    assert result.status == "success", result
    with sqlite3.connect(bank_sqlite) as db:
        (expected,) = db.execute(
            "SELECT COUNT(*) FROM client JOIN district USING (district_id) WHERE A2 = ?",
            (district,),
        ).fetchone()
    assert [list(row) for row in result.rows] == [[expected]]
