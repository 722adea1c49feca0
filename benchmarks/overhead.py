"""Per-step overhead: this runner, a plain httpx script and Tavern, on the same conversations.

All three talk to one ``osvi-mock serve`` on 127.0.0.1, one conversation after
another (six calls each). Each tool runs a small and a large suite; the
difference between the two, divided by the extra calls, is the cost of one
step with start-up and fixed costs taken out. Whole-command times are shown
too. Every tool and size runs once per round (after a warm-up round), so a slow
spell of a shared machine hits all of them; per-step figures come from the
median runs, with the best runs beside them. Targets: this runner at most 1.3x
the plain script per step, and at least 3x faster than Tavern.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from benchmarks.common import (
    CACHE,
    PYTHON,
    Timing,
    fresh,
    pytest_command,
    run,
    runner_env,
    standalone_mock,
)
from benchmarks.mock_load import TOKEN
from benchmarks.suites import STEPS, write_plain, write_scenarios, write_tavern
from benchmarks.tavern_env import Tavern

HERE = CACHE / "overhead"
CommandFor = Callable[[int], tuple[list[str], Path, dict[str, str]]]


@dataclass
class ToolResult:
    name: str
    small: list[Timing]
    large: list[Timing]
    extra_calls: int

    def per_step_ms(self, pick: Callable[[list[float]], float]) -> float:
        """The cost of one call: the extra time of the large suite over its extra calls."""
        large = pick([t.seconds for t in self.large])
        small = pick([t.seconds for t in self.small])
        return (large - small) / self.extra_calls * 1000

    @property
    def best_ms(self) -> float:
        return self.per_step_ms(min)

    @property
    def median_ms(self) -> float:
        return self.per_step_ms(statistics.median)

    def large_median(self) -> float:
        return statistics.median(t.seconds for t in self.large)


def _measure(tools: list[tuple[str, CommandFor]], sizes: tuple[int, int], repeat: int
             ) -> list[ToolResult]:
    for _, command_for in tools:  # warm-up: bytecode caches written, files in the page cache
        command, cwd, env = command_for(sizes[0])
        run(command, cwd=cwd, env=env)
    timings: dict[tuple[str, int], list[Timing]] = {}
    for _ in range(repeat):  # tools and sizes interleaved: a slow spell of the machine hits all
        for name, command_for in tools:
            for size in sizes:
                command, cwd, env = command_for(size)
                timings.setdefault((name, size), []).append(run(command, cwd=cwd, env=env))
    extra = (sizes[1] - sizes[0]) * STEPS
    return [ToolResult(name, timings[name, sizes[0]], timings[name, sizes[1]], extra)
            for name, _ in tools]


def run_benchmark(tavern: Tavern | None, *, small: int = 50, large: int = 250,
                  repeat: int = 3) -> list[str]:
    lines = [f"per-step overhead: {small} and {large} conversations x {STEPS} calls against "
             "osvi-mock serve (demo agent) on 127.0.0.1, one at a time; tools interleaved, "
             f"1 warm-up + {repeat} rounds"]
    with standalone_mock(HERE / "server") as url:
        for size in (small, large):
            write_scenarios(fresh(HERE / f"runner-{size}"), size)
            write_plain(fresh(HERE / f"plain-{size}"), size)

        def ours(size: int) -> tuple[list[str], Path, dict[str, str]]:
            return pytest_command(HERE / f"runner-{size}"), HERE, runner_env(url)

        def plain(size: int) -> tuple[list[str], Path, dict[str, str]]:
            folder = HERE / f"plain-{size}"
            return [PYTHON, str(folder / "plain_httpx.py"), url, TOKEN, str(size)], folder, {}

        def plain_async(size: int) -> tuple[list[str], Path, dict[str, str]]:
            folder = HERE / f"plain-{size}"
            return ([PYTHON, str(folder / "plain_httpx_async.py"), url, TOKEN, str(size)],
                    folder, {})

        def tavern_run(size: int) -> tuple[list[str], Path, dict[str, str]]:
            assert tavern is not None
            folder = write_tavern(fresh(HERE / f"tavern-{size}"), size, url, TOKEN)
            return ([str(tavern.python), "-m", "pytest", "-p", "no:cacheprovider", "-q", "."],
                    folder, {})

        tools: list[tuple[str, CommandFor]] = [
            ("plain httpx.Client", plain), ("this runner (live)", ours),
            ("plain httpx.AsyncClient", plain_async)]
        if tavern is not None:
            tools.append((f"Tavern {tavern.version}", tavern_run))
        results = _measure(tools, (small, large), repeat)
    lines.append(f"  {'':24} {'per step':>9} {'(best)':>8} {f'{small} conv.':>10} "
                 f"{f'{large} conv.':>10}   (per step: median runs; conv.: median)")
    for result in results:
        lines.append(f"  {result.name:24} {result.median_ms:7.2f}ms {result.best_ms:6.2f}ms "
                     f"{statistics.median(t.seconds for t in result.small):9.2f}s "
                     f"{result.large_median():9.2f}s")
    plain_r, ours_r, async_r = results[0], results[1], results[2]
    lines.append(f"  this runner / plain script: {ours_r.median_ms / plain_r.median_ms:.2f}x "
                 f"per step ({ours_r.best_ms / plain_r.best_ms:.2f}x from the best runs; target "
                 f"at most 1.3x); whole command at {large}: "
                 f"{ours_r.large_median() / plain_r.large_median():.2f}x")
    lines.append(f"  this runner / plain AsyncClient script (the same HTTP stack): "
                 f"{ours_r.median_ms / async_r.median_ms:.2f}x per step")
    if len(results) > 3:
        tav = results[3]
        lines.append(f"  Tavern / this runner: {tav.median_ms / ours_r.median_ms:.2f}x per step "
                     f"({tav.best_ms / ours_r.best_ms:.2f}x from the best runs; target at least "
                     f"3x); whole command at {large}: "
                     f"{tav.large_median() / ours_r.large_median():.2f}x")
        if tavern is not None and tavern.note:
            lines.append(f"  note: {tavern.note}")
    return lines
