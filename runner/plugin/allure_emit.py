"""Turn a recorded scenario run into an Allure test result.

Steps are built from the transcript after the run, with their recorded start
and stop times, and written onto the item's own Allure result (found through
allure-pytest's listener by node id). Nothing here uses ``allure.step``
context managers or "the current test": Allure keeps those in a per-thread
stack, which would mix up scenarios that run concurrently in one event loop.

Labels and links become ``allure_label``/``allure_link`` marks at collection,
so allure-pytest's label filters (``--allure-features``...) select scenarios
and skipped scenarios carry them too. Everything is a no-op without
``--alluredir``.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import time
import uuid
from pathlib import Path
from typing import Any

import pytest
from allure_commons import plugin_manager
from allure_commons.model2 import (
    ATTACHMENT_PATTERN,
    Attachment,
    Label,
    Parameter,
    StatusDetails,
    TestResult,
    TestStepResult,
)

from runner.core.redact import Redactor
from runner.execution.transcript import ScenarioResult, StepRecord
from runner.judging.scores import shown
from runner.language.durations import format_duration
from runner.language.model import Scenario, Step
from runner.report.chat_html import planned_title, render_chat_html
from runner.report.render import mismatch_text, step_excerpt
from runner.report.repeat_text import conversation_text, repetition_text

SCENARIO_SUFFIXES = (".scenario.yaml", ".scenario.yml", ".yaml", ".yml")
# `---` starts a YAML document and `...` ends one, always in the first column.
_DOCUMENT_MARKER = re.compile(r"(---|\.\.\.)(\s|$)")
_MIME = {"json": "application/json", "txt": "text/plain", "html": "text/html",
         "yaml": "application/yaml"}


def _listener(config: pytest.Config) -> Any | None:
    return config.pluginmanager.get_plugin("allure_listener")


def is_active(config: pytest.Config) -> bool:
    """True when allure-pytest writes results (``--alluredir`` was given)."""
    return _listener(config) is not None


def allure_result(config: pytest.Config, nodeid: str) -> Any | None:
    """The open Allure result allure-pytest keeps for a test, or None.

    Looked up by node id in allure-pytest's own cache, not as "the current
    test", so it is right whichever scenario finished last. That cache is
    private (``AllureListener._cache``, an ``ItemCache`` keyed by the id() of
    ``item.nodeid``, so pass that very string): allure's public hooks
    (``add_title``, ``start_step``...) act on the current test only and cannot
    set recorded times. Checked against allure-pytest 2.16.2;
    tests/plugin/test_foreign_internals.py fails if it changes.
    """
    listener = _listener(config)
    cache = getattr(listener, "_cache", None)
    logger = getattr(listener, "allure_logger", None)
    if cache is None or logger is None:
        return None
    key = cache.get(nodeid)
    return logger.get_item(key) if key else None


# -- collection: labels and links as marks ----------------------------------------


def suite_names(scenario: Scenario, rootdir: Path) -> tuple[str, str]:
    """(parent suite, suite): the folder relative to the root, and the file's short name."""
    try:
        folder = scenario.file.parent.resolve().relative_to(rootdir.resolve()).as_posix()
    except ValueError:
        folder = scenario.file.parent.name
    name = scenario.file.name
    for suffix in SCENARIO_SUFFIXES:
        if name.endswith(suffix):
            name = name[: -len(suffix)]
            break
    return ("" if folder == "." else folder), name


def label_marks(item: pytest.Item, scenario: Scenario,
                redactor: Redactor) -> list[pytest.MarkDecorator]:
    """Allure label and link marks for a scenario's optional report keys."""
    marks: list[pytest.MarkDecorator] = []
    label = pytest.mark.allure_label
    plain = {mark.name for mark in item.iter_markers() if not mark.args and not mark.kwargs}
    for tag in scenario.tags:
        if tag not in plain:  # plain marks already become tag labels
            marks.append(label(redactor.redact(tag), label_type="tag"))
    for kind in ("feature", "story", "severity", "owner"):
        value = getattr(scenario, kind)
        if value:
            marks.append(label(redactor.redact(str(value)), label_type=kind))
    parent, suite = suite_names(scenario, item.config.rootpath)
    if parent:
        marks.append(label(parent, label_type="parentSuite"))
    marks.append(label(suite, label_type="suite"))
    patterns = dict(getattr(item.config.option, "allure_link_pattern", None) or [])
    for link in scenario.links:
        url = patterns.get(link.type, "{}").format(redactor.redact(link.url))
        name = redactor.redact(link.name) if link.name else url
        marks.append(pytest.mark.allure_link(url, link_type=link.type, name=name))
    return marks


# -- per test: title, description, parameters ---------------------------------------


def describe(item: pytest.Item, scenario: Scenario, redactor: Redactor) -> None:
    """Title, Markdown description and one parameter per examples value."""
    result = allure_result(item.config, item.nodeid)
    if result is None:
        return
    result.name = redactor.redact(scenario.test_name)
    description = (scenario.description or "").strip()
    where = f"`{_relative(scenario.file, item.config.rootpath)}:{scenario.line}`"
    result.description = redactor.redact(
        (description + "\n\n" if description else "") + f"Scenario file: {where}")
    if scenario.row_id is not None:
        _parameter(result, "example", scenario.row_id, redactor)
        for name, value in scenario.row.items():
            _parameter(result, str(name), value, redactor)


def _parameter(result: Any, name: str, value: Any, redactor: Redactor) -> None:
    shown = redactor.redact(value if isinstance(value, str)
                            else json.dumps(value, ensure_ascii=False, default=str))
    for parameter in result.parameters:
        if parameter.name == name:
            parameter.value = shown
            return
    result.parameters.append(Parameter(name=redactor.redact(name), value=shown))


def _relative(path: Path, root: Path) -> str:
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return os.path.basename(path)


# -- steps and attachments --------------------------------------------------------------


def _ms(seconds: float) -> int:
    return round(seconds * 1000)


def _attach(owner: Any, name: str, body: str, ext: str) -> None:
    """Write ``body`` as an attachment file and list it on ``owner`` (a test or a step)."""
    file_name = ATTACHMENT_PATTERN.format(prefix=uuid.uuid4(), ext=ext)
    plugin_manager.hook.report_attached_data(body=body, file_name=file_name)
    owner.attachments.append(Attachment(name=name, source=file_name, type=_MIME[ext]))


def _dump(value: Any, redactor: Redactor) -> str:
    return json.dumps(redactor.redact_tree(value), indent=2, ensure_ascii=False, default=str)


def _step_details(result: ScenarioResult, record: StepRecord,
                  redactor: Redactor) -> Any | None:
    if record.outcome == "failed" and record.mismatches:
        message = "; ".join(f"{m.key}: expected {m.expected}, got {m.actual}"
                            for m in record.mismatches)
        trace = "Mismatches:\n" + mismatch_text(record)
    elif record.outcome in ("failed", "broken"):
        message = record.cause or record.outcome
        trace = ""
    else:
        return None
    file, source = step_excerpt(result, record)
    if source:
        trace += ("\n\n" if trace else "") + f"{file}:\n{source}"
    return StatusDetails(message=redactor.redact(message), trace=redactor.redact(trace))


def _step(result: ScenarioResult, record: StepRecord, redactor: Redactor) -> Any:
    status = record.outcome if record.outcome in ("passed", "failed", "broken") else "skipped"
    step = TestStepResult(name=redactor.redact(record.heading), status=status,
                          start=_ms(record.started), stop=_ms(max(record.stopped,
                                                                  record.started)))
    step.statusDetails = _step_details(result, record, redactor)
    where = record.step.where(result.scenario.file.name)
    step.parameters.append(Parameter(name="step", value=f"{record.step.ref} ({where})"))
    exchange = record.exchange
    if exchange is not None:
        answer = f"HTTP {exchange.status}" if exchange.status is not None else "no answer"
        step.parameters.append(Parameter(
            name="answer", value=f"{answer} in {format_duration(exchange.elapsed)}"))
        request = {"method": exchange.method, "path": exchange.path, "body": exchange.body}
        _attach(step, "request", _dump(request, redactor), "json")
        if exchange.status is None:
            _attach(step, "response", redactor.redact(record.cause or "no answer"), "txt")
        elif exchange.data is not None or not exchange.text:
            _attach(step, "response",
                    _dump({"status": exchange.status, "body": exchange.data}, redactor), "json")
        else:
            _attach(step, "response (not JSON)",
                    redactor.redact(f"HTTP {exchange.status}\n\n{exchange.text}"), "txt")
    _scores(step, record, redactor)
    return step


def _scores(step: Any, record: StepRecord, redactor: Redactor) -> None:
    """similar_to and judge scores as parameters (the judge's reason included)."""
    for score in record.scores:
        shown_score, threshold = shown(score.score, score.threshold)
        bound = f"< {threshold}" if score.below else f"≥ {threshold}"
        value = f"{shown_score} ({bound}) {'✓' if score.passed else '✗'}"
        if score.judge_pass is not None:
            value += f" (judge: {'pass' if score.judge_pass else 'fail'})"
        if score.reason:
            value += f" — {score.reason}"
        if score.evidence:
            value += " · evidence: " + "; ".join(score.evidence)
        step.parameters.append(Parameter(name=f"{score.key} {score.kind}",
                                         value=redactor.redact(value)))
    if record.scores:
        _attach(step, "scores", redactor.redact(
            "\n".join(score.describe() for score in record.scores)), "txt")


def _not_run(step: Step, at: float, why: str, redactor: Redactor) -> Any:
    name = redactor.redact(planned_title(step))
    return TestStepResult(name=name, status="skipped", start=_ms(at), stop=_ms(at),
                          statusDetails=StatusDetails(message=redactor.redact(why)))


def _why_not_run(result: ScenarioResult) -> str:
    failed = result.failed_step
    if failed is not None:
        verb = "failed" if failed.outcome == "failed" else "broke"
        return f"not run: {failed.step.ref} {verb} before it"
    return f"not run: the run broke: {result.cause or 'before this step'}"


def _nest_turns(parent: Any, result: ScenarioResult, step: Step,
                records: dict[int, StepRecord], redactor: Redactor) -> None:
    """A ``simulate:`` step holds its turns (simulated customer, operator) as steps."""
    turns = [r for r in result.steps if r.step.turn and r.step.block == step.block
             and r.step.index == step.index]
    for turn in turns:
        records.pop(id(turn.step), None)
        parent.steps.append(_step(result, turn, redactor))
        if turn.outcome in ("failed", "broken") and parent.status == "passed":
            parent.status = turn.outcome  # the simulation is where the scenario failed


def _steps_of(result: ScenarioResult, redactor: Redactor) -> list[Any]:
    steps = []
    records = {id(record.step): record for record in result.steps}
    at = result.started
    for step in result.scenario.all_steps():  # in file order, steps that never ran included
        record = records.pop(id(step), None)
        if record is None:
            steps.append(_not_run(step, at, _why_not_run(result), redactor))
        else:
            steps.append(_step(result, record, redactor))
            if step.action == "simulate":
                _nest_turns(steps[-1], result, step, records, redactor)
            for acted in [r for r in result.steps if r.step.by_operator  # the operator's
                          and r.step.block == step.block and r.step.index == step.index]:
                records.pop(id(acted.step), None)  # actions follow the turn they answer
                steps.append(_step(result, acted, redactor))
            at = max(record.stopped, record.started)
    steps.extend(_step(result, record, redactor) for record in records.values())
    return steps


def _repeated_steps(result: ScenarioResult, redactor: Redactor) -> list[Any]:
    """One top-level step per run (its steps inside), then every step's pass rate.

    Runs as steps of one test, not as retries or parameters: the test keeps one
    status (the pass-rate verdict) and one history, and each run opens in place.
    """
    repetition = result.repetition
    assert repetition is not None
    steps = []
    made, planned = len(repetition.runs), repetition.total  # fewer made after an early stop
    for number, run in enumerate(repetition.runs, start=1):
        failed = run.failed_step
        title = f"run {number} of {planned}: {run.outcome}"
        if failed is not None:
            title += f" at {failed.step.ref} {failed.title}"
        step = TestStepResult(name=redactor.redact(title),
                              status=run.outcome if run.outcome != "skipped" else "skipped",
                              start=_ms(run.started), stop=_ms(max(run.stopped, run.started)))
        step.parameters.append(Parameter(name="customer", value=redactor.redact(run.customer)))
        step.steps = _steps_of(run, redactor)
        _attach(step, f"chat transcript (run {number})", render_chat_html(run, redactor),
                "html")
        steps.append(step)
    now = _ms(result.stopped)
    name = f"step pass rates over {made} runs"
    if repetition.stop_reason:
        name += f" ({repetition.stopping()})"
    rates = TestStepResult(name=redactor.redact(name), start=now, stop=now,
                           status="passed" if repetition.ok else "failed")
    for rate in repetition.step_rates():
        rates.steps.append(TestStepResult(
            name=redactor.redact(rate.describe()), start=now, stop=now,
            status="passed" if not rate.failed else "failed"))
    steps.append(rates)
    return steps


def emit_run(item: pytest.Item, result: ScenarioResult, redactor: Redactor) -> None:
    """Steps (with request/response JSON) and the chat transcript, on the item's result."""
    test = allure_result(item.config, item.nodeid)
    if test is None:
        return
    if result.repetition is not None:
        test.steps.extend(_repeated_steps(result, redactor))
        summary = repetition_text(result)
        test.description = (test.description or "") + "\n\n" + redactor.redact(
            f"**Repeated:** {result.repetition.summary()}")
        _attach(test, "runs and step pass rates", redactor.redact(summary), "txt")
    else:
        test.steps.extend(_steps_of(result, redactor))
    _attach(test, "chat transcript", render_chat_html(result, redactor), "html")
    _attach(test, "chat transcript (text)", redactor.redact(conversation_text(result)), "txt")
    if result.llm_usage.calls:  # excluded from the history id: it varies from run to run
        test.parameters.append(Parameter(name="LLM token use",
                                         value=result.llm_usage.describe(), excluded=True))
    document = scenario_document(result.scenario)
    if document:
        _attach(test, result.scenario.file.name, redactor.redact(document), "yaml")


def scenario_document(scenario: Scenario) -> str:
    """The YAML document a scenario was written in: from the marker before it (or the
    file's start, with its modeline) to the next one.

    Only this, not the whole file: a file of 3,000 scenarios would otherwise be
    attached 3,000 times.
    """
    lines = scenario.source_lines
    start = min(max(scenario.line - 1, 0), len(lines))
    begin = start
    # A document may open on its marker's line: `--- {scenario: ..., steps: [...]}`.
    while (begin > 0 and begin < len(lines) and not _DOCUMENT_MARKER.match(lines[begin])
           and not _DOCUMENT_MARKER.match(lines[begin - 1])):
        begin -= 1
    end = start + 1
    while end < len(lines) and not _DOCUMENT_MARKER.match(lines[end]):
        end += 1
    return "".join(f"{line}\n" for line in lines[begin:end])


def scrub(config: pytest.Config, nodeid: str, redactor: Redactor) -> None:
    """Redact what allure-pytest itself put on a result (e.g. the exception message).

    Call from ``pytest_runtest_logfinish``: after every phase was reported and
    before allure-pytest writes the result.
    """
    result = allure_result(config, nodeid) if redactor else None
    if result is not None:
        _scrub(result, redactor)


def _scrub(item: Any, redactor: Redactor) -> None:
    for name in ("name", "fullName", "description", "descriptionHtml"):
        value = getattr(item, name, None)
        if isinstance(value, str):
            setattr(item, name, redactor.redact(value))
    details = getattr(item, "statusDetails", None)
    if details is not None:
        details.message = redactor.redact(details.message) if details.message else None
        details.trace = redactor.redact(details.trace) if details.trace else None
    for entry in [*getattr(item, "labels", []), *getattr(item, "parameters", [])]:
        if isinstance(entry.value, str):
            entry.value = redactor.redact(entry.value)
    if isinstance(getattr(item, "titlePath", None), list):
        item.titlePath = [redactor.redact(str(part)) for part in item.titlePath]
    for step in getattr(item, "steps", []):
        _scrub(step, redactor)


# -- collection errors ----------------------------------------------------------------------


def collection_error(config: pytest.Config, path: Path, text: str,
                     redactor: Redactor) -> None:
    """A broken Allure result for a scenario file that could not be loaded.

    allure-pytest reports only tests that ran; without this a file with a typo
    would vanish from the nightly report instead of showing up as broken.
    """
    if not is_active(config):
        return
    relative = _relative(path, config.rootpath)
    first = text.strip().splitlines()[0] if text.strip() else "could not be loaded"
    now = _ms(time.time())
    result = TestResult(uuid=str(uuid.uuid4()), name=f"{relative} (scenario file error)",
                        fullName=f"{relative}#collection", status="broken",
                        start=now, stop=now, stage="finished")
    result.historyId = result.testCaseId = hashlib.md5(result.fullName.encode(),
                                                             usedforsecurity=False).hexdigest()
    result.statusDetails = StatusDetails(message=redactor.redact(f"Scenario file error: {first}"),
                                         trace=redactor.redact(text))
    parent = Path(relative).parent.as_posix()
    if parent != ".":
        result.labels.append(Label(name="parentSuite", value=parent))
    result.labels.append(Label(name="suite", value=Path(relative).name))
    result.labels.append(Label(name="framework", value="pytest"))
    plugin_manager.hook.report_result(result=result)
