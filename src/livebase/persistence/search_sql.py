"""Search indexes in SQL, the same statements for SQLite and PostgreSQL (``?`` or ``%s``).

Three tables: ``search_terms`` (one row per index, term and document, with the term's
frequency and the document's length, so that ranking reads no other table), ``search_vocab``
(each term's document frequency, for idf and for expanding a prefix) and ``search_stats`` (each
index's document and token counts, for the average length). Ranking is BM25 computed by the
database over the postings of the query's terms, with the weights ``engine.search`` computes,
so both engines return the same documents in the same order.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from livebase.engine.search import (
    K1,
    MAX_PREFIX_EXPANSIONS,
    SCORE_SCALE,
    B,
    SearchEntry,
    SearchHit,
    SearchQuery,
    Weights,
    prefix_end,
    weigh,
)
from livebase.engine.store import Commit
from livebase.engine.vectors import VectorEntry, rows_of, unpack_filters

Run = Callable[[str, Sequence[Any]], list[Any]]


def schema(blob: str, integer: str) -> str:
    """The tables, in the engine's type names (BLOB/bytea, INTEGER/bigint)."""
    without_rowid = " WITHOUT ROWID" if blob == "BLOB" else ""
    # why: on PostgreSQL the postings' key index also holds tf and len, so ranking reads the
    # index alone (SQLite's WITHOUT ROWID table is its key index already)
    covering = "" if blob == "BLOB" else " INCLUDE (tf, len)"
    return f"""
CREATE TABLE IF NOT EXISTS search_terms (
    idx integer NOT NULL, term {blob} NOT NULL, doc {blob} NOT NULL,
    tf integer NOT NULL, len integer NOT NULL,
    PRIMARY KEY (idx, term, doc){covering}){without_rowid};
CREATE TABLE IF NOT EXISTS search_vocab (
    idx integer NOT NULL, term {blob} NOT NULL, df {integer} NOT NULL,
    PRIMARY KEY (idx, term)){without_rowid};
CREATE TABLE IF NOT EXISTS search_stats (
    idx integer PRIMARY KEY, docs {integer} NOT NULL, tokens {integer} NOT NULL);
"""


class Statements:
    """Every statement, in one driver's parameter style."""

    def __init__(self, mark: str) -> None:
        m = mark
        self.mark = m
        self.drop = [
            f"DELETE FROM search_terms WHERE idx = {m}",
            f"DELETE FROM search_vocab WHERE idx = {m}",
            f"DELETE FROM search_stats WHERE idx = {m}",
        ]
        self.remove = f"DELETE FROM search_terms WHERE idx = {m} AND term = {m} AND doc = {m}"
        self.add = f"INSERT INTO search_terms VALUES ({m}, {m}, {m}, {m}, {m})"
        self.vocab = (
            f"INSERT INTO search_vocab VALUES ({m}, {m}, {m}) ON CONFLICT (idx, term)"
            " DO UPDATE SET df = search_vocab.df + excluded.df"
        )
        self.stats = (
            f"INSERT INTO search_stats VALUES ({m}, {m}, {m}) ON CONFLICT (idx)"
            " DO UPDATE SET docs = search_stats.docs + excluded.docs,"
            " tokens = search_stats.tokens + excluded.tokens"
        )

    def lookup(self, count: int) -> str:
        """In one round trip: the index's document and token counts (a row with no term),
        the frequencies of the last term's expansions as a prefix, then of the exact terms."""
        m = self.mark
        marks = ", ".join([m] * count)
        return (
            f"SELECT NULL AS term, docs, tokens FROM search_stats WHERE idx = {m}"
            " UNION ALL SELECT term, df, 0 FROM (SELECT term, df FROM search_vocab"
            f" WHERE idx = {m} AND term >= {m} AND term < {m} AND df > 0"
            f" ORDER BY df DESC, term LIMIT {MAX_PREFIX_EXPANSIONS}) expansions"
            f" UNION ALL SELECT term, df, 0 FROM search_vocab WHERE idx = {m} AND term IN ({marks})"
        )

    def rank(self, terms: int, filters: int) -> str:
        m = self.mark
        cases = " ".join([f"WHEN {m} THEN {m}"] * terms)  # a value per term
        marks = ", ".join([m] * terms)
        required = "".join(
            f" AND EXISTS (SELECT 1 FROM search_terms f WHERE f.idx = {m} AND f.term = {m}"
            " AND f.doc = p.doc)"
            for _ in range(filters)
        )
        # a term's value v is w * tf * (k1 + 1) / (tf + a * len + c); a document's score the
        # sum of its named terms' values (e = 1) plus the best of its prefix-only ones (e = 0):
        # engine.search.bm25, in one aggregation
        return (
            "SELECT r.doc, r.score, d.value FROM ("
            f"SELECT q.doc AS doc, ROUND((SUM(q.e * q.v) + MAX((1.0 - q.e) * q.v)) * {m})"
            " AS score FROM ("
            f"SELECT p.doc AS doc, (CASE p.term {cases} END) * p.tf * {m}"
            f" / (p.tf + {m} * p.len + {m}) AS v, (CASE p.term {cases} END) AS e"
            f" FROM search_terms p WHERE p.idx = {m} AND p.term IN ({marks}){required}"
            f") q GROUP BY q.doc ORDER BY score DESC, q.doc LIMIT {m}"
            f") r JOIN documents d ON d.tbl = {m} AND d.key = r.doc"
            " ORDER BY r.score DESC, r.doc"
        )


def write(
    execute: Callable[[str, Sequence[Any]], Any],
    executemany: Callable[[str, Sequence[Sequence[Any]]], Any],
    statements: Statements,
    removes: Iterable[SearchEntry],
    adds: Iterable[SearchEntry],
    dropped: Iterable[int] = (),
) -> None:
    """Apply one commit's search changes: dropped indexes, then removed and added entries."""
    for index_id in dropped:
        for statement in statements.drop:
            execute(statement, (index_id,))
    vocab: dict[tuple[int, bytes], int] = defaultdict(int)
    stats: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    gone: list[Sequence[Any]] = []
    for entry in removes:
        gone += [(entry.index, term, entry.doc) for term in entry.terms]
        for term in entry.text_terms():
            vocab[entry.index, term] -= 1
        counts = stats[entry.index]
        counts[0] -= 1
        counts[1] -= entry.length
    added: list[Sequence[Any]] = []
    for entry in adds:
        added += [(entry.index, t, entry.doc, tf, entry.length) for t, tf in entry.terms.items()]
        for term in entry.text_terms():
            vocab[entry.index, term] += 1
        counts = stats[entry.index]
        counts[0] += 1
        counts[1] += entry.length
    if gone:
        executemany(statements.remove, gone)
    if added:
        executemany(statements.add, added)
    changed = [(idx, term, delta) for (idx, term), delta in vocab.items() if delta]
    if changed:
        executemany(statements.vocab, changed)
    counted = [(idx, docs, tokens) for idx, (docs, tokens) in stats.items() if docs or tokens]
    if counted:
        executemany(statements.stats, counted)


def search(
    run: Run, statements: Statements, table: int, index: int, query: SearchQuery
) -> tuple[list[SearchHit], Weights]:
    """The documents that match a query, best first, with the weights they were scored by."""
    if not query.terms:
        return [], Weights()
    prefix = query.terms[-1]
    params = (index, index, prefix, prefix_end(prefix), index, *query.terms)
    documents = tokens = 0
    frequencies: dict[bytes, int] = {}
    for term, count, total in run(statements.lookup(len(query.terms)), params):
        if term is None:
            documents, tokens = int(count), int(total)
        else:
            frequencies[bytes(term)] = int(count)
    weights = weigh(frequencies, query.terms, documents, tokens)
    if not weights.idf:
        return [], weights
    terms = sorted(weights.idf)
    ranked: list[Any] = [float(SCORE_SCALE)]
    for term in terms:
        ranked += [term, weights.idf[term]]
    ranked += [K1 + 1.0, K1 * B / weights.average_length, K1 * (1.0 - B)]
    for term in terms:
        ranked += [term, 1.0 if term in weights.exact else 0.0]
    ranked += [index, *terms]
    for required in query.filters:
        ranked += [index, required]
    ranked += [query.limit, table]
    rows = run(statements.rank(len(terms), len(query.filters)), ranked)
    return [SearchHit(bytes(doc), int(score), text) for doc, score, text in rows], weights


# --- vector indexes ----------------------------------------------------------------------------


def vector_schema(blob: str) -> str:
    without_rowid = " WITHOUT ROWID" if blob == "BLOB" else ""
    return f"""
CREATE TABLE IF NOT EXISTS vectors (
    idx integer NOT NULL, doc {blob} NOT NULL, vec {blob} NOT NULL, filters {blob} NOT NULL,
    PRIMARY KEY (idx, doc)){without_rowid};
"""


class VectorStatements:
    def __init__(self, mark: str) -> None:
        m = mark
        self.mark = m
        self.drop = f"DELETE FROM vectors WHERE idx = {m}"
        self.remove = f"DELETE FROM vectors WHERE idx = {m} AND doc = {m}"
        self.add = (
            f"INSERT INTO vectors VALUES ({m}, {m}, {m}, {m}) ON CONFLICT (idx, doc)"
            " DO UPDATE SET vec = excluded.vec, filters = excluded.filters"
        )
        self.all = f"SELECT doc, vec, filters FROM vectors WHERE idx = {m}"

    def some(self, count: int) -> str:
        marks = ", ".join([self.mark] * count)
        return f"{self.all} AND doc IN ({marks})"


VECTOR_BATCH = 500


def write_vectors(
    execute: Callable[[str, Sequence[Any]], Any],
    executemany: Callable[[str, Sequence[Sequence[Any]]], Any],
    statements: VectorStatements,
    removes: Sequence[tuple[int, bytes]],
    adds: Sequence[VectorEntry],
    dropped: Iterable[int] = (),
) -> None:
    for index_id in dropped:
        execute(statements.drop, (index_id,))
    if removes:
        executemany(statements.remove, list(removes))
    if adds:
        executemany(statements.add, rows_of(adds))


def write_commit(
    execute: Callable[[str, Sequence[Any]], Any],
    executemany: Callable[[str, Sequence[Sequence[Any]]], Any],
    search_statements: Statements,
    vector_statements: VectorStatements,
    commit: Commit,
) -> None:
    """A commit's search and vector index changes, in the commit's transaction."""
    dropped = commit.dropped_indexes
    if commit.search_removes or commit.search_adds or dropped:
        write(
            execute,
            executemany,
            search_statements,
            commit.search_removes,
            commit.search_adds,
            dropped,
        )
    if commit.vector_removes or commit.vector_adds or dropped:
        write_vectors(
            execute,
            executemany,
            vector_statements,
            commit.vector_removes,
            commit.vector_adds,
            dropped,
        )


def read_vectors(
    run: Run, statements: VectorStatements, index: int, docs: list[bytes] | None
) -> list[VectorEntry]:
    if docs is None:
        rows = run(statements.all, (index,))
    else:
        rows = []
        for start in range(0, len(docs), VECTOR_BATCH):
            part = docs[start : start + VECTOR_BATCH]
            rows += run(statements.some(len(part)), (index, *part))
    return [
        VectorEntry(index, bytes(doc), bytes(vec), unpack_filters(bytes(filters)))
        for doc, vec, filters in rows
    ]


class SqlIndexReads:
    """``Snapshot.search`` and ``Snapshot.vectors`` for a SQL snapshot whose ``_c()`` is its
    connection, with the engine's statements in ``SEARCH`` and ``VECTORS``."""

    SEARCH: Statements
    VECTORS: VectorStatements

    def _c(self) -> Any:
        raise NotImplementedError

    def _run(self, text: str, params: Sequence[Any]) -> list[Any]:
        return list(self._c().execute(text, params).fetchall())

    def search(self, table: int, index: int, query: SearchQuery) -> tuple[list[SearchHit], Weights]:
        return search(self._run, self.SEARCH, table, index, query)

    def vectors(self, index: int, docs: list[bytes] | None) -> list[VectorEntry]:
        return read_vectors(self._run, self.VECTORS, index, docs)
