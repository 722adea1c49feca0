from __future__ import annotations

import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest

WriteScenario = Callable[..., Path]


@pytest.fixture
def write(pytester: pytest.Pytester) -> WriteScenario:
    """Write a scenario (or any) file into the pytester folder, dedented."""

    def _write(text: str, name: str = "chat.scenario.yaml") -> Path:
        path = pytester.path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
        return path

    return _write


@pytest.fixture(autouse=True)
def _no_live_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """The developer's shell must not turn these tests into live runs."""
    for name in ("OSVI_BASE_URL", "OSVI_API_TOKEN", "OSVI_AGENT_UUID"):
        monkeypatch.delenv(name, raising=False)
