"""Whether a scenario belongs on this run's target, and why not.

``targets: [mock]`` keeps a scenario that needs its ``mock:`` block (or the
mock's clock) off the live API; ``targets: [live]`` the reverse. On live, a
``wait:`` longer than ``--osvi-max-wait`` could not pass (the runner would
sleep only part of it), so that scenario is skipped too, before it starts.
"""

from __future__ import annotations

from runner.language.agents import live_skip
from runner.language.durations import DurationError, format_duration, parse_duration
from runner.language.model import Scenario

_WHERE = {"mock": "only on the embedded mock", "live": "only against the live API"}


def skip_reason(scenario: Scenario, target_kind: str, max_wait: float) -> str | None:
    """Why ``scenario`` does not run on ``target_kind`` (``mock``/``live``), or None."""
    if scenario.targets and target_kind not in scenario.targets:
        wanted = scenario.targets[0]
        here = "live" if target_kind == "live" else "on the embedded mock"
        return (f"{scenario.test_name!r} runs {_WHERE.get(wanted, wanted)} "
                f"(targets: [{', '.join(scenario.targets)}]); this run is {here}")
    if target_kind != "live":
        return None
    no_agent = live_skip(scenario)  # a named agent with no live `id`
    if no_agent is not None:
        return no_agent
    for step in scenario.all_steps():
        if step.action != "wait":
            continue
        try:
            seconds = parse_duration(step.value)
        except DurationError:  # a placeholder: known only at run time
            continue
        if seconds > max_wait:
            return (f"{scenario.test_name!r}: {step.ref} waits {format_duration(seconds)}, "
                    f"longer than --osvi-max-wait {format_duration(max_wait)}: raise it, or "
                    "mark the scenario `targets: [mock]` (the mock only moves its clock)")
    return None
