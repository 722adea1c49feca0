"""How long, and how much memory, each hostile scenario file takes to be refused.

Builds the corpus of ``tests/hostile`` in a temporary folder and loads every
file the way pytest collection does, measuring wall time and the peak of
Python allocations (tracemalloc) per file. The promise: every file is refused
within a second, without a memory blow-up.

Usage::

    .venv/bin/python benchmarks/hostile_files.py            # table, slowest first
    .venv/bin/python benchmarks/hostile_files.py --limit 1  # exit 1 if any file takes longer

The schemas are compiled once before the first measurement, as in a real run.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from runner.core.errors import ScenarioFileError  # noqa: E402
from runner.language.loader import MockFileCache, load_scenarios  # noqa: E402
from tests.hostile.generated import write_generated  # noqa: E402


def _load(path: Path) -> str:
    try:
        load_scenarios(path, os.environ, MockFileCache())
    except ScenarioFileError as error:
        return error.problems[0].format() if error.problems else "(no problem listed)"
    return "LOADED (expected a problem)"


def measure(path: Path) -> tuple[float, int, str]:
    """(seconds, peak bytes, first problem) for loading one file.

    Timed without tracemalloc (which slows parsing several times over), then
    loaded again under it for the memory peak.
    """
    started = time.perf_counter()
    outcome = _load(path)
    seconds = time.perf_counter() - started
    tracemalloc.start()
    _load(path)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return seconds, peak, outcome


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--limit", type=float, default=None,
                        help="fail (exit 1) when a file takes longer than this many seconds")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        shutil.copytree(ROOT / "tests" / "hostile" / "corpus", folder, dirs_exist_ok=True)
        write_generated(folder)
        _load(folder / "20-empty.scenario.yaml")  # one-time imports and schema compilation
        rows = [(path.name, *measure(path)) for path in sorted(folder.glob("*.scenario.yaml"))
                if path.is_file()]
    rows.sort(key=lambda row: row[1], reverse=True)
    print(f"{len(rows)} files on {os.cpu_count()} CPUs; slowest first")
    print(f"{'seconds':>8} {'peak MiB':>9}  first problem")
    for name, seconds, peak, outcome in rows:
        shown = outcome if outcome.startswith("LOADED") else outcome.split(":", 1)[1]
        print(f"{seconds:8.3f} {peak / 2**20:9.1f}  {name}:{shown[:90]}")
    slowest, heaviest = max(r[1] for r in rows), max(r[2] for r in rows)
    print(f"slowest {slowest:.3f}s, largest peak {heaviest / 2**20:.1f} MiB")
    loaded = [r[0] for r in rows if r[3].startswith("LOADED")]
    if loaded:
        print("accepted, but should be refused:", ", ".join(loaded))
    return 1 if loaded or (args.limit is not None and slowest > args.limit) else 0


if __name__ == "__main__":
    sys.exit(main())
