"""Export and import of a deployment in Convex's ZIP layout (livebase.services.backup), on real
SQLite deployments of tests/services/backup_app."""

from __future__ import annotations

import base64
import hashlib
import json
import math
import struct
import threading
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from livebase import Int64, Runtime
from livebase.engine import values
from livebase.engine.ids import new_id
from livebase.engine.transaction import Transaction
from livebase.services.backup import BackupError, export_zip, import_zip, reencode_id

APP = Path(__file__).resolve().parent / "backup_app"

Deployments = Callable[[str], Runtime]
Exported = tuple[Runtime, Path, dict[str, Any]]

# --- helpers ------------------------------------------------------------------------------


@pytest.fixture
def deployments(tmp_path: Path) -> Iterator[Deployments]:
    """Open deployments of the backup app: ``deployments("name")``; all close after."""
    opened: list[Runtime] = []

    def open_deployment(name: str) -> Runtime:
        runtime = Runtime(APP, tmp_path / name)
        opened.append(runtime)
        return runtime

    yield open_deployment
    for runtime in opened:
        runtime.close()


def contents(runtime: Runtime) -> dict[str, dict[str, str]]:
    """Every document of every user table and of ``_storage``, by ID, in lossless JSON (so
    int64 and float64, bytes and NaN compare exactly)."""

    def work(txn: Transaction) -> dict[str, dict[str, str]]:
        out = {}
        for name in [*runtime.db.catalog.user_tables(), "_storage"]:
            table = txn.table(name)
            out[name] = {
                doc["_id"]: json.dumps(values.to_convex_json(doc), sort_keys=True)
                for _, doc in txn.scan(table, table.by_id, b"", None)
            }
        return out

    return runtime.transact(work, readonly=True)[0]


def blobs(runtime: Runtime) -> set[str]:
    return {p.name for p in runtime.storage.blobs.glob("*/*")}


def mutate(runtime: Runtime, path: str, args: dict[str, Any]) -> Any:
    return runtime.run_mutation(path, args).value


def seed(runtime: Runtime) -> dict[str, Any]:
    """Authors, posts holding every kind of value, and two files; their IDs and bytes."""
    image = b"\x89PNG\r\n\x1a\n\x00\xff" * 50
    note = "héllo wörld".encode()
    image_id = runtime.storage.store_bytes(image, "image/png")
    note_id = runtime.storage.store_bytes(note, "text/plain; charset=utf-8")
    ada = mutate(
        runtime,
        "blog:addAuthor",
        {
            "author": {
                "name": "Ada",
                "age": 36,
                "active": True,
                "tags": ["math", "engines"],
                "address": {"city": "London"},
            }
        },
    )
    grace = mutate(
        runtime,
        "blog:addAuthor",
        {
            "author": {
                "name": "Grace",
                "age": 85.5,
                "active": False,
                "tags": [],
                "address": {"city": "Arlington", "zip": "22201"},
            }
        },
    )
    extra = {
        "int64s": [Int64(values.INT64_MIN), Int64(values.INT64_MAX), Int64(0)],
        "floats": [0.1, -0.0, math.inf, -math.inf, math.nan, 3, 2.0**60, 1e300],
        "bytes": b"\x00\x01\xfe\xff",
        "nested": {"deep": [{"x": None, "y": True}], "ref": grace},
        "digits": "12345",
    }
    post = mutate(
        runtime,
        "blog:addPost",
        {
            "post": {
                "authorId": ada,
                "title": "Engines",
                "views": Int64(2**62),
                "digest": hashlib.sha256(b"x").digest(),
                "extra": extra,
                "attachment": image_id,
            }
        },
    )
    mutate(runtime, "blog:addPost", {"post": {"authorId": grace, "title": "Compilers"}})
    mutate(runtime, "events:tickMany", {"n": 3})
    return {
        "ada": ada,
        "post": post,
        "files": {image_id: (image, "image/png"), note_id: (note, "text/plain; charset=utf-8")},
    }


def rewrite(source: Path, target: Path, changes: dict[str, bytes]) -> None:
    """Copy a ZIP, replacing the entries named in ``changes``."""
    with zipfile.ZipFile(source) as zin, zipfile.ZipFile(target, "w") as zout:
        for info in zin.infolist():
            zout.writestr(info.filename, changes.get(info.filename, zin.read(info.filename)))


def replace_line(data: bytes, number: int, line: str) -> bytes:
    lines = data.decode().splitlines()
    lines[number - 1] = line
    return ("\n".join(lines) + "\n").encode()


# --- export -------------------------------------------------------------------------------


def test_export_writes_convexs_layout_and_encoding(
    deployments: Deployments, tmp_path: Path
) -> None:
    source = deployments("source")
    seeded = seed(source)
    summary = export_zip(source, tmp_path / "snapshot.zip")

    assert summary.tables == {"authors": 2, "posts": 2, "events": 3, "totals": 1}
    assert summary.files == 2
    with zipfile.ZipFile(summary.path) as zf:
        names = zf.namelist()
        assert names[0] == "README.md"
        tables = [json.loads(line) for line in zf.read("_tables/documents.jsonl").splitlines()]
        assert tables == [
            {"name": name, "id": source.db.catalog.table(name).number}
            for name in ("authors", "posts", "events", "totals")
        ]
        assert zf.read("posts/generated_schema.jsonl") == b'"uniform"\n'
        posts = zf.read("posts/documents.jsonl").decode()
        files = [json.loads(line) for line in zf.read("_storage/documents.jsonl").splitlines()]
        for storage_id, (data, _) in seeded["files"].items():
            (entry,) = [n for n in names if n.startswith(f"_storage/{storage_id}")]
            assert zf.read(entry) == data
        image_entry = next(n for n in names if n.endswith(".png"))
        assert image_entry.startswith("_storage/")
    # int64 as JSON integers, float64 always with a point, bytes and NaN tagged, as Convex
    assert f'"views":{2**62}' in posts
    assert f'"int64s":[{values.INT64_MIN},{values.INT64_MAX},0]' in posts
    assert '"floats":[0.1,-0.0,{"$float":' in posts and ",3.0,1.152921504606847e+18," in posts
    assert '"bytes":{"$bytes":"AAH+/w=="}' in posts
    meta = {f["_id"]: f for f in files}
    for storage_id, (data, content_type) in seeded["files"].items():
        assert (
            meta[storage_id]["sha256"] == base64.b64encode(hashlib.sha256(data).digest()).decode()
        )
        assert meta[storage_id]["size"] == len(data)
        assert meta[storage_id]["contentType"] == content_type
        assert isinstance(meta[storage_id]["_creationTime"], float)


def test_round_trip_keeps_every_document_id_creation_time_value_and_file(
    deployments: Deployments, tmp_path: Path
) -> None:
    source = deployments("source")
    seeded = seed(source)
    export_zip(source, tmp_path / "snapshot.zip")

    target = deployments("target")
    summary = import_zip(target, tmp_path / "snapshot.zip")

    assert contents(target) == contents(source)
    assert summary.tables == {"authors": 2, "posts": 2, "events": 3, "totals": 1}
    assert summary.files == 2 and summary.renumbered == {} and summary.skipped == []
    for storage_id, (data, content_type) in seeded["files"].items():
        found = target.storage.read(storage_id)  # what a download serves
        assert found is not None
        meta, blob = found
        assert blob.read_bytes() == data and meta["contentType"] == content_type
        assert target.call("blog:readFile", {"storageId": storage_id}) == data
    # the indexes were written with the documents
    (post,) = target.run_query("blog:postsByAuthor", {"authorId": seeded["ada"]}).value
    assert post["_id"] == seeded["post"] and post["views"] == Int64(2**62)
    assert isinstance(post["views"], Int64)
    # and the deployment goes on as usual
    assert mutate(target, "events:tick", {}) == 4


def test_an_export_is_one_snapshot_while_mutations_commit(
    deployments: Deployments, tmp_path: Path
) -> None:
    runtime = deployments("busy")
    mutate(runtime, "events:tickMany", {"n": 2000})
    stop = threading.Event()
    ticks = [0]
    failures: list[BaseException] = []

    def keep_ticking() -> None:
        while not stop.is_set():
            try:
                mutate(runtime, "events:tick", {})
            except BaseException as exc:
                failures.append(exc)
                return
            ticks[0] += 1

    writer = threading.Thread(target=keep_ticking)
    writer.start()
    exports = []
    try:
        for i in range(4):
            before = ticks[0]
            summary = export_zip(runtime, tmp_path / f"snapshot{i}.zip")
            exports.append((summary, ticks[0] - before))
    finally:
        stop.set()
        writer.join()

    assert not failures
    assert sum(during for _, during in exports) > 0, "no commit landed during an export"
    assert [s.ts for s, _ in exports] == sorted({s.ts for s, _ in exports})
    for summary, _ in exports:
        with zipfile.ZipFile(summary.path) as zf:
            events = [json.loads(line) for line in zf.read("events/documents.jsonl").splitlines()]
            (total,) = [json.loads(line) for line in zf.read("totals/documents.jsonl").splitlines()]
        # one mutation writes both tables: a torn snapshot would disagree
        assert total["count"] == len(events) == summary.tables["events"]
        assert sorted(e["n"] for e in events) == [float(n) for n in range(1, len(events) + 1)]


# --- import into a deployment with data ----------------------------------------------------


@pytest.fixture
def snapshot(deployments: Deployments, tmp_path: Path) -> Exported:
    """A seeded deployment, its export, and what it was seeded with."""
    source = deployments("source")
    seeded = seed(source)
    path = tmp_path / "snapshot.zip"
    export_zip(source, path)
    return source, path, seeded


OLD_AUTHOR = {
    "name": "Old",
    "age": 1,
    "active": True,
    "tags": [],
    "address": {"city": "Nowhere"},
}


def test_import_into_a_deployment_with_documents_is_refused_and_changes_nothing(
    deployments: Deployments, snapshot: Exported
) -> None:
    _, path, _ = snapshot
    target = deployments("target")
    mutate(target, "blog:addAuthor", {"author": OLD_AUTHOR})
    before = contents(target), blobs(target)

    with pytest.raises(BackupError, match=r"not empty \(documents or files in: authors\).*replace"):
        import_zip(target, path)

    assert (contents(target), blobs(target)) == before


def test_import_into_a_deployment_with_files_is_refused(
    deployments: Deployments, snapshot: Exported
) -> None:
    _, path, _ = snapshot
    target = deployments("target")
    target.storage.store_bytes(b"mine", None)

    with pytest.raises(BackupError, match=r"not empty \(documents or files in: _storage\)"):
        import_zip(target, path)

    assert len(contents(target)["_storage"]) == 1


def test_replace_clears_user_tables_and_files_then_imports(
    deployments: Deployments, snapshot: Exported
) -> None:
    source, path, _ = snapshot
    target = deployments("target")
    mutate(target, "blog:addAuthor", {"author": OLD_AUTHOR})
    target.storage.store_bytes(b"an old file", "text/plain")

    summary = import_zip(target, path, replace=True)

    assert summary.cleared == {"authors": 1, "_storage": 1}
    assert contents(target) == contents(source)
    assert blobs(target) == blobs(source)  # the old file's blob went with it


# --- a ZIP that does not fit ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ('{"title": "Unclosed"', r"line 2: not JSON"),
        ("[1, 2]", r"line 2: a document is a JSON object, got array"),
        (
            '{"authorId": "{ada}", "title": 5}',
            r"line 2: the document does not match the schema of table 'posts'",
        ),
        (
            '{"_id": "{ada}", "authorId": "{ada}", "title": "Mine"}',
            r"line 2: _id \w+ is an ID of table number 10001, but 'posts' has number 10002",
        ),
        ('{"authorId": "{ada}", "title": "x", "_secret": 1}', r"line 2: field '_secret'"),
        ('{"authorId": "{ada}", "title": "x", "views": 1.5}', r"line 2: .*views"),
    ],
)
def test_a_malformed_line_fails_naming_it_and_changes_nothing(
    deployments: Deployments, snapshot: Exported, tmp_path: Path, line: str, message: str
) -> None:
    _, path, seeded = snapshot
    bad = tmp_path / "bad.zip"
    with zipfile.ZipFile(path) as zf:
        posts = zf.read("posts/documents.jsonl")
    rewrite(
        path,
        bad,
        {"posts/documents.jsonl": replace_line(posts, 2, line.replace("{ada}", seeded["ada"]))},
    )
    target = deployments("target")
    mutate(target, "blog:addAuthor", {"author": OLD_AUTHOR})
    before = contents(target), blobs(target)

    with pytest.raises(BackupError, match=f"^posts/documents.jsonl {message}"):
        import_zip(target, bad, replace=True)

    assert (contents(target), blobs(target)) == before
    assert list(target.storage.tmp.iterdir()) == []


def test_a_file_whose_bytes_do_not_match_fails_and_changes_nothing(
    deployments: Deployments, snapshot: Exported, tmp_path: Path
) -> None:
    _, path, _ = snapshot
    bad = tmp_path / "bad.zip"
    with zipfile.ZipFile(path) as zf:
        entry = next(n for n in zf.namelist() if n.endswith(".png"))
    rewrite(path, bad, {entry: b"tampered"})
    target = deployments("target")

    with pytest.raises(BackupError, match=f"^{entry}: its bytes do not match the sha256"):
        import_zip(target, bad)

    assert all(docs == {} for docs in contents(target).values())
    assert blobs(target) == set() and list(target.storage.tmp.iterdir()) == []


def test_a_table_the_schema_does_not_declare_is_refused(
    deployments: Deployments, snapshot: Exported, tmp_path: Path
) -> None:
    _, path, _ = snapshot
    bad = tmp_path / "bad.zip"
    rewrite(path, bad, {})
    with zipfile.ZipFile(bad, "a") as zf:
        zf.writestr("ghosts/documents.jsonl", '{"boo": true}\n')

    with pytest.raises(BackupError, match=r"table 'ghosts' is not in the app's schema"):
        import_zip(deployments("target"), bad)


# --- a ZIP exported by Convex ---------------------------------------------------------------

# Table numbers as another deployment numbered them: the import re-encodes its IDs
AUTHORS, POSTS, STORAGE = 10017, 10023, 7
FLOAT_INF = {"$float": base64.b64encode(struct.pack("<d", math.inf)).decode()}
FLOAT_NAN = {"$float": base64.b64encode(struct.pack("<d", math.nan)).decode()}
PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256))
LEGACY_SHAPES = {
    "authors": '{"_creationTime": normalfloat64, "_id": id<10017>, "active": boolean, '
    '"address": {"city": string, "zip"?: string}, "age": normalfloat64, "name": string, '
    '"tags": array<string>}',
    "posts": '{"_creationTime": normalfloat64, "_id": id<10023>, "attachment"?: id<7>, '
    '"authorId": id<10017>, "digest"?: bytes, "extra"?: {"f": array<float64>, "n": int64 | string, '
    '"ref": id<10017>, "s": string}, "title": string, "views"?: int64}',
}


def convex_zip(path: Path, encoding: str) -> dict[str, str]:
    """A ZIP as ``npx convex export --include-file-storage`` writes it: in the ``uniform``
    encoding (Convex since 2026) or the ``legacy`` one (a shape per table, int64 and bytes
    as strings, overrides for what the shape leaves open). Returns the IDs in it."""
    ids = {
        "ada": new_id(AUTHORS),
        "grace": new_id(AUTHORS),
        "notes": new_id(POSTS),
        "compilers": new_id(POSTS),
        "file": new_id(STORAGE),
    }
    uniform = encoding == "uniform"
    authors = [
        {
            "_creationTime": 1700000000000.25,
            "_id": ids["ada"],
            "active": True,
            "address": {"city": "London"},
            "age": 36.0,
            "name": "Ada",
            "tags": ["math", "engines"],
        },
        {
            "_creationTime": 1700000000001.5,
            "_id": ids["grace"],
            "active": False,
            "address": {"city": "Arlington", "zip": "22201"},
            "age": 85.5,
            "name": "Grace",
            "tags": [],
        },
    ]
    posts = [
        {
            "_creationTime": 1700000000002.0,
            "_id": ids["notes"],
            "attachment": ids["file"],
            "authorId": ids["ada"],
            "digest": {"$bytes": "AAEC"} if uniform else "AAEC",
            "title": "Notes",
            "views": 12345678901234567 if uniform else "12345678901234567",
        },
        {
            "_creationTime": 1700000000003.0,
            "_id": ids["compilers"],
            "authorId": ids["grace"],
            "extra": {
                "f": [FLOAT_INF, FLOAT_NAN] if uniform else ["Infinity", "NaN"],
                "n": 7 if uniform else "7",
                "ref": ids["ada"],
                "s": "7",
            },
            "title": "Compilers",
        },
    ]
    file_meta = {
        "_id": ids["file"],
        "_creationTime": 1700000000000.5,
        "sha256": base64.b64encode(hashlib.sha256(PNG).digest()).decode(),
        "size": len(PNG),
        "contentType": "image/png",
        "internalId": "6c0e3b1c-3a55-4d7e-9f0e-2b8f1d0c9a41",
    }

    def jsonl(rows: list[Any]) -> str:
        return "".join(json.dumps(row, separators=(",", ":")) + "\n" for row in rows)

    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("README.md", "# Welcome to your Convex snapshot export!\n")
        zf.writestr(
            "_tables/documents.jsonl",
            jsonl([{"name": "authors", "id": AUTHORS}, {"name": "posts", "id": POSTS}]),
        )
        for table, rows in (("authors", authors), ("posts", posts)):
            schema: list[Any] = ["uniform"] if uniform else [LEGACY_SHAPES[table]]
            if table == "posts" and not uniform:
                nan = {"$float64NaN": FLOAT_NAN["$float"]}
                schema.append(
                    {ids["compilers"]: {"extra": {"f": ["float64inf", nan], "n": "int64"}}}
                )
            zf.writestr(f"{table}/generated_schema.jsonl", jsonl(schema))
            zf.writestr(f"{table}/documents.jsonl", jsonl(rows))
        zf.writestr("_scheduled_functions/documents.jsonl", jsonl([{"name": "x"}]))
        zf.writestr("_storage/documents.jsonl", jsonl([file_meta]))
        zf.writestr(f"_storage/{ids['file']}.png", PNG)
    return ids


@pytest.mark.parametrize("encoding", ["uniform", "legacy"])
def test_a_zip_exported_by_convex_imports_with_its_references_re_encoded(
    deployments: Deployments, tmp_path: Path, encoding: str
) -> None:
    ids = convex_zip(tmp_path / "convex.zip", encoding)
    target = deployments("target")
    authors = target.db.catalog.table("authors").number
    posts = target.db.catalog.table("posts").number
    files = target.storage.table().number

    summary = import_zip(target, tmp_path / "convex.zip")

    assert summary.renumbered == {
        "authors": (AUTHORS, authors),
        "posts": (POSTS, posts),
        "_storage": (STORAGE, files),
    }
    assert summary.tables == {"authors": 2, "posts": 2} and summary.files == 1
    assert summary.skipped == ["_scheduled_functions: a system table, not imported"]
    ada = target.run_query("blog:authorNamed", {"name": "Ada"}).value
    assert ada == {
        "_id": reencode_id(ids["ada"], authors),
        "_creationTime": 1700000000000.25,
        "name": "Ada",
        "age": 36,
        "active": True,
        "tags": ["math", "engines"],
        "address": {"city": "London"},
    }
    assert reencode_id(ada["_id"], AUTHORS) == ids["ada"]  # the same document, renumbered
    (notes,) = target.run_query("blog:postsByAuthor", {"authorId": ada["_id"]}).value
    assert notes["_id"] == reencode_id(ids["notes"], posts)
    assert notes["_creationTime"] == 1700000000002.0
    assert notes["views"] == 12345678901234567 and isinstance(notes["views"], Int64)
    assert notes["digest"] == b"\x00\x01\x02"
    assert notes["attachment"] == reencode_id(ids["file"], files)
    grace = target.run_query("blog:authorNamed", {"name": "Grace"}).value
    (compilers,) = target.run_query("blog:postsByAuthor", {"authorId": grace["_id"]}).value
    infinity, nan = compilers["extra"].pop("f")
    assert infinity == math.inf and math.isnan(nan)
    assert compilers["extra"] == {"n": 7, "ref": ada["_id"], "s": "7"}
    assert isinstance(compilers["extra"]["n"], Int64)
    # the file: its document kept its ID and creation time, and its bytes download
    meta = target.run_query("blog:fileInfo", {"storageId": notes["attachment"]}).value
    assert meta == {
        "storageId": notes["attachment"],
        "sha256": hashlib.sha256(PNG).hexdigest(),
        "size": len(PNG),
        "contentType": "image/png",
    }
    assert (target.storage.find(notes["attachment"]) or {})["_creationTime"] == 1700000000000.5
    assert target.call("blog:readFile", {"storageId": notes["attachment"]}) == PNG
