"""Machine-readable transcripts: one JSON file per scenario item, for ``diff``.

``--osvi-transcripts DIR`` writes ``DIR/<scenario>.transcript.json`` for every
scenario that ran: what each step sent, the reply and state it got, its
outcome, mismatches and scores; every run of a repeated scenario. Everything
passes the run's redactor first. At the start of a run the folder's old
``*.transcript.json`` files are removed, so the folder always describes one
run (like ``--clean-alluredir``).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import tempfile
from dataclasses import asdict
from pathlib import Path
from typing import Any

from runner.core.redact import Redactor
from runner.execution.transcript import OperatorRecord, ScenarioResult, StepRecord

FORMAT = "osvi-transcript/1"
SUFFIX = ".transcript.json"
DEFAULT_FOLDER = "transcripts"
_SENT_KINDS = ("customer", "tell", "whisper", "operator", "context")


class TranscriptError(Exception):
    """A transcripts folder cannot be read."""


def file_name(nodeid: str) -> str:
    """A readable, unique file name for a test id."""
    slug = re.sub(r"[^A-Za-z0-9._-]+", "-", nodeid).strip("-.")[:100] or "scenario"
    digest = hashlib.sha1(nodeid.encode("utf-8"), usedforsecurity=False).hexdigest()[:8]
    return f"{slug}-{digest}{SUFFIX}"


def _step(result: ScenarioResult, record: StepRecord) -> dict[str, Any]:
    entries = [e for e in result.entries if e.step is record.step]
    sent = next((e.text for e in entries if e.kind in _SENT_KINDS), None)
    exchange = record.exchange
    payload = exchange.payload if exchange is not None and exchange.ok else {}
    step = record.step
    return {
        "ref": step.ref, "block": step.block, "index": step.index, "turn": step.turn,
        "line": step.line,
        "action": step.action, "name": step.name, "title": record.title, "sent": sent,
        "has_reply": "reply" in payload, "reply": payload.get("reply"),
        "state": payload.get("state"), "mode": payload.get("mode"),
        "help_requested": payload.get("help_requested"),
        "status": exchange.status if exchange is not None else None,
        "outcome": record.outcome, "cause": record.cause,
        "mismatches": [asdict(m) for m in record.mismatches],
        "scores": [asdict(s) for s in record.scores],
        "seconds": round(record.duration, 3),
    }


def _operator(record: OperatorRecord | None) -> dict[str, Any] | None:
    """What the scenario's ``operator:`` did; None for a scenario without one."""
    if record is None:
        return None
    return {
        "policy": record.policy, "watched": record.watched,
        # each: the support action, the step it was sent as (None: not sent), the
        # customer turn it answered, its outcome, and why it was not sent
        "actions": [asdict(action) for action in record.actions],
        "not_sent": sum(action.outcome == "not sent" for action in record.actions),
        "handed_back": record.did("end"), "closed": record.did("close"),
        "summary": record.describe(),
    }


def _run(result: ScenarioResult) -> dict[str, Any]:
    return {
        "customer": result.customer, "sessions": list(result.sessions),
        "outcome": result.outcome, "cause": result.cause,
        "started": result.started, "stopped": result.stopped,
        "steps": [_step(result, record) for record in result.steps],
        # each `simulate:` step: who played the customer, its seed, why it stopped
        "simulations": [asdict(simulation) for simulation in result.simulations],
        # the scenario's `operator:` (a simulation's own is in the steps only); readers
        # of older transcripts must expect it absent
        "operator": _operator(result.operator),
    }


def to_json(result: ScenarioResult, nodeid: str, file: str) -> dict[str, Any]:
    scenario = result.scenario
    repetition = result.repetition
    runs = repetition.runs if repetition is not None else [result]
    return {
        "format": FORMAT, "nodeid": nodeid, "name": scenario.test_name, "file": file,
        "line": scenario.line, "row": scenario.row_id, "tags": list(scenario.tags),
        "target": result.target, "agent": result.agent,
        "outcome": result.outcome, "cause": result.cause,
        "started": result.started, "stopped": result.stopped,
        "repeat": None if repetition is None else {
            "runs": len(repetition.runs), "passed": repetition.passed,
            "min_pass_rate": repetition.min_pass_rate},
        "runs": [_run(run) for run in runs],
    }


def write(folder: Path, nodeid: str, file: str, result: ScenarioResult,
          redactor: Redactor) -> Path:
    """Write one transcript atomically (a reader never sees half a file)."""
    folder.mkdir(parents=True, exist_ok=True)
    data = redactor.redact_tree(to_json(result, nodeid, file))
    target = folder / file_name(redactor.redact(nodeid))  # a file name is output too
    handle, temporary = tempfile.mkstemp(dir=folder, prefix=".tmp-", suffix=".json")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            json.dump(data, out, indent=2, ensure_ascii=False)
            out.write("\n")
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return target


def clear(folder: Path) -> None:
    """Remove an earlier run's transcripts; other files are left alone."""
    if folder.is_dir():
        for old in folder.glob(f"*{SUFFIX}"):
            old.unlink(missing_ok=True)


def resolve(path: Path) -> Path:
    """The transcripts folder itself, or the ``transcripts/`` of a report folder."""
    if not path.exists():
        raise TranscriptError(f"'{path}' does not exist")
    if not path.is_dir():
        raise TranscriptError(f"'{path}' is not a folder; give a transcripts folder "
                              "(--osvi-transcripts) or the report folder that holds one")
    if any(path.glob(f"*{SUFFIX}")):
        return path
    inner = path / DEFAULT_FOLDER
    if inner.is_dir() and any(inner.glob(f"*{SUFFIX}")):
        return inner
    raise TranscriptError(f"no transcripts (*{SUFFIX}) in '{path}' or '{inner}'; write them "
                          "with pytest --osvi-transcripts DIR")


def load(path: Path) -> dict[str, dict[str, Any]]:
    """Every transcript of one run, by test id."""
    folder = resolve(path)
    found: dict[str, dict[str, Any]] = {}
    for file in sorted(folder.glob(f"*{SUFFIX}")):
        try:
            data = json.loads(file.read_text("utf-8"))
        except (OSError, ValueError) as error:
            raise TranscriptError(f"{file}: not a readable transcript ({error})") from None
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            raise TranscriptError(f"{file}: not an {FORMAT} transcript")
        found[str(data.get("nodeid"))] = data
    return found
