"""Live mode over real HTTP: the standalone mock served on 127.0.0.1."""

from __future__ import annotations

import signal
import time
from collections.abc import Iterator

import pytest

from tests.mock.serverproc import start_mock
from tests.runner.conftest import WriteScenario

TOKEN = "live-token-9f8e7d6c"


@pytest.fixture(scope="module")
def served_mock(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    agents = tmp_path_factory.mktemp("agents") / "agents.yaml"
    agents.write_text(
        "agent_Live1:\n"
        "  operator: live@yourco.com\n"
        "  replies:\n"
        "    - when: '(?i)refund'\n"
        "      reply: What's your order number?\n"
        "      state: collect_order\n"
        "  default_reply: How can I help?\n", encoding="utf-8")
    # On a port of its own choosing: a port picked here could be taken by a test running
    # alongside before the server binds it.
    served = start_mock(tmp_path_factory.mktemp("log"), "--token", TOKEN, "--agents", str(agents))
    yield served.url
    served.stop(signal.SIGTERM)
    assert TOKEN not in served.output(), "the server logged the token"


LIVE_SCENARIO = """
scenario: Live refund
steps:
  - customer: "I want a refund"
    expect:
      reply: {contains: "order number"}
      state: collect_order
  - takeover: null
    expect: {active_human: live@yourco.com}
  - customer: "hello?"
    expect: {reply: null, mode: support}
  - wait: 10ms
finally:
  - close: null
---
scenario: Live failure
steps:
  - customer: "Hi"
    expect: {reply: "something else"}
"""


def _live(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, url: str,
          *args: str) -> pytest.RunResult:
    monkeypatch.setenv("OSVI_API_TOKEN", TOKEN)
    return pytester.runpytest("--osvi-base-url", url, "--osvi-agent", "agent_Live1",
                              "-p", "no:cacheprovider", "-rA", *args)


def test_live_run_against_the_served_mock(pytester: pytest.Pytester, write: WriteScenario,
                                          served_mock: str,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    write(LIVE_SCENARIO)
    junit = pytester.path / "junit.xml"
    result = _live(pytester, monkeypatch, served_mock, f"--junitxml={junit}")
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines([f"osvi: target live {served_mock}, agent agent_Live1",
                                 f"  target: {served_mock} · agent: agent_Live1 *"])
    written = result.stdout.str() + result.stderr.str() + junit.read_text()
    assert TOKEN not in written


def test_wrong_token_is_an_unexpected_401(pytester: pytest.Pytester, write: WriteScenario,
                                          served_mock: str,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    write("scenario: S\nsteps:\n  - customer: Hi\n")
    monkeypatch.setenv("OSVI_API_TOKEN", "wrong-token-1234")
    result = pytester.runpytest("--osvi-base-url", served_mock, "--osvi-agent", "agent_Live1")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*unexpected answer HTTP 401*"])
    assert "wrong-token-1234" not in result.stdout.str()


def test_refused_connection_is_one_line(pytester: pytest.Pytester, write: WriteScenario,
                                        monkeypatch: pytest.MonkeyPatch, refused_url: str) -> None:
    write("scenario: S\nsteps:\n  - customer: Hi\n")
    url = refused_url
    monkeypatch.setenv("OSVI_API_TOKEN", TOKEN)
    result = pytester.runpytest("--osvi-base-url", url, "--osvi-agent", "agent_X",
                                "--osvi-retries", "0")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines([
        "  00:0* step 1  customer    Hi",
        "*(no usable answer)",
        f"*error       could not connect to {url} (connection refused)*",
        f'Cause: step 1 (customer: "Hi"): could not connect to {url} (connection refused)*'])
    assert "Traceback" not in result.stdout.str()
    assert TOKEN not in result.stdout.str()


def test_live_needs_an_agent(pytester: pytest.Pytester, write: WriteScenario,
                             served_mock: str, monkeypatch: pytest.MonkeyPatch) -> None:
    write("scenario: S\nsteps:\n  - customer: Hi\n")
    monkeypatch.setenv("OSVI_API_TOKEN", TOKEN)
    result = pytester.runpytest("--osvi-base-url", served_mock)
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*no agent to talk to: set `agent:` in the scenario, "
                                 "--osvi-agent, OSVI_AGENT_UUID or the ini option osvi_agent*"])


def test_wait_beyond_the_cap_is_a_skip_live(pytester: pytest.Pytester, write: WriteScenario,
                                            served_mock: str,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    write("scenario: S\nsteps:\n  - customer: Hi\n  - wait: 10m\n")
    started = time.monotonic()
    result = _live(pytester, monkeypatch, served_mock, "--osvi-max-wait", "50ms", "-rs")
    result.assert_outcomes(skipped=1)
    result.stdout.fnmatch_lines(["*step 2 waits 10m00s, longer than --osvi-max-wait 50ms*"])
    assert time.monotonic() - started < 60


