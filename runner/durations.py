"""Durations as scenario authors write them: ``200ms``, ``30s``, ``10m``, ``1h``, ``1m30s``."""

from __future__ import annotations

import re

_PART = re.compile(r"(\d+(?:\.\d+)?)(ms|s|m|h)")
_WHOLE = re.compile(r"^(?:\d+(?:\.\d+)?(?:ms|s|m|h))+$")
_UNIT = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0}

DURATION_HELP = "write a number with a unit, e.g. 200ms, 30s, 10m, 1h or 1m30s"


class DurationError(ValueError):
    pass


def parse_duration(value: object) -> float:
    """Seconds for ``value``; a bare number means seconds."""
    if isinstance(value, bool):
        raise DurationError(f"{value!r} is not a duration; {DURATION_HELP}")
    if isinstance(value, (int, float)):
        if value < 0:
            raise DurationError(f"{value!r} is negative; {DURATION_HELP}")
        return float(value)
    if not isinstance(value, str):
        raise DurationError(f"{value!r} is not a duration; {DURATION_HELP}")
    text = value.strip().replace(" ", "")
    if not _WHOLE.match(text):
        raise DurationError(f"'{value}' is not a duration; {DURATION_HELP}")
    return sum(float(n) * _UNIT[u] for n, u in _PART.findall(text))


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
