"""Convex's pagination, through the official clients, against a real livebase server.

What Convex does (its ``query_page`` syscall and index range: ``splitCursor``, ``pageStatus``,
``maximumRowsRead``, ``maximumBytesRead``), each test named after the behaviour it holds. The
PyPI ``convex.ConvexClient`` calls the queries directly; ``node/conformance_pagination.mjs``
drives the npm client's own paginated subscription, which splits pages at ``splitCursor``.

The app is a shelf of books ordered by ``n`` (an index on ``[shelf, n]``); each test has its
own shelf. ``books:capped`` is an app capping the rows each page reads (``maximumRowsRead``).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from convex import ConvexClient

from tests.e2e.conftest import RunningServer, start_server
from tests.e2e.test_node_client import NODE, NODE_DIR, run_step
from tests.livebase.appfactory import write_app

SCHEMA = """
from livebase import define_schema, define_table, v

schema = define_schema(
    {
        "books": define_table({"shelf": v.string(), "n": v.number(), "title": v.string()})
        .index("by_shelf", ["shelf", "n"]),
    }
)
"""

BOOKS = '''
from livebase import mutation, query, v


@mutation(args={"shelf": v.string(), "count": v.number(), "pad": v.optional(v.number())})
async def fill(ctx, shelf, count, pad=0):
    """Books n = 0 .. count - 1, each titled with ``pad`` characters."""
    return [
        await ctx.db.insert("books", {"shelf": shelf, "n": n, "title": "x" * int(pad)})
        for n in range(int(count))
    ]


@mutation(args={"shelf": v.string(), "n": v.number(), "title": v.string()})
async def add(ctx, shelf, n, title):
    return await ctx.db.insert("books", {"shelf": shelf, "n": n, "title": title})


@mutation(args={"id": v.id("books"), "title": v.string()})
async def retitle(ctx, id, title):
    await ctx.db.patch(id, {"title": title})


def shelf_of(ctx, shelf, keep):
    found = ctx.db.query("books").with_index("by_shelf", lambda q: q.eq("shelf", shelf))
    if keep:
        found = found.filter(lambda q: q.eq(q.mod(q.field("n"), keep), 0))
    return found


@query(
    args={
        "shelf": v.string(),
        "paginationOpts": v.pagination_opts(),
        "keep": v.optional(v.number()),
    },
    returns=v.pagination_result(v.doc("books")),
)
async def page(ctx, shelf, paginationOpts, keep=None):
    """A page of the shelf; with ``keep``, only the books whose n is a multiple of it."""
    return await shelf_of(ctx, shelf, keep).paginate(paginationOpts)


@query(
    args={
        "shelf": v.string(),
        "paginationOpts": v.pagination_opts(),
        "keep": v.optional(v.number()),
        "maxRows": v.optional(v.number()),
    },
    returns=v.pagination_result(v.doc("books")),
)
async def capped(ctx, shelf, paginationOpts, keep=None, maxRows=3):
    """The same, reading at most ``maxRows`` rows a page."""
    opts = {**paginationOpts, "maximumRowsRead": maxRows}
    return await shelf_of(ctx, shelf, keep).paginate(opts)
'''


@pytest.fixture(scope="module")
def shelf_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    root = tmp_path_factory.mktemp("shelves")
    running = start_server(write_app(root, SCHEMA, books=BOOKS), root / "data")
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture
def client(shelf_server: RunningServer) -> ConvexClient:
    return ConvexClient(shelf_server.url)


@pytest.fixture
def shelf() -> str:
    return f"shelf-{uuid.uuid4().hex[:10]}"


def fill(client: ConvexClient, shelf: str, count: int, pad: int = 0) -> list[str]:
    return list(client.mutation("books:fill", {"shelf": shelf, "count": count, "pad": pad}))


def page(client: ConvexClient, shelf: str, fn: str = "books:page", **opts: Any) -> Any:
    keep = opts.pop("keep", None)
    args: dict[str, Any] = {"shelf": shelf, "paginationOpts": {"cursor": None, **opts}}
    if keep is not None:
        args["keep"] = keep
    return client.query(fn, args)


def ns(result: dict[str, Any]) -> list[int]:
    return [int(doc["n"]) for doc in result["page"]]


def rows_read(client: ConvexClient, shelf: str, cursor: str | None, end: str) -> list[int]:
    """The n of every book in ``(cursor, end]``, filtered out or not."""
    return ns(page(client, shelf, numItems=1, cursor=cursor, endCursor=end))


# --- the result's shape ---------------------------------------------------------------------


def test_a_page_always_carries_split_cursor_and_page_status_null_when_unset(client, shelf):
    fill(client, shelf, 2)
    result = page(client, shelf, numItems=5)
    assert set(result) == {"page", "isDone", "continueCursor", "splitCursor", "pageStatus"}
    assert ns(result) == [0, 1] and result["isDone"] is True
    assert result["splitCursor"] is None and result["pageStatus"] is None


# --- validation -----------------------------------------------------------------------------


def test_asking_for_zero_documents_fails_with_must_request_at_least_1_document(client, shelf):
    with pytest.raises(Exception) as err:
        page(client, shelf, numItems=0)
    assert "Must request at least 1 document while paginating" in str(err.value)


@pytest.mark.parametrize("limit", ["maximumRowsRead", "maximumBytesRead"])
def test_a_zero_read_limit_fails_with_must_be_greater_than_0(client, shelf, limit):
    with pytest.raises(Exception) as err:
        page(client, shelf, numItems=3, **{limit: 0})
    assert "maximumRowsRead and maximumBytesRead must be greater than 0" in str(err.value)


# --- maximumRowsRead ------------------------------------------------------------------------


def test_a_page_cut_by_maximum_rows_read_is_split_required(client, shelf):
    fill(client, shelf, 10)
    result = page(client, shelf, numItems=10, maximumRowsRead=4)
    assert ns(result) == [0, 1, 2, 3]
    assert result["pageStatus"] == "SplitRequired" and result["isDone"] is False
    rest = page(client, shelf, numItems=10, cursor=result["continueCursor"])
    assert ns(rest) == [4, 5, 6, 7, 8, 9] and rest["isDone"] is True


def test_maximum_rows_read_counts_the_rows_a_filter_drops(client, shelf):
    fill(client, shelf, 10)
    result = page(client, shelf, keep=3, numItems=10, maximumRowsRead=5)
    assert ns(result) == [0, 3] and result["pageStatus"] == "SplitRequired"
    assert rows_read(client, shelf, None, result["continueCursor"]) == [0, 1, 2, 3, 4]


def test_pages_cut_as_split_required_and_the_pages_after_them_list_every_document_once(
    client, shelf
):
    fill(client, shelf, 11)
    seen, statuses, cursor = [], [], None
    while True:
        result = page(client, shelf, "books:capped", keep=2, numItems=4, cursor=cursor)
        seen += ns(result)
        statuses.append(result["pageStatus"])
        if result["isDone"]:
            break
        cursor = result["continueCursor"]
    assert seen == [0, 2, 4, 6, 8, 10]
    assert statuses == ["SplitRequired"] * 3 + [None]  # 3, 3, 3 rows, then the last 2


# --- maximumBytesRead -----------------------------------------------------------------------


def test_a_page_cut_by_maximum_bytes_read_is_split_required_one_document_past_the_limit(
    client, shelf
):
    fill(client, shelf, 6, pad=1000)  # each book a little over 1,000 bytes
    result = page(client, shelf, numItems=6, maximumBytesRead=2500)
    assert ns(result) == [0, 1, 2]  # the limit is checked before each row: the third crosses it
    assert result["pageStatus"] == "SplitRequired" and result["isDone"] is False
    rest = page(client, shelf, numItems=6, cursor=result["continueCursor"])
    assert ns(rest) == [3, 4, 5]


def test_a_page_holds_at_least_one_document_whatever_maximum_bytes_read(client, shelf):
    fill(client, shelf, 3, pad=1000)
    result = page(client, shelf, numItems=3, maximumBytesRead=1)
    assert ns(result) == [0] and result["pageStatus"] == "SplitRequired"


# --- limits apply only without an end cursor ------------------------------------------------


def test_the_read_limits_do_not_apply_to_a_page_with_an_end_cursor(client, shelf):
    fill(client, shelf, 8, pad=100)
    end = page(client, shelf, numItems=6)["continueCursor"]
    result = page(client, shelf, numItems=1, endCursor=end, maximumRowsRead=2, maximumBytesRead=10)
    assert ns(result) == [0, 1, 2, 3, 4, 5]
    assert result["continueCursor"] == end and result["isDone"] is False
    assert result["pageStatus"] == "SplitRecommended"  # past 3/4 of the limits all the same


# --- SplitRecommended -----------------------------------------------------------------------


def test_a_page_past_three_quarters_of_maximum_rows_read_is_split_recommended(client, shelf):
    fill(client, shelf, 10)
    assert page(client, shelf, numItems=6, maximumRowsRead=8)["pageStatus"] is None
    assert page(client, shelf, numItems=7, maximumRowsRead=8)["pageStatus"] == "SplitRecommended"


def test_a_page_past_three_quarters_of_maximum_bytes_read_is_split_recommended(client, shelf):
    fill(client, shelf, 4, pad=1000)
    assert page(client, shelf, numItems=2, maximumBytesRead=4000)["pageStatus"] is None
    result = page(client, shelf, numItems=3, maximumBytesRead=4000)  # > 3,000 bytes
    assert ns(result) == [0, 1, 2] and result["pageStatus"] == "SplitRecommended"


# --- splitCursor ----------------------------------------------------------------------------


@pytest.mark.parametrize("count", [3, 4, 7])
def test_the_split_cursor_follows_row_half_plus_one_and_its_two_halves_are_the_page(
    client, shelf, count
):
    fill(client, shelf, 10)
    result = page(client, shelf, numItems=count)
    split = result["splitCursor"]
    assert len(rows_read(client, shelf, None, split)) == count // 2 + 1
    first = page(client, shelf, numItems=1, endCursor=split)
    second = page(client, shelf, numItems=1, cursor=split, endCursor=result["continueCursor"])
    assert first["page"] + second["page"] == result["page"]


def test_a_page_of_two_rows_or_fewer_has_no_split_cursor(client, shelf):
    fill(client, shelf, 5)
    assert page(client, shelf, numItems=2)["splitCursor"] is None


def test_the_split_cursor_counts_the_rows_a_filter_drops(client, shelf):
    fill(client, shelf, 12)
    result = page(client, shelf, keep=4, numItems=3)  # 0, 4, 8: nine rows read
    assert ns(result) == [0, 4, 8]
    assert rows_read(client, shelf, None, result["splitCursor"]) == [0, 1, 2, 3, 4]
    halves = [
        page(client, shelf, keep=4, numItems=1, endCursor=result["splitCursor"]),
        page(
            client,
            shelf,
            keep=4,
            numItems=1,
            cursor=result["splitCursor"],
            endCursor=result["continueCursor"],
        ),
    ]
    assert [ns(h) for h in halves] == [[0, 4], [8]]


# --- the npm client's reactive pagination ---------------------------------------------------

needs_node = pytest.mark.skipif(
    NODE is None or not (NODE_DIR / "node_modules" / "convex").is_dir(),
    reason="needs node on PATH and tests/e2e/node/node_modules (`npm ci` in tests/e2e/node)",
)


def node_step(server: RunningServer, step: str) -> dict[str, Any]:
    return run_step(server, "conformance_pagination.mjs", step)


@needs_node
def test_the_npm_client_splits_split_required_pages_and_loads_every_document_once(
    shelf_server: RunningServer,
) -> None:
    obs = node_step(shelf_server, "split_required_pages")
    assert obs["results"] == [0, 2, 4, 6, 8, 10, 12]
    assert obs["statuses"][-1] == "Exhausted:7"
    assert obs["splits"] >= 1  # the client re-subscribed the halves of a SplitRequired page


@needs_node
def test_the_npm_client_splits_a_grown_page_at_its_split_cursor(
    shelf_server: RunningServer,
) -> None:
    obs = node_step(shelf_server, "grown_page_split")
    assert obs["results"] == [0, 1, 2, 3, 4, 5, 6]
    assert obs["halves"] == [[2, 3, 4], [5, 6]]


@needs_node
def test_a_live_page_keeps_its_end_when_rerun_past_its_read_limits(
    shelf_server: RunningServer,
) -> None:
    obs = node_step(shelf_server, "live_capped_page")
    assert obs["updates"] == [
        {"ns": [0, 1, 2], "status": "SplitRequired"},
        {"ns": [0, 1, 2], "status": "SplitRecommended"},  # re-run to its end: not enforced
        {"ns": [0, 1, 1.5, 2], "status": "SplitRecommended"},
    ]
    assert obs["sameEnd"] is True
