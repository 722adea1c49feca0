"""A SIGTERM during a test's reporting waits until every reporter has the report."""

from __future__ import annotations

import os
import signal
import sys
import time
from typing import Any

import pytest

from runner.plugin.signals import ReportingGuard, interrupt_on_sigterm

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")


def _report_with(guard: ReportingGuard, reporter: Any) -> None:
    """Drive the guard's wrapper around ``reporter`` as pluggy would."""
    wrapper = guard.pytest_runtest_logreport(report=None)  # type: ignore[arg-type]
    next(wrapper)
    try:
        reporter()
        wrapper.send(None)
    except StopIteration:
        pass


def test_a_sigterm_while_reporting_is_delivered_after_the_report() -> None:
    guard = ReportingGuard()
    undo = interrupt_on_sigterm(guard)
    written: list[str] = []

    def reporter() -> None:
        os.kill(os.getpid(), signal.SIGTERM)
        time.sleep(0.05)  # the handler runs here: it must not interrupt the report
        written.append("junit")

    try:
        with pytest.raises(KeyboardInterrupt, match="SIGTERM"):
            _report_with(guard, reporter)
            time.sleep(1)  # delivered as soon as the report is written
        assert written == ["junit"]
    finally:
        undo()


def test_without_the_guard_the_report_is_cut_short() -> None:
    undo = interrupt_on_sigterm()
    written: list[str] = []
    try:
        with pytest.raises(KeyboardInterrupt):
            os.kill(os.getpid(), signal.SIGTERM)
            time.sleep(0.05)
            written.append("junit")
        assert written == []
    finally:
        undo()
