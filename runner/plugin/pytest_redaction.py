"""Secrets masked in every report pytest makes, before anything renders it.

The terminal, ``--junitxml``, allure-pytest, pytest-xdist and the cache all
read pytest's report objects: the traceback with its source lines and frame
locals (``-l`` shows ``os.environ``), the crash message, captured output and
logs, user properties, the node id. Masking the objects themselves, in place,
covers all of them at once, whatever ``--tb`` style or verbosity was asked for.
An INTERNALERROR is masked the same way before pytest prints it.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Generator
from typing import Any

import pytest
from _pytest._code.code import TerminalRepr
from _pytest._io import TerminalWriter

from runner.core.redact import Redactor

Redact = Callable[[str], str]
# Reprs of these packages keep all their text in attributes the walk reaches.
_KNOWN_MODULES = ("_pytest.", "runner.")
_SCALARS = frozenset({int, float, bool, bytes})
# Reports repeat their texts (node id, location, keywords, twice per report):
# each distinct text is masked once.
_MEMO_SIZE = 4096


class _RedactedText(TerminalRepr):
    """Another plugin's report, rendered and masked, as it would have printed."""

    def __init__(self, text: str, reprcrash: Any) -> None:
        self.text = text
        self.reprcrash = reprcrash

    def toterminal(self, tw: TerminalWriter) -> None:
        for line in self.text.splitlines():
            tw.line(line)


def _walk(value: Any, redact: Redact, depth: int = 0) -> Any:
    """``value`` with every string in it masked; the same object when nothing changed.

    Descends into containers, dataclasses (pytest's traceback reprs) and other
    terminal reprs, mutating objects in place and rebuilding containers.
    """
    if isinstance(value, str):
        masked = redact(value)
        return value if masked == value else masked
    if value is None or type(value) in _SCALARS:
        return value
    if depth > 20:  # reprs are shallow; anything deeper is not report text
        return value
    if isinstance(value, (list, tuple)):
        items = [_walk(item, redact, depth + 1) for item in value]
        if all(new is old for new, old in zip(items, value, strict=True)):
            return value
        if isinstance(value, list):
            return items
        return type(value)(*items) if hasattr(value, "_fields") else tuple(items)
    if isinstance(value, dict):
        pairs = [(_walk(k, redact, depth + 1), _walk(v, redact, depth + 1))
                 for k, v in value.items()]
        if all(k is old_k and v is old_v
               for (k, v), (old_k, old_v) in zip(pairs, value.items(), strict=True)):
            return value
        return dict(pairs)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        for field in dataclasses.fields(value):
            _set(value, field.name, _walk(getattr(value, field.name), redact, depth + 1))
        return value
    if isinstance(value, TerminalRepr):
        for name, attribute in list(vars(value).items()):
            _set(value, name, _walk(attribute, redact, depth + 1))
        if not type(value).__module__.startswith(_KNOWN_MODULES):
            return _rendered(value, redact)
    return value


def _set(owner: Any, name: str, value: Any) -> None:
    if getattr(owner, name) is not value:
        object.__setattr__(owner, name, value)  # some reprs are frozen dataclasses


def _rendered(longrepr: TerminalRepr, redact: Redact) -> TerminalRepr:
    """A repr whose text may come from more than its attributes, checked as printed."""
    text = str(longrepr)
    masked = redact(text)
    return longrepr if masked == text else _RedactedText(masked,
                                                         getattr(longrepr, "reprcrash", None))


def _memoized(redactor: Redactor, memo: dict[str, str]) -> Redact:
    def redact(text: str) -> str:
        masked = memo.get(text)
        if masked is None:
            if len(memo) >= _MEMO_SIZE:
                memo.clear()
            masked = memo[text] = redactor.redact(text)
        return masked
    return redact


def redact_report(report: pytest.TestReport | pytest.CollectReport, redactor: Redactor,
                  memo: dict[str, str] | None = None) -> None:
    """Mask every text of ``report`` in place: longrepr, sections, properties, ids..."""
    if not redactor:
        return
    redact = _memoized(redactor, memo) if memo is not None else redactor.redact
    for name, value in list(vars(report).items()):
        if name == "result":  # a collect report's collected nodes, not text
            continue
        masked = _walk(value, redact)
        if masked is not value:
            setattr(report, name, masked)


class ReportRedaction:
    """Hooks that mask reports; registered as ``osvi-redaction``."""

    def __init__(self, redactor: Redactor) -> None:
        self._memo: dict[str, str] = {}
        self._redactor = redactor

    @property
    def redactor(self) -> Redactor:
        return self._redactor

    @redactor.setter
    def redactor(self, redactor: Redactor) -> None:
        # Re-armed with more secrets: what was masked with fewer is masked again.
        self._redactor = redactor
        self._memo = {}

    # Innermost wrapper: masked before allure-pytest reads the report in its own wrapper.
    @pytest.hookimpl(wrapper=True, trylast=True)
    def pytest_runtest_makereport(
        self, item: pytest.Item, call: pytest.CallInfo[None]
    ) -> Generator[None, pytest.TestReport, pytest.TestReport]:
        report = yield
        redact_report(report, self.redactor, self._memo)
        return report

    # Again as it is logged: other wrappers (xfail, skip) may have added text since.
    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        redact_report(report, self.redactor, self._memo)

    @pytest.hookimpl(wrapper=True, tryfirst=True)
    def pytest_make_collect_report(
        self, collector: pytest.Collector
    ) -> Generator[None, pytest.CollectReport, pytest.CollectReport]:
        report = yield
        redact_report(report, self.redactor, self._memo)
        return report

    @pytest.hookimpl(tryfirst=True)
    def pytest_internalerror(self, excrepr: Any, excinfo: Any) -> None:
        # The terminal and JUnit print ``excrepr`` after this; None lets them.
        if self.redactor:
            _walk(excrepr, self.redactor.redact)
