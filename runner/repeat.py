"""Repetition: run a scenario's conversation N times and judge it by its pass rate.

LLM agents do not answer the same way twice, so one run proves little. Each
run gets a fresh customer (never the same session) and, on the mock, a fresh
engine whose choices are seeded by the run number. The runs' results are kept
on one aggregate :class:`ScenarioResult` (its ``repetition``), which passes
when the share of passing runs reaches the threshold. Every report shows each
run's outcome and each step's pass rate, so the flaky step is obvious.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import Any

from runner.executor import run_scenario
from runner.model import Scenario, Step
from runner.render import chat_text, failure_report, one_line
from runner.targets import Target
from runner.transcript import ScenarioResult, StepRecord

MAX_RUNS = 100


@dataclass(frozen=True)
class Plan:
    runs: int
    min_pass_rate: float


def plan(scenario: Scenario, runs_option: int | None) -> Plan | None:
    """How often to run ``scenario``: ``--osvi-repeat`` beats ``repeat.runs``; None for once."""
    spec = scenario.repeat
    runs = runs_option if runs_option is not None else (spec.runs if spec else 1)
    if runs <= 1:
        return None
    threshold = spec.min_pass_rate if spec and spec.min_pass_rate is not None else 1.0
    return Plan(runs, threshold)


def _percent(part: int, whole: int) -> str:
    return f"{round(100 * part / whole)}%" if whole else "-"


def _runs_list(numbers: list[int]) -> str:
    return ("run " if len(numbers) == 1 else "runs ") + ", ".join(map(str, numbers))


@dataclass(frozen=True)
class StepRate:
    """How one step of the scenario did over all runs."""

    step: Step
    title: str
    passed: list[int]  # run numbers
    failed: list[int]  # failed or broke
    not_reached: list[int]
    runs: int

    @property
    def flaky(self) -> bool:
        return bool(self.failed) and bool(self.passed)

    def describe(self) -> str:
        """``step 3 customer: "…" passed 3/5 (60%) · failed in runs 2, 4``."""
        text = (f"{self.step.ref} {self.title} passed {len(self.passed)}/{self.runs} "
                f"({_percent(len(self.passed), self.runs)})")
        if self.failed:
            text += f" · failed in {_runs_list(self.failed)}"
        if self.not_reached:
            text += f" · not reached in {_runs_list(self.not_reached)}"
        return text


@dataclass
class Repetition:
    runs: list[ScenarioResult]
    min_pass_rate: float

    @property
    def passed(self) -> int:
        return sum(1 for run in self.runs if run.outcome == "passed")

    @property
    def rate(self) -> float:
        return self.passed / len(self.runs) if self.runs else 0.0

    @property
    def needed(self) -> int:
        """How many runs must pass (the threshold, rounded up to whole runs)."""
        return math.ceil(self.min_pass_rate * len(self.runs) - 1e-9)

    @property
    def ok(self) -> bool:
        return self.passed >= self.needed

    def summary(self) -> str:
        """``4/5 runs passed (80%; needs at least 80%)``."""
        total = len(self.runs)
        counts = {outcome: sum(1 for r in self.runs if r.outcome == outcome)
                  for outcome in ("failed", "broken")}
        parts = [f"{self.passed}/{total} runs passed"]
        parts += [f"{n} {outcome}" for outcome, n in counts.items() if n]
        need = f"needs at least {round(self.min_pass_rate * 100)}%"
        return f"{', '.join(parts)} ({_percent(self.passed, total)}; {need})"

    def step_rates(self) -> list[StepRate]:
        steps = self.runs[0].scenario.all_steps() if self.runs else ()
        rates = []
        for step in steps:
            passed: list[int] = []
            failed: list[int] = []
            missing: list[int] = []
            title = ""
            for number, run in enumerate(self.runs, start=1):
                record = _record_of(run, step)
                if record is None:
                    missing.append(number)
                    continue
                title = title or record.title
                (passed if record.outcome == "passed" else failed).append(number)
            rates.append(StepRate(step, title or _planned(step), passed, failed, missing,
                                  len(self.runs)))
        return rates


def _record_of(run: ScenarioResult, step: Step) -> StepRecord | None:
    return next((record for record in run.steps if record.step is step), None)


def _planned(step: Step) -> str:
    from runner.executor import step_title

    return step_title(step.action, step.value)


def aggregate(runs: list[ScenarioResult], min_pass_rate: float) -> ScenarioResult:
    """One result for all runs: it passes when enough runs passed.

    It shows (conversation, steps, failure) the first run that did not pass
    when the scenario fails, else the first run that passed.
    """
    repetition = Repetition(runs, min_pass_rate)
    not_passed = [run for run in runs if run.outcome != "passed"]
    if repetition.ok:
        shown = next(run for run in runs if run.outcome == "passed") if repetition.passed \
            else runs[0]
    else:
        shown = not_passed[0]
    sessions = [session for run in runs for session in run.sessions]
    result = replace(shown, repetition=repetition, started=runs[0].started,
                     stopped=runs[-1].stopped, sessions=sessions)
    if repetition.ok:
        result.outcome, result.cause = "passed", None
    else:
        # Failed if any run met a failed expectation; broken if every bad run broke.
        failed = any(run.outcome == "failed" for run in not_passed)
        result.outcome = "failed" if failed else "broken"
        result.cause = (f"{repetition.summary()}; run {runs.index(shown) + 1} failed "
                        f"{_where(shown)}")
    return result


async def run_repeated(scenario: Scenario, make_target: Callable[[], Target],
                       env: Mapping[str, str], how: Plan, **options: Any) -> ScenarioResult:
    """Run ``scenario`` ``how.runs`` times, one after the other, and aggregate the results.

    One run at a time: against a live API the runs of one scenario should not
    compete with each other (other scenarios may run alongside).
    """
    runs = []
    for number in range(1, how.runs + 1):
        runs.append(await run_scenario(scenario, make_target(), env, run_number=number,
                                       fresh_customer=True, **options))
    return aggregate(runs, how.min_pass_rate)


# -- text views ----------------------------------------------------------------------------


def _where(run: ScenarioResult) -> str:
    """Where a run went wrong, short: ``at step 3 (reply, invariant.reply_never)``."""
    record = run.failed_step
    if record is None:
        return run.cause or ""
    if record.mismatches:
        return f"at {record.step.ref} ({', '.join(m.key for m in record.mismatches)})"
    return f"at {record.step.ref}: {record.cause}"


def _run_line(number: int, run: ScenarioResult) -> str:
    line = f"  run {number:<3} {run.outcome:<7} customer {run.customer}"
    return f"{line} · {_where(run)}" if run.outcome != "passed" else line


def repetition_text(result: ScenarioResult) -> str:
    """Each run's outcome and every step's pass rate: the flaky step stands out."""
    repetition = result.repetition
    if repetition is None:
        return ""
    mark = "✓" if repetition.ok else "✗"
    lines = [f"Repeated {len(repetition.runs)} times: {repetition.summary()} {mark}", "",
             "Runs:"]
    lines += [_run_line(n, run) for n, run in enumerate(repetition.runs, start=1)]
    lines += ["", "Step pass rates:"]
    lines += [("! " if rate.failed else "  ") + rate.describe()
              for rate in repetition.step_rates()]
    return "\n".join(lines)


def _shown_run(result: ScenarioResult) -> int:
    repetition = result.repetition
    assert repetition is not None
    return next((n for n, run in enumerate(repetition.runs, start=1)
                 if run.steps is result.steps), 1)


def report_text(result: ScenarioResult) -> str:
    """The failure report: for a repeated scenario, the runs, then the first bad run."""
    if result.repetition is None:
        return failure_report(result)
    number = _shown_run(result)
    run = result.repetition.runs[number - 1]
    return (f"{repetition_text(result)}\n\nRun {number}, the first that did not pass:\n\n"
            f"{failure_report(run)}")


def report_line(result: ScenarioResult) -> str:
    """The failure in one line (pytest's short summary, JUnit's message)."""
    if result.repetition is not None:
        return result.cause or ""
    return one_line(result)


def conversation_text(result: ScenarioResult) -> str:
    """The conversation (JUnit system-out, ``-rP``); a repeated scenario adds its runs."""
    if result.repetition is None:
        return chat_text(result)
    return (f"{repetition_text(result)}\n\nConversation of run {_shown_run(result)}:\n"
            f"{chat_text(result)}")
