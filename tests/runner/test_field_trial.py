"""What the first field trial ran into: runner bugs and the README's recipes as written."""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import RunPytest, WriteFile
from tests.mock.serverproc import ServedMock, start_mock
from tests.reliability.faultserver import SESSION, fault_server

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "field-token-7a6b5c4d"


def _live(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, url: str, *args: str,
          token: str = TOKEN) -> pytest.RunResult:
    monkeypatch.setenv("OSVI_API_TOKEN", token)
    return pytester.runpytest("--osvi-base-url", url, "--osvi-agent", "agent_Field",
                              "-p", "no:cacheprovider", *args)


def _joined(result: pytest.RunResult) -> pytest.LineMatcher:
    """The output with the transcript's wrapped lines joined again."""
    text = re.sub(r"\n {32}(?=\S)", " ", result.stdout.str())
    return pytest.LineMatcher(text.splitlines())


# -- a session stays open after a contract break ---------------------------------------------


def test_a_session_whose_answer_breaks_the_contract_is_still_closed(
        pytester: pytest.Pytester, write: WriteFile, monkeypatch: pytest.MonkeyPatch) -> None:
    # The fault server answers "drift" with a valid session_id and a number as the reply.
    write("scenario: Drift\nsteps:\n  - customer: drift\n")
    with fault_server() as server:
        result = _live(pytester, monkeypatch, server.url, "--osvi-timeout", "5s")
        closes = server.seen["support:close"]
    result.assert_outcomes(failed=1)
    _joined(result).fnmatch_lines([
        '*Cause: step 1 (customer: "drift"): the answer breaks the API contract at data.reply*',
    ])
    assert closes == 1, "the session the broken answer named was never closed"
    _joined(result).fnmatch_lines([f"*runner      closed session {SESSION} (cleanup)"])
    result.stdout.fnmatch_lines([f"*session: {SESSION}*"])


# -- a passing error expectation shows its status ------------------------------------------------

ERRORS = """
scenario: Refused calls
mock:
  agent: {status: active, disabled_commands: [tell, whisper]}
steps:
  - customer: "Hi"
  - tell: "Be nice"
    expect: {error: {status: 403, code: command_disabled}}
  - whisper: "Be kind"
    expect: {error: {status: 403}}
  - inject_context: "Called about order 7"
    session_id: "00000000-0000-4000-8000-000000000000"
    expect: {error: {status: 404, code: session_not_found}}
---
scenario: Archived agent
mock:
  agent: {status: archived}
steps:
  - customer: "Hello?"
    expect: {error: {status: 422, code: agent_archived}}
"""


def test_a_passing_error_expectation_shows_the_status_for_every_action(
        pytester: pytest.Pytester, write: WriteFile, run: RunPytest) -> None:
    write(ERRORS)
    junit = pytester.path / "junit.xml"
    results = pytester.path / "results"
    result = run("-rP", f"--junitxml={junit}", "--alluredir", str(results))
    result.assert_outcomes(passed=2)
    # The terminal conversation (-rP): the status under each refused message.
    result.stdout.fnmatch_lines([
        "*step 2  tell        Be nice", "*(→ HTTP 403 · *)",
        "*step 3  whisper     Be kind", "*(→ HTTP 403 · *)",
        "*step 4  context     Called about order 7", "*(→ HTTP 404 · *)",
    ])
    result.stdout.fnmatch_lines(["*step 1  customer    Hello?", "*(→ HTTP 422 · *)"])
    # The text transcript (JUnit system-out) says the same.
    xml = junit.read_text("utf-8")
    assert xml.count("(→ HTTP 403 · ") == 2 and "(→ HTTP 404 · " in xml
    assert "(→ HTTP 422 · " in xml
    # The chat page: the status in each message's meta line.
    pages = [json.loads(path.read_text("utf-8")) for path in results.glob("*-result.json")]
    html = "".join((results / attachment["source"]).read_text("utf-8")
                   for page in pages for attachment in page["attachments"]
                   if attachment["name"] == "chat transcript")
    for status in ("403", "404", "422"):
        assert re.search(rf'class="meta">[^<]*→ HTTP {status} · ', html), status
    assert len(re.findall(r'class="meta">[^<]*→ HTTP 403 · ', html)) == 2


# -- a wrong token stops the run ------------------------------------------------------------------


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServedMock]:
    agents = tmp_path_factory.mktemp("agents") / "agents.yaml"
    agents.write_text("agent_Field:\n  default_reply: How can I help?\n", encoding="utf-8")
    mock = start_mock(tmp_path_factory.mktemp("served"), "--agents", str(agents),
                      env={"OSVI_MOCK_TOKEN": TOKEN})
    yield mock
    mock.stop()


THREE = """
scenario: A wrong token is refused
steps:
  - customer: Hi
    expect: {error: {status: 401}}
---
scenario: First
steps:
  - customer: Hi
---
scenario: Third
steps:
  - customer: Hi
"""


def test_a_refused_token_stops_the_run_with_one_message(
        pytester: pytest.Pytester, write: WriteFile, served: ServedMock,
        monkeypatch: pytest.MonkeyPatch) -> None:
    write(THREE)
    wrong = "wrong-token-0f1e2d3c"
    result = _live(pytester, monkeypatch, served.url, token=wrong)
    # A scenario that expects the 401 passes and the run goes on; the first unexpected one
    # stops it, before the next scenario sends anything.
    result.assert_outcomes(passed=1, failed=1)
    output = result.stdout.str() + result.stderr.str()
    assert "Third" not in output, "one failure, not one per scenario"
    result.stdout.fnmatch_lines([
        f"*Interrupted: the live API {served.url} refused the token (HTTP 401 at step 1 of "
        "'First'): check OSVI_API_TOKEN*"])
    assert wrong not in output


# -- bare numbers are seconds --------------------------------------------------------------------


@pytest.mark.parametrize("option", ["--osvi-timeout", "--osvi-max-wait",
                                    "--osvi-scenario-timeout"])
def test_a_bare_number_is_seconds_on_the_command_line(
        pytester: pytest.Pytester, write: WriteFile, run: RunPytest, option: str) -> None:
    write("scenario: S\nsteps:\n  - customer: Hi\n")
    result = run(option, "3")
    result.assert_outcomes(passed=1)
    result = run(option, "1.5")
    result.assert_outcomes(passed=1)
    result = run(option, "2m")  # units stay accepted
    result.assert_outcomes(passed=1)


def test_a_bare_number_is_seconds_in_the_ini_file(
        pytester: pytest.Pytester, write: WriteFile, run: RunPytest) -> None:
    write("scenario: S\nmock: {latency: 2s}\nsteps:\n  - customer: Hi\n")
    pytester.makeini("[pytest]\nosvi_timeout = 10\nosvi_max_wait = 5\n"
                     "osvi_scenario_timeout = 1\n")
    result = run()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*the scenario time limit of 1.0s ran out*"])


# -- invariants as a list of names ----------------------------------------------------------------

LEAKY = """
scenario: Leaky agent
mock:
  replies:
    - when: {whisper: {matches: "."}}
      reply: "Sure! (Note: {{ whisper }})"
steps:
  - customer: "Hi"
  - whisper: "Do not offer more than 5 percent, margins are thin."
  - customer: "So?"
invariants: [whisper_never_leaks, silent_during_takeover]
"""


def test_invariants_as_a_list_of_names(pytester: pytest.Pytester, write: WriteFile,
                                       run: RunPytest) -> None:
    write(LEAKY)
    result = run()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*invariant.whisper_never_leaks  expected: no reply repeats "
                                 "the private guidance of step 2*"])


def test_the_list_form_of_invariants_is_checked_like_the_mapping(
        pytester: pytest.Pytester, write: WriteFile, run: RunPytest) -> None:
    write("scenario: S\nsteps:\n  - customer: Hi\ninvariants: [whisper_never_leak]\n")
    result = run()
    assert result.ret == pytest.ExitCode.INTERRUPTED
    result.stdout.fnmatch_lines([
        "*chat.scenario.yaml:4: item 1 of `invariants` cannot be 'whisper_never_leak' (did you "
        "mean 'whisper_never_leaks'?); use one of: silent_during_takeover, whisper_never_leaks, "
        "context_never_leaks*"])
    write("scenario: S\nsteps:\n  - customer: Hi\ninvariants: [reply_never]\n")
    result = run()
    assert result.ret == pytest.ExitCode.INTERRUPTED
    result.stdout.fnmatch_lines([
        "*chat.scenario.yaml:4: `reply_never` needs a value, so it cannot be in the list of "
        "`invariants`; write `invariants` as a mapping, e.g. invariants: {reply_never: *"])


# -- render_html keeps the history beside the output ----------------------------------------------


@pytest.mark.skipif(not (ROOT / "node_modules" / "allure" / "cli.js").is_file()
                    or shutil.which("node") is None, reason="needs Node and `npm ci` (Allure 3)")
def test_render_html_keeps_the_history_beside_the_output(
        pytester: pytest.Pytester, write: WriteFile, run: RunPytest, tmp_path: Path) -> None:
    import subprocess
    import sys

    write("scenario: S\nsteps:\n  - customer: Hi\n")
    results = tmp_path / "results"
    run("--alluredir", str(results)).assert_outcomes(passed=1)
    history = ROOT / "reports" / "history.jsonl"
    before = history.read_bytes() if history.exists() else None
    output = tmp_path / "out" / "report"
    command = [sys.executable, "-m", "runner.report.render_html", "--results", str(results),
               "--output", str(output)]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert (output / "index.html").is_file()
    assert (tmp_path / "out" / "history.jsonl").is_file()
    assert (history.read_bytes() if history.exists() else None) == before
    elsewhere = tmp_path / "keep" / "trend.jsonl"
    done = subprocess.run([*command, "--history", str(elsewhere)], cwd=ROOT,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert elsewhere.is_file()
    assert (history.read_bytes() if history.exists() else None) == before


# -- README recipes as written --------------------------------------------------------------------


def _copy_examples(pytester: pytest.Pytester) -> None:
    shutil.copytree(ROOT / "scenarios", pytester.path / "scenarios")
    shutil.copy(ROOT / "pyproject.toml", pytester.path / "pyproject.toml")


def test_the_readme_marker_recipe_runs_with_strict_markers(pytester: pytest.Pytester,
                                                           run: RunPytest) -> None:
    _copy_examples(pytester)
    result = run("scenarios", "-m", "escalation and not slow", "--strict-markers")
    assert result.ret == pytest.ExitCode.OK, result.stderr.str()
    outcomes = result.parseoutcomes()
    assert outcomes.get("passed", 0) >= 2 and outcomes.get("deselected", 0) > 0
    # Every tag of the examples is registered, whichever a reader selects first.
    for tag in ("refund", "takeover", "errors", "regression", "slow"):
        assert run("scenarios", "-m", tag, "--strict-markers", "--co", "-q").ret in (
            pytest.ExitCode.OK, pytest.ExitCode.NO_TESTS_COLLECTED), tag


def test_the_readme_says_to_activate_the_virtualenv_before_its_recipes() -> None:
    readme = (ROOT / "README.md").read_text("utf-8")
    assert ". .venv/bin/activate" in readme
    activate = readme.index(". .venv/bin/activate")
    recipes = [match.start() for match in re.finditer(
        r"(?m)(^|`)(OSVI_\w+=\S+ )?(pytest|osvi-scenarios|osvi-mock|python -m) ", readme)]
    assert recipes and min(recipes) > activate, "a recipe comes before the virtualenv is named"
