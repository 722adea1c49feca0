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
from typing import TextIO

from runner.errors import Problem, ScenarioFileError
from runner.loader import MockFileCache, load_scenarios
from runner.settings import DEFAULT_PATTERNS

# Folders never worth searching for scenarios.
_SKIPPED_DIRS = {"__pycache__", "node_modules"}


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
    """Check every file exactly as pytest collection does; shared mock files load once."""
    result = CheckResult()
    mock_files = MockFileCache()
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
        # A shared mock agent file's problems come back with every file using it.
        result.problems.extend(p for p in problems if p not in result.problems)
        result.scenarios += scenarios
    return result


def check_file(path: Path, env: Mapping[str, str],
               mock_files: MockFileCache | None = None) -> tuple[list[Problem], int]:
    """The problems of one scenario file and how many test items it makes."""
    try:
        scenarios = load_scenarios(Path(_display(path)), env, mock_files)
    except ScenarioFileError as error:
        return list(error.problems), 0
    return [], len(scenarios)


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
