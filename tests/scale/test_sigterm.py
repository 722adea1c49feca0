"""SIGTERM, what CI sends when a job is cancelled, ends a run the way Ctrl-C does.

The run against a slow live server (real HTTP on 127.0.0.1) is stopped while
its scenarios wait for answers: pytest still writes JUnit and its summary,
closes the sessions the scenarios opened, lists the one it could not close,
and exits with 2 (interrupted) instead of dying with 143.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import traceback
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from runner.plugin.signals import interrupt_on_sigterm
from tests.reliability.hostileserver import HostileServer, hostile_server
from tests.spawned import SPAWNED_PYTEST

TOKEN = "scale-token-0123456789"
SLOW_SCENARIOS = 3

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")


@pytest.fixture
def server() -> Iterator[HostileServer]:
    with hostile_server() as served:
        yield served


def _wait_for(condition: Callable[[], bool], seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "gave up waiting"
        time.sleep(0.05)


def _start(folder: Path, url: str, *args: str) -> subprocess.Popen[bytes]:
    """A live run of: one quick scenario, three that wait for a slow answer, and one
    whose session cannot be closed (the server never answers its `close`)."""
    (folder / "a_quick.scenario.yaml").write_text(
        "scenario: Quick\ntags: [quick]\nsteps:\n  - customer: hello\n", encoding="utf-8")
    for n in range(SLOW_SCENARIOS):
        (folder / f"b_slow{n}.scenario.yaml").write_text(
            f"scenario: Slow {n}\nsteps:\n  - customer: hello\n  - customer: slow\n",
            encoding="utf-8")
    (folder / "c_stuck.scenario.yaml").write_text(
        "scenario: Stuck\ncustomer: qa-stuck\nsteps:\n  - customer: hello\n"
        "  - customer: slow\n", encoding="utf-8")
    # Says when pytest has reported Quick in full. A signal that lands in the middle of
    # pytest's reporting hooks can reach the terminal's and not JUnit's (as Ctrl-C can).
    (folder / "conftest.py").write_text(
        "def pytest_runtest_logfinish(nodeid, location):\n"
        "    if nodeid.endswith('::Quick'):\n"
        "        open('quick-reported', 'w').close()\n", encoding="utf-8")
    return subprocess.Popen(
        [*SPAWNED_PYTEST, "--rootdir", str(folder), str(folder), "--osvi-base-url", url,
         "--osvi-agent", "agent_x", "--junitxml", str(folder / "junit.xml"), *args],
        cwd=folder, env={**os.environ, "OSVI_API_TOKEN": TOKEN},
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT)


def _all_waiting(server: HostileServer, run: subprocess.Popen[bytes]) -> Callable[[], bool]:
    return lambda: server.seen["slow"] == SLOW_SCENARIOS + 1 or run.poll() is not None


def _quick_reported(folder: Path, run: subprocess.Popen[bytes]) -> Callable[[], bool]:
    return lambda: (folder / "quick-reported").exists() or run.poll() is not None


@pytest.mark.spawns
@pytest.mark.parametrize("concurrency", ["8", "1"])
def test_sigterm_closes_sessions_writes_junit_and_the_summary(
        tmp_path: Path, server: HostileServer, concurrency: str) -> None:
    run = _start(tmp_path, server.url, "--osvi-concurrency", concurrency)
    if concurrency == "1":  # one at a time: the quick one has passed, the first slow one waits
        _wait_for(lambda: server.seen["slow"] == 1 or run.poll() is not None)
    else:  # all at once: every slow one waits, and pytest has reported the quick one
        _wait_for(_all_waiting(server, run))
        _wait_for(_quick_reported(tmp_path, run))
    run.send_signal(signal.SIGTERM)
    output, _ = run.communicate(timeout=60)
    text = output.decode()
    assert run.returncode == pytest.ExitCode.INTERRUPTED, text
    assert "KeyboardInterrupt" in text and "INTERNALERROR" not in text
    assert "Traceback" not in text.split("KeyboardInterrupt")[0]
    # Every session a scenario opened was closed: the quick one by its own cleanup, the
    # waiting ones when the run stopped.
    waiting = SLOW_SCENARIOS if concurrency == "8" else 1
    closed = [s for s in server.closed if not s.endswith("-stuck")]
    assert len(closed) == 1 + waiting, server.closed
    # JUnit was written, with the scenario that finished and nothing else.
    cases = ET.parse(tmp_path / "junit.xml").getroot().iter("testcase")
    names = [case.get("name") for case in cases if case.get("name")]
    assert names == ["Quick"], names
    # The summary has the reported scenario, and the session still open when the run stopped.
    assert "osvi summary" in text
    assert "quick" in text.split("osvi summary")[1]
    if concurrency == "8":
        assert "sessions that could not be closed (1): close them in the OSVI dashboard" in text
        assert "  sess-qa-stuck · customer qa-stuck: still open when the run ended" in text


@pytest.mark.spawns
def test_a_second_sigterm_ends_the_run_at_once(tmp_path: Path, server: HostileServer) -> None:
    run = _start(tmp_path, server.url, "--osvi-concurrency", "8")
    _wait_for(_all_waiting(server, run))
    run.send_signal(signal.SIGTERM)
    # The run is now closing sessions; the stuck one holds it for its grace period.
    _wait_for(lambda: len(server.closed) == 1 + SLOW_SCENARIOS or run.poll() is not None)
    run.send_signal(signal.SIGTERM)
    output, _ = run.communicate(timeout=30)
    assert run.returncode == -signal.SIGTERM, output.decode()


class _BetweenLines:
    """A frame stopped at an instruction that belongs to no line (Python 3.11 has them)."""

    f_lineno = None


def test_a_sigterm_between_lines_interrupts_a_moment_later_at_a_line() -> None:
    # Raised there, the interrupt would have no line number, and pytest's own report of
    # it would fail with a TypeError (exit 1 and a traceback instead of 2).
    undo = interrupt_on_sigterm()
    try:
        handler = signal.getsignal(signal.SIGTERM)
        assert callable(handler)
        try:
            handler(signal.SIGTERM, _BetweenLines())
        except KeyboardInterrupt as interrupt:
            # On a busy machine the signal may come again while the handler still starts
            # its timer: that is a moment later, at a line of threading.py, as it should be.
            *_, (raised_in, _) = traceback.walk_tb(interrupt.__traceback__)
            if isinstance(raised_in.f_locals.get("frame"), _BetweenLines):
                pytest.fail("interrupted at an instruction without a line")
            return
        with pytest.raises(KeyboardInterrupt, match="SIGTERM"):
            time.sleep(10)  # the signal comes again, and interrupts here
    finally:
        undo()
