"""JUnit XML, the terminal summary, and the token never reaching any written report."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import WriteFile
from tests.mock.serverproc import ServedMock, start_mock
from tests.report.conftest import RunPytest
from tests.report.test_allure_pytest import GREETINGS, REFUND

TOKEN = "tok-FAKE-7c1d9e55-never-print-me"


def junit_cases(path: Path) -> dict[str, ET.Element]:
    root = ET.parse(path).getroot()
    return {case.get("name", ""): case for case in root.iter("testcase")}


def properties(case: ET.Element) -> dict[str, str]:
    return {p.get("name", ""): p.get("value", "") for p in case.iter("property")}


def test_junit_has_a_case_per_row_with_target_sessions_and_transcript(
        run: RunPytest, write: WriteFile, tmp_path: Path) -> None:
    write(GREETINGS, "greetings.scenario.yaml")
    write(REFUND, "refund.scenario.yaml")
    xml = tmp_path / "junit.xml"
    run(f"--junitxml={xml}").assert_outcomes(passed=2, failed=1)  # junit_logging left at "no"
    cases = junit_cases(xml)
    assert set(cases) == {"Greeting[english]", "Greeting[german]", "Refund is escalated"}
    for name, case in cases.items():
        props = properties(case)
        assert props["target"] == "embedded mock", name
        assert props["session_ids"], name
        (out,) = case.findall("system-out")
        assert out.text and out.text.startswith("Conversation ("), name
    assert "customer    Hallo" in (cases["Greeting[german]"].findtext("system-out") or "")
    failed = cases["Refund is escalated"]
    assert failed.find("failure") is not None
    assert "whisper" in (failed.findtext("system-out") or "")


def test_terminal_summary_per_tag_slowest_steps_and_report_locations(
        run: RunPytest, write: WriteFile, tmp_path: Path) -> None:
    write(GREETINGS, "greetings.scenario.yaml")
    write(REFUND, "refund.scenario.yaml")
    write("""
        scenario: Later
        skip: not yet
        steps: [{customer: "Hi"}]
    """, "later.scenario.yaml")
    result = run("--alluredir", str(tmp_path / "allure"), f"--junitxml={tmp_path / 'j.xml'}")
    out = result.stdout.str()
    assert "osvi summary" in out
    result.stdout.fnmatch_lines([
        "*osvi summary*",
        "tag * passed * failed * broken * skipped",
        "escalation * 0 * 1 * 0 * 0",
        "i18n * 2 * 0 * 0 * 0",
        "refund * 0 * 1 * 0 * 0",
        "(no tag) * 0 * 0 * 0 * 1",
        "-*",
        "all scenarios * 2 * 1 * 0 * 1",
        "",
        "slowest steps:",
    ])
    slow = out[out.index("slowest steps:"):out.index("reports:")].strip().splitlines()[1:]
    assert len(slow) == 5 and all(" · " in line for line in slow)
    result.stdout.fnmatch_lines([
        "reports:",
        f"  Allure results: {tmp_path / 'allure'}",
        f"  JUnit XML: * {tmp_path / 'j.xml'}",
        "  HTML report: * reports/allure-report/index.html (written by: python -m "
        f"runner.report.render_html --results {tmp_path / 'allure'})",
    ])


ECHO_AGENTS = """
agent_echo:
  default_reply: "echo: {{ message }}"
"""


@pytest.fixture
def served(tmp_path: Path) -> Iterator[ServedMock]:
    agents = tmp_path / "agents.yaml"
    agents.write_text(ECHO_AGENTS, encoding="utf-8")
    mock = start_mock(tmp_path / "server", "--agents", str(agents),
                      env={"OSVI_MOCK_TOKEN": TOKEN})
    try:
        yield mock
    finally:
        mock.stop()


def test_the_token_never_reaches_a_written_report(
        run: RunPytest, write: WriteFile, tmp_path: Path, served: ServedMock,
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OSVI_API_TOKEN", TOKEN)
    write(f"""
        scenario: Leaky
        description: "token {TOKEN}"
        tags: [leak]
        agent: agent_echo
        steps:
          - customer: "my token is {TOKEN}"
            expect:
              reply: {{contains: "nothing like this"}}
    """)
    results, xml = tmp_path / "allure", tmp_path / "junit.xml"
    result = run("--osvi-base-url", served.url, "--alluredir", str(results),
                 f"--junitxml={xml}", "-rA")
    result.assert_outcomes(failed=1)
    written = [*results.iterdir(), xml]
    assert any(p.name.endswith("-result.json") for p in written)
    assert any("«redacted»" in p.read_text("utf-8", "replace") for p in written)
    for path in written:
        assert TOKEN not in path.read_text("utf-8", "replace"), path.name
    assert TOKEN not in result.stdout.str() + result.stderr.str()
