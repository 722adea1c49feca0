"""Shortening text for display: one rule for every place that shows a value.

A cut always ends in ``...``, so a reader knows there was more, and the
redactor knows where a secret may have been cut short.
"""

from __future__ import annotations

ELLIPSIS = "..."


def shorten(text: str, limit: int) -> str:
    """``text`` if it fits in ``limit`` characters, else its start and ``...``."""
    return text if len(text) <= limit else text[: max(0, limit - len(ELLIPSIS))] + ELLIPSIS


def flat(text: str) -> str:
    """All white space, line breaks included, folded to single spaces."""
    return " ".join(text.split())


def quoted(text: str, limit: int) -> str:
    """``"the text, folded and shortened"`` as a one-line quote."""
    return '"' + shorten(flat(text), limit) + '"'
