"""``- include:`` step fragments: expanded in place, parameters, errors at the fragment's line."""

from __future__ import annotations

import pytest

from runner.tools import cli
from tests.conftest import RunPytest, WriteFile

LOGIN = """
- customer: "Hi, I am {{ name }}"
  expect: {reply: {contains: "{{ name }}"}}
- customer: "My order is {{ order }}"
"""



def test_included_steps_run_with_parameters_then_scenario_vars(
        write: WriteFile, run: RunPytest) -> None:
    write(LOGIN, "fragments/login.yaml")
    write("""
        scenario: Refund after login
        vars: {order: A-17}
        mock:
          replies:
            - when: {contains: "I am"}
              reply: "Welcome {{ message }}"
          default_reply: "Noted: {{ message }}"
        steps:
          - include: {file: fragments/login.yaml, with: {name: Anna}}
          - customer: "Refund please"
            expect: {reply: {contains: "Refund"}}
        """, "refund.scenario.yaml")
    result = run("-v")
    result.assert_outcomes(passed=1)


def test_a_failing_included_step_names_the_fragment(write: WriteFile, run: RunPytest) -> None:
    write(LOGIN, "fragments/login.yaml")
    write("""
        scenario: Wrong name
        vars: {order: A-17}
        mock: {default_reply: "Hello there"}
        steps:
          - include: {file: fragments/login.yaml, with: {name: Anna}}
        """, "refund.scenario.yaml")
    result = run()
    result.assert_outcomes(failed=1)
    # the fragment's own lines, then the include that brought them
    result.stdout.fnmatch_lines(["  1 | - customer: \"Hi, I am {{ name }}\"",
                                 "  2 |   expect: {reply: {contains: \"{{ name }}\"}}",
                                 "  included from refund.scenario.yaml:5"])


def test_include_without_parameters_and_nested_fragments(
        write: WriteFile, run: RunPytest) -> None:
    write("- customer: Bye\n  expect: {reply: {contains: Bye}}\n", "fragments/bye.yaml")
    write("- customer: Hello\n- include: bye.yaml\n", "fragments/greet.yaml")
    write("""
        scenario: Nested
        mock: {default_reply: "Noted: {{ message }}"}
        steps:
          - include: fragments/greet.yaml
        finally:
          - include: fragments/bye.yaml
        """)
    run().assert_outcomes(passed=1)


def test_an_undefined_placeholder_is_reported_at_the_fragment_line(
        write: WriteFile, run: RunPytest) -> None:
    write(LOGIN, "fragments/login.yaml")
    write("""
        scenario: Missing order
        mock: {default_reply: ok}
        steps:
          - customer: first
          - include: {file: fragments/login.yaml, with: {name: Anna}}
        """, "refund.scenario.yaml")
    result = run()
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines([
        "*fragments/login.yaml:3, included from refund.scenario.yaml:5: "
        "undefined variable 'order'*"])


def test_an_unknown_parameter_gets_did_you_mean(write: WriteFile, run: RunPytest) -> None:
    write(LOGIN, "fragments/login.yaml")
    write("""
        scenario: Misspelt
        vars: {order: A-17}
        mock: {default_reply: ok}
        steps:
          - include:
              file: fragments/login.yaml
              with:
                nmae: Anna
        """, "refund.scenario.yaml")
    result = run()
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines([
        "*refund.scenario.yaml:8: `with:` gives 'nmae', which fragments/login.yaml does not "
        "use (did you mean 'name'?)*"])


@pytest.mark.parametrize(("files", "expected"), [
    ({}, "*chat.scenario.yaml:3: fragment file 'fragments/a.yaml' not found*"),
    ({"fragments/a.yaml": "customer: Hi\n"},
     "*fragments/a.yaml:1: a fragment file must hold one list of steps*"),
    ({"fragments/a.yaml": "- include: b.yaml\n", "fragments/b.yaml": "- include: a.yaml\n"},
     "*fragments/b.yaml:1, included from fragments/a.yaml:1, included from "
     "chat.scenario.yaml:3: fragments include each other in a circle: chat.scenario.yaml -> "
     "fragments/a.yaml -> fragments/b.yaml -> fragments/a.yaml*"),
], ids=["missing", "not-a-list", "cycle"])
def test_bad_fragments_are_file_line_errors(write: WriteFile, run: RunPytest,
                                            files: dict[str, str], expected: str) -> None:
    for name, text in files.items():
        write(text, name)
    write("""
        scenario: Bad include
        steps:
          - include: fragments/a.yaml
        """)
    result = run()
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines([expected])
    assert "Traceback" not in result.stdout.str()


def test_a_fragment_outside_the_project_is_refused(
        write: WriteFile, run: RunPytest, pytester: pytest.Pytester) -> None:
    project = pytester.path / "project"
    (project / "pytest.ini").parent.mkdir()
    (project / "pytest.ini").write_text("[pytest]\n")
    write("- customer: Hi\n", "outside.yaml")
    write("""
        scenario: Escapes
        steps:
          - include: ../outside.yaml
        """, "project/chat.scenario.yaml")
    result = pytester.runpytest("-p", "no:cacheprovider", "--rootdir", str(project), str(project))
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*fragment file '../outside.yaml' is outside the project*"])


def test_check_reports_the_same_errors(write: WriteFile, pytester: pytest.Pytester,
                                      monkeypatch: pytest.MonkeyPatch,
                                      capsys: pytest.CaptureFixture[str]) -> None:
    write(LOGIN, "fragments/login.yaml")
    write("""
        scenario: Missing order
        steps:
          - include: {file: fragments/login.yaml, with: {name: Anna}}
        """, "refund.scenario.yaml")
    monkeypatch.chdir(pytester.path)
    assert cli.main(["check", "refund.scenario.yaml"]) == 1
    assert ("fragments/login.yaml:3, included from refund.scenario.yaml:3: "
            "undefined variable 'order'") in capsys.readouterr().out


def test_an_include_step_with_other_keys_is_refused(write: WriteFile, run: RunPytest) -> None:
    write("- customer: Hi\n", "fragments/a.yaml")
    write("""
        scenario: Mixed
        steps:
          - include: fragments/a.yaml
            expect: {reply: Hi}
        """)
    result = run()
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(
        ["*chat.scenario.yaml:4: an `include:` step takes no other keys, not 'expect'*"])
