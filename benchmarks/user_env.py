"""The Python the measured commands run with: a virtualenv holding this project as a user has it.

The development virtualenv also holds schemathesis, hypothesis, rich and more:
their pytest plugins and imports cost about half a second at every pytest start
(measured with ``python -X importtime``), which no user of this runner pays.
The benchmarks time the runner, the plain httpx loop and the async script with
``pip install -e .`` alone (the core dependencies, editable: it runs the code of
this checkout) in ``benchmarks/.cache/user-venv``. It is built on first use
(needs PyPI) and rebuilt when ``pyproject.toml`` changes; ``--dev-venv`` on
``run_all.py`` measures with the development virtualenv instead.
"""

from __future__ import annotations

import hashlib
import subprocess
import sys
from pathlib import Path

from benchmarks.common import CACHE, ROOT, fresh

VENV = CACHE / "user-venv"
STAMP = VENV / "osvi-bench-pyproject.sha256"


def _fingerprint() -> str:
    return hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()


def ensure_user_env() -> Path:
    """The user virtualenv's python, built (or rebuilt) if needed."""
    python = VENV / "bin" / "python"
    if python.is_file() and STAMP.is_file() and STAMP.read_text() == _fingerprint():
        return python
    print("installing this project alone (pip install -e .) into "
          "benchmarks/.cache/user-venv ...", flush=True)
    fresh(VENV)
    subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True, timeout=300)
    done = subprocess.run([str(python), "-m", "pip", "install", "--quiet",
                           "--disable-pip-version-check", "-e", str(ROOT)],
                          capture_output=True, text=True, timeout=900)
    if done.returncode != 0:
        raise SystemExit(f"pip install -e . failed:\n{done.stderr[-2000:]}")
    STAMP.write_text(_fingerprint())
    return python
