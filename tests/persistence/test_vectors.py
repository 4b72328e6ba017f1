"""Vector search on every persistence against brute force (hypothesis).

Through the engine's transactions (inserts, edits, deletes; documents whose vector is missing
or of the wrong length are left out), ``Database.vector_search`` must return exactly the
documents numpy's brute-force cosine similarity ranks first, with their scores, as of the
latest commit, with and without filters; and a second database object over the same storage
(another process) sees every commit.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from livebase import v
from livebase.engine.database import Database
from livebase.engine.schema import define_schema, define_table
from livebase.persistence import Persistence
from tests.persistence.conftest import IMPLEMENTATIONS, Implementation

DIMS = 3
KINDS = ["a", "b", "c"]
SCHEMA = define_schema(
    {
        "items": define_table(
            {"kind": v.string(), "embedding": v.optional(v.array(v.number()))}
        ).vector_index(
            "by_embedding", vector_field="embedding", dimensions=DIMS, filter_fields=["kind"]
        )
    }
)


def brute_force(docs: dict[str, dict], query: list[float], limit: int, kinds: set[str] | None):
    q = np.asarray(query, dtype=np.float32)
    q = q / np.linalg.norm(q)
    scored = []
    for doc_id, doc in docs.items():
        vec = doc.get("embedding")
        if not isinstance(vec, list) or len(vec) != DIMS or (kinds and doc["kind"] not in kinds):
            continue
        x = np.asarray(vec, dtype=np.float32)
        norm = np.linalg.norm(x)
        scored.append((float((x / norm) @ q) if norm else 0.0, doc_id))
    scored.sort(key=lambda s: (-s[0], s[1]))
    return scored[:limit]


component = st.integers(-5, 5).map(float)
vectors = st.one_of(
    st.lists(component, min_size=DIMS, max_size=DIMS).filter(lambda x: any(x)),
    st.none(),
    st.lists(component, min_size=2, max_size=2),  # the wrong length: not indexed
)
writes = st.lists(
    st.tuples(
        st.sampled_from(["insert", "edit", "delete"]),
        st.integers(0, 40),
        vectors,
        st.sampled_from(KINDS),
    ),
    min_size=1,
    max_size=6,
)


def apply(db: Database, docs: dict[str, dict], ops) -> None:
    txn = db.begin(True)
    for kind, pick, vector, label in ops:
        doc = {"kind": label, **({"embedding": vector} if vector is not None else {})}
        ids = list(docs)  # in insertion order: IDs are random, the examples must not be
        if kind == "insert" or not ids:
            docs[txn.insert("items", doc)] = doc
        elif kind == "edit":
            target = ids[pick % len(ids)]
            txn.replace(target, doc)
            docs[target] = doc
        else:
            target = ids[pick % len(ids)]
            txn.delete(target)
            del docs[target]
    db.commit(txn)
    txn.close()


def check(db: Database, docs: dict[str, dict], query, limit, kinds) -> None:
    request = {"vector": query, "limit": limit}
    if kinds:
        request["filter"] = lambda q: q.or_(*(q.eq("kind", k) for k in sorted(kinds)))
    found = db.vector_search("items", "by_embedding", request)
    expected = brute_force(docs, query, limit, kinds)
    assert [f["_id"] for f in found] == [doc_id for _, doc_id in expected] or np.allclose(
        [f["_score"] for f in found], [s for s, _ in expected], atol=1e-6
    )
    assert np.allclose([f["_score"] for f in found], [s for s, _ in expected], atol=1e-5)


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_vector_search_agrees_with_brute_force(impl: Implementation, data: st.DataObject):
    with tempfile.TemporaryDirectory(prefix="livebase-vectors-") as directory:
        persistence: Persistence = impl.open(Path(directory))
        db = Database(persistence, SCHEMA)
        docs: dict[str, dict] = {}
        try:
            for _ in range(data.draw(st.integers(1, 5), label="commits")):
                apply(db, docs, data.draw(writes, label="writes"))
                query = data.draw(st.lists(component, min_size=DIMS, max_size=DIMS).filter(any))
                limit = data.draw(st.integers(1, 8))
                kinds = data.draw(st.one_of(st.none(), st.sets(st.sampled_from(KINDS), min_size=1)))
                check(db, docs, query, limit, kinds)
        finally:
            db.close()
            if impl.cleanup is not None:
                impl.cleanup(Path(directory))


@pytest.mark.parametrize(
    "impl",
    [i for i in IMPLEMENTATIONS if i.name in ("sqlite-shared", "postgres")],
    ids=lambda i: i.name,
)
def test_another_process_sees_every_commit(impl: Implementation, tmp_path):
    first = Database(impl.open(tmp_path), SCHEMA)
    second = Database(impl.open(tmp_path), SCHEMA)
    docs: dict[str, dict] = {}
    try:
        apply(first, docs, [("insert", 0, [1.0, 0.0, 0.0], "a")])
        check(second, docs, [1.0, 0.0, 0.0], 5, None)  # loads the index
        apply(first, docs, [("insert", 0, [0.9, 0.1, 0.0], "b"), ("edit", 0, [0.0, 1.0, 0.0], "a")])
        check(second, docs, [1.0, 0.0, 0.0], 5, None)  # catches up on what the first wrote
        apply(second, docs, [("delete", 1, None, "a")])
        check(first, docs, [1.0, 0.0, 0.0], 5, {"a", "b"})
    finally:
        first.close()
        second.close()
        if impl.cleanup is not None:
            impl.cleanup(tmp_path)
