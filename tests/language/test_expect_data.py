"""``expect: {data: ..., command: ..., headers: ...}``: anything in the answer, end to end."""

from __future__ import annotations

import pytest

from tests.conftest import WriteFile

BOT = """
mock:
  operator: qa@yourco.com
  replies:
    - when: "^echo"
      reply: "{{ message }}"
    - when: "(?i)broken"
      reply: "never"
      fault: {status: 502, error: upstream_failed, headers: {X-Request-Id: req-42}}
  default_reply: "How can I help?"
"""


def run(pytester: pytest.Pytester, write: WriteFile, steps: str,
        head: str = "") -> pytest.RunResult:
    write("scenario: S\n" + head + BOT.strip() + "\nsteps:\n" + steps.strip("\n") + "\n")
    return pytester.runpytest("-p", "no:cacheprovider")


def test_data_paths_compare_with_saved_variables(pytester: pytest.Pytester,
                                                 write: WriteFile) -> None:
    result = run(pytester, write, """
  - customer: "Hi"
    save: {sid: session_id}
  - customer: "again"
    expect:
      data:
        data.session_id: "{{ sid }}"
        data.reply: {contains: help}
        success: true
  - takeover: null
    expect: {command: takeover, data: {data.active_human: qa@yourco.com}}
""")
    result.assert_outcomes(passed=1)


def test_a_data_mismatch_names_the_path_and_shows_both_sides(pytester: pytest.Pytester,
                                                            write: WriteFile) -> None:
    result = run(pytester, write, """
  - customer: "Hi"
    expect: {data: {data.reply: {contains: refund}}}
""")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*data.data.reply*refund*", "*How can I help?*"])


def test_a_missing_path_is_a_mismatch_not_a_crash(pytester: pytest.Pytester,
                                                  write: WriteFile) -> None:
    result = run(pytester, write, """
  - customer: "Hi"
    expect: {data: {data.nothing.here: x, data.reply.deeper: y}}
""")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*data.data.nothing.here*expected*", "*(not in the answer)*"])
    result.stdout.no_fnmatch_line("*Traceback*")


def test_the_command_echo_of_a_support_step(pytester: pytest.Pytester,
                                            write: WriteFile) -> None:
    result = run(pytester, write, """
  - customer: "Hi"
  - takeover: null
    expect: {command: tell}
""")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*command*tell*", "*takeover*"])


def test_command_on_a_customer_step_is_a_located_error(pytester: pytest.Pytester,
                                                      write: WriteFile) -> None:
    result = run(pytester, write, """
  - customer: "Hi"
    expect: {command: takeover}
""")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*chat.scenario.yaml:13: `command` cannot be checked*"])


def test_response_headers_of_an_error_answer(pytester: pytest.Pytester,
                                             write: WriteFile) -> None:
    result = run(pytester, write, """
  - customer: "broken"
    expect:
      error: {status: 502}
      headers: {x-request-id: req-42, Content-Type: {contains: json}}
  - customer: "broken"
    expect:
      error: {status: 502}
      headers: {X-Request-Id: other}
""")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*step 2 failed*", "*headers.X-Request-Id*other*", "*req-42*"])


def test_a_misspelt_data_matcher_is_a_located_error(pytester: pytest.Pytester,
                                                   write: WriteFile) -> None:
    result = run(pytester, write, """
  - customer: "Hi"
    expect: {data: {data.reply: {contans: help}}}
""")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*chat.scenario.yaml:13:*contans*contains*"])


def test_the_examples_row_id_is_a_variable(pytester: pytest.Pytester,
                                          write: WriteFile) -> None:
    result = run(pytester, write, """
  - customer: "echo {{ id }}"
    expect: {reply: "echo {{ word }}"}
""", head="examples:\n  - {id: english, word: english}\n  - {id: german, word: german}\n"
         "  - {word: row3}\n")
    result.assert_outcomes(passed=3)


def test_vars_use_other_vars_in_any_order(pytester: pytest.Pytester, write: WriteFile) -> None:
    result = run(pytester, write, """
  - customer: "{{ greeting }}"
    expect: {reply: "echo to {{ who }} from english"}
""", head='vars:\n  greeting: "echo to {{ who }} from {{ lang }}"\n  who: "{{ name }}"\n'
          "  name: Ann\n  lang: english\n")
    result.assert_outcomes(passed=1)


def test_a_cycle_in_vars_is_a_located_error(pytester: pytest.Pytester,
                                           write: WriteFile) -> None:
    result = run(pytester, write, """
  - customer: "{{ a }}"
""", head='vars:\n  a: "x {{ b }}"\n  b: "{{ a }} y"\n')
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*chat.scenario.yaml:3: variables use each other in a circle: "
                                 "a → b → a; give one of them*"])
