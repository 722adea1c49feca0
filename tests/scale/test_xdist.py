"""pytest-xdist: every scenario reported once in JUnit and Allure, with and without concurrency."""

from __future__ import annotations

import json
from collections import defaultdict
from itertools import combinations

import pytest

from tests.scale.conftest import WriteSuite, allure_tests, junit_cases, step_interval

pytest.importorskip("xdist")

SCENARIOS = {f"s{n:02}.scenario.yaml": f"""
    scenario: Chat {n}
    mock: {{latency: 100ms}}
    steps:
      - customer: "Hi"
        expect: {{reply: "{'Hello there' if n == 3 else 'How can I help?'}"}}
      - customer: "Thanks"
    """ for n in range(10)}
SCENARIOS["skipped.scenario.yaml"] = """
    scenario: Later
    skip: not yet
    steps: [{customer: "Hi"}]
    """
NAMES = sorted([f"Chat {n}" for n in range(10)] + ["Later"])
# Which worker ran each test (the Allure results no longer carry a `thread` label).
SCENARIOS["conftest.py"] = """
    import json

    # Set up where the test runs (logstart is replayed on the controller, whose
    # environment may be that of an outer xdist worker).
    def pytest_runtest_setup(item):
        worker = getattr(item.config, "workerinput", {}).get("workerid")
        if worker:
            with open("workers.jsonl", "a") as out:
                out.write(json.dumps({"name": item.name, "worker": worker}) + "\\n")
    """


@pytest.mark.spawns  # pytest-xdist starts worker processes
@pytest.mark.parametrize("concurrency", ["1", "4"])
def test_two_workers_report_every_scenario_once(
        pytester: pytest.Pytester, suite: WriteSuite,
        concurrency: str) -> None:
    suite(SCENARIOS)
    result = pytester.runpytest_subprocess(
        "-p", "no:cacheprovider", "-n", "2", "--osvi-concurrency", concurrency,
        "--junitxml=junit.xml", "--alluredir=allure")
    result.assert_outcomes(passed=9, failed=1, skipped=1)
    result.stdout.fnmatch_lines([
        "*osvi summary*",
        "tag * passed * failed * broken * skipped",
        "all scenarios * 9 * 1 * 0 * 1",
        "*with pytest-xdist the steps, scores and sessions*",
    ])

    cases = junit_cases(pytester.path / "junit.xml")
    assert sorted(case["name"] for case in cases) == NAMES
    failed = [case["name"] for case in cases if "failure" in case]
    assert failed == ["Chat 3"]
    assert all("system-out" in case for case in cases if case["name"] != "Later")

    tests = allure_tests(pytester.path / "allure")
    assert sorted(test["name"] for test in tests) == NAMES
    statuses = {test["name"]: test["status"] for test in tests}
    assert statuses.pop("Chat 3") == "failed" and statuses.pop("Later") == "skipped"
    assert set(statuses.values()) == {"passed"}
    assert all(len(test["steps"]) == 2 for test in tests if test["name"] != "Later")

    # Each worker is one process; within one, scenarios overlap only with concurrency.
    workers = {entry["name"]: entry["worker"] for entry in map(
        json.loads, (pytester.path / "workers.jsonl").read_text().splitlines())}
    by_worker: dict[str, list[tuple[int, int]]] = defaultdict(list)
    for test in tests:
        if test["status"] != "skipped":
            by_worker[workers[test["name"]]].append(step_interval(test))
    assert len(by_worker) == 2
    overlapping = [(a, b) for runs in by_worker.values() for a, b in combinations(runs, 2)
                   if a[0] < b[1] and b[0] < a[1]]
    assert bool(overlapping) == (concurrency != "1")
