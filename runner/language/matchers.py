"""Text and list matchers: how an expectation says what a reply must look like.

A matcher is compiled once from the YAML the author wrote and then checked
against actual values. ``check`` returns ``None`` when the value matches, or a
phrase naming what did not hold, so a report can show expected against actual.
The same matchers decide which rule of a mock agent fires. Regular expressions
are searched with a time limit (:mod:`runner.language.patterns`): a search that runs
out raises :class:`~runner.language.patterns.PatternTimeout`, which breaks the step.

Two matchers are scored rather than decided by the text alone: ``similar_to``
(a local embedding model) and ``judge`` (an LLM behind HTTP). ``prepare`` does
their slow work asynchronously before the synchronous ``check``; each keeps its
score so reports can show it whether it passed or not (:func:`scores_of`).
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable, Iterator, Sequence, Sized
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from runner.core.suggest import did_you_mean, type_in_words
from runner.core.text import shorten
from runner.judging import semantic
from runner.judging.scores import shown
from runner.language.patterns import UserPattern
from runner.language.yamlsrc import location

if TYPE_CHECKING:
    from runner.judging.judge import Verdict
    from runner.judging.meaning import Comparison

TEXT_MATCHER_KEYS = (
    "equals", "contains", "contains_any", "not_contains", "matches", "not_matches",
    "starts_with", "ends_with", "ignore_case", "length", "any_of", "all_of", "not",
    "similar_to", "judge",
)
# Tuned on benchmarks/meaning (docs/regression.md): the highest threshold that keeps
# recall of short and of long paraphrases at 0.8 each on the tuning half; the guards
# catch what a lower one lets by.
DEFAULT_SIMILARITY = 0.64
DEFAULT_JUDGE_SCORE = 0.7
LIST_MATCHER_KEYS = ("contains", "not_contains", "length", "last", "equals")
MAX_REGEX_LENGTH = 2000


class MatcherError(ValueError):
    """A matcher spec is malformed. ``path`` locates the bad part inside the spec."""

    def __init__(self, message: str, fix: str = "", path: tuple[str | int, ...] = ()) -> None:
        super().__init__(message)
        self.message = message
        self.fix = fix
        self.path = path


def _quote(text: str) -> str:
    return '"' + shorten(text, 80).replace('"', '\\"') + '"'


class Scorer(Protocol):
    """What scored matchers ask: a similarity model and an LLM judge."""

    def similarity(self, reference: str, text: str) -> float:
        """0..1: how close ``text`` is in meaning to ``reference``."""
        ...

    async def judge(self, criteria: str, text: str) -> Verdict:
        """The judge's verdict on ``text``; raises :class:`runner.judging.judge.JudgeError`."""
        ...


@dataclass(frozen=True)
class Scored:
    """One scored check as it came out: shown in reports whether it passed or not."""

    kind: str  # similar_to or judge
    subject: str  # the reference text or the criteria
    score: float
    threshold: float
    passed: bool
    reason: str = ""
    judge_pass: bool | None = None  # the judge's own verdict, for the reports


class TextMatcher:
    """Base class: a condition on a string that may be null."""

    def check(self, actual: str | None) -> str | None:
        raise NotImplementedError

    def describe(self) -> str:
        raise NotImplementedError

    def children(self) -> Sequence[TextMatcher]:
        return ()

    async def prepare(self, actual: str | None) -> None:
        """Do slow scoring (model, HTTP) ahead of ``check``; most matchers need none."""
        for part in self.children():
            await part.prepare(actual)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.describe()}>"


def walk(matcher: TextMatcher) -> Iterator[TextMatcher]:
    yield matcher
    for part in matcher.children():
        yield from walk(part)


def scores_of(matcher: TextMatcher) -> list[Scored]:
    """The scores the last ``check`` produced, in the order the author wrote them."""
    return [m.last for m in walk(matcher) if isinstance(m, _ScoredMatcher) and m.last]


@dataclass(repr=False)
class IsNull(TextMatcher):
    def check(self, actual: str | None) -> str | None:
        return None if actual is None else self.describe()

    def describe(self) -> str:
        return "is null (no reply)"


@dataclass(repr=False)
class _Predicate(TextMatcher):
    """One condition on a non-null string."""

    test: Callable[[str], bool]
    text: str

    def check(self, actual: str | None) -> str | None:
        if actual is None or not self.test(actual):
            return self.text
        return None

    def describe(self) -> str:
        return self.text


@dataclass(repr=False)
class AllOf(TextMatcher):
    parts: Sequence[TextMatcher]

    def check(self, actual: str | None) -> str | None:
        failed = [f for f in (p.check(actual) for p in self.parts) if f]
        return " and ".join(failed) if failed else None

    def describe(self) -> str:
        return " and ".join(p.describe() for p in self.parts)

    def children(self) -> Sequence[TextMatcher]:
        return self.parts


@dataclass(repr=False)
class AnyOf(TextMatcher):
    parts: Sequence[TextMatcher]

    def check(self, actual: str | None) -> str | None:
        if any(p.check(actual) is None for p in self.parts):
            return None
        return self.describe()

    def describe(self) -> str:
        return "any of: " + " | ".join(f"({p.describe()})" for p in self.parts)

    def children(self) -> Sequence[TextMatcher]:
        return self.parts


@dataclass(repr=False)
class Not(TextMatcher):
    inner: TextMatcher

    def check(self, actual: str | None) -> str | None:
        return self.describe() if self.inner.check(actual) is None else None

    def describe(self) -> str:
        return f"not ({self.inner.describe()})"

    def children(self) -> Sequence[TextMatcher]:
        return (self.inner,)


class _ScoredMatcher(TextMatcher):
    """A matcher decided by a score against a threshold; remembers its last score."""

    kind = ""

    def __init__(self, subject: str, threshold: float) -> None:
        self.subject = subject
        self.threshold = threshold
        self.last: Scored | None = None

    def describe(self) -> str:
        if self.last is None:
            return f"{self.kind} {_quote(self.subject)} (≥ {self.threshold:.2f})"
        score, threshold = shown(self.last.score, self.threshold)
        text = f"{self.kind} {_quote(self.subject)} (≥ {threshold}) — score {score}"
        return f"{text}: {self.last.reason}" if self.last.reason else text

    def _decide(self, score: float, reason: str = "",
                judge_pass: bool | None = None) -> str | None:
        self.last = Scored(self.kind, self.subject, score, self.threshold,
                           score >= self.threshold, reason, judge_pass)
        return None if self.last.passed else self.describe()

    def _no_text(self) -> str:
        self.last = None
        return f"{self.describe()} — there is no text to score"


class SimilarTo(_ScoredMatcher):
    """Meaning against a reference text: the embedding score of the reply's best passage,
    and the guards of :mod:`runner.judging.guards` (facts, polarity, substitutions)."""

    kind = "similar_to"

    def __init__(self, subject: str, threshold: float, scorer: Scorer | None) -> None:
        super().__init__(subject, threshold)
        self._scorer = scorer
        self._results: dict[str, Comparison] = {}
        self._failed_guard = False

    def _similarities(self, reference: str, texts: Sequence[str]) -> list[float]:
        if self._scorer is None:
            return semantic.similarities(reference, texts)
        batch = getattr(self._scorer, "similarities", None)  # one model call for all passages
        if batch is not None:
            return list(batch(reference, texts))
        return [self._scorer.similarity(reference, text) for text in texts]

    def _compare(self, actual: str) -> Comparison:
        # Here: the guards' word lists and patterns load only for a `similar_to`.
        from runner.judging.meaning import compare

        return compare(self.subject, actual, self._similarities, self.threshold)

    async def prepare(self, actual: str | None) -> None:
        if actual is not None and actual not in self._results:
            # In a thread: the first call loads the model (about a second).
            self._results[actual] = await asyncio.to_thread(self._compare, actual)

    def check(self, actual: str | None) -> str | None:
        if actual is None:
            self._failed_guard = False
            return self._no_text()
        if actual not in self._results:
            self._results[actual] = self._compare(actual)
        result = self._results[actual]
        self._failed_guard = result.failure is not None
        if result.failure is not None:
            reason = result.failure.describe()
        elif not result.passage.whole:
            reason = f"on the passage {_quote(result.passage.text)}"
        else:
            reason = ""
        self.last = Scored(self.kind, self.subject, result.score, self.threshold,
                           result.passed(self.threshold), reason)
        return None if self.last.passed else self.describe()

    def describe(self) -> str:
        if self.last is None or not self.last.reason:
            return super().describe()
        score, threshold = shown(self.last.score, self.threshold)
        text = f"{self.kind} {_quote(self.subject)} (≥ {threshold}) — score {score}"
        # A failed guard decides whatever the score; else the reason names the passage.
        return f"{text}, but {self.last.reason}" if self._failed_guard \
            else f"{text} {self.last.reason}"


class JudgeMatcher(_ScoredMatcher):
    """An LLM's verdict on the text against the author's criteria."""

    kind = "judge"

    def __init__(self, subject: str, threshold: float, scorer: Scorer | None) -> None:
        super().__init__(subject, threshold)
        self._scorer = scorer
        self._verdicts: dict[str, Verdict] = {}

    async def prepare(self, actual: str | None) -> None:
        if actual is None or actual in self._verdicts:
            return
        if self._scorer is None:
            from runner.judging.judge import JudgeError  # late: the judge client needs httpx

            raise JudgeError("no judge is configured for this check")
        self._verdicts[actual] = await self._scorer.judge(self.subject, actual)

    def check(self, actual: str | None) -> str | None:
        if actual is None:
            return self._no_text()
        verdict = self._verdicts.get(actual)
        if verdict is None:
            self.last = None
            return f"{self.describe()} — not judged"
        return self._decide(verdict.score, verdict.reason, verdict.passed)


def compile_regex(pattern: Any, *, ignore_case: bool = False,
                  path: tuple[str | int, ...] = (), where: str = "") -> UserPattern:
    """A user's pattern, searched with a time limit (:mod:`runner.language.patterns`).

    ``where`` (file:line) names it if a search runs out of time.
    """
    if not isinstance(pattern, str):
        what = type_in_words(pattern)
        raise MatcherError(f"a regular expression must be a string, not {what}",
                           "quote the pattern", path)
    if len(pattern) > MAX_REGEX_LENGTH:
        raise MatcherError(f"the regular expression is longer than {MAX_REGEX_LENGTH} characters",
                           "shorten it", path)
    try:
        return UserPattern(pattern, ignore_case=ignore_case, where=where)
    except re.error as error:
        raise MatcherError(
            f"invalid regular expression /{pattern}/: {error.msg} at position {error.pos}",
            "escape special characters such as ( [ ? + * with a backslash, "
            "or use `contains` for plain text", path) from None


def _strings(value: Any, key: str, path: tuple[str | int, ...]) -> list[str]:
    items = value if isinstance(value, list) else [value]
    if not items or not all(isinstance(v, str) for v in items):
        raise MatcherError(f"`{key}` takes a string or a list of strings",
                           f'write e.g. {key}: ["refund", "order"]', (*path, key))
    return list(items)


def _length_bounds(spec: Any, path: tuple[str | int, ...]) -> tuple[int | None, int | None]:
    if isinstance(spec, int) and not isinstance(spec, bool):
        return spec, spec
    if isinstance(spec, dict) and spec and set(spec) <= {"min", "max"}:
        low, high = spec.get("min"), spec.get("max")
        for bound in (low, high):
            if bound is not None and (not isinstance(bound, int) or isinstance(bound, bool)
                                      or bound < 0):
                raise MatcherError("`length` bounds must be whole numbers ≥ 0",
                                   "write length: {min: 1, max: 200}", path)
        return low, high
    raise MatcherError("`length` takes {min: N, max: N} (either may be left out) or a number",
                       "write length: {min: 1, max: 200}", path)


def _length_text(low: int | None, high: int | None, unit: str) -> str:
    if low is not None and high is not None:
        return f"has {low} {unit}" if low == high else f"has {low} to {high} {unit}"
    if low is not None:
        return f"has at least {low} {unit}"
    return f"has at most {high} {unit}"


def _threshold(value: Any, key: str, default: float, path: tuple[str | int, ...]) -> float:
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= 1:
        raise MatcherError(f"`{key}` must be a number from 0 to 1", f"write {key}: {default}",
                           (*path, key))
    return float(value)


def _similar_to(value: Any, scorer: Scorer | None, path: tuple[str | int, ...]) -> TextMatcher:
    here = (*path, "similar_to")
    example = 'write similar_to: {text: "What is your order number?", min: 0.8}'
    if isinstance(value, str):
        text, minimum = value, DEFAULT_SIMILARITY
    elif isinstance(value, dict) and isinstance(value.get("text"), str) \
            and set(value) <= {"text", "min"}:
        text = value["text"]
        minimum = _threshold(value.get("min"), "min", DEFAULT_SIMILARITY, here)
    else:
        raise MatcherError("`similar_to` takes a text, or {text: ..., min: 0.8}", example, here)
    if not text.strip():
        raise MatcherError("`similar_to` needs a non-empty text to compare with", example, here)
    if scorer is None and not semantic.available():
        raise MatcherError(semantic.missing_message(),
                           "or compare without the model, e.g. with contains or matches", here)
    return SimilarTo(text, minimum, scorer)


def _judge(value: Any, scorer: Scorer | None, allow: bool,
           path: tuple[str | int, ...]) -> TextMatcher:
    here = (*path, "judge")
    if not allow:
        raise MatcherError("`judge` cannot be used here: only a scenario step's `expect` or its "
                           "`invariants` can ask the LLM judge",
                           "use similar_to, contains or matches instead", here)
    example = 'write judge: {criteria: "The reply apologises and offers a refund", min_score: 0.7}'
    if isinstance(value, str):
        criteria, minimum = value, DEFAULT_JUDGE_SCORE
    elif isinstance(value, dict) and isinstance(value.get("criteria"), str) \
            and set(value) <= {"criteria", "min_score"}:
        criteria = value["criteria"]
        minimum = _threshold(value.get("min_score"), "min_score", DEFAULT_JUDGE_SCORE, here)
    else:
        raise MatcherError("`judge` takes the criteria, or {criteria: ..., min_score: 0.7}",
                           example, here)
    if not criteria.strip():
        raise MatcherError("`judge` needs criteria saying what a good reply does", example, here)
    return JudgeMatcher(criteria, minimum, scorer)


def compile_text_matcher(spec: Any, *, bare_string_is_regex: bool = False,
                         path: tuple[str | int, ...] = (),
                         ignore_case: bool = False, scorer: Scorer | None = None,
                         allow_judge: bool = True) -> TextMatcher:
    """Compile a text matcher written as a string, ``null`` or a mapping.

    A bare string is an exact match, except where ``bare_string_is_regex`` (the
    ``when`` of a mock rule), where it is a regex searched in the text.
    ``scorer`` serves ``similar_to`` and ``judge`` (default: the local model, and
    no judge); ``allow_judge`` is False where no judge can be asked (the mock).
    """
    if spec is None:
        return IsNull()
    if isinstance(spec, str):
        if bare_string_is_regex:
            rx = compile_regex(spec, ignore_case=ignore_case, path=path)
            return _Predicate(rx.search, f"matches /{spec}/")
        return _equals(spec, ignore_case)
    if not isinstance(spec, dict):
        raise MatcherError(
            f"a text matcher is a string, null or a mapping, not {type_in_words(spec)}",
            'quote the value, e.g. "42", or use a mapping such as {contains: "refund"}', path)
    if not spec:
        raise MatcherError("an empty text matcher checks nothing",
                           "add a key such as contains, matches or equals", path)
    unknown = [k for k in spec if k not in TEXT_MATCHER_KEYS]
    if unknown:
        key = str(unknown[0])
        hint = did_you_mean(key, TEXT_MATCHER_KEYS)
        raise MatcherError(f"unknown text matcher key '{key}'{hint}",
                           "use one of: " + ", ".join(TEXT_MATCHER_KEYS), (*path, key))
    icase = spec.get("ignore_case", ignore_case)
    if not isinstance(icase, bool):
        raise MatcherError("`ignore_case` takes true or false", "write ignore_case: true",
                           (*path, "ignore_case"))
    fold: Callable[[str], str] = str.casefold if icase else (lambda s: s)
    suffix = " (ignoring case)" if icase and not spec.keys() <= {"ignore_case"} else ""
    parts: list[TextMatcher] = []
    for key, value in spec.items():
        here = (*path, key)
        if key == "ignore_case":
            continue
        if key == "equals":
            if value is None:
                parts.append(IsNull())
            elif isinstance(value, str):
                parts.append(_equals(value, icase))
            else:
                raise MatcherError("`equals` takes a string or null", 'write equals: "text"', here)
        elif key == "contains":
            for needle in _strings(value, key, path):
                parts.append(_substring(needle, fold, present=True, suffix=suffix))
        elif key == "contains_any":
            needles = _strings(value, key, path)
            parts.append(_any_substring(needles, fold, suffix))
        elif key == "not_contains":
            for needle in _strings(value, key, path):
                parts.append(_substring(needle, fold, present=False, suffix=suffix))
        elif key in ("matches", "not_matches"):
            rx = compile_regex(value, ignore_case=icase, path=here, where=location(spec, key))
            parts.append(_regex(rx, value, present=key == "matches", suffix=suffix))
        elif key in ("starts_with", "ends_with"):
            if not isinstance(value, str):
                raise MatcherError(f"`{key}` takes a string", f'write {key}: "text"', here)
            parts.append(_affix(value, fold, start=key == "starts_with", suffix=suffix))
        elif key == "length":
            low, high = _length_bounds(value, here)
            parts.append(_Predicate(_within(low, high), _length_text(low, high, "characters")))
        elif key in ("any_of", "all_of"):
            if not isinstance(value, list) or not value:
                raise MatcherError(f"`{key}` takes a non-empty list of matchers",
                                   f'write {key}: [{{contains: "a"}}, {{contains: "b"}}]', here)
            subs = [compile_text_matcher(v, path=(*here, i), ignore_case=icase, scorer=scorer,
                                         allow_judge=allow_judge,
                                         bare_string_is_regex=bare_string_is_regex)
                    for i, v in enumerate(value)]
            parts.append(AnyOf(subs) if key == "any_of" else AllOf(subs))
        elif key == "not":
            parts.append(Not(compile_text_matcher(value, path=here, ignore_case=icase,
                                                  scorer=scorer, allow_judge=allow_judge,
                                                  bare_string_is_regex=bare_string_is_regex)))
        elif key == "similar_to":
            parts.append(_similar_to(value, scorer, path))
        elif key == "judge":
            parts.append(_judge(value, scorer, allow_judge, path))
    if not parts:
        raise MatcherError("`ignore_case` alone checks nothing",
                           "add a key such as contains, matches or equals", path)
    return parts[0] if len(parts) == 1 else AllOf(parts)


def _substring(needle: str, fold: Callable[[str], str], *, present: bool,
               suffix: str) -> TextMatcher:
    folded = fold(needle)
    if present:
        return _Predicate(lambda a: folded in fold(a), f"contains {_quote(needle)}{suffix}")
    return _Predicate(lambda a: folded not in fold(a),
                      f"does not contain {_quote(needle)}{suffix}")


def _any_substring(needles: list[str], fold: Callable[[str], str], suffix: str) -> TextMatcher:
    folded = [fold(n) for n in needles]
    return _Predicate(lambda a: any(n in fold(a) for n in folded),
                      "contains any of " + ", ".join(map(_quote, needles)) + suffix)


def _regex(rx: UserPattern, source: str, *, present: bool, suffix: str) -> TextMatcher:
    if present:
        return _Predicate(rx.search, f"matches /{source}/{suffix}")
    return _Predicate(lambda a: not rx.search(a), f"does not match /{source}/{suffix}")


def _affix(text: str, fold: Callable[[str], str], *, start: bool, suffix: str) -> TextMatcher:
    folded = fold(text)
    if start:
        return _Predicate(lambda a: fold(a).startswith(folded),
                          f"starts with {_quote(text)}{suffix}")
    return _Predicate(lambda a: fold(a).endswith(folded), f"ends with {_quote(text)}{suffix}")


def _equals(expected: str, ignore_case: bool) -> TextMatcher:
    if ignore_case:
        folded = expected.casefold()
        return _Predicate(lambda a: a.casefold() == folded,
                          f"equals {_quote(expected)} (ignoring case)")
    return _Predicate(lambda a: a == expected, f"equals {_quote(expected)}")


class ListMatcher:
    """A condition on a list of strings (the context bucket)."""

    def __init__(self, checks: list[tuple[str, Callable[[list[str]], bool]]]) -> None:
        self._checks = checks

    def check(self, actual: list[str] | None) -> str | None:
        if actual is None:
            return self.describe()
        failed = [text for text, test in self._checks if not test(actual)]
        return " and ".join(failed) if failed else None

    def describe(self) -> str:
        return " and ".join(text for text, _ in self._checks)

    def __repr__(self) -> str:
        return f"<ListMatcher {self.describe()}>"


def compile_list_matcher(spec: Any, path: tuple[str | int, ...] = ()) -> ListMatcher:
    """Compile a list matcher: a mapping of contains/not_contains/length/last/equals,
    or a bare list as shorthand for ``equals``."""
    if isinstance(spec, list):
        spec = {"equals": spec}
    if not isinstance(spec, dict) or not spec:
        raise MatcherError(
            f"a list matcher is a mapping, not {type_in_words(spec)}",
            'write e.g. {contains: "refund", length: {min: 2}} or a list of the exact items', path)
    unknown = [k for k in spec if k not in LIST_MATCHER_KEYS]
    if unknown:
        key = str(unknown[0])
        hint = did_you_mean(key, LIST_MATCHER_KEYS)
        raise MatcherError(f"unknown list matcher key '{key}'{hint}",
                           "use one of: " + ", ".join(LIST_MATCHER_KEYS), (*path, key))
    checks: list[tuple[str, Callable[[list[str]], bool]]] = []
    for key, value in spec.items():
        here = (*path, key)
        if key in ("contains", "not_contains", "last"):
            item = compile_text_matcher(value, path=here, allow_judge=False)
            checks.append(_item_check(key, item))
        elif key == "length":
            low, high = _length_bounds(value, here)
            checks.append((_length_text(low, high, "items"), _within(low, high)))
        elif key == "equals":
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                raise MatcherError("`equals` on a list takes a list of strings",
                                   'write equals: ["first entry", "second entry"]', here)
            checks.append(_equal_list(list(value)))
    return ListMatcher(checks)


def _within(low: int | None, high: int | None) -> Callable[[Sized], bool]:
    def test(value: Sized) -> bool:
        return (low is None or len(value) >= low) and (high is None or len(value) <= high)
    return test


def _item_check(key: str, item: TextMatcher) -> tuple[str, Callable[[list[str]], bool]]:
    def matches(text: str) -> bool:
        return item.check(text) is None

    if key == "contains":
        return f"has an item that {item.describe()}", lambda xs: any(map(matches, xs))
    if key == "not_contains":
        return (f"has no item that {item.describe()}",
                lambda xs: not any(map(matches, xs)))
    return f"has a last item that {item.describe()}", lambda xs: bool(xs) and matches(xs[-1])


def _equal_list(expected: list[str]) -> tuple[str, Callable[[list[str]], bool]]:
    return ("equals [" + ", ".join(map(_quote, expected)) + "]",
            lambda xs: list(xs) == expected)
