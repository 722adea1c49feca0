"""Where the JSON Schemas and the API contract live, installed or in a checkout."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

import yaml

_PACKAGE = Path(__file__).resolve().parent.parent  # the runner package


def schema_dir() -> Path:
    """``runner/_schemas`` in a wheel; the repository's ``schemas/`` in a checkout."""
    bundled = _PACKAGE / "_schemas"
    return bundled if bundled.is_dir() else _PACKAGE.parent / "schemas"


def schema_path(name: str) -> Path:
    return schema_dir() / name


@cache
def load_schema(name: str) -> dict[str, Any]:
    path = schema_path(name)
    text = path.read_text(encoding="utf-8")
    # libyaml when present: the API contract is read by every live run, ~10x faster.
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    data = json.loads(text) if name.endswith(".json") else yaml.load(text, Loader=loader)
    if not isinstance(data, dict):
        raise RuntimeError(f"{path} does not hold a schema object")
    return data
