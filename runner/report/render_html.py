"""Render the Allure results of a run into one self-contained HTML report.

    python -m runner.report.render_html [--results DIR] [--output DIR] [--history FILE]
                                        [--config FILE]

Runs Allure 3 (the npm package ``allure``, pinned in package-lock.json) with
``allurerc.mjs``: a single ``index.html`` that opens from disk, offline. The
history that trends and flaky detection build on is kept between runs beside
the report (``reports/history.jsonl`` for the default ``reports/allure-report``),
or where ``--history`` says: rendering a report elsewhere never touches the
project's own history. Problems (no Node, no ``npm ci`` yet, no results) are
explained in one message and an exit code, never a traceback.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

CONFIG_NAME = "allurerc.mjs"
HISTORY_NAME = "history.jsonl"
DEFAULT_RESULTS = Path("reports") / "allure-results"
DEFAULT_OUTPUT = Path("reports") / "allure-report"
TIME_LIMIT = 600.0

EXIT_OK = 0
EXIT_FAILED = 1  # Allure ran and failed
EXIT_NO_RESULTS = 2
EXIT_NO_TOOLS = 3


class RenderProblem(Exception):
    def __init__(self, message: str, code: int) -> None:
        super().__init__(message)
        self.code = code


def find_root(start: Path) -> Path:
    """The project folder: the nearest folder up from ``start`` holding allurerc.mjs."""
    for folder in (start, *start.parents):
        if (folder / CONFIG_NAME).is_file():
            return folder
    raise RenderProblem(f"no {CONFIG_NAME} in {start} or above it: run this from the "
                        "project folder (the one with package.json)", EXIT_NO_TOOLS)


def allure_command(root: Path) -> list[str]:
    """How to start the pinned Allure CLI, or a problem telling what to install."""
    node = shutil.which("node")
    if node is None:
        raise RenderProblem("Node.js (20 or newer) is needed to render the HTML report and "
                            "was not found on PATH. Install it (Debian/Ubuntu: apt-get install "
                            "nodejs npm), then run `npm ci` in " + str(root), EXIT_NO_TOOLS)
    cli = root / "node_modules" / "allure" / "cli.js"
    if not cli.is_file():
        raise RenderProblem(f"Allure 3 is not installed in {root / 'node_modules'}: run "
                            f"`npm ci` in {root} (it installs the version pinned in "
                            "package-lock.json; offline from the npm cache once it has "
                            "been fetched)", EXIT_NO_TOOLS)
    return [node, str(cli)]


def check_results(results: Path) -> None:
    if not results.is_dir():
        raise RenderProblem(f"no Allure results at {results}: run the scenarios with "
                            f"`pytest --alluredir {results}` first (make scenarios does)",
                            EXIT_NO_RESULTS)
    if not any(results.glob("*-result.json")):
        raise RenderProblem(f"{results} holds no test results (*-result.json): did the run "
                            "collect any scenario?", EXIT_NO_RESULTS)


def history_beside(output: Path) -> Path:
    """The history file of a report folder: next to it (reports/history.jsonl)."""
    return output.resolve().parent / HISTORY_NAME


def _with_history(config: Path, history: Path, folder: Path) -> Path:
    """A configuration that is ``config`` with its history file moved to ``history``.

    The Allure CLI has no option for it, and the project's configuration names
    ``reports/history.jsonl`` relative to the project folder.
    """
    wrapper = folder / CONFIG_NAME
    wrapper.write_text(f"import base from {json.dumps(config.resolve().as_uri())};\n"
                       f"export default {{ ...base, historyPath: "
                       f"{json.dumps(str(history.resolve()))} }};\n", encoding="utf-8")
    return wrapper


def render(results: Path, output: Path, root: Path, config: Path | None = None,
           history: Path | None = None) -> Path:
    """Run ``allure generate``; returns the report's index.html.

    ``history`` defaults to ``history.jsonl`` beside ``output``.
    """
    config = config or root / CONFIG_NAME
    if not config.is_file():
        raise RenderProblem(f"no Allure configuration at {config}", EXIT_NO_TOOLS)
    allure = allure_command(root)
    check_results(results)
    history = history or history_beside(output)
    try:
        history.parent.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise RenderProblem(f"cannot keep the history at {history}: {error}",
                            EXIT_FAILED) from None
    with tempfile.TemporaryDirectory(prefix="osvi-allure-") as folder:
        command = [*allure, "generate", str(results.resolve()), "--config",
                   str(_with_history(config, history, Path(folder))),
                   "--output", str(output.resolve())]
        return _generate(command, root, output)


def _generate(command: list[str], root: Path, output: Path) -> Path:
    env = {**os.environ, "NO_COLOR": "1", "FORCE_COLOR": "0"}
    try:
        done = subprocess.run(command, cwd=root, env=env, capture_output=True, text=True,
                              timeout=TIME_LIMIT, check=False)
    except subprocess.TimeoutExpired:
        raise RenderProblem(f"allure generate did not finish within {TIME_LIMIT:.0f}s",
                            EXIT_FAILED) from None
    except OSError as error:
        raise RenderProblem(f"could not start Allure ({command[0]}): {error}",
                            EXIT_NO_TOOLS) from None
    index = output / "index.html"
    if done.returncode != 0 or not index.is_file():
        tail = "\n".join((done.stdout + done.stderr).strip().splitlines()[-20:])
        raise RenderProblem(f"allure generate failed (exit {done.returncode}):\n{tail}",
                            EXIT_FAILED)
    html = index.read_text(encoding="utf-8")
    kept = without_analytics(html)
    if kept != html:
        index.write_text(kept, encoding="utf-8")
    return index


# Allure 3 puts a Google Analytics tag into every report, with no switch to leave it out:
# opening a test report would tell a third party about it (and fail offline).
_ANALYTICS = re.compile(
    r'\s*<script async src="https://www\.googletagmanager\.com/[^"]*"></script>'
    r"(\s*<script>\s*window\.dataLayer[^<]*</script>)?")


def without_analytics(html: str) -> str:
    """The report's HTML without the analytics tag and the script that feeds it."""
    return _ANALYTICS.sub("", html, count=1)


def _shown(path: Path) -> str:
    try:
        return os.path.relpath(path)
    except ValueError:
        return str(path)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m runner.report.render_html",
        description="Render Allure results into one self-contained HTML file with Allure 3.")
    parser.add_argument("--results", type=Path, default=None,
                        help=f"the --alluredir of the run (default: {DEFAULT_RESULTS})")
    parser.add_argument("--output", type=Path, default=None,
                        help=f"where the report goes (default: {DEFAULT_OUTPUT})")
    parser.add_argument("--history", type=Path, default=None,
                        help=f"the history file that trends build on (default: {HISTORY_NAME} "
                             "beside the output folder, e.g. reports/history.jsonl)")
    parser.add_argument("--config", type=Path, default=None,
                        help=f"the Allure 3 configuration (default: {CONFIG_NAME} in the "
                             "project folder; it sets the categories)")
    args = parser.parse_args(argv)
    try:
        root = find_root(Path.cwd())
        results = args.results or root / DEFAULT_RESULTS
        output = args.output or root / DEFAULT_OUTPUT
        index = render(results, output, root, args.config, args.history)
    except RenderProblem as problem:
        print(f"render_html: {problem}", file=sys.stderr)
        return problem.code
    except KeyboardInterrupt:
        return 130
    print(f"HTML report: {_shown(index)} (one file; open it in a browser, works offline)")
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
