"""Starting ``osvi-mock serve`` as a real process for the tests that need one."""

from __future__ import annotations

import os
import re
import resource
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

_URL = re.compile(r"at (http://\S+) ")


@dataclass
class ServedMock:
    process: subprocess.Popen[bytes]
    url: str
    stdout: Path
    stderr: Path

    def output(self) -> str:
        return self.stdout.read_text("utf-8", "replace") + self.stderr.read_text("utf-8", "replace")

    def stop(self, sig: int = signal.SIGINT, timeout: float = 15) -> int:
        if self.process.poll() is None:
            self.process.send_signal(sig)
        try:
            return self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(5)
            raise


def run_cli(*args: str, env: dict[str, str] | None = None,
            timeout: float = 30) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "runner.mock.server", *args],
                          capture_output=True, text=True, timeout=timeout,
                          env={**os.environ, **(env or {})})


def start_mock(directory: Path, *args: str, env: dict[str, str] | None = None,
               timeout: float = 20, max_open_files: int | None = None) -> ServedMock:
    """Start the server on a free port and wait until it answers.

    ``max_open_files`` lowers the server's file descriptor limit, to run it out of
    descriptors with a few hundred connections instead of tens of thousands.
    """

    def limit_files() -> None:
        if max_open_files is not None:
            resource.setrlimit(resource.RLIMIT_NOFILE, (max_open_files, max_open_files))

    directory.mkdir(parents=True, exist_ok=True)
    stdout, stderr = directory / "stdout.txt", directory / "stderr.txt"
    full_env = {key: value for key, value in os.environ.items() if key != "OSVI_MOCK_TOKEN"}
    full_env.update(env or {})
    with stdout.open("wb") as out, stderr.open("wb") as err:
        process = subprocess.Popen(
            [sys.executable, "-m", "runner.mock.server", "serve", "--host", "127.0.0.1",
             "--port", "0", *args], stdout=out, stderr=err, env=full_env,
            preexec_fn=limit_files if max_open_files is not None else None)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        match = _URL.search(stdout.read_text("utf-8", "replace"))
        if match:
            served = ServedMock(process, match.group(1), stdout, stderr)
            if httpx.get(served.url + "/_mock/health", timeout=5).status_code == 200:
                return served
        if process.poll() is not None:
            break
        time.sleep(0.05)
    process.kill()
    process.wait(5)
    raise RuntimeError("osvi-mock did not start:\n" + stdout.read_text() + stderr.read_text())
