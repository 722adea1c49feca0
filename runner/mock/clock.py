"""The mock's notion of time: real time plus whatever a test has skipped ahead.

Sessions go dormant after a quiet period of tens of minutes; a scenario cannot
wait that long, so its ``wait:`` step calls :meth:`ManualClock.advance`. Real
time keeps passing too, so latency budgets and ordinary runs stay honest.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from datetime import datetime, timezone

MAX_OFFSET = 10 * 365 * 24 * 3600.0


class ManualClock:
    """Monotonic time with an offset that only grows."""

    def __init__(self, monotonic: Callable[[], float] = time.monotonic,
                 wall: Callable[[], float] = time.time) -> None:
        self._monotonic = monotonic
        self._wall = wall
        self._offset = 0.0

    @property
    def offset(self) -> float:
        """Seconds skipped so far with :meth:`advance`."""
        return self._offset

    def now(self) -> float:
        """Seconds on a monotonic scale; only differences mean anything."""
        return self._monotonic() + self._offset

    def advance(self, seconds: float) -> None:
        """Jump forward; going back would make dormancy run backwards."""
        if not math.isfinite(seconds) or seconds < 0:
            raise ValueError(f"cannot advance the clock by {seconds!r} seconds")
        if self._offset + seconds > MAX_OFFSET:
            # Timestamps in session history must stay representable dates.
            raise ValueError("cannot advance the clock by more than ten years in total")
        self._offset += float(seconds)

    def wall_time(self) -> float:
        """Epoch seconds as the mock sees them (for timestamps in history)."""
        return self._wall() + self._offset

    def iso(self) -> str:
        """:meth:`wall_time` as ISO 8601 UTC, e.g. ``2025-01-31T12:00:00.000Z``."""
        moment = datetime.fromtimestamp(self.wall_time(), tz=timezone.utc)
        return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"
