"""The scheduler core: order, the concurrency cap, hand-over of results, stopping early.

Coordination is by events, never by sleeping: each test decides when a job may
finish, so what is checked is order and overlap, not speed.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import threading
from collections.abc import Callable, Coroutine, Iterator
from typing import Any

import pytest

from runner.execution.concurrency import Cancelled, Scheduler

WAIT = 10.0  # a generous bound on thread hand-overs; reached only if something hangs


class Gates:
    """Jobs that record when they start and finish only when the test opens their gate."""

    def __init__(self) -> None:
        self.started: list[str] = []
        self.finished: list[str] = []
        self.cleaned: list[str] = []
        self._gates: dict[str, threading.Event] = {}
        self._started = threading.Condition()

    def job(self, name: str, result: str | None = None,
            error: Exception | None = None) -> Callable[[], Coroutine[Any, Any, str]]:
        gate = self._gates.setdefault(name, threading.Event())

        async def run() -> str:
            with self._started:
                self.started.append(name)
                self._started.notify_all()
            try:
                while not gate.is_set():
                    await asyncio.sleep(0.001)
                if error is not None:
                    raise error
                self.finished.append(name)
                return result or name
            finally:
                self.cleaned.append(name)

        return run

    def open(self, *names: str) -> None:
        for name in names:
            self._gates.setdefault(name, threading.Event()).set()

    def wait_started(self, count: int) -> None:
        with self._started:
            assert self._started.wait_for(lambda: len(self.started) >= count, WAIT), self.started


@pytest.fixture
def gates() -> Iterator[Gates]:
    yield Gates()


@pytest.fixture
def scheduler() -> Iterator[Scheduler[str]]:
    found: Scheduler[str] = Scheduler(2)
    yield found
    found.close(grace=WAIT)


def test_jobs_start_in_submission_order_never_more_than_the_limit(
        scheduler: Scheduler[str], gates: Gates) -> None:
    for name in "abcde":
        scheduler.submit(name, gates.job(name))
    scheduler.start()
    gates.wait_started(2)
    assert gates.started == ["a", "b"]  # c waits for a free slot
    gates.open("b")
    assert scheduler.result("b", gates.job("b")) == "b"
    gates.wait_started(3)
    assert gates.started == ["a", "b", "c"]
    gates.open(*"acde")
    assert [scheduler.result(name, gates.job(name)) for name in "acde"] == list("acde")
    assert gates.started == list("abcde")
    assert scheduler.peak == 2


def test_a_job_nobody_submitted_jumps_the_queue(scheduler: Scheduler[str],
                                                gates: Gates) -> None:
    for name in "abcd":
        scheduler.submit(name, gates.job(name))
    scheduler.start()
    gates.wait_started(2)
    gates.open("a", "urgent")
    # pytest reached an item that was not started ahead (a skipif that held false):
    # it runs in the next free slot, before c and d.
    assert scheduler.result("urgent", gates.job("urgent")) == "urgent"
    assert gates.started[:3] == ["a", "b", "urgent"]
    gates.open(*"bcd")
    for name in "bcd":
        scheduler.result(name, gates.job(name))


def test_an_exception_reaches_the_caller_as_it_was_raised(scheduler: Scheduler[str],
                                                          gates: Gates) -> None:
    scheduler.submit("bad", gates.job("bad", error=RuntimeError("boom")))
    gates.open("bad")
    with pytest.raises(RuntimeError, match=r"^boom$"):
        scheduler.result("bad", gates.job("bad"))


def test_each_result_is_handed_out_once_and_asking_again_runs_anew(
        scheduler: Scheduler[str], gates: Gates) -> None:
    scheduler.submit("a", gates.job("a"))
    gates.open("a")
    assert scheduler.result("a", gates.job("a")) == "a"
    assert scheduler.result("a", gates.job("a", result="again")) == "again"  # a rerun
    assert gates.started == ["a", "a"]


def test_cancel_pending_drops_what_has_not_started(scheduler: Scheduler[str],
                                                   gates: Gates) -> None:
    for name in "abcd":
        scheduler.submit(name, gates.job(name))
    scheduler.start()
    gates.wait_started(2)
    assert scheduler.cancel_pending() == 2
    gates.open("a", "b")
    assert scheduler.result("a", gates.job("a")) == "a"
    assert scheduler.result("b", gates.job("b")) == "b"
    assert gates.started == ["a", "b"]


def test_discard_unqueues_a_waiting_job_and_cancels_a_running_one(
        scheduler: Scheduler[str], gates: Gates) -> None:
    for name in "abc":
        scheduler.submit(name, gates.job(name))
    scheduler.start()
    gates.wait_started(2)
    scheduler.discard("c")  # queued: never starts
    scheduler.discard("a")  # running: cancelled, its cleanup runs
    gates.open("b")
    assert scheduler.result("b", gates.job("b")) == "b"
    scheduler.close(grace=WAIT)
    assert gates.started == ["a", "b"]
    assert "a" in gates.cleaned and "a" not in gates.finished


def test_close_cancels_running_jobs_so_their_cleanup_runs(gates: Gates) -> None:
    scheduler: Scheduler[str] = Scheduler(3)
    for name in "abcde":
        scheduler.submit(name, gates.job(name))
    scheduler.start()
    gates.wait_started(3)
    scheduler.close(grace=WAIT)  # as after -x or Ctrl-C
    assert sorted(gates.cleaned) == ["a", "b", "c"]
    assert gates.finished == []
    assert gates.started == ["a", "b", "c"]
    with pytest.raises(Cancelled):
        scheduler.result("d", gates.job("d"))


def test_cleanup_that_outlasts_the_grace_period_goes_on_without_holding_up_close() -> None:
    scheduler: Scheduler[str] = Scheduler(1)
    started, release, cleaned = threading.Event(), threading.Event(), threading.Event()

    async def slow_cleanup() -> str:
        started.set()
        try:
            await asyncio.sleep(3600)
        finally:
            while not release.is_set():  # say, closing a session on a slow API
                await asyncio.sleep(0.001)
            cleaned.set()
        return "never"

    scheduler.submit("x", slow_cleanup)
    scheduler.start()
    assert started.wait(WAIT)
    scheduler.close(grace=0.01)  # returns although the cleanup is not done
    assert not cleaned.is_set()
    release.set()
    assert cleaned.wait(WAIT)  # the background loop kept running it


def test_an_interrupted_wait_cancels_the_job(gates: Gates,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    scheduler: Scheduler[str] = Scheduler(2)
    scheduler.submit("a", gates.job("a"))
    scheduler.start()
    gates.wait_started(1)

    class Interrupted(BaseException):  # what Ctrl-C or a test timeout raise in the wait
        pass

    def interrupted(self: object, timeout: float | None = None) -> str:
        raise Interrupted

    with monkeypatch.context() as patch:
        patch.setattr(concurrent.futures.Future, "result", interrupted)
        with pytest.raises(Interrupted):
            scheduler.result("a", gates.job("a"))
    scheduler.close(grace=WAIT)
    assert gates.cleaned == ["a"] and gates.finished == []


def test_the_limit_must_be_positive() -> None:
    with pytest.raises(ValueError):
        Scheduler(0)
