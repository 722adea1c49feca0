"""Text views of a repeated scenario: each run's outcome, the step pass rates, the shown run."""

from __future__ import annotations

from runner.execution.repeat import where_it_failed
from runner.execution.transcript import ScenarioResult
from runner.report.render import chat_text, failure_report, one_line


def _run_line(number: int, run: ScenarioResult) -> str:
    line = f"  run {number:<3} {run.outcome:<7} customer {run.customer}"
    return f"{line} · {where_it_failed(run)}" if run.outcome != "passed" else line


def repetition_text(result: ScenarioResult) -> str:
    """Each run's outcome and every step's pass rate: the flaky step stands out."""
    repetition = result.repetition
    if repetition is None:
        return ""
    mark = "✓" if repetition.ok else "✗"
    lines = [f"Repeated {len(repetition.runs)} times: {repetition.summary()} {mark}",
             f"  {repetition.statistics()}", f"  {repetition.stopping()}", "", "Runs:"]
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
