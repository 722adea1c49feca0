"""What every benchmark needs: the machine, a standalone mock, timed commands.

Benchmarks print figures and never assert on them. All traffic goes to a mock
on 127.0.0.1 that the benchmark starts and stops itself; every run has a time
limit.
"""

from __future__ import annotations

import json
import os
import platform
import re
import shutil
import signal
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from benchmarks.mock_load import TOKEN, start_server

ROOT = Path(__file__).resolve().parent.parent
CACHE = ROOT / "benchmarks" / ".cache"
# The measured commands' Python: run_all.py points this at benchmarks/.cache/user-venv
# (benchmarks/user_env.py) before it imports any benchmark.
PYTHON = sys.executable
RUN_LIMIT = 900.0  # seconds: no single command of a benchmark may run longer


def machine() -> str:
    """One line that says where the figures come from."""
    cpu = platform.processor() or "unknown CPU"
    try:
        found = re.search(r"^model name\s*:\s*(.+)$", Path("/proc/cpuinfo").read_text(), re.M)
        if found:
            cpu = found.group(1).strip()
    except OSError:
        pass
    memory = ""
    try:
        found = re.search(r"^MemTotal:\s*(\d+) kB", Path("/proc/meminfo").read_text(), re.M)
        if found:
            memory = f", {int(found.group(1)) / 1024**2:.0f} GiB"
    except OSError:
        pass
    return (f"{os.cpu_count()} CPUs ({cpu}){memory}, Python {platform.python_version()}, "
            f"{platform.system()} {platform.release()}")


def child_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    """The environment for a measured command: ours plus ``extra``, bytecode caches on.

    Users run with bytecode caches; a PYTHONDONTWRITEBYTECODE inherited from a
    CI or sandbox shell would make every start-up compile everything again.
    """
    env = {**os.environ, **(extra or {})}
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


@dataclass
class Timing:
    seconds: float
    peak_rss_mb: float
    output: str


def run(command: Sequence[str], *, cwd: Path, env: dict[str, str] | None = None,
        expect_ok: bool = True) -> Timing:
    """Run ``command``, timing it and reading its peak memory from the kernel."""
    log = cwd / ".last-run.log"
    with log.open("wb") as out:
        started = time.perf_counter()
        process = subprocess.Popen(list(command), cwd=cwd, stdout=out, stderr=subprocess.STDOUT,
                                   env=child_env(env))
        deadline = started + RUN_LIMIT
        while True:
            pid, status, usage = os.wait4(process.pid, os.WNOHANG)
            if pid:
                break
            if time.perf_counter() > deadline:
                process.kill()
                raise SystemExit(f"{command[0]} ran past {RUN_LIMIT:.0f}s: stopped")
            time.sleep(0.005)
        seconds = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    output = log.read_text("utf-8", "replace")
    if expect_ok and process.returncode != 0:
        tail = "\n".join(output.splitlines()[-25:])
        raise SystemExit(f"{' '.join(command[:4])} ... failed ({process.returncode}):\n{tail}")
    return Timing(seconds, usage.ru_maxrss / 1024, output)  # ru_maxrss is in KiB on Linux


def best(timings: Sequence[Timing]) -> Timing:
    """The fastest of repeated runs: the least disturbed by everything else on the machine."""
    return min(timings, key=lambda t: t.seconds)


def spread(timings: Sequence[Timing]) -> str:
    values = [t.seconds for t in timings]
    if len(values) < 2:
        return ""
    return f"(best of {len(values)}; median {statistics.median(values):.2f}s)"


def fresh(folder: Path) -> Path:
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    # A neutral pytest root: the project's own pytest settings (plugins, timeouts)
    # must not apply to the suites being measured.
    ini = CACHE / "pytest.ini"
    if not ini.exists():
        ini.write_text("[pytest]\n", "utf-8")
    return folder


@contextmanager
def standalone_mock(folder: Path) -> Iterator[str]:
    """``osvi-mock serve`` with the demo agent on 127.0.0.1; yields its base URL."""
    fresh(folder)
    process, url, _ = start_server(folder, "warning", agents_yaml=None)
    try:
        yield url
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(5)


def runner_env(url: str) -> dict[str, str]:
    """The environment for this runner in live mode against the standalone mock."""
    return {"OSVI_API_TOKEN": TOKEN, "OSVI_BASE_URL": url, "OSVI_AGENT_UUID": "agent_demo"}


def pytest_command(*args: str | Path) -> list[str]:
    return [PYTHON, "-m", "pytest", "-p", "no:cacheprovider", "-q", *map(str, args)]


def run_phase(command: list[str], *, cwd: Path, env: dict[str, str] | None = None
              ) -> tuple[Timing, float]:
    """Run a pytest command; also returns how long its run loop took (collection left out)."""
    record = cwd / ".run-phase.json"
    record.unlink(missing_ok=True)
    timing = run([*command, "-p", "benchmarks.timing_plugin"], cwd=cwd,
                 env={**(env or {}), "OSVI_BENCH_TIMING": str(record),
                      "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])})
    return timing, float(json.loads(record.read_text())["run_seconds"])
