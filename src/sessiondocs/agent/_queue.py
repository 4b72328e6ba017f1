"""Frames waiting on disk for upload, one directory per session.

    <root>/<sessionId>/session.json      who, what, and how far (SessionInfo)
    <root>/<sessionId>/0001-20261124T101500.png
    <root>/<sessionId>/0001-20261124T101500.json   {"filename", "capturedAt", "storageId"?,
                                                    "event"?, "secrets"?}
    <root>/<sessionId>/rejected/         frames the server refused, kept for a person to see

A frame is written (PNG, then its JSON, each to a temporary name renamed into place) before
any upload is tried, and removed only once the server has registered it; a frame exists for
the queue when its JSON does. The directory is locked while an agent owns it, so a second
agent started with the same queue never uploads the same frames.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import threading
import time
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import IO, Any

try:
    import fcntl
except ImportError:  # Windows: no advisory locks; one agent per queue directory there
    fcntl = None  # type: ignore[assignment]

INFO = "session.json"
LOCK = ".lock"
REJECTED = "rejected"

CAPTURING = "capturing"  # an agent is (or was, until it crashed) capturing into it
STOPPED = "stopped"  # capture ended; upload what is left, then complete the session
ABANDONED = "abandoned"  # the server refused the session itself; kept, never retried


class QueueBusy(Exception):
    """Another agent holds this session's queue."""


@dataclass
class SessionInfo:
    """A session as the agent keeps it on disk (``session.json``)."""

    sessionId: str
    pcName: str
    redact: bool = True
    title: str | None = None
    startedAt: float = 0.0  # ms since the epoch
    state: str = CAPTURING
    createdOnServer: bool = False
    lastNumber: int = 0  # the number of the last frame queued

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> SessionInfo:
        known = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}
        return cls(**known)


@dataclass(frozen=True)
class QueuedFrame:
    """One frame in the queue."""

    filename: str
    capturedAt: float  # ms since the epoch
    path: Path  # the PNG
    storageId: str | None = None  # uploaded already, not yet registered
    event: dict[str, Any] | None = None  # the input it was captured just after (InputEvent)
    secrets: list[list[int]] | None = None  # password fields showing: [left, top, w, h] each

    @property
    def meta(self) -> Path:
        return self.path.with_suffix(".json")

    def read(self) -> bytes:
        return self.path.read_bytes()


def write_atomic(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` so that a crash leaves the old file or the new one whole."""
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "wb") as out:
        out.write(data)
        out.flush()
        os.fsync(out.fileno())
    os.replace(tmp, path)


def frame_filename(number: int, captured_at: float) -> str:
    """``0001-20261124T101500.png``: the frame's number, then its local capture time."""
    stamp = time.strftime("%Y%m%dT%H%M%S", time.localtime(captured_at / 1000))
    return f"{number:04d}-{stamp}.png"


def frame_number(filename: str) -> int:
    """The number a frame's file name starts with (0 if none)."""
    head = filename.split("-", 1)[0]
    return int(head) if head.isdigit() else 0


class FrameQueue:
    """One session's frames on disk; safe to share between the capture and upload threads."""

    def __init__(self, directory: Path, info: SessionInfo, lock: IO[bytes] | None) -> None:
        self.directory = directory
        self.info = info
        self._lock_file = lock
        self._mutex = threading.Lock()

    # --- opening --------------------------------------------------------------------------

    @classmethod
    def create(cls, root: Path, info: SessionInfo) -> FrameQueue:
        """A new, empty queue for ``info``'s session under ``root``."""
        directory = root / info.sessionId
        directory.mkdir(parents=True, exist_ok=False)
        queue = cls(directory, info, _lock(directory))
        queue.save()
        return queue

    @classmethod
    def open(cls, directory: Path) -> FrameQueue:
        """The queue left in ``directory`` by an earlier run; QueueBusy if an agent holds it."""
        lock = _lock(directory)
        try:
            info = SessionInfo.from_json(json.loads((directory / INFO).read_text()))
        except BaseException:
            _unlock(lock)
            raise
        queue = cls(directory, info, lock)
        queue._clean()
        # why: a crash between writing a frame and saving session.json must not reuse its number
        info.lastNumber = max(
            [info.lastNumber, *(frame_number(f.filename) for f in queue.pending())]
        )
        return queue

    @classmethod
    def unfinished(cls, root: Path) -> list[FrameQueue]:
        """The queues under ``root`` still to capture into or to upload, oldest first.

        Queues held by another running agent, abandoned ones and unreadable ones are left
        alone.
        """
        found = []
        for info_path in sorted(root.glob(f"*/{INFO}")):
            try:
                queue = cls.open(info_path.parent)
            except (QueueBusy, OSError, ValueError, TypeError):
                continue
            if queue.info.state in (CAPTURING, STOPPED):
                found.append(queue)
            else:
                queue.close()
        return sorted(found, key=lambda q: q.info.startedAt)

    def close(self) -> None:
        """Release the lock (the files stay)."""
        _unlock(self._lock_file)
        self._lock_file = None

    def __enter__(self) -> FrameQueue:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # --- session state ----------------------------------------------------------------------

    def save(self) -> None:
        """Write ``session.json``."""
        with self._mutex:
            data = json.dumps(asdict(self.info), indent=1).encode()
            write_atomic(self.directory / INFO, data)

    def update(self, **changes: Any) -> None:
        """Change fields of the session's info and save it."""
        with self._mutex:
            for name, value in changes.items():
                setattr(self.info, name, value)
        self.save()

    # --- frames ------------------------------------------------------------------------------

    def put(
        self,
        png: bytes,
        captured_at: float,
        event: dict[str, Any] | None = None,
        secrets: list[list[int]] | None = None,
    ) -> QueuedFrame:
        """Queue a frame captured at ``captured_at`` (ms since the epoch) under the next number,
        with the input ``event`` it was captured just after, if any, and the boxes of the
        password fields showing on it (``secrets``)."""
        with self._mutex:
            number = self.info.lastNumber + 1
            self.info.lastNumber = number
        filename = frame_filename(number, captured_at)
        frame = QueuedFrame(filename, captured_at, self.directory / filename, None, event, secrets)
        write_atomic(frame.path, png)
        self._write_meta(frame)
        self.save()
        return frame

    def pending(self) -> list[QueuedFrame]:
        """The frames still to upload, in capture order."""
        frames = []
        metas = [m for m in self.directory.glob("*.json") if m.name != INFO]
        for meta in sorted(metas, key=lambda m: (frame_number(m.name), m.name)):
            try:
                data = json.loads(meta.read_text())
                frame = QueuedFrame(
                    data["filename"],
                    data["capturedAt"],
                    meta.with_suffix(".png"),
                    data.get("storageId"),
                    data.get("event"),
                    data.get("secrets"),
                )
            except (OSError, ValueError, KeyError):
                continue  # removed meanwhile, or damaged: _clean deals with it on the next open
            if frame.path.exists():
                frames.append(frame)
        return frames

    def remember_upload(self, frame: QueuedFrame, storage_id: str | None) -> QueuedFrame:
        """Record (or forget) that ``frame``'s file is uploaded as ``storage_id``."""
        updated = replace(frame, storageId=storage_id)
        self._write_meta(updated)
        return updated

    def remove(self, frame: QueuedFrame) -> None:
        """Forget an uploaded frame (its JSON first: without it the PNG is no longer queued)."""
        frame.meta.unlink(missing_ok=True)
        frame.path.unlink(missing_ok=True)

    def set_aside(self, frame: QueuedFrame, error: str) -> Path:
        """Move a frame the server refused to ``rejected/``, with the error; returns its path."""
        aside = self.directory / REJECTED
        aside.mkdir(exist_ok=True)
        meta = {"filename": frame.filename, "capturedAt": frame.capturedAt, "error": error}
        write_atomic(aside / frame.meta.name, json.dumps(meta).encode())
        frame.meta.unlink(missing_ok=True)
        target = aside / frame.filename
        with contextlib.suppress(FileNotFoundError):
            os.replace(frame.path, target)
        return target

    def finish(self) -> bool:
        """Delete the queue of a completed session; returns False (and keeps the directory,
        marked done) when it holds rejected frames."""
        if (self.directory / REJECTED).is_dir():
            self.update(state="done")
            self.close()
            return False
        self.close()
        shutil.rmtree(self.directory, ignore_errors=True)
        return True

    def _write_meta(self, frame: QueuedFrame) -> None:
        meta: dict[str, Any] = {"filename": frame.filename, "capturedAt": frame.capturedAt}
        if frame.storageId is not None:
            meta["storageId"] = frame.storageId
        if frame.event is not None:
            meta["event"] = frame.event
        if frame.secrets is not None:
            meta["secrets"] = frame.secrets
        write_atomic(frame.meta, json.dumps(meta).encode())

    def _clean(self) -> None:
        """Drop what a crash can leave behind: temporary files, PNGs without their JSON."""
        for tmp in self.directory.glob("*.tmp"):
            tmp.unlink(missing_ok=True)
        for png in self.directory.glob("*.png"):
            if not png.with_suffix(".json").exists():
                png.unlink(missing_ok=True)


def _lock(directory: Path) -> IO[bytes] | None:
    if fcntl is None:
        return None
    handle = open(directory / LOCK, "ab")  # noqa: SIM115 -- held open for the queue's life
    try:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        handle.close()
        raise QueueBusy(f"{directory} is in use by another agent") from None
    return handle


def _unlock(handle: IO[bytes] | None) -> None:
    if handle is not None:
        handle.close()  # closing the file releases the flock
