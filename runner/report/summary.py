"""The run summary printed at the end of a pytest run.

Outcomes per tag, the slowest steps, and where the reports went: what a person
scrolling to the bottom of a CI log needs to decide where to look next.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

from runner.durations import format_duration
from runner.redact import Redactor
from runner.transcript import ScenarioResult

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


def build_summary(outcomes: Sequence[ScenarioOutcome], reports: Sequence[tuple[str, str]],
                  redactor: Redactor, file_errors: Sequence[str] = ()) -> list[str]:
    """The summary's lines (without the section rule pytest draws)."""
    lines: list[str] = []
    if outcomes:
        lines += tag_table(outcomes, redactor)
    if file_errors:
        lines += ["", f"scenario files that could not be loaded ({len(file_errors)}):"]
        lines += [f"  {redactor.redact(path)}" for path in file_errors]
    slow = slowest_steps(outcomes, redactor)
    if slow:
        lines += ["", "slowest steps:", *(f"  {line}" for line in slow)]
    if reports:
        width = max(len(label) for label, _ in reports)
        lines += ["", "reports:"]
        lines += [f"  {label + ':':<{width + 1}} {redactor.redact(where)}"
                  for label, where in reports]
    return lines
