"""The pytest plugin: a thin layer that collects scenario files and runs them.

Everything of substance lives in the library (loader, executor, render); this
module only maps it onto pytest's collection, options, marks and reports.
"""

from __future__ import annotations

import asyncio
import fnmatch
import os
import uuid
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from runner.errors import Problem, ScenarioFileError
from runner.executor import run_scenario
from runner.failure_repr import ScenarioFailureRepr
from runner.loader import MockFileCache, load_scenarios
from runner.model import Scenario
from runner.outcomes import ScenarioBroken, ScenarioFailed, raise_for_outcome
from runner.redact import Redactor
from runner.render import chat_text, failure_report, one_line
from runner.report.pytest_report import ReportPlugin, on_scenario_result
from runner.settings import DEFAULT_PATTERNS, Settings, SettingsError, build_settings
from runner.transcript import ScenarioResult

SETTINGS = pytest.StashKey[Settings]()
REDACTOR = pytest.StashKey[Redactor]()
MOCK_FILES = pytest.StashKey[MockFileCache]()
RUN_ID = pytest.StashKey[str]()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("osvi", "OSVI chat scenarios")
    group.addoption("--osvi-target", choices=("auto", "mock", "live"), default=None,
                    help="where scenarios run: the embedded mock, the live API, or auto "
                         "(live when a base URL is set). Default: auto.")
    group.addoption("--osvi-base-url", metavar="URL", default=None,
                    help="run against the live OSVI API at URL (also OSVI_BASE_URL, ini "
                         "osvi_base_url); the token comes from OSVI_API_TOKEN.")
    group.addoption("--osvi-agent", metavar="AGENT_UUID", default=None,
                    help="agent for scenarios without `agent:` (also OSVI_AGENT_UUID, ini "
                         "osvi_agent).")
    group.addoption("--osvi-timeout", metavar="DURATION", default=None,
                    help="time limit for one API request, e.g. 30s (ini osvi_timeout; "
                         "default 30s).")
    group.addoption("--osvi-max-wait", metavar="DURATION", default=None,
                    help="longest real sleep for a `wait:` step against the live API "
                         "(ini osvi_max_wait; default 60s). The mock only moves its clock.")
    group.addoption("--osvi-scenario-timeout", metavar="DURATION", default=None,
                    help="time limit for a whole scenario (ini osvi_scenario_timeout; "
                         "a scenario's own `timeout:` wins).")
    parser.addini("osvi_base_url", "base URL of the live OSVI API (empty: embedded mock)")
    parser.addini("osvi_agent", "default agent_uuid for scenarios without `agent:`")
    parser.addini("osvi_timeout", "time limit for one API request (default 30s)")
    parser.addini("osvi_max_wait", "longest real sleep for a `wait:` step (default 60s)")
    parser.addini("osvi_scenario_timeout", "time limit for a whole scenario")
    parser.addini("osvi_patterns", "file name patterns of scenario files",
                  type="linelist", default=list(DEFAULT_PATTERNS))


def _first(*values: Any) -> Any:
    return next((v for v in values if v not in (None, "")), None)


def pytest_configure(config: pytest.Config) -> None:
    env = os.environ
    option = config.option
    try:
        settings = build_settings(
            target=option.osvi_target,
            base_url=_first(option.osvi_base_url, env.get("OSVI_BASE_URL"),
                            config.getini("osvi_base_url")),
            agent=_first(option.osvi_agent, env.get("OSVI_AGENT_UUID"),
                         config.getini("osvi_agent")),
            timeout=_first(option.osvi_timeout, config.getini("osvi_timeout")),
            max_wait=_first(option.osvi_max_wait, config.getini("osvi_max_wait")),
            scenario_timeout=_first(option.osvi_scenario_timeout,
                                    config.getini("osvi_scenario_timeout")),
            patterns=config.getini("osvi_patterns"),
            env=env,
        )
    except SettingsError as error:
        raise pytest.UsageError(str(error)) from None
    config.stash[SETTINGS] = settings
    config.stash[REDACTOR] = Redactor([settings.token])
    config.stash[MOCK_FILES] = MockFileCache()
    config.stash[RUN_ID] = uuid.uuid4().hex[:8]
    config.pluginmanager.register(ReportPlugin(config), "osvi-report")


def pytest_report_header(config: pytest.Config) -> str | None:
    settings = config.stash.get(SETTINGS, None)
    return f"osvi: target {settings.describe()}" if settings else None


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> ScenarioFile | None:
    settings = parent.config.stash[SETTINGS]
    if any(fnmatch.fnmatch(file_path.name, pattern) for pattern in settings.patterns):
        file: ScenarioFile = ScenarioFile.from_parent(parent, path=file_path)
        return file
    return None


def _relative(problem: Problem) -> Problem:
    """Problems name files relative to the working folder, as the CLI does."""
    try:
        return replace(problem, file=os.path.relpath(problem.file))
    except ValueError:  # another drive on Windows
        return problem


class ScenarioFile(pytest.File):
    def collect(self) -> Iterator[ScenarioItem]:
        scenarios = load_scenarios(self.path, os.environ, self.config.stash[MOCK_FILES])
        for scenario in scenarios:
            item: ScenarioItem = ScenarioItem.from_parent(
                self, name=scenario.test_name, scenario=scenario)
            yield item

    def repr_failure(
        self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None
    ) -> Any:
        if isinstance(excinfo.value, ScenarioFileError):
            return "\n".join(_relative(p).format() for p in excinfo.value.problems)
        return super().repr_failure(excinfo)


class ScenarioItem(pytest.Item):
    def __init__(self, *, scenario: Scenario, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.scenario = scenario
        self.result: ScenarioResult | None = None
        for tag in scenario.tags:
            self.config.addinivalue_line("markers", f"{tag}: scenario tag")
            self.add_marker(getattr(pytest.mark, tag))
        if scenario.skip is not None:
            self.add_marker(pytest.mark.skip(reason=scenario.skip))
        if scenario.xfail is not None:
            self.add_marker(pytest.mark.xfail(reason=scenario.xfail))

    async def execute(self) -> ScenarioResult:
        """What this item runs: one scenario against the configured target.

        Kept free of any event-loop handling so a scheduler may run many of
        these concurrently in one loop.
        """
        settings = self.config.stash[SETTINGS]
        return await run_scenario(
            self.scenario, settings.make_target(), os.environ,
            default_agent=settings.agent, run_id=self.config.stash[RUN_ID],
            timeout=settings.scenario_timeout)

    def _run(self) -> ScenarioResult:
        """How this item's ``execute`` is driven: here, its own event loop."""
        return asyncio.run(self.execute())

    def runtest(self) -> None:
        result = self._run()
        self.result = result
        self.user_properties.append(("target", result.target))
        if result.sessions:
            self.user_properties.append(("session_ids", " ".join(result.sessions)))
        if result.outcome == "passed":
            # A failure report already holds the conversation; a pass shows it with -rP.
            self.add_report_section("call", "conversation",
                                    self.config.stash[REDACTOR].redact(chat_text(result)))
        on_scenario_result(self, result)
        raise_for_outcome(result)

    def repr_failure(
        self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None
    ) -> Any:
        error = excinfo.value
        if isinstance(error, (ScenarioFailed, ScenarioBroken)):
            redact = self.config.stash[REDACTOR].redact
            return ScenarioFailureRepr(redact(failure_report(error.result)),
                                       redact(one_line(error.result)),
                                       str(self.path), self.scenario.line)
        return super().repr_failure(excinfo)

    def reportinfo(self) -> tuple[Path, int, str]:
        return self.path, self.scenario.line - 1, f"scenario: {self.scenario.test_name}"
