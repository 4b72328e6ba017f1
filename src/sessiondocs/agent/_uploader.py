"""The upload thread: drains frame queues to the server, retrying with backoff.

Work is done one step at a time, oldest session first: create the session on the server,
upload and register its oldest queued frame, or, once a stopped session's queue is empty,
complete it and delete its queue. A ServerUnavailable error leaves everything on disk and
retries the same step after a growing delay (capped at a few seconds) while capture goes on.
"""

from __future__ import annotations

import contextlib
import threading
import time

import httpx

from sessiondocs.agent._client import Client, ServerRejected, ServerUnavailable
from sessiondocs.agent._queue import ABANDONED, STOPPED, FrameQueue, QueuedFrame
from sessiondocs.agent._report import Reporter

SESSION_CLOSED = ("session_completed", "not_found")  # codes saying the session took no frames


class Backoff:
    """Delays between retries: ``first`` seconds, doubling up to ``cap``."""

    def __init__(self, first: float = 0.5, cap: float = 4.0) -> None:
        self.first = first
        self.cap = cap
        self._next = first

    def next(self) -> float:
        delay, self._next = self._next, min(self.cap, self._next * 2)
        return delay

    def reset(self) -> None:
        self._next = self.first


class Uploader:
    """Uploads the frames of ``queues`` (the last one is the session being captured)."""

    def __init__(
        self,
        client: Client,
        queues: list[FrameQueue],
        report: Reporter,
        backoff: Backoff | None = None,
    ) -> None:
        self.client = client
        self.queues = list(queues)
        self.current = queues[-1]
        self.report = report
        self.backoff = backoff or Backoff()
        self.uploaded: dict[str, int] = {}  # frames registered, by session
        self.rejected = 0
        self.completed: set[str] = set()  # sessions completed on the server
        self.closed_reason: str | None = None  # why the current session can take no frames
        self._wake = threading.Event()
        self._finishing = False
        self._closing = threading.Event()
        self._outage_since: float | None = None
        self._thread = threading.Thread(target=self._run, name="sessiondocs-upload", daemon=True)

    @property
    def in_outage(self) -> bool:
        """Whether the last call to the server failed for want of a server."""
        return self._outage_since is not None

    def queued(self) -> int:
        """How many frames wait for upload, all sessions together."""
        return sum(len(q.pending()) for q in list(self.queues))

    def start(self) -> None:
        self._thread.start()

    def wake(self) -> None:
        """A frame was queued: upload it now (unless waiting out a retry delay)."""
        self._wake.set()

    def finish(self, timeout: float, abort: threading.Event | None = None) -> bool:
        """Upload what is queued and complete stopped sessions, for at most ``timeout``
        seconds (or until ``abort`` is set); returns whether everything got through."""
        self._finishing = True
        self._wake.set()
        deadline = time.monotonic() + timeout
        while self._thread.is_alive() and time.monotonic() < deadline:
            if abort is not None and abort.is_set():
                break
            self._thread.join(0.1)
        self._closing.set()
        self._wake.set()
        return not self._thread.is_alive()

    # --- the thread ---------------------------------------------------------------------------

    def _run(self) -> None:
        while not self._closing.is_set():
            try:
                worked = self._step()
            except ServerUnavailable as exc:
                self._outage(exc)
                self._closing.wait(self.backoff.next())
                continue
            except Exception as exc:  # never let the thread die with frames left behind
                self.report.warn(f"upload failed unexpectedly ({exc!r}); retrying")
                self._closing.wait(self.backoff.next())
                continue
            self._recovered()  # it answered, if only to refuse
            if worked:
                continue
            if self._finishing:
                return
            self._wake.wait()
            self._wake.clear()

    def _step(self) -> bool:
        """Do the next piece of work; False when there is none."""
        for queue in self.queues:
            info = queue.info
            if not info.createdOnServer:
                self._create(queue)
                return True
            frames = queue.pending()
            if frames:
                self._send(queue, frames[0])
                return True
            if info.state == STOPPED:
                self._complete(queue)
                return True
        return False

    def _create(self, queue: FrameQueue) -> None:
        try:
            self.client.create_session(queue.info)
        except ServerRejected as exc:
            queue.update(state=ABANDONED)
            self.queues.remove(queue)
            message = f"the server refused session {queue.info.sessionId}: {exc}"
            self.report.warn(f"{message}; its frames stay in {queue.directory}")
            if queue is self.current:
                self.closed_reason = message
            return
        queue.update(createdOnServer=True)

    def _send(self, queue: FrameQueue, frame: QueuedFrame) -> None:
        session_id = queue.info.sessionId
        reused = frame.storageId is not None
        try:
            if frame.storageId is None:
                frame = queue.remember_upload(frame, self.client.upload(frame.read()))
            assert frame.storageId is not None
            self.client.register_screenshot(
                session_id,
                frame.filename,
                frame.storageId,
                frame.capturedAt,
                frame.event,
                frame.secrets,
            )
        except ServerRejected as exc:
            if reused:
                # why: the file uploaded before an outage may be gone (a wiped data dir);
                # one more try with a fresh upload tells that apart from a refused frame
                queue.remember_upload(frame, None)
                return
            self._discard(frame.storageId)
            self._reject(queue, frame, exc)
            return
        self._recovered()  # why: say the server is back before saying what got through
        queue.remove(frame)
        self.uploaded[session_id] = self.uploaded.get(session_id, 0) + 1
        left = len(queue.pending())
        whose = "" if queue is self.current else f" of earlier session {session_id}"
        queued = f" ({left} queued)" if left else ""
        self.report.info(f"uploaded {frame.filename}{whose}{queued}")

    def _discard(self, storage_id: str | None) -> None:
        """Have the server drop the upload of a refused frame (the frame stays on disk)."""
        if storage_id is None:
            return
        # why: best effort; an orphaned upload costs disk on the server, not correctness
        with contextlib.suppress(ServerRejected, ServerUnavailable):
            self.client.mutation("screenshots:discardUpload", {"storageId": storage_id})

    def _reject(self, queue: FrameQueue, frame: QueuedFrame, exc: ServerRejected) -> None:
        kept = queue.set_aside(frame, str(exc))
        self.rejected += 1
        self.report.warn(f"the server refused {frame.filename}: {exc}; kept as {kept}")
        if exc.code in SESSION_CLOSED and queue is self.current:
            self.closed_reason = f"session {queue.info.sessionId} no longer takes frames: {exc}"

    def _complete(self, queue: FrameQueue) -> None:
        session_id = queue.info.sessionId
        try:
            self.client.complete_session(session_id)
            self.completed.add(session_id)
        except ServerRejected as exc:
            self.report.warn(f"could not complete session {session_id}: {exc}")
        queue.finish()
        self.queues.remove(queue)
        if queue is not self.current:
            count = plural(self.uploaded.get(session_id, 0), "frame")
            self.report.info(f"earlier session {session_id}: {count} uploaded, completed")

    def _outage(self, exc: ServerUnavailable) -> None:
        if self._outage_since is not None:
            return
        self._outage_since = time.monotonic()
        what = "unreachable" if isinstance(exc.__cause__, httpx.TransportError) else "unavailable"
        self.report.warn(
            f"server {what} at {self.client.url} ({exc}), retrying; capture goes on and "
            f"frames wait in {self.current.directory}"
        )

    def _recovered(self) -> None:
        if self._outage_since is None:
            return
        seconds = time.monotonic() - self._outage_since
        self._outage_since = None
        self.backoff.reset()
        left = self.queued()
        more = f"; {plural(left, 'queued frame')} to upload" if left else ""
        self.report.info(f"server reachable after {seconds:.0f} s of retries{more}")


def plural(count: int, noun: str) -> str:
    """``1 frame``, ``2 frames``."""
    return f"{count} {noun}" + ("" if count == 1 else "s")
