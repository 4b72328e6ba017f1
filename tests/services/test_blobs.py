"""The blob stores (livebase.services.blobs): one set of behaviours every store keeps, run
against all three on real parts (a temporary directory, a PostgreSQL schema through
PostgresPersistence.connect(), moto's S3 server in a process of its own); then what is
particular to each, and how ``open_blob_store`` reads a storage spec."""

from __future__ import annotations

import hashlib
import os
import secrets
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from livebase import Runtime
from livebase.persistence.postgres import PostgresPersistence
from livebase.services.blobs import (
    CHUNK,
    BlobNotFound,
    BlobStore,
    BlobStoreError,
    DirectoryBlobStore,
    PostgresBlobStore,
    S3BlobStore,
)
from tests import pgsupport
from tests.conftest import APPS
from tests.s3support import S3Server

SMALL_CHUNK = 64 * 1024  # PostgreSQL rows in these tests: ranges cross rows with little data
STORES = ["directory", "postgres", "s3"]


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@pytest.fixture
def postgres() -> Iterator[PostgresPersistence]:
    """A PostgreSQL deployment in a fresh schema, dropped afterwards."""
    schema = pgsupport.new_schema()
    persistence = PostgresPersistence(pgsupport.deployment_url(schema))
    try:
        yield persistence
    finally:
        persistence.close()
        pgsupport.drop_schema(schema)


@pytest.fixture(params=STORES)
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[BlobStore]:
    made: BlobStore
    if request.param == "directory":
        made = DirectoryBlobStore(tmp_path / "storage")
    elif request.param == "postgres":
        made = PostgresBlobStore(request.getfixturevalue("postgres"), chunk_size=SMALL_CHUNK)
    else:
        s3: S3Server = request.getfixturevalue("s3")
        made = S3BlobStore(s3.new_bucket(), "deployment/files", endpoint=s3.endpoint)
    try:
        yield made
    finally:
        made.close()


# --- what every store does ------------------------------------------------------------------


def test_a_blob_reads_back_whole_and_in_any_range(store: BlobStore) -> None:
    data = secrets.token_bytes(200_000)
    store.put_bytes(sha(data), data)
    assert store.read(sha(data)) == data
    assert store.size(sha(data)) == len(data) and store.exists(sha(data))
    spans = [
        (0, 1),
        (5, 70_000),
        (SMALL_CHUNK - 1, SMALL_CHUNK + 1),  # across two PostgreSQL rows
        (SMALL_CHUNK, 2 * SMALL_CHUNK),  # exactly one row
        (199_999, 200_000),
        (150_000, None),
        (190_000, 300_000),  # an end past the end: up to the end
        (0, 0),
        (200_000, None),  # at the end: nothing
        (250_000, 260_000),  # past the end: nothing
    ]
    for start, end in spans:
        assert store.read(sha(data), start, end) == data[start:end], (start, end)


def test_a_file_is_put_from_disk_and_left_where_it_was(store: BlobStore, tmp_path: Path) -> None:
    data = secrets.token_bytes(3 * SMALL_CHUNK + 17)
    source = tmp_path / "upload"
    source.write_bytes(data)
    store.put_file(sha(data), source)
    assert source.read_bytes() == data
    assert store.read(sha(data)) == data


def test_a_large_blob_streams_in_pieces_of_at_most_one_chunk(store: BlobStore) -> None:
    data = secrets.token_bytes(2 * CHUNK + 123)
    store.put_bytes(sha(data), data)
    stream = store.open(sha(data))
    assert stream is not None
    pieces = list(stream)
    assert len(pieces) >= 3 and max(map(len, pieces)) <= CHUNK
    assert b"".join(pieces) == data
    partial = store.open(sha(data), CHUNK - 10, CHUNK + 10)
    assert partial is not None and b"".join(partial) == data[CHUNK - 10 : CHUNK + 10]


def test_a_stream_closed_before_its_end_releases_what_it_held(store: BlobStore) -> None:
    data = secrets.token_bytes(3 * CHUNK)
    store.put_bytes(sha(data), data)
    for _ in range(40):  # more than any store keeps open at once
        stream = store.open(sha(data))
        assert stream is not None
        assert len(next(stream)) > 0
        stream.close()
    assert store.read(sha(data), 0, 10) == data[:10]


def test_an_empty_blob_is_a_blob(store: BlobStore) -> None:
    store.put_bytes(sha(b""), b"")
    assert store.exists(sha(b"")) and store.size(sha(b"")) == 0
    assert store.read(sha(b"")) == b""
    assert store.read(sha(b""), 0, 0) == b""
    assert store.read(sha(b""), 5) == b""
    assert list(store.list()) == [sha(b"")]


def test_a_missing_blob_is_none_everywhere(store: BlobStore) -> None:
    missing = sha(b"never stored")
    assert store.size(missing) is None and not store.exists(missing)
    assert store.open(missing) is None and store.open(missing, 0, 0) is None
    assert store.read(missing, 3, 9) is None
    assert store.delete(missing) is False


def test_putting_a_blob_again_keeps_one_copy_and_refreshes_its_write_time(
    store: BlobStore, tmp_path: Path
) -> None:
    data = secrets.token_bytes(5000)
    store.put_bytes(sha(data), data)
    time.sleep(2.2)
    source = tmp_path / "again"
    source.write_bytes(data)
    store.put_file(sha(data), source)
    # two seconds old without the second put; S3 keeps whole seconds, hence the margins
    assert store.delete(sha(data), older_than=2.0) is False
    assert list(store.list()) == [sha(data)]
    assert store.read(sha(data)) == data


def test_delete_removes_a_blob_only_when_older_than_asked(store: BlobStore) -> None:
    data = secrets.token_bytes(100)
    store.put_bytes(sha(data), data)
    assert store.delete(sha(data), older_than=60) is False
    assert store.read(sha(data)) == data
    assert store.delete(sha(data)) is True
    assert not store.exists(sha(data)) and store.read(sha(data)) is None
    assert store.delete(sha(data)) is False


def test_list_names_every_blob_once(store: BlobStore) -> None:
    blobs = [secrets.token_bytes(50 + i) for i in range(5)]
    for data in blobs:
        store.put_bytes(sha(data), data)
    store.put_bytes(sha(blobs[0]), blobs[0])
    assert sorted(store.list()) == sorted(sha(d) for d in blobs)
    store.delete(sha(blobs[2]))
    assert sorted(store.list()) == sorted(sha(d) for d in blobs if d != blobs[2])


def test_names_that_are_not_sha256_digests_are_refused(store: BlobStore) -> None:
    for name in ["../../etc/passwd", sha(b"x").upper(), sha(b"x")[:63], sha(b"x") + "/", ""]:
        with pytest.raises(ValueError, match="sha256"):
            store.put_bytes(name, b"x")
        for call in (store.size, store.open, store.delete):
            with pytest.raises(ValueError, match="sha256"):
                call(name)
    assert list(store.list()) == []


def test_concurrent_puts_of_the_same_bytes_make_one_whole_blob(store: BlobStore) -> None:
    data = secrets.token_bytes(3 * SMALL_CHUNK + 5)
    other = secrets.token_bytes(1000)
    errors: list[BaseException] = []

    def put(payload: bytes) -> None:
        try:
            store.put_bytes(sha(payload), payload)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=put, args=(data if i % 4 else other,)) for i in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sorted(store.list()) == sorted([sha(data), sha(other)])
    assert store.read(sha(data)) == data and store.read(sha(other)) == other


# --- what is particular to each ---------------------------------------------------------------


def test_the_directory_store_keeps_livebase_s_layout_on_disk(tmp_path: Path) -> None:
    store = DirectoryBlobStore(tmp_path / "storage")
    data = b"bytes on disk"
    store.put_bytes(sha(data), data)
    path = tmp_path / "storage" / "blobs" / sha(data)[:2] / sha(data)
    assert path.read_bytes() == data and store.path(sha(data)) == path
    assert list((tmp_path / "storage" / "tmp").iterdir()) == []
    stray = tmp_path / "storage" / "blobs" / "zz" / "not-a-blob"
    stray.parent.mkdir()
    stray.write_bytes(b"x")
    assert list(store.list()) == [sha(data)]  # only names a blob may have


def test_an_old_blob_on_disk_goes_when_older_than_asked_leaving_nothing_behind(
    tmp_path: Path,
) -> None:
    store = DirectoryBlobStore(tmp_path / "storage")
    data = b"written long ago"
    store.put_bytes(sha(data), data)
    long_ago = time.time() - 3600
    os.utime(store.path(sha(data)), (long_ago, long_ago))
    assert store.delete(sha(data), older_than=600) is True
    assert not store.exists(sha(data))
    assert list((tmp_path / "storage" / "tmp").iterdir()) == []


def test_an_old_blob_in_postgres_goes_when_older_than_asked(postgres: PostgresPersistence) -> None:
    store = PostgresBlobStore(postgres, chunk_size=10)
    data = b"written long ago, in rows"
    store.put_bytes(sha(data), data)
    with postgres.connect() as conn:
        conn.execute("UPDATE blobs SET written = now() - interval '1 hour'")
    assert store.delete(sha(data), older_than=600) is True
    with postgres.connect() as conn:
        assert conn.execute("SELECT count(*) FROM blob_chunks").fetchone() == (0,)
    store.close()


def test_the_postgres_store_keeps_bytes_in_chunk_rows_of_the_deployment_schema(
    postgres: PostgresPersistence,
) -> None:
    store = PostgresBlobStore(postgres, chunk_size=1000)
    data = secrets.token_bytes(2500)
    store.put_bytes(sha(data), data)
    with postgres.connect() as conn:
        rows = conn.execute(
            "SELECT n, length(data) FROM blob_chunks WHERE sha256 = %s ORDER BY n", (sha(data),)
        ).fetchall()
        assert rows == [(0, 1000), (1, 1000), (2, 500)]
        # another store over the same schema reads it with the chunk size it was written with
    other = PostgresBlobStore(postgres)
    assert other.read(sha(data), 999, 2001) == data[999:2001]
    store.delete(sha(data))
    with postgres.connect() as conn:
        assert conn.execute("SELECT count(*) FROM blob_chunks").fetchone() == (0,)
    store.close()
    other.close()


def test_the_postgres_store_reconnects_when_the_server_drops_its_connections() -> None:
    schema = pgsupport.new_schema()
    name = f"livebase-test-{schema}"  # this deployment's connections, and no one else's
    persistence = PostgresPersistence(f"{pgsupport.deployment_url(schema)}&application_name={name}")
    store = PostgresBlobStore(persistence)
    try:
        data = b"survives a dropped connection"
        store.put_bytes(sha(data), data)
        with psycopg.connect(pgsupport.POSTGRES_URL, autocommit=True) as admin:
            dropped = admin.execute(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
                " WHERE application_name = %s",
                (name,),
            ).fetchone()
        assert dropped is not None and dropped[0] >= 1
        assert store.read(sha(data)) == data
    finally:
        store.close()
        persistence.close()
        pgsupport.drop_schema(schema)


def test_a_postgres_blob_deleted_while_it_is_read_ends_its_stream_with_an_error(
    postgres: PostgresPersistence,
) -> None:
    store = PostgresBlobStore(postgres, chunk_size=1000)
    data = secrets.token_bytes(5000)
    store.put_bytes(sha(data), data)
    stream = store.open(sha(data))
    assert stream is not None
    assert next(stream) == data[:1000]
    store.delete(sha(data))
    with pytest.raises(BlobNotFound):
        next(stream)
    store.close()


def test_the_s3_store_names_objects_under_its_prefix(s3: S3Server) -> None:
    bucket = s3.new_bucket()
    store = S3BlobStore.from_url(s3.url(bucket, "/one/deployment/"))
    data = b"an object"
    store.put_bytes(sha(data), data)
    assert s3.keys(bucket) == {f"one/deployment/{sha(data)[:2]}/{sha(data)}"}
    s3.client().put_object(Bucket=bucket, Key="one/deployment/notes.txt", Body=b"not a blob")
    s3.client().put_object(Bucket=bucket, Key=f"elsewhere/{sha(b'x')[:2]}/{sha(b'x')}", Body=b"x")
    assert list(store.list()) == [sha(data)]
    store.close()


def test_an_s3_bucket_that_does_not_answer_is_refused_at_once(s3: S3Server) -> None:
    with pytest.raises(BlobStoreError, match="no-such-bucket"):
        S3BlobStore("no-such-bucket", endpoint=s3.endpoint)


# --- open_blob_store: which store a storage spec names ------------------------------------------


def runtime(tmp_path: Path, **options: str) -> Runtime:
    return Runtime(APPS / "services", tmp_path / "data", **options)


def test_by_default_a_sqlite_deployment_keeps_bytes_in_its_data_directory(tmp_path: Path) -> None:
    with runtime(tmp_path) as rt:
        store = rt.storage.blob_store
        assert isinstance(store, DirectoryBlobStore)
        assert store.root == tmp_path / "data" / "storage"


def test_by_default_a_postgres_deployment_keeps_bytes_in_its_database(tmp_path: Path) -> None:
    schema = pgsupport.new_schema()
    try:
        with runtime(tmp_path, db=pgsupport.deployment_url(schema)) as rt:
            assert isinstance(rt.storage.blob_store, PostgresBlobStore)
        with runtime(tmp_path, db=pgsupport.deployment_url(schema), storage="db") as rt:
            assert isinstance(rt.storage.blob_store, PostgresBlobStore)
    finally:
        pgsupport.drop_schema(schema)


def test_a_directory_is_named_by_a_file_url_or_a_path(tmp_path: Path) -> None:
    for spec, root in [
        ((tmp_path / "a b").as_uri(), tmp_path / "a b"),
        (str(tmp_path / "plain"), tmp_path / "plain"),
    ]:
        with runtime(tmp_path, storage=spec) as rt:
            store = rt.storage.blob_store
            assert isinstance(store, DirectoryBlobStore) and store.root == root
            rt.storage.store_bytes(b"where", None)
            assert (root / "blobs" / sha(b"where")[:2] / sha(b"where")).is_file()


def test_an_s3_url_names_a_bucket_prefix_endpoint_and_region(tmp_path: Path, s3: S3Server) -> None:
    bucket = s3.new_bucket()
    with runtime(tmp_path, storage=s3.url(bucket, "deployments/a")) as rt:
        store = rt.storage.blob_store
        assert isinstance(store, S3BlobStore)
        assert (store.bucket, store.prefix) == (bucket, "deployments/a/")
        rt.storage.store_bytes(b"in the bucket", None)
    assert s3.keys(bucket) == {f"deployments/a/{sha(b'in the bucket')[:2]}/{sha(b'in the bucket')}"}


@pytest.mark.parametrize(
    "spec", ["ftp://host/files", "s3://", "s3:///prefix", "s3://b/p?secret=x", "file://host/x", ""]
)
def test_a_spec_it_cannot_use_is_refused_with_the_accepted_forms(tmp_path: Path, spec: str) -> None:
    with pytest.raises(ValueError, match=r"s3://bucket/prefix\?endpoint="):
        runtime(tmp_path, storage=spec)


@pytest.mark.parametrize("spec", ["postgres", "db"])
def test_the_database_store_needs_a_postgres_deployment(tmp_path: Path, spec: str) -> None:
    with pytest.raises(ValueError, match="not stored in PostgreSQL"):
        runtime(tmp_path, storage=spec)
