"""Full-text search on every persistence against a brute-force model (hypothesis).

The model ranks from the documents alone, written here from the definition (Convex's terms,
BM25 with Lucene's idf, the last query term also matched as a prefix, words matched only as a
prefix counting once, as their best), not from the engine's code. Every implementation must
return exactly the model's documents in the model's order, through the engine's transactions
(inserts, edits and deletes, in one commit or several; a transaction's own pending writes
included), and so the same order as each other.
"""

from __future__ import annotations

import asyncio
import math
import re
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from livebase import v
from livebase.engine.database import Database
from livebase.engine.query import QueryBuilder
from livebase.engine.schema import define_schema, define_table
from livebase.persistence import Persistence
from tests.persistence.conftest import Implementation

WORDS = ["apple", "apply", "apricot", "banana", "band", "cherry", "Apple", "bandana", "x1"]
AUTHORS = ["ann", "bob"]
SCHEMA = define_schema(
    {
        "notes": define_table({"body": v.string(), "author": v.string()}).search_index(
            "search_body", search_field="body", filter_fields=["author"]
        )
    }
)


def terms(text: str) -> list[str]:
    return re.findall(r"[^\W_]+", text.lower())


def model_search(docs: dict[str, dict], text: str, author: str | None) -> list[str]:
    """The IDs of the matching documents, best first (ties by ID key order)."""
    query = list(dict.fromkeys(terms(text)))
    if not query:
        return []
    tokens = {doc_id: terms(doc["body"]) for doc_id, doc in docs.items()}
    n = len(docs)
    avg = sum(len(t) for t in tokens.values()) / n if n and any(tokens.values()) else 1.0
    df: dict[str, int] = {}
    for words in tokens.values():
        for word in set(words):
            df[word] = df.get(word, 0) + 1
    prefix = query[-1]
    scored = []
    for doc_id, words in tokens.items():
        if author is not None and docs[doc_id]["author"] != author:
            continue
        values: dict[str, float] = {}
        for word in set(words):
            named = word in query
            if not named and not word.startswith(prefix):
                continue
            idf = math.log(1 + (n - df[word] + 0.5) / (df[word] + 0.5))
            tf = words.count(word)
            value = idf * tf * 2.2 / (tf + 1.2 * (0.25 + 0.75 * len(words) / avg))
            group = word if named else ""
            values[group] = max(values.get(group, 0.0), value)
        if values:
            scored.append((-round(sum(values.values()) * 1e6), doc_id))
    return [doc_id for _, doc_id in sorted(scored, key=lambda s: (s[0], ordering_key(s[1])))]


def ordering_key(doc_id: str) -> bytes:
    from livebase.engine.catalog import id_key

    return id_key(doc_id)


def search(db_or_txn, text: str, author: str | None) -> list[str]:
    txn = db_or_txn
    builder = QueryBuilder(txn, txn.table("notes")).with_search_index(
        "search_body",
        lambda q: (
            q.search("body", text)
            if author is None
            else q.search("body", text).eq("author", author)
        ),
    )
    return [doc["_id"] for doc in asyncio.run(builder.collect())]


bodies = st.lists(st.sampled_from(WORDS), min_size=0, max_size=6).map(" ".join)
queries = st.tuples(
    st.lists(st.sampled_from([*WORDS, "ap", "ban", "c", "zzz"]), min_size=0, max_size=3).map(
        " ".join
    ),
    st.sampled_from([None, *AUTHORS]),
)
operations = st.lists(
    st.tuples(
        st.sampled_from(["insert", "edit", "delete"]),
        st.integers(0, 50),
        bodies,
        st.sampled_from(AUTHORS),
    ),
    min_size=1,
    max_size=6,
)


def run(impl: Implementation, data: st.DataObject) -> None:
    with tempfile.TemporaryDirectory(prefix="livebase-search-") as directory:
        persistence: Persistence = impl.open(Path(directory))
        db = Database(persistence, SCHEMA)
        docs: dict[str, dict] = {}
        try:
            for _ in range(data.draw(st.integers(1, 5), label="commits")):
                txn = db.begin(True)
                for kind, pick, body, author in data.draw(operations, label="writes"):
                    ids = sorted(docs)
                    if kind == "insert" or not ids:
                        docs[txn.insert("notes", {"body": body, "author": author})] = {
                            "body": body,
                            "author": author,
                        }
                    elif kind == "edit":
                        doc_id = ids[pick % len(ids)]
                        txn.patch(doc_id, {"body": body})
                        docs[doc_id] = {**docs[doc_id], "body": body}
                    else:
                        doc_id = ids[pick % len(ids)]
                        txn.delete(doc_id)
                        del docs[doc_id]
                text, author = data.draw(queries, label="query in the mutation")
                # pending writes are scored with one more document's idf: same set, not order
                assert sorted(search(txn, text, author)) == sorted(model_search(docs, text, author))
                db.commit(txn)
                txn.close()
                for _ in range(3):
                    text, author = data.draw(queries, label="query")
                    reader = db.begin(False)
                    try:
                        assert search(reader, text, author) == model_search(docs, text, author)
                    finally:
                        reader.close()
        finally:
            db.close()
            if impl.cleanup is not None:
                impl.cleanup(Path(directory))


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_search_results_and_order_agree_with_a_brute_force_model(
    impl: Implementation, data: st.DataObject
):
    run(impl, data)
