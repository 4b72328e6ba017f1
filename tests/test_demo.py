"""``make demo``'s launcher: both apps start, answer, serve their web apps, and stop."""

from __future__ import annotations

import subprocess
import sys

import httpx

from tests.conftest import ROOT
from tests.e2e.conftest import free_port


def test_the_demo_starts_both_apps_seeds_them_and_prints_their_urls(tmp_path):
    bank, docs = free_port(), free_port()
    data = tmp_path / "demo"
    command = [
        sys.executable,
        "scripts/demo.py",
        "--check",
        "--data-dir",
        str(data),
        "--bankchat-port",
        str(bank),
        "--sessiondocs-port",
        str(docs),
    ]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=240)
    assert done.returncode == 0, done.stderr + done.stdout
    assert f"http://127.0.0.1:{bank}" in done.stdout
    assert f"http://127.0.0.1:{docs}" in done.stdout
    assert "admin@bank.example" in done.stdout and "livebase-demo" in done.stdout
    assert "demo session" in done.stdout
    assert "serves no web app" not in done.stdout  # both built web apps were served at /
    # the servers are stopped again
    for port in (bank, docs):
        try:
            httpx.get(f"http://127.0.0.1:{port}/version", timeout=1)
        except httpx.ConnectError:
            continue
        raise AssertionError(f"port {port} still answers after the demo stopped")
    # a second run keeps the seeded data and does not seed again
    again = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=240)
    assert again.returncode == 0, again.stderr
    assert "demo session" not in again.stdout
    assert (data / "bankchat").is_dir() and (data / "sessiondocs").is_dir()


def test_ctrl_c_stops_the_demo_and_both_servers(tmp_path):
    import signal
    import time

    bank, docs = free_port(), free_port()
    process = subprocess.Popen(
        [
            sys.executable,
            "scripts/demo.py",
            "--data-dir",
            str(tmp_path / "demo"),
            "--bankchat-port",
            str(bank),
            "--sessiondocs-port",
            str(docs),
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        assert process.stdout is not None
        for line in process.stdout:
            if "Press Ctrl-C to stop" in line:
                break
        for port in (bank, docs):
            assert httpx.get(f"http://127.0.0.1:{port}/version", timeout=5).status_code == 200
        process.send_signal(signal.SIGINT)
        rest = process.communicate(timeout=60)[0]
        assert process.returncode == 0, rest
        assert "stopping" in rest
    finally:
        if process.poll() is None:
            process.kill()
    time.sleep(0.2)
    for port in (bank, docs):
        try:
            httpx.get(f"http://127.0.0.1:{port}/version", timeout=1)
        except httpx.ConnectError:
            continue
        raise AssertionError(f"port {port} still answers after Ctrl-C")
