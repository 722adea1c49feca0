from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.conftest import RunPytest as RunPytest
from tests.conftest import WriteFile as WriteFile


def allure_results(folder: Path) -> list[dict[str, Any]]:
    """The test results allure-pytest wrote, sorted by name."""
    found = [json.loads(p.read_text("utf-8")) for p in folder.glob("*-result.json")]
    return sorted(found, key=lambda r: str(r.get("name")))


def labels(result: dict[str, Any], name: str) -> list[str]:
    return [label["value"] for label in result["labels"] if label["name"] == name]
