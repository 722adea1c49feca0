"""Sentences, clauses and passages of a reply: the units the meaning checks compare.

A long reply matches on its best passage: :func:`passages` gives every run of
1..k consecutive sentences, so a greeting before the answer or a tip after it
does not dilute the score.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# A word: letters or digits, with inner apostrophes kept ("can't", "n'a", "aujourd'hui").
WORD = re.compile(r"[^\W_]+(?:'[^\W_]+)*")
# A sentence ends at . ! ? or … before whitespace and a capital, a digit or an opening mark;
# so "P.O. box" and "e.g. a refund" stay whole. Line breaks always end a sentence.
_SENTENCE_END = re.compile(r"""(?<=[.!?…])["')\]]*\s+(?=[A-ZÀ-ÖØ-Þ0-9"'(¿¡])|\s*\n\s*""")
_ABBREVIATION = re.compile(r"(?:\b(?:mr|mrs|ms|dr|st|no|nr|vs|approx|ca|bzw|z\.b|e\.g|i\.e)"
                           r"|\b\w)\.$", re.IGNORECASE)
# Where a negation's reach ends: punctuation and words that join clauses.
_CLAUSE_BREAK = re.compile(
    r"[,;:()\u2013\u2014]|\s-\s|\b(?:and|but|or|so|because|while|although|though|however|"
    r"which|who|until|und|aber|oder|weil|denn|sondern|et|mais|ou|car|donc|y|pero|o|porque|"
    r"sino)\b", re.IGNORECASE)


def normalise(text: str) -> str:
    """Typographic apostrophes as ``'``, so "can’t" and "can't" are one word."""
    return text.replace("\u2019", "'").replace("\u2018", "'")


def words(text: str) -> list[str]:
    """The case-folded words of ``text``."""
    return [w.casefold() for w in WORD.findall(normalise(text))]


def sentences(text: str) -> list[str]:
    """``text`` cut into sentences, each stripped; never empty for a non-blank text."""
    found: list[str] = []
    start = 0
    for end in _SENTENCE_END.finditer(text):
        piece = text[start:end.start()]
        if _ABBREVIATION.search(piece.rstrip("\"')]")):
            continue  # "Mr. Smith", "No. 5": not the end of a sentence
        if piece.strip():
            found.append(piece.strip())
        start = end.end()
    if text[start:].strip():
        found.append(text[start:].strip())
    return found


def clauses(text: str) -> list[str]:
    """The pieces of ``text`` one negation can reach: "we can't X, but Y" → two."""
    return [c.strip() for s in sentences(text) for c in _CLAUSE_BREAK.split(normalise(s))
            if c and c.strip()]


@dataclass(frozen=True)
class Passage:
    """Sentences ``first``..``last`` (inclusive, from 0) of a reply, as written; or part
    of one sentence (then ``within`` is that sentence)."""

    text: str
    first: int
    last: int
    whole: bool  # the passage is the entire reply
    within: str = ""  # the sentence a part was cut from; "" for whole sentences

    @property
    def context(self) -> str:
        """The whole sentences the passage lies in: where a negation that bears on it may
        stand ("Unfortunately not: your refund was approved for the postage only")."""
        return self.within or self.text


def passages(text: str, longest: int) -> list[Passage]:
    """Every run of 1..``longest`` consecutive sentences of ``text``, and ``text`` itself."""
    parts = sentences(text)
    found: list[Passage] = []
    for size in range(1, min(longest, len(parts)) + 1):
        for first in range(len(parts) - size + 1):
            last = first + size - 1
            whole = size == len(parts)
            found.append(Passage(text.strip() if whole else " ".join(parts[first:last + 1]),
                                 first, last, whole))
    if not any(p.whole for p in found):
        found.append(Passage(text.strip(), 0, max(0, len(parts) - 1), True))
    return found


# Where a sentence divides into parts: punctuation only, since halves joined by "and"
# or "but" often need each other. "I've passed your case to our technical team, who
# will call you tomorrow" has a part that says just what "I've escalated your case to
# our technical team" says; the whole sentence scores lower (0.61 against 0.79).
_PART_BREAK = re.compile(r"\s*(?:[,;:\u2013\u2014]|\s-\s)\s*")
_MAX_PARTS = 3  # runs of at most this many parts: few enough to embed at once


def sentence_parts(text: str) -> list[Passage]:
    """Every run of 1..3 consecutive parts of each sentence of ``text`` that is shorter
    than its sentence, each knowing its sentence (:attr:`Passage.within`)."""
    found: list[Passage] = []
    for index, sentence in enumerate(sentences(text)):
        bounds = [0]
        for cut in _PART_BREAK.finditer(sentence):
            bounds += [cut.start(), cut.end()]
        bounds.append(len(sentence))
        spans = [(a, b) for a, b in zip(bounds[::2], bounds[1::2], strict=True)
                 if WORD.search(sentence[a:b])]
        for size in range(1, min(_MAX_PARTS, len(spans) - 1) + 1):
            for first in range(len(spans) - size + 1):
                piece = sentence[spans[first][0]:spans[first + size - 1][1]].strip()
                found.append(Passage(piece, index, index, False, within=sentence))
    return found
