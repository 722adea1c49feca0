"""Every benchmark, one command: ``.venv/bin/python benchmarks/run_all.py``.

Prints figures for docs/performance.md; asserts nothing (exit 0 unless a
benchmark could not run at all). All traffic stays on 127.0.0.1. Tavern is
installed on first use into benchmarks/.cache/tavern-venv (needs PyPI).

    --quick        smaller suites (a minute or two), for trying things out
    --only NAME    overhead, conversations, latency, collection or memory (repeatable)
    --no-tavern    leave Tavern out (offline machines)
    --dev-venv     measure with the development virtualenv instead of a user's install
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks import common
from benchmarks.common import machine
from benchmarks.tavern_env import Tavern, ensure_tavern
from benchmarks.user_env import ensure_user_env

NAMES = ("overhead", "conversations", "latency", "collection", "memory")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="smaller suites")
    parser.add_argument("--only", action="append", choices=NAMES, help="run only this one")
    parser.add_argument("--no-tavern", action="store_true", help="leave Tavern out")
    parser.add_argument("--refresh-tavern", action="store_true", help="reinstall Tavern")
    parser.add_argument("--dev-venv", action="store_true",
                        help="measure with this virtualenv, dev tools and all, not a user's")
    args = parser.parse_args()
    if not args.dev_venv:
        common.PYTHON = str(ensure_user_env())
    # Imported now: they take common.PYTHON by name.
    from benchmarks import collection, conversations, latency, memory, overhead
    chosen = args.only or list(NAMES)
    tavern: Tavern | None = None
    if not args.no_tavern and {"overhead", "conversations", "collection"} & set(chosen):
        tavern = ensure_tavern(refresh=args.refresh_tavern)
    quick = args.quick
    benchmarks: dict[str, Callable[[], list[str]]] = {
        "overhead": lambda: overhead.run_benchmark(
            tavern, small=20 if quick else 50, large=80 if quick else 250,
            repeat=1 if quick else 3),
        "conversations": lambda: conversations.run_benchmark(
            tavern, conversations=50 if quick else 200),
        "latency": lambda: latency.run_benchmark(
            scenarios=64 if quick else 192, levels=(16, 64) if quick else (1, 16, 64)),
        "collection": lambda: collection.run_benchmark(
            tavern, files=400 if quick else 2000, repeat=1 if quick else 3),
        "memory": lambda: memory.run_benchmark(scenarios=400 if quick else 2000),
    }
    print(f"machine: {machine()}", flush=True)
    print("measured with " + ("the development virtualenv" if args.dev_venv else
                              "a user's install (benchmarks/.cache/user-venv: pip install -e .)")
          + f": {common.PYTHON}", flush=True)
    print("bytecode caches on (measured commands never get PYTHONDONTWRITEBYTECODE)", flush=True)
    if tavern is not None:
        print(f"Tavern {tavern.version} on pytest {tavern.pytest_version}", flush=True)
    started = time.perf_counter()
    for name in chosen:
        began = time.perf_counter()
        lines = benchmarks[name]()
        print("\n" + "\n".join(lines), flush=True)
        print(f"  ({time.perf_counter() - began:.0f}s)", flush=True)
    print(f"\nall done in {time.perf_counter() - started:.0f}s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
