"""Item 8: each Allure result attaches its own scenario's YAML, not the whole file.

A 130 KB file with 3,000 scenarios used to write 3,000 copies of itself
(447 MB). The attachment is now the scenario's document: the results folder
grows with one document per scenario.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.secrets.conftest import WriteFile

COUNT = 60


def _document(number: int) -> str:
    return (f"# scenario number {number}\n"
            f"scenario: Greeting {number}\n"
            "steps:\n"
            f"  - customer: \"hello {number}\"\n"
            "    expect: {reply: {matches: \".+\"}}\n")


def _yaml_attachments(folder: Path) -> dict[str, str]:
    """Each result's name and the text of its YAML attachment."""
    found = {}
    for path in folder.glob("*-result.json"):
        result = json.loads(path.read_text())
        sources = [a["source"] for a in result["attachments"]
                   if a["type"] == "application/yaml"]
        assert len(sources) == 1, result["name"]
        found[result["name"]] = (folder / sources[0]).read_text()
    return found


def test_each_result_attaches_only_its_own_document(
        pytester: pytest.Pytester, write: WriteFile) -> None:
    text = "# yaml-language-server: $schema=x.json\n" + "---\n".join(
        _document(n) for n in range(1, COUNT + 1)) + "...\n"
    write(text, name="many.scenario.yaml")
    results = pytester.path / "allure"
    outcome = pytester.runpytest("-p", "no:cacheprovider", "--alluredir", str(results))
    outcome.assert_outcomes(passed=COUNT)
    attached = _yaml_attachments(results)
    assert len(attached) == COUNT
    assert attached["Greeting 1"] == ("# yaml-language-server: $schema=x.json\n"
                                      + _document(1))
    for number in range(2, COUNT + 1):
        assert attached[f"Greeting {number}"] == _document(number)
    # The folder holds about one copy of the file in YAML, not one per scenario.
    assert sum(len(t) for t in attached.values()) < 1.1 * len(text)
