"""Shared fixtures for the sessiondocs tests: the backend as users run it.

``sessiondocs_server`` is the URL of ``python -m sessiondocs serve`` on a free loopback port
and a fresh data directory; ``sessiondocs_process`` is the same server as an object that can
be stopped and started again on the same port and data directory (a restart). Its
``SIGNUP_DOMAIN`` may sign up; ``account()`` is a person there with a device token.
``xvfb_display()`` is a virtual X display for the capture agent (its tests and its benchmark).
"""

from __future__ import annotations

import contextlib
import os
import select
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.e2e.conftest import free_port, source_env, start_process, stop_process

SIGNUP_DOMAIN = "docs.test"
PASSWORD = "long enough password"
SERVERS: dict[str, SessiondocsServer] = {}  # by URL, for helpers that know only the URL


class Account:
    """A person on a sessiondocs server: a sign-in token and (``sign_up``) a device token."""

    def __init__(self, email: str, token: str) -> None:
        self.email = email
        self.token = token
        self.device_id = ""
        self.device_token = ""

    @classmethod
    def sign_up(cls, url: str, email: str) -> Account:
        """A new person (their domain may sign up) with a device token of theirs."""
        signed = httpx.post(f"{url}/api/auth/signup", json={"email": email, "password": PASSWORD})
        assert signed.status_code == 200, signed.text
        account = cls(email, str(signed.json()["token"]))
        device = account.call(url, "mutation", "devices:createDevice", {"name": "test PC"})
        account.device_id = str(device["deviceId"])
        account.device_token = str(device["token"])
        return account

    @classmethod
    def sign_in(cls, url: str, email: str, password: str = PASSWORD) -> Account:
        signed = httpx.post(f"{url}/api/auth/signin", json={"email": email, "password": password})
        assert signed.status_code == 200, signed.text
        return cls(email, str(signed.json()["token"]))

    def call(self, url: str, kind: str, path: str, args: dict[str, Any] | None = None) -> Any:
        """Call a function as this person; its value (the call must succeed)."""
        body = {"path": path, "args": args or {}, "format": "json"}
        headers = {"Authorization": f"Bearer {self.token}"}
        answer = httpx.post(f"{url}/api/{kind}", json=body, headers=headers, timeout=10).json()
        assert answer["status"] == "success", answer
        return answer["value"]


def account_for(url: str) -> Account:
    """The test person of the server started at ``url``."""
    return SERVERS[url].account()


class SessiondocsServer:
    """``python -m sessiondocs serve --port PORT --data-dir DIR`` as a subprocess."""

    def __init__(self, data_dir: Path, port: int | None = None) -> None:
        self.data_dir = data_dir
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = data_dir.parent / f"sessiondocs-{self.port}.log"
        self.process: subprocess.Popen[bytes] | None = None
        self._account: Account | None = None

    def account(self) -> Account:
        """The person of this server's tests (made on first use; kept across restarts)."""
        if self._account is None:
            self._account = Account.sign_up(self.url, f"agent-owner@{SIGNUP_DOMAIN}")
        return self._account

    def start(self, timeout: float = 30) -> SessiondocsServer:
        """Start the server and wait until it answers ``/version``."""
        command = [sys.executable, "-m", "sessiondocs", "serve", "--port", str(self.port)]
        command += ["--data-dir", str(self.data_dir)]
        env = source_env(SESSIONDOCS_SIGNUP_DOMAINS=SIGNUP_DOMAIN)
        self.process = start_process(command, self.url, self.log, env=env, timeout=timeout)
        SERVERS[self.url] = self
        return self

    def stop(self) -> None:
        """SIGTERM, then SIGKILL after 10 s; the data directory stays."""
        if self.process is not None:
            stop_process(self.process)


@contextlib.contextmanager
def xvfb_display() -> Iterator[str]:
    """A fresh Xvfb display (1280x800, 24 bit), numbered by Xvfb itself: its ``DISPLAY``."""
    read_end, write_end = os.pipe()
    xvfb = subprocess.Popen(
        ["Xvfb", "-displayfd", str(write_end), "-screen", "0", "1280x800x24", "-nolisten", "tcp"],
        pass_fds=(write_end,),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    os.close(write_end)
    try:
        if not select.select([read_end], [], [], 10)[0]:
            raise RuntimeError("Xvfb did not start")
        yield ":" + os.read(read_end, 32).decode().strip()
    finally:
        os.close(read_end)
        xvfb.terminate()
        xvfb.wait(10)


@pytest.fixture
def sessiondocs_process(tmp_path: Path) -> Iterator[SessiondocsServer]:
    """A running sessiondocs server on a fresh data directory, stopped afterwards."""
    server = SessiondocsServer(tmp_path / "server" / "data").start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def sessiondocs_server(sessiondocs_process: SessiondocsServer) -> str:
    """The URL of a running sessiondocs server on a fresh data directory."""
    return sessiondocs_process.url
