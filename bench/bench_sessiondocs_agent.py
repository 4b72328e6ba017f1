"""sessiondocs capture agent: CPU use while the screen is idle.

The agent (``python -m sessiondocs agent``, default --poll 0.5 and --interval 10) runs
against a real ``python -m sessiondocs serve`` on an Xvfb display (1280x800) whose screen does
not change. After a warm-up (imports, the first frame encoded and uploaded), its process CPU
time (all threads, from ``/proc/PID/task/*/schedstat``) over ~20 s of wall time is
reported as % of one core. Baseline, measured over the same seconds side by side: a plain loop
that only grabs the same monitor with ``mss`` at the same interval (this module with
``--baseline POLL``). The ratio is what change detection (thumbnail, comparison, the policy)
and the idle upload thread cost on top of the grab itself.

Needs Linux (``/proc``) and Xvfb; skipped otherwise. Run it through ``bench/run.py`` or
alone: ``python bench/bench_sessiondocs_agent.py [--quick]``.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))

from tests.e2e.conftest import source_env, stop_process  # noqa: E402
from tests.sessiondocs.conftest import SessiondocsServer, xvfb_display  # noqa: E402

from bench_engine import Result, fresh_dir, say  # noqa: E402

POLL = 0.5  # the agent's default --poll
WARMUP = 4.0  # seconds before measuring: imports, first frame, first upload


def _cpu_seconds(pid: int) -> float:
    """CPU time of a process so far, all its threads, in seconds.

    ``/proc/PID/task/*/schedstat`` counts nanoseconds on the CPU; ``stat``'s utime + stime
    count 10 ms ticks, too coarse for a process using a fraction of a percent. Threads that
    ended are missing from the first, so both are read and the larger taken.
    """
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    ticks = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime, stime
    nanoseconds = 0
    for task in Path(f"/proc/{pid}/task").iterdir():
        with contextlib.suppress(OSError, ValueError, IndexError):
            nanoseconds += int((task / "schedstat").read_text().split()[0])
    return max(ticks, nanoseconds / 1e9)


@contextlib.contextmanager
def _process(args: list[str], env: dict[str, str], log: Path) -> Iterator[subprocess.Popen[bytes]]:
    with open(log, "ab") as out:
        process = subprocess.Popen(args, stdout=out, stderr=subprocess.STDOUT, cwd=ROOT, env=env)
    try:
        yield process
    finally:
        stop_process(process, signal.SIGINT, grace=30)  # why: on SIGINT the agent ends cleanly


def bench_idle_cpu(quick: bool, tmp: Path) -> Result:
    seconds = 6.0 if quick else 20.0
    python = sys.executable
    with xvfb_display() as display:
        server = SessiondocsServer(tmp / "data").start()
        shown = source_env(DISPLAY=display)
        agent = [python, "-m", "sessiondocs", "agent", "--url", server.url, "--poll", str(POLL)]
        agent += ["--token", server.account().device_token]
        agent += ["--queue-dir", str(tmp / "queue")]
        baseline = [python, str(Path(__file__).resolve()), "--baseline", str(POLL)]
        try:
            with (
                _process(agent, shown, tmp / "agent.log") as agent_proc,
                _process(baseline, shown, tmp / "baseline.log") as base_proc,
            ):
                time.sleep(WARMUP)
                start = time.monotonic()
                agent0, base0 = _cpu_seconds(agent_proc.pid), _cpu_seconds(base_proc.pid)
                time.sleep(seconds)
                agent1, base1 = _cpu_seconds(agent_proc.pid), _cpu_seconds(base_proc.pid)
                wall = time.monotonic() - start
        finally:
            server.stop()
    agent_pct = 100 * (agent1 - agent0) / wall
    base_pct = 100 * (base1 - base0) / wall
    log = (tmp / "agent.log").read_text()
    uploaded = log.count("uploaded 0")
    say(
        f"agent idle CPU: {agent_pct:.2f}% of one core over {wall:.0f} s (poll {POLL} s, "
        f"{uploaded} frame{'' if uploaded == 1 else 's'} uploaded); mss-grab loop {base_pct:.2f}%; "
        f"ratio {agent_pct / max(base_pct, 1e-9):.2f}x"
    )
    return Result(
        name=f"agent idle CPU (poll {POLL} s)",
        unit="%",
        engine=agent_pct,
        baseline=base_pct,
        ratio=agent_pct / max(base_pct, 1e-9),
        note="% of one core; baseline: mss grab loop at the same interval",
    )


def run(quick: bool = False, tmp_root: str | None = None) -> list[Result]:
    if shutil.which("Xvfb") is None or not Path("/proc/self/stat").exists():
        say("skipped: needs Xvfb and /proc (make system)")
        return []
    with fresh_dir(tmp_root) as tmp:
        return [bench_idle_cpu(quick, tmp)]


def baseline_loop(poll: float) -> None:
    """Grab the primary monitor every ``poll`` seconds, nothing else, until interrupted."""
    import mss

    factory = getattr(mss, "MSS", None) or mss.mss
    with contextlib.suppress(KeyboardInterrupt), factory() as screen:
        monitor = screen.monitors[1]
        while True:
            screen.grab(monitor)
            time.sleep(poll)


if __name__ == "__main__":
    if sys.argv[1:2] == ["--baseline"]:
        baseline_loop(float(sys.argv[2]))
    else:
        for result in run("--quick" in sys.argv):
            print(result)
