"""The layer rule of ARCHITECTURE.md, checked on the code itself.

Every import counts, including those inside functions and under TYPE_CHECKING:
a subpackage imports only from the layers below it, no module takes part in an
import cycle, and the data modules reach no HTTP or pytest code.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

import runner

PACKAGE = Path(runner.__file__).resolve().parent
# Bottom to top, as ARCHITECTURE.md draws them.
LAYERS = ("core", "judging", "language", "mock", "execution", "report", "tools", "plugin")
DATA_MODULES = ("runner.language.model", "runner.execution.transcript",
                "runner.execution.exchange")
NO_GO_FOR_DATA = ("httpx", "httpcore", "pytest", "_pytest", "allure", "allure_commons")


def _modules() -> dict[str, Path]:
    found = {}
    for path in PACKAGE.rglob("*.py"):
        parts = path.relative_to(PACKAGE).with_suffix("").parts
        name = ".".join(("runner", *parts))
        found[name.removesuffix(".__init__")] = path
    return found


MODULES = _modules()


def _imports(name: str) -> Iterator[str]:
    """Every module ``name`` imports, wherever the import statement stands."""
    tree = ast.parse(MODULES[name].read_text(encoding="utf-8"))
    package = name if MODULES[name].name == "__init__.py" else name.rpartition(".")[0]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            for alias in node.names:
                full = f"{base}.{alias.name}"
                yield full if full in MODULES else base


def _layer(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if len(parts) > 2 and parts[1] in LAYERS else None


def _graph() -> dict[str, set[str]]:
    return {name: {target for target in _imports(name) if target in MODULES and target != name}
            for name in MODULES}


def test_every_module_lives_in_a_layer() -> None:
    loose = [name for name, path in MODULES.items()
             if name != "runner" and _layer(name) is None and path.name != "__init__.py"]
    assert loose == [], "modules outside the layers: " + ", ".join(loose)


def _upward(graph: dict[str, set[str]]) -> list[str]:
    found = []
    for source, targets in graph.items():
        here = _layer(source)
        for target in targets:
            there = _layer(target)
            if here and there and LAYERS.index(there) > LAYERS.index(here):
                found.append(f"{source} -> {target}")
    return sorted(found)


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    state: dict[str, int] = {}
    found: list[list[str]] = []

    def visit(node: str, trail: list[str]) -> None:
        state[node] = 1
        for target in sorted(graph.get(node, ())):
            if state.get(target) == 1:
                found.append([*trail[trail.index(target):], target])
            elif target not in state:
                visit(target, [*trail, target])
        state[node] = 2

    for name in sorted(graph):
        if name not in state:
            visit(name, [name])
    return found


def test_each_layer_imports_only_from_the_layers_below() -> None:
    assert _upward(_graph()) == []


def test_no_module_takes_part_in_an_import_cycle() -> None:
    assert _cycles(_graph()) == []


@pytest.mark.parametrize("data_module", DATA_MODULES)
def test_data_modules_reach_no_http_or_pytest_code(data_module: str) -> None:
    graph = _graph()
    seen, todo = set(), [data_module]
    while todo:
        current = todo.pop()
        if current in seen:
            continue
        seen.add(current)
        bad = [imported for imported in _imports(current)
               if imported.split(".")[0] in NO_GO_FOR_DATA]
        assert bad == [], f"{data_module} reaches {bad} through {current}"
        todo.extend(graph[current])


def test_a_planted_upward_import_and_cycle_are_reported() -> None:
    graph = _graph()
    graph["runner.core.errors"].add("runner.plugin.hooks")
    assert "runner.core.errors -> runner.plugin.hooks" in _upward(graph)
    assert any("runner.core.errors" in cycle for cycle in _cycles(graph))


def test_the_library_layers_import_no_pytest() -> None:
    """Everything below plugin/ imports without pytest (the CLI and the mock use it)."""
    found = [f"{name} imports {imported}" for name in MODULES
             if _layer(name) not in (None, "plugin")
             for imported in _imports(name) if imported.split(".")[0] in ("pytest", "_pytest")]
    assert found == []
