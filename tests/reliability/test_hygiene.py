"""Session hygiene: live sessions are closed when their scenario ends, however it ends."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import WriteFile
from tests.mock.serverproc import start_mock
from tests.reliability.conftest import (
    AGENTS,
    TOKEN,
    live,
    mock_session,
    stop_quickly,
    unwrapped,
)
from tests.spawned import SPAWNED_PYTEST

TWO_SESSIONS = """
scenario: Two sessions, one closed by the scenario
steps:
  - customer: "first"
    save: {first: session_id}
  - close: null
  - customer: "second"
    expect: {session: new}
    save: {second: session_id}
  - customer: "third"
    expect: {reply: "no such reply"}
"""


def _sessions(output: str, verb: str) -> list[str]:
    return re.findall(rf"{verb} session (\S+)", output)


def test_sessions_are_closed_after_a_failure_except_those_already_closed(
        pytester: pytest.Pytester, write: WriteFile, mock_url: str,
        monkeypatch: pytest.MonkeyPatch) -> None:
    write(TWO_SESSIONS)
    result = live(pytester, monkeypatch, mock_url, "--junitxml=junit.xml")
    result.assert_outcomes(failed=1)
    output = result.stdout.str()
    (cleaned,) = _sessions(output, "closed")
    unwrapped(result).fnmatch_lines([
        "*step 4  customer    third",
        "*        agent       You said: third (state default*",
        f"*        runner      closed session {cleaned} (cleanup)",
    ])
    sessions = re.search(r'name="session_ids" value="([^"]+)"',
                         (pytester.path / "junit.xml").read_text()).group(1).split()
    assert len(sessions) == 2 and sessions[1] == cleaned
    # One close each: by the scenario's own step, then by the cleanup.
    for session in sessions:
        assert mock_session(mock_url, session)["status"] == "closed"
    assert "osvi summary" in output and "could not be closed" not in output


def test_keep_sessions_leaves_them_open(pytester: pytest.Pytester, write: WriteFile,
                                        mock_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    write("scenario: Kept\nsteps:\n  - customer: Hi\n")
    for how in (("--osvi-keep-sessions",), ("-o", "osvi_keep_sessions=true")):
        result = live(pytester, monkeypatch, mock_url, "-rP", *how)
        result.assert_outcomes(passed=1)
        match = re.search(r"runner      left session (\S+) open \(--osvi-keep-sessions\)",
                          result.stdout.str())
        assert match, result.stdout.str()
        assert mock_session(mock_url, match.group(1))["status"] == "active"


def test_a_scenario_time_limit_still_closes_its_sessions(
        pytester: pytest.Pytester, write: WriteFile, mock_url: str,
        monkeypatch: pytest.MonkeyPatch) -> None:
    write("""
        scenario: Out of time
        steps:
          - customer: "hello"
          - customer: "snooze"
        """)
    started = time.monotonic()
    result = live(pytester, monkeypatch, mock_url, "--osvi-scenario-timeout", "1s")
    assert time.monotonic() - started < 20  # the agent would take 30s to answer
    result.assert_outcomes(failed=1)
    unwrapped(result).fnmatch_lines([
        "*runner      closed session * (cleanup)",
        "*",
        'Cause: the scenario time limit of 1.0s ran out during step 2 (customer: "snooze")',
    ])
    (session,) = _sessions(result.stdout.str(), "closed")
    assert mock_session(mock_url, session)["status"] == "closed"


def test_the_summary_lists_sessions_that_could_not_be_closed(
        pytester: pytest.Pytester, write: WriteFile, mock_url: str,
        monkeypatch: pytest.MonkeyPatch) -> None:
    write("scenario: Stuck open\ntags: [cleanup]\nsteps:\n  - customer: Hi\n")
    result = live(pytester, monkeypatch, mock_url, "-rP", agent="agent_CannotClose")
    result.assert_outcomes(passed=1)  # housekeeping never changes the outcome
    (session,) = re.findall(r"could not close session (\S+):", result.stdout.str())
    problem = ("HTTP 502 · error 'Python engine returned 502 for POST "
               f"/v1/chat/session/{session}/support' · upstream state busy, reason "
               "engine_overloaded")
    unwrapped(result).fnmatch_lines([
        f"*runner      could not close session {session}: {problem}",
        "*osvi summary*",
        "*",
        "sessions that could not be closed (1): close them in the OSVI dashboard",
        f"  {session} · Stuck open: {problem}",
    ])
    assert mock_session(mock_url, session)["status"] == "active"


def _wait_for(condition: Callable[[], bool], seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "gave up waiting"
        time.sleep(0.05)


@pytest.mark.spawns
def test_ctrl_c_closes_the_open_sessions(tmp_path: Path) -> None:
    served = start_mock(tmp_path / "mock", "--agents", str(AGENTS),
                        env={"OSVI_MOCK_TOKEN": TOKEN})
    try:
        (tmp_path / "wait.scenario.yaml").write_text(
            "scenario: Interrupted\nsteps:\n  - customer: hello\n  - inject_context: ready\n"
            "  - wait: 60s\n",
            encoding="utf-8")
        env = {**os.environ, "OSVI_API_TOKEN": TOKEN}
        run = subprocess.Popen(
            [*SPAWNED_PYTEST, "--rootdir", str(tmp_path), str(tmp_path / "wait.scenario.yaml"),
             "--osvi-base-url", served.url, "--osvi-agent", "agent_Echo", "--osvi-max-wait", "60s"],
            cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        # Step 2 reaches the server only after the runner has read step 1's answer,
        # so from then on it knows the session and is about to wait.
        _wait_for(lambda: "/inject_context 200" in served.output() or run.poll() is not None)
        run.send_signal(signal.SIGINT)
        output, _ = run.communicate(timeout=30)
        text = output.decode()
        assert run.returncode == pytest.ExitCode.INTERRUPTED, text
        assert "KeyboardInterrupt" in text and "INTERNALERROR" not in text
        closes = r"POST /v1/chat/session/(\S+)/support 200"
        _wait_for(lambda: re.search(closes, served.output()) is not None)  # logged just after
        (session,) = re.findall(closes, served.output())
        assert mock_session(served.url, session)["status"] == "closed"
    finally:
        stop_quickly(served)


def test_a_wrong_keep_sessions_value_is_explained(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest("-o", "osvi_keep_sessions=maybe")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["ERROR: ini osvi_keep_sessions: write true or false"])
