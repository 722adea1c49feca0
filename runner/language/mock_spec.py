"""Validating mock agents, with file:line problems (agents files: :mod:`.agents_file`).

A mock agent is validated in two steps, each saying a thing once: the schema
``schemas/mock-agent.schema.json`` (the one definition of the language, worded
by :mod:`runner.language.validation` as scenario problems are), then the checks
no schema can express (:mod:`runner.language.mock_checks`), which leave alone
whatever the schema refused. Only a spec with no problems is compiled
(:meth:`MockAgent.from_spec`), and the compiler checks nothing again.

A scenario's inline ``mock:`` takes the same two steps as part of the scenario
(its schema refers to the mock agent schema; :mod:`runner.language.checks`
calls the mock checks), so a problem reads the same there as in an agents file.
"""

from __future__ import annotations

from typing import Any

from runner.core.errors import Problem
from runner.language.locate import one_per_line
from runner.language.mock_checks import mock_problems
from runner.language.templating import uses_env
from runner.language.validation import MOCK_SCHEMA, check_against


def validate_agent_spec(data: Any, file: str = "<mock>", *, where: str = "mock",
                        allow_variables: bool = True) -> list[Problem]:
    """Every problem with a mock agent spec, located at the offending key's line.

    ``data`` is a :class:`~runner.language.yamlsrc.YMap` (for line numbers) or a plain
    mapping; ``where`` names it in messages (``mock``, or an agent's uuid). With
    ``allow_variables`` (a scenario's mock before its variables are filled in)
    a value holding a scenario ``{{ name }}`` is judged once it is filled in;
    an agents file has no variables, so there such a name is an error.
    """
    if data is None:
        data = {}
    schema = check_against(data, file, MOCK_SCHEMA, where=where, variables=allow_variables)
    checks = mock_problems(data, file, where, variables=allow_variables,
                           rejected=schema.rejected)
    return one_per_line(sorted([*schema.problems, *checks], key=lambda p: p.line), data)


def filled_in_problems(written: Any, filled: Any, file: str,
                       row: int | None = None) -> list[Problem]:
    """Problems of a scenario's mock once its variables are filled in (none if it has none).

    ``written`` passed validation with its placeholders; ``filled`` is what a
    run will use, with the values of ``examples`` row ``row`` (None: no rows).
    A value read from the environment is never shown: it may be a secret.
    """
    if filled == written:
        return []
    problems = validate_agent_spec(filled, file, allow_variables=False)
    values = f"examples row {row}" if row is not None else "the variables"
    if not uses_env(written):
        return [Problem(p.file, p.line, f"{p.message} (filled in with {values})", p.fix)
                for p in problems]
    return [Problem(p.file, p.line, f"the mock agent, filled in with {values}, has a problem "
                    "on this line", "its values come from the environment, so they are not "
                    "shown: check the variables this line uses") for p in problems]
