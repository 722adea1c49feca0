"""The lines of an ``include:`` fragment, read when a failure in it is shown.

Steps keep only the fragment's path and line span (:class:`FragmentSpan`), so
thousands of included steps cost no copies of their text; the file is read
again only for a step that failed. A small cache, keyed by the file's size and
modification time, reads a fragment once however many of its steps fail, and
never shows lines of an older version of it.
"""

from __future__ import annotations

import os
from functools import lru_cache

from runner.language.model import FragmentSpan

# Fragments were read through the size-capped loader; this is only a guard against
# a file that grew huge between loading and reporting.
_MAX_BYTES = 4 * 1024 * 1024
_MAX_SHOWN = 16  # lines of one step, as for a scenario's own steps


def fragment_lines(span: FragmentSpan) -> list[tuple[int, str]] | None:
    """The step's lines in its fragment, numbered, or None when the file cannot be read
    (gone, changed under the step's lines, too big): the caller shows what it can."""
    try:
        stat = os.stat(span.file)
    except OSError:
        return None
    if stat.st_size > _MAX_BYTES:
        return None
    lines = _read(span.file, stat.st_mtime_ns, stat.st_size)
    last = min(span.end_line, span.line + _MAX_SHOWN - 1)
    if lines is None or span.line < 1 or last > len(lines):
        return None
    return [(n, lines[n - 1]) for n in range(span.line, last + 1)]


@lru_cache(maxsize=16)
def _read(file: str, mtime_ns: int, size: int) -> tuple[str, ...] | None:
    del mtime_ns, size  # part of the cache key only
    try:
        with open(file, encoding="utf-8", errors="replace") as handle:
            return tuple(handle.read().splitlines())
    except OSError:
        return None
