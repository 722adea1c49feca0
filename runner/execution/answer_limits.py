"""What an answer may cost to read: its size in bytes and the nesting of its JSON.

A broken or hostile endpoint can send an endless body, announce gigabytes, send
a small gzip that unpacks to gigabytes, or nest arrays deep enough to exhaust
Python's recursion limit. Each of those would take the whole run down (memory,
or a RecursionError far from the cause). So an answer is read as a stream and
abandoned at ``limit`` bytes, counted both as received and as unpacked, a
declared ``Content-Length`` over the limit is not read at all, and JSON nested
deeper than :data:`MAX_JSON_DEPTH` is refused before any code walks it.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import httpx

from runner.core.sizes import format_size

DEFAULT_MAX_RESPONSE = 10 * 1024 * 1024
# Real answers nest three or four levels; 64 leaves room for any future shape
# while staying far below the recursion limit of the code that walks them
# (contract checks, redaction, reports).
MAX_JSON_DEPTH = 64


class AnswerTooLarge(Exception):
    """The answer went over the size limit; the message says how it was noticed."""


class TooDeep(ValueError):
    """The answer's JSON is nested deeper than :data:`MAX_JSON_DEPTH`."""


class _CountedStream(httpx.AsyncByteStream):
    """The body as received (before unpacking), abandoned once it passes ``limit``.

    Wraps the response's own stream, so it counts the bytes however the
    connection was made (proxy, TLS, in-process mock).
    """

    def __init__(self, inner: httpx.AsyncByteStream, limit: int) -> None:
        self._inner = inner
        self._limit = limit
        self.received = 0

    async def __aiter__(self) -> AsyncIterator[bytes]:
        async for chunk in self._inner:
            self.received += len(chunk)
            if self.received > self._limit:
                raise AnswerTooLarge(f"reading stopped after {format_size(self._limit)}")
            yield chunk

    async def aclose(self) -> None:
        await self._inner.aclose()


async def read_within(response: httpx.Response, limit: int) -> bytes:
    """The unpacked body of a streamed ``response``, or :class:`AnswerTooLarge`.

    The caller closes the response, which drops the connection when the body
    was not read to its end.
    """
    declared = response.headers.get("content-length", "").strip()
    if declared.isdigit() and int(declared) > limit:
        raise AnswerTooLarge(f"it announced {format_size(int(declared))} (Content-Length) "
                             "and was not read")
    stream = response.stream
    if not isinstance(stream, httpx.AsyncByteStream):  # an async client always has one
        return await response.aread()
    counted = _CountedStream(stream, limit)
    response.stream = counted
    parts: list[bytes] = []
    unpacked = 0
    # aiter_bytes unpacks gzip/deflate (and br/zstd when installed) chunk by chunk.
    async for chunk in response.aiter_bytes():
        unpacked += len(chunk)
        if unpacked > limit:
            encoding = response.headers.get("content-encoding", "")
            raise AnswerTooLarge(f"{format_size(counted.received)} received unpack "
                                 f"(Content-Encoding {encoding}) to more than that; "
                                 "reading stopped")
        parts.append(chunk)
    return b"".join(parts)


def parse_json(text: str) -> Any:
    """``json.loads`` that refuses nesting deeper than :data:`MAX_JSON_DEPTH`.

    Raises :class:`TooDeep`, or ``ValueError`` for text that is not JSON.
    """
    try:
        data = json.loads(text)
    except RecursionError:  # deeper than the interpreter's own limit
        raise TooDeep(_too_deep()) from None
    # Nesting needs an opening bracket per level: few brackets, nothing to walk.
    if text.count("[") + text.count("{") > MAX_JSON_DEPTH and _deeper_than(data,
                                                                           MAX_JSON_DEPTH):
        raise TooDeep(_too_deep())
    return data


def _too_deep() -> str:
    return f"its JSON is nested more than {MAX_JSON_DEPTH} levels deep"


def _deeper_than(data: Any, limit: int) -> bool:
    """Whether ``data`` nests more than ``limit`` lists or objects (without recursion)."""
    stack: list[tuple[Any, int]] = [(data, 1)] if isinstance(data, (dict, list)) else []
    while stack:
        value, depth = stack.pop()
        children = value.values() if isinstance(value, dict) else value
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in children
                     if isinstance(child, (dict, list)))
    return False
