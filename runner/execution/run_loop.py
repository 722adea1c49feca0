"""One event loop for a whole sequential run.

Every scenario, its HTTP connections and the embedded mock share this loop, so
connections are reused across scenarios instead of being opened (and a loop
built and torn down) once per scenario. ``asyncio.Runner`` keeps Ctrl-C
behaving as with ``asyncio.run``: the running scenario is cancelled and its
clean-up (closing sessions) still runs. Python 3.10 has no ``Runner``; there a
plain loop of our own serves, with ``run_until_complete``.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any, Generic, TypeVar

T = TypeVar("T")


class _Boxed(Generic[T]):
    """A result whose repr costs nothing.

    ``Runner.run`` swaps its SIGINT handler back after every call, and the
    ``signal`` module builds an error message holding the repr of the handler it
    took out, a partial over the finished task, whose repr holds the result: a
    whole scenario outcome, rendered and thrown away once per scenario.
    """

    __slots__ = ("value",)

    def __init__(self, value: T) -> None:
        self.value = value

    def __repr__(self) -> str:
        return "<result>"


async def _boxed(coroutine: Coroutine[Any, Any, T]) -> _Boxed[T]:
    return _Boxed(await coroutine)


class RunLoop:
    def __init__(self) -> None:
        runner_class = getattr(asyncio, "Runner", None)  # Python 3.11+
        self._runner: Any = runner_class() if runner_class is not None else None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._closers: list[Callable[[], Awaitable[None]]] = []

    def run(self, coroutine: Coroutine[Any, Any, T]) -> T:
        if self._runner is not None:
            boxed: _Boxed[T] = self._runner.run(_boxed(coroutine))
            return boxed.value
        if self._loop is None:
            self._loop = asyncio.new_event_loop()
        return self._loop.run_until_complete(coroutine)

    def on_close(self, closer: Callable[[], Awaitable[None]]) -> None:
        """Run ``closer`` in the loop before it closes (e.g. a connection pool's aclose)."""
        self._closers.append(closer)

    def close(self) -> None:
        async def close_all() -> None:
            for closer in reversed(self._closers):
                with contextlib.suppress(Exception):  # closing must not fail a finished run
                    await closer()

        try:
            if self._closers:
                self.run(close_all())
        finally:
            self._closers.clear()
            if self._runner is not None:
                self._runner.close()
            elif self._loop is not None:
                self._loop.close()
