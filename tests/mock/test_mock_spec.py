"""validate_agent_spec, MockAgent.from_spec and load_agents_file: located, helpful errors."""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

import pytest

from runner.core.errors import ScenarioFileError
from runner.language.mock_agent import Turn, UnvalidatedAgentSpec
from runner.language.yamlsrc import load_documents
from runner.mock import MockAgent, load_agents_file, validate_agent_spec


def problems_of(text: str, **options: Any) -> list[str]:
    data = load_documents(textwrap.dedent(text), "x.scenario.yaml")[0].data
    return [p.format() for p in validate_agent_spec(data, file="x.scenario.yaml", **options)]


def test_a_good_spec_has_no_problems() -> None:
    assert problems_of("""\
        agent: {status: active, disabled_commands: [tell]}
        operator: qa@yourco.com
        initial_context: [a, b]
        dormant_after: 10m
        latency: 50ms
        faults:
          - {on: inbound, status: 503, times: 1, headers: {Retry-After: 1}}
        replies:
          - when: "(?i)refund"
            reply: "Order number?"
            state: collect_order
          - when: {contains_any: [human, person]}
            reply: "A colleague is coming."
            help_requested: true
          - when: {whisper: {matches: "."}, state: collect_order, context: {contains: x}}
            reply: "{{ whisper }} / {{ message }} / {{ context }}"
          - when: {message: "x"}
            fault: {status: 502, upstream_body: null}
          - reply: null
        default_reply: "How can I help?"
        """) == []


def test_misspelt_key_gets_did_you_mean() -> None:
    assert problems_of("""\
        replies:
          - whenn: "(?i)refund"
            reply: ok
        """) == [
        "x.scenario.yaml:2: mock.replies[0]: unknown key 'whenn' (did you mean 'when'?); "
        "use one of: when, reply, choose, flaky, state, help_requested, latency, fault"]


def test_misspelt_top_level_key() -> None:
    assert problems_of("""\
        default_reply: hi
        replys: []
        """) == [
        "x.scenario.yaml:2: mock: unknown key 'replys' (did you mean 'replies'?); use one of: "
        "description, agent, operator, initial_context, dormant_after, latency, faults, replies, "
        "append, add_replies, extends, default_reply, seed, version, answers_during_takeover"]


def test_invalid_regex_is_located() -> None:
    assert problems_of("""\
        replies:
          - reply: fine
          - when: "(unclosed"
            reply: x
        """) == [
        "x.scenario.yaml:3: mock.replies[1].when: invalid regular expression /(unclosed/: "
        "missing ), unterminated subpattern at position 0; escape special characters such as "
        "( [ ? + * with a backslash, or use `contains` for plain text"]


def test_invalid_regex_inside_a_field_matcher() -> None:
    assert problems_of("""\
        replies:
          - when:
              whisper:
                matches: "[a-"
        """) == [
        "x.scenario.yaml:4: mock.replies[0].when.whisper.matches: invalid regular expression "
        "/[a-/: unterminated character set at position 0; escape special characters such as "
        "( [ ? + * with a backslash, or use `contains` for plain text"]


def test_bad_duration() -> None:
    assert problems_of("""\
        dormant_after: 30m
        latency: fast
        """) == [
        "x.scenario.yaml:2: mock.latency: `latency: fast` is not a duration; write a number with "
        "a unit, e.g. 200ms, 30s, 10m, 1h or 1m30s"]


def test_wrong_type() -> None:
    assert problems_of("""\
        replies:
          - when: refund
            help_requested: "yes"
        """) == [
        "x.scenario.yaml:3: mock.replies[0].help_requested: `help_requested` must be true or "
        "false, not the string 'yes'; write help_requested: true"]


def test_wrong_enum_value_gets_did_you_mean() -> None:
    assert problems_of("agent: {status: actve}\n") == [
        "x.scenario.yaml:1: mock.agent.status: `status` cannot be 'actve' (did you mean "
        "'active'?); use one of: active, archived, inactive"]


def test_unknown_disabled_command() -> None:
    assert problems_of("agent:\n  disabled_commands: [takeover, tel]\n") == [
        "x.scenario.yaml:2: mock.agent.disabled_commands[1]: unknown support command 'tel' "
        "(did you mean 'tell'?); use one of: takeover, tell, whisper, end, close"]


def test_when_mixing_matcher_and_field_keys() -> None:
    assert problems_of("replies:\n  - when: {message: refund, contains: x}\n") == [
        "x.scenario.yaml:2: mock.replies[0].when: `when` mixes turn fields with text-matcher keys "
        "(`message` with `contains`); move the message conditions under `message:`, e.g. "
        "when: {message: {contains: refund}, whisper: {matches: .}}"]


def test_misspelt_matcher_key_in_when() -> None:
    assert problems_of("replies:\n  - when: {containz: refund}\n") == [
        "x.scenario.yaml:2: mock.replies[0].when: unknown key 'containz' (did you mean "
        "'contains'?); use one of: message, whisper, context, state, version, turn, trigger, "
        "equals, contains, contains_any, not_contains, matches, not_matches, starts_with, "
        "ends_with, ignore_case, length, any_of, all_of, not, similar_to"]


def test_bad_fault() -> None:
    assert problems_of("""\
        faults:
          - {on: inbund, status: 502}
          - {status: 700}
          - {error: oops}
        """) == [
        "x.scenario.yaml:2: mock.faults[0].on: `on` cannot be 'inbund' (did you mean "
        "'inbound'?); use one of: inbound, support, inject_context, any",
        "x.scenario.yaml:3: mock.faults[1].status: `status` must be between 400 and 599, "
        "not 700; write status: 502",
        "x.scenario.yaml:4: mock.faults[2]: a fault needs `status`; write status: 502",
    ]


def test_malformed_placeholder() -> None:
    assert problems_of('replies:\n  - reply: "Hi {{ name"\n') == [
        "x.scenario.yaml:2: mock.replies[0].reply: malformed placeholder near '{{ name'; "
        "write placeholders as {{ name }}"]


def test_scenario_variables_are_left_for_the_runner() -> None:
    spec = """\
        latency: "{{ lat }}"
        agent: {status: "{{ status }}"}
        replies:
          - when: "{{ keyword }}("
            reply: "Order {{ order }}: {{ message }}"
            help_requested: "{{ escalate }}"
        """
    assert problems_of(spec) == []
    assert problems_of(spec, allow_variables=False) == [
        "x.scenario.yaml:1: mock.latency: `latency: \"{{ lat }}\"` is not a duration; write a "
        "number with a unit, e.g. 200ms, 30s, 10m, 1h or 1m30s",
        "x.scenario.yaml:2: mock.agent.status: `status` cannot be '{{ status }}'; use one of: "
        "active, archived, inactive",
        "x.scenario.yaml:4: mock.replies[0].when: invalid regular expression /{{ keyword }}(/: "
        "missing ), unterminated subpattern at position 13; escape special characters such as "
        "( [ ? + * with a backslash, or use `contains` for plain text",
        "x.scenario.yaml:5: mock.replies[0].reply: undefined variable 'order'; a mock reply can "
        "use {{ message }}, {{ whisper }}, {{ last_whisper }}, {{ context }}, {{ turn }} "
        "and {{ match.1 }}",
        "x.scenario.yaml:6: mock.replies[0].help_requested: `help_requested` must be true or "
        "false, not the string '{{ escalate }}'; write help_requested: true",
    ]


@pytest.mark.parametrize("data", [None, {}, [], "text", 42, [{"a": 1}], {"replies": "x"},
                                  {"replies": [None, 1, "x"]}, {"agent": []},
                                  {"faults": [{"status": True}]}, {1: 2}])
def test_validation_never_raises_on_odd_input(data: Any) -> None:
    problems = validate_agent_spec(data, file="odd.yaml")
    assert all(p.file == "odd.yaml" and p.line == 1 for p in problems)


def test_plain_dicts_are_accepted() -> None:
    problems = validate_agent_spec({"replies": [{"whenn": "x"}]}, file="plain")
    assert [p.format() for p in problems] == [
        "plain:1: mock.replies[0]: unknown key 'whenn' (did you mean 'when'?); use one of: "
        "when, reply, choose, flaky, state, help_requested, latency, fault"]


def test_from_spec_refuses_a_spec_that_was_not_validated() -> None:
    # The compiler checks nothing: a spec that skipped validation is a caller's bug.
    with pytest.raises(UnvalidatedAgentSpec, match="call validate_agent_spec first"):
        MockAgent.from_spec({"latency": "{{ lat }}"})


def test_from_spec_defaults() -> None:
    agent = MockAgent.from_spec({})
    assert (agent.status, agent.operator, agent.dormant_after, agent.default_reply) == \
        ("active", "operator@example.com", 1800.0, "How can I help?")
    turn = Turn(message="anything", whisper="", context="", state="default")
    assert agent.respond(turn).reply == "How can I help?"


def test_rules_see_every_turn_field() -> None:
    agent = MockAgent.from_spec({"replies": [
        {"when": {"state": "^s1$", "whisper": "go", "context": "vip", "message": "(?i)hi"},
         "reply": "all: {{ message }}|{{ whisper }}|{{ context }}"},
        {"when": {"matches": "^x", "ignore_case": True}, "reply": "mapping on message"},
        {"when": "\\d+", "reply": "regex"},
    ]})
    assert agent.respond(Turn("Hi", "go now", "a\nvip", "s1")).reply == "all: Hi|go now|a\nvip"
    assert agent.respond(Turn("Hi", "go now", "a\nvip", "s2")).reply == "How can I help?"
    assert agent.respond(Turn("Xylophone", "", "", "s1")).reply == "mapping on message"
    assert agent.respond(Turn("order 42", "", "", "s1")).reply == "regex"


def test_reply_placeholders_are_not_reinterpreted() -> None:
    agent = MockAgent.from_spec({"default_reply": "You said: {{ message }}"})
    assert agent.respond(Turn("{{ whisper }}", "secret", "", "default")).reply == \
        "You said: {{ whisper }}"


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "agents.yaml"
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def test_load_agents_file(tmp_path: Path) -> None:
    agents = load_agents_file(write(tmp_path, """\
        agent_one:
          default_reply: one
        agent_two:
        """))
    assert sorted(agents) == ["agent_one", "agent_two"]
    assert agents["agent_one"].default_reply == "one"


def test_agents_file_problems_name_the_agent_and_line(tmp_path: Path) -> None:
    path = write(tmp_path, """\
        agent_one:
          replies:
            - whenn: x
        not-an-agent:
          default_reply: x
        agent_two:
          default_reply: "{{ order }}"
        """)
    with pytest.raises(ScenarioFileError) as caught:
        load_agents_file(path)
    assert [p.format() for p in caught.value.problems] == [
        f"{path}:3: agent_one.replies[0]: unknown key 'whenn' (did you mean 'when'?); use one "
        "of: when, reply, choose, flaky, state, help_requested, latency, fault",
        f"{path}:4: 'not-an-agent' is not an agent uuid; agent uuids look like "
        "agent_<letters, digits, _ or ->, e.g. agent_refunds",
        f"{path}:7: agent_two.default_reply: undefined variable 'order'; a mock reply can use "
        "{{ message }}, {{ whisper }}, {{ last_whisper }}, {{ context }}, {{ turn }} "
        "and {{ match.1 }}",
    ]


@pytest.mark.parametrize(("text", "expected"), [
    ("", ":1: the agents file is empty"),
    ("[a, b]\n", ":1: an agents file must map agent uuids to mock agents"),
    ("agent_a: {}\n---\nagent_b: {}\n", ":3: an agents file holds one YAML document"),
    ("agent_a: {replies: [\n", ":2: invalid YAML"),
    ("agent_a: {}\nagent_a: {}\n", ":2: duplicate key 'agent_a'"),
])
def test_malformed_agents_files(tmp_path: Path, text: str, expected: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(ScenarioFileError) as caught:
        load_agents_file(path)
    assert caught.value.problems[0].format().startswith(f"{path}{expected}")


def test_missing_agents_file(tmp_path: Path) -> None:
    with pytest.raises(ScenarioFileError) as caught:
        load_agents_file(tmp_path / "nope.yaml")
    assert "cannot read the file" in str(caught.value)
