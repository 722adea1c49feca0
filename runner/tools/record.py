"""``osvi-scenarios record FILE``: run a scenario and write the replies it got into it.

Authoring by "run, review, commit": the scenario runs (mock or live) with its
expectations set aside, and every ``customer``/``tell`` step without a
``reply`` expectation gets one from the observed reply, as key phrases
(``contains``), ``similar_to`` the observed text, or the exact text. The file
is edited as YAML round-trip (ruamel.yaml), so comments, order, quoting and
flow style stay as the author wrote them; it is written atomically (a temporary
file renamed over it). Expectations the author wrote are kept unless
``--overwrite``.

Besides the reply, a step gets ``state``, ``mode`` and ``help_requested``
expectations where the agent changed them (against the step before; the
session starts in state ``default``, mode ``ai``, not escalated). With
``--runs N`` every scenario runs N times and only what every run agrees on is
written: the same text, key phrases all replies contain, or ``similar_to`` with
the lowest score among them; a field only when every run saw the same value.

Exit status: 0 written (or nothing to add), 1 the file has problems or a run
could not observe a reply, 2 the command was used wrongly.
"""

from __future__ import annotations

import difflib
import io
import itertools
import math
import os
import re
import stat
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.scalarstring import DoubleQuotedScalarString

from runner.core.redact import MASK, TOKEN_VARIABLE, Redactor
from runner.core.text import quoted
from runner.execution.executor import run_scenario
from runner.execution.operator_policy import is_llm
from runner.execution.simulation import scenario_needs_llm
from runner.execution.transcript import ScenarioResult
from runner.judging import semantic
from runner.judging.meaning import compare as compare_meaning
from runner.judging.textsim import lexical_similarity
from runner.language.matchers import DEFAULT_SIMILARITY, compile_text_matcher
from runner.language.model import Scenario, Step

STYLES = ("contains", "similar_to", "exact")
REPLY_ACTIONS = ("customer", "tell")
# Words that say little about a reply's content: never a key phrase on their own.
_STOPWORDS = frozenset({
    "a", "about", "above", "after", "again", "all", "also", "am", "an", "and", "any", "are", "as",
    "at", "be", "because", "been", "before", "being", "below", "between", "both", "but", "by",
    "can", "could", "did", "do", "does", "doing", "down", "during", "each", "few", "for", "from",
    "further", "had", "has", "have", "having", "he", "her", "here", "hers", "him", "his", "how",
    "i", "if", "in", "into", "is", "it", "its", "itself", "just", "let", "me", "more", "most",
    "my", "no", "nor", "not", "now", "of", "off", "on", "once", "only", "or", "other", "our",
    "ours", "out", "over", "own", "same", "she", "should", "so", "some", "such", "than", "that",
    "the", "their", "them", "then", "there", "these", "they", "this", "those", "through", "to",
    "too", "under", "until", "up", "very", "was", "we", "were", "what", "when", "where", "which",
    "while", "who", "whom", "why", "will", "with", "would", "you", "your", "yours", "yourself",
    "thanks", "thank", "please", "sure", "hi", "hello", "hey", "okay", "ok", "yes", "today",
    "what's", "it's", "i'm", "i'll", "i've", "you're", "we're", "that's", "there's", "can't",
    "don't", "won't", "let's", "here's",
})
_TOKEN = re.compile(r"[\w][\w'’-]*")


class RecordError(Exception):
    """The scenario could not be recorded; the message says why."""


# What the agent decided besides its words, and its value when a session starts.
FIELDS = {"state": "default", "mode": "ai", "help_requested": False}


@dataclass
class Observation:
    """What one step answered, over every run of its document (one per examples row)."""

    step: Step
    replies: list[str | None] = field(default_factory=list)
    # Per field, per run: the value seen, and whether it changed at this step.
    fields: dict[str, list[tuple[Any, bool]]] = field(default_factory=dict)


@dataclass
class RecordResult:
    text: str  # the new file
    added: list[str] = field(default_factory=list)  # "line 12: step 1 reply"
    notes: list[str] = field(default_factory=list)


def key_phrases(text: str, limit: int = 2) -> list[str]:
    """Up to ``limit`` phrases of ``text`` that carry its content, as written, in order.

    A phrase is a run of words that are not stop words and are not separated by
    punctuation; single words need 5 letters or a digit. Longer phrases, and
    phrases with digits (order numbers, amounts), are preferred.
    """
    runs: list[list[re.Match[str]]] = []
    current: list[re.Match[str]] = []
    previous_end = -1
    for match in _TOKEN.finditer(text):
        word = match.group().lower().replace("’", "'")
        content = word not in _STOPWORDS and (len(word) >= 3 or word.isdigit())
        joined = previous_end >= 0 and text[previous_end:match.start()].strip() == ""
        if content and current and joined and len(current) < 4:
            current.append(match)
        elif content:
            if current:
                runs.append(current)
            current = [match]
        else:
            if current:
                runs.append(current)
            current = []
        previous_end = match.end()
    if current:
        runs.append(current)

    def score(run: list[re.Match[str]]) -> float:
        letters = sum(len(m.group()) for m in run)
        digits = any(any(c.isdigit() for c in m.group()) for m in run)
        return letters + 4 * (len(run) - 1) + (6 if digits else 0)

    usable = [run for run in runs
              if len(run) > 1 or len(run[0].group()) >= 5
              or any(c.isdigit() for c in run[0].group())]
    best = sorted(usable, key=score, reverse=True)[:limit]
    best.sort(key=lambda run: run[0].start())
    return [text[run[0].start():run[-1].end()] for run in best]


def expectation(reply: str | None, style: str, minimum: float = DEFAULT_SIMILARITY) -> Any:
    """The ``reply:`` value to write for an observed reply."""
    if reply is None:
        return None
    if style == "exact" or not reply.strip():
        return DoubleQuotedScalarString(reply)
    if style == "similar_to":
        inner = CommentedMap([("text", DoubleQuotedScalarString(reply)), ("min", minimum)])
        inner.fa.set_flow_style()
        outer = CommentedMap([("similar_to", inner)])
    else:
        phrases = key_phrases(reply)
        if not phrases:
            return DoubleQuotedScalarString(reply)
        items = CommentedSeq([DoubleQuotedScalarString(p) for p in phrases])
        items.fa.set_flow_style()
        outer = CommentedMap([("contains", items)])
    outer.fa.set_flow_style()
    return outer


def _yaml(text: str) -> YAML:
    yaml = YAML()
    yaml.preserve_quotes = True
    yaml.width = 4096  # never fold a long line the author kept on one
    offset = _sequence_offset(text)
    yaml.indent(mapping=2, sequence=offset + 2, offset=offset)
    yaml.representer.add_representer(type(None), _represent_null)
    return yaml


def _represent_null(representer: Any, data: None) -> Any:
    return representer.represent_scalar("tag:yaml.org,2002:null", "null")


def _sequence_offset(text: str) -> int:
    """How far the author indents ``- `` under its key (``steps:\\n  - customer``: 2)."""
    for before, line in itertools.pairwise(text.splitlines()):
        key = re.match(r"^( *)[\w-]+:\s*(#.*)?$", before)
        item = re.match(r"^( *)- ", line)
        if key and item:
            return max(0, len(item.group(1)) - len(key.group(1)))
    return 2


def _strip(scenario: Scenario) -> Scenario:
    """The scenario without what could stop it early: expectations (but `error`), invariants."""
    def bare(step: Step) -> Step:
        kept = {"error": step.expect["error"]} if "error" in step.expect else {}
        return replace(step, expect=kept)

    return replace(scenario, steps=tuple(bare(s) for s in scenario.steps),
                   finally_steps=tuple(bare(s) for s in scenario.finally_steps),
                   invariants={}, repeat=None, judge=None)


def observe(result: ScenarioResult, into: dict[tuple[int, str, int], Observation]) -> None:
    last = dict(FIELDS)
    for record in result.steps:
        step = record.step
        exchange = record.exchange
        if step.action not in REPLY_ACTIONS or exchange is None or not exchange.ok:
            continue
        # A simulated turn, or an operator's action: no line of the file to write it into.
        if step.turn or step.by_operator:
            continue
        reply = exchange.payload.get("reply")
        key = (result.scenario.line, step.block, step.index)
        seen = into.setdefault(key, Observation(step))
        seen.replies.append(reply if isinstance(reply, str) else None)
        for name in FIELDS:
            value = exchange.payload.get(name)
            seen.fields.setdefault(name, []).append((value, value != last[name]))
            last[name] = value


def left_out(scenarios: Sequence[Scenario],
             file: str) -> tuple[list[Scenario], list[str]]:
    """The scenarios ``record`` can run, and a note for each one it leaves out.

    ``record`` runs no LLM: a scenario whose operator or simulated customer is one
    would break at its first turn, and what the LLM does differs from run to run, so
    it is left out, named before anything runs, rather than ending the whole run.
    """
    runnable: list[Scenario] = []
    notes: dict[int, str] = {}  # by line: an examples table's rows are one scenario
    for scenario in scenarios:
        if is_llm(scenario.operator):
            why, instead = ("its `operator:` is an LLM (`policy: llm`)",
                            "record its scripted steps with a playbook operator, or write "
                            "their expectations by hand")
        elif scenario_needs_llm(scenario):
            why, instead = ("a `simulate:` step asks an LLM (a `persona`, an LLM `operator:` "
                            "or a `stop_when` criterion)", "write its expectations by hand")
        else:
            runnable.append(scenario)
            continue
        notes.setdefault(scenario.line, f"{file}:{scenario.line}: '{scenario.name}' left out: "
                                        f"{why}, and record runs no LLM; {instead}")
    return runnable, list(notes.values())


async def run_all(scenarios: Sequence[Scenario], make_target: Any, env: Mapping[str, str],
                  agent: str | None, runs: int = 1) -> dict[tuple[int, str, int], Observation]:
    """Run each scenario (each examples row) ``runs`` times; raises RecordError if one broke."""
    observed: dict[tuple[int, str, int], Observation] = {}
    for scenario in scenarios:
        for number in range(1, runs + 1):
            # Each run a fresh customer and, on the mock, its own seed: as `repeat:` runs.
            result = await run_scenario(_strip(scenario), make_target(), env,
                                        default_agent=agent, run_number=number,
                                        fresh_customer=runs > 1)
            if result.outcome == "broken":
                which = f" in run {number}" if runs > 1 else ""
                raise RecordError(f"'{scenario.test_name}' could not run to the end, so nothing "
                                  f"was recorded{which}: {result.cause}")
            observe(result, observed)
    return observed


def agreed_expectation(replies: Sequence[str | None], style: str,
                       minimum: float) -> tuple[Any, str | None]:
    """A ``reply:`` value every one of ``replies`` meets, or None and why there is none."""
    if len(set(replies)) == 1:
        return expectation(replies[0], style, minimum), None
    if any(reply is None for reply in replies):
        return None, "the agent was silent in some runs and replied in others"
    texts = [reply for reply in replies if reply is not None]
    if style == "contains":
        shared = [p for p in key_phrases(texts[0], limit=6) if all(p in t for t in texts)]
        if shared:
            items = CommentedSeq([DoubleQuotedScalarString(p) for p in shared[:2]])
            items.fa.set_flow_style()
            outer = CommentedMap([("contains", items)])
            outer.fa.set_flow_style()
            return outer, None
    score = _lowest_similarity(texts[0], texts[1:], minimum)
    if score is None:
        return None, ("the runs' replies differ in a fact, polarity or name, which "
                      "`similar_to` would not accept")
    return expectation(texts[0], "similar_to", min(minimum, score)), None


def _lowest_similarity(reference: str, others: Sequence[str], minimum: float) -> float | None:
    """The lowest `similar_to` score of ``others`` against ``reference``, rounded down;
    None if a guard of `similar_to` rejects one of them."""
    similarities = semantic.similarities if semantic.available() else (
        lambda ref, texts: [lexical_similarity(ref, t) for t in texts])
    lowest = 1.0
    for other in others:
        judged = compare_meaning(reference, other, similarities, minimum)
        if judged.failure is not None:
            return None
        lowest = min(lowest, judged.score)
    return math.floor(lowest * 100) / 100


def _step_node(document: Any, step: Step) -> Any:
    block = document.get(step.block) if isinstance(document, CommentedMap) else None
    if not isinstance(block, CommentedSeq) or len(block) < step.index:
        return None
    node = block[step.index - 1]
    return node if isinstance(node, CommentedMap) else None


def _set_expect(node: CommentedMap, key: str, value: Any) -> None:
    """``expect: {key: …}``, the block right after the action (and name), before ``save``;
    the reply leads the block."""
    expect = node.get("expect")
    if not isinstance(expect, CommentedMap):
        position = list(node).index("save") if "save" in node else len(node)
        node.insert(position, "expect", CommentedMap([(key, value)]))
    elif key == "reply" and key not in expect:
        expect.insert(0, key, value)
    else:
        expect[key] = value


def _record_fields(node: CommentedMap, seen: Observation, where: str, overwrite: bool,
                   outcome: RecordResult) -> None:
    """State, mode and escalation where the agent changed them and every run agrees."""
    expect = node.get("expect")
    for name in FIELDS:
        values = seen.fields.get(name, [])
        if not values or len({repr(v) for v, _ in values}) > 1 or \
                not any(changed for _, changed in values):
            continue
        if isinstance(expect, CommentedMap) and name in expect and not overwrite:
            continue
        value = values[0][0]
        if value is None:
            continue  # not in the answer: nothing to expect
        _set_expect(node, name, DoubleQuotedScalarString(value) if isinstance(value, str)
                    else value)
        expect = node.get("expect")
        outcome.added.append(f"{where} {name}")


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield str(key)
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def _refuse_secret(value: Any, where: str, redactor: Redactor | None) -> None:
    """A scenario file is committed: an echoed secret must never be written into one."""
    if redactor and any(redactor.redact(text) != text for text in _strings(value)):
        raise RecordError(f"{where}: the reply holds a secret ({TOKEN_VARIABLE} or the base "
                          "URL's password, possibly encoded), so nothing was written; write "
                          "this step's `reply` expectation by hand, e.g. with "
                          f"{{{{ env.{TOKEN_VARIABLE} }}}} where the secret belongs")


def apply(text: str, file: str, observed: Mapping[tuple[int, str, int], Observation],
          lines: Sequence[int], *, style: str, overwrite: bool,
          minimum: float = DEFAULT_SIMILARITY, redactor: Redactor | None = None,
          runs: int = 1) -> RecordResult:
    """The file with the observed replies written in; ``lines`` are the documents' lines.

    With a ``redactor``, raises :class:`RecordError` rather than write any of its
    secrets into the file.
    """
    yaml = _yaml(text)
    documents = [d for d in yaml.load_all(text) if d is not None]
    if len(documents) != len(lines):
        raise RecordError(f"{file}: the file holds {len(documents)} YAML documents but "
                          f"{len(lines)} scenarios; record needs one scenario per document")
    outcome = RecordResult(text)
    by_line = dict(zip(lines, documents, strict=True))
    for (line, _, _), seen in sorted(observed.items(), key=lambda item: item[0]):
        step, document = seen.step, by_line.get(line)
        node = _step_node(document, step)
        where = f"{file}:{step.line}: {step.ref}"
        if node is None:
            outcome.notes.append(f"{where}: not found in the file as written; skipped")
            continue
        _record_fields(node, seen, where, overwrite, outcome)
        distinct = {r for r in seen.replies}
        if len(distinct) > 1 and runs == 1:
            outcome.notes.append(f"{where}: the examples rows got different replies; write "
                                 "this expectation by hand (e.g. with a {{ variable }})")
            continue
        reply = seen.replies[0]
        expect = node.get("expect")
        if isinstance(expect, CommentedMap) and "reply" in expect and not overwrite:
            if len(distinct) == 1 and _unmet(expect["reply"], reply):
                outcome.notes.append(f"{where}: kept your `reply` expectation, which the reply "
                                     f"observed now does not meet: {_short(reply)} "
                                     "(--overwrite replaces it)")
            continue
        value, why_not = agreed_expectation(seen.replies, style, minimum)
        if why_not is not None:
            outcome.notes.append(f"{where}: no reply expectation: {why_not} "
                                 f"over {runs} runs; write this one by hand")
            continue
        _refuse_secret(value, where, redactor)
        _set_expect(node, "reply", value)
        outcome.added.append(f"{where} reply")
    out = io.StringIO()
    if len(documents) == 1:
        yaml.dump(documents[0], out)
    else:
        yaml.dump_all(documents, out)
    outcome.text = out.getvalue()
    if redactor and (redactor.redact(outcome.text).count(MASK)
                     > redactor.redact(text).count(MASK)):
        raise RecordError(f"{file}: the recorded file would hold a secret ({TOKEN_VARIABLE} or "
                          "the base URL's password), so nothing was written")
    return outcome


def _unmet(spec: Any, reply: str | None) -> bool:
    """Whether the author's matcher fails on ``reply``; scored or templated ones are not
    second-guessed (that needs the model, the judge or the run's variables)."""
    if _scored(spec) or "{{" in str(spec):
        return False
    return compile_text_matcher(spec).check(reply) is not None


def _scored(spec: Any) -> bool:
    if isinstance(spec, dict):
        return "similar_to" in spec or "judge" in spec or any(_scored(v) for v in spec.values())
    if isinstance(spec, list):
        return any(_scored(v) for v in spec)
    return False


def _short(reply: str | None) -> str:
    if reply is None:
        return "no reply"
    return quoted(reply, 60)


def layout_changes(text: str) -> int:
    """How many lines a plain round trip would change (0 for files in the usual layout)."""
    yaml = _yaml(text)
    documents = list(yaml.load_all(text))
    out = io.StringIO()
    if len(documents) == 1:
        yaml.dump(documents[0], out)
    else:
        yaml.dump_all(documents, out)
    diff = difflib.unified_diff(text.splitlines(), out.getvalue().splitlines(), lineterm="", n=0)
    return sum(1 for line in diff if line.startswith("-") and not line.startswith("---"))


def unified_diff(before: str, after: str, file: str) -> str:
    return "".join(difflib.unified_diff(before.splitlines(keepends=True),
                                        after.splitlines(keepends=True),
                                        fromfile=file, tofile=f"{file} (recorded)"))


def write_atomically(path: Path, text: str) -> None:
    """Replace ``path`` in one step: readers see the old file or the new one, never half."""
    mode = stat.S_IMODE(path.stat().st_mode)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.",
                                         suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="") as out:
            out.write(text)
        os.chmod(temporary, mode)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
