"""The scenario JSON Schema itself: well-formed, self-describing, strict."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from runner.core.errors import ScenarioFileError
from runner.core.schemas import schema_path
from runner.language.checks import check_document
from runner.language.validation import validate_document
from runner.language.yamlsrc import load_file

ROOT = Path(__file__).resolve().parents[2]
DATA = Path(__file__).resolve().parent / "data"


def _schema() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(schema_path("scenario.schema.json").read_text("utf-8"))
    return data


def _subschemas(node: Any, where: str = "#") -> Iterator[tuple[str, dict[str, Any]]]:
    if isinstance(node, dict):
        yield where, node
        for key, value in node.items():
            if key in ("examples", "default", "enum", "const"):
                continue  # instance data, not schemas
            yield from _subschemas(value, f"{where}/{key}")
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _subschemas(value, f"{where}/{index}")


def test_is_a_valid_2020_12_schema_without_id() -> None:
    schema = _schema()
    Draft202012Validator.check_schema(schema)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert "$id" not in schema  # editors resolve the relative mock-agent ref by file location


def test_every_property_has_a_description() -> None:
    missing = [
        f"{where}/properties/{name}"
        for where, node in _subschemas(_schema())
        for name, prop in (node.get("properties") or {}).items()
        if not isinstance(prop, dict) or not prop.get("description")
    ]
    assert missing == []


def test_every_definition_and_free_form_value_has_a_description() -> None:
    schema = _schema()
    assert [n for n, d in schema["$defs"].items() if not d.get("description")] == []
    loose = [where for where, node in _subschemas(schema)
             if isinstance(node.get("additionalProperties"), dict)
             and not node["additionalProperties"].get("description")]
    assert loose == []


def test_every_object_closes_its_keys() -> None:
    """An object schema either lists its keys (additionalProperties: false) or,
    for free-form mappings such as `vars`, constrains names and values."""
    open_objects = [
        where for where, node in _subschemas(_schema())
        if "object" in ([node["type"]] if isinstance(node.get("type"), str)
                        else node.get("type", []))
        and node.get("additionalProperties") is not False
        and not ("propertyNames" in node and isinstance(node.get("additionalProperties"), dict))
    ]
    assert open_objects == []


def test_mock_refers_to_the_mock_agent_schema() -> None:
    mock = _schema()["properties"]["mock"]
    refs = [branch.get("$ref") for branch in mock["anyOf"]]
    assert "mock-agent.schema.json" in refs


def test_the_language_example_validates() -> None:
    documents = load_file(DATA / "language-example.yaml")
    assert len(documents) == 1
    data = documents[0].data
    assert validate_document(data, "example.yaml") == []
    assert check_document(data, "example.yaml", {}) == []


def _shipped_scenarios() -> list[Path]:
    return sorted((ROOT / "scenarios").rglob("*.scenario.yaml"))


@pytest.mark.parametrize("path", _shipped_scenarios(), ids=lambda p: p.name)
def test_shipped_scenarios_pass_the_schema(path: Path) -> None:
    try:
        documents = load_file(path)
    except ScenarioFileError as error:  # pragma: no cover - shows the problems on failure
        pytest.fail(str(error))
    for document in documents:
        assert [p.format() for p in validate_document(document.data, str(path))] == []


def test_validates_without_the_mock_agent_schema(tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """Until (or unless) mock-agent.schema.json exists, any mapping is accepted as `mock`."""
    import runner.language.validation as validation

    def missing_mock(name: str) -> Path:
        return tmp_path / name if name == validation.MOCK_SCHEMA else schema_path(name)

    data = {"scenario": "s", "mock": {"anything": 1}, "steps": [{"customer": "Hi"}]}
    monkeypatch.setattr(validation, "schema_path", missing_mock)
    validation._validator.cache_clear()
    validation._mock_schema.cache_clear()
    try:
        assert validate_document(data, "f") == []
    finally:
        monkeypatch.undo()
        validation._validator.cache_clear()
        validation._mock_schema.cache_clear()
    assert [p.message for p in validate_document(data, "f")] == [
        "mock: unknown key 'anything'"]
