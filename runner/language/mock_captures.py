"""Regex captures: the groups a mock rule's `when` regex hands to its reply.

A rule whose ``when`` is a bare string (a regex) or a mapping with ``matches:``
makes the first match's groups available as ``{{ match.0 }}`` (the whole
match), ``{{ match.1 }}``… and ``{{ match.<name> }}``. Validation uses
:func:`group_names` to report unknown groups; at run time a group that took no
part in the match is the empty string.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

MATCH_PREFIX = "match."


def capture_regex(when: Any) -> tuple[str, bool] | None:
    """The regex whose groups the rule's reply can use, and whether it ignores case."""
    if isinstance(when, str):
        return when, False
    if isinstance(when, Mapping) and isinstance(when.get("matches"), str):
        return when["matches"], when.get("ignore_case") is True
    return None


def group_names(source: str) -> list[str] | None:
    """``0``, the numbered groups, then the named ones; None if Python cannot compile it."""
    try:
        compiled = re.compile(source)
    except re.error:
        return None
    return [str(n) for n in range(compiled.groups + 1)] + list(compiled.groupindex)


def match_names(text: str, placeholders: list[str]) -> list[str]:
    """The group names (after ``match.``) that ``placeholders`` of ``text`` use."""
    return [name[len(MATCH_PREFIX):] for name in placeholders if name.startswith(MATCH_PREFIX)]
