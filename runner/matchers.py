"""Text and list matchers: how an expectation says what a reply must look like.

A matcher is compiled once from the YAML the author wrote and then checked
against actual values. ``check`` returns ``None`` when the value matches, or a
phrase naming what did not hold, so a report can show expected against actual.
The same matchers decide which rule of a mock agent fires.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence, Sized
from dataclasses import dataclass
from typing import Any

from runner.suggest import did_you_mean, type_in_words

TEXT_MATCHER_KEYS = (
    "equals", "contains", "contains_any", "not_contains", "matches", "not_matches",
    "starts_with", "ends_with", "ignore_case", "length", "any_of", "all_of", "not",
)
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
    short = text if len(text) <= 80 else text[:77] + "..."
    return '"' + short.replace('"', '\\"') + '"'


class TextMatcher:
    """Base class: a condition on a string that may be null."""

    def check(self, actual: str | None) -> str | None:
        raise NotImplementedError

    def describe(self) -> str:
        raise NotImplementedError

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.describe()}>"


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


@dataclass(repr=False)
class AnyOf(TextMatcher):
    parts: Sequence[TextMatcher]

    def check(self, actual: str | None) -> str | None:
        if any(p.check(actual) is None for p in self.parts):
            return None
        return self.describe()

    def describe(self) -> str:
        return "any of: " + " | ".join(f"({p.describe()})" for p in self.parts)


@dataclass(repr=False)
class Not(TextMatcher):
    inner: TextMatcher

    def check(self, actual: str | None) -> str | None:
        return self.describe() if self.inner.check(actual) is None else None

    def describe(self) -> str:
        return f"not ({self.inner.describe()})"


def compile_regex(pattern: Any, *, ignore_case: bool = False,
                  path: tuple[str | int, ...] = ()) -> re.Pattern[str]:
    if not isinstance(pattern, str):
        what = type_in_words(pattern)
        raise MatcherError(f"a regular expression must be a string, not {what}",
                           "quote the pattern", path)
    if len(pattern) > MAX_REGEX_LENGTH:
        raise MatcherError(f"the regular expression is longer than {MAX_REGEX_LENGTH} characters",
                           "shorten it", path)
    try:
        return re.compile(pattern, re.IGNORECASE if ignore_case else 0)
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


def compile_text_matcher(spec: Any, *, bare_string_is_regex: bool = False,
                         path: tuple[str | int, ...] = (),
                         ignore_case: bool = False) -> TextMatcher:
    """Compile a text matcher written as a string, ``null`` or a mapping.

    A bare string is an exact match, except where ``bare_string_is_regex`` (the
    ``when`` of a mock rule), where it is a regex searched in the text.
    """
    if spec is None:
        return IsNull()
    if isinstance(spec, str):
        if bare_string_is_regex:
            rx = compile_regex(spec, ignore_case=ignore_case, path=path)
            return _Predicate(lambda a: rx.search(a) is not None, f"matches /{spec}/")
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
            rx = compile_regex(value, ignore_case=icase, path=here)
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
            subs = [compile_text_matcher(v, path=(*here, i), ignore_case=icase)
                    for i, v in enumerate(value)]
            parts.append(AnyOf(subs) if key == "any_of" else AllOf(subs))
        elif key == "not":
            parts.append(Not(compile_text_matcher(value, path=here, ignore_case=icase)))
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


def _regex(rx: re.Pattern[str], source: str, *, present: bool, suffix: str) -> TextMatcher:
    if present:
        return _Predicate(lambda a: rx.search(a) is not None, f"matches /{source}/{suffix}")
    return _Predicate(lambda a: rx.search(a) is None, f"does not match /{source}/{suffix}")


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
            item = compile_text_matcher(value, path=here)
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
