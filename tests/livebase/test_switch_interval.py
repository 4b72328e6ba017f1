"""The switch interval a server runs with: the normal one, and a short one only while a
function runs long (execution.py, ``adapt_switch_interval``)."""

from __future__ import annotations

import sys
import threading
import time

import pytest

from livebase.runtime import execution


@pytest.fixture
def watchdog(monkeypatch):
    """A watchdog of the test's own, and the interpreter's switch interval put back after."""
    original = sys.getswitchinterval()
    monkeypatch.setattr(execution, "_watchdog", execution._Watchdog())
    yield execution._watchdog
    sys.setswitchinterval(original)


def wait_for(condition, timeout: float = 1.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.001)
    return condition()


def test_the_interval_is_short_only_while_a_run_is_long_then_normal_again(watchdog):
    sys.setswitchinterval(0.005)
    execution.adapt_switch_interval(0.005, 0.0002)
    release = threading.Event()

    def long_run() -> None:
        with execution.limited("fns:long", "query", 5.0):
            release.wait(5)

    thread = threading.Thread(target=long_run)
    thread.start()
    try:
        assert wait_for(lambda: sys.getswitchinterval() == pytest.approx(0.0002))
    finally:
        release.set()
        thread.join()
    assert wait_for(lambda: sys.getswitchinterval() == pytest.approx(0.005))


def test_short_runs_leave_the_normal_interval(watchdog):
    sys.setswitchinterval(0.005)
    execution.adapt_switch_interval(0.005, 0.0002)
    seen = set()
    for _ in range(200):
        with execution.limited("fns:short", "query", 5.0):
            seen.add(sys.getswitchinterval())
    assert seen == {0.005}


def test_a_second_server_keeps_the_first_normal_interval(watchdog):
    execution.adapt_switch_interval(0.005, 0.0002)
    sys.setswitchinterval(0.0002)  # as if a long run were going on when it starts
    execution.adapt_switch_interval(sys.getswitchinterval(), 0.0002)
    assert watchdog._normal_switch == pytest.approx(0.005)
