"""Shared test set-up for every plugin test.

pytester's in-process runs restore ``sys.modules`` after each run, so anything
first imported inside a run is imported again by the next: slow for hypothesis
(its plugin imports it at the end of every run), and wrong for httpcore (a
second copy raises exception classes httpx no longer maps). Importing them
here, once, before any run, avoids both; jsonschema and regex too, which the
library imports only when a run first needs them.

Tests that start pytest in a child process use :mod:`tests.spawned` and carry
the ``spawns`` mark (tests/README.md).
"""

from __future__ import annotations

import socket
import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path

import anyio._backends._asyncio  # noqa: F401
import httpcore
import httpcore._backends.anyio  # noqa: F401
import hypothesis  # noqa: F401
import jsonschema.exceptions  # noqa: F401 - the library loads these lazily, in a run
import pytest
import regex  # noqa: F401

from tests.spawned import UNNEEDED_PLUGINS

WriteFile = Callable[..., Path]
RunPytest = Callable[..., pytest.RunResult]


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """The developer's shell (or CI) must not turn test runs live, drift the mock,
    add a judge or add a CI executor to the reports."""
    for name in ("OSVI_BASE_URL", "OSVI_API_TOKEN", "OSVI_AGENT_UUID", "OSVI_MOCK_VERSION",
                 "OSVI_JUDGE_MODEL", "OSVI_JUDGE_API_KEY", "GITHUB_ACTIONS", "GITLAB_CI"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture(autouse=True)
def _lean_pytester_runs(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every pytester run, in process or spawned, leaves out :data:`UNNEEDED_PLUGINS`.

    Set after pytester's own set-up, which clears ``PYTEST_ADDOPTS``.
    """
    if "pytester" in request.fixturenames:
        request.getfixturevalue("pytester")
        monkeypatch.setenv("PYTEST_ADDOPTS", UNNEEDED_PLUGINS)


@pytest.fixture
def refused_url() -> Iterator[str]:
    """A URL on 127.0.0.1 whose connections are refused. Its port stays bound (and never
    listens) during the test, so no server of a test running alongside can take it."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"


@pytest.fixture
def write(pytester: pytest.Pytester) -> WriteFile:
    """Write a file (by default a scenario) into the pytester folder, dedented."""

    def _write(text: str, name: str = "chat.scenario.yaml") -> Path:
        path = pytester.path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
        return path

    return _write


@pytest.fixture
def run(pytester: pytest.Pytester) -> RunPytest:
    """``pytester.runpytest`` in process, without the cache provider."""

    def _run(*args: str) -> pytest.RunResult:
        return pytester.runpytest("-p", "no:cacheprovider", *args)

    return _run
