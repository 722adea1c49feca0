"""The richer mock language: regex captures, ``last_whisper``, turn counters, ``append``."""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

import pytest

from runner.language.yamlsrc import load_documents
from runner.mock import Engine, MockAgent, validate_agent_spec
from runner.tools import cli
from tests.conftest import WriteFile


def problems_of(text: str, **options: Any) -> list[str]:
    data = load_documents(textwrap.dedent(text), "x.scenario.yaml")[0].data
    return [p.format() for p in validate_agent_spec(data, file="x.scenario.yaml", **options)]


def engine_for(text: str) -> Engine:
    data = load_documents(textwrap.dedent(text), "x.scenario.yaml")[0].data
    assert [p.format() for p in validate_agent_spec(data, file="x.scenario.yaml",
                                                     allow_variables=False)] == []
    return Engine({"a": MockAgent.from_spec(data)})


def say(engine: Engine, text: str, session_id: str | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"agent_uuid": "a", "customer_id": "c", "content": text}
    if session_id:
        body["session_id"] = session_id
    answer = engine.inbound(body)
    assert answer.status == 200, answer.payload
    assert answer.payload is not None
    data: dict[str, Any] = answer.payload["data"]
    return data


def support(engine: Engine, session_id: str, command: str, text: str) -> dict[str, Any]:
    answer = engine.support(session_id, {"command": command, "message": text})
    assert answer.status == 200, answer.payload
    assert answer.payload is not None
    data: dict[str, Any] = answer.payload["data"]
    return data


def run_scenario(pytester: pytest.Pytester, write: WriteFile, body: str) -> pytest.RunResult:
    write("scenario: S\n" + textwrap.dedent(body).strip("\n") + "\n")
    return pytester.runpytest("-p", "no:cacheprovider")


# -- 1. regex captures ---------------------------------------------------------------


def test_a_bare_regex_fills_numbered_and_named_groups() -> None:
    engine = engine_for("""\
        replies:
          - when: "order (?P<order>\\\\d+) (\\\\w+)"
            reply: "Thanks, I found order {{ match.order }} ({{ match.2 }}, {{ match.1 }})."
        """)
    assert say(engine, "about order 42 blue")["reply"] == "Thanks, I found order 42 (blue, 42)."


def test_matches_in_a_mapping_fills_groups_and_match_0_is_the_whole_match() -> None:
    engine = engine_for("""\
        replies:
          - when: {matches: "#(\\\\d+)", ignore_case: true}
            choose: ["[{{ match.0 }}] {{ match.1 }}"]
        """)
    assert say(engine, "ticket #7 please")["reply"] == "[#7] 7"


def test_a_group_that_took_no_part_is_empty() -> None:
    engine = engine_for("""\
        replies:
          - when: "a(b)?"
            reply: "<{{ match.1 }}>"
        """)
    assert say(engine, "a")["reply"] == "<>"


def test_an_unknown_group_is_a_located_error_with_did_you_mean() -> None:
    assert problems_of("""\
        replies:
          - when: "order (?P<order>\\\\d+)"
            reply: "{{ match.ordr }} and {{ match.2 }}"
        """) == [
        "x.scenario.yaml:3: mock.replies[0].reply: the `when` regex has no group 'ordr' "
        "(did you mean 'order'?); use {{ match.0 }} (the whole match), {{ match.1 }} "
        "or {{ match.order }}"]


def test_match_without_a_regex_when_is_a_located_error() -> None:
    assert problems_of("""\
        replies:
          - when: {contains: order}
            reply: "{{ match.1 }}"
        """) == [
        "x.scenario.yaml:3: mock.replies[0].reply: {{ match.1 }} needs a `when` that is a "
        "regex or has `matches:`; write e.g. when: \"order (\\d+)\""]


def test_captures_end_to_end(pytester: pytest.Pytester, write: WriteFile) -> None:
    result = run_scenario(pytester, write, """
        mock:
          replies:
            - when: "(?i)order (?P<order>\\\\d+)"
              reply: "Thanks, I found order {{ match.order }}."
        steps:
          - customer: "Where is order 1234?"
            expect: {reply: "Thanks, I found order 1234."}
        """)
    result.assert_outcomes(passed=1)


# -- 2. the last whisper alone ------------------------------------------------------------


def test_last_whisper_is_only_the_newest_guidance() -> None:
    engine = engine_for("""\
        replies:
          - when: {whisper: "."}
            reply: "[{{ last_whisper }}]"
        default_reply: "last=[{{ last_whisper }}]"
        """)
    sid = say(engine, "hi")["session_id"]
    support(engine, sid, "whisper", "first")
    support(engine, sid, "whisper", "second")
    assert say(engine, "again", sid)["reply"] == "[second]"
    assert say(engine, "more", sid)["reply"] == "last=[]"  # used up with the turn
    support(engine, sid, "whisper", "pending")
    assert support(engine, sid, "tell", "told")["reply"] == "[told]"


def test_last_whisper_end_to_end(pytester: pytest.Pytester, write: WriteFile) -> None:
    result = run_scenario(pytester, write, """
        targets: [mock]
        mock:
          replies:
            - when: {whisper: "."}
              reply: "{{ last_whisper }}"
        steps:
          - customer: "hi"
          - whisper: "old advice"
          - whisper: "new advice"
          - customer: "so?"
            expect: {reply: "new advice"}
        """)
    result.assert_outcomes(passed=1)


# -- 3. per-session turn counters -----------------------------------------------------------


def test_turn_counts_customer_turns_per_session() -> None:
    engine = engine_for("""\
        replies:
          - when: {turn: 3}
            reply: "third ({{ turn }})"
          - when: {turn: {min: 4}}
            reply: "late ({{ turn }})"
        default_reply: "turn {{ turn }}"
        """)
    sid = say(engine, "a")["session_id"]
    assert say(engine, "b", sid)["reply"] == "turn 2"
    assert support(engine, sid, "tell", "x")["reply"] == "turn 2"  # a tell is no customer turn
    assert say(engine, "c", sid)["reply"] == "third (3)"
    assert say(engine, "d", sid)["reply"] == "late (4)"
    other = engine.inbound({"agent_uuid": "a", "customer_id": "other", "content": "e"})
    assert other.payload is not None and other.payload["data"]["reply"] == "turn 1"


def test_turn_combines_with_other_fields() -> None:
    engine = engine_for("""\
        replies:
          - when: {turn: {min: 2, max: 2}, message: "help"}
            reply: "second-turn help"
        default_reply: "no"
        """)
    sid = say(engine, "help")["session_id"]
    assert say(engine, "help", sid)["reply"] == "second-turn help"
    assert say(engine, "help", sid)["reply"] == "no"


def test_a_bad_turn_condition_is_located() -> None:
    assert problems_of("""\
        replies:
          - when: {turn: {mn: 3}}
            reply: x
        """)[0].startswith(
        "x.scenario.yaml:2: mock.replies[0].when.turn: unknown key 'mn' (did you mean 'min'?)")
    assert problems_of("""\
        replies:
          - when: {turn: 0}
            reply: x
        """)[0].startswith("x.scenario.yaml:2: mock.replies[0].when.turn:")


def test_turn_end_to_end(pytester: pytest.Pytester, write: WriteFile) -> None:
    result = run_scenario(pytester, write, """
        targets: [mock]
        mock:
          replies:
            - when: {turn: {min: 2}}
              reply: "You have written {{ turn }} times."
        steps:
          - customer: "hi"
            expect: {reply: "How can I help?"}
          - customer: "hello?"
            expect: {reply: "You have written 2 times."}
        """)
    result.assert_outcomes(passed=1)


def test_match_in_default_reply_is_a_located_error() -> None:
    assert problems_of("""\
        default_reply: "{{ match.1 }}"
        """) == [
        "x.scenario.yaml:1: mock.default_reply: {{ match.1 }} needs a `when` regex, and "
        "default_reply has none; move this reply into a rule under replies"]


# -- 4. append: sentences added to whatever reply is chosen ----------------------------------


def test_append_adds_every_matching_sentence_in_order() -> None:
    engine = engine_for("""\
        replies:
          - when: "(?i)refund"
            reply: "Refund started."
          - when: "silent"
            reply: null
        default_reply: "How can I help?"
        append:
          - when: {context: {matches: "."}}
            text: " (I see notes on your account.)"
          - when: "#(\\\\d+)"
            text: " Ticket {{ match.1 }}, turn {{ turn }}."
        """)
    sid = say(engine, "refund #9")["session_id"]
    assert say(engine, "refund #9", sid)["reply"] == "Refund started. Ticket 9, turn 2."
    engine.inject_context(sid, {"context": "VIP"})
    assert say(engine, "hello", sid)["reply"] == \
        "How can I help? (I see notes on your account.)"
    assert say(engine, "silent #1", sid)["reply"] is None  # no reply: nothing to add to


def test_append_without_when_always_adds() -> None:
    engine = engine_for("""\
        append:
          - text: " Bye."
        """)
    assert say(engine, "hi")["reply"] == "How can I help? Bye."


def test_append_problems_are_located() -> None:
    assert problems_of("""\
        append:
          - when: "x"
            txt: "a"
        """)[0].startswith(
        "x.scenario.yaml:3: mock.append[0]: unknown key 'txt' (did you mean 'text'?)")
    assert problems_of("""\
        append:
          - when: "(unclosed"
            text: "{{ mesage }}"
        """, allow_variables=False) == [
        "x.scenario.yaml:2: mock.append[0].when: invalid regular expression /(unclosed/: "
        "missing ), unterminated subpattern at position 0; escape special characters such as "
        "( [ ? + * with a backslash, or use `contains` for plain text",
        "x.scenario.yaml:3: mock.append[0].text: undefined variable 'mesage' (did you mean "
        "'message'?); a mock reply can use {{ message }}, {{ whisper }}, {{ last_whisper }}, "
        "{{ context }}, {{ turn }} and {{ match.1 }}"]


def test_append_end_to_end(pytester: pytest.Pytester, write: WriteFile) -> None:
    result = run_scenario(pytester, write, """
        targets: [mock]
        mock:
          replies:
            - when: "(?i)refund"
              reply: "Refund started."
          append:
            - when: {context: "."}
              text: " (I see notes on your account.)"
        steps:
          - customer: "refund please"
            expect: {reply: "Refund started."}
          - inject_context: "VIP customer"
          - customer: "refund please"
            expect: {reply: "Refund started. (I see notes on your account.)"}
        """)
    result.assert_outcomes(passed=1)


# -- 5. rules for a tell only ------------------------------------------------------------------


def test_trigger_tells_a_tell_turn_from_a_customer_turn() -> None:
    engine = engine_for("""\
        replies:
          - when: {trigger: tell}
            reply: "Told: {{ last_whisper }}"
          - when: {trigger: customer, whisper: "."}
            reply: "Guided: {{ whisper }}"
        """)
    sid = say(engine, "hi")["session_id"]
    assert support(engine, sid, "tell", "say sorry")["reply"] == "Told: say sorry"
    support(engine, sid, "whisper", "be brief")
    assert say(engine, "and?", sid)["reply"] == "Guided: be brief"


def test_a_misspelt_trigger_is_located() -> None:
    assert problems_of("""\
        replies:
          - when: {trigger: tel}
            reply: x
        """)[0].startswith("x.scenario.yaml:2: mock.replies[0].when.trigger:")


def test_trigger_end_to_end(pytester: pytest.Pytester, write: WriteFile) -> None:
    result = run_scenario(pytester, write, """
        targets: [mock]
        mock:
          replies:
            - when: {trigger: tell}
              reply: "An operator asked me to say: {{ last_whisper }}"
        steps:
          - customer: "hi"
            expect: {reply: "How can I help?"}
          - tell: "Sorry for the wait."
            expect: {reply: "An operator asked me to say: Sorry for the wait."}
        """)
    result.assert_outcomes(passed=1)


def test_a_risky_append_regex_is_warned_about(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "a.scenario.yaml").write_text(textwrap.dedent("""\
        scenario: S
        mock:
          append:
            - when: "(a|aa)*b"
              text: " x"
        steps:
          - customer: Hi
        """), encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    assert cli.main(["check", "."]) == 0
    assert capsys.readouterr().out.startswith(
        "a.scenario.yaml:4: warning: the pattern /(a|aa)*b/ ")
