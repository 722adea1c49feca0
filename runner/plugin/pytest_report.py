"""The pytest side of the reports: Allure, JUnit, run metadata and the summary.

The scenario plugin registers :class:`ReportPlugin` in ``pytest_configure``
and calls :func:`on_scenario_result` at the end of ``ScenarioItem.runtest``,
before it raises for a failure, so the Allure result is still open. A problem
while writing a report is reported as a warning; it never changes or hides a
scenario's own outcome.
"""

from __future__ import annotations

import fnmatch
import os
import time
from collections.abc import Generator
from pathlib import Path
from typing import Any

import pytest

from runner.core.options import DEFAULT_PATTERNS
from runner.core.redact import Redactor, environment_secrets
from runner.core.terminal_text import printable
from runner.execution.transcript import ScenarioResult
from runner.language.agents import mock_uuid
from runner.language.model import Scenario
from runner.plugin import allure_emit, allure_readable, junit
from runner.plugin.stash import REDACTOR, SETTINGS, TARGET
from runner.report import metadata
from runner.report.repeat_text import conversation_text
from runner.report.summary import STATUSES, ScenarioOutcome, Status, build_summary

HTML_REPORT = Path("reports") / "allure-report" / "index.html"
DEFAULT_RESULTS = Path("reports") / "allure-results"
_DESCRIBED = pytest.StashKey[bool]()


def redactor_for(config: pytest.Config) -> Redactor:
    found = config.stash.get(REDACTOR, None)
    if isinstance(found, Redactor):
        return found
    # The plugin did not set one up: still never let the token through.
    return Redactor(environment_secrets(os.environ))


def scenario_of(item: pytest.Item) -> Scenario | None:
    scenario = getattr(item, "scenario", None)
    return scenario if isinstance(scenario, Scenario) else None


def _warn(item: pytest.Item, what: str, error: Exception) -> None:
    # The error may quote what it failed on, a secret included.
    item.warn(pytest.PytestWarning(redactor_for(item.config).redact(
        f"osvi report: could not {what}: {type(error).__name__}: {error}")))


def on_scenario_result(item: pytest.Item, result: ScenarioResult) -> None:
    """Record a finished scenario in the reports (call inside ``runtest``)."""
    _llm_usage_properties(item, result)
    if not allure_emit.is_active(item.config):
        return
    redactor = redactor_for(item.config)
    try:
        allure_emit.describe(item, result.scenario, redactor)
        item.stash[_DESCRIBED] = True
        allure_emit.emit_run(item, result, redactor)
        allure_readable.embed_chat(item, result, redactor)
    except Exception as error:
        _warn(item, "write the Allure steps", error)


def _llm_usage_properties(item: pytest.Item, result: ScenarioResult) -> None:
    """JUnit properties: what the LLM judge's calls used, as numbers a CI can add up."""
    usage = result.llm_usage
    if not usage.calls:
        return
    item.user_properties += [("llm_calls", str(usage.calls)),
                             ("llm_cached_calls", str(usage.cached)),
                             ("llm_tokens_in", str(usage.prompt_tokens)),
                             ("llm_tokens_out", str(usage.completion_tokens))]
    if usage.unreported:
        item.user_properties.append(("llm_calls_without_token_use", str(usage.unreported)))
    if usage.cost is not None:
        item.user_properties.append(("llm_cost", f"{usage.cost:.6f}"))


def _target_kind(config: pytest.Config) -> str:
    target = config.stash.get(TARGET, None)
    return getattr(target, "kind", "mock")


def _agents(scenario: Scenario, kind: str) -> tuple[tuple[str, str], ...]:
    """Each of the scenario's ``agents:`` and where it is reached: for the summary's line."""
    if kind == "mock":
        return tuple((name, mock_uuid(name)) for name in scenario.agents)
    return tuple((name, agent.id or "no id") for name, agent in scenario.agents.items())


def _status(report: pytest.TestReport, call: pytest.CallInfo[None]) -> Status:
    if report.skipped:
        return "skipped"
    if report.passed:
        return "passed"
    if report.when == "call" and call.excinfo is not None and isinstance(
            call.excinfo.value, AssertionError):
        return "failed"
    return "broken"


# The report attribute that carries a scenario's outcome to the xdist controller.
OUTCOME_ATTRIBUTE = "osvi_outcome"

class ReportPlugin:
    """Hooks for the reports; registered as ``osvi-report``."""

    def __init__(self, config: pytest.Config) -> None:
        self.config = config
        self.started = time.time()
        self.outcomes: dict[str, ScenarioOutcome] = {}
        self.remote_outcomes: dict[str, ScenarioOutcome] = {}
        self.file_errors: list[str] = []

    @property
    def redactor(self) -> Redactor:
        return redactor_for(self.config)

    # -- collection -------------------------------------------------------------------

    @pytest.hookimpl(tryfirst=True)
    def pytest_collection_modifyitems(self, items: list[pytest.Item]) -> None:
        # Before allure-pytest's own hook, so its label filters see these marks.
        if not self.config.pluginmanager.hasplugin("allure_pytest"):
            return
        for item in items:
            scenario = scenario_of(item)
            if scenario is None:
                continue
            for mark in allure_emit.label_marks(item, scenario, self.redactor):
                item.add_marker(mark)

    def pytest_collectreport(self, report: pytest.CollectReport) -> None:
        if not report.failed:
            return
        path = Path(report.fspath)
        settings = self.config.stash.get(SETTINGS, None)
        patterns = getattr(settings, "patterns", None) or DEFAULT_PATTERNS
        if not any(fnmatch.fnmatch(path.name, pattern) for pattern in patterns):
            return
        self.file_errors.append(report.fspath)
        try:
            allure_emit.collection_error(self.config, self.config.rootpath / path,
                                         report.longreprtext, self.redactor)
        except Exception as error:  # the collection error itself is already reported
            self.config.issue_config_time_warning(pytest.PytestWarning(self.redactor.redact(
                f"osvi report: could not add {report.fspath} to the Allure results: {error}")),
                stacklevel=2)

    # -- running ---------------------------------------------------------------------------

    @pytest.hookimpl(trylast=True)
    def pytest_runtest_teardown(self, item: pytest.Item) -> None:
        # Skipped scenarios never reach runtest: give them their title here, after
        # allure-pytest named them in setup and before it closes the result.
        scenario = scenario_of(item)
        if scenario is None or item.stash.get(_DESCRIBED, False):
            return
        try:
            allure_emit.describe(item, scenario, self.redactor)
        except Exception as error:
            _warn(item, "name the Allure result", error)

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_makereport(
        self, item: pytest.Item, call: pytest.CallInfo[None]
    ) -> Generator[None, pytest.TestReport, pytest.TestReport]:
        report = yield
        scenario = scenario_of(item)
        if scenario is None:
            return report
        if report.when == "setup" and report.passed:
            # Says nothing about the scenario yet; an interrupted run stops right here.
            return report
        status = _status(report, call)
        previous = self.outcomes.get(item.nodeid)
        if previous is not None and previous.status != "passed":
            status = previous.status  # the first problem (skip, failure, error) decides
        found = getattr(item, "result", None)
        result = found if isinstance(found, ScenarioResult) else None
        agents = _agents(scenario, _target_kind(self.config))
        self.outcomes[item.nodeid] = ScenarioOutcome(scenario.test_name, scenario.tags,
                                                     status, result, agents)
        # Plain data on the report travels from pytest-xdist workers to the controller,
        # which never sees the item: enough for the summary's table there.
        setattr(report, OUTCOME_ATTRIBUTE,
                {"name": scenario.test_name, "tags": list(scenario.tags), "status": status,
                 "agents": [list(pair) for pair in agents]})
        if report.when == "teardown" and result is not None and self.config.option.xmlpath:
            # Built only for a JUnit file (written by xdist's controller from the report).
            junit.attach_conversation(report, self.redactor.redact(conversation_text(result)))
        return report

    def pytest_runtest_logfinish(self, nodeid: str) -> None:
        # allure-pytest copies exception messages verbatim; mask secrets before it writes.
        try:
            allure_emit.scrub(self.config, nodeid, self.redactor)
            outcome = self.outcomes.get(nodeid)
            allure_readable.tidy(self.config, nodeid, outcome.result if outcome else None,
                                 self.redactor)
        except Exception as error:
            self.config.issue_config_time_warning(pytest.PytestWarning(self.redactor.redact(
                f"osvi report: could not check the Allure result of {nodeid}: {error}")),
                stacklevel=2)

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        # Before pytest's JUnit writer closes the test case on its teardown report.
        if report.when == "teardown":
            junit.add_system_out(self.config, report)
        if report.nodeid not in self.outcomes:  # run by a pytest-xdist worker
            remote = _remote_outcome(getattr(report, OUTCOME_ATTRIBUTE, None))
            if remote is not None:
                self.remote_outcomes[report.nodeid] = remote

    # -- the end -----------------------------------------------------------------------------

    def _alluredir(self) -> Path | None:
        where = getattr(self.config.option, "allure_report_dir", None)
        return Path(where) if where else None

    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        results = self._alluredir()
        if results is None or hasattr(self.config, "workerinput"):
            return
        settings = self.config.stash.get(SETTINGS, None)
        try:
            metadata.write_metadata(results, base_url=getattr(settings, "base_url", None),
                                    agent=getattr(settings, "agent", None),
                                    env=os.environ, redactor=self.redactor)
        except Exception as error:
            reporter = self.config.pluginmanager.get_plugin("terminalreporter")
            if reporter is not None:
                reporter.write_line(self.redactor.redact(
                    f"osvi report: could not write the Allure run metadata to {results}: "
                    f"{error}"), yellow=True)

    def report_locations(self) -> list[tuple[str, str]]:
        found: list[tuple[str, str]] = []
        results = self._alluredir()
        if results is not None:
            found.append(("Allure results", str(results)))
        xmlpath = getattr(self.config.option, "xmlpath", None)
        if xmlpath:
            found.append(("JUnit XML", str(xmlpath)))
        html = self.config.rootpath / HTML_REPORT
        render = "python -m runner.report.render_html"
        if results is not None and results.resolve() != (self.config.rootpath
                                                         / DEFAULT_RESULTS).resolve():
            render += f" --results {results}"
        if html.exists() and html.stat().st_mtime >= self.started:
            found.append(("HTML report", _shown(html)))
        elif results is not None:
            # Where the render step writes this run's report (`make scenarios` runs it next).
            found.append(("HTML report", f"{_shown(html)} (written by: {render})"))
        return found

    # Last, after e.g. JUnit's "generated xml file" line, however late this plugin was
    # registered (the entry point loads it when the first scenario file is collected).
    @pytest.hookimpl(trylast=True)
    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        if hasattr(self.config, "workerinput"):
            return
        outcomes = {**self.remote_outcomes, **self.outcomes}
        # Live sessions still open (a stopped run's cancelled scenarios report nothing).
        ledger = getattr(self.config.stash.get(SETTINGS, None), "open_sessions", None)
        still_open = ledger.still_open() if ledger is not None else {}
        if not outcomes and not self.file_errors and not still_open:
            return
        lines = build_summary(list(outcomes.values()), self.report_locations(),
                              self.redactor, self.file_errors, still_open,
                              target=_target_kind(self.config))
        if self.remote_outcomes and not self.outcomes:
            lines += ["", "(with pytest-xdist the steps, scores and sessions of each scenario "
                          "stay with its worker: see the Allure and JUnit reports)"]
        terminalreporter.section("osvi summary")
        for line in lines:  # names, titles and session ids come from files and the API
            terminalreporter.write_line(printable(line, one_line=True))


def _remote_outcome(data: Any) -> ScenarioOutcome | None:
    """A worker's outcome as the controller receives it, if it is well formed."""
    if not isinstance(data, dict):
        return None
    status, name, tags = data.get("status"), data.get("name"), data.get("tags")
    if status not in STATUSES or not isinstance(name, str) or not isinstance(tags, list):
        return None
    agents = data.get("agents")
    pairs = tuple((str(pair[0]), str(pair[1])) for pair in agents
                  if isinstance(pair, list) and len(pair) == 2) if isinstance(agents, list) else ()
    return ScenarioOutcome(name, tuple(str(tag) for tag in tags), status, None, pairs)


def _shown(path: Path) -> str:
    try:
        return os.path.relpath(path)
    except ValueError:
        return str(path)
