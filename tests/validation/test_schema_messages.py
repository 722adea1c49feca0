"""Schema errors become one located, plain-language line each: file:line: message; fix."""

from __future__ import annotations

import random
import textwrap
from typing import Any

import pytest
import yaml

from runner.language.checks import check_document
from runner.language.locate import document_line
from runner.language.validation import validate_document
from runner.language.yamlsrc import load_documents

FILE = "s.scenario.yaml"
STEP_KEYS = ("customer, takeover, tell, whisper, operator, end, close, inject_context, wait, "
             "request, simulate, include, name, expect, save, session_id, as")
ACTIONS = ("customer, takeover, tell, whisper, operator, end, close, inject_context, wait, "
           "simulate, request")
DURATION = "write a number with a unit, e.g. 200ms, 30s, 10m, 1h or 1m30s"


def lines(text: str) -> list[str]:
    """Every problem of every document in ``text``, formatted as the user sees it."""
    found: list[str] = []
    for document in load_documents(textwrap.dedent(text).lstrip("\n"), FILE):
        found += [p.format() for p in check_document(document.data, FILE, {})]
    return found


def test_unknown_key_in_a_step_suggests_the_spelling() -> None:
    assert lines("""
        scenario: s
        steps:
          - custmer: Hi
    """) == [f"{FILE}:3: unknown key 'custmer' in a step (did you mean 'customer'?); "
             f"use one of: {STEP_KEYS}"]


def test_unknown_top_level_key_replaces_the_missing_key_error() -> None:
    assert lines("""
        scenario: s
        stpes:
          - customer: Hi
    """) == [f"{FILE}:2: unknown key 'stpes' at the top level of the scenario (did you mean "
             "'steps'?); use one of: scenario, description, tags, agent, customer, customers, "
             "agents, vars, examples, mock, steps, finally, repeat, invariants, operator, judge, "
                 "skip, "
             "xfail, targets, timeout, feature, story, owner, severity, links"]


def test_step_without_an_action() -> None:
    assert lines("""
        scenario: s
        steps:
          - name: just a name
            expect: {state: ok}
    """) == [f"{FILE}:3: a step needs exactly one action ({ACTIONS}); this one has none; "
             "add one, e.g. `- customer: Hi`; `name`, `expect` and `save` go next to it"]


def test_step_with_two_actions() -> None:
    assert lines("""
        scenario: s
        steps:
          - customer: Hi
            tell: Offer a voucher
    """) == [f"{FILE}:3: a step needs exactly one action ({ACTIONS}); this one has customer "
             "and tell; split it into one step per action, each starting with `- `"]


def test_wrong_type_for_a_boolean() -> None:
    assert lines("""
        scenario: s
        steps:
          - customer: Hi
            expect:
              help_requested: "yes"
    """) == [f"{FILE}:5: `help_requested` must be true or false, not the string 'yes'; "
             "write help_requested: true"]


def test_whole_string_placeholders_stand_for_booleans_and_enums() -> None:
    assert lines("""
        scenario: s
        examples: [{escalates: true, m: ai}, {escalates: false, m: support}]
        steps:
          - customer: Hi
            expect: {help_requested: "{{ escalates }}", mode: "{{ m }}"}
    """) == []


def test_number_where_text_is_expected() -> None:
    assert lines("""
        scenario: s
        steps:
          - customer: 1234
    """) == [f'{FILE}:3: `customer` must be text, not the number 1234; '
             'put it in quotes: customer: "1234"']


def test_yaml_boolean_where_text_is_expected() -> None:
    assert lines("""
        scenario: s
        steps:
          - customer: yes
    """) == [f'{FILE}:3: `customer` must be text, not true; put the text in quotes, e.g. '
             'customer: "yes"; unquoted yes, no, on, off, true and false are booleans in YAML']


def test_missing_scenario_name() -> None:
    assert lines("""
        description: no name
        steps:
          - customer: Hi
    """) == [f"{FILE}:1: the scenario has no `scenario:` name; add a line such as "
             "`scenario: Refund request is escalated` (it names the test)"]


def test_missing_steps() -> None:
    assert lines("scenario: s\n") == [
        f"{FILE}:1: the scenario has no `steps:`; add `steps:` with at least one step, "
        "e.g. `- customer: Hi`"]


def test_empty_steps() -> None:
    assert lines("scenario: s\nsteps: []\n") == [
        f"{FILE}:2: `steps` is empty; add at least one step, e.g. `- customer: Hi`"]


def test_document_that_is_not_a_mapping() -> None:
    assert lines("- customer: Hi\n") == [
        f"{FILE}:1: a scenario must be a mapping of keys such as `scenario:` and `steps:`, "
        "not a list; start the document with `scenario: <a name for the test>`"]


def test_bad_enum_value_lists_the_valid_ones() -> None:
    assert lines("""
        scenario: s
        severity: critcal
        steps:
          - customer: Hi
            expect: {mode: suport}
    """) == [
        f"{FILE}:2: `severity` cannot be 'critcal' (did you mean 'critical'?); "
        "use one of: blocker, critical, normal, minor, trivial",
        f"{FILE}:5: `mode` cannot be 'suport' (did you mean 'support'?); use one of: ai, support",
    ]


def test_bad_durations() -> None:
    assert lines("""
        scenario: s
        timeout: soon
        steps:
          - customer: Hi
            expect: {within: fast}
          - wait: 30 seconds
          - wait: true
    """) == [
        f"{FILE}:2: `timeout: soon` is not a duration; {DURATION}",
        f"{FILE}:5: `within: fast` is not a duration; {DURATION}",
        f"{FILE}:6: `wait: 30 seconds` is not a duration; {DURATION}",
        f"{FILE}:7: `wait: true` is not a duration; {DURATION}",
    ]


def test_good_durations() -> None:
    assert lines("""
        scenario: s
        timeout: 2m
        steps:
          - customer: Hi
            expect: {within: 200ms}
          - wait: 1m30s
          - wait: 5
          - wait: 0.5
    """) == []


def test_nothing_written_under_a_key() -> None:
    assert lines("""
        scenario: s
        steps:
          - customer: Hi
            expect:
    """) == [f"{FILE}:4: `expect` must be a mapping, not null; nothing is written after "
             "`expect:`; write the value there, or indent what belongs to it under it"]


def test_step_written_as_plain_text() -> None:
    assert lines("""
        scenario: s
        steps:
          - Hello there
    """) == [f"{FILE}:3: step 1 must be a mapping that starts with an action, not the string "
             "'Hello there'; write e.g. `- customer: Hello there`"]


def test_expectation_written_on_the_step() -> None:
    assert lines("""
        scenario: s
        steps:
          - customer: Hi
            reply: Hello
    """) == [f"{FILE}:4: unknown key 'reply' in a step; expectations go under `expect:`, "
             "e.g. expect: {reply: ...}"]


def test_save_written_inside_expect() -> None:
    assert lines("""
        scenario: s
        steps:
          - customer: Hi
            expect:
              save: {sid: session_id}
    """) == [f"{FILE}:5: unknown key 'save' in `expect`; `save` belongs to the step itself, "
             "next to `expect:`, not inside it"]


def test_save_of_an_unknown_field() -> None:
    assert lines("""
        scenario: s
        steps:
          - customer: Hi
            save: {sid: sesion_id}
    """) == [f"{FILE}:4: `save` cannot store 'sesion_id' (did you mean 'session_id'?): it is "
             "not a field of the answer; save one of: session_id, reply, state, mode, "
             "help_requested, active_human, context, command, or a path into the answer "
             "such as data.session_id"]


def test_bad_variable_name() -> None:
    assert lines("""
        scenario: s
        vars:
          order: 1
          my-order: 1
        steps:
          - customer: Hi
    """) == [f"{FILE}:4: 'my-order' cannot be a variable name; use letters, digits and _ "
             "only, starting with a letter or _ (e.g. my_order)"]


def test_bad_and_repeated_tags() -> None:
    assert lines("""
        scenario: s
        tags:
          - refund
          - my tag
          - refund
        steps:
          - customer: Hi
    """) == [
        f"{FILE}:4: tag 'my tag' cannot become a pytest mark; use letters, digits, _ . and - "
        "only, starting with a letter or _ (e.g. my_tag)",
        f"{FILE}:5: `tags` lists 'refund' twice; remove the repeated one",
    ]


def test_status_out_of_range() -> None:
    assert lines("""
        scenario: s
        steps:
          - customer: Hi
            expect:
              error: {status: 4222}
    """) == [f"{FILE}:5: `status` must be between 100 and 599, not 4222; write status: 422"]


def test_text_matcher_errors() -> None:
    assert lines("""
        scenario: s
        steps:
          - customer: Hi
            expect:
              reply: {contain: refund}
          - customer: Hi
            expect:
              reply: {}
          - customer: Hi
            expect:
              reply: 42
    """) == [
        f"{FILE}:5: unknown key 'contain' in a text matcher (did you mean 'contains'?); use one "
        "of: equals, contains, contains_any, not_contains, matches, not_matches, starts_with, "
        "ends_with, ignore_case, length, any_of, all_of, not, similar_to, judge",
        f"{FILE}:8: `reply` is an empty text matcher and checks nothing; add a key such as "
        "contains, matches or equals",
        f'{FILE}:11: `reply` must be text, null or a mapping, not the number 42; '
        'put it in quotes: reply: "42"',
    ]


def test_link_without_url() -> None:
    assert lines("""
        scenario: s
        links:
          - {name: ticket}
        steps:
          - customer: Hi
    """) == [f'{FILE}:3: item 1 of `links` needs `url`; '
             'write url: "https://jira.example.com/browse/QA-12"']


def test_mock_of_the_wrong_kind() -> None:
    assert lines("""
        scenario: s
        mock: 5
        steps:
          - customer: Hi
    """) == [f"{FILE}:2: `mock` must be text or a mapping, not the number 5; "
             "write mock: agents/refund-bot.yaml"]


def test_problem_inside_an_inline_mock_is_located() -> None:
    found = lines("""
        scenario: s
        mock:
          default_replie: Hi
        steps:
          - customer: Hi
    """)
    assert len(found) == 1
    assert found[0].startswith(f"{FILE}:3: mock: unknown key 'default_replie'")
    assert "did you mean 'default_reply'?" in found[0]


def test_one_problem_per_line_and_sorted() -> None:
    found = lines("""
        scenario: s
        steps:
          - {custmer: Hi, expect: {mode: x}}
          - customer: 5
    """)
    assert [line.split(":")[1] for line in found] == ["3", "4"]


def test_several_documents_each_report_their_own_lines() -> None:
    found = lines("""
        scenario: a
        steps:
          - customer: Hi
        ---
        scenario: b
        steps:
          - custmer: Hi
    """)
    assert [line.split(": ")[0] for line in found] == [f"{FILE}:7"]


def test_validate_document_without_lines_still_works() -> None:
    data = {"scenario": "s", "steps": [{"custmer": "Hi"}]}
    problems = validate_document(data, "plain")
    assert [(p.line, p.message.split(" (")[0]) for p in problems] == [
        (1, "unknown key 'custmer' in a step")]


@pytest.mark.parametrize(("path", "line"), [
    ((), 1), (("steps",), 2), (("steps", 1), 4), (("steps", 1, "expect", "mode"), 5),
    (("steps", 9, "x"), 2), (("nope",), 1),
])
def test_document_line(path: tuple[str | int, ...], line: int) -> None:
    data = load_documents("scenario: s\nsteps:\n  - customer: a\n  - customer: b\n"
                          "    expect: {mode: ai}\n", FILE)[0].data
    assert document_line(data, path) == line


def test_list_where_a_text_matcher_is_expected() -> None:
    assert lines("""
        scenario: s
        steps:
          - customer: Hi
            expect:
              reply: [refund, order]
    """) == [f"{FILE}:5: `reply` must be text, null or a mapping, not a list; to require every "
             "item write reply: {contains: [refund, order]}; for any one of them, "
             "reply: {contains_any: [refund, order]}"]


def test_reason_or_flag() -> None:
    assert lines("""
        scenario: s
        skip: [a]
        steps:
          - customer: Hi
    """) == [f"{FILE}:2: `skip` must be true/false or text, not a list; "
             "write skip: waiting for OSVI-123"]


def _random_value(rng: random.Random, depth: int) -> Any:
    keys = ["scenario", "steps", "customer", "takeover", "wait", "expect", "save", "reply",
            "mode", "error", "status", "contains", "any_of", "length", "mock", "replies",
            "when", "tags", "vars", "examples", "id", "x"]
    scalars = [None, True, 0, -1, 4222, 1.5, "", "x", "30s", "{{ x }}", "{{ 1a }}", "(",
               "ai", "session_id"]
    roll = rng.random()
    if depth > 4 or roll < 0.4:
        return rng.choice(scalars)
    if roll < 0.7:
        return {rng.choice(keys): _random_value(rng, depth + 1) for _ in range(rng.randint(0, 4))}
    return [_random_value(rng, depth + 1) for _ in range(rng.randint(0, 3))]


def test_any_input_gives_located_problems_and_never_raises() -> None:
    rng = random.Random(7)
    for _ in range(300):
        doc = {"scenario": "s", "steps": [_random_value(rng, 1) for _ in range(rng.randint(0, 3))]}
        doc.update({str(rng.choice(["mock", "vars", "tags", "x"])): _random_value(rng, 1)})
        for document in load_documents(yaml.safe_dump(doc), FILE):
            for problem in check_document(document.data, FILE, {}):
                assert problem.line >= 1
                assert problem.message and problem.fix
                assert "is not valid under" not in problem.message
