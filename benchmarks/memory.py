"""Memory: peak RSS of a 2,000-scenario run, as a nightly job runs it.

The embedded mock (one engine per scenario), with JUnit XML and Allure results
written, sequential and at --osvi-concurrency 64. Peak RSS is the kernel's
figure for the pytest process. Target: under 300 MB.
"""

from __future__ import annotations

from benchmarks.common import CACHE, fresh, pytest_command, run_phase
from benchmarks.suites import STEPS, write_scenarios

HERE = CACHE / "memory"


def run_benchmark(*, scenarios: int = 2000, levels: tuple[int, ...] = (1, 64)) -> list[str]:
    suite = write_scenarios(fresh(HERE / "suite"), scenarios)
    lines = [f"memory: {scenarios} scenarios x {STEPS} calls on the embedded mock, with "
             "--junitxml and --alluredir"]
    for level in levels:
        reports = fresh(HERE / f"reports-{level}")
        timing, seconds = run_phase(
            pytest_command(suite, "--osvi-concurrency", str(level),
                           f"--junitxml={reports / 'junit.xml'}",
                           f"--alluredir={reports / 'allure'}"), cwd=HERE)
        if f"{scenarios} passed" not in timing.output:
            raise SystemExit("the memory run did not pass:\n" + timing.output[-800:])
        lines.append(f"  concurrency {level:>3}: peak RSS {timing.peak_rss_mb:6.0f} MB "
                     f"(target under 300 MB); run loop {seconds:.1f}s, "
                     f"{seconds / scenarios * 1000:.1f} ms per scenario")
    return lines
