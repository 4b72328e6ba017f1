"""paginate() as Convex's: ``splitCursor``, ``pageStatus``, ``maximumRowsRead`` and
``maximumBytesRead`` (Convex's ``query_page`` syscall and its index range, see
``crates/isolate/src/environment/udf/async_syscall.rs`` and
``crates/database/src/query/index_range.rs``)."""

from __future__ import annotations

import types
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from livebase import LimitError, ValidationError, define_schema, define_table, mutation, query, v
from livebase.engine import values
from livebase.runtime.app import App
from livebase.testing import AppTester

MiB = 1024 * 1024


@mutation
async def reset(ctx: Any, pads: list[int]) -> None:
    """Replace every item by items ``n = 0, 1, ...``, the n-th with a name of ``pads[n]``
    characters (so its size is under the caller's control)."""
    for doc in await ctx.db.query("items").collect():
        await ctx.db.delete(doc["_id"])
    for n, pad in enumerate(pads):
        await ctx.db.insert("items", {"name": "x" * int(pad), "n": n})


@mutation
async def add(ctx: Any, n: float, pad: int = 0) -> None:
    await ctx.db.insert("items", {"name": "x" * int(pad), "n": n})


def _items(ctx: Any, keep: int | None, order: str) -> Any:
    found = ctx.db.query("items").with_index("by_n")
    if keep:
        found = found.filter(lambda q: q.eq(q.mod(q.field("n"), keep), 0))
    return found.order(order)


@query
async def page(ctx: Any, opts: dict[str, Any], keep: int | None = None, order: str = "asc") -> Any:
    """Items by ``n``; with ``keep``, only those whose ``n`` is a multiple of it."""
    return await _items(ctx, keep, order).paginate(opts)


@query
async def page_after_reading(ctx: Any, opts: dict[str, Any], first: int) -> Any:
    """A page, read after ``first`` other rows in the same query."""
    await ctx.db.query("items").take(first)
    return await _items(ctx, 5, "asc").paginate(opts)


@query
async def two_pages(ctx: Any) -> Any:
    await ctx.db.query("items").paginate({"numItems": 1, "cursor": None})
    return await ctx.db.query("items").paginate({"numItems": 1, "cursor": None})


def make_app() -> App:
    schema = define_schema(
        {"items": define_table({"name": v.string(), "n": v.number()}).index("by_n", ["n"])}
    )
    app = App("inline", types.ModuleType("inline"), schema)
    functions = {
        "reset": reset,
        "add": add,
        "page": page,
        "page_after_reading": page_after_reading,
        "two_pages": two_pages,
    }
    for name, fn in functions.items():
        fn.path = f"m:{name}"
        app.functions[fn.path] = fn
    return app


@pytest.fixture(scope="module")
def shared(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AppTester]:
    with AppTester(make_app(), tmp_path_factory.mktemp("pages")) as tester:
        yield tester


@pytest.fixture
def items(shared: AppTester) -> AppTester:
    """The app with no items yet (``reset`` fills it)."""
    shared.mutation("m:reset", {"pads": []})
    return shared


def fill(t: AppTester, count: int, pad: int = 0) -> None:
    t.mutation("m:reset", {"pads": [pad] * count})


def paged(t: AppTester, keep: int | None = None, order: str = "asc", **opts: Any) -> Any:
    args: dict[str, Any] = {"opts": {"cursor": None, **opts}, "order": order}
    if keep is not None:
        args["keep"] = keep
    return t.query("m:page", args)


def ns(result: dict[str, Any]) -> list[int]:
    return [doc["n"] for doc in result["page"]]


def rows_between(t: AppTester, cursor: str | None, end: str, order: str = "asc") -> list[Any]:
    """Every item in ``(cursor, end]``, filtered out or not: the rows a page read."""
    return paged(t, order=order, numItems=1, cursor=cursor, endCursor=end)["page"]


def size(doc: dict[str, Any]) -> int:
    return values.encoded_size(doc)


# --- the result's shape ---------------------------------------------------------------------


def test_every_page_carries_split_cursor_and_page_status_null_when_unset(items):
    fill(items, 2)
    result = paged(items, numItems=5)
    assert result == {
        "page": result["page"],
        "isDone": True,
        "continueCursor": result["continueCursor"],
        "splitCursor": None,
        "pageStatus": None,
    }
    past_the_end = paged(items, numItems=5, cursor=result["continueCursor"])
    assert past_the_end["page"] == [] and past_the_end["isDone"] is True
    assert past_the_end["splitCursor"] is None and past_the_end["pageStatus"] is None


# --- validation -----------------------------------------------------------------------------


def test_asking_for_zero_documents_is_refused(items):
    with pytest.raises(
        ValidationError, match=r"^Must request at least 1 document while paginating$"
    ):
        paged(items, numItems=0)


@pytest.mark.parametrize("limit", ["maximumRowsRead", "maximumBytesRead"])
def test_a_zero_read_limit_is_refused(items, limit):
    with pytest.raises(
        ValidationError, match=r"^maximumRowsRead and maximumBytesRead must be greater than 0$"
    ):
        paged(items, numItems=3, **{limit: 0})


def test_more_than_32000_items_are_refused(items):
    with pytest.raises(ValidationError, match=r"^Requested too many items: 32001$"):
        paged(items, numItems=32001)


def test_a_second_paginate_in_one_function_is_refused(items):
    with pytest.raises(ValidationError, match="ran multiple paginated queries"):
        items.query("m:two_pages")


# --- maximumRowsRead ------------------------------------------------------------------------


def test_a_page_cut_by_maximum_rows_read_is_split_required_and_the_next_page_goes_on(items):
    fill(items, 10)
    first = paged(items, numItems=10, maximumRowsRead=4)
    assert ns(first) == [0, 1, 2, 3]
    assert first["pageStatus"] == "SplitRequired" and first["isDone"] is False
    rest = paged(items, numItems=10, cursor=first["continueCursor"])
    assert ns(rest) == [4, 5, 6, 7, 8, 9]
    assert rest["isDone"] is True and rest["pageStatus"] is None


def test_maximum_rows_read_counts_the_rows_a_filter_drops(items):
    fill(items, 10)
    first = paged(items, keep=3, numItems=10, maximumRowsRead=5)
    assert ns(first) == [0, 3]
    assert first["pageStatus"] == "SplitRequired"
    assert [d["n"] for d in rows_between(items, None, first["continueCursor"])] == [0, 1, 2, 3, 4]
    rest = paged(items, keep=3, numItems=10, cursor=first["continueCursor"])
    assert ns(rest) == [6, 9] and rest["isDone"] is True


def test_a_filtered_page_cut_before_any_match_is_empty_but_moves_on(items):
    fill(items, 10)
    first = paged(items, keep=7, numItems=5, maximumRowsRead=1, cursor=None)
    assert ns(first) == [0]
    second = paged(items, keep=7, numItems=5, maximumRowsRead=3, cursor=first["continueCursor"])
    assert second["page"] == [] and second["pageStatus"] == "SplitRequired"
    assert second["isDone"] is False
    assert [
        d["n"] for d in rows_between(items, first["continueCursor"], second["continueCursor"])
    ] == [
        1,
        2,
        3,
    ]


def test_a_page_filled_at_maximum_rows_read_is_not_split_required(items):
    fill(items, 10)
    result = paged(items, numItems=4, maximumRowsRead=4)
    assert ns(result) == [0, 1, 2, 3]
    assert result["pageStatus"] == "SplitRecommended"  # 4 rows read > 3/4 of 4


def test_maximum_rows_read_may_end_a_page_at_the_last_row_without_knowing_it_is_done(items):
    # Convex stops when it would read past the limit, without looking for more rows
    fill(items, 4)
    result = paged(items, numItems=10, maximumRowsRead=4)
    assert ns(result) == [0, 1, 2, 3]
    assert result["pageStatus"] == "SplitRequired" and result["isDone"] is False
    after = paged(items, numItems=10, cursor=result["continueCursor"])
    assert after["page"] == [] and after["isDone"] is True


# --- maximumBytesRead -----------------------------------------------------------------------


def sizes(t: AppTester) -> list[int]:
    """The size of each item, in order (``_creationTime`` makes them differ slightly)."""
    return [size(doc) for doc in paged(t, numItems=1000)["page"]]


def test_a_page_cut_by_maximum_bytes_read_is_split_required_overshooting_by_one_document(items):
    fill(items, 10, pad=100)
    s = sizes(items)
    result = paged(items, numItems=10, maximumBytesRead=s[0] + s[1] + 1)
    assert ns(result) == [0, 1, 2]  # the third document takes it past the limit
    assert result["pageStatus"] == "SplitRequired" and result["isDone"] is False
    exact = paged(items, numItems=10, maximumBytesRead=s[0] + s[1])
    assert ns(exact) == [0, 1]  # reaching the limit stops it too
    rest = paged(items, numItems=10, cursor=result["continueCursor"])
    assert ns(rest) == [3, 4, 5, 6, 7, 8, 9]


def test_a_page_holds_at_least_one_row_whatever_maximum_bytes_read_says(items):
    fill(items, 3, pad=100)
    result = paged(items, numItems=10, maximumBytesRead=1)
    assert ns(result) == [0]
    assert result["pageStatus"] == "SplitRequired"


def test_maximum_bytes_read_counts_the_documents_a_filter_drops(items):
    fill(items, 10, pad=100)
    s = sizes(items)
    result = paged(items, keep=4, numItems=10, maximumBytesRead=s[0] + s[1] + s[2])
    assert ns(result) == [0]
    assert [d["n"] for d in rows_between(items, None, result["continueCursor"])] == [0, 1, 2]


# --- limits apply only without an end cursor ------------------------------------------------


def test_an_end_cursor_page_reads_to_its_end_whatever_the_limits(items):
    fill(items, 10, pad=50)
    end = paged(items, numItems=8)["continueCursor"]
    result = paged(items, numItems=1, endCursor=end, maximumRowsRead=2, maximumBytesRead=10)
    assert ns(result) == list(range(8))
    assert result["continueCursor"] == end and result["isDone"] is False
    assert result["pageStatus"] == "SplitRecommended"  # still past 3/4 of the limits


def test_a_live_page_rerun_with_its_journal_keeps_its_bounds_past_the_limits(items):
    fill(items, 10)
    args = {"opts": {"numItems": 10, "cursor": None, "maximumRowsRead": 4}}
    first = items.runtime.run_query("m:page", args, internal_ok=True)
    assert ns(first.value) == [0, 1, 2, 3] and first.value["pageStatus"] == "SplitRequired"
    items.mutation("m:add", {"n": 1.5})
    again = items.runtime.run_query("m:page", args, internal_ok=True, journal=first.journal)
    assert ns(again.value) == [0, 1, 1.5, 2, 3]
    assert again.value["continueCursor"] == first.value["continueCursor"]
    assert again.value["pageStatus"] == "SplitRecommended"  # 5 rows > 3/4 of 4, not enforced
    assert again.journal == first.journal


# --- SplitRecommended -----------------------------------------------------------------------


def test_a_page_past_three_quarters_of_maximum_rows_read_is_split_recommended(items):
    fill(items, 10)
    assert paged(items, numItems=6, maximumRowsRead=8)["pageStatus"] is None  # 6 = 3/4 of 8
    assert paged(items, numItems=7, maximumRowsRead=8)["pageStatus"] == "SplitRecommended"
    # rows read, not rows kept
    assert paged(items, keep=2, numItems=4, maximumRowsRead=8)["pageStatus"] == "SplitRecommended"


def test_a_page_past_three_quarters_of_maximum_bytes_read_is_split_recommended(items):
    fill(items, 10, pad=100)
    three = sum(sizes(items)[:3])
    limit = -(-three * 4 // 3)  # so that 3/4 of it, rounded down, is exactly three documents
    assert limit * 3 // 4 == three
    assert paged(items, numItems=3, maximumBytesRead=limit)["pageStatus"] is None
    assert paged(items, numItems=4, maximumBytesRead=limit)["pageStatus"] == "SplitRecommended"


def test_a_page_of_more_than_6144_documents_is_split_recommended(items):
    fill(items, 6145)
    assert paged(items, numItems=6144)["pageStatus"] is None
    result = paged(items, numItems=6145)
    assert len(result["page"]) == 6145 and result["pageStatus"] == "SplitRecommended"


def test_a_page_past_three_quarters_of_16_mib_is_split_recommended_whatever_maximum_bytes_read(
    items,
):
    fill(items, 13, pad=MiB - 1000)  # 13 documents of nearly 1 MiB: over 12 MiB
    assert paged(items, numItems=12)["pageStatus"] is None
    assert paged(items, numItems=13)["pageStatus"] == "SplitRecommended"
    # a larger maximumBytesRead does not raise the 16 MiB transaction limit
    assert paged(items, numItems=13, maximumBytesRead=100 * MiB)["pageStatus"] == (
        "SplitRecommended"
    )


# --- splitCursor ----------------------------------------------------------------------------


@pytest.mark.parametrize("order", ["asc", "desc"])
@pytest.mark.parametrize("count", [1, 2, 3, 4, 7, 10])
def test_the_split_cursor_follows_row_half_plus_one_and_the_halves_make_the_page(
    items, order, count
):
    fill(items, 20)
    result = paged(items, order=order, numItems=count)
    split = result["splitCursor"]
    if count <= 2:
        assert split is None
        return
    upto = rows_between(items, None, split, order)
    assert len(upto) == count // 2 + 1
    first = paged(items, order=order, numItems=1, endCursor=split)
    second = paged(items, order=order, numItems=1, cursor=split, endCursor=result["continueCursor"])
    assert first["page"] + second["page"] == result["page"]


def test_the_split_cursor_counts_the_rows_a_filter_drops(items):
    fill(items, 20)
    result = paged(items, keep=4, numItems=3)  # 0, 4, 8: nine rows read
    assert ns(result) == [0, 4, 8]
    assert len(rows_between(items, None, result["splitCursor"])) == 9 // 2 + 1
    first = paged(items, keep=4, numItems=1, endCursor=result["splitCursor"])
    assert ns(first) == [0, 4]


def test_a_search_page_has_no_split_cursor(notes):
    for i in range(6):
        notes.mutation("notes:addNote", {"author": "a", "body": f"tea cup{i}"})
    result = notes.query(
        "notes:searchPage", {"text": "tea", "paginationOpts": {"numItems": 5, "cursor": None}}
    )
    assert len(result["page"]) == 5
    assert result["splitCursor"] is None and result["pageStatus"] is None


# --- the transaction's read limit -----------------------------------------------------------


def test_the_transactions_read_limit_ends_a_page_as_split_required(items, monkeypatch):
    fill(items, 30)
    monkeypatch.setattr("livebase.engine.transaction.MAX_ROWS_READ", 10)
    args: dict[str, Any] = {"opts": {"numItems": 10, "cursor": None}, "first": 0}
    result = items.query("m:page_after_reading", args)
    assert ns(result) == [0, 5] and result["pageStatus"] == "SplitRequired"
    assert len(rows_between(items, None, result["continueCursor"])) == 10
    # a page that read nothing has no position to return: the limit error stands
    with pytest.raises(LimitError, match="Too many documents read"):
        items.query("m:page_after_reading", {**args, "first": 10})
    # from a cursor it stays there
    after = {"numItems": 10, "cursor": result["continueCursor"]}
    stuck = items.query("m:page_after_reading", {"opts": after, "first": 10})
    assert stuck["page"] == [] and stuck["pageStatus"] == "SplitRequired"
    assert stuck["continueCursor"] == result["continueCursor"] and stuck["isDone"] is False


# --- properties -----------------------------------------------------------------------------


def expected_status(
    scanned: list[dict[str, Any]],
    kept: int,
    max_rows: int | None,
    max_bytes: int | None,
    split_required: bool,
) -> str | None:
    if split_required:
        return "SplitRequired"
    soft_rows = min(max_rows or 32000, 32000) * 3 // 4
    soft_bytes = min(max_bytes or 16 * MiB, 16 * MiB) * 3 // 4
    total = sum(size(doc) for doc in scanned)
    if len(scanned) > soft_rows or total > soft_bytes or kept > 6144:
        return "SplitRecommended"
    return None


@settings(
    max_examples=100,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    pads=st.lists(st.integers(0, 120), max_size=25),
    keep=st.sampled_from([None, 2, 3]),
    order=st.sampled_from(["asc", "desc"]),
    num=st.integers(1, 8),
    max_rows=st.none() | st.integers(1, 10),
    limit_bytes=st.sampled_from(["none", "any", "at a row"]),
    data=st.data(),
)
def test_pages_cut_by_limits_list_every_document_once_and_split_into_their_halves(
    shared, pads, keep, order, num, max_rows, limit_bytes, data
):
    t = shared
    t.mutation("m:reset", {"pads": pads})
    everything = paged(t, order=order, numItems=len(pads) + 1)["page"]
    max_bytes = None
    if limit_bytes == "any":
        max_bytes = data.draw(st.integers(1, 1500), label="maximumBytesRead")
    elif limit_bytes == "at a row" and everything:
        # exactly where some rows end (or a byte either side): the boundaries that matter
        rows = data.draw(st.integers(1, len(everything)), label="rows")
        near = sum(size(doc) for doc in everything[:rows])
        max_bytes = near + data.draw(st.sampled_from([-1, 0, 1]), label="offset")
    wanted = [d for d in everything if keep is None or d["n"] % keep == 0]
    opts: dict[str, Any] = {"numItems": num}
    if max_rows is not None:
        opts["maximumRowsRead"] = max_rows
    if max_bytes is not None:
        opts["maximumBytesRead"] = max_bytes
    seen: list[dict[str, Any]] = []
    cursor = None
    for _ in range(len(pads) + 2):
        result = paged(t, keep=keep, order=order, **{**opts, "cursor": cursor})
        scanned = rows_between(t, cursor, result["continueCursor"], order)
        required = result["pageStatus"] == "SplitRequired"
        sizes = [size(doc) for doc in scanned]
        # why the page stopped: the range ended, a limit was reached, or it was full
        by_rows = max_rows is not None and len(scanned) >= max_rows
        by_bytes = max_bytes is not None and sum(sizes) >= max_bytes
        full = len(result["page"]) >= num
        if result["isDone"]:
            assert not (required or full or by_rows or by_bytes)
        elif required:
            assert (by_rows or by_bytes) and not full
        else:
            assert full
        # no limit lets more through than Convex does: rows up to it, bytes one document past
        if max_rows is not None:
            assert len(scanned) <= max_rows
        if max_bytes is not None and scanned:
            assert sum(sizes[:-1]) < max_bytes
        assert result["pageStatus"] == expected_status(
            scanned, len(result["page"]), max_rows, max_bytes, required
        )
        # the split cursor cuts the rows read after row len // 2 + 1; the halves are the page
        split = result["splitCursor"]
        if len(scanned) <= 2:
            assert split is None
        else:
            assert len(rows_between(t, cursor, split, order)) == len(scanned) // 2 + 1
            halves = [
                paged(t, keep=keep, order=order, numItems=1, cursor=cursor, endCursor=split),
                paged(
                    t,
                    keep=keep,
                    order=order,
                    numItems=1,
                    cursor=split,
                    endCursor=result["continueCursor"],
                ),
            ]
            assert halves[0]["page"] + halves[1]["page"] == result["page"]
            assert halves[1]["isDone"] == result["isDone"]
        seen += result["page"]
        if result["isDone"]:
            break
        cursor = result["continueCursor"]
    else:
        pytest.fail("pagination did not finish")
    assert [d["_id"] for d in seen] == [d["_id"] for d in wanted]
