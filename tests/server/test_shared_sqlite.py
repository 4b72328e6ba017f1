"""The CLI writing to a SQLite file a server is serving: ``livebase run`` mutations while
clients' mutations go through the server all count (no lost update)."""

from __future__ import annotations

import subprocess
import sys
import threading

import httpx

from tests.conftest import APPS
from tests.e2e.conftest import source_env, start_server


def test_cli_mutations_beside_a_serving_process_lose_no_update(tmp_path):
    server = start_server(APPS / "notes", tmp_path / "data")
    errors: list[str] = []

    def through_http() -> None:
        with httpx.Client(timeout=30) as http:
            for _ in range(60):
                r = http.post(
                    f"{server.url}/api/mutation",
                    json={"path": "counters:increment", "args": {"name": "mixed"}},
                )
                if r.json().get("status") != "success":
                    errors.append(r.text)

    try:
        threads = [threading.Thread(target=through_http) for _ in range(2)]
        for t in threads:
            t.start()
        for _ in range(8):
            done = subprocess.run(
                [sys.executable, "-m", "livebase", "run", str(APPS / "notes"), "counters:increment",
                 '{"name": "mixed"}', "--data-dir", str(tmp_path / "data")],
                capture_output=True, text=True, env=source_env(), timeout=60,
            )  # fmt: skip
            if done.returncode != 0:
                errors.append(done.stderr)
        for t in threads:
            t.join(120)
        assert errors == []
        r = httpx.post(
            f"{server.url}/api/query", json={"path": "counters:get", "args": {"name": "mixed"}}
        )
        assert r.json()["value"] == 2 * 60 + 8
    finally:
        server.stop()
