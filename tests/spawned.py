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
from collections.abc import Callable, Mapping
from pathlib import Path

import pytest

# Plugins no test needs inside the pytest it runs: schemathesis's (tested through its own
# CLI only) costs about 0.4 s at every start of a child pytest and 10 ms in process.
UNNEEDED_PLUGINS = "-p no:schemathesis"
SPAWNED_PYTEST = (sys.executable, "-m", "pytest", "-p", "no:cacheprovider",
                  *UNNEEDED_PLUGINS.split())


def run_measured(folder: Path, *args: str, env: Mapping[str, str] | None = None,
                 timeout: float = 120, preexec_fn: Callable[[], None] | None = None
                 ) -> tuple[pytest.RunResult, int]:
    """pytest on ``folder`` in a child process: its result (stderr joined to stdout) and
    the child's own peak RSS in bytes, whatever other children this process had."""
    output = folder / "output.txt"
    started = time.monotonic()
    with output.open("wb") as sink:
        child = subprocess.Popen(
            [*SPAWNED_PYTEST, "--rootdir", str(folder), str(folder), *args],
            cwd=folder, env={**os.environ, **(env or {})}, stdout=sink,
            stderr=subprocess.STDOUT, preexec_fn=preexec_fn)
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
