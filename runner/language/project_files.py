"""Files a scenario pulls in (fragments, agents it extends): found, and kept in the project.

The same rule as shared mock files (:mod:`runner.language.mock_files`): a path
relative to the including file, to an ordinary file inside the project folder
unless ``--osvi-allow-outside-root`` says otherwise.
"""

from __future__ import annotations

import os
from pathlib import Path

from runner.language.mock_files import OUTSIDE_FIX, MockFileCache


def file_refused(kind: str, spec: str, target: Path, cache: MockFileCache,
                 fix: str) -> tuple[str, str] | None:
    """Why ``spec`` (a ``kind`` such as "fragment file") cannot be read: (message, fix)."""
    where = f"(looked for {os.path.abspath(target)})"
    if not os.path.isfile(target):
        return f"{kind} '{spec}' not found {where}", fix
    if cache.outside(target.resolve()) and not cache.allow_outside_root:
        return f"{kind} '{spec}' is outside the project folder {cache.root}", OUTSIDE_FIX
    return None
