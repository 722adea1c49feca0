"""The token never leaks: not to the terminal, the reports, the logs, or the mock's log.

The scenarios here do their worst: they send the token as a customer message to
an agent that echoes it back, put it in a scenario's name, use it as a session
id (so it lands in a URL, an error and the server's access log), and a broken
file holds it literally. The run writes every report it can, with debug
logging on. Then every byte of output is searched for it.
"""

from __future__ import annotations

import pytest

from runner.core.redact import MASK
from runner.execution.settings import SettingsError, build_settings
from tests.conftest import WriteFile
from tests.mock.serverproc import ServedMock
from tests.reliability.conftest import TOKEN

PASSWORD = "hunter2-basic-auth"

SCENARIOS = """
scenario: "Echo passes {{ env.OSVI_API_TOKEN }}"
steps:
  - customer: "my token is {{ env.OSVI_API_TOKEN }}"
    expect: {reply: {contains: "{{ env.OSVI_API_TOKEN }}"}}
---
scenario: Echo fails
vars: {secret: "{{ env.OSVI_API_TOKEN }}"}
steps:
  - customer: "again {{ secret }}"
    expect: {reply: "something else"}
---
scenario: Echo breaks on a session named by the token
steps:
  - customer: "hello"
  - whisper: "psst {{ env.OSVI_API_TOKEN }}"
    session_id: "{{ env.OSVI_API_TOKEN }}"
---
scenario: Echo breaks on a time limit
steps:
  - customer: "slow {{ env.OSVI_API_TOKEN }}"
"""


@pytest.mark.spawns
def test_the_token_appears_in_no_output_at_all(pytester: pytest.Pytester, write: WriteFile,
                                                mock_server: ServedMock,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    write(SCENARIOS, name="echo.scenario.yaml")
    write(f"scenario: Broken\nsteps:\n  - {TOKEN}: hi\n", name="broken.scenario.yaml")
    reports = pytester.path / "reports"
    monkeypatch.setenv("OSVI_API_TOKEN", TOKEN)
    url = mock_server.url.replace("http://", f"http://qa:{PASSWORD}@")
    # A child process: every byte it writes counts, even at interpreter exit or straight
    # to file descriptors, which an in-process run would not capture.
    result = pytester.runpytest_subprocess(
        "--osvi-base-url", url, "--osvi-agent", "agent_Echo", "--osvi-timeout", "1s",
        "-p", "no:cacheprovider", "--continue-on-collection-errors", "-v", "-rA",
        "--showlocals", "--log-level=DEBUG", f"--log-file={reports}/run.log",
        "--log-file-level=DEBUG", f"--alluredir={reports}/allure-results",
        f"--junitxml={reports}/junit.xml", "-o", "junit_logging=all")
    result.assert_outcomes(passed=1, failed=3, errors=1)
    # The attacks reached their targets: the agent echoed the token, the session
    # lookup failed on it, and the reports were written.
    out = result.stdout.str()
    assert f"my token is {MASK}" in out
    assert f"Echo passes {MASK}" in out
    assert f"'session_not_found' from POST /v1/chat/session/{MASK}/support" in out
    assert TOKEN.encode() in (pytester.path / "broken.scenario.yaml").read_bytes()
    assert (reports / "junit.xml").is_file() and (reports / "run.log").stat().st_size > 0
    written = sorted(p for p in reports.rglob("*") if p.is_file())
    assert len(written) > 10
    for secret in (TOKEN, PASSWORD):
        assert secret not in out
        assert secret not in result.stderr.str()
        for path in written:
            assert secret.encode() not in path.read_bytes(), path
    assert TOKEN not in mock_server.output()
    assert f"POST /v1/chat/session/{MASK}/support 404" in mock_server.output()


@pytest.mark.parametrize("token", [" leading-space-token", "line\nbreak-token", "tøken-1234567"])
def test_a_token_a_header_cannot_carry_is_refused_without_echoing_it(token: str) -> None:
    with pytest.raises(SettingsError) as caught:
        build_settings(target=None, base_url="https://api.osvi.ai", agent=None, timeout=None,
                       max_wait=None, scenario_timeout=None, patterns=None,
                       env={"OSVI_API_TOKEN": token})
    assert str(caught.value).startswith("OSVI_API_TOKEN holds spaces, line breaks or non-ASCII")
    assert token.strip() not in str(caught.value)


def test_a_short_token_is_refused(pytester: pytest.Pytester,
                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OSVI_API_TOKEN", "abc12")
    result = pytester.runpytest("--osvi-base-url", "https://api.osvi.ai")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["ERROR: OSVI_API_TOKEN is only 5 characters long; OSVI tokens "
                                 "have 16. Copy it again from the OSVI dashboard (Settings → API)"])
    assert "abc12" not in result.stdout.str() + result.stderr.str()
