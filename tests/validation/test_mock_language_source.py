"""One source of truth for the mock agent language (issue 12).

``schemas/mock-agent.schema.json`` decides what a mock agent is; the mock checks
add what no schema can say; the compiler only builds what passed both. So each
mistake is reported once, and the same agent gives the same problem whether it
sits under a scenario's ``mock:`` or in an ``osvi-mock --agents`` file.
"""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

import pytest

from runner.core.errors import Problem, ScenarioFileError
from runner.language import mock_agent
from runner.language.agents_file import load_agents_file
from runner.language.loader import load_scenarios
from runner.language.mock_spec import validate_agent_spec
from tests.conftest import RunPytest, WriteFile
from tests.mock.serverproc import run_cli

# One agent per kind of mistake, each with exactly one: what the schema refuses
# (unknown keys, kinds, values, ranges, missing and clashing keys) and what only
# the checks can see (regexes, matchers, durations, placeholders, headers).
MISTAKES = {
    "unknown key": "replies:\n  - whenn: refund\n    reply: ok",
    "wrong kind": "replies:\n  - when: x\n    help_requested: 'yes'",
    "not a list": "replies: x",
    "item of the wrong kind": "replies: [x]",
    "unknown value": "agent: {status: actve}",
    "unknown list item": "agent:\n  disabled_commands: [takeover, tel]",
    "repeated item": "agent:\n  disabled_commands: [tell, tell]",
    "out of range": "faults:\n  - {status: 700}",
    "missing key": "faults:\n  - {error: oops}",
    "keys that clash": "replies:\n  - reply: a\n    choose: [b]",
    "when mixing its forms": "replies:\n  - when: {message: refund, contains: x}",
    "empty when": "replies:\n  - when: {}",
    "blank text": "operator: ' '",
    "judge in the mock": "replies:\n  - when: {judge: polite}\n    reply: x",
    "duration of the wrong kind": "latency: true",
    "invalid regex": "replies:\n  - when: '(unclosed'\n    reply: x",
    "invalid regex in a field": "replies:\n  - when:\n      whisper:\n        matches: '[a-'",
    "matcher value": "replies:\n  - when: {contains: a, ignore_case: 'yes'}\n    reply: x",
    "not a duration": "latency: fast",
    "latency too long": "latency: 20m",
    "zero dormancy": "dormant_after: 0s",
    "malformed placeholder": "replies:\n  - reply: 'Hi {{ name'",
    "turn name in the context": "initial_context: '{{ message }}'",
    "reserved header": "faults:\n  - status: 503\n    headers: {Content-Length: '5'}",
    "header on two lines": "faults:\n  - status: 503\n    headers: {X-A: \"a\\nb\"}",
}


def _scenario(agent: str) -> str:
    return "scenario: S\nmock:\n" + textwrap.indent(agent, "  ") + "\nsteps:\n  - customer: Hi\n"


def _agents_file(agent: str) -> str:
    return "agent_one:\n" + textwrap.indent(agent, "  ") + "\n"


def _scenario_problems(path: Path) -> list[Problem]:
    with pytest.raises(ScenarioFileError) as caught:
        load_scenarios(path, {}, warnings=[])
    return caught.value.problems


def _agents_problems(path: Path) -> list[Problem]:
    with pytest.raises(ScenarioFileError) as caught:
        load_agents_file(path)
    return caught.value.problems


@pytest.mark.parametrize("agent", MISTAKES.values(), ids=MISTAKES.keys())
def test_each_mistake_is_reported_once_and_the_same_in_both_places(
        tmp_path: Path, agent: str) -> None:
    scenario, agents = tmp_path / "s.scenario.yaml", tmp_path / "agents.yaml"
    scenario.write_text(_scenario(agent), encoding="utf-8")
    agents.write_text(_agents_file(agent), encoding="utf-8")
    in_scenario, in_agents_file = _scenario_problems(scenario), _agents_problems(agents)
    assert len(in_scenario) == 1, in_scenario
    assert len(in_agents_file) == 1, in_agents_file
    (found,), (expected,) = in_scenario, in_agents_file
    # The agent starts one line lower in the scenario (after `scenario:`), and is
    # named `mock` there and by its uuid in the agents file; the rest is identical.
    assert found.line == expected.line + 1
    assert found.message.startswith("mock")
    assert found.message.replace("mock", "agent_one", 1) == expected.message
    assert found.fix == expected.fix and found.fix


def test_a_mock_file_named_by_a_scenario_reads_the_same(tmp_path: Path) -> None:
    (tmp_path / "agent.yaml").write_text("latency: fast\n", encoding="utf-8")
    scenario = tmp_path / "s.scenario.yaml"
    scenario.write_text("scenario: S\nmock: agent.yaml\nsteps:\n  - customer: Hi\n",
                        encoding="utf-8")
    assert [p.format() for p in _scenario_problems(scenario)] == [
        f"{tmp_path / 'agent.yaml'}:1: mock.latency: `latency: fast` is not a duration; write a "
        "number with a unit, e.g. 200ms, 30s, 10m, 1h or 1m30s"]


def test_a_schema_problem_and_a_check_problem_are_both_reported(tmp_path: Path) -> None:
    agent = "latency: fast\nreplies:\n  - whenn: refund"
    scenario, agents = tmp_path / "s.scenario.yaml", tmp_path / "agents.yaml"
    scenario.write_text(_scenario(agent), encoding="utf-8")
    agents.write_text(_agents_file(agent), encoding="utf-8")
    assert [(p.line, p.message) for p in _scenario_problems(scenario)] == [
        (3, "mock.latency: `latency: fast` is not a duration"),
        (5, "mock.replies[0]: unknown key 'whenn' (did you mean 'when'?)")]
    assert [(p.line, p.message) for p in _agents_problems(agents)] == [
        (2, "agent_one.latency: `latency: fast` is not a duration"),
        (4, "agent_one.replies[0]: unknown key 'whenn' (did you mean 'when'?)")]


def test_placeholders_filled_in_are_validated_before_any_run(tmp_path: Path) -> None:
    scenario = tmp_path / "s.scenario.yaml"
    scenario.write_text(textwrap.dedent("""\
        scenario: S
        examples: [{lat: 1s, escalate: true}, {lat: soon, escalate: maybe}]
        mock:
          latency: "{{ lat }}"
          replies:
            - help_requested: "{{ escalate }}"
        steps:
          - customer: Hi
        """), encoding="utf-8")
    assert [p.format() for p in _scenario_problems(scenario)] == [
        f"{scenario}:4: mock.latency: `latency: soon` is not a duration (filled in with examples "
        "row 2); write a number with a unit, e.g. 200ms, 30s, 10m, 1h or 1m30s",
        f"{scenario}:6: mock.replies[0].help_requested: `help_requested` must be true or false, "
        "not the string 'maybe' (filled in with examples row 2); write help_requested: true"]


def test_values_from_the_environment_are_not_shown(tmp_path: Path) -> None:
    scenario = tmp_path / "s.scenario.yaml"
    scenario.write_text("scenario: S\nmock: {latency: '{{ env.OSVI_LAT }}'}\n"
                        "steps:\n  - customer: Hi\n", encoding="utf-8")
    with pytest.raises(ScenarioFileError) as caught:
        load_scenarios(scenario, {"OSVI_LAT": "s3cr3t"}, warnings=[])
    assert "s3cr3t" not in str(caught.value)
    assert [p.format() for p in caught.value.problems] == [
        f"{scenario}:2: the mock agent, filled in with the variables, has a problem on this "
        "line; its values come from the environment, so they are not shown: check the variables "
        "this line uses"]


class _Compiles:
    """Counts the agents the compiler builds."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.calls = 0
        build = mock_agent.MockAgent.__init__

        def counted(agent: mock_agent.MockAgent, *args: Any, **kwargs: Any) -> None:
            self.calls += 1
            build(agent, *args, **kwargs)

        monkeypatch.setattr(mock_agent.MockAgent, "__init__", counted)


@pytest.fixture
def compiles(monkeypatch: pytest.MonkeyPatch) -> _Compiles:
    return _Compiles(monkeypatch)


def test_validation_never_compiles(compiles: _Compiles) -> None:
    assert validate_agent_spec({"replies": [{"when": "(?i)refund", "reply": "ok"}]}) == []
    assert validate_agent_spec({"replies": [{"when": "(", "whenn": 1}], "latency": "x"}) != []
    assert compiles.calls == 0


@pytest.mark.parametrize("agent", MISTAKES.values(), ids=MISTAKES.keys())
def test_an_invalid_agent_is_never_compiled(tmp_path: Path, compiles: _Compiles,
                                            agent: str) -> None:
    agents = tmp_path / "agents.yaml"
    agents.write_text("agent_fine: {default_reply: hi}\n" + _agents_file(agent), encoding="utf-8")
    _agents_problems(agents)
    assert compiles.calls == 0  # not even the valid agent beside it


def test_a_valid_agents_file_is_compiled_once_per_agent(tmp_path: Path,
                                                        compiles: _Compiles) -> None:
    agents = tmp_path / "agents.yaml"
    agents.write_text("agent_a: {default_reply: a}\nagent_b:\n", encoding="utf-8")
    assert sorted(load_agents_file(agents)) == ["agent_a", "agent_b"]
    assert compiles.calls == 2


def test_the_compiler_refuses_what_validation_did_not_pass() -> None:
    with pytest.raises(mock_agent.UnvalidatedAgentSpec, match="call validate_agent_spec"):
        mock_agent.MockAgent.from_spec({"faults": [{"status": "{{ code }}"}]})


def _printed(lines: list[str], file: str, name: str) -> list[tuple[int, str]]:
    """The problem lines about ``file`` as (line, text with the agent called ``name``)."""
    found = []
    for line in lines:
        if line.startswith(f"{file}:"):
            number, text = line[len(file) + 1:].split(": ", 1)
            found.append((int(number), text.replace(name, "<agent>", 1)))
    return found


def test_osvi_mock_serve_and_a_scenario_print_the_same_lines(
        pytester: pytest.Pytester, write: WriteFile, run: RunPytest) -> None:
    agent = "latency: fast\nreplies:\n  - when: {containz: refund}\n    reply: ok"
    agents = write(_agents_file(agent), "agents.yaml")
    served = run_cli("serve", "--port", "0", "--agents", str(agents))
    assert served.returncode == 2
    write(_scenario(agent))
    result = run()
    assert result.ret == pytest.ExitCode.INTERRUPTED
    from_server = _printed(served.stderr.splitlines(), str(agents), "agent_one")
    assert from_server == [
        (2, "<agent>.latency: `latency: fast` is not a duration; write a number with a unit, "
         "e.g. 200ms, 30s, 10m, 1h or 1m30s"),
        (4, "<agent>.replies[0].when: unknown key 'containz' (did you mean 'contains'?); use "
         "one of: message, whisper, context, state, version, turn, trigger, equals, contains, "
         "contains_any, not_contains, matches, not_matches, starts_with, ends_with, ignore_case, "
         "length, any_of, all_of, not, similar_to")]
    from_pytest = _printed(result.stdout.lines, "chat.scenario.yaml", "mock")
    assert from_pytest == [(line + 1, text) for line, text in from_server]
    assert "Traceback" not in result.stdout.str() + served.stderr
