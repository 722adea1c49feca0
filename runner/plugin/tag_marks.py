"""Scenario tags as pytest marks, registered once per run (the pytest side).

pytest rereads every registered marker line whenever a mark name is new to
it. Registering each tag for each scenario that has it, one at a time, made
that quadratic: 10,000 tags took over a minute to collect. Here each distinct
tag is registered once, a scenario's new tags all before their first use (so
pytest rereads the lines once per scenario that brings new tags, not once per
tag), and each tag's mark is made once.
"""

from __future__ import annotations

from collections.abc import Iterable

import pytest

_MARKS = pytest.StashKey[dict[str, pytest.MarkDecorator]]()


def tag_marks(config: pytest.Config, tags: Iterable[str]) -> list[pytest.MarkDecorator]:
    """The marks for ``tags``, registering the ones this run has not seen yet."""
    marks = config.stash.setdefault(_MARKS, {})
    wanted = list(dict.fromkeys(tags))
    new = [tag for tag in wanted if tag not in marks]
    for tag in new:
        config.addinivalue_line("markers", f"{tag}: scenario tag")
    for tag in new:
        marks[tag] = getattr(pytest.mark, tag)
    return [marks[tag] for tag in wanted]
