"""``ctx.db.query(table)``: index ranges, order, filters, and the ways to read results.

Index ranges follow Convex's rule: zero or more ``eq`` in index field order, then at most one
lower bound (``gt``/``gte``) and one upper bound (``lt``/``lte``) on the next field.
"""

from __future__ import annotations

import base64
import math
from collections.abc import AsyncIterator, Callable, Generator
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from livebase.engine import values
from livebase.engine.catalog import IndexInfo, SearchIndexInfo, TableInfo
from livebase.engine.errors import IndexRangeError, LimitError, ValidationError
from livebase.engine.filters import Expr, FilterBuilder, compile_filter, matches
from livebase.engine.keys import encode_key, encode_value, undefined, values_end
from livebase.engine.search import MAX_RESULTS, SearchFilter, SearchQuery

if TYPE_CHECKING:
    from livebase.engine.transaction import Transaction


class IndexRange:
    """The ``q`` handed to ``.with_index(name, lambda q: ...)``."""

    def __init__(self, index: IndexInfo) -> None:
        self._index = index
        self._fields = index.all_fields
        self._eqs: list[Any] = []
        self._lower: tuple[str, Any] | None = None
        self._upper: tuple[str, Any] | None = None
        self._bound_field: str | None = None

    def _next_field(self, field: str, op: str) -> None:
        position = len(self._eqs)
        if self._bound_field is not None:
            expected = self._bound_field
        elif position < len(self._fields):
            expected = self._fields[position]
        else:
            raise IndexRangeError(
                f"Index {self._index.name!r} has no field after {', '.join(self._fields)}; "
                f"q.{op}({field!r}) does not fit"
            )
        if field != expected:
            raise IndexRangeError(
                f"Index {self._index.name!r} ranges must step through its fields in order "
                f"({', '.join(self._fields)}): expected {expected!r} next, got q.{op}({field!r})"
            )

    def _value(self, value: Any) -> Any:
        return undefined if value is undefined else values.normalize(value)

    def eq(self, field: str, value: Any) -> IndexRange:
        if self._lower or self._upper:
            raise IndexRangeError("q.eq() must come before q.gt/gte/lt/lte in an index range")
        self._next_field(field, "eq")
        self._eqs.append(self._value(value))
        return self

    def _set_lower(self, op: str, field: str, value: Any) -> IndexRange:
        if self._lower or self._upper:
            raise IndexRangeError(f"q.{op}(): an index range has at most one lower bound, first")
        self._next_field(field, op)
        self._bound_field = field
        self._lower = (op, self._value(value))
        return self

    def _set_upper(self, op: str, field: str, value: Any) -> IndexRange:
        if self._upper:
            raise IndexRangeError(f"q.{op}(): an index range has at most one upper bound")
        self._next_field(field, op)
        self._bound_field = field
        self._upper = (op, self._value(value))
        return self

    def gt(self, field: str, value: Any) -> IndexRange:
        return self._set_lower("gt", field, value)

    def gte(self, field: str, value: Any) -> IndexRange:
        return self._set_lower("gte", field, value)

    def lt(self, field: str, value: Any) -> IndexRange:
        return self._set_upper("lt", field, value)

    def lte(self, field: str, value: Any) -> IndexRange:
        return self._set_upper("lte", field, value)

    def interval(self) -> tuple[bytes, bytes | None] | None:
        """The key interval ``[start, end)``, or None when the range is empty."""
        prefix = encode_key(self._eqs)
        start = prefix
        end = values_end(prefix) if prefix else None
        if self._lower is not None:
            op, value = self._lower
            key = _extend(prefix, value)
            start = key if op == "gte" else values_end(key)
        if self._upper is not None:
            op, value = self._upper
            key = _extend(prefix, value)
            end = key if op == "lt" else values_end(key)
        if end is not None and end <= start:
            return None
        return start, end


def _extend(prefix: bytes, value: Any) -> bytes:
    out = bytearray(prefix)
    encode_value(value, out)
    return bytes(out)


def encode_cursor(key: bytes) -> str:
    return "c" + base64.urlsafe_b64encode(key).decode("ascii")


END_CURSOR = "e"


def decode_cursor(cursor: Any) -> bytes | None:
    """The key a cursor points at; None for the end-of-results cursor."""
    if not isinstance(cursor, str) or not cursor:
        raise ValidationError(f"Invalid pagination cursor {cursor!r}")
    if cursor == END_CURSOR:
        return None
    if cursor[0] != "c":
        raise ValidationError(f"Invalid pagination cursor {cursor!r}")
    try:
        return base64.urlsafe_b64decode(cursor[1:].encode("ascii"))
    except ValueError as exc:
        raise ValidationError(f"Invalid pagination cursor {cursor!r}") from exc


class QueryBuilder:
    """A query over one table; chain ``with_index``, ``order``, ``filter``, then read."""

    def __init__(self, txn: Transaction, table: TableInfo) -> None:
        self._txn = txn
        self._table = table
        self._index = table.indexes["by_creation_time"]
        self._range: IndexRange | None = None
        self._index_chosen = False
        self._desc = False
        self._filters: list[Expr] = []
        self._search: tuple[SearchIndexInfo, SearchQuery] | None = None

    def with_index(
        self, name: str, range_fn: Callable[[IndexRange], Any] | None = None
    ) -> QueryBuilder:
        """Read through the named index, over the range ``range_fn`` builds."""
        if self._index_chosen:
            raise IndexRangeError("A query takes one with_index() or full_table_scan()")
        index = self._table.indexes.get(name)
        if index is None:
            self._table.refuse_staged(name)
            known = ", ".join(sorted(self._table.indexes))
            raise IndexRangeError(
                f"Index {name!r} not found on table {self._table.name!r} (indexes: {known})"
            )
        self._index = index
        self._index_chosen = True
        if range_fn is not None:
            builder = IndexRange(index)
            result = range_fn(builder)
            if result is not builder and result is not None:
                raise IndexRangeError("with_index() range functions must return q")
            self._range = builder
        return self

    def with_search_index(
        self, name: str, search_fn: Callable[[SearchFilter], Any]
    ) -> QueryBuilder:
        """Full-text search through the named search index: ``lambda q: q.search("body",
        "hello hi").eq("channel", "#general")``. Results come in relevance order (at most
        1,024), and may be filtered, taken, collected or paginated."""
        if self._index_chosen:
            raise IndexRangeError(
                "A query takes one with_index(), with_search_index() or full_table_scan()"
            )
        if self._desc:
            raise IndexRangeError("A search query's results come in relevance order: no order()")
        index = self._table.search_indexes.get(name)
        if index is None:
            self._table.refuse_staged(name)
            known = ", ".join(sorted(self._table.search_indexes)) or "none"
            raise IndexRangeError(
                f"Search index {name!r} not found on table {self._table.name!r} "
                f"(search indexes: {known})"
            )
        builder = SearchFilter(index)
        result = search_fn(builder)
        if result is not builder:
            raise IndexRangeError("with_search_index() functions must return q")
        # why: read here, so that a malformed search fails where it was written
        self._search = (index, builder.query())
        self._index_chosen = True
        return self

    def full_table_scan(self) -> QueryBuilder:
        """Read the whole table in creation order."""
        if self._index_chosen:
            raise IndexRangeError("A query takes one with_index() or full_table_scan()")
        self._index_chosen = True
        return self

    def order(self, order: str) -> QueryBuilder:
        """``"asc"`` (the default) or ``"desc"``, by the index's key."""
        if order not in ("asc", "desc"):
            raise ValidationError(f"order() takes 'asc' or 'desc', got {order!r}")
        if self._search is not None:
            raise IndexRangeError("A search query's results come in relevance order: no order()")
        self._desc = order == "desc"
        return self

    def filter(self, predicate: Callable[[FilterBuilder], Any]) -> QueryBuilder:
        """Keep only documents for which the filter expression is true."""
        self._filters.append(compile_filter(predicate))
        return self

    # --- reading -----------------------------------------------------------------------
    def _interval(self) -> tuple[bytes, bytes | None] | None:
        if self._range is None:
            return b"", None
        return self._range.interval()

    def _docs(self, wanted: int | None = None) -> Generator[dict[str, Any], None, None]:
        rows = self._scan(None, None, wanted)
        try:
            for _, doc, matched, _ in rows:
                if matched:
                    yield doc
        finally:
            rows.close()

    async def collect(self) -> list[dict[str, Any]]:
        """Every matching document."""
        return list(self._docs())

    async def take(self, n: int) -> list[dict[str, Any]]:
        """The first ``n`` matching documents."""
        if isinstance(n, bool) or not isinstance(n, int) or n < 0:
            raise ValidationError(f"take() takes a non-negative integer, got {n!r}")
        out: list[dict[str, Any]] = []
        if n == 0:
            return out
        rows = self._docs(n)
        try:
            for doc in rows:
                out.append(doc)
                if len(out) >= n:
                    break
        finally:
            rows.close()  # why: closing records the read set up to the last key handed out
        return out

    async def first(self) -> dict[str, Any] | None:
        """The first matching document, or None."""
        found = await self.take(1)
        return found[0] if found else None

    async def unique(self) -> dict[str, Any] | None:
        """The only matching document, or None; an error if there are several."""
        found = await self.take(2)
        if len(found) > 1:
            raise ValidationError(
                f"unique() found more than one document in table {self._table.name!r}: "
                f"{found[0]['_id']}, {found[1]['_id']}"
            )
        return found[0] if found else None

    async def paginate(self, opts: dict[str, Any]) -> dict[str, Any]:
        """A page of results, as Convex returns it: ``{"page", "isDone", "continueCursor",
        "splitCursor", "pageStatus"}``.

        ``opts``: ``numItems``, ``cursor`` (None for the first page), and optionally
        ``endCursor``, ``maximumRowsRead`` and ``maximumBytesRead``. Cursors are key positions,
        so pages stay stable when documents are inserted concurrently. With an end cursor (the
        ``endCursor`` option, or the one in the query's journal when a live query re-runs) the
        page runs exactly up to it, whatever ``numItems`` says, and the read limits do not
        apply. Without one, the page ends after ``numItems`` documents, or where a limit stopped
        the read (``pageStatus: "SplitRequired"``): ``maximumRowsRead`` counts the rows read
        from the index (before ``filter()``), ``maximumBytesRead`` their bytes (the read stops
        once they reach it, so it may overshoot by one document).

        ``splitCursor`` cuts the rows read in two, so that the pages ``(cursor, splitCursor]``
        and ``(splitCursor, continueCursor]`` together are this page; the client splits a
        page marked ``SplitRecommended`` (close to a limit) or ``SplitRequired`` there.
        """
        if not isinstance(opts, dict):
            raise ValidationError("paginate() takes {'numItems': n, 'cursor': ...}")
        num = _page_size(opts.get("numItems"))
        max_rows = _read_limit(opts, "maximumRowsRead")
        max_bytes = _read_limit(opts, "maximumBytesRead")
        cursor = opts.get("cursor")
        start_key = None if cursor is None else decode_cursor(cursor)
        end_cursor = opts.get("endCursor") or self._txn.journal_end_cursor()
        end_key = None if end_cursor is None else decode_cursor(end_cursor)
        read = _PageRead(self, num, end_cursor is None, max_rows, max_bytes)
        past_end = cursor is not None and start_key is None
        if not past_end:
            read.run(*self._page_bounds(start_key, end_key), from_start=cursor is None)
        if end_cursor is not None:
            continue_cursor = end_cursor
        elif past_end or read.reached_end:
            continue_cursor = END_CURSOR
        elif read.last_key is not None:
            continue_cursor = encode_cursor(read.last_key)
        else:  # a transaction limit stopped it before its first row: it stays where it was
            assert cursor is not None
            continue_cursor = cursor
        return self._txn.record_page(
            {
                "page": read.page,
                "isDone": continue_cursor == END_CURSOR,
                "continueCursor": continue_cursor,
                "splitCursor": read.split_cursor(),
                "pageStatus": read.status(),
            }
        )

    def _page_bounds(
        self, start_key: bytes | None, end_key: bytes | None
    ) -> tuple[bytes | None, bytes | None]:
        """The key range ``[lo, hi)`` after the start cursor and up to the end cursor."""
        lo = hi = None
        if start_key is not None:
            if self._desc:
                hi = start_key
            else:
                lo = start_key + b"\x00"
        if end_key is not None:
            if self._desc:
                lo = end_key
            else:
                hi = end_key + b"\x00"
        return lo, hi

    def _scan(
        self, lo: bytes | None, hi: bytes | None, wanted: int | None = None, sized: bool = False
    ) -> Generator[tuple[bytes, dict[str, Any], bool, int], None, None]:
        """Rows of the range clipped to ``[lo, hi)``, each with whether it passes the filters
        and, when ``sized``, its size in bytes (else 0). ``wanted``: how many rows the caller
        takes at most (a search then asks storage for no more, when no filter may drop
        some)."""
        if self._search is not None:
            index, query = self._search
            if wanted is not None and not self._filters and lo is None and hi is None:
                query = replace(query, limit=min(query.limit, wanted))
            for key, doc, size in self._txn.search(self._table, index, query):
                if (lo is None or key >= lo) and (hi is None or key < hi):
                    yield key, doc, all(matches(f, doc) for f in self._filters), size
            return
        interval = self._interval()
        if interval is None:
            return
        start, end = interval
        if lo is not None:
            start = max(start, lo)
        if hi is not None:
            end = hi if end is None else min(end, hi)
        if end is not None and end <= start:
            return
        if not sized:
            for key, doc in self._txn.scan(self._table, self._index, start, end, self._desc):
                yield key, doc, all(matches(f, doc) for f in self._filters), 0
            return
        rows = self._txn.scan(self._table, self._index, start, end, self._desc, sized=True)
        for key, doc, size in rows:
            yield key, doc, all(matches(f, doc) for f in self._filters), size

    def __aiter__(self) -> AsyncIterator[dict[str, Any]]:
        return self._aiter()

    async def _aiter(self) -> AsyncIterator[dict[str, Any]]:
        rows = self._docs()
        try:
            for doc in rows:
                yield doc
        finally:
            rows.close()  # why: closing records the read set up to the last key handed out


# Convex's paging limits (``crates/isolate/src/environment/udf/async_syscall.rs``,
# ``crates/database/src/query/index_range.rs``): a transaction's read limits, which a page's
# ``maximumRowsRead``/``maximumBytesRead`` can only lower; the most results a page may ask for;
# and the page length past which a split is recommended (3/4 of the longest array a function
# may return). A search reads at most ``search.MAX_RESULTS`` rows.
MAX_ROWS_READ = 32_000  # the transaction's (engine/transaction.py enforces it)
_MAX_READ_BYTES = 16 * 1024 * 1024
_MAX_PAGE_ITEMS = 32_000
_SOFT_MAX_PAGE_LEN = 8192 * 3 // 4

SPLIT_REQUIRED = "SplitRequired"
SPLIT_RECOMMENDED = "SplitRecommended"


def _soft_limit(hard: int) -> int:
    """Past this share of a limit a page is close to it (Convex's ``soft_data_limit``)."""
    return hard * 3 // 4


def _page_size(num: Any) -> int | float:
    """``numItems``, checked as Convex checks it."""
    if num == 0 and not isinstance(num, bool):
        raise ValidationError("Must request at least 1 document while paginating")
    if isinstance(num, bool) or not isinstance(num, int | float) or math.isnan(num) or num < 1:
        raise ValidationError(f"paginate(): numItems must be a number >= 1, got {num!r}")
    if num > _MAX_PAGE_ITEMS:
        shown = int(num) if float(num).is_integer() else num
        raise ValidationError(f"Requested too many items: {shown}")
    return num


def _read_limit(opts: dict[str, Any], name: str) -> int | float | None:
    """``maximumRowsRead`` or ``maximumBytesRead``: None when unset, else a number > 0."""
    limit = opts.get(name)
    if limit is None:
        return None
    if isinstance(limit, bool) or not isinstance(limit, int | float) or math.isnan(limit):
        raise ValidationError(f"paginate(): {name} must be a number, got {limit!r}")
    if limit == 0:
        raise ValidationError("maximumRowsRead and maximumBytesRead must be greater than 0")
    if limit < 0:
        raise ValidationError(f"paginate(): {name} must be greater than 0, got {limit!r}")
    return limit


class _PageRead:
    """One page's read: the rows it went through (filtered out or not), what it kept, and
    where and why it stopped."""

    def __init__(
        self,
        query: QueryBuilder,
        num: int | float,
        bounded: bool,
        max_rows: int | float | None,
        max_bytes: int | float | None,
    ) -> None:
        self._query = query
        self._search = query._search is not None
        # why: with an end cursor the page must reach it (a live page keeps its bounds), so
        # neither numItems nor the read limits end it; a search ignores the limits too
        self._num = num if bounded else math.inf
        enforce = bounded and not self._search
        self._max_rows = max_rows if enforce else None
        self._max_bytes = max_bytes if enforce else None
        # why: close to a limit means past 3/4 of it, even where the limits are not enforced
        if self._search:
            self._soft_rows = _soft_limit(MAX_RESULTS)
            self._soft_bytes = _soft_limit(_MAX_READ_BYTES)
        else:
            self._soft_rows = _soft_limit(int(min(max_rows or MAX_ROWS_READ, MAX_ROWS_READ)))
            self._soft_bytes = _soft_limit(int(min(max_bytes or _MAX_READ_BYTES, _MAX_READ_BYTES)))
        self.page: list[dict[str, Any]] = []
        self.keys: list[bytes] = []  # the key of every row read, in order
        self.bytes_read = 0
        self.reached_end = False
        self.split_required = False

    @property
    def last_key(self) -> bytes | None:
        return self.keys[-1] if self.keys else None

    def run(self, lo: bytes | None, hi: bytes | None, from_start: bool) -> None:
        """Read the rows in ``[lo, hi)`` until the page is full, a limit stops it or the range
        ends. ``from_start``: the page has no start cursor."""
        rows = self._query._scan(lo, hi, sized=True)
        try:
            while len(self.page) < self._num:
                if self._at_limit():
                    self.split_required = True
                    return
                try:
                    row = next(rows, None)
                except LimitError:
                    # why: reading rows, that is the transaction's read limit. As in Convex, it
                    # ends the page where it got to; with no position at all (no start cursor,
                    # no row read) the error stands
                    if from_start and not self.keys:
                        raise
                    self.split_required = True
                    return
                if row is None:
                    self.reached_end = True
                    return
                key, doc, matched, size = row
                self.keys.append(key)
                self.bytes_read += size  # why: as Convex's index range counts them, unfiltered
                if matched:
                    self.page.append(doc)
        finally:
            rows.close()  # why: closing records the read set up to the last row read

    def _at_limit(self) -> bool:
        """Whether a read limit stops the page before the next row (checked after a row, so
        a page reads at least one and the bytes may overshoot by one document)."""
        if self._max_bytes is not None and self.bytes_read >= self._max_bytes:
            return True
        return self._max_rows is not None and len(self.keys) >= self._max_rows

    def split_cursor(self) -> str | None:
        """The cursor after row ``len // 2 + 1`` of those read; None for a search (Convex
        does not split those) or when at most two rows were read."""
        if self._search or len(self.keys) <= 2:
            return None
        return encode_cursor(self.keys[len(self.keys) // 2])

    def status(self) -> str | None:
        """``pageStatus``: SplitRequired when a limit cut the page, SplitRecommended when it
        read past 3/4 of a limit or holds more than 6,144 documents, else None."""
        if self.split_required:
            return SPLIT_REQUIRED
        if (
            len(self.keys) > self._soft_rows
            or self.bytes_read > self._soft_bytes
            or len(self.page) > _SOFT_MAX_PAGE_LEN
        ):
            return SPLIT_RECOMMENDED
        return None
