"""--osvi-concurrency end to end: the same reports as a sequential run, but overlapping.

Every check compares outcomes, texts and the order of recorded time stamps;
none measures how long anything took.
"""

from __future__ import annotations

from itertools import pairwise

import pytest

from tests.scale.conftest import (
    RunPytest,
    WriteSuite,
    allure_summary,
    allure_tests,
    junit_cases,
    normalized,
    step_interval,
    terminal_lines,
)

# Every reply takes 150 ms on the mock, so scenarios that run together overlap.
SLOW = ('{latency: 150ms, default_reply: "How can I help?", replies: [{when: "(?i)refund", '
        'reply: "Your order number?", state: collect_order}]}')

SUITE = {
    "a_greets.scenario.yaml": f"""
        scenario: Greets
        tags: [smoke]
        mock: {SLOW}
        steps:
          - customer: "Hi"
            expect: {{reply: "How can I help?"}}
          - customer: "Refund please"
            expect: {{state: collect_order}}
        """,
    "b_regression.scenario.yaml": f"""
        scenario: Refund state regressed
        tags: [refund]
        mock: {SLOW}
        steps:
          - customer: "I want a refund"
            expect: {{state: refund_started}}
          - customer: "never sent"
        finally:
          - close: null
        """,
    "c_broken.scenario.yaml": """
        scenario: Engine error
        mock:
          latency: 150ms
          faults: [{on: inbound, status: 502}]
        steps:
          - customer: "Hi"
        """,
    "d_later.scenario.yaml": """
        scenario: Not yet
        skip: waiting for the new agent
        steps: [{customer: "Hi"}]
        """,
    "e_known.scenario.yaml": f"""
        scenario: Known bug
        xfail: the agent forgets the order
        mock: {SLOW}
        steps:
          - customer: "Hi"
            expect: {{reply: "Welcome back"}}
        """,
    "f_rows.scenario.yaml": f"""
        scenario: Greeting
        tags: [i18n]
        examples:
          - {{id: english, greeting: "Hi"}}
          - {{id: german, greeting: "Hallo"}}
        mock: {SLOW}
        steps:
          - customer: "{{{{ greeting }}}}"
            expect: {{reply: "How can I help?"}}
          - whisper: "be nice"
        """,
}


def _run_suite(run: RunPytest, pytester: pytest.Pytester, name: str,
               *options: str) -> tuple[pytest.RunResult, str]:
    folder = pytester.path / name
    result = run("-v", "-rA", f"--junitxml={folder}/junit.xml",
                 f"--alluredir={folder}/allure", *options)
    return result, str(folder)


def test_reports_are_those_of_a_sequential_run_while_scenarios_overlap(
        run: RunPytest, pytester: pytest.Pytester, suite: WriteSuite) -> None:
    suite(SUITE)
    sequential, seq_dir = _run_suite(run, pytester, "sequential")
    concurrent, con_dir = _run_suite(run, pytester, "concurrent", "--osvi-concurrency", "8")

    sequential.assert_outcomes(passed=3, failed=2, errors=0, skipped=1, xfailed=1)
    assert concurrent.ret == sequential.ret == pytest.ExitCode.TESTS_FAILED
    # Terminal: every line, in order (item lines, failure reports, captured
    # conversations, the short summary and the osvi summary), apart from
    # the pytest report header, which names the options, and the report folders.
    seq_lines = [line.replace(seq_dir, "<dir>") for line in terminal_lines(sequential)]
    con_lines = [line.replace(con_dir, "<dir>") for line in terminal_lines(concurrent)]
    assert "osvi: target embedded mock (in process, no network)" in seq_lines
    header = next(i for i, line in enumerate(con_lines) if line.startswith("osvi: "))
    assert con_lines[header + 1] == "osvi: 8 scenarios at once"
    del con_lines[header + 1]
    assert con_lines == seq_lines

    seq_cases, con_cases = (junit_cases(pytester.path / d / "junit.xml")
                            for d in ("sequential", "concurrent"))
    assert [c["name"] for c in con_cases] == [
        "Greets", "Refund state regressed", "Engine error", "Not yet", "Known bug",
        "Greeting[english]", "Greeting[german]"]
    assert con_cases == seq_cases

    seq_allure = allure_summary(pytester.path / "sequential" / "allure")
    con_allure = allure_summary(pytester.path / "concurrent" / "allure")
    assert len(con_allure) == 7
    assert {name: status for name, status, _ in con_allure} == {
        "Greets": "passed", "Refund state regressed": "failed", "Engine error": "broken",
        "Not yet": "skipped", "Known bug": "skipped", "Greeting[english]": "passed",
        "Greeting[german]": "passed"}
    assert con_allure == seq_allure

    # When they ran: one after the other without the option, together with it.
    def intervals(folder: str) -> list[tuple[int, int]]:
        return sorted(step_interval(t) for t in allure_tests(pytester.path / folder / "allure")
                      if t.get("steps") and t["status"] != "skipped")

    seq_runs, con_runs = intervals("sequential"), intervals("concurrent")
    assert all(end <= next_start for (_, end), (next_start, _) in pairwise(seq_runs))
    latest_start = max(start for start, _ in con_runs)
    earliest_end = min(end for _, end in con_runs)
    assert latest_start < earliest_end  # every scenario started before any had ended
    # Allure's own test times are the scenario's, not the time pytest waited for it.
    for test in allure_tests(pytester.path / "concurrent" / "allure"):
        if test.get("steps") and test["status"] != "skipped":
            start, stop = step_interval(test)
            assert test["start"] <= start and stop <= test["stop"], test["name"]


def test_a_scenario_time_limit_counts_from_its_own_start(
        run: RunPytest, suite: WriteSuite) -> None:
    # Eight scenarios of about 0.3 s, two at a time: the last start about 1.2 s
    # after the run began, well past their 1 s limit if it counted from then.
    suite({f"s{n}.scenario.yaml": f"""
        scenario: Paced {n}
        timeout: 1s
        mock: {{latency: 150ms}}
        steps:
          - customer: "Hi"
          - customer: "Again"
        """ for n in range(8)})
    run("--osvi-concurrency", "2").assert_outcomes(passed=8)


SPY = """
    from pathlib import Path

    from runner.plugin.hooks import ScenarioItem

    _original = ScenarioItem.execute
    _started = []


    async def _spied(self):
        _started.append(self.name)
        if self.name == "Explodes":
            raise RuntimeError("boom: the runner itself failed")
        return await _original(self)


    def pytest_configure(config):
        ScenarioItem.execute = _spied


    def pytest_unconfigure(config):
        ScenarioItem.execute = _original
        Path("started.txt").write_text("\\n".join(_started), encoding="utf-8")
"""


def test_exit_first_stops_starting_scenarios_and_cancels_the_running_ones(
        run: RunPytest, pytester: pytest.Pytester, suite: WriteSuite) -> None:
    files = {"conftest.py": SPY, "s00.scenario.yaml": """
        scenario: Fails at once
        steps:
          - customer: "Hi"
            expect: {reply: "something else"}
        """}
    for n in range(1, 10):
        files[f"s{n:02}.scenario.yaml"] = f"""
            scenario: Slow {n}
            mock: {{latency: 2s}}
            steps:
              - customer: "Hi"
              - customer: "Again"
            """
    suite(files)
    result = run("-x", "--osvi-concurrency", "2")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*stopping after 1 failures*"])
    started = (pytester.path / "started.txt").read_text("utf-8").splitlines()
    # The first two start together; when the failure comes in at most one more has
    # taken the free slot. Nothing is started after pytest reported the failure.
    assert started[:2] == ["Fails at once", "Slow 1"]
    assert len(started) <= 3


def test_an_error_in_the_runner_itself_is_reported_as_without_concurrency(
        run: RunPytest, pytester: pytest.Pytester, suite: WriteSuite) -> None:
    suite({"conftest.py": SPY, "chat.scenario.yaml": """
        scenario: Explodes
        steps: [{customer: "Hi"}]
        ---
        scenario: Fine
        steps: [{customer: "Hi"}]
        """})
    outputs = []
    for options in ((), ("--osvi-concurrency", "4")):
        result = run(*options)
        result.assert_outcomes(passed=1, failed=1)
        result.stdout.fnmatch_lines([
            "  RuntimeError: boom: the runner itself failed",
            "FAILED chat.scenario.yaml::Explodes - internal error: RuntimeError: boom*",
        ])
        outputs.append([normalized(line) for line in result.outlines
                        if line.startswith(("  RuntimeError", "FAILED", "PASSED"))])
    assert outputs[0] == outputs[1]


def test_items_of_other_kinds_run_in_between_as_usual(
        run: RunPytest, suite: WriteSuite) -> None:
    suite({
        "a.scenario.yaml": 'scenario: First\nsteps: [{customer: "Hi"}]\n',
        "test_m.py": "def test_plain():\n    assert 1 + 1 == 2\n",
        "z.scenario.yaml": 'scenario: Last\nsteps: [{customer: "Hi"}]\n',
    })
    result = run("-v", "--osvi-concurrency", "4")
    result.assert_outcomes(passed=3)
    result.stdout.fnmatch_lines([
        "a.scenario.yaml::First PASSED*",
        "test_m.py::test_plain PASSED*",
        "z.scenario.yaml::Last PASSED*",
    ])


@pytest.mark.parametrize(("option", "message"), [
    (("--osvi-concurrency", "0"), "--osvi-concurrency: '0' is not a number from 1 to 1000;*"),
    (("--osvi-concurrency", "many"), "--osvi-concurrency: 'many' is not a number*"),
    (("--osvi-rate", "fast"), "--osvi-rate: 'fast' is not a rate; write requests per second*"),
    (("--osvi-burst", "5"), "--osvi-burst needs --osvi-rate*"),
    (("--osvi-rate", "5", "--osvi-burst", "0"), "--osvi-burst: '0' is not a number of*"),
])
def test_a_wrong_value_is_a_usage_error_without_a_traceback(
        run: RunPytest, option: tuple[str, ...], message: str) -> None:
    result = run(*option)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines([f"ERROR: {message}"])
    assert "Traceback" not in result.stderr.str() + result.stdout.str()


def test_the_header_says_how_the_run_is_paced(run: RunPytest, pytester: pytest.Pytester,
                                              suite: WriteSuite) -> None:
    suite({"a.scenario.yaml": 'scenario: One\nsteps: [{customer: "Hi"}]\n'})
    pytester.makeini("[pytest]\nosvi_concurrency = 16\nosvi_rate = 120/min\n")
    result = run()
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines([
        "osvi: target embedded mock*",
        "osvi: 16 scenarios at once, at most 2 requests/s (bursts of up to 2)",
    ])
