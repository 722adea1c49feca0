"""pytest in a child process, for the few tests whose point is the process itself.

Signals, exit codes after SIGTERM, pytest-xdist and memory need a real process;
everything else runs in process with ``pytester.runpytest``, about 30 times
faster. Tests that spawn carry the ``spawns`` mark (tests/README.md).
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
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
    the child's own peak RSS in bytes, whatever other children this process had."""
    output = folder / "output.txt"
    started = time.monotonic()
    with output.open("wb") as sink:
        # No preexec_fn: a forked child's peak memory would start at this process's,
        # which is large late in a long test run. A limit is set by a small Python
        # that then becomes pytest (exec keeps the limit, not the memory).
        limit = [] if address_space is None else [
            sys.executable, "-c", _LIMITED.format(address_space)]
        child = subprocess.Popen(
            [*limit, *SPAWNED_PYTEST, "--rootdir", str(folder), str(folder), *args],
            cwd=folder, env={**os.environ, **(env or {})}, stdout=sink,
            stderr=subprocess.STDOUT)
    watchdog = threading.Timer(timeout, child.kill)
    watchdog.start()
    try:
        # wait4 reports this child's own peak memory (RUSAGE_CHILDREN is the largest of all).
        _, status, usage = os.wait4(child.pid, 0)
    finally:
        watchdog.cancel()
    child.returncode = os.waitstatus_to_exitcode(status)
    lines = output.read_text("utf-8", "replace").splitlines()
    result = pytest.RunResult(child.returncode, lines, [], time.monotonic() - started)
    return result, usage.ru_maxrss * 1024
