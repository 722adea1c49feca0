"""YAML with line numbers, templating and durations."""

from __future__ import annotations

from pathlib import Path

import pytest

from runner.core.errors import ScenarioFileError
from runner.language.durations import DurationError, format_duration, parse_duration
from runner.language.templating import UndefinedVariable, placeholders, render, render_tree
from runner.language.yamlsrc import YList, YMap, load_documents, read_text


def test_every_mapping_and_sequence_knows_its_lines() -> None:
    text = "scenario: s\nsteps:\n  - customer: hi\n    expect:\n      reply: x\n  - end: null\n"
    (doc,) = load_documents(text, "f.yaml")
    assert isinstance(doc.data, YMap) and doc.data.line == 1
    steps = doc.data["steps"]
    assert isinstance(steps, YList)
    assert steps.item_lines == [3, 6]
    assert steps[0].line_of("expect") == 4
    assert steps[0]["expect"].line_of("reply") == 5


def test_several_documents_keep_their_start_lines() -> None:
    docs = load_documents("a: 1\n---\nb: 2\n---\n---\nc: 3\n", "f.yaml")
    assert [d.line for d in docs] == [1, 3, 6]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a: 1\nb: 2\na: 3\n",
         "f.yaml:3: duplicate key 'a' (first written on line 1); remove one of them; "
         "YAML keeps only one value per key"),
        ("a:\n\t- b\n", "f.yaml:2: a tab character is used for indentation; "
         "indent YAML with spaces only"),
        ("a: [1, 2\n", None),
    ],
)
def test_yaml_problems_are_located(text: str, expected: str | None) -> None:
    with pytest.raises(ScenarioFileError) as caught:
        load_documents(text, "f.yaml")
    message = str(caught.value)
    if expected is not None:
        assert message == expected
    else:
        assert message.startswith("f.yaml:") and "invalid YAML" in message


def test_alias_bomb_is_refused_quickly() -> None:
    lines = ['a: &a ["x","x","x","x","x","x","x","x","x","x"]']
    for i in range(1, 9):
        prev = chr(ord("a") + i - 1)
        cur = chr(ord("a") + i)
        lines.append(f"{cur}: &{cur} [" + ",".join([f"*{prev}"] * 10) + "]")
    with pytest.raises(ScenarioFileError, match="too many values"):
        load_documents("\n".join(lines), "bomb.yaml")


def test_binary_and_bad_utf8_files(tmp_path: Path) -> None:
    binary = tmp_path / "b.scenario.yaml"
    binary.write_bytes(b"\x00\x01\x02")
    with pytest.raises(ScenarioFileError, match="binary"):
        read_text(binary)
    latin = tmp_path / "l.scenario.yaml"
    latin.write_bytes(b"scenario: ok\nsteps:\n  - customer: caf\xe9\n")
    with pytest.raises(ScenarioFileError) as caught:
        read_text(latin)
    assert str(caught.value).endswith(":3: the file is not valid UTF-8 (byte 0xe9); "
                                      "save the file as UTF-8")


def test_render_substitutes_and_keeps_types() -> None:
    variables = {"name": "Ana", "escalates": True, "n": 3}
    assert render("Hi {{ name }}, {{n}} items", variables, {}) == "Hi Ana, 3 items"
    assert render("{{ escalates }}", variables, {}) is True
    assert render("{{ env.SHOP }}", {}, {"SHOP": "Acme"}) == "Acme"
    assert render("{{ message }} / {{ name }}", variables, {},
                  keep=frozenset({"message"})) == "{{ message }} / Ana"
    assert render_tree({"a": ["{{ name }}"]}, variables, {}) == {"a": ["Ana"]}
    assert placeholders("{{ a }} {{ env.B }}") == ["a", "env.B"]


def test_undefined_variable_names_it() -> None:
    with pytest.raises(UndefinedVariable) as caught:
        render("{{ order }}", {}, {})
    assert str(caught.value) == "undefined variable 'order'"
    with pytest.raises(UndefinedVariable):
        render("{{ env.NOPE }}", {}, {})


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("200ms", 0.2), ("30s", 30), ("10m", 600), ("1h", 3600), ("1m30s", 90), (5, 5.0),
     ("1.5s", 1.5)],
)
def test_durations(text: object, seconds: float) -> None:
    assert parse_duration(text) == pytest.approx(seconds)


@pytest.mark.parametrize("text", ["10", "abc", "5 minutes", "-1s", True, None])
def test_bad_durations_explain_the_format(text: object) -> None:
    with pytest.raises(DurationError, match=r"e\.g\. 200ms, 30s"):
        parse_duration(text)


def test_format_duration() -> None:
    assert [format_duration(s) for s in (0.012, 2.46, 42, 185, 7300)] == [
        "12ms", "2.5s", "42s", "3m05s", "2h01m"]


def test_keys_stay_as_written_even_when_yaml_11_reads_them_as_booleans() -> None:
    (doc,) = load_documents("faults:\n  - on: inbound\n    yes: 1\n", "f.yaml")
    assert doc.data["faults"][0] == {"on": "inbound", "yes": 1}
    assert doc.data["faults"][0].line_of("yes") == 3


def test_the_chat_never_splits_ids_or_urls() -> None:
    from runner.report.render import _wrap

    uuid = "6cb92418-951d-461f-b8dc-bf5df9440285"
    text = f"could not close session {uuid}: HTTP 502 at http://127.0.0.1:9/v1/chat/session/{uuid}"
    lines = _wrap(text)
    assert len(lines) > 1
    assert any(uuid in line for line in lines)
    assert any(f"/v1/chat/session/{uuid}" in line for line in lines)
