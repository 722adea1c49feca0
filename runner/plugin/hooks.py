"""The scenario plugin: a thin layer that collects scenario files and runs them.

Loaded by the entry point (:mod:`runner.plugin.entry`) only when a run needs
it. Everything of substance lives in the library (loader, executor, render);
this module only maps it onto pytest's collection, marks and reports.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

import runner
from runner.core.errors import Problem, ScenarioFileError
from runner.core.options import JUDGE_MODEL_ENV, OptionValueError
from runner.core.redact import Redactor, environment_secrets
from runner.core.terminal_text import printable
from runner.execution.executor import run_scenario
from runner.execution.outcomes import ScenarioBroken, ScenarioFailed, raise_for_outcome, stop_reason
from runner.execution.raw_steps import request_tokens
from runner.execution.repeat import plan as repeat_plan
from runner.execution.repeat import run_repeated
from runner.execution.run_loop import RunLoop
from runner.execution.settings import SettingsError, settings_from
from runner.execution.simulation import NO_SIMULATOR, scenario_needs_llm
from runner.execution.toolkit import ToolkitError, toolkit_from
from runner.execution.transcript import ScenarioResult
from runner.judging import semantic
from runner.judging.judge import Judge, uses_judge
from runner.language.loader import MockFileCache, load_scenarios
from runner.language.model import Scenario
from runner.language.targets_scope import skip_reason
from runner.plugin import redaction_arming
from runner.plugin.failure_repr import ScenarioFailureRepr
from runner.plugin.heap import FrozenHeap
from runner.plugin.options import merged_values
from runner.plugin.pytest_report import ReportPlugin, on_scenario_result
from runner.plugin.scheduling import ConcurrentScenarios
from runner.plugin.signals import ReportingGuard, interrupt_on_sigterm
from runner.plugin.stash import (
    CONCURRENCY,
    MOCK_FILES,
    REDACTOR,
    RUN_ID,
    RUN_LOOP,
    SETTINGS,
    TARGET,
    TOOLKIT,
)
from runner.plugin.tag_marks import tag_marks
from runner.report import transcript_store
from runner.report.repeat_text import conversation_text, report_line, report_text

# Where our own code lives: an internal error names the innermost frame in it.
PACKAGE_DIR = Path(runner.__file__).resolve().parent
NO_JUDGE_SKIP = ("uses an LLM judge (`judge:`), and none is configured: pass --osvi-judge-url "
                 f"(or the ini option osvi_judge_url) and export {JUDGE_MODEL_ENV} to run it")


def configure(config: pytest.Config) -> None:
    """Everything a run with scenarios needs, in order; called once by the entry point.

    Settings and toolkit first (a bad value stops the run before anything else),
    then the redactor, SIGTERM handling, mock files, the run id, the reports and
    the scheduler. The entry point has registered the odd-entries collector.
    """
    env = os.environ
    try:
        values = merged_values(config, env)
        settings = settings_from(values, env, rate_share=_xdist_workers(config))
        toolkit = toolkit_from(values, env, timeout=settings.timeout,
                               rate_share=_xdist_workers(config))
    except (OptionValueError, SettingsError, ToolkitError) as error:
        raise pytest.UsageError(str(error)) from None
    if values.get("semantic_model"):
        try:
            semantic.configure_model(str(values["semantic_model"]))
        except semantic.SemanticUnavailable as error:
            raise pytest.UsageError(f"--osvi-semantic-model: {error}") from None
    config.stash[SETTINGS] = settings
    config.stash[TOOLKIT] = toolkit
    if toolkit.transcripts is not None and not hasattr(config, "workerinput"):
        transcript_store.clear(toolkit.transcripts)
    # The token is masked on every target: a mock run may use `{{ env.OSVI_API_TOKEN }}` too.
    redaction_arming.arm(config, Redactor([*settings.secrets, *toolkit.secrets,
                                           *environment_secrets(env)]))
    # CI cancels with SIGTERM: end like Ctrl-C (JUnit, summary, sessions closed), exit 2.
    guard = ReportingGuard()
    config.pluginmanager.register(guard, "osvi-sigterm-guard")
    config.add_cleanup(interrupt_on_sigterm(guard))
    config.stash[MOCK_FILES] = MockFileCache(config.rootpath,
                                             allow_outside_root=bool(values["allow_outside_root"]))
    config.stash[RUN_ID] = uuid.uuid4().hex[:8]
    config.pluginmanager.register(ReportPlugin(config), "osvi-report")
    config.pluginmanager.register(FrozenHeap(lambda item: isinstance(item, ScenarioItem)),
                                  "osvi-heap")
    # One target, one event loop and so one connection pool for the whole run.
    target = config.stash[TARGET] = settings.make_target()
    if settings.concurrency > 1:
        scenarios = ConcurrentScenarios(config, settings.concurrency,
                                        lambda item: isinstance(item, ScenarioItem))
        scenarios.scheduler.on_close(target.aclose)
        config.stash[CONCURRENCY] = scenarios
        config.pluginmanager.register(scenarios, "osvi-concurrency")
    else:
        loop = config.stash[RUN_LOOP] = RunLoop()
        loop.on_close(target.aclose)
        config.add_cleanup(loop.close)


def _shows_passes(config: pytest.Config) -> bool:
    """Whether passed tests' sections are printed (-rP, -rA): only then is the chat built."""
    chars = str(getattr(config.option, "reportchars", "") or "")
    return "P" in chars or "A" in chars


def _xdist_workers(config: pytest.Config) -> int:
    """How many pytest-xdist workers share the run's rate limit (1 without xdist)."""
    workerinput = getattr(config, "workerinput", None)
    return int(workerinput.get("workercount", 1)) if isinstance(workerinput, dict) else 1


def report_header(config: pytest.Config) -> list[str]:
    """The ``osvi:`` lines of pytest's header (the entry point's hook calls this)."""
    settings = config.stash[SETTINGS]
    lines = [f"osvi: target {settings.describe()}"]
    pace = [f"{settings.concurrency} scenarios at once"] if settings.concurrency > 1 else []
    if settings.limiter is not None:
        pace.append(settings.limiter.describe())
    llm_rate = config.stash[TOOLKIT].llm_rate
    if llm_rate is not None:  # judge, simulated customers and operators wait on it
        pace.append(f"LLM at most {llm_rate:g} calls/s")
    if pace:
        lines.append("osvi: " + ", ".join(pace))
    return lines


def collect_file(file_path: Path, parent: pytest.Collector) -> ScenarioFile:
    """The node of a scenario file (the entry point has matched its name)."""
    file: ScenarioFile = ScenarioFile.from_parent(parent, path=file_path)
    return file


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
        # A `request:` step's own token is a secret like the run's: mask it from now on.
        redactor = self.config.stash[REDACTOR]
        joined = redactor.joined(request_tokens(scenarios, os.environ))
        if joined is not redactor:
            redaction_arming.arm(self.config, joined)
        redact = joined.redact
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
        out_of_scope = skip_reason(scenario, self.config.stash[TARGET].kind,
                                   self.config.stash[SETTINGS].max_wait)
        if out_of_scope is not None:
            self.add_marker(pytest.mark.skip(reason=out_of_scope))
        if scenario.xfail is not None:
            self.add_marker(pytest.mark.xfail(reason=scenario.xfail))
        if self.config.stash[TOOLKIT].judge is None and (scenario.judge is not None or uses_judge(
                [[s.expect for s in scenario.all_steps()], scenario.invariants])):
            self.add_marker(pytest.mark.skip(reason=NO_JUDGE_SKIP))
        elif self.config.stash[TOOLKIT].judge is None and scenario_needs_llm(scenario):
            self.add_marker(pytest.mark.skip(reason=NO_SIMULATOR))

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
        target = self.config.stash[TARGET]
        how = repeat_plan(self.scenario, toolkit.repeat)
        if how is not None:  # the aggregate of every run
            return await run_repeated(self.scenario, lambda: target, os.environ, how,
                                      concurrency=settings.concurrency, **options)
        return await run_scenario(self.scenario, target, os.environ, **options)

    def _run(self) -> ScenarioResult:
        """How this item's ``execute`` is driven.

        With ``--osvi-concurrency`` above 1, by the run's scheduler, which may
        have started it already; otherwise in the run's one event loop.
        """
        scheduler = self.config.stash.get(CONCURRENCY, None)
        if scheduler is not None:
            return scheduler.run(self, self.execute)
        return self.config.stash[RUN_LOOP].run(self.execute())

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
        for simulation in result.simulations:  # the seed, to run it again the same way
            self.user_properties.append((f"simulation {simulation.ref}",
                                         redact(simulation.describe())))
        self._repetition_properties(result)
        if result.outcome == "passed" and _shows_passes(self.config):
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
        self.user_properties += repetition.properties()
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
