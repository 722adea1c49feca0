"""Sizes as people write them on a command line: ``10MB``, ``512KB``, ``1048576``.

Units are binary (1 KB = 1024 bytes), as memory is counted; ``KiB``/``MiB``
are accepted as the same thing.
"""

from __future__ import annotations

import re

_SIZE = re.compile(r"^(\d+(?:\.\d+)?)\s*([kmg]i?b?|b)?$", re.IGNORECASE)
_UNIT = {"": 1, "b": 1, "k": 1024, "m": 1024**2, "g": 1024**3}

SIZE_HELP = "write a number of bytes or a number with a unit, e.g. 10MB, 512KB or 1048576"


class SizeError(ValueError):
    pass


def parse_size(value: object) -> int:
    """Bytes for ``value``; a bare number means bytes."""
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        raise SizeError(f"{value!r} is not a size; {SIZE_HELP}")
    match = _SIZE.match(str(value).strip())
    if not match:
        raise SizeError(f"{str(value)!r} is not a size; {SIZE_HELP}")
    unit = (match.group(2) or "").lower()[:1]
    return int(float(match.group(1)) * _UNIT[unit])


def format_size(count: int) -> str:
    """A short human form: ``512 bytes``, ``512 KB``, ``10 MB``, ``2.0 GB``."""
    for unit, name in ((1024**3, "GB"), (1024**2, "MB"), (1024, "KB")):
        if count >= unit:
            value = count / unit
            return f"{value:.0f} {name}" if value == int(value) or value >= 10 else (
                f"{value:.1f} {name}")
    return f"{count} bytes"
