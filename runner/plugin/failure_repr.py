"""The failure report as pytest's ``longrepr``, with a one-line summary.

pytest's short test summary and JUnit's ``message`` attribute read
``longrepr.reprcrash.message``; a plain string has none, so they would show only
the report's first line.
"""

from __future__ import annotations

from dataclasses import dataclass

from _pytest._code.code import TerminalRepr
from _pytest._io import TerminalWriter


@dataclass(eq=False)
class _Crash:
    message: str
    path: str
    lineno: int


class ScenarioFailureRepr(TerminalRepr):
    def __init__(self, text: str, summary: str, path: str, line: int) -> None:
        self.text = text
        self.reprcrash = _Crash(summary, path, line)

    def toterminal(self, tw: TerminalWriter) -> None:
        for line in self.text.splitlines():
            tw.line(line)
