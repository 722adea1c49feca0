"""A failing step from ``include:`` shows the fragment's own YAML lines.

Under the failure headline a person reads the lines of the step that failed:
for an included step those are the fragment's (with its line numbers),
followed by the include that brought them. The terminal view, the Allure
step's trace and the chat HTML show the same excerpt; when the fragment file
is gone by the time the failure is shown, the scenario's ``include:`` line is
shown as before.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from tests.conftest import RunPytest, WriteFile

LOGIN = """\
# A shared login, lines counted from here
- customer: "Hi, I am {{ name }}"
  save: {sid: session_id}
- customer: "Where is order {{ order }}?"
  expect: {reply: {contains: "shipped"}}
"""

SCENARIO = """\
scenario: Refund after login
vars: {order: A-17}
mock:
  default_reply: "Noted."
steps:
  - customer: "Hello"
  - include: {file: fragments/login.yaml, with: {name: Anna}}
  - customer: "Bye"
"""

HEADLINE = ("✗ step 3 failed: customer: \"Where is order A-17?\"   "
            "(fragments/login.yaml:4, included from refund.scenario.yaml:7)")


@pytest.fixture
def failing(write: WriteFile) -> None:
    write(LOGIN, "fragments/login.yaml")
    write(SCENARIO, "refund.scenario.yaml")


@pytest.mark.usefixtures("failing")
def test_the_failure_view_shows_the_fragment_lines_then_the_include(run: RunPytest) -> None:
    result = run()
    result.assert_outcomes(failed=1)
    result.stdout.re_match_lines([
        "^" + re.escape(HEADLINE) + "$",
        "^$",
        r"^  4 \| - customer: \"Where is order \{\{ order \}\}\?\"$",
        r"^  5 \|   expect: \{reply: \{contains: \"shipped\"\}\}$",
        r"^  included from refund\.scenario\.yaml:7$",
    ], consecutive=True)
    assert "7 |   - include:" not in result.stdout.str()


def test_a_nested_fragment_shows_its_own_lines_and_the_chain(
        write: WriteFile, run: RunPytest) -> None:
    write('- customer: "Bye"\n  expect: {reply: "Goodbye"}\n', "fragments/bye.yaml")
    write('- customer: "Hi"\n- include: bye.yaml\n', "fragments/greet.yaml")
    write("""\
scenario: Nested
mock: {default_reply: "Noted."}
steps:
  - include: fragments/greet.yaml
""", "nested.scenario.yaml")
    result = run()
    result.assert_outcomes(failed=1)
    result.stdout.re_match_lines([
        r"^  1 \| - customer: \"Bye\"$",
        r"^  2 \|   expect: \{reply: \"Goodbye\"\}$",
        r"^  included from fragments/greet\.yaml:2, included from nested\.scenario\.yaml:4$",
    ], consecutive=True)


@pytest.mark.usefixtures("failing")
def test_allure_and_the_chat_show_the_fragment_lines(
        run: RunPytest, pytester: pytest.Pytester) -> None:
    run("--alluredir", "allure").assert_outcomes(failed=1)
    results = [json.loads(p.read_text("utf-8"))
               for p in Path(pytester.path / "allure").glob("*-result.json")]
    failed = next(s for r in results for s in r["steps"] if s["status"] == "failed")
    trace = failed["statusDetails"]["trace"]
    assert ("fragments/login.yaml:\n"
            "  4 | - customer: \"Where is order {{ order }}?\"\n"
            "  5 |   expect: {reply: {contains: \"shipped\"}}\n"
            "  included from refund.scenario.yaml:7") in trace, trace
    assert "- include:" not in trace
    chats = [p.read_text("utf-8") for p in Path(pytester.path / "allure").glob("*.html")]
    assert any("4 | - customer: &quot;Where is order" in c for c in chats), \
        [c[-400:] for c in chats]


@pytest.mark.usefixtures("failing")
def test_a_fragment_gone_before_the_report_falls_back_to_the_include_line(
        run: RunPytest, pytester: pytest.Pytester) -> None:
    # Deleted once every scenario is loaded: the report cannot read it any more.
    pytester.makeconftest("""
        from pathlib import Path

        def pytest_collection_finish(session):
            (Path(str(session.config.rootpath)) / "fragments" / "login.yaml").unlink()
    """)
    result = run()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines([HEADLINE, "", "  7 |   - include: {file: fragments/login.yaml*"])
    assert "Traceback" not in result.stdout.str()
