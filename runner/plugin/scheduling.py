"""The pytest side of ``--osvi-concurrency``: which scenarios start ahead, and when to stop.

When pytest reaches the first scenario item, the scenarios it is going to run
from there on are handed to a :class:`~runner.execution.concurrency.Scheduler` in
collection order; each item's ``runtest`` then only waits for its own result.
pytest still reports the items one by one, in order, so terminal, JUnit and
Allure output are those of a sequential run; only the time stamps show the
overlap.

Not started ahead, because they may never run: items with ``skip``/``skipif``
marks or ``xfail(run=False)``. They run when pytest reaches them, like items
of other kinds, which stay on the main thread. Under pytest-xdist a worker
starts ahead only what the controller has already queued for it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine, Generator, Iterator
from typing import Any

import pytest

from runner.execution.concurrency import Cancelled, Scheduler
from runner.execution.transcript import ScenarioResult
from runner.plugin import allure_emit

Execute = Callable[[], Coroutine[Any, Any, ScenarioResult]]


def starts_ahead(item: pytest.Item) -> bool:
    """False for items that pytest may decide not to run when it reaches them."""
    for mark in item.iter_markers():
        if mark.name in ("skip", "skipif"):
            return False
        if mark.name == "xfail" and not mark.kwargs.get("run", True):
            return False
    return True


class _XdistQueue:
    """The indices an xdist worker has been sent but not yet run (its lookahead).

    xdist keeps them in ``WorkerInteractor.torun``, a deque it lets callers read
    under its lock; the item it runs next is held in ``nextitem_index``. Neither
    is public and xdist has no hook for a worker's queue; only read here, never
    changed. Checked against pytest-xdist 3.8.0;
    tests/plugin/test_foreign_internals.py fails if they change.
    """

    def __init__(self, interactor: Any) -> None:
        self._interactor = interactor

    @classmethod
    def find(cls, config: pytest.Config) -> _XdistQueue | None:
        if not hasattr(config, "workerinput"):
            return None
        # Work stealing takes queued items away again: starting them ahead would
        # run them twice. Such a worker runs each scenario when it reaches it.
        if getattr(config.option, "dist", None) == "worksteal":
            return None
        for plugin in config.pluginmanager.get_plugins():
            queue = getattr(plugin, "torun", None)
            if type(plugin).__name__ == "WorkerInteractor" and hasattr(queue, "lock"):
                return cls(plugin)
        return None

    def indices(self) -> list[int]:
        found: list[int] = []
        upcoming = getattr(self._interactor, "nextitem_index", None)
        if isinstance(upcoming, int):
            found.append(upcoming)
        with self._interactor.torun.lock() as queued:
            found.extend(index for index in queued if isinstance(index, int))
        return found


class ConcurrentScenarios:
    """Registered as ``osvi-concurrency`` when ``--osvi-concurrency`` is above 1."""

    def __init__(self, config: pytest.Config, limit: int,
                 is_scenario: Callable[[pytest.Item], bool]) -> None:
        self.config = config
        self.limit = limit
        self._is_scenario = is_scenario
        self.scheduler: Scheduler[ScenarioResult] = Scheduler(limit)
        self._session: pytest.Session | None = None
        self._xdist = _XdistQueue.find(config)
        self._submitted: set[int] = set()  # id() of items handed to the scheduler
        self._stopped = False

    # -- what ScenarioItem._run calls -------------------------------------------------

    def run(self, item: pytest.Item, execute: Execute) -> ScenarioResult:
        """``item``'s result, starting the scheduler and the items ahead on first use."""
        if self._stopped:  # outside pytest's run loop: nothing to overlap with
            return asyncio.run(execute())
        self._submit_ahead(item)
        try:
            return self.scheduler.result(item, execute)
        except Cancelled:  # the scheduler stopped under us: run it here instead
            return asyncio.run(execute())

    def _upcoming(self, item: pytest.Item) -> Iterator[pytest.Item]:
        session = self._session or item.session
        items = session.items
        if self._xdist is not None:
            yield item
            for index in self._xdist.indices():
                if 0 <= index < len(items):
                    yield items[index]
            return
        position = next((i for i, found in enumerate(items) if found is item), None)
        if position is None:
            yield item
            return
        yield from items[position:]

    def _submit_ahead(self, item: pytest.Item) -> None:
        if self.scheduler.started and self._xdist is None:
            return  # the whole run was queued when the first scenario came up
        self.scheduler.start()
        for upcoming in self._upcoming(item):
            if id(upcoming) in self._submitted or not self._is_scenario(upcoming):
                continue
            if upcoming is not item and not starts_ahead(upcoming):
                continue
            execute: Execute = getattr(upcoming, "execute")  # noqa: B009 - checked by _is_scenario
            self._submitted.add(id(upcoming))
            self.scheduler.submit(upcoming, execute)

    # -- hooks --------------------------------------------------------------------------

    @pytest.hookimpl(wrapper=True)
    def pytest_runtestloop(self, session: pytest.Session) -> Generator[None, object, object]:
        self._session = session
        try:
            return (yield)
        finally:
            # Normally nothing is left. After -x, Ctrl-C or an internal error,
            # whatever still runs is cancelled so its own cleanup (closing its
            # session) runs, within a bounded grace period.
            self._stopped = True
            self.scheduler.close()

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_protocol(self, item: pytest.Item,
                                nextitem: pytest.Item | None) -> Generator[None, object, object]:
        try:
            return (yield)
        finally:
            # An item skipped in setup, or whose setup failed, never asks for its
            # result: stop its scenario if it was started ahead.
            self.scheduler.discard(item)

    @pytest.hookimpl(wrapper=True, tryfirst=True)
    def pytest_runtest_call(self, item: pytest.Item) -> Generator[None, None, None]:
        try:
            return (yield)
        finally:
            # Outside allure-pytest's own wrapper, which stamps the test with the
            # time the main thread waited: give it the scenario's real start and end.
            result = getattr(item, "result", None)
            test = allure_emit.allure_result(item.config, item.nodeid)
            if test is not None and isinstance(result, ScenarioResult) and result.stopped:
                test.start = round(result.started * 1000)
                test.stop = round(result.stopped * 1000)

    @pytest.hookimpl(trylast=True)
    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        session = self._session
        if session is not None and (session.shouldfail or session.shouldstop):
            # -x / --maxfail / stepwise: start nothing more. Scenarios already
            # running finish in the background or are cancelled at the end.
            self.scheduler.cancel_pending()

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_makereport(self, item: pytest.Item,
                                  call: pytest.CallInfo[None]) -> Generator[None, Any, Any]:
        report = yield
        result = getattr(item, "result", None)
        if call.when == "call" and isinstance(result, ScenarioResult) and result.stopped:
            # The call phase only waited for a result computed in the background:
            # report the scenario's own run time, as a sequential run would.
            report.duration = max(0.0, result.stopped - result.started)
            report.start, report.stop = result.started, result.stopped
        return report
