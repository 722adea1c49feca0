"""A broken scenario file is a collection error naming file, line and fix, never a traceback."""

from __future__ import annotations

import pytest

from tests.runner.conftest import WriteScenario

BROKEN = """
scenario: Broken
steps:
  - custmer: "Hi"
---
scenario: Wrong expectation
steps:
  - customer: "Hi {{ nam }}"
  - takeover: null
    expect: {mode: support}
"""


def test_problems_of_a_file_are_listed_together(pytester: pytest.Pytester,
                                                write: WriteScenario) -> None:
    write(BROKEN, name="flows/bad.scenario.yaml")
    result = pytester.runpytest("-p", "no:cacheprovider")
    assert result.ret == pytest.ExitCode.INTERRUPTED
    result.stdout.fnmatch_lines([
        "*ERROR collecting flows/bad.scenario.yaml*",
        "flows/bad.scenario.yaml:3: unknown key 'custmer' in a step (did you mean 'customer'?); "
        "use one of: customer, takeover, *",
        "flows/bad.scenario.yaml:7: undefined variable 'nam'; define it under `vars:`, in every "
        "`examples` row, or `save:` it in an earlier step",
        "flows/bad.scenario.yaml:9: `mode` cannot be checked on a `takeover` step: the support "
        "API answers only state, session_id, command and active_human; check `mode: support` "
        "on the next `customer` step",
    ])
    assert "Traceback" not in result.stdout.str()


def test_other_files_run_with_continue_on_collection_errors(
        pytester: pytest.Pytester, write: WriteScenario) -> None:
    write(BROKEN, name="bad.scenario.yaml")
    write("scenario: Fine\nsteps:\n  - customer: Hi\n", name="good.scenario.yaml")
    result = pytester.runpytest("--continue-on-collection-errors")
    result.assert_outcomes(passed=1, errors=1)


@pytest.mark.parametrize(
    ("text", "line"),
    [
        ("scenario: S\nsteps:\n  - customer: Hi\n    customer: again\n",
         "chat.scenario.yaml:4: duplicate key 'customer' (first written on line 3)*"),
        ("scenario: S\nsteps:\n\t- customer: Hi\n",
         "chat.scenario.yaml:3: a tab character is used for indentation*"),
        ("", "chat.scenario.yaml:1: the file holds no scenario; write at least `scenario:` "
         "and `steps:`"),
        ("scenario: S\nmock: agents/missing.yaml\nsteps:\n  - customer: Hi\n",
         "chat.scenario.yaml:2: mock agent file 'agents/missing.yaml' not found*"),
        ("scenario: S\nsteps:\n  - customer: Hi\n    expect: {help_requested: \"yes\"}\n",
         "chat.scenario.yaml:4: `help_requested` must be true or false*"),
        ("scenario: S\nsteps:\n  - wait: 30 seconds\n",
         "chat.scenario.yaml:3: `wait: 30 seconds` is not a duration*"),
        ("scenario: S\nsteps:\n  - whisper: psst\n",
         "chat.scenario.yaml:3: `whisper` needs a session, but no `customer` step has run yet*"),
        ("scenario: S\nmock:\n  replies:\n    - when: '('\n      reply: x\nsteps:\n"
         "  - customer: Hi\n", "chat.scenario.yaml:4: *regular expression*"),
    ],
)
def test_each_kind_of_problem_is_located(pytester: pytest.Pytester, write: WriteScenario,
                                         text: str, line: str) -> None:
    write(text)
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.stdout.fnmatch_lines([line])
    assert "Traceback" not in result.stdout.str()
    assert "INTERNALERROR" not in result.stdout.str()
