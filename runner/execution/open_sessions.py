"""The live sessions a run has open right now, across all of its scenarios.

Each scenario closes its own sessions when it ends (:mod:`runner.execution.hygiene`) and
records on its result any it could not close. A run stopped by Ctrl-C or
SIGTERM loses the results of the scenarios it cancelled, and their cleanup
may still be waiting for an answer when pytest prints its summary. This
ledger, shared by every live scenario of the run, still knows which sessions
are open, so the summary can list them to close by hand.

It follows the answers the client receives: an inbound answer opens its
session, a successful ``close`` closes it. Scenarios run on the scheduler's
thread and the summary is printed on the main one, hence the lock.
"""

from __future__ import annotations

import threading
from urllib.parse import unquote

from runner.execution.exchange import Exchange


class OpenSessions:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._open: dict[str, str] = {}  # session id -> whose it is, for people

    def observe(self, exchange: Exchange) -> None:
        """Note an answer: a session opened by an inbound call, or closed by ``close``."""
        if not exchange.ok:
            return
        session = exchange.payload.get("session_id")
        if exchange.path.endswith("/support") and exchange.body.get("command") == "close":
            # The session the request named, also when the answer leaves it out.
            named = unquote(exchange.path.split("/")[-2])
            with self._lock:
                self._open.pop(named, None)
                if isinstance(session, str):
                    self._open.pop(session, None)
        elif exchange.path.endswith("/inbound") and isinstance(session, str):
            with self._lock:
                self._open.setdefault(session, f"customer {exchange.body.get('customer_id')}")

    def still_open(self) -> dict[str, str]:
        """Each open session, with whose it is (``customer osvi-qa-…``)."""
        with self._lock:
            return dict(self._open)
