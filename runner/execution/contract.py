"""The API contract applied to every answer: ``schemas/osvi-chat-v1.openapi.yaml``.

An answer that drifts from the documented shape (a field missing, a number
where text belongs) would otherwise surface as a confusing mismatch or not at
all. :func:`contract_problem` names the first field that breaks the contract,
in one line. Validators are compiled once per process and shared by every
scenario; validation is read-only, so that is safe under concurrency.

Only documented answers are checked: a status the contract does not list for
an endpoint (a 429 or 503 from a gateway, say) is left to the caller, which
reports it as an unexpected answer. And only what the vendor documents: the
constraints the contract file marks ``x-mock-reading`` (the mock's own, stricter
reading, which the mock's tests enforce) are left out here, so a live API is not
held to them. Errors pass in either documented shape, ``{"success": false,
"error": ...}`` or the API introduction's ``{"success": false, "errors": [...]}``.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Callable
from functools import cache
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from runner.core.schemas import load_schema
from runner.core.text import shorten

if TYPE_CHECKING:
    # Loaded only for an answer the quick check does not pass (see _quick_check).
    import jsonschema
    from referencing import Registry

CONTRACT_FILE = "osvi-chat-v1.openapi.yaml"
_URI = "urn:osvi-chat-v1"
_TEMPLATES = (
    (re.compile(r"/v1/chat/inbound"), "/v1/chat/inbound"),
    (re.compile(r"/v1/chat/session/[^/]+/support"), "/v1/chat/session/{id}/support"),
    (re.compile(r"/v1/chat/session/[^/]+/inject_context"),
     "/v1/chat/session/{id}/inject_context"),
)
_SHOWN = 60  # characters of a wrong value quoted in a message
MOCK_READING = "x-mock-reading"


def _template(path: str) -> str | None:
    return next((t for pattern, t in _TEMPLATES if pattern.fullmatch(path)), None)


def _escape(part: str) -> str:
    return part.replace("~", "~0").replace("/", "~1")


def vendor_view(node: Any) -> Any:
    """``node`` without the keywords its ``x-mock-reading`` lists (a copy; recursive)."""
    if isinstance(node, list):
        return [vendor_view(item) for item in node]
    if not isinstance(node, dict):
        return copy.copy(node)
    readings = node.get(MOCK_READING, ())
    return {key: vendor_view(value) for key, value in node.items()
            if key != MOCK_READING and key not in readings}


@cache
def _contract() -> dict[str, Any]:
    """The contract as the vendor documents it: what live answers are held to."""
    document: dict[str, Any] = vendor_view(load_schema(CONTRACT_FILE))
    return document


@cache
def _registry() -> Registry[Any]:
    from referencing import Registry, Resource
    from referencing.jsonschema import DRAFT202012

    resource: Resource[Any] = Resource.from_contents(_contract(),
                                                     default_specification=DRAFT202012)
    registry: Registry[Any] = Registry().with_resource(_URI, resource)
    return registry


def _pointer(method: str, path: str, status: int) -> str | None:
    template = _template(path)
    return None if template is None else _pointer_for(method, template, status)


@cache
def _pointer_for(method: str, template: str, status: int) -> str | None:
    operation = _contract()["paths"][template].get(method.lower(), {})
    response = operation.get("responses", {}).get(str(status))
    if response is None:
        return None
    if "$ref" in response:
        base = str(response["$ref"])[1:]
    else:
        base = f"/paths/{_escape(template)}/{method.lower()}/responses/{status}"
    return base + "/content/application~1json/schema"


@cache
def _validator(pointer: str) -> jsonschema.Draft202012Validator:
    import jsonschema

    return jsonschema.Draft202012Validator({"$ref": f"{_URI}#{pointer}"}, registry=_registry())


@cache
def _quick_check(pointer: str) -> Callable[[Any], bool] | None:
    """A compiled validity check, when jsonschema-rs is installed (None: there is none).

    Every answer of a run is checked; jsonschema takes a large part of a step's
    own cost, this about a hundredth of it. Only a valid answer is settled
    here: an invalid one is checked again by jsonschema, which words the problem.
    """
    try:
        import jsonschema_rs
    except ImportError:
        return None
    try:
        registry = jsonschema_rs.Registry([(_URI, _contract())])
        fragment = quote(pointer, safe="/~")  # `{id}` in a path must be escaped in a URI
        check: Callable[[Any], bool] = jsonschema_rs.Draft202012Validator(
            {"$ref": f"{_URI}#{fragment}"}, registry=registry).is_valid
    except Exception:  # an unusable build or contract: jsonschema alone decides
        return None
    return check


def _surely_valid(pointer: str, data: Any) -> bool:
    check = _quick_check(pointer)
    try:
        return check is not None and check(data)
    except Exception:
        return False


def _shown(value: Any) -> str:
    """A value as JSON (the API's own notation), cut short."""
    text = json.dumps(value, ensure_ascii=False, default=str)
    return shorten(text, _SHOWN)


def _where(error: jsonschema.ValidationError) -> str:
    where = "".join(f"[{part}]" if isinstance(part, int) else f".{part}"
                    for part in error.absolute_path).lstrip(".") or "the top level"
    if error.validator == "required":
        missing = re.match(r"'([^']*)'", error.message)
        if missing:
            return f"{where}.{missing.group(1)}" if error.absolute_path else missing.group(1)
    return where


def _what(error: jsonschema.ValidationError) -> str:
    """jsonschema's message, shorter and without Python's quoting of type names."""
    kind = error.validator
    if kind == "type":
        expected = error.validator_value
        names = expected if isinstance(expected, list) else [expected]
        return f"{_shown(error.instance)} is not of type {' or '.join(map(str, names))}"
    if kind == "required":
        return "the field is missing"
    if kind == "enum" and isinstance(error.validator_value, list):
        choices = ", ".join("null" if c is None else str(c) for c in error.validator_value)
        return f"{_shown(error.instance)} is not one of {choices}"
    if kind == "const":
        return f"{_shown(error.instance)} should be {_shown(error.validator_value)}"
    return shorten(error.message, 2 * _SHOWN)


def contract_problem(method: str, path: str, status: int, data: Any) -> str | None:
    """Where and how a decoded JSON answer breaks the contract, or None if it does not.

    ``the answer breaks the API contract at data.reply: 5 is not of type string or null``
    """
    pointer = _pointer(method, path, status)
    if pointer is None or _surely_valid(pointer, data):
        return None
    import jsonschema.exceptions

    # best_match prefers the shallowest field, so the message names the outermost drift.
    error = jsonschema.exceptions.best_match(_validator(pointer).iter_errors(data))
    if error is None:
        return None
    if error.validator in ("anyOf", "oneOf") and error.context:
        # No documented shape fits: name what the first one misses.
        first = [e for e in error.context if list(e.relative_schema_path)[:1] == [0]]
        error = jsonschema.exceptions.best_match(first) or error
    return f"the answer breaks the API contract at {_where(error)}: {_what(error)}"
