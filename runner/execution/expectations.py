"""Check a step's ``expect:`` against the answer it got.

Every expectation is checked and every mismatch returned, so a report shows all
that went wrong in a step at once.
"""

from __future__ import annotations

import json
from typing import Any

from runner.execution.exchange import Exchange
from runner.execution.scoring import collect
from runner.execution.transcript import MISSING, Mismatch, Score, show_value
from runner.language.durations import DurationError, format_duration, parse_duration
from runner.language.matchers import Scorer, compile_list_matcher, compile_text_matcher
from runner.language.paths import ABSENT, lookup


class _AnswerChecker:
    """Checks one step's text expectations, collecting the scores they produce."""

    def __init__(self, scorer: Scorer | None, scores: list[Score] | None) -> None:
        self.scorer = scorer
        self.scores = scores if scores is not None else []

    async def text(self, key: str, spec: Any, actual: Any) -> Mismatch | None:
        actual_text: str | None
        if actual is MISSING or actual is None:
            actual_text = None
        else:
            actual_text = actual if isinstance(actual, str) else str(actual)
        matcher = compile_text_matcher(spec, scorer=self.scorer)
        await matcher.prepare(actual_text)  # a judge or the model may take a while
        failed = matcher.check(actual_text)
        self.scores.extend(collect(key, matcher))
        if failed is None and actual is not MISSING:
            return None
        return Mismatch(key, failed or matcher.describe(), show_value(actual))


def _describe_error(spec: dict[str, Any]) -> str:
    parts = []
    if "status" in spec:
        parts.append(f"HTTP {spec['status']}")
    if "code" in spec:
        parts.append(f"error {compile_text_matcher(spec['code']).describe()}")
    if "reason" in spec:
        parts.append(f"reason {compile_text_matcher(spec['reason']).describe()}")
    return "the call fails" + (" with " + ", ".join(parts) if parts else "")


def error_codes(data: Any) -> list[str]:
    """What ``error: {code: ...}`` is matched against, in either documented error shape.

    ``{"error": "agent_not_found"}`` (the endpoint pages) gives that one code;
    ``{"errors": ["field is required", {"code": ..., "message": ...}]}`` (the API
    introduction) gives every entry: a string as it is, an object's ``code`` and
    ``message``.
    """
    if not isinstance(data, dict):
        return []
    codes = [data["error"]] if isinstance(data.get("error"), str) else []
    entries = data.get("errors")
    for entry in entries if isinstance(entries, list) else []:
        if isinstance(entry, str):
            codes.append(entry)
        elif isinstance(entry, dict):
            codes.extend(str(entry[key]) for key in ("code", "message")
                         if isinstance(entry.get(key), (str, int)))
    return codes


async def _check_code(spec: Any, data: Any, checker: _AnswerChecker) -> Mismatch | None:
    """A mismatch unless one of the answer's error codes matches ``spec``."""
    codes = error_codes(data)
    if len(codes) <= 1 and not (isinstance(data, dict) and "errors" in data):
        return await checker.text("error.code", spec, codes[0] if codes else MISSING)
    for code in codes:
        if await checker.text("error.code", spec, code) is None:
            return None
    described = compile_text_matcher(spec).describe()
    return Mismatch("error.code", f"{described} (any entry of `errors`)", show_value(codes))


async def _check_error(spec: dict[str, Any], exchange: Exchange,
                       checker: _AnswerChecker) -> list[Mismatch]:
    if exchange.ok:
        return [Mismatch("error", _describe_error(spec),
                         f"the call succeeded (HTTP {exchange.status})")]
    found = []
    status = spec.get("status")
    if status is not None and exchange.status != status:
        found.append(Mismatch("error.status", str(status), str(exchange.status)))
    if "code" in spec:
        mismatch = await _check_code(spec["code"], exchange.data, checker)
        if mismatch:
            found.append(mismatch)
    if "reason" in spec:
        reason = exchange.upstream.get("reason", MISSING)
        mismatch = await checker.text("error.reason", spec["reason"], reason)
        if mismatch:
            found.append(mismatch)
    return found


async def check_expectations(expect: dict[str, Any], exchange: Exchange,
                             previous_session: str | None, *, scorer: Scorer | None = None,
                             scores: list[Score] | None = None) -> list[Mismatch]:
    """All mismatches between ``expect`` (already rendered) and ``exchange``.

    ``scorer`` serves ``similar_to`` and ``judge``; their scores, passed or not,
    are appended to ``scores``. A judge that cannot be asked raises
    :class:`runner.judging.judge.JudgeError`.
    """
    checker = _AnswerChecker(scorer, scores)
    found: list[Mismatch] = []
    error_spec = expect.get("error")
    if error_spec is not None:
        found.extend(await _check_error(dict(error_spec), exchange, checker))
        if not exchange.ok and "state" in expect:
            mismatch = await checker.text("state", expect["state"],
                                          exchange.upstream.get("state", MISSING))
            if mismatch:
                found.append(mismatch)
    found.extend(await _check_anywhere(expect, exchange, checker))
    if exchange.ok:
        data = exchange.payload
        for key in ("reply", "state", "active_human", "command"):
            if key in expect:
                mismatch = await checker.text(key, expect[key], data.get(key, MISSING))
                if mismatch:
                    found.append(mismatch)
        for key in ("mode", "help_requested"):
            if key in expect:
                actual = data.get(key, MISSING)
                if actual is MISSING or actual != expect[key]:
                    found.append(Mismatch(key, show_value(expect[key]), show_value(actual)))
        if "session" in expect:
            found.extend(_check_session(expect["session"], data.get("session_id"),
                                        previous_session))
        if "context" in expect:
            bucket = data.get("context")
            failed = compile_list_matcher(expect["context"]).check(
                bucket if isinstance(bucket, list) else None)
            if failed:
                found.append(Mismatch("context", failed,
                                      show_value(bucket if "context" in data else MISSING)))
    if "within" in expect:
        try:
            budget = parse_duration(expect["within"])
        except DurationError as error:  # a placeholder filled it in: never show what with
            found.append(Mismatch("within", "a duration, e.g. 3s (at most 24h)",
                                  f"once filled in, `within` {error.reason}"))
            return found
        if exchange.elapsed > budget:
            found.append(Mismatch("within", f"an answer within {format_duration(budget)}",
                                  f"answered in {format_duration(exchange.elapsed)}"))
    return found


def _as_text(value: Any) -> Any:
    """A JSON number, boolean, list or object as its JSON text, so text matchers apply."""
    if value is MISSING or value is None or isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False)


def _as_spec(spec: Any) -> Any:
    """A plain number or boolean written (or filled in) as a matcher is its JSON text."""
    return json.dumps(spec) if isinstance(spec, (bool, int, float)) else spec


async def _check_anywhere(expect: dict[str, Any], exchange: Exchange,
                          checker: _AnswerChecker) -> list[Mismatch]:
    """``status``, ``data:``/``body:`` paths and ``headers:``, on a success or an error answer."""
    found = []
    if "status" in expect and str(expect["status"]) != str(exchange.status):
        found.append(Mismatch("status", str(expect["status"]), show_value(exchange.status)))
    paths = [("data", path, spec) for path, spec in (expect.get("data") or {}).items()]
    paths += [("body", path, spec) for path, spec in (expect.get("body") or {}).items()]
    for group, path, spec in paths:  # `body` is `data` under the name a request step uses
        actual = lookup(exchange.data, str(path))
        mismatch = await checker.text(f"{group}.{path}", _as_spec(spec),
                                      MISSING if actual is ABSENT else _as_text(actual))
        if mismatch:
            found.append(mismatch)
    for name, spec in (expect.get("headers") or {}).items():
        actual = exchange.headers.get(str(name).lower(), MISSING)
        mismatch = await checker.text(f"headers.{name}", _as_spec(spec), actual)
        if mismatch:
            found.append(mismatch)
    return found


def _check_session(expected: str, actual: Any, previous: str | None) -> list[Mismatch]:
    if expected == "new" and (actual is None or actual == previous):
        return [Mismatch("session", f"a new session (not {previous})", show_value(actual))]
    if expected == "same" and actual != previous:
        was = previous if previous is not None else "none yet"
        return [Mismatch("session", f"the same session as before ({was})", show_value(actual))]
    return []
