"""Item 2: with OSVI_API_TOKEN exported, the embedded mock run masks it too.

The redactor used to be armed only for live runs, so a scenario run on the mock
(`--osvi-target mock`, a developer's shell, a CI job that also runs live) wrote
the token into the terminal, JUnit, Allure, the transcripts (one in a file
name) and pytest's cache.
"""

from __future__ import annotations

import pytest

from runner.core.redact import MASK
from tests.secrets.conftest import TOKEN, WriteFile, leaks

SCENARIOS = """
scenario: "Mine {{ env.OSVI_API_TOKEN }}"
steps:
  - customer: "my token {{ env.OSVI_API_TOKEN }}"
    expect: {reply: nope}
---
scenario: Echoed by the mock
mock:
  replies:
    - when: token
      reply: "your token is {{ env.OSVI_API_TOKEN }}"
steps:
  - customer: "what is my token?"
    expect: {reply: {contains: token}}
"""


def test_the_token_is_masked_on_the_embedded_mock_everywhere(
        pytester: pytest.Pytester, write: WriteFile, monkeypatch: pytest.MonkeyPatch) -> None:
    scenario = write(SCENARIOS)
    monkeypatch.setenv("OSVI_API_TOKEN", TOKEN)
    reports = pytester.path / "reports"
    result = pytester.runpytest(
        "--osvi-target", "mock", "-rA", "-v", "--junitxml", str(reports / "junit.xml"),
        "--alluredir", str(reports / "allure"), "--osvi-transcripts", str(reports / "tr"),
        "-o", "junit_logging=all")
    result.assert_outcomes(passed=1, failed=1)
    out = result.stdout.str()
    assert f"my token {MASK}" in out and f"your token is {MASK}" in out
    cache = pytester.path / ".pytest_cache"
    assert f"Mine {MASK}" in (cache / "v" / "cache" / "lastfailed").read_text()
    assert len(list((reports / "tr").iterdir())) == 2
    assert leaks(result, [pytester.path], skip=[scenario]) == {}

