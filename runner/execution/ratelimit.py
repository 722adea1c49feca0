"""A token bucket that caps the requests per second of a whole run (``--osvi-rate``).

One bucket serves every scenario of a process, whichever event loop each one
runs in: it holds no asyncio objects, only a token count and the time it was
last topped up. A request *reserves* its token synchronously and then sleeps
until the token is due, so concurrent scenarios are served in the order they
asked and the API never sees more than ``burst`` requests at once.

A 429 answer's ``Retry-After`` holds the whole bucket (:meth:`TokenBucket.hold`):
the account is over its limit, so every scenario waits, not only the one that
was told. The request that got the 429 waits for its own retry (the client's
retry logic) and then finds a token ready: the hold and its ``Retry-After``
overlap instead of adding up.
"""

from __future__ import annotations

import asyncio
import re
import threading
import time
from collections.abc import Awaitable, Callable

Clock = Callable[[], float]
Sleep = Callable[[float], Awaitable[None]]

_RATE = re.compile(r"^\s*(\d+(?:\.\d*)?|\.\d+)\s*(?:/\s*(s|sec|second|m|min|minute|h|hour))?\s*$")
_PER = {None: 1.0, "s": 1.0, "sec": 1.0, "second": 1.0, "m": 60.0, "min": 60.0,
        "minute": 60.0, "h": 3600.0, "hour": 3600.0}
RATE_HELP = "write requests per second (5, 0.5) or per minute or hour (120/min, 1000/h)"


class RateError(ValueError):
    pass


def parse_rate(text: str | float) -> float:
    """Requests per second from ``5``, ``0.5``, ``5/s``, ``120/min`` or ``1000/h``."""
    if isinstance(text, (int, float)) and not isinstance(text, bool):
        rate = float(text)
    else:
        match = _RATE.match(str(text))
        if match is None:
            raise RateError(f"{text!r} is not a rate; {RATE_HELP}")
        rate = float(match.group(1)) / _PER[match.group(2)]
    if rate <= 0:
        raise RateError(f"{text!r}: the rate must be more than 0")
    return rate


class TokenBucket:
    """``rate`` tokens per second, at most ``burst`` saved up (default: one second's worth)."""

    def __init__(self, rate: float, burst: float | None = None, *,
                 clock: Clock = time.monotonic, sleep: Sleep = asyncio.sleep) -> None:
        if rate <= 0:
            raise ValueError("rate must be more than 0")
        self.rate = rate
        self.burst = max(1.0, burst if burst is not None else rate)
        self._clock = clock
        self._sleep = sleep
        self._tokens = self.burst
        self._stamp = clock()
        # Scenarios of one process may run in different threads (the scheduler's
        # loop, or the main thread's per-item loop); reservations must not interleave.
        self._lock = threading.Lock()

    def _refill(self, now: float) -> None:
        if now > self._stamp:
            self._tokens = min(self.burst, self._tokens + (now - self._stamp) * self.rate)
            self._stamp = now

    def reserve(self) -> float:
        """Take the next token; returns the seconds to wait before sending (0: send now)."""
        with self._lock:
            self._refill(self._clock())
            self._tokens -= 1.0
            return 0.0 if self._tokens >= 0 else -self._tokens / self.rate

    async def acquire(self) -> float:
        """Wait for a token; returns how long it waited."""
        wait = self.reserve()
        if wait > 0:
            await self._sleep(wait)
        return wait

    def hold(self, seconds: float) -> None:
        """Send nothing for ``seconds`` (the API answered 429 with ``Retry-After``).

        The first request after the hold goes at once; the rest follow at the
        rate. Tokens reserved before the hold keep their turn: a hold only
        ever moves the next free token later, never earlier.
        """
        if seconds <= 0:
            return
        with self._lock:
            self._refill(self._clock())
            self._tokens = min(self._tokens, 1.0 - seconds * self.rate)

    def describe(self) -> str:
        return f"at most {self.rate:g} requests/s (bursts of up to {self.burst:g})"
