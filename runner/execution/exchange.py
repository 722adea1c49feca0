"""One request and its answer, as the run records it: data, no HTTP.

The client fills it in; the transcript, expectations and reports read it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from runner.core.text import flat, shorten


def seconds_text(value: float) -> str:
    """Retry-After is whole seconds on the wire; show it that way."""
    return f"{math.ceil(value)}s"


@dataclass
class Exchange:
    """One request and its answer."""

    method: str
    path: str
    body: dict[str, Any]
    started: float = 0.0  # wall clock, seconds since the epoch
    elapsed: float = 0.0
    status: int | None = None
    data: Any = None  # the parsed JSON body, or None
    text: str = ""  # the raw body, for non-JSON answers
    retry_after: float | None = None  # seconds, when the answer asked to come back later
    attempts: int = 1  # how many times the request was sent or tried
    # The answer's headers, names lower-cased; never the request's, which carry the token.
    headers: dict[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300

    @property
    def payload(self) -> dict[str, Any]:
        """The ``data`` object of a success answer (empty when absent)."""
        if isinstance(self.data, dict) and isinstance(self.data.get("data"), dict):
            return dict(self.data["data"])
        return {}

    @property
    def error_code(self) -> str | None:
        if isinstance(self.data, dict) and isinstance(self.data.get("error"), str):
            return str(self.data["error"])
        return None

    @property
    def upstream(self) -> dict[str, Any]:
        if isinstance(self.data, dict) and isinstance(self.data.get("upstream_body"), dict):
            return dict(self.data["upstream_body"])
        return {}

    def describe_error(self) -> str:
        """``HTTP 422 · error agent_archived · upstream state rejected, reason …``."""
        parts = [f"HTTP {self.status}"]
        if self.error_code:
            parts.append(f"error {self.error_code!r}")
        upstream = self.upstream
        if upstream:
            parts.append("upstream " + ", ".join(f"{k} {v}" for k, v in upstream.items()))
        if self.data is None and self.text:
            snippet = shorten(flat(self.text), 120)
            parts.append(f"body (not JSON) {snippet!r}")
        if self.retry_after is not None:
            parts.append(f"Retry-After {seconds_text(self.retry_after)}")
        if self.attempts > 1:
            parts.append(f"after {self.attempts} attempts")
        return " · ".join(parts)
