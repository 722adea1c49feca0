"""Allure names a repeated scenario's runs out of the runs planned, and says why fewer ran."""

from __future__ import annotations

import json

import pytest

from tests.toolkit.conftest import RunPytest, WriteFile
from tests.toolkit.test_repeat_statistics import SCENARIO


def test_runs_are_counted_out_of_the_plan_and_the_early_stop_is_named(
        write: WriteFile, run: RunPytest, pytester: pytest.Pytester) -> None:
    write(SCENARIO.format(repeat="{runs: 10, min_pass_rate: 0.5}", every=50))
    run("--alluredir=allure").assert_outcomes(passed=1)
    [test] = [json.loads(p.read_text()) for p in (pytester.path / "allure").glob("*-result.json")]
    names = [step["name"] for step in test["steps"]]
    assert names == [f"run {n} of 10: passed" for n in range(1, 6)] + [
        "step pass rates over 5 runs (ran 5 of 10: stopped early, 5 passed, the 5 needed)"]
