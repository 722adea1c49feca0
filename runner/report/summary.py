"""The run summary printed at the end of a pytest run.

Outcomes per tag, the slowest steps, and where the reports went: what a person
scrolling to the bottom of a CI log needs to decide where to look next.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

from runner.core.redact import Redactor
from runner.execution.transcript import ScenarioResult
from runner.judging.usage import TokenUsage
from runner.language.durations import format_duration

Status = Literal["passed", "failed", "broken", "skipped"]
STATUSES: tuple[Status, ...] = ("passed", "failed", "broken", "skipped")
UNTAGGED = "(no tag)"


@dataclass(frozen=True)
class ScenarioOutcome:
    """How one scenario item (one examples row) ended, as pytest saw it."""

    name: str
    tags: tuple[str, ...]
    status: Status
    result: ScenarioResult | None = None
    # its `agents:` as (name, where it is reached: `agent_sales` on the mock, the id live)
    agents: tuple[tuple[str, str], ...] = ()


def _counts(outcomes: Iterable[ScenarioOutcome]) -> dict[Status, int]:
    counts: dict[Status, int] = dict.fromkeys(STATUSES, 0)
    for outcome in outcomes:
        counts[outcome.status] += 1
    return counts


def tag_table(outcomes: Sequence[ScenarioOutcome], redactor: Redactor) -> list[str]:
    """One row per tag (a scenario counts under each of its tags), then the total."""
    by_tag: dict[str, list[ScenarioOutcome]] = {}
    for outcome in outcomes:
        for tag in outcome.tags or (UNTAGGED,):
            by_tag.setdefault(tag, []).append(outcome)
    rows = [(redactor.redact(tag), _counts(by_tag[tag]))
            for tag in sorted(by_tag, key=lambda t: (t == UNTAGGED, t))]
    rows.append(("all scenarios", _counts(outcomes)))
    width = max(len("tag"), *(len(name) for name, _ in rows))
    lines = [f"{'tag':<{width}}  " + "  ".join(f"{s:>7}" for s in STATUSES)]
    for name, counts in rows:
        lines.append(f"{name:<{width}}  " + "  ".join(f"{counts[s]:>7}" for s in STATUSES))
    if len(rows) > 1:
        lines.insert(len(lines) - 1, "-" * len(lines[0]))
    return lines


def slowest_steps(outcomes: Sequence[ScenarioOutcome], redactor: Redactor,
                  count: int = 5) -> list[str]:
    steps = [(record.duration, outcome.name, record.step.ref, record.title)
             for outcome in outcomes if outcome.result is not None
             for record in outcome.result.steps]
    steps.sort(key=lambda s: s[0], reverse=True)
    return [f"{format_duration(duration):>7}  {redactor.redact(name)} · {ref} "
            f"{redactor.redact(title)}"
            for duration, name, ref, title in steps[:count]]


def unclosed_sessions(outcomes: Sequence[ScenarioOutcome], redactor: Redactor,
                      still_open: Mapping[str, str] | None = None) -> list[str]:
    """Live sessions the cleanup could not close: someone has to close them by hand.

    ``still_open`` is every session the run knows to be open (session -> whose):
    the scenarios a stopped run cancelled have no result to report theirs.
    """
    found = [(session, outcome.name, why) for outcome in outcomes if outcome.result is not None
             for session, why in outcome.result.unclosed.items()]
    known = {session for session, _, _ in found}
    found += [(session, whose, "still open when the run ended")
              for session, whose in (still_open or {}).items() if session not in known]
    if not found:
        return []
    return [f"sessions that could not be closed ({len(found)}): close them in the OSVI "
            "dashboard",
            *(redactor.redact(f"  {session} · {name}: {why}") for session, name, why in found)]


def repeated(outcomes: Sequence[ScenarioOutcome], redactor: Redactor) -> list[str]:
    """Each repeated scenario's pass rate, and the steps that did not always pass."""
    lines: list[str] = []
    for outcome in outcomes:
        repetition = outcome.result.repetition if outcome.result is not None else None
        if repetition is None:
            continue
        mark = "✓" if repetition.ok else "✗"
        lines.append(f"{redactor.redact(outcome.name)}: {repetition.summary()} {mark}")
        lines.append(f"  {repetition.statistics()} · {repetition.stopping()}")
        lines += [f"  {redactor.redact(rate.describe())}" for rate in repetition.step_rates()
                  if rate.failed]
    return lines


def simulated(outcomes: Sequence[ScenarioOutcome], redactor: Redactor) -> list[str]:
    """Each ``simulate:`` step: whether its goal was reached, or what a probe found; then
    what the scenario's ``operator:`` did."""
    lines = []
    for outcome in outcomes:
        for sim in outcome.result.simulations if outcome.result is not None else ():
            if sim.leak:
                verdict = f"leak found {sim.leak}"
            elif sim.goal_reached is None:
                verdict = f"no leak found in {sim.turns} turns" if sim.who.startswith("probe") \
                    else f"{sim.turns} turns"
            else:
                verdict = (f"goal {'reached' if sim.goal_reached else 'not reached'} "
                           f"in {sim.turns} turns")
            lines.append(redactor.redact(f"{outcome.name} · {sim.ref} {sim.who}: {verdict}"))
        operator = outcome.result.operator if outcome.result is not None else None
        if operator is not None:  # the scenario's `operator:`, watching every customer turn
            lines.append(redactor.redact(
                f"{outcome.name} · operator ({operator.policy}): {operator.describe()}"))
    return lines


def scored(outcomes: Sequence[ScenarioOutcome], redactor: Redactor,
           count: int = 10) -> list[str]:
    """similar_to and judge scores, closest to failing first (passing ones too)."""
    found = [(score.score - score.threshold if not score.below
              else score.threshold - score.score, outcome.name, record.step.ref, score)
             for outcome in outcomes if outcome.result is not None
             for record in outcome.result.steps for score in record.scores]
    found.sort(key=lambda item: item[0])
    lines = [f"{redactor.redact(name)} · {ref} · {redactor.redact(score.describe())}"
             for _, name, ref, score in found[:count]]
    if len(found) > count:
        lines.append(f"(and {len(found) - count} more; every score is in the reports)")
    return lines


def llm_usage(outcomes: Sequence[ScenarioOutcome], redactor: Redactor,
              count: int = 10) -> list[str]:
    """The LLM judge's calls, tokens and cost: for the run, then each scenario, most first."""
    used = [(outcome.name, outcome.result.llm_usage) for outcome in outcomes
            if outcome.result is not None and outcome.result.llm_usage.calls]
    if not used:
        return []
    used.sort(key=lambda item: -(item[1].prompt_tokens + item[1].completion_tokens))
    lines = [f"LLM token use: {TokenUsage.total(usage for _, usage in used).describe()}"]
    lines += [f"  {redactor.redact(name)}: {usage.describe()}" for name, usage in used[:count]]
    if len(used) > count:
        lines.append(f"  (and {len(used) - count} more; each scenario's is in the reports)")
    return lines


AGENTS_SHOWN = 4  # a long list would bury the table above it


def named_agents(outcomes: Sequence[ScenarioOutcome], target: str, redactor: Redactor,
                 count: int = AGENTS_SHOWN) -> list[str]:
    """``agents: sales → agent_sales, billing → agent_billing (embedded mock)``: the named
    agents the run's scenarios talk to, each once, in the order they first appear."""
    pairs = list(dict.fromkeys(pair for outcome in outcomes for pair in outcome.agents))
    if not pairs:
        return []
    shown = ", ".join(f"{name} → {where}" for name, where in pairs[:count])
    more = f" and {len(pairs) - count} more" if len(pairs) > count else ""
    where = "embedded mock" if target == "mock" else target
    return [redactor.redact(f"agents: {shown}{more} ({where})")]


def build_summary(outcomes: Sequence[ScenarioOutcome], reports: Sequence[tuple[str, str]],
                  redactor: Redactor, file_errors: Sequence[str] = (),
                  still_open: Mapping[str, str] | None = None,
                  target: str = "mock") -> list[str]:
    """The summary's lines (without the section rule pytest draws); ``target``: "mock" or
    "live", for the line of named agents."""
    lines: list[str] = []
    if outcomes:
        lines += tag_table(outcomes, redactor)
    agents = named_agents(outcomes, target, redactor)
    if agents:
        lines += ["", *agents]
    if file_errors:
        lines += ["", f"scenario files that could not be loaded ({len(file_errors)}):"]
        lines += [f"  {redactor.redact(path)}" for path in file_errors]
    unclosed = unclosed_sessions(outcomes, redactor, still_open)
    if unclosed:
        lines += ["", *unclosed]
    repeats = repeated(outcomes, redactor)
    if repeats:
        lines += ["", "repeated scenarios:", *(f"  {line}" for line in repeats)]
    simulations = simulated(outcomes, redactor)
    if simulations:
        lines += ["", "simulations:", *(f"  {line}" for line in simulations)]
    scores = scored(outcomes, redactor)
    if scores:
        lines += ["", "scores (closest to failing first):", *(f"  {line}" for line in scores)]
    tokens = llm_usage(outcomes, redactor)
    if tokens:
        lines += ["", *tokens]
    slow = slowest_steps(outcomes, redactor)
    if slow:
        lines += ["", "slowest steps:", *(f"  {line}" for line in slow)]
    if reports:
        width = max(len(label) for label, _ in reports)
        lines += ["", "reports:"]
        lines += [f"  {label + ':':<{width + 1}} {redactor.redact(where)}"
                  for label, where in reports]
    return lines
