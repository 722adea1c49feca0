"""The example suite says which of its scenarios need the embedded mock.

The README's live recipe runs every example against `osvi-mock serve`; a
scenario whose behaviour comes from its `mock:` block must be scoped to the
mock, or that recipe ends in failures nobody can explain.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

SCENARIOS = Path(__file__).resolve().parents[2] / "scenarios"
DOCUMENTS = [(path, number, document)
             for path in sorted(SCENARIOS.rglob("*.scenario.yaml"))
             for number, document in enumerate(yaml.safe_load_all(path.read_text("utf-8")), 1)
             if isinstance(document, dict)]


@pytest.mark.parametrize(("path", "number", "document"), DOCUMENTS,
                         ids=[f"{p.relative_to(SCENARIOS)}#{n}" for p, n, _ in DOCUMENTS])
def test_a_scenario_with_a_mock_block_runs_on_the_mock_only(
        path: Path, number: int, document: dict[str, object]) -> None:
    if "mock" in document:
        assert document.get("targets") == ["mock"], (
            f"{path.name} document {number} has a mock: block; add `targets: [mock]`")
