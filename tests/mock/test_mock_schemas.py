"""The schema files themselves: well-formed, documented, and usable by reference."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import jsonschema
import pytest
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from runner.core.schemas import load_schema, schema_path
from runner.language.yamlsrc import load_file
from runner.mock.demo import DEMO_FILE
from tests.mock.contract import openapi

AGENT_SCHEMA = "mock-agent.schema.json"


def agent_schema() -> dict[str, Any]:
    return load_schema(AGENT_SCHEMA)


def test_agent_schema_is_valid_2020_12_without_an_id() -> None:
    schema = agent_schema()
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert "$id" not in schema
    jsonschema.Draft202012Validator.check_schema(schema)


def _properties(node: Any, where: str = "") -> Iterator[tuple[str, dict[str, Any]]]:
    if isinstance(node, dict):
        for name, prop in node.get("properties", {}).items():
            yield f"{where}.{name}", prop
        for pattern, prop in node.get("patternProperties", {}).items():
            yield f"{where}.{pattern}", prop
        for key, value in node.items():
            yield from _properties(value, f"{where}/{key}")
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _properties(value, f"{where}[{index}]")


def test_every_property_has_a_description() -> None:
    missing = [where for where, prop in _properties(agent_schema())
               if "description" not in prop]
    assert missing == []


def test_objects_are_closed() -> None:
    def walk(node: Any) -> Iterator[dict[str, Any]]:
        if isinstance(node, dict):
            if node.get("type") == "object" and "properties" in node:
                yield node
            for value in node.values():
                yield from walk(value)
        elif isinstance(node, list):
            for value in node:
                yield from walk(value)

    assert all(node.get("additionalProperties") is False for node in walk(agent_schema()))


def _referring_validator(ref: str) -> jsonschema.Draft202012Validator:
    """A schema elsewhere that refers to ours by relative file name, as the scenario schema does."""
    base = "https://example.test/schemas/"
    registry: Registry[Any] = Registry().with_resource(
        base + AGENT_SCHEMA, Resource.from_contents(agent_schema(),
                                                    default_specification=DRAFT202012))
    schema = {"$schema": "https://json-schema.org/draft/2020-12/schema",
              "$id": base + "scenario.schema.json", "$ref": ref}
    return jsonschema.Draft202012Validator(schema, registry=registry)


@pytest.mark.parametrize("matcher", [
    "exact", None, {"contains": "a"}, {"contains": ["a", "b"]},
    {"matches": "^x", "ignore_case": True},
    {"length": {"min": 1}}, {"length": 3}, {"any_of": ["a", {"contains": "b"}]},
    {"not": {"all_of": [{"starts_with": "a"}, {"ends_with": "z"}]}}, {"equals": None},
    {"contains_any": ["a"], "not_contains": "b", "not_matches": "c"},
])
def test_text_matcher_def_accepts_matchers(matcher: Any) -> None:
    validator = _referring_validator(f"{AGENT_SCHEMA}#/$defs/textMatcher")
    assert list(validator.iter_errors(matcher)) == []


@pytest.mark.parametrize("matcher", [
    42, [], {}, {"containz": "a"}, {"contains": []}, {"ignore_case": "yes"},
    {"length": {"min": -1}}, {"any_of": []}, {"not": 5},
])
def test_text_matcher_def_rejects_non_matchers(matcher: Any) -> None:
    validator = _referring_validator(f"{AGENT_SCHEMA}#/$defs/textMatcher")
    assert list(validator.iter_errors(matcher)) != []


def test_whole_agent_schema_works_by_reference() -> None:
    validator = _referring_validator(AGENT_SCHEMA)
    assert list(validator.iter_errors({"replies": [{"when": {"whisper": "."}, "reply": "x"}]})) \
        == []
    assert list(validator.iter_errors({"replies": [{"whenn": "x"}]})) != []


def test_demo_agents_file_matches_the_schema() -> None:
    data = load_file(DEMO_FILE)[0].data
    validator = jsonschema.Draft202012Validator(agent_schema())
    for spec in data.values():
        assert list(validator.iter_errors(json.loads(json.dumps(spec)))) == []


def test_openapi_component_schemas_are_valid() -> None:
    for schema in openapi()["components"]["schemas"].values():
        jsonschema.Draft202012Validator.check_schema(schema)


def test_openapi_documents_the_three_paths_and_token() -> None:
    document = openapi()
    assert document["openapi"].startswith("3.1")
    assert sorted(document["paths"]) == ["/v1/chat/inbound",
                                         "/v1/chat/session/{id}/inject_context",
                                         "/v1/chat/session/{id}/support"]
    assert document["components"]["securitySchemes"]["ApiToken"] == {
        **document["components"]["securitySchemes"]["ApiToken"],
        "type": "apiKey", "in": "header", "name": "API-Token"}


def test_openapi_document_is_valid() -> None:
    validator = pytest.importorskip("openapi_spec_validator")
    validator.validate(openapi())
    assert schema_path("osvi-chat-v1.openapi.yaml").is_file()
