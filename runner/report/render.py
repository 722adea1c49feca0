"""Plain-text views of a run: the conversation as a chat, and the failure report.

These are what a person reads in the terminal, in JUnit's system-out and in
the text attachment of a report, so they avoid colour codes and stay narrow.
"""

from __future__ import annotations

import os
import textwrap
from collections.abc import Iterable
from pathlib import Path

from runner.execution.transcript import Entry, ScenarioResult, Score, StepRecord
from runner.language.model import Step
from runner.language.yamlsrc import display_path
from runner.report.fragment_source import fragment_lines

_LABEL = {
    "customer": "customer",
    "agent": "agent",
    "operator": "operator",
    "tell": "tell",
    "whisper": "whisper",
    "context": "context",
    "command": "command",
    "wait": "wait",
    "error": "error",
    "system": "runner",
}
_WIDTH = 100
_INDENT = 22


def _wrap(text: str) -> list[str]:
    # Never split at hyphens or inside words: session ids, URLs and error codes
    # must stay whole so they can be copied and searched for.
    return textwrap.wrap(text, _WIDTH - _INDENT, break_on_hyphens=False,
                         break_long_words=False)


def _clock(seconds: float) -> str:
    minutes, rest = divmod(seconds, 60)
    return f"{int(minutes):02d}:{rest:06.3f}"


def _entry_lines(entry: Entry, show_step: bool) -> list[str]:
    step = entry.step.ref.replace("finally step", "fin") if show_step else ""
    label = _LABEL[entry.kind]
    head = f"{step:<7} {label:<11} "
    if entry.kind == "agent" and entry.text is None:
        body = "(no reply)"
    elif entry.kind in ("command", "wait", "system"):
        body = " ".join(p for p in (entry.text or "", entry.detail) if p)
    else:
        body = entry.text if entry.text is not None else "(empty)"
    wrapped = _wrap(body) or [""]
    lines = [f"  {_clock(entry.at)} {head}{wrapped[0]}"]
    pad = " " * (_INDENT + 10)
    lines.extend(pad + line for line in wrapped[1:])
    if entry.detail and entry.kind not in ("command", "wait", "system"):
        lines.append(pad + f"({entry.detail})")
    return lines


def chat_text(result: ScenarioResult, upto: StepRecord | None = None) -> str:
    """The conversation, one labelled line per message, in order."""
    lines: list[str] = []
    last_step: Step | None = None
    scores = {id(record.step): record.scores for record in result.steps if record.scores}
    for entry in result.entries:
        if upto is not None and _after(entry.step, upto.step):
            break
        if entry.step is not last_step and last_step is not None:
            lines.extend(_score_lines(scores.get(id(last_step), ())))
        lines.extend(_entry_lines(entry, show_step=entry.step is not last_step))
        last_step = entry.step
    if last_step is not None:
        lines.extend(_score_lines(scores.get(id(last_step), ())))
    return "\n".join(lines) if lines else "  (nothing was said)"


def _score_lines(scores: Iterable[Score]) -> list[str]:
    """Scored checks (similar_to, judge) under their step, passed or not."""
    pad = " " * (_INDENT + 10)
    return [pad + line for score in scores
            for line in _wrap(f"[score] {score.describe()}")]


def _after(step: Step, limit: Step) -> bool:
    order = {"steps": 0, "finally": 1, "judge": 2}  # a scenario's judge comes last
    return (order[step.block], step.index) > (order[limit.block], limit.index)


def _relative(path: Path) -> str:
    try:
        return os.path.relpath(path)
    except ValueError:
        return str(path)


def step_source(result: ScenarioResult, record: StepRecord) -> str:
    """The step's YAML lines as written, with their line numbers."""
    return step_excerpt(result, record)[1]


def step_excerpt(result: ScenarioResult, record: StepRecord) -> tuple[str, str]:
    """The file the step is written in, and its YAML lines there with their numbers.

    An included step shows its fragment's lines, then the include that brought
    them; if the fragment cannot be read any more, the scenario's `include:` line.
    """
    step = record.step
    if step.fragment is not None:
        found = fragment_lines(step.fragment)
        if found:
            width = len(str(found[-1][0]))
            text = "\n".join(f"  {n:>{width}} | {line}" for n, line in found)
            return (display_path(step.fragment.file),
                    f"{text}\n  included from {step.fragment.via}")
    lines = result.scenario.source_lines
    if not lines or step.line <= 0:
        return result.scenario.file.name, ""
    last = min(max(step.end_line, step.line), step.line + 15, len(lines))
    width = len(str(last))
    return result.scenario.file.name, "\n".join(
        f"  {n:>{width}} | {lines[n - 1]}" for n in range(step.line, last + 1))


def mismatch_text(record: StepRecord) -> str:
    width = max((len(m.key) for m in record.mismatches), default=0)
    out = []
    for mismatch in record.mismatches:
        out.append(f"  {mismatch.key:<{width}}  expected: {mismatch.expected}")
        out.append(f"  {'':<{width}}    actual: {mismatch.actual}")
    return "\n".join(out)


def header(result: ScenarioResult) -> str:
    scenario = result.scenario
    where = f"{_relative(scenario.file)}:{scenario.line}"
    facts = [f"target: {result.target}"]
    if result.agent:
        facts.append(f"agent: {result.agent}")
    if result.customer:
        facts.append(f"customer: {result.customer}")
    if result.sessions:
        facts.append("session: " + ", ".join(result.sessions))
    return f"Scenario {scenario.test_name!r} ({where})\n  " + " · ".join(facts)


def failure_report(result: ScenarioResult) -> str:
    """What a person needs to fix a failed or broken scenario, without any Python."""
    record = result.failed_step
    parts = [header(result), ""]
    if record is None:
        parts += [f"The run broke: {result.cause}", "", "Conversation:", chat_text(result)]
        return "\n".join(parts)
    parts += ["Conversation up to the failing step (whisper, tell, context: never shown "
              "to the customer):",
              chat_text(result, upto=record), ""]
    file = record.step.where(result.scenario.file.name)
    verb = "failed" if record.outcome == "failed" else "broke"
    parts.append(f"✗ {record.step.ref} {verb}: {record.heading}   ({file})")
    source = step_source(result, record)
    if source:
        parts += ["", source]
    if record.mismatches:
        parts += ["", "Mismatches:", mismatch_text(record)]
    if record.outcome == "broken" and record.cause:
        parts += ["", f"Cause: {record.cause}"]
    after = [e for e in result.entries if e.step.block == "finally" and _after(e.step, record.step)]
    if after:
        parts += ["", "Then the finally steps ran:"]
        parts.extend(line for entry in after for line in _entry_lines(entry, show_step=True))
    later = [s for s in result.steps if s is not record and s.outcome in ("failed", "broken")]
    for other in later:
        parts += ["", f"Also {other.outcome}: {other.step.ref} {other.title}"]
        parts.append(mismatch_text(other) if other.mismatches else f"  {other.cause}")
    return "\n".join(parts)


def one_line(result: ScenarioResult) -> str:
    """The failure in one line, for pytest's short summary and JUnit's message."""
    record = result.failed_step
    if record is None:
        return result.cause or "the scenario broke"
    if record.outcome == "broken":
        return record.cause or f"{record.step.ref} broke: {record.title}"
    first = record.mismatches[0] if record.mismatches else None
    detail = f" — {first.key}: expected {first.expected}, got {first.actual}" if first else ""
    more = f" (+{len(record.mismatches) - 1} more)" if len(record.mismatches) > 1 else ""
    return f"{record.step.ref} failed: {record.heading}{detail}{more}"
