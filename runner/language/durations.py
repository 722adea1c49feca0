"""Durations as scenario authors write them: ``200ms``, ``30s``, ``10m``, ``1h``, ``1m30s``.

Every duration is finite and at most :data:`MAX_DURATION`: a ``wait:`` of
10^20 hours or ``.inf`` once passed the checks and crashed the run.
"""

from __future__ import annotations

import math
import re

_PART = re.compile(r"(\d+(?:\.\d+)?)(ms|s|m|h)")
_WHOLE = re.compile(r"^(?:\d+(?:\.\d+)?(?:ms|s|m|h))+$")
_UNIT = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0}

MAX_DURATION = 24 * 3600.0  # a day: far beyond any wait, time limit or latency budget

DURATION_HELP = "write a number with a unit, e.g. 200ms, 30s, 10m, 1h or 1m30s"
TOO_LONG_FIX = "write a shorter duration, e.g. 30s, 10m or 1h"
NOT_A_DURATION = "is not a duration"


class DurationError(ValueError):
    """``value`` is no usable duration: ``reason`` says why, ``fix`` what to write."""

    def __init__(self, value: object, reason: str = NOT_A_DURATION,
                 fix: str = DURATION_HELP) -> None:
        self.value, self.reason, self.fix = value, reason, fix
        shown = repr(value) if isinstance(value, str) else written(value)
        super().__init__(f"{shown} {reason}; {fix}")


def written(value: object) -> str:
    """A value as YAML would show it, short: ``.inf``, ``30s``, a 5000-digit number."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and not math.isfinite(value):
        return ".nan" if math.isnan(value) else (".inf" if value > 0 else "-.inf")
    if isinstance(value, int) and abs(value) >= 10 ** 24:
        return f"a number of {len(str(abs(value)))} digits"
    return "null" if value is None else str(value)


def parse_duration(value: object, *, limit: float = MAX_DURATION) -> float:
    """Seconds for ``value``; a bare number means seconds. At most ``limit``."""
    if isinstance(value, bool):
        raise DurationError(value)
    if isinstance(value, float) and not math.isfinite(value):
        raise DurationError(value, "is not a finite duration")
    if isinstance(value, (int, float)):
        seconds = value  # an int is compared as it is: a 4,000-digit one overflows a float
    elif isinstance(value, str):
        text = value.strip().replace(" ", "")
        if not _WHOLE.match(text):
            raise DurationError(value)
        seconds = sum(float(n) * _UNIT[u] for n, u in _PART.findall(text))
    else:
        raise DurationError(value)
    if seconds < 0:
        raise DurationError(value, "is negative")
    if seconds > limit:
        raise DurationError(value, f"is longer than {_limit_text(limit)}, the longest duration "
                            "allowed", TOO_LONG_FIX)
    return float(seconds)


def _limit_text(limit: float) -> str:
    return f"{limit / 3600:g}h" if limit >= 3600 else format_duration(limit)


def format_duration(seconds: float) -> str:
    """A short human form: ``850ms``, ``2.4s``, ``3m05s``."""
    if seconds < 1:
        return f"{seconds * 1000:.0f}ms"
    if seconds < 60:
        return f"{seconds:.1f}s" if seconds < 10 else f"{seconds:.0f}s"
    minutes, rest = divmod(round(seconds), 60)
    if minutes < 60:
        return f"{minutes}m{rest:02d}s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m"


def filled_in(key: str, template: str, value: object, error: DurationError, *,
              secret: bool) -> str:
    """Why a duration a placeholder filled in is wrong, e.g. `wait: "{{ d }}"` gave 'abc'.

    With ``secret`` (the template reads the environment) the value is never shown.
    """
    written_as = f'`{key}: "{template}"`'
    if secret:
        return f"{written_as}, once filled in, {error.reason}"
    shown = repr(value) if isinstance(value, str) else written(value)
    return f"{written_as} gave {shown}, which {error.reason}"
