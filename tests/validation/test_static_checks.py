"""Static checks: what a schema cannot say, reported as file:line: message; fix."""

from __future__ import annotations

import textwrap

from runner.language.checks import check_document, static_checks
from runner.language.yamlsrc import load_documents

FILE = "s.scenario.yaml"
ENV = {"HOME": "/root"}
VARIABLE_FIX = "define it under `vars:`, in every `examples` row, or `save:` it in an earlier step"
INBOUND = "the inbound API answers session_id, reply, state, mode and help_requested"
REGEX_FIX = ("escape special characters such as ( [ ? + * with a backslash, "
             "or use `contains` for plain text")


def lines(text: str, env: dict[str, str] | None = None) -> list[str]:
    found: list[str] = []
    for document in load_documents(textwrap.dedent(text).lstrip("\n"), FILE):
        found += [p.format() for p in check_document(document.data, FILE,
                                                     ENV if env is None else env)]
    return found


# (a) session-scoped steps -------------------------------------------------------------

def test_session_step_before_any_customer_step() -> None:
    assert lines("""
        scenario: s
        steps:
          - wait: 1s
          - takeover: null
          - whisper: x
          - customer: Hi
    """) == [f"{FILE}:4: `takeover` needs a session, but no `customer` step has run yet; "
             "add a `customer:` step before it, or give `session_id:`"]


def test_explicit_session_id_needs_no_customer_step() -> None:
    assert lines("""
        scenario: s
        vars: {sid: abc}
        steps:
          - takeover: null
            session_id: "{{ sid }}"
          - customer: Hi
    """) == []


def test_finally_uses_the_session_and_saves_of_steps() -> None:
    assert lines("""
        scenario: s
        steps:
          - customer: Hi
            save: {sid: session_id}
        finally:
          - close: null
            session_id: "{{ sid }}"
    """) == []


# (b) variables ------------------------------------------------------------------------

def test_undefined_variable_suggests_a_defined_one() -> None:
    assert lines("""
        scenario: s
        vars: {order: "1"}
        steps:
          - customer: "Order {{ ordr }}"
    """) == [f"{FILE}:4: undefined variable 'ordr' (did you mean 'order'?); {VARIABLE_FIX}"]


def test_variable_saved_by_a_later_step() -> None:
    assert lines("""
        scenario: s
        steps:
          - customer: Hi
          - customer: Hi
            session_id: "{{ sid }}"
          - customer: Hi
            save: {sid: session_id}
    """) == [f"{FILE}:5: 'sid' is saved only by step 3, after it is used; save it in a step "
             "before step 2, or use `vars:`"]


def test_variable_saved_by_the_same_step() -> None:
    assert lines("""
        scenario: s
        steps:
          - customer: Hi
            expect: {reply: "{{ r }}"}
            save: {r: reply}
    """) == [f"{FILE}:4: 'r' is saved by this same step, so it is not set yet when the step "
             "runs; save it in a step before step 1, or use `vars:`"]


def test_saved_variable_used_before_any_step_runs() -> None:
    assert lines("""
        scenario: "Run {{ sid }}"
        steps:
          - customer: Hi
            save: {sid: session_id}
    """) == [f"{FILE}:1: 'sid' is saved by step 1, but this value is filled in before any step "
             "runs; use a `vars:` value instead"]


def test_environment_variables() -> None:
    assert lines("""
        scenario: s
        agent: "{{ env.OSVI_X }}"
        customer: "{{ env.HOME }}"
        steps:
          - customer: Hi
    """) == [f"{FILE}:2: environment variable 'OSVI_X' is not set; export it before running, "
             "or use a `vars:` value"]


def test_malformed_placeholder() -> None:
    assert lines("""
        scenario: s
        steps:
          - customer: "Hi {{ name"
    """) == [f"{FILE}:3: malformed placeholder near '{{{{ name'; write placeholders as "
             "{{ name }} or {{ env.NAME }}: letters, digits and _, starting with a letter or _"]


def test_mock_turn_names_are_filled_by_the_mock() -> None:
    assert lines("""
        scenario: s
        vars: {shop: Acme}
        mock:
          default_reply: "{{ shop }}: {{ message }} ({{ whisper }}, {{ context }}) {{ shp }}"
        steps:
          - customer: Hi
    """) == [f"{FILE}:4: undefined variable 'shp' (did you mean 'shop'?); {VARIABLE_FIX}"]


def test_builtins_vars_and_example_keys_are_defined() -> None:
    assert lines("""
        scenario: "{{ greeting }} test"
        vars: {order: "1"}
        examples: [{id: a, greeting: Hi}, {id: b, greeting: Yo}]
        steps:
          - customer: "{{ greeting }} {{ order }} {{ customer }} {{ agent }}"
          - customer: "{{ scenario }} {{ run_id }}"
    """) == []


def test_known_vars_count_as_defined() -> None:
    data = load_documents("scenario: s\nsteps:\n  - customer: '{{ extra }}'\n", FILE)[0].data
    assert static_checks(data, FILE, {}, known_vars=["extra"]) == []
    assert [p.message for p in static_checks(data, FILE, {})] == ["undefined variable 'extra'"]


# (c) what an action can observe -------------------------------------------------------

def test_mode_cannot_be_checked_on_takeover() -> None:
    assert lines("""
        scenario: s
        steps:
          - customer: Hi
          - takeover: null
            expect:
              mode: support
              active_human: qa@yourco.com
    """) == [f"{FILE}:6: `mode` cannot be checked on a `takeover` step: the support API answers "
             "only state, session_id, command and active_human; check `mode: support` on the "
             "next `customer` step"]


def test_reply_on_support_steps() -> None:
    assert lines("""
        scenario: s
        steps:
          - customer: Hi
          - whisper: Be nice
            expect:
              reply: x
          - end: null
            expect:
              reply: x
          - tell: Offer a voucher
            expect:
              reply: {contains: voucher}
    """) == [
        f"{FILE}:6: `reply` cannot be checked on a `whisper` step: the support API answers only "
        "state, session_id and command; a whisper shapes the agent's NEXT reply: check `reply` "
        "on the next `customer` step",
        f"{FILE}:9: `reply` cannot be checked on an `end` step: the support API answers only "
        "state, session_id and command; check `reply` on the next `customer` step, or use "
        "`tell:`, which returns a reply",
    ]


def test_context_and_customer_only_fields() -> None:
    assert lines("""
        scenario: s
        steps:
          - customer: Hi
            expect:
              context: [a]
          - inject_context: hi
            expect:
              help_requested: false
              context: {last: hi}
    """) == [
        f"{FILE}:5: `context` cannot be checked on a `customer` step: {INBOUND}; check `context` "
        "on an `inject_context` step",
        f"{FILE}:8: `help_requested` cannot be checked on an `inject_context` step: the "
        "inject_context API answers only session_id and context; check `help_requested: false` "
        "on the next `customer` step",
    ]


def test_wait_takes_no_expect_and_no_save() -> None:
    assert lines("""
        scenario: s
        steps:
          - customer: Hi
          - wait: 10m
            expect: {state: dormant}
          - wait: 10m
            save: {s: state}
    """) == [
        f"{FILE}:5: a `wait` step makes no API call, so there is nothing to check; move "
        "`expect:` to the step before or after the wait",
        f"{FILE}:7: a `wait` step makes no API call, so there is nothing to save; move `save:` "
        "to the step before or after the wait",
    ]


def test_save_fields_the_answer_does_not_have() -> None:
    assert lines("""
        scenario: s
        steps:
          - customer: Hi
            save:
              who: active_human
              cmd: command
          - inject_context: x
            save:
              r: reply
          - takeover: null
            save: {who2: active_human, cmd2: command, sid: session_id}
    """) == [
        f"{FILE}:5: `active_human` cannot be saved from a `customer` step: {INBOUND}; save it "
        "from a `takeover` step",
        f"{FILE}:6: `command` cannot be saved from a `customer` step: {INBOUND}; save it from a "
        "support (takeover, tell, whisper, operator, end or close) step",
        f"{FILE}:9: `reply` cannot be saved from an `inject_context` step: the inject_context "
        "API answers only session_id and context; save it from a `customer` or `tell` step",
    ]


# (d) matchers, (e) durations ----------------------------------------------------------

def test_bad_regexes_are_reported_at_their_line() -> None:
    assert lines("""
        scenario: s
        steps:
          - customer: Hi
            expect:
              reply:
                any_of:
                  - contains: x
                  - matches: "(unclosed"
          - inject_context: x
            expect:
              context:
                last: {matches: "[a-"}
    """) == [
        f"{FILE}:8: invalid regular expression /(unclosed/: missing ), unterminated subpattern "
        f"at position 0; {REGEX_FIX}",
        f"{FILE}:12: invalid regular expression /[a-/: unterminated character set at position 0; "
        f"{REGEX_FIX}",
    ]


def test_durations_are_parsed() -> None:
    data = {"scenario": "s", "timeout": "1x", "steps": [{"customer": "Hi"}]}
    assert [p.format() for p in static_checks(data, FILE, {})] == [
        f"{FILE}:1: `timeout: 1x` is not a duration; write a number with a unit, e.g. 200ms, "
        "30s, 10m, 1h or 1m30s"]


# (f) examples rows, (g) save names ----------------------------------------------------

def test_examples_rows() -> None:
    assert lines("""
        scenario: s
        examples:
          - id: en
            greeting: Hi
            lang: en
          - lang: de
            id: en
          - greeting: Hola
        steps:
          - customer: "{{ greeting }}"
    """) == [
        f"{FILE}:6: examples row 2 does not define 'greeting' (row 1 does); give every row the "
        "same keys, or move a value shared by all rows to `vars:`",
        f"{FILE}:7: examples row 2 has the same id 'en' as row 1; give each row its own `id`; "
        "it names the test",
        f"{FILE}:8: examples row 3 does not define 'lang' (row 1 does); give every row the same "
        "keys, or move a value shared by all rows to `vars:`",
    ]


def test_examples_id_that_is_not_text() -> None:
    data = {"scenario": "s", "examples": [{"id": 3}], "steps": [{"customer": "Hi"}]}
    assert [p.format() for p in static_checks(data, FILE, {})] == [
        f'{FILE}:1: examples row 1 has id 3, which is not text; put it in quotes: id: "3"']


def test_saving_env_is_an_error_but_shadowing_vars_is_not() -> None:
    assert lines("""
        scenario: s
        vars: {order: "1"}
        steps:
          - customer: Hi
            save:
              order: reply
              env: session_id
    """) == [f"{FILE}:7: cannot save to 'env': that name is reserved for environment variables "
             "({{ env.NAME }}); choose another name, e.g. env_value"]


def test_static_checks_are_skipped_when_the_schema_fails() -> None:
    # `ordr` is undefined too, but the schema problem comes first and alone.
    assert lines("""
        scenario: s
        steps:
          - customer: "{{ ordr }}"
            expect: {mode: suport}
    """) == [f"{FILE}:4: `mode` cannot be 'suport' (did you mean 'support'?); use one of: "
             "ai, support"]


def test_non_mapping_input_is_ignored() -> None:
    assert static_checks(["not", "a", "scenario"], FILE, {}) == []


def test_mock_cannot_use_saved_variables() -> None:
    assert lines("""
        scenario: s
        mock:
          default_reply: "Session {{ sid }}"
        steps:
          - customer: Hi
            save: {sid: session_id}
    """) == [f"{FILE}:3: 'sid' is saved by step 1, but this value is filled in before any step "
             "runs; use a `vars:` value instead"]
