"""``vars`` that use other variables: filled in in dependency order.

``vars: {host: example.com, url: "https://{{ host }}/x"}`` makes ``url`` the
full address, whatever order the keys are written in. Only names defined by
``vars`` and the ``examples`` row are filled in here; every other placeholder
(``{{ env.X }}``, ``{{ customer }}``, saved names) waits for the run, as before.
A variable that ends up using itself is a cycle, reported with its chain.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from runner.language.templating import PLACEHOLDER, iter_strings


class VariableCycle(ValueError):
    """``a`` uses ``b`` which uses ``a``: ``chain`` is ``[a, b, a]``."""

    def __init__(self, chain: list[str]) -> None:
        super().__init__(" → ".join(chain))
        self.chain = chain


def _uses(value: Any, names: Mapping[str, Any]) -> list[str]:
    return [name for text in iter_strings(value) for name in PLACEHOLDER.findall(text)
            if name in names]


def fill_names(value: Any, done: Mapping[str, Any]) -> Any:
    """``value`` with the placeholders of the names in ``done`` filled in, others kept."""
    if isinstance(value, str):
        whole = PLACEHOLDER.fullmatch(value)
        if whole and whole.group(1) in done:  # exactly one placeholder keeps its type
            return done[whole.group(1)]

        def substitute(match: re.Match[str]) -> str:
            name = match.group(1)
            if name not in done:
                return match.group(0)
            found = done[name]
            return ("true" if found else "false") if isinstance(found, bool) else (
                "" if found is None else str(found))

        return PLACEHOLDER.sub(substitute, value)
    if isinstance(value, dict):
        return {k: fill_names(v, done) for k, v in value.items()}
    if isinstance(value, list):
        return [fill_names(v, done) for v in value]
    return value


def resolve_variables(variables: Mapping[str, Any]) -> dict[str, Any]:
    """``variables`` with every use of another of them filled in; raises VariableCycle."""
    done: dict[str, Any] = {}
    visiting: list[str] = []

    def visit(name: str) -> None:
        if name in done:
            return
        if name in visiting:
            raise VariableCycle([*visiting[visiting.index(name):], name])
        visiting.append(name)
        for used in _uses(variables[name], variables):
            visit(used)
        visiting.pop()
        done[name] = fill_names(variables[name], done)

    for name in variables:
        visit(name)
    return {name: done[name] for name in variables}
