"""One redaction mechanism for every output boundary.

Secrets (the API token, a password in the base URL, later the judge's key) are
registered once per run; everything the runner writes for people passes through
:meth:`Redactor.redact`, and :func:`redact_log_records` does the same for log
records. A secret is also masked in the forms it takes on its way out: escaped
in JSON, percent-encoded in a URL, escaped in HTML or XML.
"""

from __future__ import annotations

import html
import json
import logging
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import quote

MASK = "«redacted»"
# Shorter strings occur by chance in ordinary text; masking them would garble
# reports without protecting anything. Settings refuse live tokens this short.
MIN_SECRET_LENGTH = 4


def _forms(secret: str) -> set[str]:
    """The secret as written, and as JSON, URLs and HTML would carry it."""
    return {secret, json.dumps(secret)[1:-1], json.dumps(secret, ensure_ascii=False)[1:-1],
            quote(secret, safe=""), quote(secret), html.escape(secret),
            html.escape(secret, quote=False)}


class Redactor:
    def __init__(self, secrets: Iterable[str | None] = ()) -> None:
        forms = {form for s in secrets if s and len(s) >= MIN_SECRET_LENGTH
                 for form in _forms(s)}
        # Longest first, so a secret that contains another is masked whole.
        self._secrets = sorted(forms, key=len, reverse=True)

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


def _scrub_record(record: logging.LogRecord, redactor: Redactor) -> None:
    try:
        message = record.getMessage()
    except Exception:  # a broken format string: logging reports it as usual later
        return
    record.msg, record.args = redactor.redact(message), None
    if record.exc_info and not record.exc_text:
        record.exc_text = logging.Formatter().formatException(record.exc_info)
    if record.exc_text:
        record.exc_text = redactor.redact(record.exc_text)
    if record.stack_info:
        record.stack_info = redactor.redact(record.stack_info)


def redact_log_records(redactor: Redactor) -> Callable[[], None]:
    """Mask secrets in every log record created from now on; returns the undo.

    Done where records are made rather than in handlers, so it covers every
    handler: pytest's captured logs and live logs, a log file, logging's
    last-resort stderr output.
    """
    previous = logging.getLogRecordFactory()

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = previous(*args, **kwargs)
        _scrub_record(record, redactor)
        return record

    def undo() -> None:
        if logging.getLogRecordFactory() is factory:
            logging.setLogRecordFactory(previous)

    if redactor:
        logging.setLogRecordFactory(factory)
    return undo
