from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import RunPytest as RunPytest
from tests.conftest import WriteFile as WriteFile

WriteSuite = Callable[[dict[str, str]], None]

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


@pytest.fixture
def suite(write: WriteFile) -> WriteSuite:
    """Write several files into the pytester folder, dedented."""

    def _suite(files: dict[str, str]) -> None:
        for name, text in files.items():
            write(text, name)

    return _suite


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
