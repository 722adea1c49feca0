"""Run many scenario coroutines at once in one event loop on a thread of its own.

pytest drives items one at a time on the main thread and must keep doing so:
its terminal, JUnit and Allure output follow that order. The scheduler lets the
scenarios themselves run ahead in the background, at most ``limit`` at once,
started in the order they were submitted, while the main thread collects each
result when pytest reaches its item (:meth:`Scheduler.result`).

A job is created from a factory only when it starts, so a scenario's own time
limit counts from its start, not from when it was queued. Nothing here knows
pytest; ``runner.plugin.scheduling`` maps it onto a pytest run.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import threading
from collections import deque
from collections.abc import Awaitable, Callable, Coroutine, Hashable
from typing import Any, Generic, TypeVar

T = TypeVar("T")
Factory = Callable[[], Coroutine[Any, Any, T]]

# How long cancelled scenarios get to clean up (close their sessions) when a run
# is stopped early, by -x or Ctrl-C, before the loop is stopped regardless.
CLEANUP_GRACE = 5.0


class Cancelled(Exception):
    """The job was dropped before it could finish (the run is stopping)."""


class _Job(Generic[T]):
    __slots__ = ("abandoned", "cancelled", "factory", "future", "key", "task")

    def __init__(self, key: Hashable, factory: Factory[T]) -> None:
        self.key = key
        self.factory = factory
        self.future: concurrent.futures.Future[T] = concurrent.futures.Future()
        self.task: asyncio.Task[T] | None = None
        self.abandoned = False
        self.cancelled = False

    def cancel(self) -> None:
        """Cancel the running task once: a second cancel would cut its cleanup short."""
        if self.task is not None and not self.task.done() and not self.cancelled:
            self.cancelled = True
            self.task.cancel()


class Scheduler(Generic[T]):
    """At most ``limit`` jobs at once, in submission order, on one background event loop."""

    def __init__(self, limit: int, *, name: str = "osvi-scenarios") -> None:
        if limit < 1:
            raise ValueError("limit must be at least 1")
        self.limit = limit
        self.peak = 0  # the most jobs that ran at once
        self._name = name
        self._lock = threading.Lock()  # guards _queue and _jobs, touched from both threads
        self._queue: deque[_Job[T]] = deque()
        self._jobs: dict[Hashable, _Job[T]] = {}
        self._running: set[_Job[T]] = set()  # loop thread only
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._wakeup: asyncio.Event | None = None
        self._workers: list[asyncio.Task[None]] = []
        self._stopper: asyncio.Future[None] | None = None
        self._closing = False
        self._closers: list[Callable[[], Awaitable[None]]] = []

    # -- the loop thread ---------------------------------------------------------------

    def start(self) -> None:
        if self._thread is not None:
            return
        ready = threading.Event()

        def main() -> None:
            loop = asyncio.new_event_loop()
            asyncio.set_event_loop(loop)
            self._loop = loop
            self._wakeup = asyncio.Event()
            self._workers = [loop.create_task(self._work()) for _ in range(self.limit)]
            ready.set()
            try:
                loop.run_forever()
                loop.run_until_complete(loop.shutdown_asyncgens())
            finally:
                loop.close()
                self._orphan_all()

        # A daemon thread: a scenario that ignores cancellation must not keep the
        # interpreter alive after pytest has finished.
        self._thread = threading.Thread(target=main, name=self._name, daemon=True)
        self._thread.start()
        ready.wait()

    def _wake(self) -> None:
        if self._loop is not None and self._wakeup is not None:
            self._loop.call_soon_threadsafe(self._wakeup.set)

    def _next(self) -> _Job[T] | None:
        with self._lock:
            return self._queue.popleft() if self._queue else None

    async def _work(self) -> None:
        assert self._wakeup is not None
        while not self._closing:
            job = self._next()
            if job is None:
                # Cleared and awaited with no await in between: a submit after the
                # empty check schedules its set() after this clear, so none is lost.
                self._wakeup.clear()
                await self._wakeup.wait()
                continue
            await self._run(job)

    async def _run(self, job: _Job[T]) -> None:
        if job.abandoned or job.future.done():
            return
        try:
            task = asyncio.ensure_future(job.factory())
        except Exception as error:  # the factory itself failed
            _settle_error(job.future, error)
            return
        job.task = task
        self._running.add(job)
        self.peak = max(self.peak, len(self._running))
        try:
            await asyncio.wait({task})
        except asyncio.CancelledError:  # the scheduler is shutting down
            job.cancel()
            _settle_error(job.future, Cancelled("the run stopped before the scenario ended"))
            raise
        finally:
            self._running.discard(job)
        if task.cancelled():
            _settle_error(job.future, Cancelled("the scenario was cancelled"))
        elif task.exception() is not None:
            _settle_error(job.future, task.exception())  # type: ignore[arg-type]
        elif not job.future.done():
            job.future.set_result(task.result())

    def _abandon(self, job: _Job[T]) -> None:
        """Loop thread: stop a job nobody will ask for (cancelling it runs its cleanup)."""
        job.abandoned = True
        job.cancel()

    def _orphan_all(self) -> None:
        """The loop is gone: nobody may wait for a job that can no longer finish."""
        self._closing = True
        with self._lock:
            jobs = [*self._queue, *self._jobs.values(), *self._running]
            self._queue.clear()
            self._jobs.clear()
        for job in jobs:
            _settle_error(job.future, Cancelled("the run stopped before the scenario ended"))

    async def _shutdown(self, grace: float) -> bool:
        """Cancel what runs; True if all of it ended within ``grace`` seconds."""
        self._closing = True
        tasks = [job.task for job in self._running if job.task is not None]
        for job in self._running:
            job.cancel()
        if tasks:
            _, pending = await asyncio.wait(tasks, timeout=grace)
            if pending:
                # Slow cleanup goes on while pytest finishes its report; the
                # loop stops itself once it is done (or dies with the process).
                self._stopper = asyncio.ensure_future(self._stop_after(pending))
                return False
        await self._stop_workers()
        return True

    async def _stop_after(self, pending: set[asyncio.Task[T]]) -> None:
        await asyncio.wait(pending)
        await self._stop_workers()
        asyncio.get_running_loop().stop()

    async def _stop_workers(self) -> None:
        for worker in self._workers:
            worker.cancel()
        await asyncio.gather(*self._workers, return_exceptions=True)
        closers, self._closers = self._closers, []
        for closer in reversed(closers):
            with contextlib.suppress(Exception):  # closing must not fail a finished run
                await closer()

    def on_close(self, closer: Callable[[], Awaitable[None]]) -> None:
        """Run ``closer`` in the loop when the scheduler stops (e.g. a connection pool's aclose)."""
        self._closers.append(closer)

    # -- the caller's thread ---------------------------------------------------------------

    def submit(self, key: Hashable, factory: Factory[T]) -> bool:
        """Queue a job behind those already queued; False if ``key`` is already known."""
        with self._lock:
            if key in self._jobs or self._closing:
                return False
            job = _Job(key, factory)
            self._jobs[key] = job
            self._queue.append(job)
        self._wake()
        return True

    def result(self, key: Hashable, factory: Factory[T]) -> T:
        """The job's result, waiting for it; a job never submitted is started next.

        Each submitted job is handed out once: asking again (a rerun) runs the
        factory anew. If the wait is interrupted (Ctrl-C, a test timeout), the
        job is cancelled before the interruption goes on.
        """
        self.start()
        with self._lock:
            if self._closing:
                raise Cancelled("the run is stopping")
            job = self._jobs.pop(key, None)
            fresh = job is None
            if job is None:
                job = _Job(key, factory)
                self._queue.appendleft(job)  # the caller is blocked on it: it goes next
        if fresh:
            self._wake()
        try:
            return job.future.result()
        except BaseException:
            if not job.future.done():
                self._call(self._abandon, job)
            raise

    def discard(self, key: Hashable) -> None:
        """Forget a job whose result will not be asked for: unqueue it, or cancel it."""
        with self._lock:
            job = self._jobs.pop(key, None)
            if job is None:
                return
            try:
                self._queue.remove(job)
            except ValueError:
                queued = False
            else:
                queued = True
        if queued:
            job.future.cancel()
        else:
            self._call(self._abandon, job)

    def cancel_pending(self) -> int:
        """Drop every job that has not started; returns how many were dropped."""
        with self._lock:
            pending = list(self._queue)
            self._queue.clear()
            for job in pending:
                self._jobs.pop(job.key, None)
        for job in pending:
            job.future.cancel()
        return len(pending)

    def _call(self, function: Callable[[_Job[T]], None], job: _Job[T]) -> None:
        if self._loop is not None and not self._loop.is_closed():
            with contextlib.suppress(RuntimeError):  # the loop closed in between
                self._loop.call_soon_threadsafe(function, job)

    @property
    def started(self) -> bool:
        return self._thread is not None

    def close(self, grace: float = CLEANUP_GRACE) -> None:
        """Drop queued jobs and cancel running ones, giving their cleanup ``grace`` seconds.

        Returns after at most about ``grace`` seconds. Cleanup that takes longer
        goes on in the background thread, which stops its loop when it is done.
        """
        loop, thread = self._loop, self._thread
        if loop is None or thread is None:
            return
        self._loop = None
        with self._lock:
            self._closing = True  # from now on result() refuses instead of queueing
        self.cancel_pending()
        stopped = True
        try:
            if not loop.is_closed():
                done = asyncio.run_coroutine_threadsafe(self._shutdown(grace), loop)
                try:
                    stopped = done.result(timeout=grace + 1.0)
                except (concurrent.futures.TimeoutError, concurrent.futures.CancelledError):
                    stopped = False
        finally:
            if stopped and not loop.is_closed():
                with contextlib.suppress(RuntimeError):  # closed in between
                    loop.call_soon_threadsafe(loop.stop)
                thread.join(timeout=grace + 1.0)


def _settle_error(future: concurrent.futures.Future[Any], error: BaseException) -> None:
    if not future.done():
        future.set_exception(error)
