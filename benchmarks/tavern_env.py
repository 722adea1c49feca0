"""Tavern, the latest release from PyPI, in a virtualenv of its own under benchmarks/.cache.

Installed once and reused; ``--refresh-tavern`` reinstalls. If the newest
pytest breaks the newest Tavern, the newest pytest that runs it is installed
beside it, and the benchmark says so.
"""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from benchmarks.common import CACHE, fresh

VENV = CACHE / "tavern-venv"
STAMP = VENV / "osvi-bench.json"
SMOKE = """\
test_name: smoke
stages:
  - name: nothing is sent
    skip: true
    request: {url: "http://127.0.0.1:9/", method: GET}
    response: {status_code: 200}
"""


@dataclass
class Tavern:
    python: Path
    version: str
    pytest_version: str
    note: str = ""


def _pip(*args: str) -> None:
    done = subprocess.run([str(VENV / "bin" / "python"), "-m", "pip", "install", "--quiet",
                           "--disable-pip-version-check", *args],
                          capture_output=True, text=True, timeout=600)
    if done.returncode != 0:
        raise SystemExit(f"pip install {' '.join(args)} failed:\n{done.stderr[-2000:]}")


def _version(package: str) -> str:
    found = subprocess.run([str(VENV / "bin" / "python"), "-c",
                            f"from importlib.metadata import version; print(version({package!r}))"],
                           capture_output=True, text=True, timeout=60)
    return found.stdout.strip() or "?"


def _collects() -> tuple[bool, str]:
    folder = fresh(CACHE / "tavern-smoke")
    (folder / "test_smoke.tavern.yaml").write_text(SMOKE, "utf-8")
    done = subprocess.run([str(VENV / "bin" / "python"), "-m", "pytest", "-p", "no:cacheprovider",
                           "--collect-only", "-q", str(folder)],
                          capture_output=True, text=True, timeout=120, cwd=folder)
    return done.returncode == 0, done.stdout + done.stderr


def ensure_tavern(refresh: bool = False) -> Tavern:
    if STAMP.is_file() and not refresh:
        known = json.loads(STAMP.read_text("utf-8"))
        return Tavern(VENV / "bin" / "python", known["tavern"], known["pytest"], known["note"])
    print("installing the latest Tavern from PyPI into benchmarks/.cache/tavern-venv ...",
          flush=True)
    fresh(VENV)
    subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True, timeout=300)
    _pip("tavern")
    note = ""
    works, output = _collects()
    if not works and "_pytest" in output:
        newest = _version("pytest")
        # Tavern 3.7 imports pytest internals that pytest 9.1 removed.
        _pip("pytest<9.1")
        works, output = _collects()
        note = (f"the newest pytest ({newest}) cannot load Tavern; it runs on pytest "
                f"{_version('pytest')}")
    if not works:
        raise SystemExit("Tavern does not run:\n" + "\n".join(output.splitlines()[-15:]))
    found = Tavern(VENV / "bin" / "python", _version("tavern"), _version("pytest"), note)
    STAMP.write_text(json.dumps({"tavern": found.version, "pytest": found.pytest_version,
                                 "note": note}), "utf-8")
    return found
