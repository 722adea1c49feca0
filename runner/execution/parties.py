"""The named customers of one run: each party's customer_id and its latest session.

A step with ``as: anna`` sends as anna's customer_id and acts on anna's
session, so two parties never share a session unless the platform mixes them up,
which is what a scenario with several parties sets out to catch.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping


def new_customer_id() -> str:
    return f"osvi-qa-{uuid.uuid4().hex[:12]}"


class Parties:
    def __init__(self, written: Mapping[str, str | None]) -> None:
        self._written = dict(written)
        self.ids: dict[str, str] = {}
        self._sessions: dict[str, str] = {}

    def resolve(self, fill: Callable[[str], str], *, fresh: bool) -> None:
        """Each party's customer_id: as written (placeholders filled), else a fresh one.
        ``fresh`` (repeated runs) ignores written ids so that runs never share a session."""
        for name, given in self._written.items():
            self.ids[name] = fill(given) if given and not fresh else new_customer_id()

    def session(self, party: str) -> str | None:
        return self._sessions.get(party)

    def follow(self, party: str, session: str) -> None:
        self._sessions[party] = session
