"""Mock agents built to vary: `choose`, `flaky`, `seed` and `version`, all deterministic."""

from __future__ import annotations

from typing import Any

from runner.language.mock_agent import Turn
from runner.language.mock_variants import mock_for_run
from runner.mock import MockAgent, validate_agent_spec


def reply(spec: dict[str, Any], message: str = "hi", **fields: str) -> str | None:
    turn = Turn(message=message, whisper="", context="", state=fields.pop("state", "default"))
    return MockAgent.from_spec(spec).respond(turn).reply


def test_choose_is_the_same_for_the_same_seed_and_varies_between_seeds() -> None:
    rule = {"choose": ["one", "two", "three"]}
    seen = {seed: reply({"seed": seed, "replies": [rule]}) for seed in range(1, 13)}
    assert seen == {seed: reply({"seed": seed, "replies": [rule]}) for seed in range(1, 13)}
    assert set(seen.values()) == {"one", "two", "three"}


def test_flaky_rule_gives_its_other_reply_in_every_nth_run() -> None:
    rule = {"reply": "Order {{ message }} confirmed.",
            "flaky": {"every": 3, "reply": "Confirmed."}}
    replies = [reply({"seed": seed, "replies": [rule]}, "4711") for seed in range(1, 7)]
    assert replies == ["Order 4711 confirmed.", "Order 4711 confirmed.", "Confirmed.",
                       "Order 4711 confirmed.", "Order 4711 confirmed.", "Confirmed."]


def test_version_selects_rules() -> None:
    spec = {"replies": [{"when": {"version": "^2$"}, "reply": "new"}, {"reply": "old"}]}
    assert reply(spec) == "old"
    assert reply({**spec, "version": 2}) == "new"


def test_a_run_gets_its_seed_and_the_environment_version_unless_the_author_set_them() -> None:
    assert mock_for_run({"replies": []}, 3, {"OSVI_MOCK_VERSION": "2"}) == {
        "replies": [], "seed": 3, "version": "2"}
    assert mock_for_run({"seed": 7, "version": "1"}, 3, {"OSVI_MOCK_VERSION": "2"}) == {
        "seed": 7, "version": "1"}
    assert mock_for_run(None, 3, {}) is None  # the demo agent stays the demo agent


def test_mistakes_are_located_and_explained() -> None:
    problems = [p.format() for p in validate_agent_spec({
        "seed": -1,
        "replies": [{"reply": "a", "choose": ["b"]},
                    {"choose": []},
                    {"reply": "c", "flaky": {"every": 0, "reply": "d"}},
                    {"reply": "e", "flaky": {"every": 2}},
                    {"when": {"judge": "polite"}, "reply": "f"}],
    }, "m.yaml")]
    assert any("`seed` must be 0 or more, not -1" in p for p in problems), problems
    assert any("either `reply` or `choose`, not both" in p for p in problems), problems
    assert any("`choose` is empty" in p for p in problems), problems
    assert any("`every` must be 1 or more, not 0" in p for p in problems), problems
    assert any("`flaky` needs `reply`" in p for p in problems), problems
    assert any("judge" in p for p in problems), problems
