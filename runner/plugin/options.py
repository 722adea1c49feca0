"""The option table (:mod:`runner.core.options`) on pytest's side: flags, ini keys, merging.

Imported by the entry point on every run, so it needs nothing but pytest and the table.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

import pytest

from runner.core.options import (
    DEFAULT_PATTERNS,
    OPTIONS,
    Option,
    OptionValueError,
    argparse_spec,
    is_unset,
    merge,
)

IniType = Literal["string", "bool", "linelist"]
_INI_TYPES: dict[str, IniType] = {"flag": "bool", "patterns": "linelist"}


def add_options(parser: pytest.Parser) -> None:
    """The table's flags in the ``osvi`` group, and its ini keys."""
    group = parser.getgroup("osvi", "OSVI chat scenarios")
    for item in OPTIONS:
        if item.flag:
            group.addoption(item.flag, **argparse_spec(item))
        if item.ini:
            # No default here: unset must read as unset, so the environment can win and
            # the table's default applies last.
            parser.addini(item.ini, item.help, type=_INI_TYPES.get(item.kind, "string"),
                          default=None)


def ini_value(config: pytest.Config, item: Option) -> Any:
    assert item.ini is not None
    try:
        return config.getini(item.ini)
    except (ValueError, pytest.UsageError):  # pytest's own words do not name the option
        if item.kind == "flag":
            raise OptionValueError(f"ini {item.ini}: write true or false") from None
        raise


def merged_values(config: pytest.Config, env: Mapping[str, str]) -> dict[str, Any]:
    """Every setting's raw value for this run: command line, then environment, then ini."""
    return merge(lambda item: getattr(config.option, item.dest, None), env,
                 lambda item: ini_value(config, item))


def anything_set(config: pytest.Config, env: Mapping[str, str]) -> bool:
    """Whether the run names any osvi setting (secrets aside) by flag, environment or ini."""
    for item in OPTIONS:
        if item.kind == "secret":
            continue
        if item.flag and not is_unset(getattr(config.option, item.dest, None)):
            return True
        if item.env and not is_unset(env.get(item.env)):
            return True
        if item.ini:
            try:
                if not is_unset(config.getini(item.ini)):
                    return True
            except (ValueError, pytest.UsageError):  # a bad value: the library explains it
                return True
    return False


def patterns(config: pytest.Config) -> tuple[str, ...]:
    """The scenario file patterns (ini ``osvi_patterns``, else the table's default)."""
    found = config.getini("osvi_patterns")
    return DEFAULT_PATTERNS if is_unset(found) else tuple(found)
