"""Reports mask each distinct text once, and a redactor armed with more secrets starts afresh."""

from __future__ import annotations

import pytest

from runner.core.redact import Redactor
from runner.plugin.pytest_redaction import ReportRedaction

FIRST = "first-secret-0123456789"
SECOND = "second-secret-9876543210"


def _report(text: str) -> pytest.TestReport:
    return pytest.TestReport(nodeid=f"a.scenario.yaml::{text}", location=("a", 1, text),
                             keywords={text: 1}, outcome="failed", longrepr=text, when="call",
                             sections=[("Captured stdout call", text)])


def test_a_text_seen_before_rearming_is_masked_with_the_new_secrets() -> None:
    gate = ReportRedaction(Redactor([FIRST]))
    text = f"token {SECOND} in a reply"
    early = _report(text)
    gate.pytest_runtest_logreport(early)
    assert SECOND in str(early.longrepr)  # not a secret yet

    gate.redactor = Redactor([FIRST, SECOND])
    late = _report(text)
    gate.pytest_runtest_logreport(late)
    rendered = f"{late.nodeid} {late.location} {late.keywords} {late.longrepr} {late.sections}"
    assert SECOND not in rendered
    assert "token" in rendered


def test_every_copy_of_a_repeated_text_is_masked() -> None:
    gate = ReportRedaction(Redactor([FIRST]))
    reports = [_report(f"said {FIRST}") for _ in range(3)]
    for report in reports:
        gate.pytest_runtest_logreport(report)
        gate.pytest_runtest_logreport(report)
    for report in reports:
        assert FIRST not in f"{report.nodeid} {report.location} {report.longrepr} " \
                            f"{report.sections} {report.keywords}"
