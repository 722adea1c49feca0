"""``request:``: a raw call with its own method, path, body and token, on the mock and live."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import WriteFile
from tests.mock.serverproc import ServedMock, start_mock

TOKEN = "devtoken-1234567"
STEP_TOKEN = "literal-token-0042-abcdef"

CHECKS = """
scenario: The API refuses what the docs say it refuses
steps:
  - request:
      method: POST
      path: /v1/chat/inbound
      json: {agent_uuid: "{{ agent }}", customer_id: "{{ customer }}", content: Hi}
    expect: {status: 200, body: {data.reply: {matches: "."}}}
    save: {sid: data.session_id}
  - request:
      method: POST
      path: /v1/chat/inbound
      json: {agent_uuid: "{{ agent }}", customer_id: "{{ customer }}", content: Hi}
      token: none
    expect: {status: 401}
  - request:
      method: POST
      path: /v1/chat/inbound
      json: {agent_uuid: "{{ agent }}", customer_id: "{{ customer }}"}
    expect: {status: 400, body: {success: false}}
  - request:
      method: POST
      path: "/v1/chat/session/{{ sid }}/support"
      json: {command: dance}
    expect: {status: 422, body: {upstream_body.reason: unknown_command}}
  - customer: "Hi again"
    expect: {data: {data.session_id: "{{ sid }}"}}
"""


@pytest.fixture
def served(tmp_path: Path) -> Iterator[ServedMock]:
    server = start_mock(tmp_path / "server", "--token", TOKEN)
    try:
        yield server
    finally:
        server.stop()


def test_raw_requests_on_the_embedded_mock(pytester: pytest.Pytester, write: WriteFile) -> None:
    write(CHECKS)
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)


def test_raw_requests_live(pytester: pytest.Pytester, write: WriteFile, served: ServedMock,
                           monkeypatch: pytest.MonkeyPatch) -> None:
    write(CHECKS)
    monkeypatch.setenv("OSVI_API_TOKEN", TOKEN)
    result = pytester.runpytest("-p", "no:cacheprovider", "--osvi-base-url", served.url,
                                "--osvi-agent", "agent_demo")
    result.assert_outcomes(passed=1)


def test_a_wrong_status_is_a_mismatch_and_the_step_token_never_shows(
        pytester: pytest.Pytester, write: WriteFile, served: ServedMock,
        monkeypatch: pytest.MonkeyPatch) -> None:
    write(f"""
scenario: Wrong token
steps:
  - request:
      method: POST
      path: /v1/chat/inbound
      json: {{agent_uuid: agent_demo, customer_id: c1, content: "{STEP_TOKEN}"}}
      token: "{STEP_TOKEN}"
    expect: {{status: 200, body: {{error: {{equals: nope}}, data.reply: x}}}}
""")
    monkeypatch.setenv("OSVI_API_TOKEN", TOKEN)
    result = pytester.runpytest("-p", "no:cacheprovider", "--osvi-base-url", served.url,
                                "--osvi-agent", "agent_demo", "-rA")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*status*expected: 200*", "*401*"], consecutive=False)
    result.stdout.fnmatch_lines(["*body.data.reply*", "*(not in the answer)*"])
    assert STEP_TOKEN not in result.stdout.str()
    assert "refused the token" not in result.stdout.str()  # not the run's token


def test_a_token_from_the_environment(pytester: pytest.Pytester, write: WriteFile,
                                      served: ServedMock,
                                      monkeypatch: pytest.MonkeyPatch) -> None:
    write("""
scenario: Token from env
steps:
  - request:
      method: POST
      path: /v1/chat/inbound
      json: {agent_uuid: agent_demo, customer_id: c2, content: Hi}
      token: env.SECOND_TOKEN
    expect: {status: 200}
""")
    monkeypatch.setenv("OSVI_API_TOKEN", "another-token-999999")
    monkeypatch.setenv("SECOND_TOKEN", TOKEN)
    result = pytester.runpytest("-p", "no:cacheprovider", "--osvi-base-url", served.url,
                                "--osvi-agent", "agent_demo")
    result.assert_outcomes(passed=1)


def test_a_misspelt_request_key_is_a_located_error(pytester: pytest.Pytester,
                                                  write: WriteFile) -> None:
    write("""
scenario: S
steps:
  - request: {method: POST, path: /v1/chat/inbound, jsno: {}}
    expect: {status: 400, reply: x}
""")
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*chat.scenario.yaml:3:*jsno*did you mean 'json'*"])


def test_reply_on_a_request_step_says_to_use_body(pytester: pytest.Pytester,
                                                 write: WriteFile) -> None:
    write("""
scenario: S
steps:
  - request: {method: POST, path: /v1/chat/inbound, json: {}}
    expect: {status: 400, reply: x}
""")
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*chat.scenario.yaml:4: `reply` cannot be checked on a "
                                 "`request` step*body*data.reply*"])
