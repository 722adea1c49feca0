"""SIGTERM handled like Ctrl-C, so a cancelled CI job still ends the run properly.

CI systems cancel a job with SIGTERM (then SIGKILL after a grace period).
Python's default for SIGTERM is to die on the spot: no JUnit, no summary, and
every live session the running scenarios opened stays open. Ctrl-C instead
raises KeyboardInterrupt, and pytest's interrupt path does all of that. So the
first SIGTERM is passed to whatever handles SIGINT at that moment (asyncio's
runner cancels the running scenario, which closes its sessions; the default
handler raises KeyboardInterrupt), and the previous SIGTERM handler is put
back: a second SIGTERM ends the process as it always did.

A SIGTERM that lands while pytest hands a test's report to its reporters
(terminal, JUnit, Allure) waits until they are done, so the finished test is in
every report; it is delivered right after.
"""

from __future__ import annotations

import os
import signal
import threading
from collections.abc import Callable
from types import FrameType
from typing import Any

import pytest


class ReportingGuard:
    """Holds back SIGTERM while pytest writes a test's report; registered as a plugin."""

    def __init__(self) -> None:
        self.depth = 0
        self.pending = False

    @pytest.hookimpl(wrapper=True, tryfirst=True)
    def pytest_runtest_logreport(self, report: pytest.TestReport) -> Any:
        self.depth += 1
        try:
            return (yield)
        finally:
            self.depth -= 1
            if self.depth == 0 and self.pending:
                self.pending = False
                os.kill(os.getpid(), signal.SIGTERM)  # now, between two reports


def _nothing() -> None:
    """The undo when nothing was installed."""


def interrupt_on_sigterm(guard: ReportingGuard | None = None) -> Callable[[], None]:
    """Make the next SIGTERM act like Ctrl-C; returns the undo.

    With ``guard``, a SIGTERM that arrives while a report is being written is
    delivered when it has been.

    Does nothing outside the main thread (only it may set signal handlers) or
    when SIGTERM is ignored on purpose.
    """
    sigterm = getattr(signal, "SIGTERM", None)
    if sigterm is None or threading.current_thread() is not threading.main_thread():
        return _nothing
    previous: Any = signal.getsignal(sigterm)
    if previous is signal.SIG_IGN:
        return _nothing

    def on_sigterm(signum: int, frame: FrameType | None) -> None:
        if guard is not None and guard.depth > 0:
            guard.pending = True
            return
        if frame is not None and frame.f_lineno is None:
            # Python can be stopped at an instruction that belongs to no line; a
            # KeyboardInterrupt raised there has no line number, and pytest's report of
            # it fails. Deliver the signal again a moment later, at a line.
            threading.Timer(0.01, os.kill, (os.getpid(), signum)).start()
            return
        # A second SIGTERM gets the old behaviour: the process ends at once.
        signal.signal(sigterm, previous if previous is not None else signal.SIG_DFL)
        on_sigint = signal.getsignal(signal.SIGINT)
        if callable(on_sigint) and on_sigint is not signal.default_int_handler:
            on_sigint(signal.SIGINT, frame)  # e.g. asyncio's: it cancels the running scenario
        else:  # also when SIGINT is ignored (a background job): interrupt anyway
            raise KeyboardInterrupt("SIGTERM, handled like Ctrl-C")

    try:
        signal.signal(sigterm, on_sigterm)
    except (ValueError, OSError):  # an embedding that does not allow it
        return _nothing

    def undo() -> None:
        if signal.getsignal(sigterm) is on_sigterm:
            signal.signal(sigterm, previous if previous is not None else signal.SIG_DFL)

    return undo
