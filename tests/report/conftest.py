from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

RunPytest = Callable[..., pytest.RunResult]


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
