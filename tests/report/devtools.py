"""Headless Chromium driven over its DevTools pipe, with no extra package.

For checks that must wait, in real time, until a page has rendered: a page
dumped after a fixed (virtual) time budget may still be half drawn on a busy
machine.
"""

from __future__ import annotations

import json
import os
import select
import shutil
import subprocess
import time
from pathlib import Path
from typing import Any

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


class DevTools:
    """Headless Chromium driven over ``--remote-debugging-pipe`` (fd 3 in, fd 4 out)."""

    def __init__(self, profile: Path) -> None:
        assert CHROMIUM is not None
        to_browser, self._write = os.pipe()
        self._read, from_browser = os.pipe()

        def wire() -> None:  # in the child: the pipe ends on the descriptors Chromium expects
            inbound, outbound = os.dup(to_browser), os.dup(from_browser)
            os.dup2(inbound, 3)
            os.dup2(outbound, 4)

        self.process = subprocess.Popen(
            [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
             "--disable-background-networking", "--disable-component-update", "--disable-sync",
             "--remote-debugging-pipe", f"--user-data-dir={profile}", "about:blank"],
            preexec_fn=wire, close_fds=False, stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL)
        os.close(to_browser)
        os.close(from_browser)
        self._buffer = b""
        self._last = 0
        self.session = ""

    def call(self, method: str, params: dict[str, Any] | None = None,
             timeout: float = 60) -> dict[str, Any]:
        self._last += 1
        message: dict[str, Any] = {"id": self._last, "method": method, "params": params or {}}
        if self.session:
            message["sessionId"] = self.session
        os.write(self._write, json.dumps(message).encode() + b"\0")
        deadline = time.monotonic() + timeout
        while True:
            while b"\0" in self._buffer:
                raw, self._buffer = self._buffer.split(b"\0", 1)
                answer = json.loads(raw)
                if answer.get("id") == self._last:
                    assert "error" not in answer, answer["error"]
                    result: dict[str, Any] = answer["result"]
                    return result
            assert time.monotonic() < deadline, f"no answer to {method}"
            select.select([self._read], [], [], 1)
            self._buffer += os.read(self._read, 1 << 20)

    def open(self, url: str, width: int, height: int) -> None:
        target = self.call("Target.createTarget", {"url": "about:blank"})["targetId"]
        self.session = self.call("Target.attachToTarget",
                                 {"targetId": target, "flatten": True})["sessionId"]
        self.call("Emulation.setDeviceMetricsOverride", {
            "width": width, "height": height, "deviceScaleFactor": 1, "mobile": False})
        self.call("Page.navigate", {"url": url})

    def evaluate(self, expression: str) -> Any:
        answer = self.call("Runtime.evaluate", {"expression": expression,
                                                "returnByValue": True, "awaitPromise": True})
        return answer["result"].get("value")

    def wait_for(self, expression: str, timeout: float = 30) -> Any:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            value = self.evaluate(expression)
            if value:
                return value
            time.sleep(0.2)
        raise AssertionError(f"never true in the browser: {expression}")

    def wait_for_report(self, expression: str, timeout: float = 60, reloads: int = 2) -> Any:
        """``wait_for`` on an Allure report, reloading it when the app says "Failed to fetch".

        On a busy machine the single-file app sometimes fails to read its own inlined
        data (Allure 3.18); a reader would reload, and so does this.
        """
        failed = "document.body.innerText.includes('Failed to fetch') && 'Failed to fetch'"
        for _ in range(reloads):
            if self.wait_for(f"({expression}) || ({failed})", timeout) != "Failed to fetch":
                break
            self.call("Page.reload")
        return self.wait_for(expression, timeout)

    def close(self) -> None:
        self.session = ""
        try:
            self.call("Browser.close", timeout=10)
        finally:
            self.process.wait(15)
            os.close(self._write)
            os.close(self._read)
