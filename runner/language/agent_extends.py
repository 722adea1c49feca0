"""``extends:`` for mock agents: reuse an agent file, overriding some of its keys.

``mock: {extends: agents/refund-bot.yaml, default_reply: ...}`` (inline, or in a
shared mock file) starts from the agent in that file and applies its own keys:
mappings merge key by key, anything else (``replies`` included) replaces the
inherited value. ``add_replies:`` keeps the inherited rules and puts its own
before them, so they are tried first. The extended file may extend another;
a circle is an error.

Every file is validated on its own first (its problems name its lines); the
merged agent is validated again, and what only the merge broke is reported at
the ``extends:`` line.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from runner.core.errors import Problem
from runner.language.mock_files import MockFileCache
from runner.language.mock_spec import validate_agent_spec
from runner.language.project_files import file_refused
from runner.language.yamlsrc import YList, YMap, display_path

_FIX = "give the path of a mock agent file relative to this file's folder"


def resolve_extends(spec: Any, file: Path, cache: MockFileCache, *, where: str = "mock",
                    allow_variables: bool = True) -> tuple[Any, list[Problem]]:
    """``spec`` with its ``extends:`` chain merged in, or the problems found on the way.

    ``where`` and ``allow_variables`` as for :func:`validate_agent_spec`: an agents
    file names the agent by its uuid and has no variables to fill in later.
    """
    merged, problems = _resolve(spec, file, cache, (file.resolve(),))
    if problems or merged is spec:
        return merged, problems
    line = spec.line_of("extends") if isinstance(spec, YMap) else 1
    refused = validate_agent_spec(merged, str(file), where=where,
                                  allow_variables=allow_variables)
    return merged, [Problem(str(file), line, f"the agent, merged with what it extends, has a "
                            f"problem: {p.message}", p.fix) for p in refused]


def _resolve(spec: Any, file: Path, cache: MockFileCache,
             chain: tuple[Path, ...]) -> tuple[Any, list[Problem]]:
    if not isinstance(spec, dict) or ("extends" not in spec and "add_replies" not in spec):
        return spec, []
    line = spec.line_of("extends") if isinstance(spec, YMap) else 1
    written = spec.get("extends")
    parent: Any = YMap()
    if written is not None:
        target = file.parent / str(written)
        refused = file_refused("mock agent file", str(written), target, cache, _FIX)
        if refused is not None:
            return None, [Problem(str(file), line, *refused)]
        real = target.resolve()
        if real in chain:
            names = " -> ".join(display_path(str(p)) for p in (*chain, real))
            return None, [Problem(str(file), line, f"mock agents extend each other in a "
                                  f"circle: {names}", "remove one of these `extends:`")]
        loaded, problems = cache.get(target)
        if problems or loaded is None:
            return None, problems
        parent, problems = _resolve(loaded, target, cache, (*chain, real))
        if problems:
            return None, problems
    return _merge(parent, spec), []


def _merge(parent: Any, child: Any) -> Any:
    """``child`` over ``parent``: mappings key by key, other values replaced."""
    if not (isinstance(parent, dict) and isinstance(child, dict)):
        return child
    merged = YMap(parent, line=getattr(child, "line", 0))
    merged.key_lines = {**getattr(parent, "key_lines", {}), **getattr(child, "key_lines", {})}
    for key, value in child.items():
        if key not in ("extends", "add_replies"):
            merged[key] = _merge(parent.get(key), value) if key in parent else value
    merged.pop("extends", None)
    added = child.get("add_replies")
    if added:
        rules = YList([*added, *(merged.get("replies") or [])])
        merged["replies"] = rules
    return merged
