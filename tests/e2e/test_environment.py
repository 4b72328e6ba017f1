"""Environment variables: set with ``livebase env``, read by functions, live in queries."""

from __future__ import annotations

import subprocess
import sys

import pytest
from convex import ConvexClient

from tests.e2e.conftest import source_env


def env_cli(server, *args: str, url: bool = True) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "livebase", "env", *args]
    command += ["--data-dir", str(server.data_dir)]
    if url:
        command += ["--url", server.url]
    return subprocess.run(command, capture_output=True, text=True, env=source_env(), timeout=60)


@pytest.fixture
def client(server):
    return ConvexClient(server.url)


def test_a_live_query_re_runs_when_a_variable_it_read_changes(client, server):
    updates = iter(client.subscribe("settings:greeting", {}))
    assert next(updates) == "(not set)"
    assert env_cli(server, "set", "GREETING", "hello").returncode == 0
    assert next(updates) == "hello"
    # the data directory directly, while the server runs: it sees another process's commit
    assert env_cli(server, "set", "GREETING", "hej", url=False).returncode == 0
    assert next(updates) == "hej"
    assert env_cli(server, "remove", "GREETING").returncode == 0
    assert next(updates) == "(not set)"


def test_actions_read_variables_and_the_deployments_url(client, server):
    env_cli(server, "set", "API_KEY", "sk-123")
    assert client.action("settings:read", {"name": "API_KEY"}) == {
        "value": "sk-123",
        "cloud": server.url,
    }
    assert client.action("settings:read", {"name": "MISSING"})["value"] is None


def test_list_and_get_print_what_is_stored(server):
    env_cli(server, "set", "B_VAR", "2")
    env_cli(server, "set", "A_VAR", "one two")
    listed = env_cli(server, "list")
    assert listed.stdout.splitlines() == ["A_VAR=one two", "B_VAR=2"]
    assert env_cli(server, "get", "A_VAR", url=False).stdout == "one two\n"
    missing = env_cli(server, "get", "NOPE")
    assert missing.returncode == 1 and "NOPE is not set" in missing.stderr


def test_clients_never_read_variables(client, server):
    env_cli(server, "set", "SECRET", "s3cret")
    for path in ("_system/env:list", "_system/env.js:list"):
        with pytest.raises(Exception, match="Could not find public function"):
            client.query(path, {})
    with pytest.raises(Exception, match="Could not find public function"):
        client.mutation("_system/env:set", {"name": "SECRET", "value": "mine"})
    assert env_cli(server, "get", "SECRET").stdout == "s3cret\n"


BAD_INPUT = [
    (("set", "1BAD", "x"), "Invalid environment variable name '1BAD'"),
    (("set", "NAME_THAT_IS_FAR_TOO_LONG_FOR_A_VARIABLE_X", "x"), "Invalid environment"),
    (("set", "BIG", "x" * 9000), "The value of BIG is over 8192 bytes"),
    (("set", "CONVEX_CLOUD_URL", "http://elsewhere"), "CONVEX_CLOUD_URL is built in"),
    (("set", "ONLY_NAME"), "env set takes NAME VALUE"),
]


def test_bad_input_is_refused_with_the_reason_and_changes_nothing(server):
    for args, message in BAD_INPUT:
        for url in (True, False):
            done = env_cli(server, *args, url=url)
            assert done.returncode == 1 and message in done.stderr, (args, done.stderr)
            assert "Traceback" not in done.stderr
    assert env_cli(server, "list").stdout == ""
