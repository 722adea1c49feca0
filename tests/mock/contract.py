"""Checks a mock response against schemas/osvi-chat-v1.openapi.yaml.

Every test response goes through :func:`check_response`, so the mock cannot
drift from the contract the runner (and a live API) is held to.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from functools import cache
from typing import Any

import jsonschema
import yaml
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from runner.core.schemas import schema_path

CONTRACT_URI = "urn:osvi-chat-v1"
_TEMPLATES = (
    (re.compile(r"^/v1/chat/inbound$"), "/v1/chat/inbound"),
    (re.compile(r"^/v1/chat/session/[^/]+/support$"), "/v1/chat/session/{id}/support"),
    (re.compile(r"^/v1/chat/session/[^/]+/inject_context$"),
     "/v1/chat/session/{id}/inject_context"),
)


class ContractViolation(AssertionError):
    pass


@cache
def openapi() -> dict[str, Any]:
    data = yaml.safe_load(schema_path("osvi-chat-v1.openapi.yaml").read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


@cache
def _registry() -> Registry[Any]:
    resource: Resource[Any] = Resource.from_contents(openapi(),
                                                     default_specification=DRAFT202012)
    registry: Registry[Any] = Registry().with_resource(CONTRACT_URI, resource)
    return registry


@cache
def _validator(pointer: str) -> jsonschema.Draft202012Validator:
    return jsonschema.Draft202012Validator({"$ref": f"{CONTRACT_URI}#{pointer}"},
                                           registry=_registry())


def _escape(part: str) -> str:
    return part.replace("~", "~0").replace("/", "~1")


def _follow(ref: str) -> tuple[str, Any]:
    assert ref.startswith("#/")
    node: Any = openapi()
    for part in ref[2:].split("/"):
        node = node[part.replace("~1", "/").replace("~0", "~")]
    return ref[1:], node


def template_of(path: str) -> str | None:
    for pattern, template in _TEMPLATES:
        if pattern.match(path):
            return template
    return None


def response_pointer(method: str, path: str, status: int) -> str | None:
    """The JSON pointer of the documented response schema, or None if the path is not in it."""
    template = template_of(path)
    if template is None:
        return None
    operation = openapi()["paths"][template].get(method.lower())
    if operation is None:
        return None
    response = operation["responses"].get(str(status))
    if response is None:
        raise ContractViolation(f"{status} is not a documented answer of {method} {template}")
    pointer = f"/paths/{_escape(template)}/{method.lower()}/responses/{status}"
    if "$ref" in response:
        pointer, response = _follow(response["$ref"])
    assert "application/json" in response["content"]
    return pointer + "/content/application~1json/schema"


def check_response(method: str, path: str, status: int, headers: Mapping[str, str],
                   body: bytes) -> Any:
    """The decoded JSON body, after checking it against the contract for ``path``."""
    content_type = headers.get("content-type", "")
    if not content_type.startswith("application/json"):
        raise ContractViolation(f"{method} {path} answered {status} with {content_type!r}")
    try:
        data = json.loads(body)
    except ValueError as error:
        raise ContractViolation(f"{method} {path} answered invalid JSON: {error}") from None
    pointer = response_pointer(method, path, status)
    if pointer is None:
        # Mock-only or unknown paths and wrong methods: errors still use ChatV1Error.
        if status >= 400:
            pointer = "/components/schemas/ChatV1Error"
        else:
            if not (isinstance(data, dict) and data.get("success") is True and "data" in data):
                raise ContractViolation(f"{method} {path}: not a success envelope: {data!r}")
            return data
    errors = sorted(_validator(pointer).iter_errors(data), key=lambda e: list(e.path))
    if errors:
        detail = "; ".join(f"{list(e.path)}: {e.message}" for e in errors[:5])
        raise ContractViolation(f"{method} {path} {status} breaks the contract: {detail}\n"
                                f"body: {data!r}")
    if status >= 400 and not isinstance(data.get("error"), str):
        # The contract allows a live API the introduction's `errors` list too; the mock
        # always answers in the endpoint pages' shape.
        raise ContractViolation(f"{method} {path} {status}: the mock's errors carry `error`: "
                                f"{data!r}")
    return data
