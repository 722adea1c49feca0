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

import asyncio
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
    confidence: float | None = None  # decide on the Wilson interval's lower bound


def plan(scenario: Scenario, runs_option: int | None) -> Plan | None:
    """How often to run ``scenario``: ``--osvi-repeat`` beats ``repeat.runs``; None for once."""
    spec = scenario.repeat
    runs = runs_option if runs_option is not None else (spec.runs if spec else 1)
    if runs <= 1:
        return None
    threshold = spec.min_pass_rate if spec and spec.min_pass_rate is not None else 1.0
    return Plan(runs, threshold, spec.confidence if spec else None)


def aggregate(runs: list[ScenarioResult], how: Plan) -> ScenarioResult:
    """One result for all runs: it passes when enough runs passed.

    It shows (conversation, steps, failure) the first run that did not pass
    when the scenario fails, else the first run that passed.
    """
    repetition = Repetition(runs, how.min_pass_rate, how.confidence, how.runs)
    if len(runs) < how.runs:
        repetition.stop_reason = repetition.settled()
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
                       env: Mapping[str, str], how: Plan, concurrency: int = 1,
                       **options: Any) -> ScenarioResult:
    """Run ``scenario`` up to ``how.runs`` times and aggregate the results.

    No new run starts once the verdict cannot change (runs already under way
    finish). With ``concurrency`` 1, one run at a time: against a live API the
    runs of one scenario should not compete with each other (other scenarios
    may run alongside); above 1, up to that many runs at once.
    """
    results: dict[int, ScenarioResult] = {}

    async def one(number: int) -> None:
        results[number] = await run_scenario(scenario, make_target(), env, run_number=number,
                                             fresh_customer=True, **options)

    def settled() -> bool:
        # Runs may finish out of order: judge the unbroken prefix 1..k.
        made: list[ScenarioResult] = []
        while len(made) + 1 in results:
            made.append(results[len(made) + 1])
        return Repetition(made, how.min_pass_rate, how.confidence,
                          how.runs).settled() is not None

    started = 0
    running: set[asyncio.Task[None]] = set()
    try:
        while started < how.runs or running:
            while started < how.runs and len(running) < max(1, concurrency) and not settled():
                started += 1
                running.add(asyncio.ensure_future(one(started)))
            if not running:
                break
            done, running = await asyncio.wait(running, return_when=asyncio.FIRST_COMPLETED)
            for task in done:
                task.result()  # a run's own exception (cancellation, a bug) is the scenario's
    finally:
        for task in running:  # a time limit or Ctrl-C on the scenario ends its runs too
            task.cancel()
        if running:
            await asyncio.gather(*running, return_exceptions=True)
    return aggregate([results[n] for n in sorted(results)], how)


def where_it_failed(run: ScenarioResult) -> str:
    """Where a run went wrong, short: ``at step 3 (reply, invariant.reply_never)``."""
    record = run.failed_step
    if record is None:
        return run.cause or ""
    if record.mismatches:
        return f"at {record.step.ref} ({', '.join(m.key for m in record.mismatches)})"
    return f"at {record.step.ref}: {record.cause}"
