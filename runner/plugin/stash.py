"""Typed ``config.stash`` keys: the plugin's run state, importable by every plugin module.

Kept in a module of their own so that reporting hooks read the state through a
key they import, never by looking up attributes on another module.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:  # the keys are made before the library is imported (a lazy plugin)
    from runner.core.redact import Redactor
    from runner.execution.run_loop import RunLoop
    from runner.execution.settings import Settings
    from runner.execution.targets import Target
    from runner.execution.toolkit import ToolkitSettings
    from runner.language.mock_files import MockFileCache
    from runner.plugin.scheduling import ConcurrentScenarios

SETTINGS: pytest.StashKey[Settings] = pytest.StashKey()
REDACTOR: pytest.StashKey[Redactor] = pytest.StashKey()
MOCK_FILES: pytest.StashKey[MockFileCache] = pytest.StashKey()
RUN_ID: pytest.StashKey[str] = pytest.StashKey()
TOOLKIT: pytest.StashKey[ToolkitSettings] = pytest.StashKey()
CONCURRENCY: pytest.StashKey[ConcurrentScenarios] = pytest.StashKey()
# The run's target (one connection pool for every scenario) and, run one at a time, its loop.
TARGET: pytest.StashKey[Target] = pytest.StashKey()
RUN_LOOP: pytest.StashKey[RunLoop] = pytest.StashKey()
# Set by the entry point on every run: the scenario file patterns, known before the library loads.
PATTERNS: pytest.StashKey[tuple[str, ...]] = pytest.StashKey()
# Puts the log record factory back as it was before secrets were masked in log records.
UNDO_LOG_REDACTION: pytest.StashKey[Callable[[], None]] = pytest.StashKey()
