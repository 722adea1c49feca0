"""Shared mock agent files (``mock: path/to/agent.yaml``): found, confined, loaded once.

A scenario names a file by a path relative to its own folder. That path must
lead to an ordinary file inside the project folder (pytest's rootdir; for
``osvi-scenarios check`` the project around the current folder), links
resolved: a scenario must not read ``/etc/passwd`` or a credentials file next
to the project. ``--osvi-allow-outside-root`` lifts the limit, but a problem in
a file outside the project is still reported by file and line only, never
with what the file holds.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from runner.core.errors import Problem, ScenarioFileError
from runner.language.mock_spec import validate_agent_spec
from runner.language.pattern_warnings import agent_warnings
from runner.language.yamlsrc import load_file

PROJECT_MARKERS = ("pyproject.toml", "pytest.ini", "tox.ini", "setup.cfg", ".git")
OUTSIDE_FIX = ("move the file into the project, or pass --osvi-allow-outside-root (ini "
               "osvi_allow_outside_root) to allow it")
_FILE_FIX = ("give the path of a YAML file relative to this scenario file's folder, "
             "or write the agent inline under `mock:`")


def project_root(start: Path) -> Path:
    """The nearest folder at or above ``start`` that holds a project marker, else ``start``."""
    start = start.resolve()
    for folder in (start, *start.parents):
        if any((folder / marker).exists() for marker in PROJECT_MARKERS):
            return folder
    return start


class MockFileCache:
    """Loads each shared mock agent file once per run, however many scenarios use it.

    ``root`` is the project folder the files must be in (None: anywhere);
    ``allow_outside_root`` reads files outside it all the same, unquoted.
    """

    def __init__(self, root: Path | None = None, *, allow_outside_root: bool = False) -> None:
        self.root = root.resolve() if root is not None else None
        self.allow_outside_root = allow_outside_root
        self._files: dict[Path, tuple[Any, list[Problem]]] = {}
        self._warnings: dict[Path, list[Problem]] = {}

    def get(self, path: Path) -> tuple[Any, list[Problem]]:
        key = path.resolve()
        if key not in self._files:
            try:
                documents = load_file(key)
            except ScenarioFileError as error:
                self._files[key] = (None, list(error.problems))
            else:
                self._files[key] = self._one_mapping(path, documents)
            if self.outside(key):
                data, problems = self._files[key]
                self._files[key] = (data, _unquoted(problems))
            elif self._files[key][0] is not None:
                # `agents/../base.yaml` (an `extends:` path) is named as `base.yaml`
                self._warnings[key] = agent_warnings(self._files[key][0],
                                                     os.path.normpath(path))
        return self._files[key]

    def all_new_warnings(self) -> list[Problem]:
        """The warnings of every file read since last asked, each file's once a run: the
        files a scenario names and those they pull in by ``extends:`` alike."""
        found = [warning for warnings in self._warnings.values() for warning in warnings]
        self._warnings.clear()
        return found

    def outside(self, real: Path) -> bool:
        return self.root is not None and not real.is_relative_to(self.root)

    def problem(self, spec: str, target: Path, scenario: Path) -> tuple[str, str] | None:
        """Why ``mock: spec`` cannot be used (message, fix), or None when it can."""
        message = _file_problem(spec, target, scenario)
        if message is not None:
            return message, _FILE_FIX
        real = target.resolve()
        if self.allow_outside_root or not self.outside(real):
            return None
        assert self.root is not None
        written = Path(os.path.abspath(target))
        link = "" if not written.is_relative_to(self.root) else f" (it is a link to {real})"
        return (f"mock agent file '{spec}' is outside the project folder {self.root}{link}",
                OUTSIDE_FIX)

    @staticmethod
    def _one_mapping(path: Path, documents: list[Any]) -> tuple[Any, list[Problem]]:
        if len(documents) != 1 or not isinstance(documents[0].data, dict):
            line = documents[1].line if len(documents) > 1 else 1
            return None, [Problem(str(path), line,
                                  "a mock agent file must hold exactly one mapping",
                                  "write the agent's keys (replies, default_reply, ...) "
                                  "at the top level of the file")]
        data = documents[0].data
        return data, validate_agent_spec(data, file=str(path))


def _file_problem(spec: str, target: Path, scenario: Path) -> str | None:
    """Why ``mock: spec`` cannot be read as an agent file, or None when it can.

    An agent file cannot include another, so the only way to go round in a
    circle is a path back to the scenario itself, or a symbolic link loop.
    """
    where = f"(looked for {os.path.abspath(target)})"
    try:
        real = target.resolve(strict=True)
    except (OSError, RuntimeError):  # missing, or a link loop (RuntimeError before 3.13)
        if os.path.lexists(target):
            return (f"mock agent file '{spec}' is a symbolic link that loops or leads "
                    f"nowhere {where}")
        return f"mock agent file '{spec}' not found {where}"
    if real == scenario.resolve():
        return f"mock agent file '{spec}' is this scenario file itself"
    if real.is_dir():
        return f"mock agent file '{spec}' is a folder {where}"
    if not real.is_file():
        return f"mock agent file '{spec}' is not a regular file (a pipe or a device?) {where}"
    return None


def _unquoted(problems: list[Problem]) -> list[Problem]:
    """Problems of a file outside the project, by file and line only: it may hold secrets."""
    lines = sorted({(p.file, p.line) for p in problems})
    return [Problem(file, line, "this mock agent file has a problem on this line",
                    "open the file to see it: it is outside the project, so its content is "
                    "not shown") for file, line in lines]
