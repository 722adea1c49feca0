"""Word-level text comparison without a model: normalising, overlap, near copies.

Used where a judgement must not depend on the optional embedding model: the
leak invariants (a whisper repeated "verbatim or nearly"), and ``diff`` when
the semantic extra is not installed.
"""

from __future__ import annotations

import re
import unicodedata
from difflib import SequenceMatcher

_WORD = re.compile(r"\w+")


def _fold(word: str) -> str:
    folded = unicodedata.normalize("NFKD", word.casefold())
    return "".join(c for c in folded if not unicodedata.combining(c))


def spans(text: str) -> list[tuple[str, int, int]]:
    """Each word of ``text``, folded, with where it is in the original text."""
    return [(_fold(m.group()), m.start(), m.end()) for m in _WORD.finditer(text)]


def words(text: str) -> list[str]:
    """Lower-case words without accents or punctuation: what a reader compares."""
    return [word for word, _, _ in spans(text)]


def _passage(text: str, found: list[tuple[str, int, int]], start: int, size: int) -> str:
    """The original text of ``size`` words from word ``start``, as the author wrote it."""
    return text[found[start][1]:found[start + size - 1][2]]


def _find_run(needle: list[str], haystack: list[str]) -> int | None:
    size = len(needle)
    for i in range(len(haystack) - size + 1):
        if haystack[i:i + size] == needle:
            return i
    return None


def lexical_similarity(a: str, b: str) -> float:
    """0..1: how much of the two texts' word sequences match (difflib's ratio)."""
    wa, wb = words(a), words(b)
    if not wa and not wb:
        return 1.0
    return SequenceMatcher(None, wa, wb, autojunk=False).ratio()


def contains_run(needle: list[str], haystack: list[str]) -> bool:
    """Whether ``needle`` occurs in ``haystack`` as consecutive words."""
    return bool(needle) and _find_run(needle, haystack) is not None


def near_copy(secret: str, text: str, *, ratio: float, min_words: int) -> str | None:
    """The passage of ``text`` that repeats ``secret`` verbatim or nearly, else None.

    *Verbatim*: the secret's words appear in ``text`` in a row (case, accents,
    punctuation and spacing ignored). *Nearly*: some passage of ``text`` about
    as long as the secret (±20% words) has a word-sequence similarity of at
    least ``ratio`` with it. Secrets shorter than ``min_words`` words count only
    verbatim, because short phrases ("offer a refund") recur by chance.
    """
    target, located = words(secret), spans(text)
    found = [word for word, _, _ in located]
    if not target:
        return None
    size = len(target)
    at = _find_run(target, found)
    if at is not None:
        return _passage(text, located, at, size)
    if size < min_words or ratio >= 1.0:
        return None
    matcher = SequenceMatcher(None, autojunk=False)
    matcher.set_seq2(target)
    low, high = max(1, int(size * 0.8)), int(size * 1.2 + 0.999)
    for length in range(low, high + 1):
        for start in range(max(1, len(found) - length + 1)):
            window = found[start:start + length]
            matcher.set_seq1(window)
            if matcher.real_quick_ratio() >= ratio and matcher.quick_ratio() >= ratio \
                    and matcher.ratio() >= ratio:
                return _passage(text, located, start, len(window))
    return None


def verbatim_fragment(entry: str, text: str, *, min_words: int) -> str | None:
    """A run of at least ``min_words`` consecutive words of ``entry`` found in ``text``
    (the whole entry when it is shorter), else None."""
    source, located = words(entry), spans(text)
    found = [word for word, _, _ in located]
    size = min(len(source), min_words)
    if size == 0 or len(found) < size:
        return None
    present = {tuple(found[i:i + size]) for i in range(len(found) - size + 1)}
    for start in range(len(source) - size + 1):
        if tuple(source[start:start + size]) in present:
            # Extend the match as far as it goes, to show the whole copied passage.
            end = start + size
            while end < len(source) and contains_run(source[start:end + 1], found):
                end += 1
            at = _find_run(source[start:end], found)
            assert at is not None
            return _passage(text, located, at, end - start)
    return None
