"""A client that stops reading is cut off instead of holding everyone up."""

from __future__ import annotations

import asyncio

from livebase.server import sync
from livebase.server.sync import SyncSession


class StuckSocket:
    """A WebSocket whose peer never reads: every send waits forever."""

    def __init__(self) -> None:
        self.closed_with: int | None = None
        self.client = None  # no peer address, as for a socket whose peer is gone
        self.headers: dict[str, str] = {}

    async def send_text(self, text: str) -> None:
        await asyncio.Event().wait()

    async def close(self, code: int = 1000) -> None:
        self.closed_with = code


class FakeServer:
    heartbeat = 15.0


def test_a_session_whose_queue_fills_is_closed_and_sending_never_blocks():
    async def scenario() -> tuple[SyncSession, StuckSocket]:
        ws = StuckSocket()
        session = SyncSession(FakeServer(), ws)  # type: ignore[arg-type]
        sender = asyncio.create_task(session._send_loop())
        for i in range(sync.SEND_QUEUE_LIMIT + 10):
            session.send(f'{{"n":{i}}}')  # returns at once even though nothing drains
        await asyncio.sleep(0.05)
        sender.cancel()
        return session, ws

    session, ws = asyncio.run(scenario())
    assert session.closed
    assert ws.closed_with == 1013
