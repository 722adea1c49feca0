"""What start-up and collection built, kept out of the run's garbage collections.

Python's cycle collector walks every tracked object of its oldest generation at
each full collection, and pytest runs two more when it ends. After start-up and
collection those are hundreds of thousands of objects (modules, compiled
schemas, the collected items) that live until the process exits.
``gc.freeze()`` moves them to the permanent generation, so the collections of a
run walk only what its scenarios allocate: about a fifth of the CPU time of the
200-conversation benchmark (docs/performance.md). Only runs that collected a
scenario are touched; a plain pytest run keeps the collector as it was.
"""

from __future__ import annotations

import gc
from collections.abc import Callable

import pytest


class FrozenHeap:
    """Freezes the heap once collection has found a scenario; registered as ``osvi-heap``."""

    def __init__(self, is_scenario: Callable[[pytest.Item], bool]) -> None:
        self._is_scenario = is_scenario

    @pytest.hookimpl(trylast=True)
    def pytest_collection_finish(self, session: pytest.Session) -> None:
        if any(self._is_scenario(item) for item in session.items):
            gc.freeze()
