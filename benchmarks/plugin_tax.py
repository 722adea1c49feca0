"""The plugin's cost on a run that has nothing to do with scenarios.

Runs ``python -m pytest -q test_one.py`` (one trivial unit test, in a folder of
its own) with the plugin and with ``-p no:osvi``, interleaved so both see the
same machine load, with bytecode caches on (one warm-up run each writes them).
Prints the medians and their difference, in wall time and in CPU time (user +
system of the pytest process: steadier on a busy machine). Target: at most 50 ms.

    .venv/bin/python -m benchmarks.plugin_tax [--runs 30]
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TARGET_MS = 50.0
TEST = "def test_one():\n    assert 1 + 1 == 2\n"


def _cpu() -> float:
    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    return used.ru_utime + used.ru_stime


def _timed(command: list[str], cwd: Path, env: dict[str, str]) -> tuple[float, float]:
    """Wall and CPU seconds of one run."""
    started, cpu = time.perf_counter(), _cpu()
    done = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=120)
    elapsed, cpu_used = time.perf_counter() - started, _cpu() - cpu
    if done.returncode != 0 or "1 passed" not in done.stdout:
        raise SystemExit(f"{' '.join(command)} did not pass:\n{done.stdout}{done.stderr}")
    return elapsed, cpu_used


def measure(runs: int) -> dict[str, tuple[float, float]]:
    """Median (wall, CPU) seconds with the plugin and without, over ``runs`` interleaved pairs."""
    # The osvi settings of the shell would load the library on purpose: not this case.
    env = {name: value for name, value in os.environ.items() if not name.startswith("OSVI_")}
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    base = [sys.executable, "-m", "pytest", "-q", "test_one.py"]
    with_plugin: list[tuple[float, float]] = []
    without: list[tuple[float, float]] = []
    with tempfile.TemporaryDirectory(prefix="osvi-plugin-tax-") as folder:
        cwd = Path(folder)
        (cwd / "test_one.py").write_text(TEST, encoding="utf-8")
        _timed(base, cwd, env)  # warm-up: bytecode caches, assertion rewriting
        _timed([*base, "-p", "no:osvi"], cwd, env)
        for _ in range(runs):
            with_plugin.append(_timed(base, cwd, env))
            without.append(_timed([*base, "-p", "no:osvi"], cwd, env))
    return {name: (statistics.median(t[0] for t in times), statistics.median(t[1] for t in times))
            for name, times in (("ours", with_plugin), ("bare", without))}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=30, help="pairs of runs (default 30)")
    args = parser.parse_args(argv)
    found = measure(args.runs)
    (ours_wall, ours_cpu), (bare_wall, bare_cpu) = found["ours"], found["bare"]
    print(f"plugin tax: one plain unit test, median of {args.runs} interleaved runs")
    print("                      wall      CPU")
    print(f"  with the plugin   {ours_wall * 1000:7.1f}  {ours_cpu * 1000:7.1f} ms")
    print(f"  -p no:osvi        {bare_wall * 1000:7.1f}  {bare_cpu * 1000:7.1f} ms")
    print(f"  difference        {(ours_wall - bare_wall) * 1000:7.1f}  "
          f"{(ours_cpu - bare_cpu) * 1000:7.1f} ms  (target: at most {TARGET_MS:.0f} ms)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
