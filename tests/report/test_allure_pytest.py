"""End to end: pytest runs scenario files with --alluredir; the Allure results are checked."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import WriteFile
from tests.report.conftest import RunPytest, allure_results, labels

REFUND = """
    scenario: Refund is escalated
    description: |
      The customer asks for a **refund**.
    tags: [refund, escalation]
    feature: Refunds
    story: Escalation
    severity: critical
    owner: qa@example.com
    links:
      - https://example.com/spec
      - {url: "https://jira.example.com/browse/QA-1", name: QA-1, type: issue}
    mock:
      replies:
        - when: "(?i)refund"
          reply: "What's your order number?"
          state: collect_order
      default_reply: "How can I help?"
    steps:
      - customer: "I want a refund"
        expect:
          reply: {contains: "order number"}
      - whisper: "Offer a voucher"
      - customer: "It's 1234"
        expect:
          reply: {contains: "eligible"}
          state: done
      - customer: "Never sent"
    finally:
      - close: null
"""

GREETINGS = """
    scenario: Greeting
    tags: [i18n]
    examples:
      - {id: english, greeting: "Hi"}
      - {id: german, greeting: "Hallo"}
    mock:
      default_reply: "{{ message }}!"
    steps:
      - customer: "{{ greeting }}"
        expect:
          reply: "{{ greeting }}!"
"""


def one(results: list[dict[str, Any]], name: str) -> dict[str, Any]:
    found = [r for r in results if r["name"] == name]
    assert len(found) == 1, [r["name"] for r in results]
    return found[0]


def attachment(folder: Path, owner: dict[str, Any], name: str) -> str:
    found = [a for a in owner.get("attachments", []) if a["name"] == name]
    assert found, f"no attachment {name!r} on {owner['name']!r}"
    return (folder / str(found[0]["source"])).read_text("utf-8")


def test_failed_scenario_title_labels_links_and_steps(run: RunPytest, write: WriteFile,
                                                      tmp_path: Path) -> None:
    write(REFUND, "suite/refund.scenario.yaml")
    results_dir = tmp_path / "allure"
    run("--alluredir", str(results_dir)).assert_outcomes(failed=1)
    result = one(allure_results(results_dir), "Refund is escalated")

    assert result["status"] == "failed"
    assert result["statusDetails"]["message"].startswith('step 3 failed: customer: "It\'s 1234"')
    assert "Mismatches:" in result["statusDetails"]["trace"]
    assert result["description"].startswith("The customer asks for a **refund**.")
    assert "suite/refund.scenario.yaml:1" in result["description"]
    assert sorted(labels(result, "tag")) == ["escalation", "refund"]
    assert labels(result, "feature") == ["Refunds"]
    assert labels(result, "story") == ["Escalation"]
    assert labels(result, "severity") == ["critical"]
    assert labels(result, "owner") == ["qa@example.com"]
    assert labels(result, "parentSuite") == ["suite"]
    assert labels(result, "suite") == ["refund"]
    links = {(link["type"], link["url"], link["name"]) for link in result["links"]}
    assert links == {("link", "https://example.com/spec", "https://example.com/spec"),
                     ("issue", "https://jira.example.com/browse/QA-1", "QA-1")}

    steps = result["steps"]
    assert [s["name"] for s in steps] == [
        'customer: "I want a refund"', 'whisper: "Offer a voucher"', 'customer: "It\'s 1234"',
        'customer: "Never sent"', "close"]
    assert [s["status"] for s in steps] == ["passed", "passed", "failed", "skipped", "passed"]
    for step in steps:
        assert result["start"] <= step["start"] <= step["stop"] <= result["stop"]
    assert steps[0]["stop"] <= steps[1]["start"]
    failing = steps[2]
    assert "reply: expected contains" in failing["statusDetails"]["message"]
    assert "state: expected" in failing["statusDetails"]["message"]
    assert "refund.scenario.yaml:" in failing["statusDetails"]["trace"]
    assert {"name": "step", "value": "step 3 (refund.scenario.yaml:23)"} in failing["parameters"]

    request = json.loads(attachment(results_dir, steps[0], "request"))
    assert request["method"] == "POST" and request["path"] == "/v1/chat/inbound"
    assert request["body"]["content"] == "I want a refund"
    response = json.loads(attachment(results_dir, steps[0], "response"))
    assert response["status"] == 200
    assert response["body"]["data"]["reply"] == "What's your order number?"
    assert "headers" not in json.dumps(request) + json.dumps(response)

    html = attachment(results_dir, result, "chat transcript")
    assert "private, not shown to the customer" in html and "Offer a voucher" in html
    text = attachment(results_dir, result, "chat transcript (text)")
    assert "I want a refund" in text
    assert "scenario: Refund is escalated" in attachment(results_dir, result,
                                                         "refund.scenario.yaml")


def test_examples_rows_are_parameters_and_stay_distinct(run: RunPytest, write: WriteFile,
                                                        tmp_path: Path) -> None:
    write(GREETINGS)
    run("--alluredir", str(tmp_path)).assert_outcomes(passed=2)
    english, german = allure_results(tmp_path)
    assert english["name"] == "Greeting[english]" and german["name"] == "Greeting[german]"
    assert {"name": "example", "value": "english"} in english["parameters"]
    assert {"name": "greeting", "value": "Hallo"} in german["parameters"]
    assert english["historyId"] != german["historyId"]
    assert english["testCaseId"] == german["testCaseId"]  # one test, two variants


def test_an_unexpected_api_error_is_broken(run: RunPytest, write: WriteFile,
                                           tmp_path: Path) -> None:
    write("""
        scenario: Archived agent
        mock: {agent: {status: archived}}
        steps:
          - customer: "Hello?"
    """)
    run("--alluredir", str(tmp_path)).assert_outcomes(failed=1)
    (result,) = allure_results(tmp_path)
    assert result["status"] == "broken"
    assert "unexpected answer HTTP 422" in result["statusDetails"]["message"]
    (step,) = result["steps"]
    assert step["status"] == "broken"
    assert "unexpected answer HTTP 422" in step["statusDetails"]["message"]
    response = json.loads(attachment(tmp_path, step, "response"))
    assert response["status"] == 422


def test_skipped_scenario_keeps_its_title_and_labels(run: RunPytest, write: WriteFile,
                                                     tmp_path: Path) -> None:
    write("""
        scenario: Not today
        tags: [later]
        feature: Refunds
        skip: the refund flow is being rebuilt
        steps:
          - customer: "Hi"
    """)
    run("--alluredir", str(tmp_path)).assert_outcomes(skipped=1)
    (result,) = allure_results(tmp_path)
    assert result["name"] == "Not today"
    assert result["status"] == "skipped"
    assert labels(result, "tag") == ["later"] and labels(result, "feature") == ["Refunds"]


def test_a_broken_scenario_file_shows_up_as_broken(run: RunPytest, write: WriteFile,
                                                    tmp_path: Path) -> None:
    write("scenario: No steps here\n", "bad.scenario.yaml")
    write(GREETINGS)
    run("--alluredir", str(tmp_path))
    results = allure_results(tmp_path)
    (bad,) = [r for r in results if r["name"].endswith("bad.scenario.yaml (scenario file error)")]
    assert bad["status"] == "broken"
    assert bad["statusDetails"]["message"].startswith("Scenario file error: ")
    assert "bad.scenario.yaml" in bad["statusDetails"]["trace"]
    assert labels(bad, "suite") == ["bad.scenario.yaml"]


def test_run_metadata_is_written(run: RunPytest, write: WriteFile, tmp_path: Path,
                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    monkeypatch.setenv("GITHUB_REPOSITORY", "acme/qa")
    monkeypatch.setenv("GITHUB_RUN_ID", "99")
    monkeypatch.setenv("GITHUB_RUN_NUMBER", "7")
    write(GREETINGS)
    run("--alluredir", str(tmp_path)).assert_outcomes(passed=2)
    environment = (tmp_path / "environment.properties").read_text("ascii")
    assert "Target=embedded mock" in environment
    assert "Runner=osvi-scenarios" in environment
    assert json.loads((tmp_path / "executor.json").read_text())["buildUrl"].endswith(
        "/acme/qa/actions/runs/99")
    categories = json.loads((tmp_path / "categories.json").read_text())
    assert categories[0]["name"] == "Agent regressions"


def test_without_alluredir_nothing_is_written_and_nothing_breaks(
        run: RunPytest, write: WriteFile, pytester: pytest.Pytester) -> None:
    write(REFUND)
    result = run()
    result.assert_outcomes(failed=1)
    assert "osvi report" not in result.stdout.str()  # no report warnings
    assert not list(pytester.path.rglob("*-result.json"))


def test_label_filters_select_scenarios(run: RunPytest, write: WriteFile,
                                        tmp_path: Path) -> None:
    write(REFUND, "refund.scenario.yaml")
    write(GREETINGS, "greetings.scenario.yaml")
    run("--alluredir", str(tmp_path), "--allure-features", "Refunds").assert_outcomes(failed=1)
