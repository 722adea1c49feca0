"""``osvi-scenarios``: command-line tools for scenario files.

``osvi-scenarios check PATH...`` validates scenario files without running them
(schema, static checks, mock agents) and prints one ``file:line: message; fix``
line per problem, so it fits a pre-commit hook, CI or an editor task. Exit
status: 0 all valid, 1 problems found, 2 the command itself was used wrongly.
"""

from __future__ import annotations

import argparse
import asyncio
import fnmatch
import io
import json
import os
import sys
import traceback
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from runner.core.errors import Problem, ScenarioFileError, printable
from runner.core.options import (
    DEFAULT_PATTERNS,
    OPTIONS,
    OptionValueError,
    Tool,
    argparse_spec,
    merge,
    option,
)
from runner.core.redact import Redactor, environment_secrets
from runner.execution.raw_steps import request_tokens
from runner.execution.repeat import MAX_RUNS
from runner.execution.settings import Settings, SettingsError, settings_from
from runner.judging import semantic
from runner.language.loader import MockFileCache, load_scenarios
from runner.language.matchers import DEFAULT_SIMILARITY
from runner.language.mock_files import project_root
from runner.language.model import Scenario
from runner.report.transcript_store import TranscriptError
from runner.tools.diff import DEFAULT_THRESHOLD, run_diff, write_json, write_text
from runner.tools.record import (
    STYLES,
    Observation,
    RecordError,
    apply,
    left_out,
    run_all,
    unified_diff,
    write_atomically,
)

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
                            "json: a list of {file, line, message, fix} for editors "
                            "(warnings also have \"severity\": \"warning\")")
    _add_table_options(check, "check")
    check.set_defaults(handler=_run_check)
    _add_record(commands)
    _add_diff(commands)
    return parser


def _add_record(commands: Any) -> None:
    record = commands.add_parser(
        "record", help="run a scenario and write the replies it got into it as expectations",
        description="Run a scenario file (on the embedded mock, or live) and write an "
                    "expectation for every customer/tell step that has no `reply` one yet, "
                    "from the reply observed. Comments and layout are kept; the file is "
                    "replaced atomically. Exit status: 0 written or nothing to add, 1 the "
                    "file has problems or a run broke, 2 usage error.")
    record.add_argument("file", metavar="FILE", help="the scenario file to record into")
    _add_table_options(record, "record")
    for old, name in _OLD_SPELLINGS.items():
        record.add_argument(old, dest=option(name).dest, action=_OldSpelling,
                            choices=option(name).choices or None, help=argparse.SUPPRESS)
    record.add_argument("--style", choices=STYLES, default="contains",
                        help="contains: the reply's key phrases (default); similar_to: the "
                             "reply's meaning (needs the semantic extra to run); exact: the "
                             "whole reply")
    record.add_argument("--min", type=float, default=DEFAULT_SIMILARITY, metavar="SCORE",
                        help="with --style similar_to: the `min` to write "
                             f"(default {DEFAULT_SIMILARITY})")
    record.add_argument("--runs", type=int, default=1, metavar="N",
                        help="run every scenario N times (1 to 100) and write only what every "
                             "run agrees on")
    record.add_argument("--overwrite", action="store_true",
                        help="replace `reply` expectations the file already has")
    record.add_argument("--dry-run", action="store_true",
                        help="print the change as a unified diff; write nothing")
    record.set_defaults(handler=_run_record)


def _add_table_options(parser: argparse.ArgumentParser, tool: Tool) -> None:
    """The pytest options this command takes, under the same names (runner/core/options.py)."""
    for item in OPTIONS:
        if item.flag and tool in item.tools:
            parser.add_argument(item.flag, **argparse_spec(item, ini=False))


# `record`'s names before it took pytest's: still understood, no longer documented.
_OLD_SPELLINGS = {"--target": "target", "--base-url": "base_url", "--agent": "agent"}


class _OldSpelling(argparse.Action):
    def __call__(self, parser: argparse.ArgumentParser, namespace: argparse.Namespace,
                 values: Any, option_string: str | None = None) -> None:
        new = next(item.flag for item in OPTIONS if item.flag and item.dest == self.dest)
        print(f"osvi-scenarios: note: {option_string} is deprecated; write {new}",
              file=sys.stderr)
        setattr(namespace, self.dest, values)


def _add_diff(commands: Any) -> None:
    diff = commands.add_parser(
        "diff", help="compare the transcripts of two runs: which replies changed in meaning",
        description="Compare two runs' transcripts (folders written by pytest "
                    "--osvi-transcripts, or report folders holding a transcripts/ folder): "
                    "scenarios added or removed, outcome changes, and the replies whose "
                    "meaning changed, most changed first. Exit status: 0 nothing changed in "
                    "meaning, 1 something did, 2 usage error.")
    diff.add_argument("run_a", metavar="RUN_A", help="the earlier run, e.g. last night's")
    diff.add_argument("run_b", metavar="RUN_B", help="the later run, e.g. today's")
    diff.add_argument("--threshold", type=float, default=DEFAULT_THRESHOLD, metavar="SCORE",
                      help="replies less similar than this changed in meaning (default 0.9)")
    diff.add_argument("--format", choices=("text", "json"), default="text",
                      help="text for people (default) or json for tools")
    diff.set_defaults(handler=_run_diff)


# --------------------------------------------------------------------------- record

def _run_record(args: argparse.Namespace) -> int:
    path = Path(args.file)
    if not path.is_file():
        raise UsageError(f"'{args.file}' is not a file")
    if not 1 <= args.runs <= MAX_RUNS:
        raise UsageError(f"--runs {args.runs} is not a number of runs from 1 to {MAX_RUNS}; "
                         "write e.g. --runs 5")
    if args.style == "similar_to" and not 0 <= args.min <= 1:
        raise UsageError(f"--min {args.min} is not a number from 0 to 1")
    env = os.environ
    try:
        scenarios = load_scenarios(path, env)
    except ScenarioFileError as error:
        redact_problem = Redactor(environment_secrets(env)).redact
        for problem in error.problems:
            print(redact_problem(problem.format()), file=sys.stderr)
        return 1
    # As pytest decides, ini files aside: `auto` is live when a base URL is set.
    values = merge(lambda item: getattr(args, item.dest, None), env, lambda item: None)
    try:
        settings = settings_from(values, env)
    except (SettingsError, OptionValueError) as error:
        raise UsageError(str(error)) from None
    # The token is masked on the mock too: a scenario may send `{{ env.OSVI_API_TOKEN }}`.
    redactor = Redactor([*settings.secrets, *environment_secrets(env)]).joined(
        request_tokens(scenarios, env))  # a `request:` step's own token is a secret too
    redact = redactor.redact
    if args.style == "similar_to" and not semantic.available():
        print(f"note: {semantic.missing_message()} (to run the file; recording works without)",
              file=sys.stderr)
    runnable, left = left_out(scenarios, _display(path))
    for note in left:  # said before anything runs
        print(redact(f"note: {note}"), file=sys.stderr)
    if not runnable:
        print(redact(f"osvi-scenarios record: nothing was recorded: every scenario in "
                     f"{_display(path)} needs an LLM"), file=sys.stderr)
        return 1
    try:
        observed = asyncio.run(_observe(runnable, settings, env, args.runs))
        before = path.read_text("utf-8")
        outcome = apply(before, _display(path), observed, sorted({s.line for s in scenarios}),
                        style=args.style, overwrite=args.overwrite, minimum=args.min,
                        redactor=redactor, runs=args.runs)
    except RecordError as error:
        print(redact(f"osvi-scenarios record: {error}"), file=sys.stderr)
        return 1
    except Exception as error:  # a bug of ours: one masked line, not a traceback
        print(redact(_internal_error("record", error)), file=sys.stderr)
        return 1
    for note in outcome.notes:
        print(redact(f"note: {note}"), file=sys.stderr)
    if outcome.text == before:
        print("nothing to record: every reply step already has a `reply` expectation")
        return 0
    if args.dry_run:
        sys.stdout.write(redact(unified_diff(before, outcome.text, _display(path))))
        return 0
    try:
        write_atomically(path, outcome.text)
    except OSError as error:
        print(redact(f"osvi-scenarios record: could not write {_display(path)}: {error}"),
              file=sys.stderr)
        return 1
    runs = f" over {args.runs} runs" if args.runs > 1 else ""
    print(f"recorded {len(outcome.added)} "
          f"{'expectation' if len(outcome.added) == 1 else 'expectations'} into "
          f"{_display(path)} ({args.style}, from {settings.describe()}{runs}); review with "
          "`git diff` and commit:")
    for added in outcome.added:
        print(f"  {added}")
    return 0


async def _observe(scenarios: Sequence[Scenario], settings: Settings, env: Mapping[str, str],
                   runs: int = 1) -> dict[tuple[int, str, int], Observation]:
    """Run the scenarios; the targets' connections are closed in the loop that opened them."""
    targets: list[Any] = []

    def make_target() -> Any:
        targets.append(settings.make_target())
        return targets[-1]

    try:
        return await run_all(scenarios, make_target, env, settings.agent, runs)
    finally:
        for target in targets:
            close = getattr(target, "aclose", None)  # live targets keep a connection pool
            if close is not None:
                await close()


def _internal_error(command: str, error: Exception) -> str:
    """A bug's one-line report, naming the innermost frame of this package."""
    package = Path(__file__).resolve().parent.parent  # the runner package
    where = ""
    for frame in reversed(traceback.extract_tb(error.__traceback__)):
        if Path(frame.filename).resolve().is_relative_to(package):
            where = f" at {Path(frame.filename).name}:{frame.lineno}"
            break
    return (f"osvi-scenarios {command}: internal error{where}: {type(error).__name__}: "
            f"{error}\nThis is a bug in osvi-scenarios, not in your scenario: please report it "
            "with the scenario file.")


# --------------------------------------------------------------------------- diff

def _run_diff(args: argparse.Namespace) -> int:
    if not 0 <= args.threshold <= 1:
        raise UsageError(f"--threshold {args.threshold} is not a number from 0 to 1")
    try:
        report = run_diff(Path(args.run_a), Path(args.run_b), threshold=args.threshold)
    except TranscriptError as error:
        raise UsageError(str(error)) from None
    if args.format == "json":
        write_json(report, sys.stdout)
    else:
        write_text(report, sys.stdout)
    return 1 if report.differs else 0


# --------------------------------------------------------------------------- check

def _run_check(args: argparse.Namespace) -> int:
    files = find_scenario_files(args.paths, args.pattern or DEFAULT_PATTERNS)
    mock_files = MockFileCache(project_root(Path.cwd()),
                               allow_outside_root=bool(args.osvi_allow_outside_root))
    result = check_files(files, os.environ, mock_files)
    # A problem may quote a value filled in from `{{ env.OSVI_API_TOKEN }}`: mask it.
    out = io.StringIO()
    if args.format == "json":
        _print_json(result.problems, out, result.warnings)
    else:
        _print_text(result, out)
    sys.stdout.write(Redactor(environment_secrets(os.environ)).redact(out.getvalue()))
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
    absolute = path.parent.resolve() / path.name  # a link stays itself (it may lead nowhere)
    try:
        return str(absolute.relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(absolute)


@dataclass
class CheckResult:
    problems: list[Problem] = field(default_factory=list)
    scenarios: int = 0
    files: int = 0
    warnings: list[Problem] = field(default_factory=list)

    @property
    def files_with_problems(self) -> int:
        return len({p.file for p in self.problems})


def check_files(files: Iterable[Path], env: Mapping[str, str],
                mock_files: MockFileCache | None = None) -> CheckResult:
    """Check every file exactly as pytest collection does; shared mock files load once."""
    result = CheckResult()
    mock_files = mock_files or MockFileCache()
    for path in files:
        result.files += 1
        try:
            problems, scenarios = check_file(path, env, mock_files, result.warnings)
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


def check_file(path: Path, env: Mapping[str, str], mock_files: MockFileCache | None = None,
               warnings: list[Problem] | None = None) -> tuple[list[Problem], int]:
    """The problems of one scenario file and how many test items it makes.

    Its warnings go to ``warnings`` (dropped when None).
    """
    try:
        scenarios = load_scenarios(Path(_display(path)), env, mock_files,
                                   warnings if warnings is not None else [])
    except ScenarioFileError as error:
        return list(error.problems), 0
    return [], len(scenarios)


# --------------------------------------------------------------------------- output

def _plural(count: int, word: str) -> str:
    return f"{count} {word}" + ("" if count == 1 else "s")


def _print_text(result: CheckResult, out: TextIO) -> None:
    warned = [(w, True) for w in result.warnings]
    for problem, warning in sorted([*((p, False) for p in result.problems), *warned],
                                   key=lambda item: (item[0].file, item[0].line)):
        label = "warning: " if warning else ""
        via = f", included from {problem.via}" if problem.via else ""
        print(printable(f"{problem.file}:{problem.line}{via}: {label}{problem.message}"
                        + (f"; {problem.fix}" if problem.fix else "")), file=out)
    warnings = f" ({_plural(len(result.warnings), 'warning')})" if result.warnings else ""
    if result.problems:
        print(f"{_plural(len(result.problems), 'problem')} in "
              f"{_plural(result.files_with_problems, 'file')}{warnings}", file=out)
    else:
        verb = "is" if result.scenarios == 1 else "are"
        print(f"{_plural(result.scenarios, 'scenario')} in {_plural(result.files, 'file')} "
              f"{verb} valid{warnings}", file=out)


def _print_json(problems: list[Problem], out: TextIO,
                warnings: Sequence[Problem] = ()) -> None:
    items: list[dict[str, Any]] = [
        {"file": p.file, "line": p.line, "message": p.message, "fix": p.fix} for p in problems]
    items += [{"file": w.file, "line": w.line, "message": w.message, "fix": w.fix,
               "severity": "warning"} for w in warnings]
    json.dump(items, out, indent=2, ensure_ascii=False)
    out.write("\n")


if __name__ == "__main__":
    sys.exit(main())
