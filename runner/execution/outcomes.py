"""The two ways a scenario can go wrong, as exceptions a test framework understands.

A failed expectation is an ``AssertionError`` (reports call it *failed*); a run
that could not be judged (no answer, an answer nobody expected, a time limit)
is not (reports call it *broken*). A live API that refuses the token ends the
whole run (:func:`stop_reason`): every other scenario would be refused too.
"""

from __future__ import annotations

from runner.core.errors import RunnerError
from runner.execution.transcript import ScenarioResult


class ScenarioFailed(AssertionError):
    def __init__(self, result: ScenarioResult) -> None:
        record = result.failed_step
        super().__init__(f"{record.step.ref} failed: {record.heading}" if record else "failed")
        self.result = result


class ScenarioBroken(RunnerError):
    def __init__(self, result: ScenarioResult) -> None:
        super().__init__(result.cause or "the scenario could not run")
        self.result = result


def stop_reason(result: ScenarioResult) -> str | None:
    """Why the whole run should stop after ``result``, or None to go on."""
    if result.token_refused is None:
        return None
    return (f"the live API {result.target} refused the token (HTTP 401 at "
            f"{result.token_refused}): check OSVI_API_TOKEN (copy it again from the OSVI "
            "dashboard, Settings → API); the remaining scenarios were not run")


def raise_for_outcome(result: ScenarioResult) -> None:
    if result.outcome == "failed":
        raise ScenarioFailed(result)
    if result.outcome == "broken":
        raise ScenarioBroken(result)
