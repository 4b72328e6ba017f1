"""A deployment's secret files when several processes open one data directory at once
(``livebase serve --workers N`` over SQLite): all get the same non-empty secrets, none
crashes, and an empty admin key (configured or presented) unlocks nothing."""

from __future__ import annotations

import multiprocessing
import stat
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import httpx
import pytest

from livebase.engine.errors import AuthFailed
from livebase.runtime.deployment import Deployment
from livebase.server.auth import ServerAuth
from tests.conftest import APPS
from tests.e2e.conftest import free_port, start_server

PROCESSES = 4
ROUNDS = 40


def open_together(root: str, rounds: int, barrier: Any, results: Any) -> None:
    """One process: each round, open the deployment of a fresh directory with the others."""
    for i in range(rounds):
        barrier.wait()
        try:
            deployment = Deployment(Path(root) / f"round{i}")
            results.put((i, deployment.secret("secret.key", bytes), deployment.admin_key))
        except Exception as exc:
            results.put((i, f"{type(exc).__name__}: {exc}", None))


def test_processes_opening_a_new_deployment_at_once_all_get_the_same_stored_secrets(
    tmp_path: Path,
) -> None:
    context = multiprocessing.get_context("spawn")
    barrier = context.Barrier(PROCESSES)
    results = context.Queue()
    processes = [
        context.Process(target=open_together, args=(str(tmp_path), ROUNDS, barrier, results))
        for _ in range(PROCESSES)
    ]
    for process in processes:
        process.start()
    try:
        got = [results.get(timeout=60) for _ in range(PROCESSES * ROUNDS)]
    finally:
        for process in processes:
            process.join(10)
    by_round: dict[int, set[tuple[Any, Any]]] = {}
    for i, secret, admin_key in got:
        by_round.setdefault(i, set()).add((secret, admin_key))
    for i in range(ROUNDS):
        directory = tmp_path / f"round{i}"
        on_disk = ((directory / "secret.key").read_bytes(), (directory / "admin_key").read_text())
        assert by_round[i] == {on_disk}, f"round {i}: {by_round[i]}"
        assert on_disk[0] and on_disk[1].startswith("livebase|")
        assert sorted(p.name for p in directory.iterdir()) == ["admin_key", "secret.key"]
        for name in ("admin_key", "secret.key"):
            assert stat.S_IMODE((directory / name).stat().st_mode) == 0o600


def test_a_secret_file_still_empty_after_a_moment_is_refused_not_used(tmp_path: Path) -> None:
    (tmp_path / "admin_key").write_bytes(b"")
    deployment = Deployment(tmp_path)
    with pytest.raises(ValueError, match="admin_key is empty"):
        deployment.admin_key  # noqa: B018 - the property reads the file


def test_a_secret_file_found_empty_is_read_again_until_written(tmp_path: Path) -> None:
    (tmp_path / "admin_key").write_bytes(b"")
    writer = threading.Timer(0.2, (tmp_path / "admin_key").write_bytes, [b"livebase|late"])
    writer.start()
    try:
        assert Deployment(tmp_path).admin_key == "livebase|late"
    finally:
        writer.join()


def test_a_server_whose_admin_key_file_is_empty_refuses_to_start(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    (data_dir / "admin_key").write_bytes(b"")
    command = [sys.executable, "-m", "livebase", "serve", str(APPS / "services")]
    command += ["--port", str(free_port()), "--data-dir", str(data_dir)]
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=20)
    except subprocess.TimeoutExpired:
        pytest.fail("the server started with an empty admin key")
    assert done.returncode != 0
    assert "admin_key is empty" in done.stderr


def test_an_empty_configured_admin_key_is_refused() -> None:
    with pytest.raises(ValueError, match="admin key is empty"):
        ServerAuth(admin_key="")


def test_an_empty_presented_admin_key_is_refused(tmp_path: Path) -> None:
    auth = ServerAuth(admin_key="livebase|secret")
    for header in ("Convex ", "Convex", "Convex :"):
        with pytest.raises(AuthFailed):
            auth.from_header(header)
    with pytest.raises(AuthFailed):
        auth.from_message({"tokenType": "Admin", "value": ""})
    server = start_server(APPS / "services", tmp_path / "data")
    try:
        for header in ("Convex", "Convex :"):  # why: a client strips "Convex " to "Convex"
            reply = httpx.post(
                f"{server.url}/api/mutation",
                json={"path": "jobs:record", "args": {"job": "empty"}},
                headers={"Authorization": header},
            )
            assert reply.status_code == 401, reply.text
    finally:
        server.stop()
