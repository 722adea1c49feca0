"""pytest in a child process, for the few tests whose point is the process itself.

Signals, exit codes after SIGTERM, pytest-xdist and memory need a real process;
everything else runs in process with ``pytester.runpytest``, about 30 times
faster. Tests that spawn carry the ``spawns`` mark (tests/README.md).
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Mapping
from pathlib import Path

import pytest

# Plugins no test needs inside the pytest it runs: schemathesis's (tested through its own
# CLI only) costs about 0.4 s at every start of a child pytest and 10 ms in process.
UNNEEDED_PLUGINS = "-p no:schemathesis"
SPAWNED_PYTEST = (sys.executable, "-m", "pytest", "-p", "no:cacheprovider",
                  *UNNEEDED_PLUGINS.split())


_LIMITED = ("import os, resource, sys; "
            "resource.setrlimit(resource.RLIMIT_AS, ({0}, {0})); "
            "os.execv(sys.argv[1], sys.argv[1:])")


def run_measured(folder: Path, *args: str, env: Mapping[str, str] | None = None,
                 timeout: float = 120, address_space: int | None = None
                 ) -> tuple[pytest.RunResult, int]:
    """pytest on ``folder`` in a child process: its result (stderr joined to stdout) and
    the child's own peak RSS in bytes.

    Not ``ru_maxrss``: Linux starts a child's count at the memory of the process it was
    forked (or vforked) from, which is hundreds of MB late in a long test run. The
    child's own high-water mark (``VmHWM``, reset by exec) is read while it runs.
    """
    output = folder / "output.txt"
    started = time.monotonic()
    with output.open("wb") as sink:
        # The limit is set by a small Python that then becomes pytest (exec keeps it).
        limit = [] if address_space is None else [
            sys.executable, "-c", _LIMITED.format(address_space)]
        child = subprocess.Popen(
            [*limit, *SPAWNED_PYTEST, "--rootdir", str(folder), str(folder), *args],
            cwd=folder, env={**os.environ, **(env or {})}, stdout=sink,
            stderr=subprocess.STDOUT)
    deadline = started + timeout
    peak = 0
    status_file = Path(f"/proc/{child.pid}/status")
    while True:
        pid, status, usage = os.wait4(child.pid, os.WNOHANG)
        if pid:
            break
        peak = max(peak, _high_water(status_file))
        if time.monotonic() > deadline:
            child.kill()
        time.sleep(0.005)
    child.returncode = os.waitstatus_to_exitcode(status)
    lines = output.read_text("utf-8", "replace").splitlines()
    result = pytest.RunResult(child.returncode, lines, [], time.monotonic() - started)
    return result, peak or usage.ru_maxrss * 1024


def _high_water(status_file: Path) -> int:
    """The process's peak resident memory in bytes (0 when it cannot be read)."""
    try:
        for line in status_file.read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return 0
