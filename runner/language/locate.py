"""Where a value sits in a scenario document, and how a message quotes it.

Shared by the schema check (validation) and the static checks, which both
name a line and show what the author wrote.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from typing import Any

import yaml

from runner.core.errors import Problem
from runner.core.text import shorten
from runner.language.yamlsrc import YList, YMap, line_at


def dedupe(problems: Iterable[Problem]) -> list[Problem]:
    """Keep the first problem of each file and line; one clear message beats three."""
    seen: set[tuple[str, int]] = set()
    kept: list[Problem] = []
    for problem in problems:
        if (problem.file, problem.line) not in seen:
            seen.add((problem.file, problem.line))
            kept.append(problem)
    return kept


def one_per_line(problems: Iterable[Problem], data: object) -> list[Problem]:
    """:func:`dedupe` for data read from a file; for plain data, which knows no lines
    (every problem says line 1), each distinct problem."""
    if isinstance(data, (YMap, YList)):
        return dedupe(problems)
    return list(dict.fromkeys(problems))


def child(node: Any, part: str | int) -> tuple[bool, Any]:
    """``(True, node[part])`` if ``part`` is a key or index of ``node``, else ``(False, None)``."""
    if isinstance(node, dict) and isinstance(part, str) and part in node:
        return True, node[part]
    if isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
        return True, node[part]
    return False, None


def line_in(node: Any, path: Iterable[str | int], default: int = 1) -> int:
    """The line of the deepest key or item of ``path`` that exists below ``node``."""
    return line_at(node, path, default)


def document_line(data: object, path: Iterable[str | int]) -> int:
    """The line where the value at ``path`` (keys and list indexes) is written."""
    return line_in(data, path)


def dotted_path(root: str, path: Iterable[str | int]) -> str:
    """``mock.replies[0].when``: how a mock agent problem names its place (``root``: its name)."""
    text = root
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "the agent"


def show(value: Any) -> str:
    """A value as it would look in YAML, shortened: 'yes', 42, null, a list."""
    if isinstance(value, str):
        short = shorten(value, 40)
        return f"'{short}'"
    if isinstance(value, bool) or value is None:
        return yaml_inline(value)
    if isinstance(value, (int, float)):
        return str(value)
    return "a list" if isinstance(value, list) else "a mapping"


def kind_of(value: Any) -> str:
    """What the author wrote, in words: the string 'yes', the number 5, a list."""
    if isinstance(value, str):
        return f"the string {show(value)}"
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return f"the number {value}"
    return show(value)


def yaml_inline(value: Any) -> str:
    """A value in YAML flow style, for "write key: value" fixes."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, str):
        return value if _plain(value) else json.dumps(value, ensure_ascii=False)
    if isinstance(value, list):
        return "[" + ", ".join(yaml_inline(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {yaml_inline(v)}" for k, v in value.items()) + "}"
    return str(value)


def _plain(text: str) -> bool:
    """Whether YAML reads ``text`` back as the same string without quotes."""
    if not re.fullmatch(r"\w[\w .@/+-]*", text) or text.strip() != text:
        return False
    try:
        return bool(yaml.safe_load(text) == text)
    except yaml.YAMLError:
        return False
