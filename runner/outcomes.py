"""The two ways a scenario can go wrong, as exceptions a test framework understands.

A failed expectation is an ``AssertionError`` (reports call it *failed*); a run
that could not be judged (no answer, an answer nobody expected, a time limit)
is not (reports call it *broken*).
"""

from __future__ import annotations

from runner.errors import RunnerError
from runner.transcript import ScenarioResult


class ScenarioFailed(AssertionError):
    def __init__(self, result: ScenarioResult) -> None:
        record = result.failed_step
        super().__init__(f"{record.step.ref} failed: {record.title}" if record else "failed")
        self.result = result


class ScenarioBroken(RunnerError):
    def __init__(self, result: ScenarioResult) -> None:
        super().__init__(result.cause or "the scenario could not run")
        self.result = result


def raise_for_outcome(result: ScenarioResult) -> None:
    if result.outcome == "failed":
        raise ScenarioFailed(result)
    if result.outcome == "broken":
        raise ScenarioBroken(result)
