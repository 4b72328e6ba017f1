"""The real wall clock, for commit timestamps and creation times.

Inside queries and mutations the runtime answers ``time.time()`` and ``time.time_ns()`` from a
frozen clock (``livebase.runtime.clock``); these are the originals, taken before that happens.
"""

from __future__ import annotations

import time

real_time = time.time
real_time_ns = time.time_ns
