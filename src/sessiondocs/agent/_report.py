"""What the agent tells the person running it: progress on stdout, trouble on stderr."""

from __future__ import annotations

import sys
import threading
import time
from typing import TextIO


class Reporter:
    """Prints time-stamped lines, whole, from any thread."""

    def __init__(self, out: TextIO | None = None, err: TextIO | None = None) -> None:
        self._out = out
        self._err = err
        self._lock = threading.Lock()

    def info(self, message: str) -> None:
        """A progress line (stdout)."""
        self._print(self._out or sys.stdout, message)

    def warn(self, message: str) -> None:
        """Something the person should know about (stderr)."""
        self._print(self._err or sys.stderr, message)

    def _print(self, stream: TextIO, message: str) -> None:
        line = f"{time.strftime('%H:%M:%S')} {message}\n"
        with self._lock:
            stream.write(line)
            stream.flush()
