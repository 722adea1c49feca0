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

import runner
from runner.core.errors import Problem, ScenarioFileError
from runner.core.redact import Redactor, environment_secrets, redact_log_records
from runner.core.terminal_text import printable
from runner.execution.executor import run_scenario
from runner.execution.outcomes import ScenarioBroken, ScenarioFailed, raise_for_outcome, stop_reason
from runner.execution.repeat import plan as repeat_plan
from runner.execution.repeat import run_repeated
from runner.execution.settings import DEFAULT_PATTERNS, SettingsError, build_settings
from runner.execution.toolkit import ToolkitError, build_toolkit
from runner.execution.transcript import ScenarioResult
from runner.judging.judge import Judge, uses_judge
from runner.language.loader import MockFileCache, load_scenarios
from runner.language.model import Scenario
from runner.language.odd_entries import OddEntries
from runner.plugin.failure_repr import ScenarioFailureRepr
from runner.plugin.pytest_redaction import ReportRedaction
from runner.plugin.pytest_report import ReportPlugin, on_scenario_result
from runner.plugin.scheduling import ConcurrentScenarios
from runner.plugin.signals import interrupt_on_sigterm
from runner.plugin.stash import CONCURRENCY, MOCK_FILES, REDACTOR, RUN_ID, SETTINGS, TOOLKIT
from runner.plugin.tag_marks import tag_marks
from runner.report import transcript_store
from runner.report.repeat_text import conversation_text, report_line, report_text

# Where our own code lives: an internal error names the innermost frame in it.
PACKAGE_DIR = Path(runner.__file__).resolve().parent
NO_JUDGE_SKIP = ("uses an LLM judge (`judge:`), and none is configured: pass --osvi-judge-url "
                 "(or the ini option osvi_judge_url) and export OSVI_JUDGE_MODEL to run it")


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
    group.addoption("--osvi-retries", metavar="N", default=None,
                    help="live only: how often to send a request again when that is safe "
                         "(the connection failed before sending, or 429/503 with "
                         "Retry-After); ini osvi_retries; default 2, 0 turns it off.")
    group.addoption("--osvi-contract", choices=("strict", "off"), default=None,
                    help="check every answer against schemas/osvi-chat-v1.openapi.yaml: an "
                         "answer that breaks it ends the scenario as broken (ini "
                         "osvi_contract; default strict).")
    group.addoption("--osvi-keep-sessions", action="store_true", default=None,
                    help="live only: leave the sessions a scenario opened open, instead of "
                         "closing them when it ends (ini osvi_keep_sessions).")
    group.addoption("--osvi-concurrency", metavar="N", default=None,
                    help="run up to N scenarios at once in one event loop; steps within a "
                         "scenario stay in order and reports stay as in a sequential run "
                         "(ini osvi_concurrency; default 1).")
    group.addoption("--osvi-rate", metavar="RATE", default=None,
                    help="at most RATE requests per second for the whole run, e.g. 5, 0.5 or "
                         "120/min; with -n, shared between the workers (ini osvi_rate).")
    group.addoption("--osvi-burst", metavar="N", default=None,
                    help="with --osvi-rate: up to N requests may go at once after a quiet "
                         "spell (ini osvi_burst; default one second's worth).")
    group.addoption("--osvi-max-response", metavar="SIZE", default=None,
                    help="largest answer the runner reads, as received and unpacked, e.g. "
                         "10MB, 512KB or a number of bytes; a larger one breaks its scenario "
                         "(ini osvi_max_response; default 10MB).")
    parser.addini("osvi_base_url", "base URL of the live OSVI API (empty: embedded mock)")
    parser.addini("osvi_agent", "default agent_uuid for scenarios without `agent:`")
    parser.addini("osvi_timeout", "time limit for one API request (default 30s)")
    parser.addini("osvi_max_wait", "longest real sleep for a `wait:` step (default 60s)")
    parser.addini("osvi_scenario_timeout", "time limit for a whole scenario")
    parser.addini("osvi_retries", "live: safe retries per request (default 2)")
    parser.addini("osvi_contract", "strict (default) or off: check answers against the contract")
    parser.addini("osvi_keep_sessions", "live: leave sessions open after each scenario",
                  type="bool", default=False)
    parser.addini("osvi_concurrency", "scenarios run at once (default 1)")
    parser.addini("osvi_rate", "most requests per second for the whole run, e.g. 5 or 120/min")
    parser.addini("osvi_burst", "with osvi_rate: most requests at once (default 1 s worth)")
    parser.addini("osvi_max_response", "largest answer read, e.g. 10MB or 512KB (default 10MB)")
    parser.addini("osvi_patterns", "file name patterns of scenario files",
                  type="linelist", default=list(DEFAULT_PATTERNS))
    group.addoption("--osvi-allow-outside-root", action="store_true", default=None,
                    help="let `mock:` name files outside pytest's rootdir (ini "
                         "osvi_allow_outside_root); their content is still never quoted.")
    parser.addini("osvi_allow_outside_root", "let `mock:` name files outside the rootdir",
                  type="bool", default=False)
    _add_toolkit_options(group, parser)


def _add_toolkit_options(group: Any, parser: pytest.Parser) -> None:
    """The prompt-regression toolkit's options (docs/regression.md)."""
    group.addoption("--osvi-repeat", metavar="N", default=None,
                    help="run every scenario's conversation N times, each with a fresh "
                         "customer; a scenario passes when its pass rate reaches its "
                         "repeat.min_pass_rate (default 1: every run). Overrides repeat.runs "
                         "(ini osvi_repeat).")
    group.addoption("--osvi-judge-url", metavar="URL", default=None,
                    help="OpenAI-compatible chat-completions endpoint for `judge:` matchers, "
                         "e.g. http://127.0.0.1:11434/v1 (ini osvi_judge_url); model from "
                         "OSVI_JUDGE_MODEL, key from OSVI_JUDGE_API_KEY. Without it, "
                         "scenarios that use `judge:` are skipped.")
    group.addoption("--osvi-transcripts", metavar="DIR", default=None,
                    help="write one machine-readable transcript per scenario into DIR, for "
                         "`osvi-scenarios diff` (ini osvi_transcripts); old ones are removed "
                         "first.")
    parser.addini("osvi_repeat", "runs per scenario (overrides repeat.runs)")
    parser.addini("osvi_judge_url", "OpenAI-compatible endpoint for `judge:` matchers")
    parser.addini("osvi_judge_model", "the judge's model (OSVI_JUDGE_MODEL wins)")
    parser.addini("osvi_transcripts", "folder for per-scenario transcript JSON files")


def _first(*values: Any) -> Any:
    return next((v for v in values if v not in (None, "")), None)


def _ini_flag(config: pytest.Config, name: str) -> bool:
    try:
        return bool(config.getini(name))
    except (ValueError, pytest.UsageError):  # pytest's own words do not name the option
        raise SettingsError(f"ini {name}: write true or false") from None


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
            retries=_first(option.osvi_retries, config.getini("osvi_retries")),
            contract=_first(option.osvi_contract, config.getini("osvi_contract")),
            keep_sessions=bool(option.osvi_keep_sessions or _ini_flag(config,
                                                                      "osvi_keep_sessions")),
            concurrency=_first(option.osvi_concurrency, config.getini("osvi_concurrency")),
            rate=_first(option.osvi_rate, config.getini("osvi_rate")),
            burst=_first(option.osvi_burst, config.getini("osvi_burst")),
            rate_share=_xdist_workers(config),
            max_response=_first(option.osvi_max_response, config.getini("osvi_max_response")),
        )
    except SettingsError as error:
        raise pytest.UsageError(str(error)) from None
    config.stash[SETTINGS] = settings
    try:
        toolkit = build_toolkit(
            repeat=_first(option.osvi_repeat, config.getini("osvi_repeat")),
            judge_url=_first(option.osvi_judge_url, config.getini("osvi_judge_url")),
            judge_model=_first(config.getini("osvi_judge_model")),
            transcripts=_first(option.osvi_transcripts, config.getini("osvi_transcripts")),
            timeout=settings.timeout, env=env)
    except ToolkitError as error:
        raise pytest.UsageError(str(error)) from None
    config.stash[TOOLKIT] = toolkit
    if toolkit.transcripts is not None and not hasattr(config, "workerinput"):
        transcript_store.clear(toolkit.transcripts)
    # The token is masked on every target: a mock run may use `{{ env.OSVI_API_TOKEN }}` too.
    redactor = Redactor([*settings.secrets, *toolkit.secrets, *environment_secrets(env)])
    config.stash[REDACTOR] = redactor
    config.add_cleanup(redact_log_records(redactor))
    config.pluginmanager.register(ReportRedaction(redactor), "osvi-redaction")
    # CI cancels with SIGTERM: end like Ctrl-C (JUnit, summary, sessions closed), exit 2.
    config.add_cleanup(interrupt_on_sigterm())
    config.stash[MOCK_FILES] = MockFileCache(config.rootpath, allow_outside_root=bool(
        option.osvi_allow_outside_root or _ini_flag(config, "osvi_allow_outside_root")))
    config.pluginmanager.register(OddEntries(
        settings.patterns, lambda parent, path: ScenarioFile.from_parent(parent, path=path)),
        "osvi-odd-entries")
    config.stash[RUN_ID] = uuid.uuid4().hex[:8]
    config.pluginmanager.register(ReportPlugin(config), "osvi-report")
    if settings.concurrency > 1:
        config.stash[CONCURRENCY] = ConcurrentScenarios(
            config, settings.concurrency, lambda item: isinstance(item, ScenarioItem))
        config.pluginmanager.register(config.stash[CONCURRENCY], "osvi-concurrency")


def _xdist_workers(config: pytest.Config) -> int:
    """How many pytest-xdist workers share the run's rate limit (1 without xdist)."""
    workerinput = getattr(config, "workerinput", None)
    return int(workerinput.get("workercount", 1)) if isinstance(workerinput, dict) else 1


def pytest_report_header(config: pytest.Config) -> list[str] | None:
    settings = config.stash.get(SETTINGS, None)
    if settings is None:
        return None
    lines = [f"osvi: target {settings.describe()}"]
    pace = [f"{settings.concurrency} scenarios at once"] if settings.concurrency > 1 else []
    if settings.limiter is not None:
        pace.append(settings.limiter.describe())
    if pace:
        lines.append("osvi: " + ", ".join(pace))
    return lines


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> ScenarioFile | None:
    settings = parent.config.stash[SETTINGS]
    if any(fnmatch.fnmatch(file_path.name, pattern) for pattern in settings.patterns):
        file: ScenarioFile = ScenarioFile.from_parent(parent, path=file_path)
        return file
    return None


def _relative_path(path: Path, config: pytest.Config) -> str:
    try:
        return path.resolve().relative_to(config.rootpath.resolve()).as_posix()
    except ValueError:
        return str(path)


def _relative(problem: Problem) -> Problem:
    """Problems name files relative to the working folder, as the CLI does."""
    try:
        return replace(problem, file=os.path.relpath(problem.file))
    except ValueError:  # another drive on Windows
        return problem


class ScenarioFile(pytest.File):
    def collect(self) -> Iterator[ScenarioItem]:
        scenarios = load_scenarios(self.path, os.environ, self.config.stash[MOCK_FILES])
        redact = self.config.stash[REDACTOR].redact
        for scenario in scenarios:
            # The name is in every node id pytest prints; `{{ env.X }}` may have put a secret in
            # it, and a quoted YAML string escape codes or line breaks.
            item: ScenarioItem = ScenarioItem.from_parent(
                self, name=printable(redact(scenario.test_name), one_line=True),
                scenario=scenario)
            yield item

    def repr_failure(
        self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None
    ) -> Any:
        if isinstance(excinfo.value, ScenarioFileError):
            redact = self.config.stash[REDACTOR].redact
            return redact("\n".join(_relative(p).format() for p in excinfo.value.problems))
        return super().repr_failure(excinfo)


class ScenarioItem(pytest.Item):
    def __init__(self, *, scenario: Scenario, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.scenario = scenario
        self.result: ScenarioResult | None = None
        for mark in tag_marks(self.config, scenario.tags):
            self.add_marker(mark)
        if scenario.skip is not None:
            self.add_marker(pytest.mark.skip(reason=scenario.skip))
        if scenario.xfail is not None:
            self.add_marker(pytest.mark.xfail(reason=scenario.xfail))
        if self.config.stash[TOOLKIT].judge is None and uses_judge(
                [[s.expect for s in scenario.all_steps()], scenario.invariants]):
            self.add_marker(pytest.mark.skip(reason=NO_JUDGE_SKIP))

    async def execute(self) -> ScenarioResult:
        """What this item runs: one scenario against the configured target.

        Kept free of any event-loop handling so a scheduler may run many of
        these concurrently in one loop.
        """
        settings = self.config.stash[SETTINGS]
        toolkit = self.config.stash[TOOLKIT]
        judge = Judge(toolkit.judge) if toolkit.judge is not None else None
        options: dict[str, Any] = {"default_agent": settings.agent,
                                   "run_id": self.config.stash[RUN_ID],
                                   "timeout": settings.scenario_timeout, "judge": judge}
        how = repeat_plan(self.scenario, toolkit.repeat)
        if how is not None:  # the aggregate of every run
            return await run_repeated(self.scenario, settings.make_target, os.environ, how,
                                      **options)
        return await run_scenario(self.scenario, settings.make_target(), os.environ,
                                  **options)

    def _run(self) -> ScenarioResult:
        """How this item's ``execute`` is driven.

        With ``--osvi-concurrency`` above 1, by the run's scheduler, which may
        have started it already; otherwise in an event loop of its own.
        """
        scheduler = self.config.stash.get(CONCURRENCY, None)
        if scheduler is not None:
            return scheduler.run(self, self.execute)
        return asyncio.run(self.execute())

    def runtest(self) -> None:
        result = self._run()
        self.result = result
        redact = self.config.stash[REDACTOR].redact
        stop = stop_reason(result)
        if stop is not None:  # a refused token: pytest's own way to end the run after this item
            self.session.shouldstop = printable(redact(stop), one_line=True)
        self.user_properties.append(("target", result.target))
        if result.sessions:
            self.user_properties.append(("session_ids", redact(" ".join(result.sessions))))
        self._repetition_properties(result)
        if result.outcome == "passed":
            # A failure report already holds the conversation; a pass shows it with -rP.
            self.add_report_section("call", "conversation",
                                    printable(redact(conversation_text(result))))
        on_scenario_result(self, result)
        self._write_transcript(result)
        raise_for_outcome(result)

    def _repetition_properties(self, result: ScenarioResult) -> None:
        """JUnit properties: each run's outcome and every step's pass rate."""
        repetition = result.repetition
        if repetition is None:
            return
        redact = self.config.stash[REDACTOR].redact
        self.user_properties.append(("repeat", repetition.summary()))
        self.user_properties.append(("run_outcomes", " ".join(
            f"{n}:{run.outcome}" for n, run in enumerate(repetition.runs, start=1))))
        for rate in repetition.step_rates():
            self.user_properties.append((f"pass_rate {rate.step.ref}", redact(
                f"{len(rate.passed)}/{rate.runs} ({round(100 * len(rate.passed) / rate.runs)}%) "
                f"{rate.title}")))

    def _write_transcript(self, result: ScenarioResult) -> None:
        folder = self.config.stash[TOOLKIT].transcripts
        if folder is None:
            return
        try:
            transcript_store.write(folder, self.nodeid, _relative_path(self.path, self.config),
                                   result, self.config.stash[REDACTOR])
        except OSError as error:  # a report problem never changes the scenario's outcome
            self.warn(pytest.PytestWarning(self.config.stash[REDACTOR].redact(
                f"osvi: could not write the transcript to {folder}: {error}")))

    def repr_failure(
        self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None
    ) -> Any:
        error = excinfo.value
        if isinstance(error, (ScenarioFailed, ScenarioBroken)):
            redact = self.config.stash[REDACTOR].redact
            return ScenarioFailureRepr(printable(redact(report_text(error.result))),
                                       printable(redact(report_line(error.result)),
                                                 one_line=True),
                                       str(self.path), self.scenario.line)
        if self.config.getoption("tbstyle", "auto") == "long":
            return super().repr_failure(excinfo)
        return self._internal_error(excinfo)

    def _internal_error(self, excinfo: pytest.ExceptionInfo[BaseException]) -> Any:
        """A bug of ours, in a few lines instead of pluggy's whole call stack."""
        redact = self.config.stash[REDACTOR].redact
        where = ""
        for entry in reversed(excinfo.traceback):
            # By folder, not by a `/runner/` in the path: CI checkouts live in /home/runner/.
            if Path(str(entry.path)).resolve().is_relative_to(PACKAGE_DIR):
                where = f" at {Path(str(entry.path)).name}:{entry.lineno + 1}"
                break
        cause = printable(redact(f"{excinfo.typename}: {excinfo.value}"), one_line=True)
        text = (f"osvi-scenarios hit an internal error while running this scenario{where}:\n"
                f"  {cause}\n"
                "This is a bug in osvi-scenarios, not in your scenario: please report it with "
                "the scenario file. Run with --tb=long to see the traceback.")
        return ScenarioFailureRepr(text, f"internal error: {cause}", str(self.path),
                                   self.scenario.line)

    def reportinfo(self) -> tuple[Path, int, str]:
        return self.path, self.scenario.line - 1, f"scenario: {self.name}"
