"""``livebase dev``: edits are loaded while the official client stays subscribed."""

from __future__ import annotations

import contextlib
import json
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from convex import ConvexClient
from websockets.sync.client import ClientConnection, connect

from tests.e2e.conftest import free_port, source_env, start_process, stop_process

SCHEMA = """
from livebase import define_schema, define_table, v

schema = define_schema({"items": define_table({"name": v.string()})})
"""

GREET = """
from livebase import mutation, query, v

@query(args={}, returns=v.string())
async def greet(ctx):
    return "GREETING"

@mutation(args={"name": v.string()}, returns=v.id("items"))
async def add(ctx, name):
    return await ctx.db.insert("items", {"name": name})
"""


def greet(greeting: str) -> str:
    return GREET.replace("GREETING", greeting)


@dataclass
class DevServer:
    url: str
    app: Path
    log: Path
    generated: Path
    data_dir: Path
    process: subprocess.Popen[bytes]

    def write(self, name: str, text: str) -> None:
        (self.app / name).write_text(text)

    def wait_for_log(self, text: str, after: int, timeout: float = 20.0) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            tail = self.log.read_text()[after:]
            if text in tail:
                return tail
            time.sleep(0.05)
        raise AssertionError(f"{text!r} not in the log:\n{self.log.read_text()[after:]}")

    def log_size(self) -> int:
        return len(self.log.read_text())

    def health(self) -> dict:
        key = self.admin_key()
        body = {"path": "_system/health:get", "args": {}, "format": "json"}
        reply = httpx.post(
            f"{self.url}/api/function",
            json=body,
            headers={"Authorization": f"Convex {key}"},
            timeout=10,
        )
        return reply.json()["value"]

    def admin_key(self) -> str:
        command = [sys.executable, "-m", "livebase", "admin-key", "--data-dir", str(self.data_dir)]
        return subprocess.run(command, capture_output=True, text=True, check=True).stdout.strip()


@pytest.fixture
def dev(tmp_path: Path) -> Iterator[DevServer]:
    app = tmp_path / f"devapp_{uuid.uuid4().hex[:8]}"
    app.mkdir()
    (app / "__init__.py").write_text("")
    (app / "schema.py").write_text(SCHEMA)
    (app / "hello.py").write_text(greet("v1"))
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    log, generated, data_dir = tmp_path / "dev.log", tmp_path / "generated", tmp_path / "data"
    command = [sys.executable, "-u", "-m", "livebase", "dev", str(app), "--port", str(port)]
    command += ["--data-dir", str(data_dir), "--codegen", str(generated)]
    process = start_process(command, url, log, env=source_env())
    server = DevServer(url, app, log, generated, data_dir, process)
    try:
        server.wait_for_log("watching", 0)
        yield server
    finally:
        stop_process(process)


def sync_session(stack: contextlib.ExitStack, url: str) -> ClientConnection:
    ws = stack.enter_context(connect(url.replace("http", "ws") + "/api/sync", open_timeout=10))
    ws.send(json.dumps({"type": "Connect", "sessionId": str(uuid.uuid4()), "connectionCount": 0}))
    ws.send(
        json.dumps(
            {
                "type": "ModifyQuerySet",
                "baseVersion": 0,
                "newVersion": 1,
                "modifications": [
                    {"type": "Add", "queryId": 0, "udfPath": "hello:greet", "args": [{}]}
                ],
            }
        )
    )
    return ws


def next_value(ws: ClientConnection, timeout: float = 20.0) -> object:
    deadline = time.monotonic() + timeout
    while True:
        message = json.loads(ws.recv(timeout=max(0.01, deadline - time.monotonic())))
        if message["type"] == "Transition" and message["modifications"]:
            return message["modifications"][0]["value"]


def test_a_saved_function_reaches_subscribed_clients_over_the_same_connection(dev):
    client = ConvexClient(dev.url)
    updates = iter(client.subscribe("hello:greet", {}))
    assert next(updates) == "v1"
    with contextlib.ExitStack() as stack:
        ws = sync_session(stack, dev.url)
        assert next_value(ws) == "v1"
        accepted = dev.health()["connectionsAccepted"]
        before = dev.log_size()
        dev.write("hello.py", greet("v2"))
        assert next(updates) == "v2"
        assert next_value(ws) == "v2"  # the same socket: no reconnect
        dev.wait_for_log("reloaded hello.py", before)
        assert dev.health()["connectionsAccepted"] == accepted
    assert "greet: FunctionReference" in (dev.generated / "api.d.ts").read_text()


def test_a_new_function_is_callable_and_in_the_generated_code_after_a_save(dev):
    client = ConvexClient(dev.url)
    before = dev.log_size()
    dev.write(
        "more.py",
        "from livebase import query, v\n\n"
        "@query(args={'n': v.number()}, returns=v.number())\n"
        "async def twice(ctx, n):\n    return n * 2\n",
    )
    dev.wait_for_log("reloaded more.py", before)
    assert client.query("more:twice", {"n": 21}) == 42
    assert "twice: FunctionReference" in (dev.generated / "api.d.ts").read_text()


def test_a_syntax_error_is_printed_and_the_previous_version_keeps_serving(dev):
    client = ConvexClient(dev.url)
    before = dev.log_size()
    dev.write("hello.py", greet("v2").replace("async def greet", "async def greet("))
    tail = dev.wait_for_log("not loaded", before)
    assert "hello.py, line" in tail and "SyntaxError" in tail
    assert "Traceback" not in tail
    assert client.query("hello:greet", {}) == "v1"
    before = dev.log_size()
    dev.write("hello.py", "import no_such_module_here\n" + greet("v3"))
    tail = dev.wait_for_log("not loaded", before)
    assert "ModuleNotFoundError" in tail and "hello.py, line 1" in tail
    assert client.query("hello:greet", {}) == "v1"
    dev.write("hello.py", greet("v4"))
    dev.wait_for_log("reloaded", before)
    assert client.query("hello:greet", {}) == "v4"


def test_a_schema_the_stored_data_does_not_match_is_refused(dev):
    client = ConvexClient(dev.url)
    client.mutation("hello:add", {"name": "kept"})
    before = dev.log_size()
    dev.write("schema.py", SCHEMA.replace('{"name": v.string()}', '{"name": v.number()}'))
    tail = dev.wait_for_log("not loaded", before)
    assert "does not match the new schema" in tail
    client.mutation("hello:add", {"name": "still a string"})  # the old schema still holds
    before = dev.log_size()
    dev.write("schema.py", SCHEMA)
    dev.wait_for_log("reloaded schema.py", before)
    before = dev.log_size()
    dev.write("hello.py", greet("v1").replace('{"name": v.string()}', '{"name": v.any()}'))
    dev.wait_for_log("reloaded hello.py", before)
    with pytest.raises(Exception, match="does not match the schema"):
        client.mutation("hello:add", {"name": 5})
    before = dev.log_size()
    dev.write("schema.py", SCHEMA.replace("v.string()", "v.union(v.string(), v.number())"))
    dev.wait_for_log("reloaded schema.py", before)
    assert client.mutation("hello:add", {"name": 5})  # the new schema holds


def test_dev_refuses_several_workers(tmp_path):
    app = Path(__file__).resolve().parents[1] / "apps" / "notes"
    command = [sys.executable, "-m", "livebase", "dev", str(app), "--workers", "2"]
    command += ["--port", str(free_port()), "--data-dir", str(tmp_path / "d")]
    done = subprocess.run(command, capture_output=True, text=True, timeout=60)
    assert done.returncode == 2 and "one process" in done.stderr


HTTP = """
from livebase import HttpRouter, http_action

http = HttpRouter()


@http_action
async def hello(ctx, request):
    return {"says": "WORDS", "env": await ctx.env.get("GREETING")}

http.route(path="/hello", method="GET", handler=hello)
"""

CRONS = """
from livebase import cron_jobs

crons = cron_jobs()
crons.interval("tick", {"seconds": 0.2}, "hello:add", {"name": "from cron"})
"""


def test_http_routes_and_crons_change_with_a_save(dev):
    before = dev.log_size()
    dev.write("http.py", HTTP.replace("WORDS", "first"))
    dev.wait_for_log("reloaded http.py", before)
    assert httpx.get(f"{dev.url}/http/hello", timeout=10).json() == {"says": "first", "env": None}
    before = dev.log_size()
    dev.write("http.py", HTTP.replace("WORDS", "second"))
    dev.wait_for_log("reloaded http.py", before)
    assert httpx.get(f"{dev.url}/http/hello", timeout=10).json()["says"] == "second"

    client = ConvexClient(dev.url)
    before = dev.log_size()
    dev.write("crons.py", CRONS)
    dev.wait_for_log("reloaded crons.py", before)
    counted = "from livebase import query\n\n@query\nasync def count(ctx):\n"
    counted += "    return len(await ctx.db.query('items').collect())\n"
    dev.write("counting.py", counted)
    deadline = time.monotonic() + 20
    while True:
        try:
            if client.query("counting:count", {}) >= 2:
                break
        except Exception:  # not loaded yet
            pass
        assert time.monotonic() < deadline, dev.log.read_text()[-2000:]
        time.sleep(0.2)
    # a cron naming a function that does not exist is refused; the one before keeps running
    before = dev.log_size()
    dev.write("crons.py", CRONS.replace("hello:add", "hello:missing"))
    tail = dev.wait_for_log("not loaded", before)
    assert "Cron job 'tick'" in tail
