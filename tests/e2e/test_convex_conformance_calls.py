"""Behaviours of Convex's own integration tests (``npm-packages/tests/js-integration-tests``:
system_tables, actions, adminAuth, filter, logging, fileStorage) held by livebase against a
real server, through the official clients: the PyPI ``convex`` client, and the npm ``convex``
client (``ConvexHttpClient``, ``ConvexClient`` over a WebSocket, as the React client) where
Convex's test acts as a user with the admin key or watches the console. Each test is named
after the Convex behaviour it keeps; its functions are in tests/apps/notes/conformance_calls.py
and its HTTP actions in tests/apps/notes/http.py.

Convex's texts are quoted from its source: ``npm-packages/convex/src/server/impl/
database_impl.ts`` (what the JS runtime throws) and ``crates/isolate/src/environment/udf/
async_syscall.rs`` (``system_table_guard``), of get-convex/convex-backend at 94a42c3."""

from __future__ import annotations

import base64
import hashlib
import json
import re
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from convex import ConvexClient

from tests.e2e.conftest import (
    APPS,
    RunningServer,
    free_port,
    start_process,
    start_server,
    stop_process,
)
from tests.e2e.test_node_client import NODE, NODE_DIR, tail

needs_node = pytest.mark.skipif(
    NODE is None or not (NODE_DIR / "node_modules" / "convex").is_dir(),
    reason="needs node on PATH and tests/e2e/node/node_modules (`npm ci` in tests/e2e/node)",
)

# Convex's words (see the module's docstring for where each is from)
SYSTEM_QUERY_REFUSED = "System tables can only be accessed from db.system.query()."
SYSTEM_INSERT_REFUSED = "System tables (prefixed with `_`) are read-only."
SYSTEM_ID_REFUSED = "System tables can only be accessed with db.system."


# --- servers and clients ----------------------------------------------------------------------


class Served:
    """A server of the notes app: its API at ``url``, its HTTP actions at ``site``."""

    def __init__(self, url: str, site: str, data_dir: Path, log: Path) -> None:
        self.url, self.site, self.data_dir, self.log = url, site, data_dir, log

    @property
    def admin_key(self) -> str:
        return (self.data_dir / "admin_key").read_text().strip()

    def client(self) -> ConvexClient:
        return ConvexClient(self.url)


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """``livebase serve`` of the notes app with an HTTP actions port (Convex's site URL), one
    for the module: each test uses documents, files and markers of its own."""
    root = tmp_path_factory.mktemp("conformance-calls")
    site = free_port()
    server = start_server(APPS / "notes", root / "data", flags=("--http-port", str(site)))
    try:
        yield Served(server.url, f"http://127.0.0.1:{site}", server.data_dir, server.log)
    finally:
        server.stop()


@pytest.fixture(scope="module")
def dev_served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """``livebase dev`` of the notes app: like the Convex backend its integration tests run
    against, it sends a thrown error's message to the caller."""
    root = tmp_path_factory.mktemp("conformance-calls-dev")
    port, site = free_port(), free_port()
    url = f"http://127.0.0.1:{port}"
    command = [sys.executable, "-m", "livebase", "dev", str(APPS / "notes"), "--port", str(port)]
    command += ["--data-dir", str(root / "data"), "--http-port", str(site)]
    command += ["--log-level", "warning"]
    log = root / "dev.log"
    process = start_process(command, url, log)
    try:
        yield Served(url, f"http://127.0.0.1:{site}", root / "data", log)
    finally:
        stop_process(process)


def error_of(call: Callable[[], Any]) -> str:
    with pytest.raises(Exception, match=r".") as failed:  # the message is what is checked
        call()
    return str(failed.value)


def marker() -> str:
    return f"marker-{uuid.uuid4().hex[:12]}"


NPM_PRELUDE = """
import { ConvexClient, ConvexHttpClient } from "convex/browser";
import WebSocket from "ws";
const [url, adminKey, ...rest] = process.argv.slice(1);
const clients = [];
const httpClient = () => new ConvexHttpClient(url, { skipConvexDeploymentUrlCheck: true });
const wsClient = () => {
  const client = new ConvexClient(url, {
    webSocketConstructor: WebSocket,
    skipConvexDeploymentUrlCheck: true,
  });
  clients.push(client);
  return client;
};
const safe = (value) => JSON.stringify(value, (_, v) => (typeof v === "bigint" ? `${v}n` : v));
const print = process.stdout.write.bind(process.stdout);
setTimeout(() => { print(safe({ failed: "timed out after 30 s" })); process.exit(1); }, 30_000)
  .unref();
try {
  const result = await (async () => {
// BODY
  })();
  for (const client of clients) await client.close();
  print(safe({ result }));
  process.exit(0);
} catch (err) {
  print(safe({ failed: String(err && err.stack ? err.stack : err) }));
  process.exit(1);
}
"""


def npm(server: Served, body: str, *args: str) -> Any:
    """Run ``body`` (the inside of an async JS function; ``url``, ``adminKey``, ``rest`` (the
    ``args``), ``httpClient()`` and ``wsClient()`` in scope) with the npm client against
    ``server``; what it returns."""
    assert NODE is not None
    script = NPM_PRELUDE.replace("// BODY", body)
    proc = subprocess.run(
        [NODE, "--input-type=module", "-e", script, server.url, server.admin_key, *args],
        cwd=NODE_DIR,
        capture_output=True,
        text=True,
        timeout=60,
    )
    context = (
        f"node exited {proc.returncode}\n--- stdout\n{tail(proc.stdout)}\n"
        f"--- stderr\n{tail(proc.stderr)}\n--- server log\n{tail(server.log.read_text())}"
    )
    lines = proc.stdout.strip().splitlines()
    assert lines, context
    report = json.loads(lines[-1])
    assert proc.returncode == 0 and "result" in report, context
    return report["result"]


def acting_as(admin_key: str, identity: dict[str, Any]) -> str:
    """The Authorization header of an admin acting as ``identity``, as the npm
    ``ConvexHttpClient.setAdminAuth`` makes it: the identity's JSON, UTF-8, in base64."""
    encoded = json.dumps(identity, ensure_ascii=False, separators=(",", ":")).encode()
    return f"Convex {admin_key}:{base64.b64encode(encoded).decode()}"


# --- system_tables.test.ts ------------------------------------------------------------------


def a_job(served: Served) -> dict[str, Any]:
    client = served.client()
    job_id = client.mutation("conformance_calls:scheduleJob")
    deadline = time.monotonic() + 20
    while (job := client.query("conformance_calls:getJob", {"id": job_id}))["state"]["kind"] in (
        "pending",
        "inProgress",
    ):
        assert time.monotonic() < deadline, job
        time.sleep(0.05)
    return job


def job_ids(served: Served) -> set[str]:
    return {job["_id"] for job in served.client().query("conformance_calls:listJobs")}


def test_db_query_fails_with_system_tables(served: Served) -> None:
    message = error_of(lambda: served.client().query("conformance_calls:badUserQuery"))
    assert SYSTEM_QUERY_REFUSED in message


def test_db_insert_fails_with_system_tables(served: Served) -> None:
    before = job_ids(served)
    error_of(lambda: served.client().mutation("conformance_calls:badSystemInsert"))
    assert job_ids(served) == before


def test_db_insert_into_a_system_table_fails_saying_system_tables_are_read_only(
    served: Served,
) -> None:
    message = error_of(lambda: served.client().mutation("conformance_calls:badSystemInsert"))
    assert SYSTEM_INSERT_REFUSED in message


@pytest.mark.parametrize("how", ["patch", "replace", "delete"])
def test_db_writes_fail_with_system_table_ids(served: Served, how: str) -> None:
    job = a_job(served)
    client = served.client()
    error_of(
        lambda: client.mutation("conformance_calls:badSystemWrite", {"id": job["_id"], "how": how})
    )
    assert client.query("conformance_calls:getJob", {"id": job["_id"]}) == job


@pytest.mark.parametrize("how", ["patch", "replace", "delete"])
def test_db_writes_with_a_system_table_id_fail_saying_system_tables_need_db_system(
    served: Served, how: str
) -> None:
    job = a_job(served)
    message = error_of(
        lambda: served.client().mutation(
            "conformance_calls:badSystemWrite", {"id": job["_id"], "how": how}
        )
    )
    assert SYSTEM_ID_REFUSED in message


@pytest.mark.parametrize("how", ["insert", "patch", "replace", "delete"])
def test_db_system_has_no_writers(served: Served, how: str) -> None:
    job = a_job(served)
    client = served.client()
    before = job_ids(served)
    error_of(
        lambda: client.mutation(
            "conformance_calls:systemWriterError", {"id": job["_id"], "how": how}
        )
    )
    assert job_ids(served) == before
    assert client.query("conformance_calls:getJob", {"id": job["_id"]}) == job


# --- actions.test.ts ------------------------------------------------------------------------


@needs_node
@pytest.mark.parametrize(
    "action", ["conformance_calls:whoThroughRunQuery", "conformance_calls:whoThroughRunMutation"]
)
def test_a_nested_query_or_mutation_of_an_action_runs_with_the_callers_identity(
    served: Served, action: str
) -> None:
    result = npm(
        served,
        """
    const client = wsClient();
    client.setAdminAuth(adminKey, { issuer: "abc", subject: "def" });
    return await client.action(rest[0], {});
""",
        action,
    )
    assert result == {"tokenIdentifier": "abc|def", "issuer": "abc", "subject": "def"}


@needs_node
@pytest.mark.parametrize(
    "scheduler",
    [
        ("action", "conformance_calls:scheduleStoreUserFromAction"),
        ("mutation", "conformance_calls:scheduleStoreUserFromMutation"),
    ],
    ids=["from_an_action", "from_a_mutation"],
)
def test_a_job_scheduled_by_a_caller_with_an_identity_runs_without_one(
    served: Served, scheduler: tuple[str, str]
) -> None:
    kind, path = scheduler
    mark = marker()
    npm(
        served,
        """
    const client = wsClient();
    client.setAdminAuth(adminKey, { issuer: "abc", subject: "def" });
    return await client[rest[0]](rest[1], { marker: rest[2] });
""",
        kind,
        path,
        mark,
    )
    client = served.client()
    deadline = time.monotonic() + 20
    while (found := client.query("conformance_calls:findObject", {"marker": mark})) is None:
        assert time.monotonic() < deadline, "the scheduled storeUser never ran"
        time.sleep(0.05)
    assert found == {"foundUser": False}


def test_run_after_in_an_action_returns_the_jobs_id(served: Served) -> None:
    client = served.client()
    job_id = client.action("conformance_calls:scheduling")
    assert isinstance(job_id, str)
    job = client.query("conformance_calls:getJob", {"id": job_id})
    assert job["_id"] == job_id and job["name"] == "conformance_calls:hello"


def test_an_action_calls_a_query_with_a_six_million_character_argument(served: Served) -> None:
    assert served.client().action("conformance_calls:actionCallsWithBigArgument") == 6_050_000


# --- adminAuth.test.ts ----------------------------------------------------------------------

PRESLEY = {"subject": "test subject", "issuer": "test issuer", "name": "Presley 🙃"}


@needs_node
@pytest.mark.parametrize("name", ["Presley", "Presley 🙃"], ids=["ascii", "utf16"])
@pytest.mark.parametrize("which", ["httpClient", "wsClient"], ids=["http_client", "ws_client"])
def test_an_admin_acting_as_a_user_is_that_user_utf16_names_included(
    served: Served, which: str, name: str
) -> None:
    result = npm(
        served,
        f"""
    const client = {which}();
    client.setAdminAuth(adminKey, {{
      subject: "test subject",
      issuer: "test issuer",
      name: rest[0],
    }});
    return await client.query("conformance_calls:who", {{}});
""",
        name,
    )
    assert result["name"] == name
    assert result["tokenIdentifier"] == "test issuer|test subject"


def test_the_acting_as_header_carries_a_utf16_name_to_the_function(served: Served) -> None:
    body = {"path": "conformance_calls:who", "args": {}, "format": "json"}
    reply = httpx.post(
        f"{served.url}/api/query",
        json=body,
        headers={"Authorization": acting_as(served.admin_key, PRESLEY)},
        timeout=30,
    )
    assert reply.status_code == 200, reply.text
    assert reply.json()["value"]["name"] == "Presley 🙃"


# --- filter.test.ts -------------------------------------------------------------------------


def test_advanced_filtering_operations(server: RunningServer) -> None:
    client = ConvexClient(server.url)
    for channel, text in [("c1", "t1"), ("c1", "t2"), ("c1", "t3")] + [
        ("c2", t) for t in ("t1", "t2", "t3", "t4")
    ]:
        client.mutation("conformance_calls:sendMessage", {"channel": channel, "text": text})

    def in_range(lower: str, lower_equal: bool, upper: str, upper_equal: bool) -> int:
        args = {"lower": lower, "lowerEqual": lower_equal, "upper": upper}
        args["upperEqual"] = upper_equal
        inside = client.query("conformance_calls:listMessagesInRange", args)
        outside = client.query("conformance_calls:listMessagesOutOfRange", args)
        assert len(inside) + len(outside) == 7  # or() of the opposite bounds: the rest
        return len(inside)

    assert in_range("aa", True, "zz", True) == 7
    assert len(client.query("conformance_calls:listMessages", {"channel": "c1"})) == 3
    assert len(client.query("conformance_calls:listMessages", {"channel": "c2"})) == 4
    assert in_range("c1", True, "c2", True) == 7
    assert in_range("c1", False, "c2", True) == 4
    assert in_range("c1", True, "c2", False) == 3
    assert in_range("c1", False, "c2", False) == 0


# --- logging.test.ts ------------------------------------------------------------------------

LOGGING_CASES = [
    pytest.param(
        via or kind,
        f"conformance_calls:{kind}Logging{'AndThrowing' if throwing else ''}",
        id=f"{kind}_{'throwing' if throwing else 'succeeding'}_and_logging"
        + ("_via_function" if via else ""),
    )
    for via in (None, "function")
    for kind in ("query", "mutation", "action")
    for throwing in (False, True)
]


@needs_node
@pytest.mark.parametrize("method,path", LOGGING_CASES)
def test_log_lines_reach_the_http_client_of_succeeding_and_throwing_functions(
    dev_served: Served, method: str, path: str
) -> None:
    seen = npm(
        dev_served,
        """
    const client = httpClient();
    client.setAdminAuth(adminKey);
    const logged = [];
    const log = console.log;
    console.log = (...args) => logged.push(args.map(String));
    let error = null;
    try {
      await client[rest[0]](rest[1], {});
    } catch (err) {
      error = err.message;
    } finally {
      console.log = log;
    }
    return { error, logged };
""",
        method,
        path,
    )
    if path.endswith("AndThrowing"):
        assert "oopsie" in seen["error"]
    else:
        assert seen["error"] is None
    assert any(
        len(args) >= 3
        and "[LOG]" in args[0]
        and "color" in args[1]
        and "Important logged stuff" in args[2]
        for args in seen["logged"]
    ), seen["logged"]


# --- fileStorage.test.ts: "File storage with HTTP actions" ------------------------------------


def digest_header(text: str) -> str:
    return "sha-256=" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode()


def send_image(served: Served, **request: Any) -> httpx.Response:
    return httpx.post(f"{served.site}/sendImage", timeout=30, **request)


def test_http_actions_store_a_posted_file_and_serve_it(served: Served) -> None:
    posted = send_image(served, content=b"helloworld", headers={"Content-Type": "text/plain"})
    storage_id = posted.json()["storageId"]
    got = httpx.get(f"{served.site}/getImage", params={"storageId": storage_id}, timeout=30)
    assert got.headers["Content-Type"] == "text/plain"
    assert got.headers["Content-Length"] == str(len("helloworld"))
    assert got.text == "helloworld"


def test_http_actions_store_a_file_posted_with_an_old_id_from_its_metadata(
    served: Served,
) -> None:
    posted = send_image(served, content=b"helloworld", headers={"Content-Type": "text/plain"})
    metadata = httpx.get(
        f"{served.site}/getMetadata", params={"storageId": posted.json()["storageId"]}, timeout=30
    ).json()
    got = httpx.get(
        f"{served.site}/getImage", params={"storageId": metadata["storageId"]}, timeout=30
    )
    assert got.headers["Content-Type"] == "text/plain"
    assert got.text == "helloworld"


@pytest.mark.parametrize(
    "request_",
    [
        {"content": b"helloworld"},
        {"headers": {"Content-Type": "text/plain"}},
        {},
    ],
    ids=["no_content_type", "empty_blob", "empty_blob_and_no_content_type"],
)
def test_http_actions_store_a_file_posted_with_no_content_type_or_an_empty_blob(
    served: Served, request_: dict[str, Any]
) -> None:
    posted = send_image(served, **request_)
    assert posted.status_code == 200, posted.text
    assert "storageId" in posted.json()


def test_http_actions_store_fails_on_a_sha256_mismatch(served: Served) -> None:
    headers = {"Content-Type": "text/plain", "Digest": digest_header("helloworld")}
    assert send_image(served, content=b"helloworld", headers=headers).status_code == 200
    assert send_image(served, content=b"differentdata", headers=headers).status_code == 500


@pytest.mark.parametrize("old_id", [False, True], ids=["new_id", "old_id"])
def test_http_actions_delete_a_file_and_it_is_gone(dev_served: Served, old_id: bool) -> None:
    site = dev_served.site
    posted = send_image(dev_served, content=b"helloworld", headers={"Content-Type": "text/plain"})
    storage_id = posted.json()["storageId"]
    if old_id:
        metadata = httpx.get(f"{site}/getMetadata", params={"storageId": storage_id}, timeout=30)
        storage_id = metadata.json()["storageId"]
    ident = {"storageId": storage_id}
    assert httpx.get(f"{site}/getImage", params=ident, timeout=30).text == "helloworld"
    assert httpx.post(f"{site}/deleteImage", params=ident, timeout=30).is_success
    assert httpx.get(f"{site}/getImage", params=ident, timeout=30).status_code == 404

    again = httpx.post(f"{site}/deleteImage", params=ident, timeout=30)
    # Convex's JS names the error's class Error; a Python app's has a class of its own
    assert re.search(r"Uncaught Error: storage id \S+ not found", again.text), again.text
    nonsense = httpx.post(f"{site}/deleteImage", params={"storageId": "nonesense"}, timeout=30)
    assert "Invalid argument `storageId` for `storage.delete`" in nonsense.text


# --- fileStorage.test.ts: "File storage with V8 actions" / "with Node actions" ----------------


def test_actions_generate_an_upload_url_and_get_the_uploaded_files_url(served: Served) -> None:
    client = served.client()
    post_url = client.action("conformance_calls:generateUploadUrl", {})
    assert re.fullmatch(rf"{re.escape(served.url)}/api/storage/upload\?token=.*", post_url)
    posted = httpx.post(
        post_url,
        content=b"helloworld",
        headers={"Digest": digest_header("helloworld"), "Content-Type": "text/plain"},
        timeout=30,
    )
    get_url = client.action("conformance_calls:getUrl", {"storageId": posted.json()["storageId"]})
    assert httpx.get(get_url, timeout=30).text == "helloworld"


def stored_by_action(client: Any, old_id: bool) -> str:
    """A file an action stored; with ``old_id``, named by the ID its metadata gives."""
    storage_id = client.action(
        "conformance_calls:store", {"content": "helloworld", "contentType": "text/plain"}
    )
    if old_id:
        metadata = client.action("conformance_calls:getMetadata", {"storageId": storage_id})
        storage_id = metadata["storageId"]
    return str(storage_id)


@pytest.mark.parametrize("old_id", [False, True], ids=["new_id", "old_id"])
def test_actions_store_and_get_a_file(served: Served, old_id: bool) -> None:
    client = served.client()
    storage_id = stored_by_action(client, old_id)
    assert client.action("conformance_calls:get", {"storageId": storage_id}) == "helloworld"


@pytest.mark.parametrize("old_id", [False, True], ids=["new_id", "old_id"])
def test_actions_delete_a_file_then_get_url_and_get_give_null(served: Served, old_id: bool) -> None:
    client = served.client()
    storage_id = stored_by_action(client, old_id)
    assert client.action("conformance_calls:deleteById", {"storageId": storage_id}) is None
    assert client.action("conformance_calls:getUrl", {"storageId": storage_id}) is None
    assert client.action("conformance_calls:get", {"storageId": storage_id}) is None


def test_actions_get_a_files_metadata(served: Served) -> None:
    client = served.client()
    storage_id = client.action(
        "conformance_calls:store", {"content": "helloworld", "contentType": "text/plain"}
    )
    metadata = client.action("conformance_calls:getMetadata", {"storageId": storage_id})
    old_id = metadata["storageId"]
    assert client.action("conformance_calls:getMetadata", {"storageId": old_id}) == {
        "storageId": old_id,
        "sha256": hashlib.sha256(b"helloworld").hexdigest(),
        "size": len("helloworld"),
        "contentType": "text/plain",
    }
