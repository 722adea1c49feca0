"""Entries named like scenario files that pytest would pass over in silence (the pytest side).

pytest collects only what ``is_file()`` says is a file, so a link that leads
nowhere or loops, a named pipe or a link to a device never reaches
``pytest_collect_file``: a scenario lost without a word. After each folder is
collected, such entries whose names match the scenario patterns are added as
scenario files; loading them then fails with a collection error saying what
the entry is. Nothing is opened: the loader looks with ``stat`` first.
"""

from __future__ import annotations

import fnmatch
import os
from collections.abc import Callable, Generator, Sequence
from pathlib import Path
from typing import Any

import pytest


class OddEntries:
    """A plugin: ``make(collector, path)`` builds the scenario file node of an odd entry."""

    def __init__(self, patterns: Sequence[str],
                 make: Callable[[pytest.Collector, Path], pytest.Collector]) -> None:
        self.patterns = tuple(patterns)
        self.make = make

    @pytest.hookimpl(wrapper=True)
    def pytest_make_collect_report(
            self, collector: pytest.Collector) -> Generator[None, pytest.CollectReport,
                                                           pytest.CollectReport]:
        report = yield
        if isinstance(collector, pytest.Directory) and report.passed:
            report.result.extend(self._odd(collector))
        return report

    def _odd(self, collector: pytest.Directory) -> list[Any]:
        try:
            entries = sorted(os.scandir(collector.path), key=lambda entry: entry.name)
        except OSError:
            return []
        found = []
        for entry in entries:
            if not any(fnmatch.fnmatch(entry.name, p) for p in self.patterns):
                continue
            if _is_file_or_folder(entry):
                continue  # pytest itself collects these
            path = Path(entry.path)
            if collector.ihook.pytest_ignore_collect(collection_path=path,
                                                     config=collector.config):
                continue
            found.append(self.make(collector, path))
        return found


def _is_file_or_folder(entry: os.DirEntry[str]) -> bool:
    try:
        return entry.is_file() or entry.is_dir()
    except OSError:  # a link that loops
        return False
