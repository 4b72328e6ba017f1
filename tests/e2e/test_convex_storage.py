"""File storage behaves as Convex's (its ``crates/local_backend/src/storage.rs`` and friends).

Against a real ``livebase serve`` of a small app written for these tests (``APP``): functions
are called with the official PyPI client (``convex.ConvexClient``), uploads and downloads are
plain HTTP (httpx). Each test is named after the Convex behaviour it holds.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import secrets
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from convex import ConvexClient

from livebase.runtime.deployment import Deployment
from tests.e2e.conftest import RunningServer, start_server

APP = {
    "__init__.py": "",
    "files.py": """
from livebase import action, mutation, query, v


@mutation
async def generate_upload_url(ctx):
    return await ctx.storage.generate_upload_url()


@mutation(args={"id": v.id("_storage")})
async def delete(ctx, id):
    await ctx.storage.delete(id)


@mutation(args={"id": v.string()})
async def delete_unchecked(ctx, id):
    await ctx.storage.delete(id)


@query(args={"id": v.id("_storage")})
async def metadata(ctx, id):
    return await ctx.storage.get_metadata(id)


@action(args={"id": v.id("_storage")})
async def metadata_in_action(ctx, id):
    return await ctx.storage.get_metadata(id)


@query(args={"id": v.id("_storage")})
async def url(ctx, id):
    return await ctx.storage.get_url(id)


@query(args={"id": v.id("_storage")})
async def system_get(ctx, id):
    return await ctx.db.system.get(id)


@query(args={"sha256": v.string()})
async def system_by_sha256(ctx, sha256):
    return await ctx.db.system.query("_storage").filter(
        lambda q: q.eq(q.field("sha256"), sha256)
    ).collect()


@action(
    args={
        "text": v.string(),
        "contentType": v.optional(v.string()),
        "sha256": v.optional(v.string()),
    }
)
async def store(ctx, text, contentType=None, sha256=None):
    return await ctx.storage.store(text.encode(), content_type=contentType, sha256=sha256)


@action(args={"text": v.string(), "sha256": v.string()})
async def store_caught(ctx, text, sha256):
    try:
        await ctx.storage.store(text.encode(), sha256=sha256)
    except Exception as exc:
        return {"caught": str(exc)}
    return {"caught": None}
""",
}


# --- helpers ------------------------------------------------------------------------------


def write_app(root: Path) -> Path:
    app = root / "storageapp"
    app.mkdir(parents=True, exist_ok=True)
    for name, text in APP.items():
        (app / name).write_text(text)
    return app


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    """One server of ``APP`` for the module's tests (each uses bytes of its own)."""
    root = tmp_path_factory.mktemp("convex-storage")
    server = start_server(write_app(root), root / "data")
    try:
        yield server
    finally:
        server.stop()


def convex(server: RunningServer) -> ConvexClient:
    return ConvexClient(server.url)


def upload_url(server: RunningServer) -> str:
    return str(convex(server).mutation("files:generateUploadUrl"))


def upload(server: RunningServer, data: bytes, content_type: str | None = "text/plain") -> str:
    headers = {} if content_type is None else {"Content-Type": content_type}
    reply = httpx.post(upload_url(server), content=data, headers=headers)
    assert reply.status_code == 200, reply.text
    return str(reply.json()["storageId"])


def file_url(server: RunningServer, storage_id: str) -> str:
    return f"{server.url}/api/storage/{storage_id}"


def b64_sha256(data: bytes) -> str:
    return base64.b64encode(hashlib.sha256(data).digest()).decode()


def blob_exists(server: RunningServer, data: bytes) -> bool:
    sha = hashlib.sha256(data).hexdigest()
    return (server.data_dir / "storage" / "blobs" / sha[:2] / sha).exists()


def refusal(reply: httpx.Response) -> tuple[int, dict[str, Any]]:
    return reply.status_code, reply.json()


def token_expiring(server: RunningServer, expires_ms: int, deployment: Deployment | None = None):
    """An upload token as livebase makes them, signed with the deployment's secret."""
    payload = json.dumps({"n": secrets.token_urlsafe(12), "e": expires_ms}).encode()
    body = base64.urlsafe_b64encode(payload).decode().rstrip("=")
    return f"{body}.{(deployment or Deployment(server.data_dir)).sign(payload)}"


# --- serving ------------------------------------------------------------------------------


def test_a_file_is_served_with_its_stored_content_type(served: RunningServer) -> None:
    for content_type in ("text/plain", "image/png", "text/html; charset=iso-8859-1"):
        data = secrets.token_bytes(40)
        reply = httpx.get(file_url(served, upload(served, data, content_type)))
        assert reply.status_code == 200
        assert reply.headers["content-type"] == content_type
        assert reply.content == data


def test_a_file_stored_without_a_content_type_is_served_without_one(
    served: RunningServer,
) -> None:
    data = secrets.token_bytes(40)
    storage_id = upload(served, data, content_type=None)
    reply = httpx.get(file_url(served, storage_id))
    assert reply.status_code == 200 and reply.content == data
    assert "content-type" not in reply.headers
    assert convex(served).query("files:metadata", {"id": storage_id})["contentType"] is None


def test_a_whole_file_carries_its_length_digest_cache_control_and_accept_ranges(
    served: RunningServer,
) -> None:
    data = secrets.token_bytes(1000)
    url = file_url(served, upload(served, data, "application/pdf"))
    for reply in (httpx.get(url), httpx.head(url)):
        assert reply.status_code == 200
        assert reply.headers["content-length"] == "1000"
        assert reply.headers["digest"] == f"sha-256={b64_sha256(data)}"
        assert reply.headers["cache-control"] == "private, max-age=2592000"
        assert reply.headers["accept-ranges"] == "bytes"
        assert reply.headers["content-type"] == "application/pdf"
        assert "content-range" not in reply.headers
    assert httpx.get(url).content == data
    assert httpx.head(url).content == b""


def test_a_range_of_an_empty_file_is_an_empty_200(served: RunningServer) -> None:
    url = file_url(served, upload(served, b"", "text/plain"))
    for header in ("bytes=0-0", "bytes=0-", "bytes=5-10", "bytes=-3"):
        reply = httpx.get(url, headers={"Range": header})
        assert (reply.status_code, reply.content) == (200, b""), header
        assert reply.headers["content-length"] == "0", header
        assert "content-range" not in reply.headers, header
        assert "digest" not in reply.headers, header
    whole = httpx.get(url)
    assert (whole.status_code, whole.content) == (200, b"")
    assert whole.headers["digest"] == f"sha-256={b64_sha256(b'')}"


def test_a_single_range_is_a_206_with_the_content_range_asked_for(
    served: RunningServer,
) -> None:
    data = secrets.token_bytes(1000)
    url = file_url(served, upload(served, data, "video/mp4"))
    cases = {
        "bytes=0-9": ("bytes 0-9/1000", data[:10]),
        "bytes=990-": ("bytes 990-999/1000", data[990:]),
        "bytes=500-5000": ("bytes 500-5000/1000", data[500:]),  # as asked, not clamped
        "bytes=2000-3000": ("bytes 2000-3000/1000", b""),  # past the end: empty, not 416
        "bytes=5-2": ("bytes 5-2/1000", b""),
        "bytes=-": ("bytes 0-999/1000", data),
        "bytes=+3-+4": ("bytes 3-4/1000", data[3:5]),
        "bytes= 7-8,": ("bytes 7-8/1000", data[7:9]),
        "bytes=0-1,x-y": ("bytes 0-1/1000", data[:2]),  # the spec that does not parse goes
    }
    for header, (content_range, body) in cases.items():
        reply = httpx.get(url, headers={"Range": header})
        assert reply.status_code == 206, header
        assert reply.headers["content-range"] == content_range, header
        assert reply.content == body, header
        assert reply.headers["content-length"] == str(len(body)), header
        assert reply.headers["content-type"] == "video/mp4", header
        assert reply.headers["cache-control"] == "private, max-age=2592000", header
        assert reply.headers["accept-ranges"] == "bytes", header
        assert "digest" not in reply.headers, header
    head = httpx.head(url, headers={"Range": "bytes=10-19"})
    assert (head.status_code, head.content) == (206, b"")
    assert head.headers["content-length"] == "10"

    short = file_url(served, upload(served, b"12345", "text/plain"))
    reply = httpx.get(short, headers={"Range": "bytes=0-9"})
    assert (reply.status_code, reply.content) == (206, b"12345")
    assert reply.headers["content-range"] == "bytes 0-9/5"


def test_several_ranges_or_none_that_parse_are_an_empty_416(served: RunningServer) -> None:
    data = secrets.token_bytes(100)
    for url in (file_url(served, upload(served, data)), file_url(served, upload(served, b""))):
        for header in ("bytes=0-1,4-5", "bytes=abc", "bytes=", "bytes=x-y", "bytes=0 - 9"):
            reply = httpx.get(url, headers={"Range": header})
            assert (reply.status_code, reply.content) == (416, b""), header
            assert "content-range" not in reply.headers, header


def test_a_range_header_not_starting_with_bytes_is_ignored(served: RunningServer) -> None:
    data = secrets.token_bytes(100)
    url = file_url(served, upload(served, data))
    for header in ("items=0-9", "Bytes=0-9", "bytes =0-9", "0-9", "bytes"):
        reply = httpx.get(url, headers={"Range": header})
        assert (reply.status_code, reply.content) == (200, data), header
        assert reply.headers["digest"] == f"sha-256={b64_sha256(data)}", header


def test_a_missing_file_is_a_404_file_not_found(served: RunningServer) -> None:
    storage_id = upload(served, secrets.token_bytes(30))
    convex(served).mutation("files:delete", {"id": storage_id})
    for reply in (
        httpx.get(file_url(served, storage_id)),
        httpx.head(file_url(served, storage_id)),
    ):
        assert reply.status_code == 404
    assert refusal(httpx.get(file_url(served, storage_id))) == (
        404,
        {"code": "FileNotFound", "message": f"File {storage_id} not found"},
    )
    ranged = httpx.get(file_url(served, storage_id), headers={"Range": "bytes=0-1"})
    assert ranged.status_code == 404


def test_a_path_that_is_not_a_storage_id_is_a_400_invalid_storage_path(
    served: RunningServer,
) -> None:
    status, body = refusal(httpx.get(f"{served.url}/api/storage/not-an-id"))
    assert status == 400
    assert body["code"] == "InvalidStoragePath"
    assert body["message"].startswith('Invalid storage path: "not-an-id". Please use ')


# --- uploading ------------------------------------------------------------------------------


def test_an_invalid_upload_token_is_a_401_storage_token_invalid(served: RunningServer) -> None:
    base = f"{served.url}/api/storage/upload"
    token = upload_url(served).split("token=", 1)[1]
    body, signature = token.split(".")
    tampered = ("f" if body[0] != "f" else "g") + body[1:]
    other = Deployment(served.data_dir.parent / "another-deployment")
    in_an_hour = int(time.time() * 1000) + 3_600_000
    for case, bad in {
        "garbage": "garbage",
        "empty": "",
        "tampered payload": f"{tampered}.{signature}",
        "no signature": f"{body}.",
        "non-ASCII signature": f"{body}.{signature[:-1]}é",
        "another deployment's": token_expiring(served, in_an_hour, other),
    }.items():
        reply = httpx.post(base, params={"token": bad}, content=b"refused")
        assert refusal(reply) == (
            401,
            {
                "code": "StorageTokenInvalid",
                "message": "Couldn't decode the StoreFileAuthorization token",
            },
        ), case
    assert not blob_exists(served, b"refused")


def test_an_expired_upload_token_is_a_401_storage_token_expired(served: RunningServer) -> None:
    expired = token_expiring(served, int(time.time() * 1000) - 1000)
    reply = httpx.post(
        f"{served.url}/api/storage/upload", params={"token": expired}, content=b"too late"
    )
    assert refusal(reply) == (
        401,
        {"code": "StorageTokenExpired", "message": "Store File Authorization expired"},
    )
    assert not blob_exists(served, b"too late")


def test_an_upload_without_a_token_is_a_400_bad_query_args(served: RunningServer) -> None:
    status, body = refusal(httpx.post(f"{served.url}/api/storage/upload", content=b"x"))
    assert (status, body["code"]) == (400, "BadQueryArgs")


def test_an_upload_url_serves_several_uploads_within_its_hour(served: RunningServer) -> None:
    url = upload_url(served)
    first, second = secrets.token_bytes(20), secrets.token_bytes(20)
    ids = []
    for data in (first, second, first):
        reply = httpx.post(url, content=data, headers={"Content-Type": "text/plain"})
        assert reply.status_code == 200, reply.text
        ids.append(reply.json()["storageId"])
    assert len(set(ids)) == 3
    for storage_id, data in zip(ids, (first, second, first), strict=True):
        assert httpx.get(file_url(served, storage_id)).content == data


def test_a_digest_that_does_not_match_is_a_400_sha256_mismatch_and_stores_nothing(
    served: RunningServer,
) -> None:
    data = secrets.token_bytes(64)
    claimed = b64_sha256(b"other bytes")
    reply = httpx.post(upload_url(served), content=data, headers={"Digest": f"sha-256={claimed}"})
    assert refusal(reply) == (
        400,
        {
            "code": "Sha256Mismatch",
            "message": f"Sha256 mismatch. Expected: {claimed} Actual: {b64_sha256(data)}",
        },
    )
    assert not blob_exists(served, data)
    assert convex(served).query("files:systemBySha256", {"sha256": b64_sha256(data)}) == []
    assert not list((served.data_dir / "storage" / "tmp").iterdir())

    matching = httpx.post(
        upload_url(served), content=data, headers={"Digest": f"sha-256={b64_sha256(data)}"}
    )
    assert matching.status_code == 200, matching.text
    assert httpx.get(file_url(served, matching.json()["storageId"])).content == data


def test_a_malformed_digest_is_a_400_bad_header(served: RunningServer) -> None:
    data = secrets.token_bytes(64)
    digest = hashlib.sha256(data).digest()
    for header in (
        f"sha-256={digest.hex()}",  # hex, not base64
        f"SHA-256={b64_sha256(data)}",
        f"md5={base64.b64encode(hashlib.md5(data).digest()).decode()}",
        f"sha-256={base64.b64encode(digest[:16]).decode()}",  # not 32 bytes
        "sha-256=not base64!",
    ):
        reply = httpx.post(upload_url(served), content=data, headers={"Digest": header})
        assert refusal(reply) == (
            400,
            {"code": "BadHeader", "message": "Bad header for digest: invalid HTTP header"},
        ), header
    assert not blob_exists(served, data)


# --- deleting --------------------------------------------------------------------------


def test_deleting_a_deleted_file_fails_with_storage_id_not_found(served: RunningServer) -> None:
    storage_id = convex(served).action("files:store", {"text": "to delete"})
    assert convex(served).mutation("files:delete", {"id": storage_id}) is None
    with pytest.raises(Exception, match=rf"storage id {storage_id} not found"):
        convex(served).mutation("files:delete", {"id": storage_id})


def test_deleting_with_something_not_a_storage_id_is_an_invalid_argument(
    served: RunningServer,
) -> None:
    with pytest.raises(Exception, match=r"Invalid argument `storageId` for `storage\.delete`"):
        convex(served).mutation("files:deleteUnchecked", {"id": "nonsense"})


# --- ctx.storage.store(data, sha256=...) in actions ----------------------------------------


def test_store_with_a_matching_sha256_stores_the_file(served: RunningServer) -> None:
    text = f"stored with its hash {secrets.token_hex(8)}"
    args = {"text": text, "contentType": "text/plain", "sha256": b64_sha256(text.encode())}
    storage_id = convex(served).action("files:store", args)
    reply = httpx.get(convex(served).query("files:url", {"id": storage_id}))
    assert reply.content == text.encode()
    assert reply.headers["content-type"] == "text/plain"


def test_store_with_another_sha256_fails_in_the_action_with_sha256_mismatch(
    served: RunningServer,
) -> None:
    text = f"not what the hash says {secrets.token_hex(8)}"
    claimed = b64_sha256(b"something else")
    expected = f"Sha256 mismatch. Expected: {claimed} Actual: {b64_sha256(text.encode())}"
    caught = convex(served).action("files:storeCaught", {"text": text, "sha256": claimed})
    assert caught == {"caught": expected}
    with pytest.raises(Exception, match=re.escape(expected)):
        convex(served).action("files:store", {"text": text, "sha256": claimed})
    assert not blob_exists(served, text.encode())


def test_store_with_a_sha256_that_is_not_base64_of_32_bytes_fails_saying_so(
    served: RunningServer,
) -> None:
    text = f"hashed in hex {secrets.token_hex(8)}"
    for claimed in (hashlib.sha256(text.encode()).hexdigest(), "not base64!", "AAAA"):
        caught = convex(served).action("files:storeCaught", {"text": text, "sha256": claimed})
        assert "sha256 must be the base64 of the 32-byte SHA-256 digest" in caught["caught"]
        assert repr(claimed) in caught["caught"]
    assert not blob_exists(served, text.encode())


# --- metadata ---------------------------------------------------------------------------------


def test_get_metadata_gives_storage_id_hex_sha256_size_and_content_type(
    served: RunningServer,
) -> None:
    data = secrets.token_bytes(77)
    storage_id = upload(served, data, "image/webp")
    expected = {
        "storageId": storage_id,
        "sha256": hashlib.sha256(data).hexdigest(),
        "size": 77,
        "contentType": "image/webp",
    }
    assert convex(served).query("files:metadata", {"id": storage_id}) == expected
    assert convex(served).action("files:metadataInAction", {"id": storage_id}) == expected
    convex(served).mutation("files:delete", {"id": storage_id})
    assert convex(served).query("files:metadata", {"id": storage_id}) is None


def test_a_storage_document_has_a_base64_sha256_and_a_null_content_type(
    served: RunningServer,
) -> None:
    data = secrets.token_bytes(55)
    storage_id = upload(served, data, content_type=None)
    doc = convex(served).query("files:systemGet", {"id": storage_id})
    assert set(doc) == {"_id", "_creationTime", "sha256", "size", "contentType"}
    assert (doc["_id"], doc["sha256"], doc["size"]) == (storage_id, b64_sha256(data), 55)
    assert doc["contentType"] is None
    assert convex(served).query("files:systemBySha256", {"sha256": b64_sha256(data)}) == [doc]


# --- files stored by earlier versions ---------------------------------------------------------


def test_files_stored_before_this_version_still_give_metadata_and_are_served(
    tmp_path: Path,
) -> None:
    """``_storage`` documents as earlier livebase versions wrote them (an upload's, with the
    nonce of its one-time URL; an import's or an action's, without one) are read as new ones:
    metadata with a ``storageId``, served with their type."""
    from livebase import Runtime

    app, data_dir = write_app(tmp_path), tmp_path / "data"
    files = {
        "uploaded": (b"uploaded by an earlier version", "image/png", "nonce-of-a-used-url"),
        "imported": (b"imported by an earlier version", "text/csv", None),
    }
    ids = {}
    with Runtime(app, data_dir) as runtime:
        storage = runtime.storage
        for name, (data, content_type, nonce) in files.items():
            sha = hashlib.sha256(data).hexdigest()
            storage.blob_store.put_bytes(sha, data)
            doc = {"sha256": sha, "size": len(data), "contentType": content_type}
            doc["uploadToken"] = nonce
            ids[name], _ = storage.transactor.transact(
                lambda txn, doc=doc: txn.insert("_storage", doc)
            )
    server = start_server(app, data_dir)
    try:
        for name, (data, content_type, _) in files.items():
            meta = convex(server).query("files:metadata", {"id": ids[name]})
            assert meta == {
                "storageId": ids[name],
                "sha256": hashlib.sha256(data).hexdigest(),
                "size": len(data),
                "contentType": content_type,
            }, name
            reply = httpx.get(convex(server).query("files:url", {"id": ids[name]}))
            assert (reply.content, reply.headers["content-type"]) == (data, content_type), name
    finally:
        server.stop()
