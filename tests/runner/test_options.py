"""Targets and configuration: options, environment, ini, and their errors."""

from __future__ import annotations

import pytest

from tests.runner.conftest import WriteScenario

SIMPLE = "scenario: S\nsteps:\n  - customer: Hi\n"


def test_mock_is_the_default_and_the_header_says_so(pytester: pytest.Pytester,
                                                    write: WriteScenario) -> None:
    write(SIMPLE)
    result = pytester.runpytest()
    result.stdout.fnmatch_lines(["osvi: target embedded mock (in process, no network)"])
    result.assert_outcomes(passed=1)


def test_live_without_a_token_stops_at_once(pytester: pytest.Pytester,
                                            write: WriteScenario) -> None:
    write(SIMPLE)
    result = pytester.runpytest("--osvi-base-url", "https://api.example.test")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines([
        "ERROR: the live target https://api.example.test needs an API token: export "
        "OSVI_API_TOKEN=<your token> (it is never printed or stored), or drop "
        "--osvi-base-url/OSVI_BASE_URL to use the embedded mock"])


def test_base_url_from_environment(pytester: pytest.Pytester, write: WriteScenario,
                                   monkeypatch: pytest.MonkeyPatch) -> None:
    write(SIMPLE)
    monkeypatch.setenv("OSVI_BASE_URL", "https://api.example.test")
    result = pytester.runpytest()
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    # --osvi-target mock overrides a base URL left in the environment.
    result = pytester.runpytest("--osvi-target", "mock")
    result.assert_outcomes(passed=1)


def test_credentials_in_the_base_url_are_never_shown(pytester: pytest.Pytester,
                                                     write: WriteScenario) -> None:
    write(SIMPLE)
    result = pytester.runpytest("--osvi-base-url", "https://user:s3cretpass@api.example.test")
    assert "s3cretpass" not in result.stdout.str() + result.stderr.str()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--osvi-timeout", "soon"], "ERROR: --osvi-timeout: 'soon' is not a duration; write a "
         "number with a unit, e.g. 200ms, 30s, 10m, 1h or 1m30s"),
        (["--osvi-timeout", "0s"], "ERROR: --osvi-timeout must be more than 0"),
        (["--osvi-max-wait", "1 week"], "ERROR: --osvi-max-wait: '1 week' is not a duration*"),
        (["--osvi-target", "live"], "ERROR: --osvi-target live needs a base URL*"),
        (["--osvi-base-url", "api.osvi.ai"], None),
    ],
)
def test_bad_option_values_are_usage_errors(pytester: pytest.Pytester, write: WriteScenario,
                                            monkeypatch: pytest.MonkeyPatch, args: list[str],
                                            message: str | None) -> None:
    monkeypatch.setenv("OSVI_API_TOKEN", "tok-abcdefgh1234")
    write(SIMPLE)
    result = pytester.runpytest(*args)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    if message:
        result.stderr.fnmatch_lines([message])
    else:
        result.stderr.fnmatch_lines(["*must start with http:// or https://*"])


def test_ini_options(pytester: pytest.Pytester, write: WriteScenario) -> None:
    write("scenario: S\nmock: {latency: 1s}\nsteps:\n  - customer: Hi\n")
    pytester.makeini("[pytest]\nosvi_scenario_timeout = 200ms\n")
    result = pytester.runpytest()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*time limit of 200ms ran out*"])


def test_agent_option_reaches_the_request(pytester: pytest.Pytester,
                                          write: WriteScenario) -> None:
    write("""scenario: S
steps:
  - customer: "I talk to {{ agent }}"
    save: {said: reply}
""")
    result = pytester.runpytest("--osvi-agent", "agent_Custom1", "-rA")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["*customer    I talk to agent_Custom1*"])
