"""`osvi-scenarios record`: run, then write the observed replies into the file, keeping it."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from runner.tools.cli import main
from runner.tools.record import key_phrases

DRAFT = """\
# A draft: record fills in the replies.
scenario: Refund flow
mock:                      # the agent under test
  replies:
    - when: "(?i)refund"
      reply: "I can help with that. What's your order number?"
      state: collect_order
    - when: "(?i)person"
      reply: "Let me get a colleague."
steps:
  - customer: "I want a refund"   # first
    save: {sid: session_id}
  - {customer: "Can I talk to a person?"}
  - takeover: null
  - customer: "Hello?"
  - end: null
  - customer: "refund again"
    expect:
      reply: "Something else"     # mine
finally:
  - close: null
"""


def record(tmp_path: Path, capsys: pytest.CaptureFixture[str], *args: str,
           text: str = DRAFT) -> tuple[int, str, str, Path]:
    path = tmp_path / "draft.scenario.yaml"
    if not path.exists():
        path.write_text(text, encoding="utf-8")
    code = main(["record", str(path), *args])
    out, err = capsys.readouterr()
    return code, out, err, path


def test_writes_expectations_and_keeps_comments_layout_and_own_expectations(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err, path = record(tmp_path, capsys)
    assert code == 0
    assert out.startswith("recorded 6 expectations into ")
    # Replies, and the state and mode where the agent changed them.
    assert path.read_text() == DRAFT.replace(
        '''  - customer: "I want a refund"   # first
    save: {sid: session_id}
  - {customer: "Can I talk to a person?"}
  - takeover: null
  - customer: "Hello?"
''', '''  - customer: "I want a refund"   # first
    expect:
      reply: {contains: ["order number"]}
      state: "collect_order"
    save: {sid: session_id}
  - {customer: "Can I talk to a person?", expect: {reply: {contains: ["colleague"]}}}
  - takeover: null
  - customer: "Hello?"
    expect:
      reply: null
      mode: "support"
''').replace('''      reply: "Something else"     # mine
''', '''      reply: "Something else"     # mine
      mode: "ai"
''')
    assert "kept your `reply` expectation, which the reply observed now does not meet" in err
    assert [p.name for p in tmp_path.iterdir()] == ["draft.scenario.yaml"]  # no temp files
    assert main(["check", str(path)]) == 0


def test_dry_run_prints_a_diff_and_writes_nothing(tmp_path: Path,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _, path = record(tmp_path, capsys, "--dry-run", "--style", "exact")
    assert code == 0
    assert path.read_text() == DRAFT
    assert '+      reply: "I can help with that. What\'s your order number?"' in out
    assert out.startswith("--- ")


def test_overwrite_and_similar_to(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, _, path = record(tmp_path, capsys, "--overwrite", "--style", "similar_to")
    assert code == 0
    assert ('      reply: {similar_to: {text: "I can help with that. What\'s your order number?",'
            " min: 0.64}}") in path.read_text()
    assert 'reply: "Something else"' not in path.read_text()


def test_a_second_run_has_nothing_to_add(tmp_path: Path,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    record(tmp_path, capsys)
    code, out, _, _ = record(tmp_path, capsys)
    assert (code, out) == (0, "nothing to record: every reply step already has a `reply` "
                              "expectation\n")


def test_a_broken_run_writes_nothing(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    broken = DRAFT.replace("  - takeover: null\n", "  - tell: \"hi\"\n    session_id: nope\n")
    code, _, err, path = record(tmp_path, capsys, text=broken)
    assert code == 1
    assert "could not run to the end, so nothing was recorded" in err
    assert path.read_text() == broken


def test_a_file_with_problems_is_refused(tmp_path: Path,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err, _ = record(tmp_path, capsys, text="scenario: x\nsteps:\n  - custmer: Hi\n")
    assert code == 1
    assert "draft.scenario.yaml:3: unknown key 'custmer' in a step" in err


def test_examples_rows_that_disagree_are_left_to_the_author(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    text = textwrap.dedent("""\
        scenario: Echo
        examples: [{id: a, word: Hi}, {id: b, word: Ho}]
        mock: {default_reply: "You said {{ message }}"}
        steps:
          - customer: "{{ word }}"
          - customer: "same"
    """)
    code, _, err, path = record(tmp_path, capsys, text=text)
    assert code == 0
    assert "step 1: the examples rows got different replies" in err
    assert path.read_text().endswith('  - customer: "same"\n    expect:\n'
                                     '      reply: "You said same"\n')  # no key phrase


def test_live_needs_a_base_url(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err, _ = record(tmp_path, capsys, "--target", "live")
    assert code == 2
    assert "--osvi-target live needs a base URL" in err


@pytest.mark.parametrize(("reply", "phrases"), [
    ("I can help with that. What's your order number?", ["order number"]),
    ("Thanks, the refund for order 4711 has started.", ["order 4711", "started"]),
    ("Hello! How can I help you today?", []),
])
def test_key_phrases(reply: str, phrases: list[str]) -> None:
    assert key_phrases(reply) == phrases
