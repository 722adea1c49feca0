"""Text from outside (replies, names, session ids) made safe to print to a terminal.

An answer or a scenario name can hold escape sequences that clear the screen,
retitle the window or hide lines of a CI log, line separators that break one
line into several, and bidi overrides that show text reversed. Every text the
plugin hands to the terminal passes :func:`printable` once, at that boundary:
such characters are shown as visible escapes (``\\x1b``, ``\\u2028``). Letters,
emoji, non-breaking spaces and the like are left alone.
"""

from __future__ import annotations

import re

# C0 controls but tab and newline, DEL, C1 controls (with NEL \x85), the line and
# paragraph separators, bidi marks, embeddings, overrides and isolates, and lone
# surrogates (which no terminal encoding can write).
_UNSAFE = "\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069" \
          "\ud800-\udfff"
_MULTILINE = re.compile(f"[{_UNSAFE}]")
_ONE_LINE = re.compile(f"[\n{_UNSAFE}]")


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def printable(text: str, *, one_line: bool = False) -> str:
    """``text`` with every character that could steer a terminal spelled out as an escape.

    Newlines are kept unless ``one_line``: a failure report has many lines, a
    node id or a summary row must stay one.
    """
    return (_ONE_LINE if one_line else _MULTILINE).sub(_escape, text)
