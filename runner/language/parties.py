"""Named customers (``customers:``) and the steps that act as one (``as: anna``).

Each party sends as its own customer_id and so has its own session; the
executor follows those sessions (``runner/execution/parties.py``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from runner.core.suggest import did_you_mean

# Steps that send nothing as a party: `simulate` plays its own customer.
_NO_PARTY = ("wait", "simulate", "request")

# (path, message, fix): how the document checker records a problem.
AddProblem = Callable[[tuple[str | int, ...], str, str], None]


def party_ids(spec: Any) -> dict[str, str | None]:
    """``customers:`` as name → customer_id written (None: a fresh id per run)."""
    if not isinstance(spec, Mapping):
        return {}
    ids: dict[str, str | None] = {}
    for name, party in spec.items():
        given = party.get("id") if isinstance(party, Mapping) else None
        ids[str(name)] = str(given) if given is not None else None
    return ids


def check_party_names(data: Mapping[str, Any], steps: Iterable[tuple[tuple[str | int, ...],
                                                                       Mapping[str, Any]]],
                      add: AddProblem) -> None:
    """Every ``as:`` names a party under ``customers:``; a typo gets "did you mean"."""
    names = list(party_ids(data.get("customers")))
    for path, spec in steps:
        party = spec.get("as")
        if not isinstance(party, str):
            continue
        inert = next((a for a in _NO_PARTY if a in spec), None)
        if inert is not None:
            add((*path, "as"), f"`as:` has no effect on a `{inert}` step",
                "remove `as:` here; it belongs on customer and session steps")
            continue
        if party in names:
            continue
        if not names:
            add((*path, "as"), f"`as: {party}` names a party, but the scenario has no "
                "`customers:`", f"add `customers: {{{party}: {{}}}}` at the top of the scenario")
        else:
            add((*path, "as"), f"`as: {party}` is not a party under `customers:`"
                f"{did_you_mean(party, names)}",
                "write one of " + ", ".join(f"`{n}`" for n in names) + " or add it to `customers:`")
