"""Time and randomness, real and frozen.

Queries and mutations must be deterministic (Convex freezes ``Date.now()`` and seeds
``Math.random``). livebase does the same for the Python spellings: inside a query or mutation,
``time.time()``, ``time.time_ns()``, the ``random`` module's functions and ``uuid.uuid4()``
answer from a frozen clock and a seeded generator; everywhere else they are untouched. The
originals are kept here for the engine's own use.
"""

from __future__ import annotations

import contextvars
import random
import time
import uuid
from collections.abc import Callable
from typing import Any

from livebase.engine.wallclock import real_time, real_time_ns

_real_uuid4 = uuid.uuid4
_REAL_RANDOM: dict[str, Callable[..., Any]] = {}


class Frozen:
    """The frozen clock and seeded generator of one function run."""

    __slots__ = ("_rng", "seed", "time_ns")

    def __init__(self, time_ns: int, seed: int) -> None:
        self.time_ns = time_ns
        self.seed = seed
        self._rng: random.Random | None = None

    @property
    def rng(self) -> random.Random:
        # why: seeding a generator costs more than a whole small mutation; most functions
        # never draw a random number, so it is made on first use.
        if self._rng is None:
            self._rng = random.Random(self.seed)
        return self._rng


_current: contextvars.ContextVar[Frozen | None] = contextvars.ContextVar(
    "livebase_frozen", default=None
)
_installed = False


class frozen:  # used like a function: ``with frozen(t, seed):``
    """Freeze time at ``at_ns`` and seed randomness for the code run inside."""

    __slots__ = ("_state", "_token")

    def __init__(self, at_ns: int, seed: int) -> None:
        self._state = Frozen(at_ns, seed)

    def __enter__(self) -> Frozen:
        self._token = _current.set(self._state)
        return self._state

    def __exit__(self, *exc: object) -> None:
        _current.reset(self._token)


def _time() -> float:
    state = _current.get()
    return real_time() if state is None else state.time_ns / 1e9


def _time_ns() -> int:
    state = _current.get()
    return real_time_ns() if state is None else state.time_ns


def _uuid4() -> uuid.UUID:
    state = _current.get()
    if state is None:
        return _real_uuid4()
    return uuid.UUID(int=state.rng.getrandbits(128), version=4)


def _random_dispatch(name: str) -> Callable[..., Any]:
    original = _REAL_RANDOM[name]

    def dispatch(*args: Any, **kwargs: Any) -> Any:
        state = _current.get()
        if state is None:
            return original(*args, **kwargs)
        return getattr(state.rng, name)(*args, **kwargs)

    dispatch.__name__ = name
    dispatch.__doc__ = original.__doc__
    return dispatch


def install() -> None:
    """Route the module-level clock and random functions through the frozen state (once)."""
    global _installed
    if _installed:
        return
    _installed = True
    time.time = _time
    time.time_ns = _time_ns
    uuid.uuid4 = _uuid4
    shared = getattr(random, "_inst")  # noqa: B009 - the generator behind random's functions
    for name in random.__all__:
        func = getattr(random, name, None)
        if func is not None and getattr(func, "__self__", None) is shared:
            _REAL_RANDOM[name] = func
            setattr(random, name, _random_dispatch(name))
