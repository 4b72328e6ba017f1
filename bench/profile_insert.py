"""Profile the engine's single-insert path: a loop of ``run_mutation("items:insert_item")``.

    python bench/profile_insert.py [N] [--sort cumtime|tottime] [--limit 40]

Runs N (default 3,000) inserts after a warm-up, under cProfile, into a fresh temporary
database, and prints the top functions.
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import random
import sys
import tempfile
from pathlib import Path

from livebase import Runtime

APP_DIR = Path(__file__).resolve().parent / "apps" / "benchapp"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("n", nargs="?", type=int, default=3000)
    parser.add_argument("--sort", default="cumtime")
    parser.add_argument("--limit", type=int, default=40)
    parser.add_argument("--synchronous", default="NORMAL")
    args = parser.parse_args(argv)
    rng = random.Random(1)
    items = [
        {"name": f"item-{i}", "value": float(i), "group": float(rng.randrange(1000))}
        for i in range(args.n + 200)
    ]
    with tempfile.TemporaryDirectory(prefix="livebase-profile-") as root:
        runtime = Runtime(APP_DIR, root, synchronous=args.synchronous)
        try:
            for item in items[:200]:
                runtime.run_mutation("items:insert_item", item)
            profiler = cProfile.Profile()
            profiler.enable()
            for item in items[200:]:
                runtime.run_mutation("items:insert_item", item)
            profiler.disable()
        finally:
            runtime.close()
    stats = pstats.Stats(profiler, stream=sys.stdout)
    stats.strip_dirs().sort_stats(args.sort).print_stats(args.limit)
    return 0


if __name__ == "__main__":
    sys.exit(main())
