"""One redaction mechanism for every output boundary.

Secrets (the API token, a password in the base URL, the judge's key) are
registered once per run; everything the runner writes for people passes through
:meth:`Redactor.redact`, and :func:`redact_log_records` does the same for log
records. A secret is also masked in the forms it takes on its way out (escaped
in JSON, percent-encoded in a URL, escaped in HTML or XML) and in the disguises
a careless server or proxy gives it: base64 (also inside a larger blob, standard
or URL-safe, padded or not), hex, reversed, any letter case, split by zero-width
characters, spelt as HTML numeric entities, ``\\uXXXX``/``\\xXX`` escapes or
``%XX`` bytes. A token cut short by an ellipsis (``sEcret-To...``, as pytest
shortens long values) has its visible part masked too.
"""

from __future__ import annotations

import base64
import bisect
import html
import json
import logging
import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any
from urllib.parse import quote

from runner.core.options import TOKEN_ENV

MASK = "«redacted»"
# Shorter strings occur by chance in ordinary text; masking them would garble
# reports without protecting anything. Settings refuse live tokens this short.
MIN_SECRET_LENGTH = 4
TOKEN_VARIABLE = TOKEN_ENV

# Invisible characters that may split a secret without changing how it reads.
_ZERO_WIDTH = "\u00ad\u180e\u200b\u200c\u200d\u2060\ufeff"
# Spellings the normalising pass decodes before looking again: one character each
# (or none, for a zero-width one), so a match maps back onto the original text.
# (Named entities need no decoding: a secret HTML-escaped whole is one of its forms.)
_SPELLED = re.compile(
    r"&#[xX]([0-9a-fA-F]{1,6});|&#([0-9]{1,7});|\\u([0-9a-fA-F]{4})|\\x([0-9a-fA-F]{2})"
    r"|%([0-9a-fA-F]{2})|[" + _ZERO_WIDTH + "]")
# The characters an encoded one starts with (besides the zero-width ones).
_SPELLING_STARTS = ("&", "\\", "%")
_ELLIPSES = ("...", "…")


def environment_secrets(env: Mapping[str, str]) -> tuple[str, ...]:
    """The API token from the environment, whatever the target: a run on the
    embedded mock must not print it either (a scenario may still use it)."""
    token = env.get(TOKEN_VARIABLE) or ""
    return (token,) if len(token) >= MIN_SECRET_LENGTH else ()


def _base64_forms(secret: str) -> set[str]:
    """The secret's base64 at each of the three byte alignments it may have in a blob.

    Only the characters made of the secret's bits alone are kept, so the form
    matches whatever bytes come before and after it; the whole encoding, with
    and without padding, covers a secret encoded on its own.
    """
    data = secret.encode("utf-8")
    found = set()
    for shift in range(3):
        encoded = base64.b64encode(b"\0" * shift + data).decode()
        first, end = (8 * shift + 5) // 6, 8 * (shift + len(data)) // 6
        found.add(encoded[first:end])
        if shift == 0:
            found.update({encoded, encoded.rstrip("=")})
    return found | {form.translate(str.maketrans("+/", "-_")) for form in found}


def _forms(secret: str) -> set[str]:
    """The secret as written, as JSON, URLs and HTML carry it, and disguised.

    Matched regardless of letter case, so upper, lower and hex in either case
    need no form of their own.
    """
    carried = {secret, json.dumps(secret)[1:-1], json.dumps(secret, ensure_ascii=False)[1:-1],
               quote(secret, safe=""), quote(secret), html.escape(secret),
               html.escape(secret, quote=False)}
    disguised = {secret[::-1], secret.encode("utf-8").hex(), *_base64_forms(secret)}
    return {form for form in carried | disguised if len(form) >= MIN_SECRET_LENGTH}


def _alternatives(texts: Iterable[str]) -> str:
    # Longest first: at one position the regex takes the first alternative that fits.
    return "|".join(re.escape(t) for t in sorted(set(texts), key=len, reverse=True))


def _decode(match: re.Match[str]) -> str:
    hexa, decimal, escape, byte, percent = match.groups()
    if hexa or decimal or escape or byte or percent:
        number = (int(hexa, 16) if hexa else int(decimal) if decimal
                  else int(escape or byte or percent, 16))
        character = chr(number) if number <= 0x10FFFF else "\ufffd"
        return "" if character in _ZERO_WIDTH else character
    return ""  # a zero-width character


def _may_be_spelled(text: str) -> bool:
    """Whether ``text`` may hold an encoded character, by the quickest checks first:
    one-character searches (memchr), and a flag lookup for non-ASCII."""
    return (("&" in text and "&#" in text) or "\\" in text or "%" in text
            or (not text.isascii() and any(c in text for c in _ZERO_WIDTH)))


def _spellings(text: str) -> list[re.Match[str]]:
    """The encoded characters in ``text``, in order.

    Found by substring search for where one may start, then matched there: a
    regex scan of the whole text is several times slower in the usual case of a
    few or none.
    """
    candidates = []
    for hint in (*_SPELLING_STARTS, *_ZERO_WIDTH):
        at = text.find(hint)
        while at >= 0:
            candidates.append(at)
            at = text.find(hint, at + 1)
    found: list[re.Match[str]] = []
    for at in sorted(candidates):
        match = _SPELLED.match(text, at) if not found or at >= found[-1].end() else None
        if match:
            found.append(match)
    return found


def _word_char(text: str, index: int) -> bool:
    return 0 <= index < len(text) and text[index].isascii() and text[index].isalnum()


def _cut_parts(text: str, secret: str, at: int, after: int) -> list[tuple[int, int]]:
    """Spans of ``text`` holding a start of ``secret`` that ends at ``at`` (an ellipsis)
    or an end of it that starts at ``after``, at least MIN_SECRET_LENGTH long."""
    found = []
    start = text.find(secret[:MIN_SECRET_LENGTH], max(0, at - len(secret) + 1), at)
    while start >= 0:  # candidates begin with the secret's first characters
        if secret.startswith(text[start:at]) and not _word_char(text, start - 1):
            found.append((start, at))
            break
        start = text.find(secret[:MIN_SECRET_LENGTH], start + 1, at)
    limit = min(len(text), after + len(secret) - 1)
    end = text.rfind(secret[-MIN_SECRET_LENGTH:], after, limit)
    while end >= 0:  # candidates end with the secret's last characters
        stop = end + MIN_SECRET_LENGTH
        if secret.endswith(text[after:stop]) and not _word_char(text, stop):
            found.append((after, stop))
            break
        end = text.rfind(secret[-MIN_SECRET_LENGTH:], after, end + MIN_SECRET_LENGTH - 1)
    return found


def _merge(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    merged: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def _masked(text: str, spans: list[tuple[int, int]]) -> str:
    out, position = [], 0
    for start, end in _merge(spans):
        out.append(text[position:start])
        out.append(MASK)
        position = end
    out.append(text[position:])
    return "".join(out)


class Redactor:
    def __init__(self, secrets: Iterable[str | None] = ()) -> None:
        kept = sorted({s for s in secrets if s and len(s) >= MIN_SECRET_LENGTH})
        self.secrets = tuple(kept)
        forms = {form for s in kept for form in _forms(s)}
        # Forms are found by substring search in the lower-cased text: C code, ~40x
        # faster than a regex alternation. Longest first, so the longest form at a
        # place decides how much is masked.
        self._forms = tuple(sorted({form.lower() for form in forms}, key=len, reverse=True))
        # A form that holds a shorter one is there only if that one is: a first, quick look
        # needs the shorter ones alone.
        self._needles = tuple(form for form in self._forms
                              if not any(other in form for other in self._forms
                                         if len(other) < len(form)))
        # For the rare text whose lower-casing changes its length (and so the positions).
        self._pattern = re.compile(_alternatives(forms), re.IGNORECASE) if forms else None
        self._letters = frozenset("".join(kept).lower() + "".join(kept).upper())
        self._cuttable = tuple(s for s in kept if len(s) > MIN_SECRET_LENGTH)

    def joined(self, secrets: Iterable[str | None]) -> Redactor:
        """This redactor, or a new one that also masks ``secrets`` when any is new."""
        new = {s for s in secrets if s and len(s) >= MIN_SECRET_LENGTH} - set(self.secrets)
        return Redactor([*self.secrets, *new]) if new else self

    def redact(self, text: str) -> str:
        if not self._forms:
            return text
        spans = self._spans(text)
        if spans:
            text = _masked(text, spans)
        if _may_be_spelled(text):
            text = self._unspell(text)
        if "..." in text or (not text.isascii() and "…" in text):
            text = self._uncut(text)
        return text

    def _spans(self, text: str) -> list[tuple[int, int]]:
        """Where the secrets' forms are in ``text``, in any letter case."""
        lowered = text.lower()
        if not any(needle in lowered for needle in self._needles):
            return []
        if len(lowered) != len(text):
            assert self._pattern is not None
            return [match.span() for match in self._pattern.finditer(text)]
        spans = []
        for form in self._forms:
            at = lowered.find(form)
            while at >= 0:
                spans.append((at, at + len(form)))
                at = lowered.find(form, at + len(form))
        return spans

    def _unspell(self, text: str) -> str:
        """Mask secrets that show only once entities, escapes and invisible characters
        are decoded; everything else stays exactly as it was written."""
        spelled = [(match, _decode(match)) for match in _spellings(text)]
        # Decoding can only reveal a secret if it yields one of its characters or
        # removes an invisible one.
        if not any(char == "" or char in self._letters for _, char in spelled):
            return text
        pieces: list[str] = []
        starts: list[int] = []  # where each piece starts in the decoded text
        origins: list[tuple[int, int, bool]] = []  # its span in the text; verbatim or not
        position = length = 0
        for match, char in spelled:
            for start, end, piece, verbatim in ((position, match.start(),
                                                 text[position:match.start()], True),
                                                (match.start(), match.end(), char, False)):
                if piece:
                    pieces.append(piece)
                    starts.append(length)
                    origins.append((start, end, verbatim))
                    length += len(piece)
            position = match.end()
        pieces.append(text[position:])
        starts.append(length)
        origins.append((position, len(text), True))

        def original(index: int) -> tuple[int, int]:
            """The span of the text that decoded character ``index`` came from."""
            piece = bisect.bisect_right(starts, index) - 1
            start, end, verbatim = origins[piece]
            if verbatim:
                at = start + index - starts[piece]
                return at, at + 1
            return start, end

        spans = [(original(start)[0], original(end - 1)[1])
                 for start, end in self._spans("".join(pieces))]
        return _masked(text, spans) if spans else text

    def _uncut(self, text: str) -> str:
        """Mask the part of a secret left visible where a long value was cut short.

        Only at an ellipsis and on a word boundary (``'sEcret-To...``,
        ``...77ab'``), where pytest and others shorten what they show.
        """
        spans = []
        for ellipsis in _ELLIPSES:
            at = text.find(ellipsis)
            while at >= 0:
                after = at + len(ellipsis)
                for secret in self._cuttable:
                    spans.extend(_cut_parts(text, secret, at, after))
                at = text.find(ellipsis, after)
        return _masked(text, spans) if spans else text

    def redact_tree(self, value: Any) -> Any:
        if isinstance(value, str):
            return self.redact(value)
        if isinstance(value, dict):
            return {self.redact(str(k)): self.redact_tree(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self.redact_tree(v) for v in value]
        return value

    def __bool__(self) -> bool:
        return bool(self._forms)


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
