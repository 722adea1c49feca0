"""``targets: [mock]`` / ``[live]`` and ``wait:`` beyond ``--osvi-max-wait`` on live."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import WriteFile
from tests.mock.serverproc import ServedMock, start_mock

TOKEN = "devtoken-1234567"

MOCK_ONLY = """
scenario: Needs its mock
targets: [mock]
mock: {default_reply: "Scripted"}
steps:
  - customer: Hi
    expect: {reply: Scripted}
---
scenario: Live only
targets: [live]
steps:
  - customer: Hi
---
scenario: Anywhere
steps:
  - customer: Hi
---
scenario: Waits long
steps:
  - customer: Hi
  - wait: 10m
  - customer: Hi again
"""


@pytest.fixture
def served(tmp_path: Path) -> Iterator[ServedMock]:
    server = start_mock(tmp_path / "server", "--token", TOKEN)
    try:
        yield server
    finally:
        server.stop()


def test_mock_only_scenarios_are_skipped_live_with_the_reason(
        pytester: pytest.Pytester, write: WriteFile, served: ServedMock,
        monkeypatch: pytest.MonkeyPatch) -> None:
    write(MOCK_ONLY)
    monkeypatch.setenv("OSVI_API_TOKEN", TOKEN)
    result = pytester.runpytest("-p", "no:cacheprovider", "-rs", "--osvi-base-url", served.url,
                                "--osvi-agent", "agent_demo", "--osvi-max-wait", "1s")
    result.assert_outcomes(passed=2, skipped=2)
    result.stdout.fnmatch_lines([
        "*Needs its mock*only on the embedded mock (targets: ?mock?)*",
        "*'Waits long': step 2 waits 10m*longer than --osvi-max-wait 1*",
    ], consecutive=False)


def test_live_only_scenarios_are_skipped_on_the_mock(pytester: pytest.Pytester,
                                                     write: WriteFile) -> None:
    write(MOCK_ONLY)
    result = pytester.runpytest("-p", "no:cacheprovider", "-rs")
    result.assert_outcomes(passed=3, skipped=1)
    result.stdout.fnmatch_lines(["*Live only*only against the live API (targets: ?live?)*"])


def test_a_misspelt_target_is_a_located_error(pytester: pytest.Pytester,
                                              write: WriteFile) -> None:
    write("scenario: S\ntargets: [mokc]\nsteps:\n  - customer: Hi\n")
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*chat.scenario.yaml:2:*mokc*mock*"])
