"""A pytest plugin for the benchmarks: how long the run loop took, collection left out.

Loaded with ``-p benchmarks.timing_plugin``; writes ``{"run_seconds": ...}`` to
the file named by ``OSVI_BENCH_TIMING``.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Generator
from pathlib import Path

import pytest


@pytest.hookimpl(wrapper=True)
def pytest_runtestloop(session: pytest.Session) -> Generator[None, object, object]:
    started = time.perf_counter()
    try:
        return (yield)
    finally:
        target = os.environ.get("OSVI_BENCH_TIMING")
        if target:
            Path(target).write_text(json.dumps({"run_seconds": time.perf_counter() - started}))
