"""What a reader sees first on a scenario's page in Allure: the chat, the headline, the labels.

allure-pytest describes every test alike: the exception's class and message as
the error headline (``runner.execution.outcomes.ScenarioFailed: …``) and labels about the
machine that ran it (``host``, ``thread``, ``language``). For a scenario, the
headline is the one-line summary pytest's short summary shows, and labels that
say nothing to a reader are dropped.

The chat goes into the test's HTML description. Allure 3 shows an HTML
attachment in a frame it cannot measure when the report is opened from disk
(the attachment is a document of another origin), so the frame keeps the
browser's default 150 px; the description's frame is sized to its content.
There the whole conversation reads in place, failing step included. The chat
stays attached too, as a page of its own.
"""

from __future__ import annotations

import os
from typing import Any

import pytest

from runner.core.redact import Redactor
from runner.execution.transcript import ScenarioResult
from runner.plugin.allure_emit import allure_result
from runner.report.chat_html import render_chat_fragment
from runner.report.repeat_text import report_line

NOISE_LABELS = frozenset({"host", "thread", "language"})


def _where(result: ScenarioResult, root: os.PathLike[str] | str) -> str:
    """The scenario's file relative to the project, and its line."""
    scenario = result.scenario
    try:
        path = os.path.relpath(scenario.file, root)
    except ValueError:  # another drive on Windows
        path = scenario.file.name
    return f"{path}:{scenario.line}"


def embed_chat(item: pytest.Item, result: ScenarioResult, redactor: Redactor) -> None:
    """Show the chat as the test's description (call after the steps were emitted)."""
    test = allure_result(item.config, item.nodeid)
    if test is not None:
        test.descriptionHtml = render_chat_fragment(result, redactor,
                                                    _where(result, item.config.rootpath))


def tidy(config: pytest.Config, nodeid: str, result: ScenarioResult | None,
         redactor: Redactor) -> None:
    """The one-line headline and no noise labels (call when the test's phases are reported)."""
    test = allure_result(config, nodeid)
    if test is None:
        return
    test.labels = [label for label in test.labels if label.name not in NOISE_LABELS]
    details: Any = test.statusDetails
    if (result is not None and details is not None and test.status in ("failed", "broken")
            and result.outcome in ("failed", "broken")):
        details.message = redactor.redact(report_line(result))
