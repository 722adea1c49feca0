"""``osvi-scenarios``: command-line tools for scenario files.

``osvi-scenarios check PATH...`` validates scenario files without running them
(schema, static checks, mock agents) and prints one ``file:line: message; fix``
line per problem, so it fits a pre-commit hook, CI or an editor task. Exit
status: 0 all valid, 1 problems found, 2 the command itself was used wrongly.
"""

from __future__ import annotations

import argparse
import fnmatch
import json
import os
import sys
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from runner.errors import Problem, ScenarioFileError
from runner.schemas import schema_path
from runner.validation import MOCK_SCHEMA, check_document, dedupe, validate_against
from runner.yamlsrc import Document, YMap, load_file

DEFAULT_PATTERNS = ("*.scenario.yaml", "*.scenario.yml")
# Folders never worth searching for scenarios.
_SKIPPED_DIRS = {"__pycache__", "node_modules"}

AgentValidator = Callable[[Any, str], list[Problem]]


class UsageError(Exception):
    """The command line itself is wrong (exit status 2)."""


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as stop:  # argparse exits on --help and on usage errors
        return stop.code if isinstance(stop.code, int) else (0 if stop.code is None else 2)
    handler: Callable[[argparse.Namespace], int] = args.handler
    try:
        return handler(args)
    except UsageError as error:
        print(f"osvi-scenarios {args.command}: {error}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # output piped into e.g. `head`, which stopped reading
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 1


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="osvi-scenarios",
        description="Tools for OSVI Chat conversation scenarios (*.scenario.yaml).")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    check = commands.add_parser(
        "check", help="validate scenario files without running them",
        description="Validate scenario files (schema, static checks, mock agents) "
                    "without running them. Exit status: 0 valid, 1 problems, 2 usage error.")
    check.add_argument("paths", nargs="+", metavar="PATH",
                       help="scenario files, or folders to search recursively")
    check.add_argument("--pattern", action="append", metavar="GLOB",
                       help="file name pattern to search folders for (repeatable; default: "
                            + ", ".join(DEFAULT_PATTERNS) + ")")
    check.add_argument("--format", choices=("text", "json"), default="text",
                       help="text: one `file:line: message; fix` line per problem; "
                            "json: a list of {file, line, message, fix} for editors")
    check.set_defaults(handler=_run_check)
    return parser


# --------------------------------------------------------------------------- check

def _run_check(args: argparse.Namespace) -> int:
    files = find_scenario_files(args.paths, args.pattern or DEFAULT_PATTERNS)
    result = check_files(files, os.environ)
    if args.format == "json":
        _print_json(result.problems, sys.stdout)
    else:
        _print_text(result, sys.stdout)
    return 1 if result.problems else 0


def find_scenario_files(paths: Iterable[str], patterns: Sequence[str]) -> list[Path]:
    """Files named on the command line, plus matching files in the folders named."""
    found: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if path.is_file():
            found.append(path)  # named explicitly: checked whatever its name
        elif path.is_dir():
            matches = _search(path, patterns)
            if not matches:
                raise UsageError(f"no scenario files ({', '.join(patterns)}) in '{raw}'")
            found.extend(matches)
        else:
            raise UsageError(f"'{raw}' does not exist (no such file or folder)")
    unique = {_display(p): p for p in found}
    return [Path(name) for name in unique]


def _search(folder: Path, patterns: Sequence[str]) -> list[Path]:
    matches: list[Path] = []
    for root, dirs, names in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if not d.startswith(".") and d not in _SKIPPED_DIRS)
        for name in sorted(names):
            if any(fnmatch.fnmatch(name, pattern) for pattern in patterns):
                matches.append(Path(root) / name)
    return matches


def _display(path: Path) -> str:
    """The path relative to the working folder when it is inside it, else absolute."""
    absolute = path.resolve()
    try:
        return str(absolute.relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(absolute)


@dataclass
class CheckResult:
    problems: list[Problem] = field(default_factory=list)
    scenarios: int = 0
    files: int = 0

    @property
    def files_with_problems(self) -> int:
        return len({p.file for p in self.problems})


def check_files(files: Iterable[Path], env: Mapping[str, str]) -> CheckResult:
    """Check every document of every file; a shared mock agent file is checked once."""
    result = CheckResult()
    mock_files: dict[Path, list[Problem]] = {}
    for path in files:
        result.files += 1
        try:
            problems, scenarios = check_file(path, env, mock_files)
        except Exception as error:  # one bad file must not hide the others
            problems = [Problem(str(path), 1,
                                f"internal error while checking this file: "
                                f"{type(error).__name__}: {error}",
                                "please report it, with the file")]
            scenarios = 0
        result.problems.extend(problems)
        result.scenarios += scenarios
    return result


def check_file(path: Path, env: Mapping[str, str],
               mock_files: dict[Path, list[Problem]] | None = None) -> tuple[list[Problem], int]:
    """The problems of one scenario file and how many scenarios it holds."""
    mock_files = {} if mock_files is None else mock_files
    file = str(path)
    try:
        documents = load_file(path)
    except ScenarioFileError as error:
        return list(error.problems), 0
    if not documents:
        return [Problem(file, 1, "the file holds no scenario",
                        "write at least `scenario:` and `steps:`")], 0
    problems: list[Problem] = []
    later: list[Problem] = []  # problems in mock agent files, after this file's own
    for document in documents:
        problems.extend(check_document(document.data, file, env))
        problems.extend(_inline_mock(document, file))
        mock_problems, other = _mock_file(document, path, mock_files)
        problems.extend(mock_problems)
        later.extend(other)
    problems.extend(_duplicate_names(documents, file))
    ordered = sorted(dedupe(problems), key=lambda p: p.line)
    return ordered + later, len(documents)


def _agent_validator() -> AgentValidator | None:
    """The mock's own checks when the mock package provides them."""
    try:
        from runner.mock import validate_agent_spec
    except ImportError:
        return None
    return validate_agent_spec


def _inline_mock(document: Document, file: str) -> list[Problem]:
    data = document.data
    mock = data.get("mock") if isinstance(data, dict) else None
    validator = _agent_validator()
    if not isinstance(mock, dict) or validator is None:
        return []  # without the mock's checks, the scenario schema has covered it
    return validator(mock, file)


def _mock_file(document: Document, path: Path,
               seen: dict[Path, list[Problem]]) -> tuple[list[Problem], list[Problem]]:
    """A `mock:` path: (problems at the `mock:` line, problems inside the agent file).

    Problems inside an agent file are returned the first time it is used only.
    """
    data = document.data
    spec = data.get("mock") if isinstance(data, dict) else None
    if not isinstance(spec, str) or not spec.strip() or "{{" in spec:
        return [], []
    line = data.line_of("mock") if isinstance(data, YMap) else document.line
    target = path.parent / spec
    if not target.is_file():
        where = "is a folder" if target.is_dir() else "not found"
        return [Problem(str(path), line,
                        f"mock agent file '{spec}' {where} (looked in {target.resolve()})",
                        "give the path of a YAML file relative to this scenario file's "
                        "folder, or write the agent inline under `mock:`")], []
    key = target.resolve()
    if key in seen:
        return [], []
    seen[key] = _check_agent_file(Path(_display(target)))
    return [], seen[key]


def _check_agent_file(path: Path) -> list[Problem]:
    file = str(path)
    try:
        documents = load_file(path)
    except ScenarioFileError as error:
        return list(error.problems)
    if len(documents) != 1 or not isinstance(documents[0].data, dict):
        line = documents[1].line if len(documents) > 1 else 1
        return [Problem(file, line, "a mock agent file must hold exactly one mapping",
                        "write the agent's keys (replies, default_reply, ...) at the top "
                        "level of the file")]
    data = documents[0].data
    validator = _agent_validator()
    if validator is not None:
        return dedupe(validator(data, file))
    if schema_path(MOCK_SCHEMA).is_file():
        return validate_against(data, file, MOCK_SCHEMA)
    return []


def _duplicate_names(documents: list[Document], file: str) -> list[Problem]:
    """Two scenarios of one file with the same name would be the same pytest item."""
    first: dict[str, int] = {}
    problems: list[Problem] = []
    for document in documents:
        data = document.data
        name = data.get("scenario") if isinstance(data, dict) else None
        if not isinstance(name, str) or (isinstance(data, dict) and data.get("examples")):
            continue
        line = data.line_of("scenario") if isinstance(data, YMap) else document.line
        if name in first:
            problems.append(Problem(file, line,
                                    f"scenario name '{name}' is already used on line "
                                    f"{first[name]}",
                                    "give each scenario in a file its own name"))
        else:
            first[name] = line
    return problems


# --------------------------------------------------------------------------- output

def _plural(count: int, word: str) -> str:
    return f"{count} {word}" + ("" if count == 1 else "s")


def _print_text(result: CheckResult, out: TextIO) -> None:
    for problem in result.problems:
        print(problem.format(), file=out)
    if result.problems:
        print(f"{_plural(len(result.problems), 'problem')} in "
              f"{_plural(result.files_with_problems, 'file')}", file=out)
    else:
        verb = "is" if result.scenarios == 1 else "are"
        print(f"{_plural(result.scenarios, 'scenario')} in {_plural(result.files, 'file')} "
              f"{verb} valid", file=out)


def _print_json(problems: list[Problem], out: TextIO) -> None:
    items = [{"file": p.file, "line": p.line, "message": p.message, "fix": p.fix}
             for p in problems]
    json.dump(items, out, indent=2, ensure_ascii=False)
    out.write("\n")


if __name__ == "__main__":
    sys.exit(main())
