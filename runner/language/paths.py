"""Dotted paths into an answer's JSON body: ``data.session_id``, ``data.context.0``.

A path is keys separated by dots, from the top of the body; a whole number
indexes a list. What a path does not reach is :data:`ABSENT`, so a check can
report it as missing instead of failing on it.
"""

from __future__ import annotations

from typing import Any, Final


class _Absent:
    def __repr__(self) -> str:
        return "ABSENT"


ABSENT: Final = _Absent()


def lookup(document: Any, path: str) -> Any:
    """The value at ``path`` in ``document``, or :data:`ABSENT`."""
    node = document
    for part in path.split("."):
        if isinstance(node, dict) and part in node:
            node = node[part]
        elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        else:
            return ABSENT
    return node
