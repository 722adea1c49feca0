"""``{{ name }}`` and ``{{ env.NAME }}`` substitution in scenario strings.

A string that is exactly one placeholder keeps the variable's type (so an
``examples`` row can put a boolean into ``help_requested``); elsewhere values are
turned into text. Names in ``keep`` are left untouched for a later stage: the
mock fills ``message``, ``whisper`` and ``context`` at each turn. Rendering
keeps the line numbers of what was read from a file, so a problem found while
a scenario runs can still name its line.
"""

from __future__ import annotations

import re
from collections.abc import Container, Iterator, Mapping
from typing import Any

from runner.language.yamlsrc import YList, YMap

# A segment after a dot may be a number: the mock's `{{ match.1 }}` (a regex group).
PLACEHOLDER = re.compile(r"\{\{\s*([A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z0-9_]+)*)\s*\}\}")
# Loosely formed placeholders, e.g. `{{ 1abc }}` or an unclosed `{{ name`, so they
# are reported instead of silently sent to the API.
_LOOSE = re.compile(r"\{\{(?!\s*[A-Za-z_][A-Za-z0-9_.]*\s*\}\})")

# `match.*` stands for every `match.<group>` name: see :func:`is_known`.
MOCK_TURN_NAMES = frozenset({"message", "whisper", "context", "last_whisper", "turn", "match.*"})


def is_known(name: str, names: Container[str]) -> bool:
    """Whether ``name`` is in ``names``, where an entry ``prefix.*`` covers ``prefix.<any>``."""
    return name in names or ("." in name and f"{name.split('.', 1)[0]}.*" in names)


class UndefinedVariable(KeyError):
    def __init__(self, name: str) -> None:
        super().__init__(name)
        self.name = name

    def __str__(self) -> str:
        return f"undefined variable '{self.name}'"


class BadPlaceholder(ValueError):
    pass


def placeholders(text: str) -> list[str]:
    """The names used in ``text``, in order (``env.HOME`` stays dotted)."""
    return PLACEHOLDER.findall(text)


def uses_env(value: Any) -> bool:
    """Whether ``value`` takes anything from the environment (which may hold secrets)."""
    return any(name.startswith("env.") for text in iter_strings(value)
               for name in placeholders(text))


def check_syntax(text: str) -> None:
    match = _LOOSE.search(text)
    if match:
        snippet = text[match.start(): match.start() + 30]
        raise BadPlaceholder(f"malformed placeholder near '{snippet}'")


def iter_strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from iter_strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from iter_strings(item)


def _lookup(name: str, variables: Mapping[str, Any], env: Mapping[str, str]) -> Any:
    if name.startswith("env."):
        key = name[4:]
        if key not in env:
            raise UndefinedVariable(name)
        return env[key]
    if name not in variables:
        raise UndefinedVariable(name)
    return variables[name]


def _as_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return "\n".join(_as_text(v) for v in value)
    return str(value)


def render(text: str, variables: Mapping[str, Any], env: Mapping[str, str],
           keep: frozenset[str] = frozenset()) -> Any:
    whole = PLACEHOLDER.fullmatch(text.strip()) if "{{" in text else None
    if whole and not is_known(whole.group(1), keep) and text.strip() == text:
        return _lookup(whole.group(1), variables, env)

    def substitute(match: re.Match[str]) -> str:
        name = match.group(1)
        if is_known(name, keep):
            return match.group(0)
        return _as_text(_lookup(name, variables, env))

    return PLACEHOLDER.sub(substitute, text) if "{{" in text else text


def render_tree(value: Any, variables: Mapping[str, Any], env: Mapping[str, str],
                keep: frozenset[str] = frozenset()) -> Any:
    """Render every string inside ``value``; returns dicts and lists (YMap/YList where
    ``value`` had them, with their lines)."""
    if isinstance(value, str):
        return render(value, variables, env, keep)
    if isinstance(value, YMap):
        mapping = YMap({k: render_tree(v, variables, env, keep) for k, v in value.items()},
                       line=value.line)
        mapping.key_lines, mapping.file = value.key_lines, value.file
        return mapping
    if isinstance(value, YList):
        items = YList([render_tree(v, variables, env, keep) for v in value], line=value.line)
        items.item_lines, items.file = value.item_lines, value.file
        return items
    if isinstance(value, dict):
        return {k: render_tree(v, variables, env, keep) for k, v in value.items()}
    if isinstance(value, list):
        return [render_tree(v, variables, env, keep) for v in value]
    return value
