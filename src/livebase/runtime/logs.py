"""Log lines: what a function prints, returned to the client as Convex's ``logLines``.

Inside ``capture()``, text written to ``sys.stdout`` becomes ``[LOG] ...`` lines and text
written to ``sys.stderr`` ``[ERROR] ...`` lines of that capture only (a context variable tells
concurrent functions apart, threads and tasks included); elsewhere both streams behave as
always. The official clients print each line to the console, prefixed with the function's
name. (They are not also logged here: a log handler writing to the replaced stream would
feed its own output back into the capture.)
"""

from __future__ import annotations

import contextlib
import contextvars
import sys
import threading
from typing import Any, TextIO

MAX_LINES = 256
MAX_LINE_CHARS = 4096

_current: contextvars.ContextVar[LogLines | None] = contextvars.ContextVar(
    "livebase_log_lines", default=None
)
_install_lock = threading.Lock()


class LogLines:
    """The lines one function run wrote, at most MAX_LINES of MAX_LINE_CHARS each."""

    __slots__ = ("_dropped", "_partial", "lines", "path")

    def __init__(self, path: str = "") -> None:
        self.path = path
        self.lines: list[str] = []
        self._partial: dict[str, str] | None = None  # an unterminated last line per level
        self._dropped = 0

    def write(self, level: str, text: str) -> None:
        if self._partial is None:
            self._partial = {"[LOG]": "", "[ERROR]": ""}
        pending = self._partial[level] + text
        *complete, self._partial[level] = pending.split("\n")
        for line in complete:
            self._add(level, line)

    def _add(self, level: str, line: str) -> None:
        if len(self.lines) >= MAX_LINES:
            self._dropped += 1
            return
        if len(line) > MAX_LINE_CHARS:
            line = line[:MAX_LINE_CHARS] + "... (truncated)"
        self.lines.append(f"{level} {line}")

    def finish(self) -> list[str]:
        """The lines, with any unterminated last line and a note of lines dropped."""
        if self._partial is not None:
            for level, rest in self._partial.items():
                if rest:
                    self._add(level, rest)
                    self._partial[level] = ""
        if self._dropped:
            self.lines.append(f"[WARN] {self._dropped} more log lines were dropped")
            self._dropped = 0
        return self.lines


class _Stream:
    """Stands in for sys.stdout / sys.stderr: routes writes to the active capture, if any."""

    def __init__(self, original: TextIO, level: str) -> None:
        self._original = original
        self._level = level

    def write(self, text: str) -> int:
        lines = _current.get()
        if lines is None:
            return self._original.write(text)
        lines.write(self._level, text)
        return len(text)

    def flush(self) -> None:
        if _current.get() is None:
            self._original.flush()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._original, name)


def _install() -> None:
    # why: replaced once and for good: print() reads sys.stdout at each call, so the proxy
    # sees every write, and passes through untouched outside a capture
    with _install_lock:
        if not isinstance(sys.stdout, _Stream):
            sys.stdout = _Stream(sys.stdout, "[LOG]")
        if not isinstance(sys.stderr, _Stream):
            sys.stderr = _Stream(sys.stderr, "[ERROR]")


class capture_into:  # used like a function: ``with capture_into(lines):``
    """Collect what the code run inside prints into ``lines`` (also in threads and tasks it
    starts)."""

    # why: a class, not a generator context manager: every query and mutation enters one,
    # and a generator's frame costs several times more to set up and finish

    __slots__ = ("_lines", "_token")

    def __init__(self, lines: LogLines) -> None:
        self._lines = lines

    def __enter__(self) -> LogLines:
        if not isinstance(sys.stdout, _Stream) or not isinstance(sys.stderr, _Stream):
            _install()
        self._token = _current.set(self._lines)
        return self._lines

    def __exit__(self, *exc: object) -> None:
        _current.reset(self._token)
        self._lines.finish()


def capture(path: str = "") -> capture_into:
    """Collect what the code run inside prints, as a new ``LogLines`` for ``path``."""
    return capture_into(LogLines(path))


def forward(lines: list[str]) -> None:
    """Add lines a nested run returned (a query an action called) to the active capture."""
    current = _current.get()
    if current is not None:
        for line in lines:
            if len(current.lines) < MAX_LINES:
                current.lines.append(line)


def attach(exc: BaseException, lines: LogLines) -> None:
    """Keep a failed run's lines on its exception, for the error answer."""
    with contextlib.suppress(AttributeError):
        exc.log_lines = lines.finish()  # type: ignore[attr-defined]


def lines_of(exc: BaseException) -> list[str]:
    """The log lines a failed run left on its exception (see ``attach``)."""
    return list(getattr(exc, "log_lines", []))
