"""Whole process: 200 six-step conversations, this runner against a plain httpx loop and Tavern.

What a user waits for: the whole command, start-up and collection included,
for a suite of 200 conversations (conversation_suites.py) against one
``osvi-mock serve`` on 127.0.0.1, one conversation at a time. The three tools
run interleaved (loop, runner, Tavern, loop, runner, Tavern, ...) after a
warm-up round, so a slow spell of a shared machine hits all of them; each
ratio is taken within a round and the median of the rounds is quoted.
Bytecode caches are on, as for any user. Targets: the runner at most 1.5x the
loop, Tavern at least 3x the runner.
"""

from __future__ import annotations

import os
import re
import statistics
import subprocess
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from benchmarks.common import (
    CACHE,
    PYTHON,
    ROOT,
    Timing,
    child_env,
    fresh,
    pytest_command,
    run,
    runner_env,
    standalone_mock,
)
from benchmarks.conversation_suites import STEPS, write_scenarios, write_tavern
from benchmarks.mock_load import TOKEN
from benchmarks.tavern_env import Tavern

HERE = CACHE / "conversations"
LOOP = ROOT / "benchmarks" / "conversation_loop.py"


@dataclass
class Contender:
    name: str
    command: list[str]
    cwd: Path
    env: dict[str, str]
    finished: Callable[[str], bool]  # did the run do every conversation, all checks passing?
    timings: list[Timing] = field(default_factory=list)

    def once(self) -> Timing:
        timing = run(self.command, cwd=self.cwd, env=self.env)
        if not self.finished(timing.output):
            tail = "\n".join(timing.output.splitlines()[-15:])
            raise SystemExit(f"{self.name} did not run every conversation:\n{tail}")
        return timing


def _passed(count: int) -> Callable[[str], bool]:
    """pytest's last line says ``count passed`` and nothing failed or broke."""
    def check(output: str) -> bool:
        last = [line for line in output.splitlines() if " passed" in line][-1:]
        return bool(last) and re.search(rf"\b{count} passed", last[0]) is not None \
            and re.search(r"\d+ (failed|errors?)\b", last[0]) is None
    return check


def _writes_bytecode(python: str | Path) -> bool:
    """Whether ``python`` writes bytecode caches in the environment the contenders get."""
    done = subprocess.run([str(python), "-c", "import sys; print(sys.dont_write_bytecode)"],
                          capture_output=True, text=True, env=child_env(), timeout=60)
    return done.stdout.strip() == "False"


def _row(name: str, timings: Sequence[Timing]) -> str:
    seconds = [t.seconds for t in timings]
    rss = statistics.median(t.peak_rss_mb for t in timings)
    return (f"  {name:28} {min(seconds):7.2f}s {statistics.median(seconds):7.2f}s "
            f"{max(seconds):7.2f}s {rss:9.0f} MB")


def _pairwise(top: Contender, bottom: Contender) -> tuple[float, float, float]:
    """min, median and max of top/bottom, taken round by round."""
    ratios = [a.seconds / b.seconds for a, b in zip(top.timings, bottom.timings, strict=True)]
    return min(ratios), statistics.median(ratios), max(ratios)


def run_benchmark(tavern: Tavern | None, *, conversations: int = 200,
                  rounds: int = 5) -> list[str]:
    calls = conversations * STEPS
    lines = [f"whole process: {conversations} conversations x {STEPS} calls (customer, takeover, "
             "whisper, end, customer, close) against osvi-mock serve (demo agent) on 127.0.0.1, "
             f"one at a time; interleaved, 1 warm-up + {rounds} rounds"]
    load_before = os.getloadavg()
    with standalone_mock(HERE / "server") as url:
        suite = write_scenarios(fresh(HERE / "runner"), conversations)
        contenders = [
            Contender("plain httpx.Client loop", [PYTHON, str(LOOP), url, str(conversations)],
                      HERE, {"OSVI_API_TOKEN": TOKEN},
                      lambda output: f"{conversations} conversations, 0 problems" in output),
            Contender("this runner (live)", pytest_command(suite), HERE, runner_env(url),
                      _passed(conversations)),
        ]
        if tavern is not None:
            folder = write_tavern(fresh(HERE / "tavern"), conversations, url, TOKEN)
            contenders.append(Contender(
                f"Tavern {tavern.version}",
                [str(tavern.python), "-m", "pytest", "-p", "no:cacheprovider", "-q", "."],
                folder, {}, _passed(conversations)))
        # The floor of any pytest plugin: pytest itself with as many empty tests, and
        # the loop's own start-up (Python and httpx), to take out of the loop's time.
        empty = fresh(HERE / "empty")
        for n in range(conversations):
            (empty / f"test_{n:05}.py").write_text(f"def test_{n}():\n    pass\n", "utf-8")
        floor = [Contender(f"pytest, {conversations} empty tests", pytest_command(empty), HERE,
                           {}, _passed(conversations)),
                 Contender("python -c 'import httpx'", [PYTHON, "-c", "import httpx"], HERE, {},
                           lambda output: True)]
        contenders.extend(floor)
        pythons = {PYTHON, *([str(tavern.python)] if tavern is not None else [])}
        caches = "on" if all(_writes_bytecode(p) for p in pythons) else "OFF (check the env)"
        for contender in contenders:  # warm-up: bytecode caches written, files in the page cache
            contender.once()
        for _ in range(rounds):
            for contender in contenders:
                contender.timings.append(contender.once())
    load_after = os.getloadavg()
    lines.append(f"  bytecode caches {caches}; load average {load_before[0]:.1f} before, "
                 f"{load_after[0]:.1f} after")
    lines.append(f"  {'':28} {'min':>8} {'median':>8} {'max':>8} {'peak RSS':>12}")
    for contender in contenders:
        lines.append(_row(contender.name, contender.timings))
    loop, ours = contenders[0], contenders[1]
    low, mid, high = _pairwise(ours, loop)
    lines.append(f"  this runner / loop: {mid:.2f}x (median of {rounds} rounds, {low:.2f}-"
                 f"{high:.2f}; target at most 1.5x)")
    empty_pytest, start = (statistics.median(t.seconds for t in c.timings) for c in floor)
    loop_median = statistics.median(t.seconds for t in loop.timings)
    lines.append(f"  the floor of a pytest plugin: pytest with {conversations} empty tests "
                 f"plus the loop's calls ({empty_pytest:.2f}s + {loop_median - start:.2f}s) = "
                 f"{(empty_pytest + loop_median - start) / loop_median:.2f}x the loop")
    if tavern is not None:
        low, mid, high = _pairwise(contenders[2], ours)
        lines.append(f"  Tavern / this runner: {mid:.2f}x (median of {rounds} rounds, {low:.2f}-"
                     f"{high:.2f}; target at least 3x)")
        if tavern is not None and tavern.note:
            lines.append(f"  note: {tavern.note}")
    per_call = {c.name: statistics.median(t.seconds for t in c.timings) / calls * 1000
                for c in contenders if c not in floor}
    lines.append("  whole command per call: " + ", ".join(
        f"{name} {ms:.2f} ms" for name, ms in per_call.items()))
    return lines
