"""Repetition: run a scenario's conversation N times and judge it by its pass rate.

LLM agents do not answer the same way twice, so one run proves little. Each
run gets a fresh customer (never the same session) and, on the mock, a fresh
engine whose choices are seeded by the run number. The runs' results are kept
on one aggregate :class:`ScenarioResult` (its ``repetition``), which passes
when the share of passing runs reaches the threshold. Every report shows each
run's outcome and each step's pass rate, so the flaky step is obvious.

A run the LLM judge could not judge (its step broke on a judge error) counts
neither as passed nor as failed: the pass rate is over the judged runs. The
verdict (runs needed = ``min_pass_rate`` of all runs) stands when those runs
could not change it; when they could, the scenario is broken, never failed.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import Any

from runner.execution.executor import run_scenario
from runner.execution.targets import Target
from runner.execution.transcript import Repetition, ScenarioResult
from runner.judging.usage import TokenUsage
from runner.language.model import Scenario

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
                     stopped=runs[-1].stopped, sessions=sessions,
                     llm_usage=TokenUsage.total(run.llm_usage for run in runs))
    if repetition.ok:
        result.outcome, result.cause = "passed", None
    elif repetition.undecided:
        # The judge's missing verdicts would decide: neither a pass nor a failure.
        result.outcome = "broken"
        result.cause = (f"{repetition.summary()}; the LLM judge could not judge "
                        f"{repetition.not_judged} of them, which would decide the verdict")
    else:
        # Failed if any run met a failed expectation; broken if every bad run broke.
        failed = any(run.outcome == "failed" for run in not_passed)
        result.outcome = "failed" if failed else "broken"
        result.cause = (f"{repetition.summary()}; run {runs.index(shown) + 1} failed "
                        f"{where_it_failed(shown)}")
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


def where_it_failed(run: ScenarioResult) -> str:
    """Where a run went wrong, short: ``at step 3 (reply, invariant.reply_never)``."""
    record = run.failed_step
    if record is None:
        return run.cause or ""
    if record.mismatches:
        return f"at {record.step.ref} ({', '.join(m.key for m in record.mismatches)})"
    return f"at {record.step.ref}: {record.cause}"
