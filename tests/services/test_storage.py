"""File storage against a real ``livebase serve`` of tests/apps/services (files.py).

Functions are called with the official PyPI client (``convex.ConvexClient``); the upload and
download requests are plain HTTP (httpx, or ``http.client`` / a raw socket where a request must
reach the server exactly as written). Checks look at the data directory too: blobs live under
``storage/blobs/<2 hex>/<sha256>`` and partial uploads under ``storage/tmp``.
"""

from __future__ import annotations

import base64
import hashlib
import http.client
import json
import secrets
import shutil
import socket
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from convex import ConvexClient, ConvexError

from livebase.runtime.deployment import Deployment
from tests.e2e.conftest import RunningServer

NODE_DIR = Path(__file__).resolve().parents[1] / "e2e" / "node"
NODE = shutil.which("node")
MAX_UPLOAD = 1000


# --- helpers ------------------------------------------------------------------------------


def client(server: RunningServer) -> ConvexClient:
    return ConvexClient(server.url)


def new_upload_url(convex: ConvexClient) -> str:
    return str(convex.mutation("files:generateUploadUrl"))


def post(url: str, data: Any, content_type: str = "application/octet-stream", **headers: str):
    return httpx.post(url, content=data, headers={"Content-Type": content_type, **headers})


def upload(convex: ConvexClient, data: bytes, content_type: str = "text/plain") -> str:
    reply = post(new_upload_url(convex), data, content_type)
    assert reply.status_code == 200, reply.text
    return str(reply.json()["storageId"])


def unique_bytes(size: int = 64) -> bytes:
    return secrets.token_bytes(size)


def blobs_dir(server: RunningServer) -> Path:
    return server.data_dir / "storage" / "blobs"


def blob_path(server: RunningServer, sha256: str) -> Path:
    path = blobs_dir(server) / sha256[:2] / sha256
    assert path.resolve().is_relative_to(blobs_dir(server).resolve())
    return path


def blobs(server: RunningServer) -> set[str]:
    """The blob files on disk, as ``<2 hex>/<sha256>``."""
    root = blobs_dir(server)
    return {p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()}


def tmp_files(server: RunningServer) -> list[str]:
    return sorted(p.name for p in (server.data_dir / "storage" / "tmp").iterdir())


def assert_storage_clean(server: RunningServer, expected_blobs: set[str]) -> None:
    assert blobs(server) == expected_blobs
    assert tmp_files(server) == []


def key(data: bytes) -> str:
    sha = hashlib.sha256(data).hexdigest()
    return f"{sha[:2]}/{sha}"


def digest_header(data: bytes) -> str:
    return "sha-256=" + base64.b64encode(hashlib.sha256(data).digest()).decode()


def forge_token(server: RunningServer, expires_ms: int, deployment: Deployment | None = None):
    """An upload token in StorageService.generate_upload_url's format, signed for real."""
    payload = json.dumps(
        {"n": secrets.token_urlsafe(12), "e": expires_ms}, separators=(",", ":")
    ).encode()
    signer = deployment or Deployment(server.data_dir)
    body = base64.urlsafe_b64encode(payload).decode().rstrip("=")
    return f"{body}.{signer.sign(payload)}"


def raw_get(server: RunningServer, path: str) -> tuple[int, bytes]:
    """GET ``path`` exactly as written (no client-side normalisation of ``..``)."""
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=5)
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def wait_for(predicate: Callable[[], bool], timeout: float = 3.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.02)
    return predicate()


def no_tracebacks(server: RunningServer) -> None:
    log = server.log.read_text(errors="replace")
    assert "Traceback" not in log, log


@pytest.fixture
def limited_server(storage_start: Callable[..., RunningServer]) -> Iterator[RunningServer]:
    yield storage_start("--max-upload", str(MAX_UPLOAD))


# --- the upload flow -----------------------------------------------------------------------


def test_an_uploaded_file_is_served_back_byte_for_byte_with_its_type_and_metadata(
    storage_server: RunningServer,
) -> None:
    convex = client(storage_server)
    url = new_upload_url(convex)
    assert url.startswith(f"{storage_server.url}/api/storage/upload?token=")

    data = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) + unique_bytes()
    reply = post(url, data, "image/png")
    assert reply.status_code == 200, reply.text
    assert list(reply.json()) == ["storageId"]
    storage_id = reply.json()["storageId"]

    convex.mutation("files:saveFile", {"storageId": storage_id, "name": "logo.png"})
    [listed] = convex.query("files:listFiles")
    sha = hashlib.sha256(data).hexdigest()
    assert listed["storageId"] == storage_id
    assert listed["url"] == f"{storage_server.url}/api/storage/{storage_id}"
    assert listed["sha256"] == sha
    assert listed["size"] == len(data)
    assert listed["contentType"] == "image/png"

    served = httpx.get(listed["url"])
    assert served.status_code == 200
    assert served.content == data
    assert served.headers["content-type"] == "image/png"

    assert blob_path(storage_server, sha).read_bytes() == data
    assert_storage_clean(storage_server, {key(data)})
    no_tracebacks(storage_server)


def test_identical_bytes_share_one_blob_that_goes_only_with_the_last_file(
    storage_server: RunningServer,
) -> None:
    convex = client(storage_server)
    data = unique_bytes(300)
    first = upload(convex, data, "application/octet-stream")
    second = upload(convex, data, "text/plain")
    assert first != second
    assert_storage_clean(storage_server, {key(data)})
    for storage_id, name in ((first, "a"), (second, "b")):
        convex.mutation("files:saveFile", {"storageId": storage_id, "name": name})
    types = {f["storageId"]: f["contentType"] for f in convex.query("files:listFiles")}
    assert types == {first: "application/octet-stream", second: "text/plain"}

    convex.mutation("files:deleteFile", {"storageId": first})
    assert_storage_clean(storage_server, {key(data)})
    assert httpx.get(f"{storage_server.url}/api/storage/{first}").status_code == 404
    assert httpx.get(f"{storage_server.url}/api/storage/{second}").content == data

    convex.mutation("files:deleteFile", {"storageId": second})
    assert_storage_clean(storage_server, set())
    assert httpx.get(f"{storage_server.url}/api/storage/{second}").status_code == 404


def test_an_upload_url_takes_more_uploads_each_a_new_file_as_convex_s(
    storage_server: RunningServer,
) -> None:
    convex = client(storage_server)
    url = new_upload_url(convex)
    data, other = unique_bytes(), unique_bytes()
    first = post(url, data)
    again = post(url, other)
    same = post(url, data)
    for reply in (first, again, same):
        assert reply.status_code == 200, reply.text
    ids = [reply.json()["storageId"] for reply in (first, again, same)]
    assert len(set(ids)) == 3
    assert_storage_clean(storage_server, {key(data), key(other)})
    no_tracebacks(storage_server)


INVALID_TOKEN = {
    "code": "StorageTokenInvalid",
    "message": "Couldn't decode the StoreFileAuthorization token",
}


def test_expired_forged_tampered_and_missing_tokens_are_refused_as_convex_refuses_them(
    storage_server: RunningServer,
) -> None:
    convex = client(storage_server)
    upload_base = f"{storage_server.url}/api/storage/upload"
    now_ms = int(time.time() * 1000)

    # The forging is right: a token with a future expiry signed with the real secret works.
    good = post(f"{upload_base}?token={forge_token(storage_server, now_ms + 60_000)}", b"ok")
    assert good.status_code == 200, good.text
    kept = {key(b"ok")}

    expired = post(f"{upload_base}?token={forge_token(storage_server, now_ms - 1000)}", b"x")
    assert expired.status_code == 401, expired.text
    assert expired.json() == {
        "code": "StorageTokenExpired",
        "message": "Store File Authorization expired",
    }

    token = new_upload_url(convex).split("token=", 1)[1]
    body, signature = token.split(".")
    tampered_body = ("f" if body[0] != "f" else "g") + body[1:]
    tampered_signature = signature[:5] + ("x" if signature[5] != "x" else "y") + signature[6:]
    other_deployment = Deployment(storage_server.data_dir.parent / "other-deployment")
    refused = {
        "tampered payload": {"token": f"{tampered_body}.{signature}"},
        "tampered signature": {"token": f"{body}.{tampered_signature}"},
        "signature dropped": {"token": f"{body}."},
        "no separator": {"token": body},
        "non-ASCII signature": {"token": f"{body}.{signature[:-1]}é"},
        "junk": {"token": "a.b"},
        "empty token": {"token": ""},
        "signed by another deployment": {
            "token": forge_token(storage_server, now_ms + 60_000, other_deployment)
        },
    }
    for case, params in refused.items():
        reply = httpx.post(upload_base, params=params, content=b"refused bytes")
        assert reply.status_code == 401, f"{case}: {reply.status_code} {reply.text}"
        assert reply.json() == INVALID_TOKEN, case
    missing = httpx.post(upload_base, content=b"refused bytes")
    assert (missing.status_code, missing.json()["code"]) == (400, "BadQueryArgs")

    # The genuine token was untouched by all that: it still works.
    assert post(f"{upload_base}?token={token}", b"genuine").status_code == 200
    assert_storage_clean(storage_server, kept | {key(b"genuine")})
    no_tracebacks(storage_server)


# --- limits, truncation, digests ------------------------------------------------------------


def test_an_upload_over_the_limit_is_refused_with_413_whether_announced_or_streamed(
    limited_server: RunningServer,
) -> None:
    convex = client(limited_server)
    url = new_upload_url(convex)

    announced = post(url, b"a" * (MAX_UPLOAD + 1))
    assert announced.status_code == 413, announced.text
    assert_storage_clean(limited_server, set())

    def chunks() -> Iterator[bytes]:
        for _ in range(6):
            yield b"b" * 500

    streamed = httpx.post(url, content=chunks(), headers={"Content-Type": "text/plain"})
    assert streamed.request.headers.get("transfer-encoding") == "chunked"
    assert "content-length" not in streamed.request.headers
    assert streamed.status_code == 413, streamed.text
    assert_storage_clean(limited_server, set())

    # Exactly the limit is fine, and the refusals did not use up the URL.
    at_limit = post(url, b"c" * MAX_UPLOAD)
    assert at_limit.status_code == 200, at_limit.text
    assert_storage_clean(limited_server, {key(b"c" * MAX_UPLOAD)})
    no_tracebacks(limited_server)


def test_a_truncated_upload_leaves_nothing_behind_and_the_next_upload_works(
    storage_server: RunningServer,
) -> None:
    convex = client(storage_server)
    url = httpx.URL(new_upload_url(convex))
    target = f"{url.raw_path.decode()}"
    head = (
        f"POST {target} HTTP/1.1\r\nHost: 127.0.0.1:{storage_server.port}\r\n"
        "Content-Type: text/plain\r\nContent-Length: 1000\r\n\r\n"
    )
    with socket.create_connection(("127.0.0.1", storage_server.port), timeout=5) as sock:
        sock.sendall(head.encode() + b"0123456789")
        # The server is receiving: its temporary file exists while it waits for the rest.
        assert wait_for(lambda: len(tmp_files(storage_server)) == 1), "no upload in progress"
    assert wait_for(lambda: tmp_files(storage_server) == []), tmp_files(storage_server)
    time.sleep(0.1)
    assert_storage_clean(storage_server, set())

    data = unique_bytes()
    reply = post(str(url), data)  # the URL was not used up by the broken upload
    assert reply.status_code == 200, reply.text
    served = httpx.get(f"{storage_server.url}/api/storage/{reply.json()['storageId']}")
    assert served.content == data
    assert_storage_clean(storage_server, {key(data)})
    no_tracebacks(storage_server)


def test_a_wrong_digest_is_refused_with_400_and_the_right_one_accepted(
    storage_server: RunningServer,
) -> None:
    convex = client(storage_server)
    url = new_upload_url(convex)
    data = unique_bytes()

    wrong = post(url, data, Digest=digest_header(b"something else"))
    assert wrong.status_code == 400, wrong.text
    assert wrong.json()["code"] == "Sha256Mismatch"
    other_algorithm = "md5=" + base64.b64encode(hashlib.md5(data).digest()).decode()
    for malformed in (other_algorithm, "sha-256=not base64!"):
        refused = post(url, data, Digest=malformed)
        assert (refused.status_code, refused.json()["code"]) == (400, "BadHeader")
    assert_storage_clean(storage_server, set())

    right = post(url, data, Digest=digest_header(data))
    assert right.status_code == 200, right.text
    assert httpx.get(f"{storage_server.url}/api/storage/{right.json()['storageId']}").content == (
        data
    )
    assert_storage_clean(storage_server, {key(data)})


# --- ranges ------------------------------------------------------------------------------------


def test_a_range_request_is_answered_with_206_and_exactly_those_bytes(
    storage_server: RunningServer,
) -> None:
    data = unique_bytes(1000)
    url = f"{storage_server.url}/api/storage/{upload(client(storage_server), data, 'video/mp4')}"
    for header, (start, end) in {
        "bytes=0-9": (0, 10),
        "bytes=990-": (990, 1000),
        "bytes=-25": (975, 1000),
        "bytes=500-999": (500, 1000),
        "bytes=-5000": (0, 1000),
        "bytes=3-3": (3, 4),
    }.items():
        reply = httpx.get(url, headers={"Range": header})
        assert reply.status_code == 206, header
        assert reply.content == data[start:end], header
        assert reply.headers["content-range"] == f"bytes {start}-{end - 1}/1000", header
        assert reply.headers["content-length"] == str(end - start), header
        assert reply.headers["content-type"] == "video/mp4", header
    head = httpx.head(url, headers={"Range": "bytes=10-19"})
    assert head.status_code == 206 and head.content == b""
    assert head.headers["content-length"] == "10"
    assert httpx.get(url).headers["accept-ranges"] == "bytes"
    no_tracebacks(storage_server)


def test_ranges_it_does_not_serve_get_the_whole_file_or_416(
    storage_server: RunningServer,
) -> None:
    data = unique_bytes(100)
    storage_id = upload(client(storage_server), data)
    url = f"{storage_server.url}/api/storage/{storage_id}"
    for header in ["items=0-9", "Bytes = 3 - 3", "0-9"]:  # not `bytes=`: ignored
        whole = httpx.get(url, headers={"Range": header})
        assert (whole.status_code, whole.content) == (200, data), header
    for header in ["bytes=0-1,5-6", "bytes=x-y", "bytes=-0"]:
        refused = httpx.get(url, headers={"Range": header})
        assert (refused.status_code, refused.content) == (416, b""), header
    for header in ["bytes=100-", "bytes=500-600", "bytes=9-2"]:  # as Convex: no bytes, 206
        empty = httpx.get(url, headers={"Range": header})
        assert (empty.status_code, empty.content) == (206, b""), header

    etag = httpx.get(url).headers["etag"]
    kept = httpx.get(url, headers={"Range": "bytes=0-4", "If-Range": etag})
    assert (kept.status_code, kept.content) == (206, data[:5])
    changed = httpx.get(url, headers={"Range": "bytes=0-4", "If-Range": '"another"'})
    assert (changed.status_code, changed.content) == (200, data)
    empty = upload(client(storage_server), b"")
    assert httpx.get(f"{storage_server.url}/api/storage/{empty}").content == b""
    empty_range = httpx.get(
        f"{storage_server.url}/api/storage/{empty}", headers={"Range": "bytes=0-"}
    )
    assert (empty_range.status_code, empty_range.content) == (200, b"")
    no_tracebacks(storage_server)


# --- nothing outside the storage directory ---------------------------------------------------


def test_no_request_reads_or_writes_outside_the_storage_directory(
    storage_server: RunningServer,
) -> None:
    convex = client(storage_server)
    data = b"secret-ish file contents " + unique_bytes(16)
    storage_id = upload(convex, data)
    file_id = convex.mutation("files:saveFile", {"storageId": storage_id, "name": "f"})
    sha = hashlib.sha256(data).hexdigest()
    deleted = upload(convex, b"deleted " + unique_bytes(16))
    convex.mutation("files:deleteFile", {"storageId": deleted})
    altered = storage_id[:4] + ("a" if storage_id[4] != "a" else "b") + storage_id[5:]
    secret = (storage_server.data_dir / "secret.key").read_bytes()

    routed_nowhere = [  # more than one segment once decoded: no route (Starlette's 404)
        "/api/storage/../../etc/passwd",
        "/api/storage/..%2f..%2f..%2fetc%2fpasswd",
        "/api/storage/%2e%2e%2f%2e%2e%2f%2e%2e%2fetc%2fpasswd",
        "/api/storage/%2e%2e%2fsecret.key",
        "/api/storage/%2Fetc%2Fpasswd",
        f"/api/storage/blobs%2f{sha[:2]}%2f{sha}",
    ]
    not_ids = [  # Convex's 400 InvalidStoragePath
        "/api/storage/%252e%252e%252f%252e%252e%252fetc%252fpasswd",
        "/api/storage/..%5c..%5csecret.key",
        "/api/storage/..",
        "/api/storage/%2e%2e",
        "/api/storage/secret.key",
        f"/api/storage/{sha}",
        f"/api/storage/{altered}",  # a storage ID with one character changed
        "/api/storage/abc",
        "/api/storage/%00",
        "/api/storage/upload",
    ]
    no_files = [  # IDs, of no stored file: 404 FileNotFound
        f"/api/storage/{file_id}",  # an ID of the files table
        f"/api/storage/{deleted}",  # a storage ID whose file is gone
    ]
    for paths, expected in ((routed_nowhere, 404), (not_ids, 400), (no_files, 404)):
        for path in paths:
            status, body = raw_get(storage_server, path)
            assert status == expected, f"{path}: {status}"
            assert b"root:" not in body and secret not in body and data not in body, path
    assert raw_get(storage_server, f"/api/storage/{storage_id}") == (200, data)

    for bad in ("../../x", "/etc/passwd", file_id, altered):
        with pytest.raises(Exception, match="ID"):
            convex.query("files:urlOf", {"id": bad})
    assert convex.query("files:urlOf", {"id": deleted}) is None
    assert convex.query("files:urlOf", {"id": storage_id}).endswith(f"/api/storage/{storage_id}")

    # Where an upload lands comes from its bytes' hash alone, whatever the request says.
    evil = unique_bytes()
    url = new_upload_url(convex)
    reply = httpx.post(
        url + "&path=../../escaped&name=..%2F..%2Fescaped",
        content=evil,
        headers={
            "Content-Type": "../../escaped",
            "Content-Disposition": 'attachment; filename="../../escaped"',
        },
    )
    assert reply.status_code == 200, reply.text
    root = storage_server.data_dir.parent
    assert not [p for p in root.rglob("*escaped*")]
    assert_storage_clean(storage_server, {key(data), key(evil)})
    for name in blobs(storage_server):
        prefix, digest = name.split("/")
        assert prefix == digest[:2] and len(digest) == 64
        assert blob_path(storage_server, digest).is_file()
    no_tracebacks(storage_server)


# --- deleting, actions, restarts ------------------------------------------------------------


def test_a_delete_is_rolled_back_with_a_failing_mutation_and_final_once_it_commits(
    storage_server: RunningServer,
) -> None:
    convex = client(storage_server)
    data = unique_bytes(200)
    storage_id = upload(convex, data, "application/x-thing")
    convex.mutation("files:saveFile", {"storageId": storage_id, "name": "keep"})
    url = f"{storage_server.url}/api/storage/{storage_id}"

    with pytest.raises(ConvexError):
        convex.mutation("files:deleteFile", {"storageId": storage_id, "fail": True})
    assert httpx.get(url).content == data
    assert [f["storageId"] for f in convex.query("files:listFiles")] == [storage_id]
    assert_storage_clean(storage_server, {key(data)})

    convex.mutation("files:deleteFile", {"storageId": storage_id})
    assert httpx.get(url).status_code == 404
    assert convex.query("files:listFiles") == []
    assert convex.query("files:urlOf", {"id": storage_id}) is None
    assert_storage_clean(storage_server, set())


def test_an_action_stores_bytes_and_reads_them_back(storage_server: RunningServer) -> None:
    convex = client(storage_server)
    text = "héllo ✓ from an action"
    result = convex.action("files:storeText", {"text": text})
    assert result["roundTrip"] == text
    url = convex.query("files:urlOf", {"id": result["storageId"]})
    served = httpx.get(url)
    assert served.content == text.encode()
    assert served.headers["content-type"].startswith("text/plain")
    assert_storage_clean(storage_server, {key(text.encode())})


def test_files_survive_a_restart_and_leftovers_of_a_crash_are_swept_at_start(
    storage_start: Callable[..., RunningServer], tmp_path: Path
) -> None:
    first = storage_start()
    convex = client(first)
    data = unique_bytes(500)
    storage_id = upload(convex, data, "image/gif")
    convex.mutation("files:saveFile", {"storageId": storage_id, "name": "kept.gif"})
    first.stop()

    storage = first.data_dir / "storage"
    leftover = storage / "tmp" / "tmpcrashed"
    leftover.write_bytes(b"half an upload")
    orphan = unique_bytes()
    orphan_path = storage / "blobs" / key(orphan)
    orphan_path.parent.mkdir(exist_ok=True)
    orphan_path.write_bytes(orphan)

    second = storage_start(data_dir=first.data_dir)
    assert not leftover.exists()
    assert not orphan_path.exists()
    assert_storage_clean(second, {key(data)})
    [listed] = client(second).query("files:listFiles")
    assert listed["url"] == f"{second.url}/api/storage/{storage_id}"
    served = httpx.get(listed["url"])
    assert served.content == data
    assert served.headers["content-type"] == "image/gif"


# --- the npm client ---------------------------------------------------------------------------


@pytest.mark.skipif(NODE is None, reason="node is not on PATH")
@pytest.mark.skipif(
    not (NODE_DIR / "node_modules" / "convex").is_dir(),
    reason="tests/e2e/node/node_modules is missing: run `npm ci` in tests/e2e/node",
)
def test_the_npm_client_uploads_saves_lists_and_downloads_a_file(
    storage_server: RunningServer,
) -> None:
    assert NODE is not None
    proc = subprocess.run(
        [NODE, "storage.mjs", storage_server.url, "upload"],
        cwd=NODE_DIR,
        capture_output=True,
        text=True,
        timeout=60,
    )
    context = f"exit {proc.returncode}\nstdout:\n{proc.stdout}\nstderr:\n{proc.stderr}"
    lines = proc.stdout.strip().splitlines()
    assert lines, context
    report = json.loads(lines[-1])
    assert report["steps"] == {"upload": "ok"}, context
    assert proc.returncode == 0, context
    obs = report["observations"]["upload"]
    assert obs["status"] == 200
    assert obs["contentType"] == "image/png"
    sent = bytes(obs["sent"])
    assert obs["received"] == obs["sent"]

    [listed] = client(storage_server).query("files:listFiles")
    assert listed["storageId"] == obs["storageId"]
    assert listed["sha256"] == hashlib.sha256(sent).hexdigest()
    assert listed["size"] == len(sent)
    assert_storage_clean(storage_server, {key(sent)})
