"""The official npm client (``convex`` 1.48.0, ``convex/browser``) against a real livebase server.

Each test runs one step of a Node script in ``tests/e2e/node/`` (``node <script> <url> <step>``):
the script checks the client's behaviour with ``node:assert`` and prints one JSON line,
``{"steps": {step: "ok" | "<error>"}, "observations": {step: {...}}}``, in which bigints are
spelled ``"123n"`` and ArrayBuffers ``{"bytes": [...]}``. Run a script by hand against
``livebase serve tests/apps/notes`` to see every step at once.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import RunningServer

NODE_DIR = Path(__file__).resolve().parent / "node"
NODE = shutil.which("node")

pytestmark = [
    pytest.mark.skipif(NODE is None, reason="node is not on PATH"),
    pytest.mark.skipif(
        not (NODE_DIR / "node_modules" / "convex").is_dir(),
        reason="tests/e2e/node/node_modules is missing: run `npm ci` in tests/e2e/node",
    ),
]

BOTH_CLIENTS = pytest.mark.parametrize(
    "script", ["http_client.mjs", "ws_client.mjs"], ids=["http", "ws"]
)


def tail(text: str, lines: int = 40) -> str:
    return "\n".join(text.splitlines()[-lines:])


def run_step(server: RunningServer, script: str, step: str) -> dict[str, Any]:
    """Run one step of a Node script against ``server``; return its observations."""
    assert NODE is not None
    proc = subprocess.run(
        [NODE, script, server.url, step],
        cwd=NODE_DIR,
        capture_output=True,
        text=True,
        timeout=60,
    )
    context = (
        f"node {script} {step} exited {proc.returncode}\n"
        f"--- stdout\n{tail(proc.stdout)}\n--- stderr\n{tail(proc.stderr)}\n"
        f"--- server log\n{tail(server.log.read_text(errors='replace'))}"
    )
    lines = proc.stdout.strip().splitlines()
    assert lines, f"no report printed\n{context}"
    report = json.loads(lines[-1])
    assert report["steps"].get(step) == "ok", f"{report['steps'].get(step)}\n{context}"
    assert proc.returncode == 0, context
    return dict(report["observations"][step])


# Calls through either client.


@BOTH_CLIENTS
def test_values_round_trip_floats_int64_bytes_and_nested_objects(
    server: RunningServer, script: str
) -> None:
    obs = run_step(server, script, "values")
    big = 2**61 + 7
    assert obs["typed"] == {
        "big": f"{big}n",
        "doubled": f"{2 * big}n",
        "raw": {"bytes": [0, 1, 2, 128, 255]},
    }
    assert obs["nested"]["big"] == f"{-(2**40)}n"
    assert obs["nested"]["raw"] == {"bytes": [0, 255, 7]}


@BOTH_CLIENTS
def test_mutations_and_actions_run_and_their_writes_are_read_back(
    server: RunningServer, script: str
) -> None:
    assert run_step(server, script, "calls")["action"] == {"added": 3, "total": 4}


@BOTH_CLIENTS
def test_convex_errors_reach_the_client_with_their_data_and_failed_mutations_write_nothing(
    server: RunningServer, script: str
) -> None:
    obs = run_step(server, script, "convex_errors")
    assert obs["mutationError"]["code"] == "nope"
    assert obs["actionError"] == {"code": "action-failed"}


@BOTH_CLIENTS
def test_a_crashing_function_reaches_the_client_as_a_bare_server_error(
    server: RunningServer, script: str
) -> None:
    message = run_step(server, script, "crash")["crash"]
    assert "Server Error" in message
    assert "internal detail" not in message


@BOTH_CLIENTS
def test_an_internal_function_cannot_be_called_by_a_client(
    server: RunningServer, script: str
) -> None:
    assert "secret" in run_step(server, script, "internal")["secret"]


@BOTH_CLIENTS
def test_calling_a_missing_function_fails_without_naming_internal_functions(
    server: RunningServer, script: str
) -> None:
    assert "notes:doesNotExist" in run_step(server, script, "missing_function")["missing"]


@BOTH_CLIENTS
def test_mutations_sent_without_waiting_run_in_the_order_they_were_sent(
    server: RunningServer, script: str
) -> None:
    obs = run_step(server, script, "mutation_order")
    assert obs["results"] == list(range(1, 21))
    assert obs["mixed"] == [21, "ConvexError", 22, "Error", 23]


@BOTH_CLIENTS
def test_what_functions_print_reaches_the_console_with_the_function_name(
    server: RunningServer, script: str
) -> None:
    printed = run_step(server, script, "log_lines")["printed"]
    for line in (
        "[CONVEX M(chatter:addLoudly)] [LOG] adding a note for X",
        "[CONVEX M(chatter:addLoudly)] [ERROR] a warning",
        "[CONVEX Q(chatter:countBy)] [LOG] counted 1 notes by X",
        "[CONVEX A(chatter:report)] [LOG] report for X (start)",
        "[CONVEX A(chatter:report)] [LOG] counted 1 notes by X",
    ):
        assert line in printed, printed


# Live queries through ConvexClient.


def test_a_subscriber_sees_every_write_from_other_connections_in_order(
    server: RunningServer,
) -> None:
    obs = run_step(server, "ws_client.mjs", "live_updates")
    assert obs["lengths"] == [0, 1, 2, 3, 4, 5, 6]
    assert obs["burstLengths"][-1] == 11


def test_a_search_query_updates_live_best_match_first(server: RunningServer) -> None:
    updates = run_step(server, "ws_client.mjs", "live_search")["updates"]
    assert len(updates[0]) == 0 and len(updates[-1]) == 1
    assert any(len(update) == 2 for update in updates)
    assert all("nothing to see" not in body for update in updates for body in update)


def test_a_resolved_mutation_is_already_visible_to_the_same_clients_reads(
    server: RunningServer,
) -> None:
    assert run_step(server, "ws_client.mjs", "read_your_writes")["subscribedUpdates"] == [
        0,
        1,
        2,
        3,
        4,
        5,
    ]


def test_all_of_a_clients_subscriptions_move_to_each_write_together(server: RunningServer) -> None:
    obs = run_step(server, "ws_client.mjs", "consistent_snapshot")
    assert obs["checks"] > 0
    assert obs["torn"] == []


def test_a_live_first_page_keeps_its_end_while_the_last_page_grows(server: RunningServer) -> None:
    obs = run_step(server, "paginated.mjs", "pages_live")
    assert obs["page1Updates"] == [
        ["n0", "n1", "n2"],
        ["n0", "n1 edited", "n2"],
        ["n1 edited", "n2"],
    ]
    assert obs["page2Updates"] == [["n3", "n4"], ["n3", "n4", "n5"], ["n3", "n4", "n5", "n6"]]


def test_the_clients_own_paginated_subscription_loads_more_and_updates_live(
    server: RunningServer,
) -> None:
    statuses = run_step(server, "paginated.mjs", "paginated_experimental")["statuses"]
    assert statuses[-1] == "Exhausted:6"


# Dropped connections (a TCP proxy inside the script cuts the socket).


def test_a_pages_journal_survives_a_reconnect(server: RunningServer) -> None:
    obs = run_step(server, "reconnect.mjs", "journal_after_reconnect")
    assert obs["connections"] >= 2
    assert obs["page1"] == ["n1", "n2"]


def test_a_mutation_whose_reply_was_lost_runs_exactly_once_after_the_reconnect(
    server: RunningServer,
) -> None:
    obs = run_step(server, "reconnect.mjs", "exactly_once_across_reconnect")
    assert obs["connections"] >= 2
    assert obs["result"] == 2
