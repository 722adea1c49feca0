"""Several customers in one scenario (``customers:`` and a step's ``as:``), end to end."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from runner.tools.cli import main
from tests.conftest import WriteFile
from tests.mock.serverproc import start_mock
from tests.reliability.conftest import AGENTS, TOKEN, live, mock_session, stop_quickly

BOT = """
mock:
  replies:
    - when: "(?i)order"
      reply: "Noted: {{ message }}"
  default_reply: "How can I help?"
"""


def run(pytester: pytest.Pytester, write: WriteFile, body: str) -> pytest.RunResult:
    write("scenario: S\n" + BOT.strip() + "\n" + body.strip("\n") + "\n")
    return pytester.runpytest("-p", "no:cacheprovider")


def test_two_customers_keep_their_own_sessions(pytester: pytest.Pytester,
                                               write: WriteFile) -> None:
    result = run(pytester, write, """
customers:
  anna: {id: "+15550001111"}
  ben: {}
steps:
  - customer: "My order 4711"
    as: anna
    save: {anna_sid: session_id}
    expect: {reply: {contains: "4711"}}
  - customer: "Hello"
    as: ben
    save: {ben_sid: session_id}
    expect:
      reply: {not_contains: "4711"}
      data: {data.session_id: {not: "{{ anna_sid }}"}}
  - customer: "again"
    as: anna
    expect: {session: same, data: {data.session_id: "{{ anna_sid }}"}}
  - takeover: null
    as: ben
    expect: {data: {data.session_id: "{{ ben_sid }}"}}
""")
    result.assert_outcomes(passed=1)


def test_a_session_step_without_as_acts_on_the_latest_party(pytester: pytest.Pytester,
                                                             write: WriteFile) -> None:
    result = run(pytester, write, """
customers:
  anna: {}
  ben: {}
steps:
  - customer: "Hi"
    as: anna
  - customer: "Hi"
    as: ben
    save: {ben_sid: session_id}
  - takeover: null
    expect: {data: {data.session_id: "{{ ben_sid }}"}}
""")
    result.assert_outcomes(passed=1)


def test_expect_session_new_compares_with_that_partys_previous_session(
        pytester: pytest.Pytester, write: WriteFile) -> None:
    result = run(pytester, write, """
customers:
  anna: {}
  ben: {}
steps:
  - customer: "Hi"
    as: anna
  - customer: "Hi"
    as: ben
  - customer: "Hi again"
    as: anna
    expect: {session: same}
""")
    result.assert_outcomes(passed=1)


def test_an_unknown_party_is_named_with_a_suggestion(pytester: pytest.Pytester,
                                                     write: WriteFile) -> None:
    result = run(pytester, write, """
customers:
  ben: {}
steps:
  - customer: "Hi"
    as: bne
""")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*chat.scenario.yaml:11*bne*did you mean 'ben'*"])


def test_as_without_customers_is_refused_with_a_fix(pytester: pytest.Pytester,
                                                   write: WriteFile) -> None:
    result = run(pytester, write, """
steps:
  - customer: "Hi"
    as: anna
""")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*chat.scenario.yaml:9*anna*customers:*"])


def test_a_party_without_a_session_yet_breaks_its_session_step(pytester: pytest.Pytester,
                                                               write: WriteFile) -> None:
    result = run(pytester, write, """
customers:
  anna: {}
  ben: {}
steps:
  - customer: "Hi"
    as: anna
  - takeover: null
    as: ben
""")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*no session yet: run a `customer` step with `as: ben` first*"])


@pytest.fixture(scope="module")
def served_mock(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    served = start_mock(tmp_path_factory.mktemp("parties-mock"), "--agents", str(AGENTS),
                        env={"OSVI_MOCK_TOKEN": TOKEN})
    yield served.url
    stop_quickly(served)


def test_live_cleanup_closes_every_partys_session(pytester: pytest.Pytester, write: WriteFile,
                                                  served_mock: str,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    write("""
scenario: Two customers live
customers:
  anna: {id: "+15550001111"}
  ben: {}
steps:
  - customer: "Hi"
    as: anna
  - customer: "Hi"
    as: ben
""")
    result = live(pytester, monkeypatch, served_mock, "-rP")
    result.assert_outcomes(passed=1)
    closed = re.findall(r"closed session (\S+) \(cleanup\)", result.stdout.str())
    assert len(set(closed)) == 2, result.stdout.str()
    records = [mock_session(served_mock, session) for session in closed]
    assert [r["status"] for r in records] == ["closed", "closed"]
    # anna sends as the id written for her; ben as a fresh one of his own.
    customers = {r["customer_id"] for r in records}
    assert "+15550001111" in customers and len(customers) == 2


def test_check_names_the_unknown_party_with_file_and_line(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "two.scenario.yaml"
    path.write_text("scenario: S\ncustomers:\n  ben: {}\nsteps:\n  - takeover: null\n"
                    "  - customer: Hi\n    as: bne\n", encoding="utf-8")
    assert main(["check", str(path)]) != 0
    out = capsys.readouterr()
    text = out.out + out.err
    assert "two.scenario.yaml:7: `as: bne` is not a party under `customers:` " \
           "(did you mean 'ben'?)" in text, text


def test_as_on_a_wait_step_is_refused(pytester: pytest.Pytester, write: WriteFile) -> None:
    result = run(pytester, write, """
customers:
  anna: {}
steps:
  - wait: 1ms
    as: anna
""")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*chat.scenario.yaml:11: `as:` has no effect on a `wait` step*"])


def test_the_chat_names_the_party_of_each_customer_message(pytester: pytest.Pytester,
                                                           write: WriteFile) -> None:
    result = run(pytester, write, """
customers:
  anna: {}
  ben: {}
steps:
  - customer: "Hi from anna"
    as: anna
  - customer: "Hi from ben"
    as: ben
    expect: {reply: "something else"}
""")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*step 1  customer    Hi from anna", "*(as anna)",
                                 "*step 2  customer    Hi from ben", "*(as ben)"])
