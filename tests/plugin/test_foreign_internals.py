"""The other plugins' private state we read, for want of a public hook, is still there.

`runner/plugin/allure_emit.py` finds a test's open Allure result in
allure-pytest's listener cache; `runner/plugin/scheduling.py` reads a
pytest-xdist worker's queue; `runner/execution/direct_send.py` asks httpx which
transport serves a URL. None has a public hook. If an upgrade renames them,
these fail here rather than the reports going quietly wrong (or, for httpx,
every call quietly taking the slower path).
"""

from __future__ import annotations

import inspect

import httpx
from allure_pytest.listener import AllureListener, ItemCache
from xdist import remote  # type: ignore[import-untyped]


def test_allure_pytest_keeps_open_results_by_node_id_in_its_listener() -> None:
    init = inspect.getsource(AllureListener.__init__)
    assert "self._cache = ItemCache()" in init
    assert "self.allure_logger" in init
    cache = ItemCache()
    nodeid = "a.scenario.yaml::A"
    key = cache.push(nodeid)
    assert cache.get(nodeid) == key  # keyed by the node id as pytest passes it around


def test_xdist_workers_queue_their_items_where_the_scheduler_reads_them() -> None:
    init = inspect.getsource(remote.WorkerInteractor.__init__)
    assert "self.torun = TestQueue(" in init
    assert "self.nextitem_index" in init
    assert callable(remote.TestQueue.lock)  # (module access: pytest would collect `TestQueue`)


def test_httpx_names_the_transport_for_a_url_proxies_included() -> None:
    own = httpx.AsyncHTTPTransport()
    proxy = httpx.AsyncHTTPTransport()
    client = httpx.AsyncClient(base_url="http://api.example", transport=own,
                               mounts={"http://proxied.example": proxy})
    assert client._transport_for_url(httpx.URL("http://api.example/v1/x")) is own
    assert client._transport_for_url(httpx.URL("http://proxied.example/v1/x")) is proxy
