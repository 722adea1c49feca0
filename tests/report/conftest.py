from __future__ import annotations

import json
import textwrap
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

WriteFile = Callable[..., Path]
RunPytest = Callable[..., pytest.RunResult]


@pytest.fixture(autouse=True)
def _no_live_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """The developer's shell (or CI) must not turn these runs live or add an executor."""
    for name in ("OSVI_BASE_URL", "OSVI_API_TOKEN", "OSVI_AGENT_UUID", "GITHUB_ACTIONS",
                 "GITLAB_CI"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def write(pytester: pytest.Pytester) -> WriteFile:
    """Write a file into the pytester folder, dedented."""

    def _write(text: str, name: str = "chat.scenario.yaml") -> Path:
        path = pytester.path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
        return path

    return _write


@pytest.fixture
def run(pytester: pytest.Pytester) -> RunPytest:
    """``pytester.runpytest`` (in process) with the scenario plugin, in the pytester folder."""

    def _run(*args: str) -> pytest.RunResult:
        return pytester.runpytest("-p", "no:cacheprovider", *args)

    return _run


def allure_results(folder: Path) -> list[dict[str, Any]]:
    """The test results allure-pytest wrote, sorted by name."""
    found = [json.loads(p.read_text("utf-8")) for p in folder.glob("*-result.json")]
    return sorted(found, key=lambda r: str(r.get("name")))


def labels(result: dict[str, Any], name: str) -> list[str]:
    return [label["value"] for label in result["labels"] if label["name"] == name]
