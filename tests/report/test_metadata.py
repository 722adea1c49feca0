"""Run metadata: environment.properties, executor.json and the failure categories."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from runner.core.redact import Redactor
from runner.execution.outcomes import ScenarioBroken, ScenarioFailed
from runner.execution.transcript import Mismatch, ScenarioResult
from runner.report import metadata
from runner.report.render import failure_report
from tests.report.factories import TOKEN, broken_result, rich_result


def parse_properties(text: str) -> dict[str, str]:
    """A small reader of the Java properties subset we write (escaped keys, \\uXXXX)."""
    values = {}
    for line in text.splitlines():
        key: list[str] = []
        value: list[str] = []
        escaped = False
        target = key
        chars = iter(line)
        for char in chars:
            if escaped:
                if char == "u":
                    target.append(chr(int("".join(next(chars) for _ in range(4)), 16)))
                else:
                    target.append({"n": "\n", "t": "\t", "r": "\r"}.get(char, char))
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == "=" and target is key:
                target = value
            else:
                target.append(char)
        values[_join(key)] = _join(value)
    return values


def _join(chars: list[str]) -> str:
    # \uXXXX escapes of characters beyond the BMP arrive as surrogate pairs.
    return "".join(chars).encode("utf-16", "surrogatepass").decode("utf-16")


def test_environment_names_the_target_without_credentials(tmp_path: Path) -> None:
    written = metadata.write_metadata(
        tmp_path, base_url=f"https://user:{TOKEN}@api.example.com/?key={TOKEN}",
        agent="agent_Active1", env={}, redactor=Redactor([TOKEN]))
    text = (tmp_path / "environment.properties").read_text("ascii")
    assert TOKEN not in text and "user" not in text
    values = parse_properties(text)
    assert values["Target"] == "live API"
    assert values["Base URL"] == "https://api.example.com/"
    assert values["Agent"] == "agent_Active1"
    assert values["Runner"].startswith("osvi-scenarios ")
    assert re.fullmatch(r"3\.\d+\.\d+", values["Python"])
    assert values["pytest"][0].isdigit()
    assert [p.name for p in written] == ["environment.properties", "categories.json"]


def test_environment_for_the_embedded_mock(tmp_path: Path) -> None:
    metadata.write_metadata(tmp_path, base_url=None, agent=None, env={}, redactor=Redactor())
    values = parse_properties((tmp_path / "environment.properties").read_text("ascii"))
    assert values["Target"] == "embedded mock"
    assert values["Agent"] == "(set per scenario)"


def test_properties_escape_separators_and_non_ascii() -> None:
    text = metadata.format_properties({"a key:=x": "line\nnext ünïcode 😀 = ok"})
    assert text.isascii()
    assert parse_properties(text) == {"a key:=x": "line\nnext ünïcode 😀 = ok"}


NODE_PARSER = (Path(__file__).resolve().parents[2] / "node_modules" / "@allurereport" / "reader"
               / "dist" / "properties.js")


@pytest.mark.skipif(not NODE_PARSER.is_file() or shutil.which("node") is None,
                    reason="needs Node and `npm ci` (Allure 3's own properties parser)")
def test_allure3_reads_the_properties_back(tmp_path: Path) -> None:
    values = {"Base URL": "https://api.example.com/", "a key:=x": "ünï 😀 = ok\nline"}
    script = tmp_path / "read.mjs"
    script.write_text(
        f"import {{ parseProperties }} from {json.dumps(NODE_PARSER.as_uri())};\n"
        "import { readFileSync } from 'node:fs';\n"
        "process.stdout.write(JSON.stringify(parseProperties("
        "readFileSync(process.argv[2], 'utf-8'))));\n")
    data = tmp_path / "environment.properties"
    data.write_text(metadata.format_properties(values), encoding="ascii")
    done = subprocess.run(["node", str(script), str(data)], capture_output=True, text=True,
                          timeout=60, check=True)
    assert json.loads(done.stdout) == values


def test_github_actions_executor(tmp_path: Path) -> None:
    env = {"GITHUB_ACTIONS": "true", "GITHUB_SERVER_URL": "https://github.com",
           "GITHUB_REPOSITORY": "acme/osvi-qa", "GITHUB_RUN_ID": "987", "GITHUB_RUN_NUMBER": "42",
           "GITHUB_WORKFLOW": "nightly", "GITHUB_RUN_ATTEMPT": "2"}
    written = metadata.write_metadata(tmp_path, base_url=None, agent=None, env=env,
                                      redactor=Redactor())
    assert tmp_path / "executor.json" in written
    info = json.loads((tmp_path / "executor.json").read_text())
    assert info == {
        "name": "GitHub Actions", "type": "github", "url": "https://github.com/acme/osvi-qa",
        "buildOrder": 42, "buildName": "nightly #42",
        "buildUrl": "https://github.com/acme/osvi-qa/actions/runs/987/attempts/2",
        "reportName": "OSVI chat scenarios"}


def test_gitlab_executor_strips_credentials_from_urls() -> None:
    env = {"GITLAB_CI": "true", "CI_PIPELINE_IID": "7", "CI_PIPELINE_ID": "1234",
           "CI_JOB_NAME": "scenarios", "CI_PROJECT_PATH": "acme/qa",
           "CI_PROJECT_URL": "https://gitlab.example.com/acme/qa",
           "CI_JOB_URL": f"https://ci:{TOKEN}@gitlab.example.com/acme/qa/-/jobs/55"}
    info = metadata.executor(env, Redactor([TOKEN]))
    assert info is not None
    assert info["type"] == "gitlab" and info["buildOrder"] == 7
    assert info["buildName"] == "acme/qa pipeline #7 · scenarios"
    assert info["buildUrl"] == "https://gitlab.example.com/acme/qa/-/jobs/55"
    assert TOKEN not in json.dumps(info)


def test_no_executor_outside_ci() -> None:
    assert metadata.executor({"CI": "true"}, Redactor()) is None


# -- categories: the rules must match what our failure reports actually say --------------


def _allure_message(error: BaseException) -> str:
    """What allure-pytest stores as statusDetails.message (pytest's exconly)."""
    return f"{type(error).__module__}.{type(error).__qualname__}: {error}"


def _category(status: str, message: str, trace: str) -> str | None:
    """Allure 3's rule: the first category with a matching matcher (regexes searched)."""
    for rule in metadata.categories():
        for matcher in rule["matchers"]:
            if status not in matcher.get("statuses", [status]):
                continue
            if "message" in matcher and not re.search(matcher["message"], message):
                continue
            if "trace" in matcher and not re.search(matcher["trace"], trace):
                continue
            return str(rule["name"])
    return None


def _allure2_category(status: str, message: str, trace: str) -> str | None:
    """Allure 2's rule: whole-text matches, one entry per matcher."""
    for entry in metadata.allure2_categories(metadata.categories()):
        if status not in entry.get("matchedStatuses", [status]):
            continue
        if "messageRegex" in entry and not re.fullmatch(entry["messageRegex"], message):
            continue
        if "traceRegex" in entry and not re.fullmatch(entry["traceRegex"], trace):
            continue
        return str(entry["name"])
    return None


def _failed(*mismatches: Mismatch) -> tuple[str, str, str]:
    result = rich_result()
    result.failed_step.mismatches[:] = list(mismatches)  # type: ignore[union-attr]
    return "failed", _allure_message(ScenarioFailed(result)), failure_report(result)


def _broken(cause: str) -> tuple[str, str, str]:
    result: ScenarioResult = broken_result()
    result.cause = cause
    return "broken", _allure_message(ScenarioBroken(result)), failure_report(result)


@pytest.mark.parametrize(("case", "category"), [
    (_failed(Mismatch("reply", 'contains "x"', '"y"')), "Agent regressions"),
    (_failed(Mismatch("within", "3s", "5s"), Mismatch("help_requested", "true", "false")),
     "Agent regressions"),
    (_failed(Mismatch("state", "ok", '"busy"')), "Agent regressions"),
    (_failed(Mismatch("context", "3 entries", "[]")), "Agent regressions"),
    (_failed(Mismatch("within", "an answer within 3s", "answered in 5.2s")),
     "Slow answers (latency budget)"),
    (_failed(Mismatch("error.status", "422", "200")), "API and contract errors"),
    (_failed(Mismatch("save.sid", "a `session_id` field to save", "(not in the answer)")),
     "API and contract errors"),
    (_broken('step 1 (customer: "Hi"): unexpected answer HTTP 500 · error \'boom\' from POST '
             "/v1/chat/inbound"), "API and contract errors"),
    (_broken('step 1 (customer: "Hi"): could not connect to https://api.example.com '
             "(connection refused)"), "API and contract errors"),
    (_broken('step 1 (customer: "Hi"): no answer from https://x within 30s (ReadTimeout)'),
     "API and contract errors"),
    (_broken("step 1 (customer: \"Hi\"): HTTP 200 answer has no `data` object: '{}'"),
     "API and contract errors"),
    (_broken('step 1 (customer: "Hi"): the answer breaks the API contract at data.reply: 5 '
             "is not of type string or null (HTTP 200 from POST /v1/chat/inbound)"),
     "API and contract errors"),
    (_broken('step 1 (customer: "Hi"): the HTTP 200 answer is not valid JSON (Expecting value: '
             "character 0 of 3)"), "API and contract errors"),
    (_broken('step 1 (customer: "Hi"): the HTTP 200 answer is not JSON: \'<html>\''),
     "API and contract errors"),
    (_broken('the scenario time limit of 10s ran out during step 2 (customer: "Hi")'),
     "Scenario time limit"),
    (_broken("step 2 (customer: \"{{ x }}\"): undefined variable 'x'"), "Scenario file errors"),
    (_broken("step 1 (whisper: \"x\"): no session yet: run a `customer` step first"),
     "Scenario file errors"),
    (("broken", "Scenario file error: a.scenario.yaml:3: unknown key", ""),
     "Scenario file errors"),
    (("broken", "runner.execution.outcomes.ScenarioBroken: something new", ""), None),
])
def test_categories_match_our_own_failure_texts(case: tuple[str, str, str],
                                                category: str | None) -> None:
    assert _category(*case) == category
    assert _allure2_category(*case) == category


def test_categories_json_is_written_in_allure2_form(tmp_path: Path) -> None:
    metadata.write_metadata(tmp_path, base_url=None, agent=None, env={}, redactor=Redactor())
    entries = json.loads((tmp_path / "categories.json").read_text())
    names = [e["name"] for e in entries]
    assert names[0] == "Agent regressions"
    assert {"API and contract errors", "Scenario file errors"} <= set(names)
    assert all({"name", "matchedStatuses"} <= set(e) for e in entries)
