"""Per-step overhead: this runner, a plain httpx script and Tavern, on the same conversations.

All three talk to one ``osvi-mock serve`` on 127.0.0.1, one conversation after
another (six calls each). Each tool runs a small and a large suite; the
difference between the two, divided by the extra calls, is the cost of one
step with start-up and fixed costs taken out. Whole-command times are shown
too. Targets: this runner at most 1.3x the plain script per step, and at
least 3x faster than Tavern.
"""

from __future__ import annotations

from dataclasses import dataclass

from benchmarks.common import (
    CACHE,
    PYTHON,
    Timing,
    best,
    fresh,
    pytest_command,
    run,
    runner_env,
    spread,
    standalone_mock,
)
from benchmarks.mock_load import TOKEN
from benchmarks.suites import STEPS, write_plain, write_scenarios, write_tavern
from benchmarks.tavern_env import Tavern

HERE = CACHE / "overhead"


@dataclass
class ToolResult:
    name: str
    small: Timing
    large: Timing
    per_step_ms: float
    detail: str


def _measure(name: str, sizes: tuple[int, int], repeat: int, command_for: object) -> ToolResult:
    timings: dict[int, list[Timing]] = {size: [] for size in sizes}
    for _ in range(repeat):  # interleaved, so a slow spell of the machine hits both sizes
        for size in sizes:
            command, cwd, env = command_for(size)  # type: ignore[operator]
            timings[size].append(run(command, cwd=cwd, env=env))
    small, large = best(timings[sizes[0]]), best(timings[sizes[1]])
    per_step = (large.seconds - small.seconds) / ((sizes[1] - sizes[0]) * STEPS) * 1000
    return ToolResult(name, small, large, per_step, spread(timings[sizes[1]]))


def run_benchmark(tavern: Tavern | None, *, small: int = 50, large: int = 250,
                  repeat: int = 3) -> list[str]:
    lines = [f"per-step overhead: {small} and {large} conversations x {STEPS} calls against "
             "osvi-mock serve (demo agent) on 127.0.0.1, one at a time"]
    with standalone_mock(HERE / "server") as url:
        for size in (small, large):
            write_scenarios(fresh(HERE / f"runner-{size}"), size)
            write_plain(fresh(HERE / f"plain-{size}"), size)

        def ours(size: int) -> tuple[list[str], object, dict[str, str]]:
            return pytest_command(HERE / f"runner-{size}"), HERE, runner_env(url)

        def plain(size: int) -> tuple[list[str], object, dict[str, str]]:
            folder = HERE / f"plain-{size}"
            return [PYTHON, str(folder / "plain_httpx.py"), url, TOKEN, str(size)], folder, {}

        def plain_async(size: int) -> tuple[list[str], object, dict[str, str]]:
            folder = HERE / f"plain-{size}"
            return ([PYTHON, str(folder / "plain_httpx_async.py"), url, TOKEN, str(size)],
                    folder, {})

        def tavern_run(size: int) -> tuple[list[str], object, dict[str, str]]:
            assert tavern is not None
            folder = write_tavern(fresh(HERE / f"tavern-{size}"), size, url, TOKEN)
            return ([str(tavern.python), "-m", "pytest", "-p", "no:cacheprovider", "-q", "."],
                    folder, {})

        results = [_measure("plain httpx.Client", (small, large), repeat, plain),
                   _measure("this runner (live)", (small, large), repeat, ours),
                   _measure("plain httpx.AsyncClient", (small, large), repeat, plain_async)]
        if tavern is not None:
            results.append(_measure(f"Tavern {tavern.version}", (small, large), repeat,
                                    tavern_run))
    lines.append(f"  {'':24} {'per step':>10} {f'{small} conv.':>11} {f'{large} conv.':>11}")
    for result in results:
        lines.append(f"  {result.name:26} {result.per_step_ms:8.2f}ms "
                     f"{result.small.seconds:10.2f}s {result.large.seconds:10.2f}s  "
                     f"{result.detail}")
    plain_r, ours_r, async_r = results[0], results[1], results[2]
    lines.append(f"  this runner / plain script: {ours_r.per_step_ms / plain_r.per_step_ms:.2f}x "
                 f"per step (target at most 1.3x); whole command at {large}: "
                 f"{ours_r.large.seconds / plain_r.large.seconds:.2f}x")
    lines.append(f"  this runner / plain AsyncClient script (the same HTTP stack): "
                 f"{ours_r.per_step_ms / async_r.per_step_ms:.2f}x per step")
    if len(results) > 3:
        tav = results[3]
        lines.append(f"  Tavern / this runner: {tav.per_step_ms / ours_r.per_step_ms:.1f}x per "
                     f"step (target at least 3x); whole command at {large}: "
                     f"{tav.large.seconds / ours_r.large.seconds:.1f}x")
        if tavern is not None and tavern.note:
            lines.append(f"  note: {tavern.note}")
    return lines
