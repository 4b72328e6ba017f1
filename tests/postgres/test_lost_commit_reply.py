"""A connection to PostgreSQL that breaks while a commit is on its way: the mutation's caller
learns what really happened. When the server committed and only its reply was lost, the
mutation succeeded (once); when the COMMIT never arrived, it failed and nothing was written.
The break is real: a TCP proxy between the runtime and the server cuts the connection."""

from __future__ import annotations

import contextlib
import socket
import threading
import urllib.parse
from collections.abc import Iterator
from pathlib import Path

import pytest

from livebase import Runtime
from tests import pgsupport
from tests.conftest import APPS


class CuttingProxy:
    """Forwards TCP connections to the server; once ``arm``ed, cuts the first connection
    that sends bytes holding ``marker`` (a commit's last round trip holds its NOTIFY payload,
    which ends with the persistence's instance name). ``"after"``: the rest of the round
    trip still reaches the server, its replies do not, and the connection is cut 0.3 s
    later (the server committed; the reply is lost). ``"before"``: it is cut at once,
    those bytes dropped (the COMMIT never arrives)."""

    def __init__(self, host: str, port: int) -> None:
        self.upstream = (host, port)
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.mode: str | None = None
        self.marker = b"-"
        self.lock = threading.Lock()
        self.sockets: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def arm(self, mode: str, marker: str) -> None:
        with self.lock:
            self.mode, self.marker = mode, marker.encode()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            server = socket.create_connection(self.upstream)
            self.sockets += [client, server]
            muted = threading.Event()  # replies of this connection go nowhere
            for src, dst, outbound in ((client, server, True), (server, client, False)):
                threading.Thread(
                    target=self._pump, args=(src, dst, outbound, muted), daemon=True
                ).start()

    def _pump(
        self, src: socket.socket, dst: socket.socket, outbound: bool, muted: threading.Event
    ) -> None:
        try:
            while chunk := src.recv(65536):
                cut: str | None = None
                if outbound and self.marker in chunk:
                    with self.lock:
                        cut, self.mode = self.mode, None
                if cut == "before":
                    break
                if cut == "after":
                    muted.set()
                    threading.Timer(0.3, self._cut, args=(src, dst)).start()
                if not (muted.is_set() and not outbound):
                    dst.sendall(chunk)
        except OSError:
            pass
        self._cut(src, dst)

    @staticmethod
    def _cut(*sockets: socket.socket) -> None:
        for s in sockets:
            with contextlib.suppress(OSError):
                s.shutdown(socket.SHUT_RDWR)
            s.close()

    def close(self) -> None:
        self.listener.close()
        self._cut(*self.sockets)


@pytest.fixture
def through_proxy(tmp_path: Path) -> Iterator[tuple[CuttingProxy, Runtime, Runtime]]:
    """A runtime whose connections go through the proxy, and one connected directly."""
    schema = pgsupport.new_schema()
    direct_url = pgsupport.deployment_url(schema)
    parts = urllib.parse.urlsplit(direct_url)
    proxy = CuttingProxy(parts.hostname or "127.0.0.1", parts.port or 5432)
    proxied_url = parts._replace(netloc=f"{parts.username}@127.0.0.1:{proxy.port}").geturl()
    runtime = Runtime(APPS / "notes", tmp_path / "a", db=proxied_url)
    direct = Runtime(APPS / "notes", tmp_path / "b", db=direct_url)
    try:
        yield proxy, runtime, direct
    finally:
        runtime.close()
        direct.close()
        proxy.close()
        pgsupport.drop_schema(schema)


def notes(runtime: Runtime, author: str) -> list[str]:
    return [n["body"] for n in runtime.run_query("notes:by_author", {"author": author}).value]


def test_a_commit_whose_reply_is_lost_is_reported_as_committed(through_proxy):
    proxy, runtime, direct = through_proxy
    runtime.run_mutation("notes:add_note", {"author": "ada", "body": "before"})
    proxy.arm("after", runtime.db.persistence._instance)  # type: ignore[attr-defined]

    result = runtime.run_mutation("notes:add_note", {"author": "ada", "body": "lost reply"})

    assert proxy.mode is None  # the connection was cut
    assert sorted(notes(direct, "ada")) == ["before", "lost reply"]  # written, once
    assert result.ts in {c.ts for c in direct.db.persistence.commits_since(result.ts - 1)}
    # the runtime goes on over a new connection, and knows its own commit
    runtime.run_mutation("notes:add_note", {"author": "ada", "body": "after"})
    assert sorted(notes(runtime, "ada")) == ["after", "before", "lost reply"]


def test_a_commit_cut_off_before_its_commit_fails_and_writes_nothing(through_proxy):
    proxy, runtime, direct = through_proxy
    runtime.run_mutation("notes:add_note", {"author": "ada", "body": "before"})
    proxy.arm("before", runtime.db.persistence._instance)  # type: ignore[attr-defined]

    with pytest.raises(Exception) as failure:
        runtime.run_mutation("notes:add_note", {"author": "ada", "body": "never"})

    assert proxy.mode is None
    assert "connection" in str(failure.value).lower()
    assert notes(direct, "ada") == ["before"]
    runtime.run_mutation("notes:add_note", {"author": "ada", "body": "after"})
    assert sorted(notes(runtime, "ada")) == ["after", "before"]
