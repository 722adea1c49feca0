"""Ctrl-C during a concurrent live run: every running scenario is cancelled and cleans up."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from tests.mock.serverproc import start_mock
from tests.spawned import SPAWNED_PYTEST

TOKEN = "scale-token-0123456789"


def _wait_for(condition: Callable[[], bool], seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "gave up waiting"
        time.sleep(0.05)


@pytest.mark.spawns
def test_ctrl_c_cancels_every_running_scenario_and_their_sessions_are_closed(
        tmp_path: Path) -> None:
    served = start_mock(tmp_path / "mock", env={"OSVI_MOCK_TOKEN": TOKEN})
    try:
        for n in range(3):
            (tmp_path / f"wait{n}.scenario.yaml").write_text(
                f"scenario: Waits {n}\nsteps:\n  - customer: hello\n"
                "  - inject_context: ready\n  - wait: 60s\n", encoding="utf-8")
        run = subprocess.Popen(
            [*SPAWNED_PYTEST, "--rootdir", str(tmp_path), str(tmp_path),
             "--osvi-base-url", served.url, "--osvi-agent", "agent_demo", "--osvi-max-wait", "60s",
             "--osvi-concurrency", "3"],
            cwd=tmp_path, env={**os.environ, "OSVI_API_TOKEN": TOKEN},
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        # All three reach their wait together: the mock has logged three contexts.
        _wait_for(lambda: served.output().count("/inject_context 200") == 3
                  or run.poll() is not None)
        run.send_signal(signal.SIGINT)
        output, _ = run.communicate(timeout=30)
        text = output.decode()
        assert run.returncode == pytest.ExitCode.INTERRUPTED, text
        assert "KeyboardInterrupt" in text and "INTERNALERROR" not in text
        assert "Traceback" not in text.split("KeyboardInterrupt")[0]
        closes = r"POST /v1/chat/session/(\S+)/support 200"
        _wait_for(lambda: len(re.findall(closes, served.output())) == 3)
        for session in re.findall(closes, served.output()):
            answer = httpx.get(f"{served.url}/_mock/sessions/{session}",
                               headers={"API-Token": TOKEN}, timeout=10)
            assert answer.json()["data"]["status"] == "closed"
    finally:
        served.process.send_signal(signal.SIGINT)
        try:
            served.process.wait(5)
        except subprocess.TimeoutExpired:
            served.process.kill()
            served.process.wait(5)
