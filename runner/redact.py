"""One redaction mechanism for every output boundary.

Secrets (the API token, later the judge's key) are registered once per run;
everything the runner writes for people passes through :meth:`Redactor.redact`.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

MASK = "«redacted»"


class Redactor:
    def __init__(self, secrets: Iterable[str | None] = ()) -> None:
        # Longest first, so a secret that contains another is masked whole.
        self._secrets = sorted({s for s in secrets if s and len(s) >= 4}, key=len, reverse=True)

    def redact(self, text: str) -> str:
        for secret in self._secrets:
            if secret in text:
                text = text.replace(secret, MASK)
        return text

    def redact_tree(self, value: Any) -> Any:
        if isinstance(value, str):
            return self.redact(value)
        if isinstance(value, dict):
            return {self.redact(str(k)): self.redact_tree(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self.redact_tree(v) for v in value]
        return value

    def __bool__(self) -> bool:
        return bool(self._secrets)
