"""``make demo``: what livebase can show today.

Runs the tasks example (examples/tasks) on a real SQLite database in ``.livebase/demo``:
adds tasks through mutations, completes one, and prints the live state through queries,
then the same through the ``livebase run`` command a user would type.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from livebase import ConvexError, values
from livebase.runtime import Runtime

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "tasks"


def main() -> int:
    data_dir = Path(".livebase") / "demo"
    print(f"livebase demo: app {EXAMPLE.relative_to(ROOT)}, data in {data_dir}/")
    with Runtime(EXAMPLE, data_dir) as runtime:
        for text in ("Read the architecture doc", "Write a query", "Ship it"):
            task_id = runtime.call("tasks:addTask", {"text": text})
            print(f"  tasks:addTask {text!r} -> {task_id}")
        first = runtime.call("tasks:listTasks", {"done": False})[0]
        runtime.call("tasks:complete", {"id": first["_id"]})
        print(f"  tasks:complete {first['_id']}")
        try:
            runtime.call("tasks:addTask", {"text": "  "})
        except ConvexError as exc:
            print(f"  tasks:addTask '  ' -> ConvexError {json.dumps(exc.data)}")
        open_tasks = runtime.call("tasks:listTasks", {"done": False})
        print("  tasks:listTasks {done: false} ->")
        print(json.dumps(values.to_clean_json(open_tasks), indent=2))
    print("\nTry it yourself:")
    print(
        f"  .venv/bin/livebase run {EXAMPLE.relative_to(ROOT)} tasks:listTasks '{{}}' "
        f"--data-dir {data_dir}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
