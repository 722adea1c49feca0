"""Shared test set-up.

pytester's in-process runs restore ``sys.modules`` after each run, so anything
first imported inside a run is imported again by the next. The hypothesis
plugin imports hypothesis lazily at the end of every run; importing it here,
once, keeps each in-process run fast.
"""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from pathlib import Path

import hypothesis  # noqa: F401
import pytest

WriteFile = Callable[..., Path]


@pytest.fixture(autouse=True)
def _no_live_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """The developer's shell (or CI) must not turn test runs live or add an executor."""
    for name in ("OSVI_BASE_URL", "OSVI_API_TOKEN", "OSVI_AGENT_UUID", "GITHUB_ACTIONS",
                 "GITLAB_CI"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def write(pytester: pytest.Pytester) -> WriteFile:
    """Write a file (by default a scenario) into the pytester folder, dedented."""

    def _write(text: str, name: str = "chat.scenario.yaml") -> Path:
        path = pytester.path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
        return path

    return _write
