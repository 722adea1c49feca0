"""The pytest11 entry point is tiny: the library loads only for runs that need it.

These run pytest in a subprocess on purpose: an in-process run shares this
process's ``sys.modules``, where the library is long imported.
"""

from __future__ import annotations

import json
import subprocess
import sys
from importlib.metadata import entry_points

import pytest

HEAVY = ("httpx", "jsonschema", "runner.execution", "allure", "runner.plugin.hooks")
TOKEN = "lazy-token-5c1d9e77ab"

# Records which of the heavy modules the run imported, as pytest ends.
RECORDER = f"""
import json
import sys


def pytest_unconfigure(config):
    heavy = [name for name in {HEAVY!r} if name in sys.modules]
    with open("imported.json", "w") as out:
        json.dump(heavy, out)
"""
PLAIN_TEST = """
import os


def test_arithmetic():
    assert 1 + 1 == 2


def test_shows_the_token():
    assert os.environ.get("OSVI_API_TOKEN", "") == "something else"
"""


def test_the_entry_point_is_the_small_module() -> None:
    [osvi] = [found for found in entry_points(group="pytest11") if found.name == "osvi"]
    assert osvi.value == "runner.plugin.entry"


def test_importing_the_entry_point_loads_no_library_code() -> None:
    code = f"import json, sys, runner.plugin.entry; print(json.dumps([m for m in {HEAVY!r} " \
           "if m in sys.modules]))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=60, check=True)
    assert json.loads(done.stdout) == []


def _imported(pytester: pytest.Pytester, *args: str) -> tuple[pytest.RunResult, list[str]]:
    # allure-pytest imports `allure` itself: without it, whatever loads allure is ours.
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-p", "no:allure_pytest",
                                           *args)
    imported: list[str] = json.loads((pytester.path / "imported.json").read_text("utf-8"))
    return result, imported


@pytest.mark.spawns
def test_a_run_without_scenarios_or_osvi_options_loads_no_library_code(
        pytester: pytest.Pytester) -> None:
    pytester.makeconftest(RECORDER)
    pytester.makepyfile(test_plain=PLAIN_TEST)
    result, imported = _imported(pytester)
    result.assert_outcomes(passed=1, failed=1)
    assert imported == []
    result.stdout.fnmatch_lines(["osvi: target embedded mock (in process, no network)"])


@pytest.mark.spawns
def test_the_token_is_masked_in_a_plain_run_without_loading_the_library(
        pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OSVI_API_TOKEN", TOKEN)
    pytester.makeconftest(RECORDER)
    pytester.makepyfile(test_plain=PLAIN_TEST)
    result, imported = _imported(pytester, "-l", "--junitxml=junit.xml")
    result.assert_outcomes(passed=1, failed=1)
    assert imported == []
    output = result.stdout.str() + result.stderr.str()
    assert "«redacted»" in output
    assert TOKEN not in output
    assert TOKEN not in (pytester.path / "junit.xml").read_text("utf-8")


@pytest.mark.spawns
@pytest.mark.parametrize(("how", "args"), [
    ("a scenario file", ()),
    ("a flag", ("--osvi-concurrency", "2")),
    ("an ini key", ()),
    ("the environment", ()),
])
def test_the_library_loads_for_a_scenario_file_or_an_osvi_setting(
        pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, how: str,
        args: tuple[str, ...]) -> None:
    pytester.makeconftest(RECORDER)
    pytester.makepyfile(test_plain="def test_one():\n    pass\n")
    if how == "a scenario file":
        (pytester.path / "hi.scenario.yaml").write_text(
            "scenario: Hi\nsteps:\n  - customer: Hi\n", encoding="utf-8")
    elif how == "an ini key":
        pytester.makeini("[pytest]\nosvi_timeout = 5s\n")
    elif how == "the environment":
        monkeypatch.setenv("OSVI_AGENT_UUID", "agent_FromEnv")
    result, imported = _imported(pytester, *args)
    assert "runner.plugin.hooks" in imported and "httpx" in imported
    result.assert_outcomes(passed=2 if how == "a scenario file" else 1)
    result.stdout.fnmatch_lines(["osvi: target embedded mock (in process, no network)"])
    if how == "a scenario file":  # loaded while collecting: the reports are all there
        result.stdout.fnmatch_lines(["*osvi summary*"])
    if how == "a flag":  # loaded at start: the header shows what the options say
        result.stdout.fnmatch_lines(["osvi: 2 scenarios at once"])


def test_a_bad_osvi_value_stops_a_run_without_scenarios(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_plain="def test_one():\n    pass\n")
    result = pytester.runpytest("--osvi-timeout", "soon")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["ERROR: --osvi-timeout: 'soon' is not a duration*"])


def test_scenarios_under_a_folder_found_late_still_get_the_whole_plugin(
        pytester: pytest.Pytester) -> None:
    """The library loads mid-collection, after plain tests; reports and redaction still work."""
    pytester.makepyfile(test_a_plain="def test_one():\n    pass\n")
    folder = pytester.path / "z_scenarios"
    folder.mkdir()
    (folder / "fails.scenario.yaml").write_text(
        "scenario: Fails\nsteps:\n  - customer: Hi\n    expect: {reply: Bye}\n",
        encoding="utf-8")
    result = pytester.runpytest("-p", "no:cacheprovider", "--junitxml=junit.xml",
                                "--alluredir=allure")
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(["Scenario 'Fails' (*fails.scenario.yaml:1)",
                                 "*osvi summary*"])
    assert 'name="target" value="embedded mock' in (pytester.path / "junit.xml").read_text()
    assert list((pytester.path / "allure").glob("*-result.json"))
