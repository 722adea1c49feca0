"""Answers of the LLM, kept by question: in memory for the run, and on disk with a folder.

The key is the sha256 of the request as canonical JSON (model, messages and
parameters), so the same question never costs twice: not in ``repeat`` runs,
not in the next run. The endpoint and the key are not part of it: the same
model gives the same answer wherever it is served.

Modes: ``use`` reads and writes; ``refresh`` asks again (answers already got
in this run are reused) and overwrites; ``off`` neither reads nor writes;
``replay`` only reads, and a question it has no answer for is an error naming
that question (for runs that must not reach a model).

A file is written next to its final name and renamed into place, so readers
never see half of one, and runs (or xdist workers) sharing a folder never
corrupt each other: the last of two identical answers wins.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from runner.core.errors import RunnerError

CACHE_MODES = ("use", "refresh", "off", "replay")
FORMAT = 1  # part of every key: a new layout never reads an old answer


class ReplayMiss(RunnerError):
    """``replay`` mode was asked a question it has no answer for."""


def request_key(request: Mapping[str, Any]) -> str:
    """The sha256 of the request as canonical JSON (sorted keys, no spaces)."""
    canonical = json.dumps({"format": FORMAT, **request}, sort_keys=True, ensure_ascii=False,
                           separators=(",", ":"), allow_nan=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


class LLMCache:
    """The run's answers; one instance shared by every scenario of a run."""

    def __init__(self, folder: Path | None = None, mode: str = "use") -> None:
        if mode not in CACHE_MODES:
            raise ValueError(f"unknown cache mode {mode!r}")
        self.folder = folder
        self.mode = mode
        self._memory: dict[str, dict[str, Any]] = {}

    @property
    def reads(self) -> bool:
        return self.mode != "off"

    @property
    def replay(self) -> bool:
        return self.mode == "replay"

    def path(self, key: str) -> Path | None:
        return self.folder / key[:2] / f"{key}.json" if self.folder is not None else None

    def get(self, key: str) -> dict[str, Any] | None:
        """The stored answer (``content`` and ``usage``), or None."""
        if self.mode == "off":
            return None
        if key in self._memory:
            return self._memory[key]
        if self.mode == "refresh":  # the disk holds what is being refreshed
            return None
        found = self._read(key)
        if found is not None:
            self._memory[key] = found
        return found

    def _read(self, key: str) -> dict[str, Any] | None:
        path = self.path(key)
        if path is None:
            return None
        try:
            entry = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):  # absent, or damaged by hand: ask again
            return None
        answer = entry.get("answer") if isinstance(entry, dict) else None
        if not isinstance(answer, dict) or not isinstance(answer.get("content"), str):
            return None
        return answer

    def put(self, key: str, request: Mapping[str, Any], answer: dict[str, Any]) -> None:
        """Keep ``answer``; on disk too when there is a folder. Nothing in ``off``/``replay``."""
        if self.mode in ("off", "replay"):
            return
        self._memory[key] = answer
        path = self.path(key)
        if path is not None:
            self._write(path, {"key": key, "request": dict(request), "answer": answer})

    def forget(self, key: str) -> None:
        """Drop an answer the caller could not use, so the question is asked again."""
        self._memory.pop(key, None)

    @staticmethod
    def _write(path: Path, entry: dict[str, Any]) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".", suffix=".tmp")
        try:
            with os.fdopen(handle, "w", encoding="utf-8") as file:
                json.dump(entry, file, ensure_ascii=False, indent=1)
            os.replace(temporary, path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(temporary)
            raise
