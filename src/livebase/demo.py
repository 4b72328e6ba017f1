"""``make demo``: the tasks example (examples/tasks) served live, with demo data.

Seeds a few tasks into ``.livebase/demo`` (first run only), then serves the app on
http://127.0.0.1:3210 so the official Convex clients can talk to it, and prints how to try
it. ``--no-serve`` only seeds and prints (the test suite uses it).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from livebase.engine import values
from livebase.services.runtime import Runtime

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "tasks"
DEMO_TASKS = ("Read the architecture doc", "Write a query", "Ship it")


def seed(runtime: Runtime) -> None:
    """Add the demo tasks unless the database already has tasks."""
    if runtime.call("tasks:listTasks", {}):
        return
    for text in DEMO_TASKS:
        runtime.call("tasks:addTask", {"text": text})
    first = runtime.call("tasks:listTasks", {"done": False})[0]
    runtime.call("tasks:complete", {"id": first["_id"]})


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="livebase.demo", description=__doc__.split("\n")[0])
    parser.add_argument("--port", type=int, default=3210)
    parser.add_argument("--data-dir", default=str(Path(".livebase") / "demo"))
    parser.add_argument("--no-serve", action="store_true", help="seed and print, do not serve")
    opts = parser.parse_args(argv)
    app = EXAMPLE.relative_to(ROOT)
    runtime = Runtime(EXAMPLE, opts.data_dir)
    try:
        seed(runtime)
        open_tasks = runtime.call("tasks:listTasks", {"done": False})
        print(f"livebase demo: app {app}, data in {opts.data_dir}/")
        print("open tasks (tasks:listTasks {done: false}):")
        print(json.dumps(values.to_clean_json(open_tasks), indent=2))
        url = f"http://127.0.0.1:{opts.port}"
        print(f"\nTasks app: {url}")
        print("Try it while it runs:")
        print(f'  curl -s {url}/api/query -d \'{{"path": "tasks:listTasks", "args": {{}}}}\'')
        print(
            f'  curl -s {url}/api/mutation -d \'{{"path": "tasks:addTask", '
            f'"args": {{"text": "from curl"}}}}\''
        )
        print("  or any official Convex client pointed at that URL (ConvexClient(url)).")
        if opts.no_serve:
            return 0
        import uvicorn

        from livebase.server import create_app

        print("Press Ctrl-C to stop.", flush=True)
        uvicorn.run(create_app(runtime), host="127.0.0.1", port=opts.port, log_level="warning")
    finally:
        runtime.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
