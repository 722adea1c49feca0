"""`osvi-scenarios check` masks the token in whatever it prints, like every other output."""

from __future__ import annotations

from pathlib import Path

import pytest

from runner.core.errors import Problem
from runner.tools import cli

TOKEN = "check-token-0123456789"


@pytest.mark.parametrize("output", ["text", "json"])
def test_a_problem_quoting_the_token_is_printed_masked(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
        output: str) -> None:
    scenario = tmp_path / "a.scenario.yaml"
    scenario.write_text("scenario: A\nsteps:\n  - customer: hi\n", encoding="utf-8")
    monkeypatch.setenv("OSVI_API_TOKEN", TOKEN)
    monkeypatch.chdir(tmp_path)
    # Any check that quotes a value filled in from the environment would print it.
    monkeypatch.setattr(cli, "check_file", lambda path, env, *rest: (
        [Problem(str(path), 1, f"agent {env['OSVI_API_TOKEN']!r} is unknown", "fix it")], 1))
    assert cli.main(["check", "--format", output, str(scenario)]) == 1
    printed = capsys.readouterr().out
    assert TOKEN not in printed and "«redacted»" in printed
