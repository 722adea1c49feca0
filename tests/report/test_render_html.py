"""Rendering the HTML report: clear messages when tools are missing, a real render otherwise."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from runner.report import render_html
from tests.conftest import WriteFile
from tests.report.conftest import RunPytest
from tests.report.test_allure_pytest import GREETINGS, REFUND

ROOT = Path(__file__).resolve().parents[2]
HAS_ALLURE = (ROOT / "node_modules" / "allure" / "cli.js").is_file()
needs_allure = pytest.mark.skipif(not HAS_ALLURE, reason="needs Node and `npm ci` (Allure 3)")


def test_config_targets_the_single_file_report_and_the_history_file() -> None:
    text = (ROOT / "allurerc.mjs").read_text("utf-8")
    for setting in ('output: "reports/allure-report"', 'historyPath: "reports/history.jsonl"',
                    "singleFile: true", "categories"):
        assert setting in text
    lock = json.loads((ROOT / "package-lock.json").read_text("utf-8"))
    pinned = json.loads((ROOT / "package.json").read_text("utf-8"))["devDependencies"]["allure"]
    assert pinned[0].isdigit(), "the allure version is pinned exactly"
    assert lock["packages"]["node_modules/allure"]["version"] == pinned


def test_missing_node_is_explained(monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
                                   capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # no node on it
    monkeypatch.chdir(ROOT)
    assert render_html.main([]) == render_html.EXIT_NO_TOOLS
    err = capsys.readouterr().err
    assert "Node.js" in err and "npm ci" in err


def test_missing_node_modules_says_to_run_npm_ci(monkeypatch: pytest.MonkeyPatch,
                                                 tmp_path: Path,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "allurerc.mjs").write_text("export default {};\n")
    (tmp_path / "sub").mkdir()
    monkeypatch.chdir(tmp_path / "sub")  # the project folder is found upwards
    assert render_html.main([]) == render_html.EXIT_NO_TOOLS
    err = capsys.readouterr().err
    assert f"run `npm ci` in {tmp_path}" in err


def test_outside_a_project(monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
                           capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(tmp_path)
    assert render_html.main([]) == render_html.EXIT_NO_TOOLS
    assert "no allurerc.mjs" in capsys.readouterr().err


@needs_allure
def test_missing_results_exit_2_without_a_traceback(tmp_path: Path) -> None:
    done = subprocess.run([sys.executable, "-m", "runner.report.render_html", "--results",
                           str(tmp_path / "nothing"), "--output", str(tmp_path / "out")],
                          cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == render_html.EXIT_NO_RESULTS
    assert "no Allure results at" in done.stderr and "--alluredir" in done.stderr
    assert "Traceback" not in done.stderr + done.stdout


def test_no_results_in_the_folder(tmp_path: Path) -> None:
    with pytest.raises(render_html.RenderProblem, match="no test results"):
        render_html.check_results(tmp_path)


def allure_config(tmp_path: Path) -> Path:
    """The project's configuration with the history kept in ``tmp_path``, not in reports/."""
    config = tmp_path / "allurerc.mjs"
    history = json.dumps(str(tmp_path / "history.jsonl"))
    config.write_text(f"import base from {json.dumps((ROOT / 'allurerc.mjs').as_uri())};\n"
                      f"export default {{ ...base, historyPath: {history} }};\n")
    return config


@needs_allure
def test_renders_one_self_contained_file_and_keeps_history(
        run: RunPytest, write: WriteFile, tmp_path: Path) -> None:
    write(REFUND, "refund.scenario.yaml")
    write(GREETINGS, "greetings.scenario.yaml")
    results = tmp_path / "results"
    run("--alluredir", str(results))
    config = allure_config(tmp_path)
    for night in (1, 2):
        output = tmp_path / f"report{night}"
        index = render_html.render(results, output, ROOT, config)
        assert index == output / "index.html"
        assert sorted(p.name for p in output.iterdir() if p.suffix == ".html") == ["index.html"]
    html = index.read_text("utf-8")
    assert len(html) > 100_000  # the app, data and attachments are inlined
    assert "googletagmanager" not in html and "gtag(" not in html  # no third party told
    history = (tmp_path / "history.jsonl").read_text("utf-8").splitlines()
    assert len(history) == 2  # one entry per render: trends across nights


def test_the_analytics_tag_and_its_feeder_are_taken_out() -> None:
    page = ('<head><script src="data:app"></script>\n'
            '    <script async src="https://www.googletagmanager.com/gtag/js?id=G-X"></script>\n'
            "    <script>\n        window.dataLayer = window.dataLayer || [];\n"
            "        function gtag(){dataLayer.push(arguments);}\n"
            "        gtag('config', 'G-X', {});\n    </script>\n"
            "    <script async>window.allureReportData = {};</script></head>")
    kept = render_html.without_analytics(page)
    assert "googletagmanager" not in kept and "gtag" not in kept
    assert '<script src="data:app"></script>' in kept and "allureReportData" in kept
