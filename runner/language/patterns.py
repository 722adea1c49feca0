"""Regular expressions written by users, searched with a time limit.

Every pattern a scenario or a mock agent holds (``matches``, ``not_matches``,
a mock rule's ``when``) is compiled here. Python's ``re`` cannot be stopped
once a search starts: one pattern with catastrophic backtracking held a whole
run for hours, past every time limit and the first Ctrl-C. The ``regex``
package runs the same syntax (``regex.V0``) and gives up after
:data:`SEARCH_TIMEOUT`. ``re`` still checks the syntax, so the patterns
accepted and the wording of their errors stay Python's own.

:func:`risky_repetition` finds the usual cause ahead of time (a repeated group
that repeats inside, or whose alternatives overlap) for a warning at check time.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache

SEARCH_TIMEOUT = 1.0  # seconds per search; a sane pattern needs microseconds
_EXAMPLE = "e.g. write `[\\w\\s]+` instead of `(\\w+\\s?)+`"


class PatternTimeout(Exception):
    """A search ran out of time. ``where`` is the pattern's file:line when known."""

    def __init__(self, pattern: str, length: int, where: str = "") -> None:
        self.pattern, self.length, self.where = pattern, length, where
        super().__init__(str(self))

    def describe(self) -> str:
        """What happened and what to do, without the location."""
        risk = risky_repetition(self.pattern)
        advice = f": {risk.fix}" if risk else f", {_EXAMPLE}"
        return (f"the pattern /{self.pattern}/ took longer than {SEARCH_TIMEOUT:g}s on a "
                f"{self.length}-character text (catastrophic backtracking); simplify it{advice}")

    def __str__(self) -> str:
        return f"{self.where}: {self.describe()}" if self.where else self.describe()


class UserPattern:
    """A compiled user pattern whose every search ends within :data:`SEARCH_TIMEOUT`."""

    __slots__ = ("_compiled", "source", "where")

    def __init__(self, source: str, *, ignore_case: bool = False, where: str = "") -> None:
        """Raises :class:`re.error` for a pattern Python does not accept."""
        re.compile(source, re.IGNORECASE if ignore_case else 0)
        import regex  # here: a run whose scenarios write no pattern never loads it

        try:
            self._compiled = regex.compile(
                source, regex.V0 | (regex.IGNORECASE if ignore_case else 0))
        except regex.error as error:  # accepted by `re` but not by `regex`: rare
            raise re.error(str(error), source, 0) from None
        self.source = source
        self.where = where

    def search(self, text: str) -> bool:
        """Whether the pattern occurs in ``text``; raises :class:`PatternTimeout`."""
        try:
            return self._compiled.search(text, timeout=SEARCH_TIMEOUT) is not None
        except TimeoutError:
            raise PatternTimeout(self.source, len(text), self.where) from None

    def groups(self, text: str) -> dict[str, str] | None:
        """The first match's groups by number (``0``: all of it) and name, or None.

        A group that took no part in the match is ``""``; raises :class:`PatternTimeout`.
        """
        try:
            found = self._compiled.search(text, timeout=SEARCH_TIMEOUT)
        except TimeoutError:
            raise PatternTimeout(self.source, len(text), self.where) from None
        if found is None:
            return None
        values = {str(n): found.group(n) or "" for n in range(len(found.groups()) + 1)}
        values.update({name: value or "" for name, value in found.groupdict().items()})
        return values


# --------------------------------------------------------------------------- the warning


@dataclass(frozen=True)
class Risk:
    """A part of a pattern that can make a search take exponential time."""

    fragment: str
    message: str
    fix: str


@dataclass
class _Group:
    start: int
    atomic: bool = False
    repeats: bool = False  # holds a repetition of variable count
    branches: int = 1
    firsts: list[str | None] = field(default_factory=list)  # each branch's first atom
    branch_open: bool = True  # the current branch has no first atom yet

    def atom(self, text: str | None) -> None:
        if self.branch_open:
            self.firsts.append(text)
            self.branch_open = False

    def alternative(self) -> None:
        self.branches += 1
        self.branch_open = True

    def overlapping(self) -> bool:
        if self.branches < 2:
            return False
        if len(self.firsts) < self.branches:
            return True  # an empty alternative matches wherever another does
        return any(_overlap(a, b) for i, a in enumerate(self.firsts)
                   for b in self.firsts[i + 1:])


# Group openers that are not groups, and the zero-width escapes that start nothing.
_INLINE_FLAGS = re.compile(r"\(\?[aiLmsux-]+\)")
_GROUP_OPENER = re.compile(r"\(\?(?:[:=!>]|<[=!]|P?<\w+>|[aiLmsux-]+:)?")
_ZERO_WIDTH = frozenset({"\\b", "\\B", "\\A", "\\Z", "\\z", "\\G"})
_QUANTIFIER = re.compile(r"[*+?]|\{(\d*)(?:(,)(\d*))?\}")
_SAMPLE = "".join(map(chr, range(32, 127))) + "\t\n"


def risky_repetition(pattern: str) -> Risk | None:
    """The first repeated group that can match one text in very many ways, if any.

    A heuristic, for a warning only: a group repeated by ``*``, ``+`` or
    ``{n,}`` that itself holds such a repetition, ``(\\w+\\s?)+``, or whose
    alternatives can start with the same character, ``(a|aa)*``.
    """
    stack = [_Group(0)]
    i = 0
    while i < len(pattern):
        char = pattern[i]
        group = stack[-1]
        if char == "\\":
            atom = pattern[i:i + 2]
            i += 2
            if atom not in _ZERO_WIDTH:
                i = _after_atom(pattern, i, atom, group)
            continue
        if char == "[":
            end = _class_end(pattern, i)
            i = _after_atom(pattern, end, pattern[i:end], group)
            continue
        if char == "(":
            flags = _INLINE_FLAGS.match(pattern, i)
            if flags:
                i = flags.end()
                continue
            opener = _GROUP_OPENER.match(pattern, i)
            end = opener.end() if opener and opener.end() > i + 1 else i + 1
            group.atom(None)  # what a group starts with is not worth working out
            stack.append(_Group(i, atomic=pattern.startswith("(?>", i)))
            i = end
            continue
        if char == ")" and len(stack) > 1:
            stack.pop()
            parent = stack[-1]
            repeat, end = _repetition(pattern, i + 1)
            if repeat and not group.atomic:
                fragment = pattern[group.start:end]
                if group.repeats:
                    return Risk(fragment, f"nests one repetition inside another in `{fragment}`",
                                f"repeat once, {_EXAMPLE}")
                if group.overlapping():
                    return Risk(fragment, f"repeats `{fragment}`, whose alternatives can match "
                                "the same text", "make the alternatives exclusive, e.g. `a+` "
                                "instead of `(a|aa)*`")
            parent.repeats = parent.repeats or group.repeats or repeat
            i = end
            continue
        if char == "|":
            group.alternative()
            i += 1
            continue
        if char in "^$":
            i += 1
            continue
        i = _after_atom(pattern, i + 1, char, group)
    return None


def _after_atom(pattern: str, end: int, atom: str, group: _Group) -> int:
    """Record ``atom`` (ending at ``end``) and its quantifier; returns where parsing goes on."""
    repeat, after = _repetition(pattern, end)
    optional = (after > end and pattern[end] in "*?") or pattern.startswith("{0", end)
    group.atom(None if optional else atom)
    group.repeats = group.repeats or repeat
    return after


def _repetition(pattern: str, at: int) -> tuple[bool, int]:
    """Whether a quantifier at ``at`` repeats a variable number of times, and its end."""
    found = _QUANTIFIER.match(pattern, at)
    if not found:
        return False, at
    end = found.end()
    text = found.group()
    if text in ("*", "+"):
        variable = True
    elif text == "?":
        variable = False
    else:
        low, comma, high = found.group(1), found.group(2), found.group(3)
        if not low and not comma:
            return False, at  # `{` on its own is a literal
        variable = bool(comma) and (not high or int(high) > max(int(low or 0), 1))
    if end < len(pattern) and pattern[end] in "?+":
        possessive = pattern[end] == "+"
        end += 1
        if possessive:
            variable = False  # a possessive repetition never gives back what it took
    return variable, end


def _class_end(pattern: str, start: int) -> int:
    """The index after the ``]`` closing the character class at ``start``."""
    i = start + 1
    if i < len(pattern) and pattern[i] == "^":
        i += 1
    if i < len(pattern) and pattern[i] == "]":
        i += 1
    while i < len(pattern) and pattern[i] != "]":
        i += 2 if pattern[i] == "\\" else 1
    return min(i + 1, len(pattern))


def _overlap(first: str | None, second: str | None) -> bool:
    if first is None or second is None:
        return True
    return bool(_matching(first) & _matching(second))


@cache
def _matching(atom: str) -> frozenset[str]:
    """The characters one atom matches, among printable ASCII and the atom's own."""
    try:
        compiled = re.compile(atom, re.IGNORECASE)
    except re.error:
        return frozenset(_SAMPLE)  # cannot tell: assume the worst
    return frozenset(c for c in _SAMPLE + atom if compiled.fullmatch(c))
