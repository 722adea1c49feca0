"""Hand-built scenario runs for unit tests of the report modules (no API, no pytest run)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from runner.execution.exchange import Exchange
from runner.execution.transcript import Entry, Mismatch, ScenarioResult, StepRecord
from runner.language.model import Link, Scenario, Step

TOKEN = "tok-SECRET-4242-do-not-print"
T0 = 1_700_000_000.0

SOURCE = """\
scenario: Refund <b>escalation</b>
tags: [refund, escalation]
steps:
  - customer: "I want a refund <script>alert(1)</script>"
  - whisper: "Offer a voucher"
  - takeover: "Hi, this is Maria"
  - operator: "Your parcel arrives tomorrow"
  - tell: "Say goodbye"
  - inject_context: "Caller said order 1234"
  - wait: 10m
  - customer: "Are you there?"
    expect:
      reply: {contains: refund}
      mode: ai
  - customer: "Never sent"
finally:
  - close: null
"""


def step(index: int, action: str, value: Any, line: int, block: str = "steps",
         end_line: int | None = None) -> Step:
    return Step(block=block, index=index, action=action, value=value,  # type: ignore[arg-type]
                line=line, end_line=end_line or line)


def exchange(path: str, body: dict[str, Any], data: dict[str, Any], at: float,
             status: int = 200) -> Exchange:
    return Exchange("POST", path, body, started=at, elapsed=0.120, status=status,
                    data={"data": data} if status < 300 else data)


def rich_result(path: Path = Path("scenarios/refund/escalation.scenario.yaml"),
                *, row_id: str | None = None) -> ScenarioResult:
    """Every kind of transcript line, a failing step 8 and a step 9 that never ran."""
    steps = (
        step(1, "customer", "I want a refund <script>alert(1)</script>", 4),
        step(2, "whisper", "Offer a voucher", 5),
        step(3, "takeover", "Hi, this is Maria", 6),
        step(4, "operator", "Your parcel arrives tomorrow", 7),
        step(5, "tell", "Say goodbye", 8),
        step(6, "inject_context", "Caller said order 1234", 9),
        step(7, "wait", "10m", 10),
        step(8, "customer", "Are you there?", 11, end_line=14),
        step(9, "customer", "Never sent", 15),
    )
    final = (step(1, "close", None, 17, block="finally"),)
    scenario = Scenario(
        name="Refund <b>escalation</b>", file=path, line=1, steps=steps, finally_steps=final,
        description="Customer asks for a **refund**.", tags=("refund", "escalation"),
        feature="Refunds", story="Escalation", severity="critical", owner="qa@example.com",
        links=(Link("https://jira.example.com/QA-1", "QA-1", "issue"),),
        row_id=row_id, row={"greeting": "Hallo"} if row_id else {},
        source_lines=tuple(SOURCE.splitlines()),
    )
    result = ScenarioResult(scenario, "embedded mock", agent="agent_mock",
                            customer="+15551112222", started=T0, stopped=T0 + 3.0,
                            sessions=["sess-1"])
    sid = "sess-1"
    plan: list[tuple[int, str, list[tuple[str, str | None, str]], Exchange | None]] = [
        (0, "customer: \"I want a refund <script>alert(1)</script>\"",
         [("customer", "I want a refund <script>alert(1)</script>", ""),
          ("agent", f"Sure. (debug token {TOKEN})", "state default · mode ai · 120ms")],
         exchange("/v1/chat/inbound", {"agent_uuid": "agent_mock", "content": TOKEN},
                  {"session_id": sid, "reply": "Sure.", "mode": "ai"}, T0)),
        (1, 'whisper: "Offer a voucher"', [("whisper", "Offer a voucher", "→ ok · 120ms")],
         exchange(f"/v1/chat/session/{sid}/support", {"command": "whisper"},
                  {"session_id": sid, "state": "ok"}, T0 + 0.2)),
        (2, 'takeover: "Hi, this is Maria"',
         [("command", "takeover", "→ ok · 120ms · active_human maria@example.com"),
          ("operator", "Hi, this is Maria", "")],
         exchange(f"/v1/chat/session/{sid}/support", {"command": "takeover"},
                  {"session_id": sid, "state": "ok"}, T0 + 0.4)),
        (3, 'operator: "Your parcel arrives tomorrow"',
         [("operator", "Your parcel arrives tomorrow", "→ ok · 120ms")],
         exchange(f"/v1/chat/session/{sid}/support", {"message": "x"},
                  {"session_id": sid, "state": "ok"}, T0 + 0.6)),
        (4, 'tell: "Say goodbye"', [("tell", "Say goodbye", ""), ("agent", None, "state ok")],
         exchange(f"/v1/chat/session/{sid}/support", {"command": "tell"},
                  {"session_id": sid, "state": "ok"}, T0 + 0.8)),
        (5, 'inject_context: "Caller said order 1234"',
         [("context", "Caller said order 1234", "bucket now 1 entries · 120ms")],
         exchange(f"/v1/chat/session/{sid}/inject_context", {"context": "x"},
                  {"session_id": sid, "context": ["x"]}, T0 + 1.0)),
        (6, "wait: 10m", [("wait", None, "10m pass on the mock clock")], None),
        (7, 'customer: "Are you there?"',
         [("customer", "Are you there?", ""), ("agent", "Hello!", "state default · mode support")],
         exchange("/v1/chat/inbound", {"content": "Are you there?"},
                  {"session_id": sid, "reply": "Hello!", "mode": "support"}, T0 + 1.4)),
    ]
    for number, title, lines, ex in plan:
        current = steps[number]
        start = T0 + 0.2 * number
        record = StepRecord(current, title, started=start, stopped=start + 0.15, exchange=ex)
        for kind, text, detail in lines:
            result.entries.append(Entry(kind, text, start - T0 + 0.01, current, detail))  # type: ignore[arg-type]
        result.steps.append(record)
    failing = result.steps[-1]
    failing.mismatches = [Mismatch("reply", 'contains "refund"', '"Hello!"'),
                          Mismatch("mode", '"ai"', '"support"')]
    failing.outcome = "failed"
    result.fail(failing)
    closing = StepRecord(final[0], "close", started=T0 + 2.0, stopped=T0 + 2.1,
                         exchange=exchange(f"/v1/chat/session/{sid}/support",
                                           {"command": "close"},
                                           {"session_id": sid, "state": "ok"}, T0 + 2.0))
    result.entries.append(Entry("command", "close", 2.01, final[0], "→ ok · 120ms"))
    result.steps.append(closing)
    return result


def broken_result() -> ScenarioResult:
    """A run whose first step got an answer nobody expected."""
    first = step(1, "customer", "Hi", 3)
    scenario = Scenario(name="Broken run", file=Path("scenarios/x.scenario.yaml"), line=1,
                        steps=(first, step(2, "customer", "Bye", 5)))
    result = ScenarioResult(scenario, "https://api.example.com", agent="agent_x",
                            customer="c1", started=T0, stopped=T0 + 1)
    record = StepRecord(first, 'customer: "Hi"', started=T0, stopped=T0 + 0.5,
                        exchange=Exchange("POST", "/v1/chat/inbound", {"content": "Hi"},
                                          started=T0, elapsed=0.5, status=500,
                                          text="<html>Internal error</html>"))
    record.outcome = "broken"
    record.cause = ('step 1 (customer: "Hi"): unexpected answer HTTP 500 · body (not JSON) '
                    "'<html>Internal error</html>' from POST /v1/chat/inbound")
    result.entries.append(Entry("customer", "Hi", 0.0, first))
    result.entries.append(Entry("error", "HTTP 500 · body (not JSON)", 0.5, first))
    result.steps.append(record)
    result.fail(record)
    return result
