"""Index ranges, order, filters and pagination."""

import pytest

from livebase import IndexRangeError, ValidationError
from livebase.engine.catalog import IndexInfo
from livebase.engine.keys import encode_key
from livebase.engine.query import IndexRange


def fill(notes, rows):
    return [
        notes.mutation("notes:addNote", {"author": a, "body": b, "score": s}) for a, b, s in rows
    ]


def test_an_index_range_reads_eq_then_bounds(notes):
    fill(notes, [("ann", "x", 1), ("bob", "y", 5), ("bob", "z", 2), ("bob", "w", 9)])
    assert [d["score"] for d in notes.query("notes:scored", {"author": "bob", "min": 5})] == [9, 5]
    assert [d["body"] for d in notes.query("notes:byAuthor", {"author": "ann"})] == ["x"]


INDEX = IndexInfo(1, "by_a_b", ("a", "b"))


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda q: q.eq("b", 1), "expected 'a' next"),
        (lambda q: q.gt("a", 1).eq("b", 2), "must come before"),
        (lambda q: q.gt("a", 1).gte("a", 2), "at most one lower bound"),
        (lambda q: q.lt("a", 1).lt("a", 2), "at most one upper bound"),
        (lambda q: q.gt("a", 1).lt("b", 2), "expected 'a' next"),
        (lambda q: q.eq("a", 1).eq("b", 2).eq("_creationTime", 3).eq("c", 4), "no field after"),
    ],
)
def test_index_ranges_that_break_the_rules_are_refused(build, message):
    with pytest.raises(IndexRangeError, match=message):
        build(IndexRange(INDEX))


def test_range_intervals_cover_exactly_the_matching_keys():
    def interval(build):
        return build(IndexRange(INDEX)).interval()

    key = lambda a, b: encode_key([a, b, 1.0, "id"])  # noqa: E731
    lo, hi = interval(lambda q: q.eq("a", 1).gt("b", 2).lte("b", 4))
    assert not lo <= key(1, 2) < hi
    assert lo <= key(1, 3) < hi and lo <= key(1, 4) < hi
    assert not lo <= key(1, 4.5) < hi and not lo <= key(2, 3) < hi
    assert interval(lambda q: q.gt("a", 5).lt("a", 5)) is None


def test_unknown_indexes_list_the_known_ones(tmp_path):
    from livebase import query
    from livebase.testing import AppTester
    from tests.livebase.test_transactions import make_app

    @query
    async def q(ctx):
        return (
            await ctx.db.query("items").with_index("by_nam", lambda r: r.eq("name", "x")).collect()
        )

    with AppTester(make_app(q=q), tmp_path) as t, pytest.raises(IndexRangeError, match="by_name"):
        t.query("m:q")


def test_order_filter_take_first_unique(tmp_path):
    from livebase import query
    from livebase.testing import AppTester
    from tests.livebase.test_transactions import make_app

    @query
    async def run(ctx):
        items = ctx.db.query("items")
        desc = await items.order("desc").take(2)
        big = await ctx.db.query("items").filter(lambda q: q.gt(q.field("n"), 2)).collect()
        first = await ctx.db.query("items").first()
        one = (
            await ctx.db.query("items").with_index("by_name", lambda q: q.eq("name", "c")).unique()
        )
        none = (
            await ctx.db.query("items").with_index("by_name", lambda q: q.eq("name", "zz")).unique()
        )
        odd = (
            await ctx.db.query("items")
            .filter(lambda q: q.or_(q.eq(q.mod(q.field("n"), 2), 1), q.eq(q.field("name"), "b")))
            .collect()
        )
        return [
            [d["n"] for d in desc],
            [d["n"] for d in big],
            first["n"],
            one["n"],
            none,
            [d["name"] for d in odd],
        ]

    from livebase import mutation

    @mutation
    async def seed(ctx):
        for i, name in enumerate("abcd"):
            await ctx.db.insert("items", {"name": name, "n": i + 1})

    @query
    async def dup(ctx):
        return await ctx.db.query("items").unique()

    with AppTester(make_app(run=run, seed=seed, dup=dup), tmp_path) as t:
        t.mutation("m:seed")
        assert t.query("m:run") == [[4, 3], [3, 4], 1, 3, None, ["a", "b", "c"]]
        with pytest.raises(ValidationError, match="more than one"):
            t.query("m:dup")


def test_filters_must_be_built_with_the_filter_builder(tmp_path):
    from livebase import query
    from livebase.testing import AppTester
    from tests.livebase.test_transactions import make_app

    @query
    async def bad(ctx):
        return await ctx.db.query("items").filter(lambda doc: True).collect()

    with (
        AppTester(make_app(bad=bad), tmp_path) as t,
        pytest.raises(ValidationError, match="expression"),
    ):
        t.query("m:bad")


def test_pagination_walks_everything_once(notes):
    ids = fill(notes, [("a", str(i), i) for i in range(23)])
    seen, cursor, done = [], None, False
    while not done:
        page = notes.query("notes:page", {"paginationOpts": {"numItems": 5, "cursor": cursor}})
        seen += [d["_id"] for d in page["page"]]
        cursor, done = page["continueCursor"], page["isDone"]
    assert seen == ids


def test_pagination_is_stable_under_concurrent_inserts(notes):
    ids = fill(notes, [("a", str(i), i) for i in range(10)])
    first = notes.query("notes:page", {"paginationOpts": {"numItems": 4, "cursor": None}})
    # inserts land after the cursor position (newer creation time): no duplicate, no gap
    later = fill(notes, [("a", "late", 99)])
    rest = notes.query(
        "notes:page", {"paginationOpts": {"numItems": 100, "cursor": first["continueCursor"]}}
    )
    assert [d["_id"] for d in first["page"] + rest["page"]] == ids + later
    # re-running the first page up to its end cursor returns the same page
    again = notes.query(
        "notes:page",
        {"paginationOpts": {"numItems": 1, "cursor": None, "endCursor": first["continueCursor"]}},
    )
    assert [d["_id"] for d in again["page"]] == [d["_id"] for d in first["page"]]


def test_bad_pagination_options_are_refused(notes):
    with pytest.raises(ValidationError, match="numItems"):
        notes.query("notes:page", {"paginationOpts": {"cursor": None}})
    with pytest.raises(ValidationError, match="cursor"):
        notes.query("notes:page", {"paginationOpts": {"numItems": 2, "cursor": "zzz"}})
