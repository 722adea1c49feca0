"""Awaiting with a time limit, without a task per await where Python allows.

``asyncio.wait_for`` wraps what it awaits in a new task (Python 3.10 and 3.11),
and every call awaits several times: sending, the answer's head, its body.
``asyncio.timeout`` (3.11+) bounds the current task instead. Both raise
``TimeoutError`` (``asyncio.TimeoutError`` is the same class from 3.11).
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Awaitable
from typing import TypeVar

T = TypeVar("T")


async def within(awaitable: Awaitable[T], seconds: float | None) -> T:
    """``await awaitable``, or ``asyncio.TimeoutError`` after ``seconds`` (None: no limit)."""
    if seconds is None:
        return await awaitable
    if sys.version_info >= (3, 11):
        async with asyncio.timeout(seconds):
            return await awaitable
    return await asyncio.wait_for(awaitable, seconds)
