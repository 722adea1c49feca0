"""Deterministic guards for ``similar_to``: what one "not" or one digit changes.

Sentence embeddings score "I have issued your refund" and "I cannot issue your
refund" as close, and order 12345 as close to 12354. Three guards look at the
words instead:

- **facts**: every number, amount, percentage, date, time, day, reference,
  e-mail address, phone number, link and name of the expected text must be in
  the reply (:mod:`runner.judging.facts`);
- **polarity**: a negation that bears on what both texts talk about must be in
  both or in neither ("No, you can't" against "Yes, you can");
- **substitution**: where the reply keeps the expected text's wording but puts
  other words in one or two places, those words must be related in meaning
  ("check your spam folder" against "check your internet connection"), and must
  not name another detail of :data:`runner.judging.lexicon.DETAILS` ("email
  address" against "phone number").

Negation cues are listed for English, German, French and Spanish
(:mod:`runner.judging.lexicon`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection
from dataclasses import dataclass
from difflib import SequenceMatcher

from runner.judging import lexicon
from runner.judging.facts import Fact, extract, values_of
from runner.judging.sentences import clauses, normalise, sentences, words

_NUMERIC_KINDS = ("number", "amount", "percentage", "reference", "time")
_RELATED_KINDS = {"number": _NUMERIC_KINDS, "amount": ("amount", "number"),
                  "percentage": ("percentage", "number"), "reference": ("reference", "number"),
                  "time": ("time", "number"), "weekday": ("weekday", "day", "date"),
                  "day": ("day", "weekday", "date"), "date": ("date", "weekday", "day"),
                  "month": ("month", "date")}
_ALL_STOPWORDS = frozenset().union(*lexicon.STOPWORDS.values())
_WORD_KINDS = ("name", "weekday", "day", "month")  # quoted in messages
# Facts a reader cannot take for a figure of speech ("today", a capitalised word).
FIGURES = ("email", "link", "phone", "reference", "date", "time", "amount", "percentage",
           "number", "literal")


@dataclass(frozen=True)
class GuardFailure:
    """Why a reply that scores high still does not say what was expected."""

    guard: str  # "facts", "polarity" or "substitution"
    missing: str = ""  # facts: the expected fact, as "the number 12345"; substitution: words
    instead: str = ""  # facts, substitution: what the reply has in its place, as written
    cue: str = ""  # polarity: the negation, as written
    cue_in_expected: bool = False  # polarity: which side has the negation

    def describe(self, expected: str = "the expected text", reply: str = "the reply") -> str:
        """The reason in words, naming the two sides ``expected`` and ``reply``."""
        if self.guard == "facts":
            text = f"{self.missing} in {expected} is missing from {reply}"
            return f"{text} (it says {self.instead})" if self.instead else text
        if self.guard == "substitution":
            return (f'{reply} says "{self.instead}" where {expected} says "{self.missing}", '
                    "which is not the same thing")
        if self.cue_in_expected:
            return (f'{reply} reverses the meaning: {expected} says "{self.cue}" and '
                    f"{reply} has no negation")
        return (f'{reply} reverses the meaning: it says "{self.cue}" and {expected} '
                "has no negation")


# -- facts -----------------------------------------------------------------------------------


def _kept(fact: Fact, found: list[Fact], reply_words: list[str]) -> bool:
    same = [f for f in found if f.kind == fact.kind]
    numbers = values_of(f for f in found if f.kind in ("number", "percentage", "reference"))
    if fact.kind == "name":
        (wanted,) = fact.keys
        return _contains(reply_words, list(wanted))
    if fact.kind == "date":
        return any(_same_day(a, b) for f in same for a in fact.keys for b in f.keys)
    if fact.kind == "month":
        months = {key[0] for f in found if f.kind == "date" for key in f.keys}
        return bool(fact.keys & months) or any(fact.keys & f.keys for f in same)
    if any(fact.keys & f.keys for f in same):
        return True
    if fact.kind == "day" and fact.keys == {0}:
        # "How can I help you today?": mostly filler; only another day contradicts it.
        return not any(f.kind in ("day", "weekday") for f in found)
    if fact.kind == "amount":
        # A bare "40" agrees with "$40"; "£5" does not agree with "$5".
        value = next(iter(fact.values))
        priced = any(value in f.values for f in same)
        return not priced and value in numbers
    if fact.kind in ("percentage", "time") or (fact.kind == "reference" and fact.values):
        return bool(fact.values & numbers)
    if fact.kind == "number":
        return bool(fact.values & values_of(found))
    return False


def _same_day(a: tuple[int, int, int | None], b: tuple[int, int, int | None]) -> bool:
    return a[:2] == b[:2] and (a[2] is None or b[2] is None or a[2] == b[2])


def _contains(haystack: list[str], needle: list[str]) -> bool:
    size = len(needle)
    return any(haystack[i:i + size] == needle for i in range(len(haystack) - size + 1))


def _instead(fact: Fact, found: list[Fact], expected: list[Fact]) -> str:
    """What the reply says in the place of ``fact``: its most alike fact of a related kind."""
    kinds = _RELATED_KINDS.get(fact.kind, (fact.kind,))
    taken = {key for f in expected for key in f.keys}
    others = [f for f in found if f.kind in kinds and not f.keys & taken]
    if not others:
        return ""
    best = max(others, key=lambda f: (f.kind == fact.kind,
                                      SequenceMatcher(None, fact.text, f.text).ratio()))
    return f'"{best.text}"' if best.kind in _WORD_KINDS else best.text


def check_facts(expected: str, reply: str,
                kinds: Collection[str] | None = None) -> GuardFailure | None:
    """The first fact of ``expected`` that ``reply`` does not state, or None.

    ``kinds`` limits the check to those kinds of fact (default: all).
    """
    wanted = [f for f in extract(expected) if kinds is None or f.kind in kinds]
    if not wanted:
        return None
    found = extract(reply)
    found_words = [w.removesuffix("'s") for w in words(reply)]
    for fact in wanted:
        if not _kept(fact, found, found_words):
            return GuardFailure("facts", missing=fact.name(),
                                instead=_instead(fact, found, wanted))
    return None


# -- polarity --------------------------------------------------------------------------------


def _stem(word: str) -> str:
    """A crude stem, enough to see "issued" and "issue", "shipped" and "shipping" as one."""
    for suffix in ("ations", "ation", "ings", "ing", "ied", "ies", "ed", "es", "s", "e"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            word = word[:-len(suffix)]
            break
    if len(word) > 3 and word[-1] == word[-2]:
        word = word[:-1]  # shipp → ship, cancell → cancel
    return word


def _is_cue(word: str) -> bool:
    return (word in lexicon.NEGATION_WORDS or word.endswith("n't")
            or (word.startswith("n'") and len(word) > 2))


def _content(clause_words: list[str]) -> set[str]:
    return {_stem(w) for w in clause_words
            if len(w) > 1 and w not in _ALL_STOPWORDS and not _is_cue(w)}


@dataclass(frozen=True)
class _Negation:
    cue: str
    scope: frozenset[str]  # stems of the clause the cue negates


def _negations(text: str) -> list[_Negation]:
    """Each negation of ``text`` with the words it reaches (its clause, idioms left out)."""
    found: list[_Negation] = []
    # Sentences first: they end before a capital letter, which case-folding takes away.
    for sentence in sentences(normalise(text)):
        plain = lexicon.NEUTRAL_IDIOMS.sub(" , ", sentence.casefold())
        for clause in clauses(plain):
            clause_words = words(clause)
            scope = frozenset(_content(clause_words))
            cues = [w for w in clause_words if _is_cue(w)]
            cues += [p for p in lexicon.NEGATION_PHRASES if re.search(rf"\b{p}\b", clause)]
            found += [_Negation(cue, scope) for cue in cues]
    return found


def _bearing(negations: list[_Negation], other: set[str]) -> _Negation | None:
    """The first negation that bears on ``other``'s words: its clause shares a word with
    them, or it stands alone ("No, ...")."""
    return next((n for n in negations if not n.scope or n.scope & other), None)


def check_polarity(expected: str, passage: str) -> GuardFailure | None:
    """A negation that one side has and the other lacks, about what both say; or None."""
    expected_words = _content(words(normalise(expected).casefold()))
    passage_words = _content(words(normalise(passage).casefold()))
    in_expected = _bearing(_negations(expected), passage_words)
    in_passage = _bearing(_negations(passage), expected_words)
    if (in_expected is None) == (in_passage is None):
        return None
    cue = in_expected or in_passage
    assert cue is not None
    return GuardFailure("polarity", cue=cue.cue, cue_in_expected=in_expected is not None)


# -- substitution ----------------------------------------------------------------------------

# Two texts share a frame when this share of the expected text's words recur in order.
FRAME_SHARE = 0.5
# Words put in the frame's place that are less alike than this change what it says
# (all-MiniLM-L6-v2: "order"/"package" 0.50, "booking"/"table" 0.36; "spam folder"/
# "internet connection" 0.07, "upgraded"/"paused" 0.20; tuned on benchmarks/meaning).
SUBSTITUTE_MIN = 0.3
_MAX_SLOTS = 2
_MAX_SLOT_WORDS = 3


def _detail_key(slot_words: list[str]) -> str:
    """Content words, stemmed: how a slot and the names in ``lexicon.DETAILS`` compare."""
    return " ".join(_stem(w) for w in slot_words if _content([w]))


# Each name of a detail (its content words) → which detail it names.
_DETAILS = {_detail_key(words(name)): index for index, names in enumerate(lexicon.DETAILS)
            for name in names}


def _details_in(slot: list[str]) -> set[int]:
    """The details that ``slot`` names in a run of its words ("phone number as asked")."""
    return {_DETAILS[key] for first in range(len(slot)) for last in range(first, len(slot))
            if (key := _detail_key(slot[first:last + 1])) in _DETAILS}


def _other_detail(old: list[str], new: list[str]) -> bool:
    """Whether ``old`` and ``new`` name different details ("email" / "phone number")."""
    a, b = _details_in(old), _details_in(new)
    return bool(a and b and not a & b)


def check_substitution(expected: str, passage: str,
                       similarity: Callable[[str, str], float]) -> GuardFailure | None:
    """Where ``passage`` repeats ``expected`` but for a slot or two, the words swapped in
    must mean something alike; the first unlike pair, or None."""
    a = words(lexicon.NEUTRAL_IDIOMS.sub(" ", normalise(expected).casefold()))
    b = words(lexicon.NEUTRAL_IDIOMS.sub(" ", normalise(passage).casefold()))
    if not a or not b:
        return None
    matcher = SequenceMatcher(None, a, b, autojunk=False)
    shared = sum(size for _, _, size in matcher.get_matching_blocks())
    if shared / len(a) < FRAME_SHARE:
        return None  # reworded throughout: the embedding score judges it
    stems_a, stems_b = {_stem(w) for w in a}, {_stem(w) for w in b}
    slots: list[tuple[list[str], list[str]]] = []
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag != "replace":
            continue
        # Content words swapped in, not merely moved ("added" earlier or later).
        old = [w for w in a[i1:i2] if _content([w]) and _stem(w) not in stems_b]
        new = [w for w in b[j1:j2] if _content([w]) and _stem(w) not in stems_a]
        # A like-for-like swap: "spam folder" for "internet connection", not "shipped"
        # for "left our warehouse this morning" (a rewording).
        if old and new and abs(len(old) - len(new)) <= 1:
            slots.append((old, new))
    if not slots or len(slots) > _MAX_SLOTS or any(
            len(old) > _MAX_SLOT_WORDS or len(new) > _MAX_SLOT_WORDS for old, new in slots):
        return None
    for old, new in slots:
        if _other_detail(old, new) or similarity(" ".join(old), " ".join(new)) < SUBSTITUTE_MIN:
            return GuardFailure("substitution", missing=" ".join(old), instead=" ".join(new))
    return None
