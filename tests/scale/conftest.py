from __future__ import annotations

import json
import re
import textwrap
import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

RunPytest = Callable[..., pytest.RunResult]
WriteSuite = Callable[[dict[str, str]], None]


@pytest.fixture(autouse=True)
def _no_live_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """The developer's shell (or CI) must not turn these runs live or add an executor."""
    for name in ("OSVI_BASE_URL", "OSVI_API_TOKEN", "OSVI_AGENT_UUID", "GITHUB_ACTIONS",
                 "GITLAB_CI"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def suite(pytester: pytest.Pytester) -> WriteSuite:
    """Write several files into the pytester folder, dedented."""

    def _suite(files: dict[str, str]) -> None:
        for name, text in files.items():
            path = pytester.path / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")

    return _suite


@pytest.fixture
def run(pytester: pytest.Pytester) -> RunPytest:
    def _run(*args: str) -> pytest.RunResult:
        return pytester.runpytest("-p", "no:cacheprovider", *args)

    return _run


# What differs between any two runs of one suite, sequential or not: ids made up
# per run, clock readings and durations.
_VOLATILE = [
    (re.compile(r"osvi-qa-[0-9a-f]+"), "<customer>"),
    (re.compile(r"\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b"), "<uuid>"),
    (re.compile(r"\bsess_[0-9A-Za-z]+"), "<session>"),
    (re.compile(r"\b\d\d:\d\d\.\d{3}\b"), "<clock>"),
    (re.compile(r"\b\d+(\.\d+)?(ms|s)\b"), "<time>"),
    (re.compile(r"\bin \d+\.\d+s\b"), "in <time>"),
    (re.compile(r"\(\d+:\d\d:\d\d\)"), ""),
]


def normalized(text: str) -> str:
    for pattern, replacement in _VOLATILE:
        text = pattern.sub(replacement, text)
    return text


def terminal_lines(result: pytest.RunResult) -> list[str]:
    """The terminal output without the run's ids and timings.

    The slowest-steps list is left out: with steps of equal length its order is
    decided by noise, in any two runs alike.
    """
    lines: list[str] = []
    skipping = False
    for line in result.outlines:
        if line.startswith("slowest steps:"):
            skipping = True
            continue
        if skipping and not line.strip():
            skipping = False
        if not skipping:
            lines.append(normalized(line).rstrip())
    return lines


def junit_cases(path: Path) -> list[dict[str, Any]]:
    """Each testcase as comparable data: names, outcome element and texts."""
    cases = []
    for case in ET.parse(path).getroot().iter("testcase"):
        found: dict[str, Any] = {"classname": case.get("classname"), "name": case.get("name")}
        for child in case:
            if child.tag == "properties":
                found["properties"] = sorted(
                    (p.get("name"), normalized(p.get("value", ""))) for p in child)
            else:
                found[child.tag] = (normalized(child.get("message", "")),
                                    normalized(child.text or ""))
        cases.append(found)
    return cases


def allure_tests(folder: Path) -> list[dict[str, Any]]:
    found = [json.loads(p.read_text("utf-8")) for p in folder.glob("*-result.json")]
    return sorted(found, key=lambda r: str(r.get("name")))


def allure_summary(folder: Path) -> list[tuple[str, str, list[tuple[str, str]]]]:
    """(name, status, [(step name, step status)]) per test result."""
    return [(normalized(t["name"]), t["status"],
             [(normalized(s["name"]), s["status"]) for s in t.get("steps", [])])
            for t in allure_tests(folder)]


def step_interval(test: dict[str, Any]) -> tuple[int, int]:
    """When a scenario really ran, from its recorded steps (ms since the epoch)."""
    steps = test["steps"]
    return min(s["start"] for s in steps), max(s["stop"] for s in steps)
