"""Files across the processes of one deployment: bytes put through one process are read
through another with a data directory of its own, whichever blob store holds them.

- PostgreSQL's (the default for a PostgreSQL deployment): two ``livebase serve --db``
  processes of tests/apps/services, used as a client would (the PyPI client and HTTP).
- S3 (moto's server): two Runtimes over one PostgreSQL schema with ``storage="s3://..."``,
  through the storage service's Python API as the HTTP routes use it; and one SQLite
  Runtime, where collection is exact.
"""

from __future__ import annotations

import asyncio
import hashlib
import secrets
import threading
import time
import urllib.parse
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import psycopg
import pytest
from convex import ConvexClient
from psycopg import sql

from livebase import Runtime
from livebase.services.blobs import CHUNK
from livebase.services.storage import ActionStorage, StorageService
from tests import pgsupport
from tests.e2e.conftest import RunningServer, start_server
from tests.s3support import S3Server
from tests.services.conftest import STORAGE_APP


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def no_local_bytes(data_dir: Path) -> bool:
    """Nothing under the data directory's blob directory or upload spool."""
    storage = data_dir / "storage"
    return not any(p.is_file() for d in ("blobs", "tmp") for p in (storage / d).rglob("*"))


# --- two served processes, bytes in PostgreSQL ------------------------------------------------


@pytest.fixture
def two_processes(tmp_path: Path) -> Iterator[tuple[RunningServer, RunningServer, str]]:
    """tests/apps/services served by two processes over one fresh PostgreSQL schema, each
    with a data directory of its own; and the schema."""
    schema = pgsupport.new_schema()
    url = pgsupport.deployment_url(schema)
    servers: list[RunningServer] = []
    try:
        for name in ("a", "b"):
            servers.append(start_server(STORAGE_APP, tmp_path / name / "data", flags=("--db", url)))
        yield servers[0], servers[1], schema
    finally:
        for server in servers:
            server.stop()
        pgsupport.drop_schema(schema)


def stored_size(schema: str, digest: str) -> int | None:
    """The size the deployment's ``blobs`` table records for ``digest``, or None."""
    with psycopg.connect(pgsupport.POSTGRES_URL) as conn:
        query = sql.SQL("SELECT size FROM {}.blobs WHERE sha256 = %s").format(
            sql.Identifier(schema)
        )
        row = conn.execute(query, (digest,)).fetchone()
    return None if row is None else int(row[0])


def test_a_file_uploaded_through_one_process_downloads_through_another(two_processes) -> None:
    a, b, schema = two_processes
    data = secrets.token_bytes(2 * CHUNK + 1000)  # three chunk rows
    upload_url = ConvexClient(a.url).mutation("files:generateUploadUrl")
    assert upload_url.startswith(f"{a.url}/api/storage/upload?token=")
    reply = httpx.post(upload_url, content=data, headers={"Content-Type": "image/png"})
    assert reply.status_code == 200, reply.text
    storage_id = reply.json()["storageId"]
    ConvexClient(a.url).mutation("files:saveFile", {"storageId": storage_id, "name": "p.png"})

    [listed] = ConvexClient(b.url).query("files:listFiles")
    assert listed["url"] == f"{b.url}/api/storage/{storage_id}"
    served = httpx.get(listed["url"])
    assert served.status_code == 200
    assert served.content == data
    assert served.headers["content-type"] == "image/png"
    assert served.headers["etag"] == f'"{sha(data)}"'

    across = httpx.get(listed["url"], headers={"Range": f"bytes={CHUNK - 5}-{CHUNK + 4}"})
    assert across.status_code == 206
    assert across.content == data[CHUNK - 5 : CHUNK + 5]
    assert across.headers["content-range"] == f"bytes {CHUNK - 5}-{CHUNK + 4}/{len(data)}"
    head = httpx.head(listed["url"])
    assert head.status_code == 200 and head.headers["content-length"] == str(len(data))

    assert stored_size(schema, sha(data)) == len(data)
    assert no_local_bytes(a.data_dir) and no_local_bytes(b.data_dir)


def test_an_action_on_one_process_stores_bytes_that_another_serves(two_processes) -> None:
    a, b, _ = two_processes
    result = ConvexClient(b.url).action("files:storeText", {"text": "stored through b ✓"})
    assert result["roundTrip"] == "stored through b ✓"
    url = ConvexClient(a.url).query("files:urlOf", {"id": result["storageId"]})
    assert url.startswith(a.url)
    assert httpx.get(url).content == "stored through b ✓".encode()


def test_a_file_deleted_through_one_process_is_gone_through_every_process(
    two_processes,
) -> None:
    a, b, schema = two_processes
    data = secrets.token_bytes(1000)
    reply = httpx.post(ConvexClient(a.url).mutation("files:generateUploadUrl"), content=data)
    storage_id = reply.json()["storageId"]
    assert httpx.get(f"{b.url}/api/storage/{storage_id}").content == data

    ConvexClient(b.url).mutation("files:deleteFile", {"storageId": storage_id})
    for server in (a, b):
        assert httpx.get(f"{server.url}/api/storage/{storage_id}").status_code == 404
    # the bytes were put moments ago: another process could be about to record them too,
    # so they stay for the grace period and go in a later pass
    assert stored_size(schema, sha(data)) == len(data)


# --- two runtimes over one PostgreSQL deployment, bytes in S3 ---------------------------------


@pytest.fixture
def postgres_url() -> Iterator[str]:
    schema = pgsupport.new_schema()
    try:
        yield pgsupport.deployment_url(schema)
    finally:
        pgsupport.drop_schema(schema)


def upload(storage: StorageService, data: bytes, content_type: str) -> str:
    """What ``POST /api/storage/upload`` does with a request carrying ``data``."""
    url = storage.generate_upload_url()
    token = urllib.parse.parse_qs(urllib.parse.urlsplit(url).query)["token"][0]
    nonce = storage.check_token(token)

    async def body() -> AsyncIterator[bytes]:
        for i in range(0, len(data), 64 * 1024):
            yield data[i : i + 64 * 1024]

    tmp, stored = asyncio.run(storage.receive(body(), len(data), None))
    stored.content_type = content_type
    return storage.commit_upload(tmp, stored, nonce)


def test_two_runtimes_of_a_postgres_deployment_share_files_in_s3(
    tmp_path: Path, s3: S3Server, postgres_url: str
) -> None:
    bucket = s3.new_bucket()
    options = {"db": postgres_url, "storage": s3.url(bucket, "files")}
    with (
        Runtime(STORAGE_APP, tmp_path / "a", origin="http://a.example", **options) as a,
        Runtime(STORAGE_APP, tmp_path / "b", origin="http://b.example", **options) as b,
    ):
        data = secrets.token_bytes(CHUNK + CHUNK // 2)
        storage_id = upload(a.storage, data, "video/mp4")
        assert s3.keys(bucket) == {f"files/{sha(data)[:2]}/{sha(data)}"}

        found = b.storage.read(storage_id)
        assert found is not None
        meta, blob = found
        assert (meta["size"], meta["contentType"]) == (len(data), "video/mp4")
        assert blob.read_bytes() == data
        stream = blob.open(CHUNK - 3, CHUNK + 3)
        assert stream is not None and b"".join(stream) == data[CHUNK - 3 : CHUNK + 3]
        assert asyncio.run(ActionStorage(b.storage).get(storage_id)) == data
        assert b.run_query("files:urlOf", {"id": storage_id}).value == (
            f"http://b.example/api/storage/{storage_id}"
        )

        stored = b.call("files:storeText", {"text": "through b"})
        assert asyncio.run(ActionStorage(a.storage).get(stored["storageId"])) == b"through b"
        assert no_local_bytes(tmp_path / "a") and no_local_bytes(tmp_path / "b")


def test_a_deleted_file_s_bytes_in_s3_go_once_their_grace_period_has_passed(
    tmp_path: Path, s3: S3Server, postgres_url: str
) -> None:
    bucket = s3.new_bucket()
    with Runtime(STORAGE_APP, tmp_path, db=postgres_url, storage=s3.url(bucket)) as rt:
        rt.storage.grace = 3.0  # the deployment's is minutes
        data = secrets.token_bytes(500)
        storage_id = rt.storage.store_bytes(data, None)
        rt.run_mutation("files:deleteFile", {"storageId": storage_id})
        assert rt.storage.read(storage_id) is None
        assert s3.keys(bucket) == {f"{sha(data)[:2]}/{sha(data)}"}  # too new to go yet
        assert rt.storage.collect_due() == 0
        time.sleep(3.5)
        assert rt.storage.collect_due() == 1
        assert s3.keys(bucket) == set()


# --- one SQLite runtime, bytes in S3 ----------------------------------------------------------


def test_with_one_process_a_blob_in_s3_goes_with_the_last_file_holding_it(
    tmp_path: Path, s3: S3Server
) -> None:
    bucket = s3.new_bucket()
    with Runtime(STORAGE_APP, tmp_path, storage=s3.url(bucket, "p")) as rt:
        data = secrets.token_bytes(700)
        first = rt.storage.store_bytes(data, "text/plain")
        second = rt.storage.store_bytes(data, None)
        key = f"p/{sha(data)[:2]}/{sha(data)}"
        rt.run_mutation("files:deleteFile", {"storageId": first})
        assert s3.keys(bucket) == {key}
        rt.run_mutation("files:deleteFile", {"storageId": second})
        assert s3.keys(bucket) == set()


def test_a_sweep_removes_objects_no_file_refers_to_and_keeps_the_rest(
    tmp_path: Path, s3: S3Server
) -> None:
    bucket = s3.new_bucket()
    with Runtime(STORAGE_APP, tmp_path, storage=s3.url(bucket, "p")) as rt:
        kept = b"a file's bytes"
        storage_id = rt.storage.store_bytes(kept, None)
        orphan = b"left by a crash between put and record"
        s3.client().put_object(Bucket=bucket, Key=f"p/{sha(orphan)[:2]}/{sha(orphan)}", Body=orphan)
        assert rt.storage.sweep() == 1
        assert s3.keys(bucket) == {f"p/{sha(kept)[:2]}/{sha(kept)}"}
        assert rt.storage.blob(rt.storage.find(storage_id) or {}).read_bytes() == kept


def test_files_with_the_same_bytes_stored_and_deleted_at_once_never_lose_their_bytes(
    tmp_path: Path, s3: S3Server
) -> None:
    """Uploads of some bytes race deletions of other files with the same bytes: every file
    keeps its bytes while it exists, and no bytes outlive the last file holding them."""
    bucket = s3.new_bucket()
    data = secrets.token_bytes(2000)
    with Runtime(STORAGE_APP, tmp_path, storage=s3.url(bucket)) as rt:
        lost: list[str] = []
        errors: list[BaseException] = []

        def churn() -> None:
            try:
                for _ in range(25):
                    storage_id = rt.storage.store_bytes(data, None)
                    if rt.storage.blob_store.read(sha(data)) != data:
                        lost.append(storage_id)
                    rt.run_mutation("files:deleteFile", {"storageId": storage_id})
            except BaseException as exc:
                errors.append(exc)

        threads = [threading.Thread(target=churn) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert errors == [] and lost == []
        assert s3.keys(bucket) == set()


def test_two_served_processes_keep_file_bytes_in_s3(
    tmp_path: Path, s3: S3Server, postgres_url: str
) -> None:
    """``livebase serve --db ... --storage s3://...``: uploaded through A, served by B, the
    bytes only in the bucket."""
    bucket = s3.new_bucket()
    flags = ("--db", postgres_url, "--storage", s3.url(bucket, "files/"))
    a = start_server(STORAGE_APP, tmp_path / "a" / "data", flags=flags)
    b = start_server(STORAGE_APP, tmp_path / "b" / "data", flags=flags)
    try:
        data = secrets.token_bytes(300_000)
        upload_url = ConvexClient(a.url).mutation("files:generateUploadUrl")
        reply = httpx.post(upload_url, content=data, headers={"Content-Type": "image/png"})
        assert reply.status_code == 200, reply.text
        storage_id = reply.json()["storageId"]
        ConvexClient(a.url).mutation("files:saveFile", {"storageId": storage_id, "name": "s.png"})
        [listed] = ConvexClient(b.url).query("files:listFiles")
        served = httpx.get(listed["url"])
        assert served.status_code == 200 and served.content == data
        assert s3.keys(bucket) == {f"files/{sha(data)[:2]}/{sha(data)}"}
        assert no_local_bytes(a.data_dir) and no_local_bytes(b.data_dir)
    finally:
        a.stop()
        b.stop()
