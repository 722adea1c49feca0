"""SIGTERM handled like Ctrl-C, so a cancelled CI job still ends the run properly.

CI systems cancel a job with SIGTERM (then SIGKILL after a grace period).
Python's default for SIGTERM is to die on the spot: no JUnit, no summary, and
every live session the running scenarios opened stays open. Ctrl-C instead
raises KeyboardInterrupt, and pytest's interrupt path does all of that. So the
first SIGTERM is passed to whatever handles SIGINT at that moment (asyncio's
runner cancels the running scenario, which closes its sessions; the default
handler raises KeyboardInterrupt), and the previous SIGTERM handler is put
back: a second SIGTERM ends the process as it always did.
"""

from __future__ import annotations

import os
import signal
import threading
from collections.abc import Callable
from types import FrameType
from typing import Any


def _nothing() -> None:
    """The undo when nothing was installed."""


def interrupt_on_sigterm() -> Callable[[], None]:
    """Make the next SIGTERM act like Ctrl-C; returns the undo.

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
