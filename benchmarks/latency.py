"""Latency-bound: many slow conversations, at concurrency 1, 16 and 64.

192 scenarios x 6 calls on the embedded mock, each answer delayed 100 ms
(``latency: 100ms``): the time is almost all waiting, as with a live agent.
Each scenario ends by closing its session, and that call is waited for like
any other, so it counts as work in the ideal (six calls, not five).
The ideal is max(critical path, total latency / concurrency): the longest
scenario, or all the waiting spread evenly over the slots. Whole scenarios
cannot be split, so ceil(scenarios / concurrency) rounds of one scenario each
is the best any scheduler can do; both bounds are shown. 192 is a multiple of
16 and 64, so at those levels the two bounds agree and the ideal is reachable.
Target: at least 90% of the ideal at 16 and 64. Times are of pytest's run loop
(collection left out).
"""

from __future__ import annotations

import math

from benchmarks.common import CACHE, fresh, pytest_command, run_phase

HERE = CACHE / "latency"
SCENARIO = """\
scenario: Slow agent {n}
mock:
  latency: 100ms
  default_reply: "Noted."
steps:
  - customer: "Hello"
    expect: {{reply: "Noted."}}
  - customer: "I have a question"
  - whisper: "be brief"
  - customer: "Are you there?"
  - inject_context: "call summary {n}"
  - close: null
"""
STEPS = SCENARIO.count("\n  - ")  # every step is one call, the closing one included


def run_benchmark(*, scenarios: int = 192, levels: tuple[int, ...] = (1, 16, 64),
                  latency: float = 0.1) -> list[str]:
    steps = STEPS
    suite = fresh(HERE / "suite")
    for n in range(scenarios):
        (suite / f"slow_{n:04}.scenario.yaml").write_text(SCENARIO.format(n=n), "utf-8")
    critical = steps * latency
    total = scenarios * steps * latency
    lines = [f"latency-bound: {scenarios} scenarios x {steps} calls, {latency * 1000:.0f} ms "
             "added to each call (embedded mock)",
             f"  {'concurrency':>11} {'run loop':>9} {'ideal':>8} {'of ideal':>9} "
             f"{'whole-scenario bound':>21} {'of bound':>9} {'command':>8}"]
    for level in levels:
        timing, seconds = run_phase(pytest_command(suite, "--osvi-concurrency", str(level)),
                                    cwd=HERE)
        ideal = max(critical, total / level)
        bound = math.ceil(scenarios / level) * critical
        lines.append(f"  {level:>11} {seconds:8.2f}s {ideal:7.2f}s {ideal / seconds:8.0%} "
                     f"{bound:20.2f}s {bound / seconds:8.0%} {timing.seconds:7.2f}s")
    lines.append("  target: at least 90% of ideal at 16 and 64")
    return lines
