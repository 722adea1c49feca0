"""Limits on what one scenario file can cost: regex time, alias expansion, durations, tags.

Issue 10, items 5, 7, 10a, 10b and 10d. Each reproduction must end cleanly:
the run finishes, the one bad scenario or file is reported with its cause and
its file:line, and the others still run.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from runner.core.errors import ScenarioFileError
from runner.language.loader import MockFileCache, load_scenarios
from runner.language.mock_agent import MockAgent, Turn
from runner.tools import cli
from tests.conftest import RunPytest, WriteFile

# Exponential backtracking for any backtracking engine, the `regex` package included.
CATASTROPHIC = "^(a|aa)*$"
ALMOST = "a" * 50 + "!"
GOOD = """
scenario: Still runs
steps:
  - customer: Hi
"""


def _check(path: Path) -> list[str]:
    """`osvi-scenarios check` on one file: its problems as printed."""
    problems, _ = cli.check_file(path, os.environ, MockFileCache())
    return [p.format() for p in problems]


# --------------------------------------------------------------------------- 5: regex time


@pytest.mark.spawns
def test_a_catastrophic_pattern_breaks_its_scenario_and_the_run_goes_on(
        pytester: pytest.Pytester, write: WriteFile) -> None:
    # A subprocess: before the fix the pattern held the run for hours, past every time
    # limit and the first Ctrl-C; only a child process is sure to stop at the timeout.
    write(f"""
        scenario: Expectation with a catastrophic pattern
        mock: {{default_reply: "{ALMOST}"}}
        steps:
          - customer: Hi
            expect:
              reply:
                matches: "{CATASTROPHIC}"
        ---
        scenario: The issue's pattern on an ordinary sentence
        mock: {{default_reply: "Thanks for waiting, your refund is on its way."}}
        steps:
          - customer: Hi
            expect: {{reply: {{matches: '^(\\w+\\s?)+$'}}}}
        ---
        scenario: Mock rule with a catastrophic pattern
        mock:
          replies:
            - when: "{CATASTROPHIC}"
              reply: never
        steps:
          - customer: "{ALMOST}"
        ---
        scenario: Still runs
        steps:
          - customer: Hi
        """)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-W", "ignore",
                                           "--osvi-scenario-timeout", "5s", timeout=90)
    result.assert_outcomes(passed=1, failed=3)
    out = result.stdout.str()
    assert "internal error" not in out and "Traceback" not in out
    result.stdout.fnmatch_lines([
        "Cause: step 1 (customer: \"Hi\"): chat.scenario.yaml:7: the pattern "
        f"/{CATASTROPHIC}/ took longer than 1s on a 51-character text (catastrophic "
        "backtracking); simplify it*"])
    # The issue's own pattern now finishes at once: the scenario simply fails.
    result.stdout.fnmatch_lines(["*reply*expected: matches /^(\\w+\\s?)+$/"])
    result.stdout.fnmatch_lines([
        "Cause: step 1 (customer: \"aaaa*\"): unexpected answer HTTP 500 · error 'the mock "
        f"rule at chat.scenario.yaml:18: the pattern /{CATASTROPHIC}/ took longer than 1s on "
        "a 51-character text (catastrophic backtracking)*"])


def test_a_mock_rule_that_overruns_answers_an_error_instead_of_hanging() -> None:
    agent = MockAgent.from_spec({"replies": [{"when": CATASTROPHIC, "reply": "never"}],
                                 "default_reply": "fallback"})
    decision = agent.respond(Turn(ALMOST, "", "", "default"))
    assert decision.fault is not None and decision.fault.status == 500
    assert decision.fault.error is not None
    assert f"the pattern /{CATASTROPHIC}/ took longer than 1s" in decision.fault.error
    assert decision.reply is None


NESTED = """
scenario: Nested quantifiers
mock:
  replies:
    - when: "(a|aa)*b"
      reply: Sure.
steps:
  - customer: Hi
    expect:
      reply: {matches: '^(\\w+\\s?)+$'}
  - customer: Ordinary patterns raise no warning
    expect:
      reply:
        any_of: [{matches: '(?i)order (number|id)'}, {matches: '^\\d{3,}-\\w+$'},
                 {matches: '(foo|bar)+'}, {matches: '(ab?)+c'}, {matches: '[(a+)+]'}]
"""


def test_check_warns_about_nested_quantifiers_and_still_passes(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "nested.scenario.yaml").write_text(NESTED.lstrip(), encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    assert cli.main(["check", "."]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("nested.scenario.yaml:4: warning: the pattern /(a|aa)*b/ ")
    assert "`(a|aa)*`" in out[0]
    assert out[1].startswith("nested.scenario.yaml:9: warning: the pattern /^(\\w+\\s?)+$/ ")
    assert "`(\\w+\\s?)+`" in out[1]
    assert out[-1] == "1 scenario in 1 file is valid (2 warnings)"


def test_collection_shows_the_nested_quantifier_warning(write: WriteFile, run: RunPytest) -> None:
    write(NESTED)
    result = run("--collect-only", "-q")
    assert result.ret == pytest.ExitCode.OK
    result.stdout.fnmatch_lines(["*warnings summary*"])
    result.stdout.fnmatch_lines([
        "*chat.scenario.yaml:9: ScenarioWarning: the pattern /^(\\w+\\s?)+$/ *"])


# --------------------------------------------------------------------------- 7: alias amplification


def _amplified(copies: int = 60, size: int = 20_000) -> str:
    """Small on disk (about 20 KB), over a million characters once the aliases are expanded."""
    aliases = "".join("    - *big\n" for _ in range(copies))
    return (f'scenario: Amplified\nvars:\n  big: &big "{"x" * size}"\n  copies:\n{aliases}'
            "steps:\n  - customer: Hi\n")


def test_an_alias_that_repeats_a_long_text_is_refused_at_load(tmp_path: Path) -> None:
    path = tmp_path / "amplified.scenario.yaml"
    path.write_text(_amplified(), encoding="utf-8")
    assert path.stat().st_size < 25_000
    with pytest.raises(ScenarioFileError) as raised:
        load_scenarios(path, os.environ)
    [problem] = raised.value.problems
    assert (problem.line, problem.message, problem.fix) == (
        3, "aliases (`*name`) repeat the value written here until the document would hold "
           "more than 1,000,000 characters (an alias bomb?)",
        "write the values out instead of repeating long ones through aliases")
    path.write_text(_amplified(copies=40), encoding="utf-8")  # 820,000 characters: fine
    assert len(load_scenarios(path, os.environ)) == 1


def test_an_amplified_file_is_one_collection_error(pytester: pytest.Pytester, write: WriteFile,
                                                   run: RunPytest) -> None:
    (pytester.path / "amplified.scenario.yaml").write_text(_amplified(), encoding="utf-8")
    write(GOOD, "good.scenario.yaml")
    result = run("--continue-on-collection-errors")
    result.assert_outcomes(passed=1, errors=1)
    result.stdout.fnmatch_lines(["amplified.scenario.yaml:3: aliases (`*name`) repeat *"])


# --------------------------------------------------------------------------- 10a: durations

FIVE_THOUSAND_DIGITS = "1" * 5000
DURATIONS = [
    ("wait: 99999999999999999999h", 4,
     "`wait: 99999999999999999999h` is longer than 24h, the longest duration allowed; write a "
     "shorter duration, e.g. 30s, 10m or 1h"),
    ("wait: .inf", 4, "`wait: .inf` is not a finite duration; write a number with a unit, "
                      "e.g. 200ms, 30s, 10m, 1h or 1m30s"),
    ("wait: .nan", 4, "`wait: .nan` is not a finite duration; write a number with a unit, "
                      "e.g. 200ms, 30s, 10m, 1h or 1m30s"),
    ("wait: 100000", 4, "`wait: 100000` is longer than 24h, the longest duration allowed; "
                        "write a shorter duration, e.g. 30s, 10m or 1h"),
    ("timeout", 2, "the number on this line has 5000 digits, more than a number may have; "
                   "write a shorter number (quote it to make it text)"),
    ("within", 5, "`within: .inf` is not a finite duration; write a number with a unit, e.g. "
                  "200ms, 30s, 10m, 1h or 1m30s"),
    ("timeout: 25h", 2, "`timeout: 25h` is longer than 24h, the longest duration allowed; "
                        "write a shorter duration, e.g. 30s, 10m or 1h"),
]


def _duration_file(case: str) -> str:
    if case == "timeout":
        return f"scenario: Odd\ntimeout: {FIVE_THOUSAND_DIGITS}\nsteps:\n  - customer: Hi\n"
    if case == "within":
        return "scenario: Odd\nsteps:\n  - customer: Hi\n    expect:\n      within: .inf\n"
    if case.startswith("timeout"):
        return f"scenario: Odd\n{case}\nsteps:\n  - customer: Hi\n"
    return f"scenario: Odd\nsteps:\n  - customer: Hi\n  - {case}\n"


@pytest.mark.parametrize(("case", "line", "expected"), DURATIONS,
                         ids=[c[0][:20] for c in DURATIONS])
def test_absurd_durations_are_clean_errors_at_check_time(tmp_path: Path, case: str, line: int,
                                                         expected: str) -> None:
    path = tmp_path / "odd.scenario.yaml"
    path.write_text(_duration_file(case), encoding="utf-8")
    assert _check(path) == [f"{path}:{line}: {expected}"]


def test_absurd_durations_fail_collection_and_the_run_goes_on(
        pytester: pytest.Pytester, write: WriteFile, run: RunPytest) -> None:
    for number, (case, _, _) in enumerate(DURATIONS):
        write(_duration_file(case), f"odd{number}.scenario.yaml")
    write(GOOD, "good.scenario.yaml")
    result = run("--continue-on-collection-errors")
    result.assert_outcomes(passed=1, errors=len(DURATIONS))
    assert "internal error" not in result.stdout.str()


def test_mock_durations_are_capped_too(tmp_path: Path) -> None:
    path = tmp_path / "mock.scenario.yaml"
    path.write_text("scenario: Odd\nmock:\n  dormant_after: .inf\nsteps:\n  - customer: Hi\n",
                    encoding="utf-8")
    assert _check(path) == [f"{path}:3: mock.dormant_after: `dormant_after: .inf` is not a "
                            "finite duration; write a number with a unit, e.g. 200ms, 30s, 10m, "
                            "1h or 1m30s"]


# --------------------------------------------------------------------------- 10b: templated


def test_a_templated_wait_that_is_no_duration_breaks_its_scenario(
        write: WriteFile, run: RunPytest) -> None:
    write("""
        scenario: Templated wait
        vars: {d: abc}
        steps:
          - customer: Hi
          - wait: "{{ d }}"
        """)
    write(GOOD, "good.scenario.yaml")
    result = run()
    result.assert_outcomes(passed=1, failed=1)
    assert "internal error" not in result.stdout.str()
    result.stdout.fnmatch_lines([
        "Cause: step 2 (wait: abc): chat.scenario.yaml:5: `wait: \"{{ d }}\"` gave 'abc', "
        "which is not a duration; write a number with a unit, e.g. 200ms, 30s, 10m, 1h or "
        "1m30s"])


def test_a_templated_duration_from_the_environment_is_never_quoted(
        write: WriteFile, run: RunPytest, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OSVI_WAIT_FOR", "s3cr3t-value-not-a-duration")
    write("""
        scenario: Templated wait from the environment
        steps:
          - customer: Hi
          - wait: "{{ env.OSVI_WAIT_FOR }}"
        """)
    result = run()
    result.assert_outcomes(failed=1)
    out = result.stdout.str()
    assert "s3cr3t" not in out and "internal error" not in out
    result.stdout.fnmatch_lines([
        "Cause: step 2 (wait: {{ env.OSVI_WAIT_FOR }}): chat.scenario.yaml:4: "
        "`wait: \"{{ env.OSVI_WAIT_FOR }}\"`, once filled in, is not a duration; write a number "
        "with a unit, e.g. 200ms, 30s, 10m, 1h or 1m30s"])


def test_a_templated_within_that_is_no_duration_fails_its_step(
        write: WriteFile, run: RunPytest) -> None:
    write("""
        scenario: Templated within
        vars: {t: abc}
        steps:
          - customer: Hi
            expect: {within: "{{ t }}"}
        """)
    result = run()
    result.assert_outcomes(failed=1)
    out = result.stdout.str()
    assert "internal error" not in out
    result.stdout.fnmatch_lines(["*step 1 failed*chat.scenario.yaml:4*",
                                 "*within*expected: a duration, e.g. 3s*"])


def test_a_templated_timeout_that_is_no_duration_is_a_located_problem(tmp_path: Path) -> None:
    path = tmp_path / "timeout.scenario.yaml"
    path.write_text('scenario: T\nvars: {t: abc}\ntimeout: "{{ t }}"\nsteps:\n  - customer: Hi\n',
                    encoding="utf-8")
    assert _check(path) == [f"{path}:3: `timeout: \"{{{{ t }}}}\"` gave 'abc', which is not a "
                            "duration; write a number with a unit, e.g. 200ms, 30s, 10m, 1h "
                            "or 1m30s"]


def test_a_templated_timeout_from_the_environment_is_never_quoted(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OSVI_TIME_LIMIT", "s3cr3t-value")
    path = tmp_path / "timeout.scenario.yaml"
    path.write_text('scenario: T\ntimeout: "{{ env.OSVI_TIME_LIMIT }}"\nsteps:\n'
                    "  - customer: Hi\n", encoding="utf-8")
    [problem] = _check(path)
    assert "s3cr3t" not in problem
    assert problem.startswith(f"{path}:2: `timeout: \"{{{{ env.OSVI_TIME_LIMIT }}}}\"`, once "
                              "filled in, is not a duration; ")


# --------------------------------------------------------------------------- 10d: tags

COUNT_MARKER_READS = """
import pytest

READS = []


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config):
    original = config.getini

    def getini(name):
        if name == "markers":
            READS.append(name)
        return original(name)

    config.getini = getini


@pytest.hookimpl(tryfirst=True)
def pytest_collection(session):
    READS.clear()  # count while scenarios are collected, not while plugins start


def pytest_collection_finish(session):
    lines = [line.split(":")[0] for line in session.config.getini("markers")]
    tags = [name for name in lines if name.startswith("tag")]
    print(f"marker-reads={len(READS)} tag-lines={len(tags)} distinct={len(set(tags))}")
"""


def test_each_tag_is_registered_once_per_run(pytester: pytest.Pytester, write: WriteFile,
                                            run: RunPytest) -> None:
    tags = ", ".join(f"tag{n}" for n in range(300))
    for number in range(3):
        write(f"scenario: Tagged {number}\ntags: [{tags}]\nsteps:\n  - customer: Hi\n---\n"
              f"scenario: Tagged again {number}\ntags: [{tags}]\nsteps:\n  - customer: Hi\n",
              f"tagged{number}.scenario.yaml")
    pytester.makeconftest(COUNT_MARKER_READS)
    result = run("--collect-only", "-q", "-s", "-m", "tag299 and not tag300")
    result.stdout.fnmatch_lines(["*6 tests collected*"])
    # Each tag once; the marker list is read once per new tag (to register it) and once per
    # scenario that brought new tags (to make its marks), not once per tag and scenario.
    result.stdout.fnmatch_lines(["marker-reads=* tag-lines=300 distinct=300"])
    reads = int(result.stdout.str().split("marker-reads=")[1].split()[0])
    assert reads <= 300 + 6
