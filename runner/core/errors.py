"""Error types shared by every layer.

A :class:`Problem` is one thing wrong with a file the user wrote, with where it
is and what to write instead; the loader, the schema check and the static
checks all speak in problems so every entry point prints them the same way.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Problem:
    """One mistake in a user's file, located and with a suggested fix."""

    file: str
    line: int
    message: str
    fix: str = ""
    via: str = ""  # for an included fragment: "scenario.yaml:12", the include that brought it

    def format(self) -> str:
        where = f"{self.file}:{self.line}" + (f", included from {self.via}" if self.via else "")
        text = f"{where}: {self.message}"
        return printable(f"{text}; {self.fix}" if self.fix else text)


def printable(text: str) -> str:
    """``text`` with control characters (and lone surrogates) spelled out as escapes.

    Messages quote what the user wrote; an escape sequence in a key must not
    clear a terminal or garble a CI log, and one problem stays one line.
    """
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else c.encode("unicode_escape", "backslashreplace")
                   .decode("ascii") for c in text)


class ScenarioFileError(Exception):
    """A file could not be loaded or validated; carries every problem found."""

    def __init__(self, problems: Iterable[Problem]) -> None:
        self.problems = sorted(problems, key=lambda p: (p.file, p.line))
        super().__init__("\n".join(p.format() for p in self.problems))

    @classmethod
    def single(cls, file: str | Path, line: int, message: str, fix: str = "") -> ScenarioFileError:
        return cls([Problem(str(file), line, message, fix)])


class RunnerError(Exception):
    """A problem running scenarios that is not a failed expectation.

    Its message is shown to the user as it is, without a traceback.
    """
