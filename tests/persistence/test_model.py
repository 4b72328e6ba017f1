"""Random commit sequences against every implementation agree with a plain dict model.

The model is three dicts (documents, index entries, metadata) and a list (the commit log),
changed the way ``Persistence.commit`` documents it: dropped indexes first, then documents,
then index removes, then index adds, each in order. Snapshots taken along the way keep a copy
of the model as it was, and every read through them (gets, scans with random bounds,
direction and limit) must match that copy, however many commits came after.
"""

from __future__ import annotations

import json
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from livebase.persistence import Commit, LoggedCommit, Persistence, Snapshot
from tests.persistence.conftest import Implementation

TABLES = [10001, 10002]
INDEXES = [7, 8]
# few keys, so that commits collide: prefixes, zero bytes and high bytes order the scans
KEYS = [b"", b"\x00", b"a", b"a\x00", b"ab", b"b", b"\x7f", b"\xff", b"\xff\x00"]
BOUNDS = st.sampled_from(KEYS) | st.binary(max_size=2)

keys = st.sampled_from(KEYS)
texts = st.integers(0, 99).map(lambda n: json.dumps({"n": n}))
write_sets = st.dictionaries(st.integers(1, 9), st.lists(st.binary(max_size=3), max_size=3))
meta_values = st.none() | st.integers(-5, 5) | st.text(max_size=3) | st.lists(st.booleans())


@dataclass
class Model:
    """What storage holds, as plain dicts."""

    documents: dict[tuple[int, bytes], str] = field(default_factory=dict)
    indexes: dict[tuple[int, bytes], bytes] = field(default_factory=dict)
    meta: dict[str, Any] = field(default_factory=dict)
    log: list[LoggedCommit] = field(default_factory=list)
    ts: int = 0

    def copy(self) -> Model:
        return Model(dict(self.documents), dict(self.indexes), dict(self.meta), [], self.ts)

    def apply(self, commit: Commit) -> None:
        for index in commit.dropped_indexes:
            self.indexes = {k: v for k, v in self.indexes.items() if k[0] != index}
        for table, key, text in commit.documents:
            if text is None:
                self.documents.pop((table, key), None)
            else:
                self.documents[(table, key)] = text
        for index, key in commit.index_removes:
            self.indexes.pop((index, key), None)
        for index, key, id_key in commit.index_adds:
            self.indexes[(index, key)] = id_key
        self.meta.update(commit.meta)
        self.log.append(LoggedCommit(commit.ts, commit.write_set))
        self.ts = commit.ts

    def scan(self, table, index, start, end, reverse, limit) -> list[tuple[bytes, str]]:
        if index is None:
            entries = {k: k for (t, k) in self.documents if t == table}
        else:
            entries = {k: doc for (i, k), doc in self.indexes.items() if i == index}
        rows = []
        for key in sorted(entries, reverse=reverse):
            text = self.documents.get((table, entries[key]))
            if key >= start and (end is None or key < end) and text is not None:
                rows.append((key, text))
        return rows[:limit]


@st.composite
def commits(draw: st.DrawFn, ts: int) -> Commit:
    return Commit(
        ts,
        documents=draw(st.lists(st.tuples(st.sampled_from(TABLES), keys, st.none() | texts))),
        index_removes=draw(st.lists(st.tuples(st.sampled_from(INDEXES), keys), max_size=3)),
        index_adds=draw(st.lists(st.tuples(st.sampled_from(INDEXES), keys, keys), max_size=4)),
        meta=draw(st.dictionaries(st.sampled_from(["catalog", "schemaHash"]), meta_values)),
        dropped_indexes=draw(st.lists(st.sampled_from(INDEXES), max_size=1)),
        write_set=draw(write_sets),
    )


def check_reads(data: st.DataObject, snap: Snapshot, model: Model) -> None:
    assert snap.ts == model.ts
    for _ in range(3):
        table, key = data.draw(st.sampled_from(TABLES)), data.draw(keys)
        assert snap.get(table, key) == model.documents.get((table, key))
    for _ in range(3):
        table = data.draw(st.sampled_from(TABLES))
        index = data.draw(st.none() | st.sampled_from(INDEXES))
        start, end = data.draw(BOUNDS), data.draw(st.none() | BOUNDS)
        reverse, limit = data.draw(st.booleans()), data.draw(st.integers(1, 6))
        expected = model.scan(table, index, start, end, reverse, limit)
        assert snap.scan(table, index, start, end, reverse, limit) == expected
    for name in ("catalog", "schemaHash"):
        assert snap.meta(name) == model.meta.get(name)


def run_commits(impl: Implementation, data: st.DataObject) -> None:
    with tempfile.TemporaryDirectory(prefix="livebase-model-") as directory:
        persistence: Persistence = impl.open(Path(directory))
        model = Model()
        kept: list[tuple[Snapshot, Model]] = []
        try:
            for _ in range(data.draw(st.integers(1, 8), label="commits")):
                ts = model.ts + data.draw(st.integers(1, 10**9))
                commit = data.draw(commits(ts))
                persistence.commit(commit)
                model.apply(commit)
                if data.draw(st.booleans(), label="keep a snapshot"):
                    kept.append((persistence.snapshot(), model.copy()))
                for snap, seen in kept:
                    check_reads(data, snap, seen)
                latest = persistence.snapshot()
                try:
                    check_reads(data, latest, model)
                finally:
                    latest.close()
            after = data.draw(st.sampled_from([0, *[c.ts for c in model.log]]))
            limit = data.draw(st.integers(1, 10))
            expected = [c for c in model.log if c.ts > after][:limit]
            assert persistence.commits_after(after, limit) == expected
        finally:
            for snap, _ in kept:
                snap.close()
            persistence.close()
            if impl.cleanup is not None:
                impl.cleanup(Path(directory))


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_random_commits_agree_with_a_dict_model(impl: Implementation, data: st.DataObject):
    run_commits(impl, data)
