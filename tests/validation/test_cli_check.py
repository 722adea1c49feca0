"""`osvi-scenarios check`: exit codes, one line per problem, summary, JSON for editors."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest

from runner.tools.cli import main

VALID = """\
scenario: {name}
steps:
  - customer: Hi
    expect: {{mode: ai}}
"""


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("OSVI_TEST_MISSING", raising=False)
    return tmp_path


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_valid_folder(workdir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(workdir / "scenarios/a.scenario.yaml", VALID.format(name="A"))
    write(workdir / "scenarios/deep/b.scenario.yml", VALID.format(name="B") + "---\n"
          + VALID.format(name="C"))
    write(workdir / "scenarios/notes.yaml", "not: a scenario\n")
    assert run(capsys, "check", "scenarios") == (0, "3 scenarios in 2 files are valid\n", "")


def test_single_valid_file(workdir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(workdir / "one.scenario.yaml", VALID.format(name="A"))
    assert run(capsys, "check", "one.scenario.yaml") == (0, "1 scenario in 1 file is valid\n",
                                                         "")


def test_problems_are_one_line_each_with_a_summary(
        workdir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(workdir / "s/bad.scenario.yaml", """\
        scenario: Bad
        steps:
          - custmer: Hi
          - customer: Hi
            expect:
              help_requested: "yes"
        """)
    write(workdir / "s/worse.scenario.yaml", "scenario: Worse\n")
    write(workdir / "s/good.scenario.yaml", VALID.format(name="Good"))
    code, out, err = run(capsys, "check", "s")
    assert code == 1
    assert err == ""
    assert out.splitlines() == [
        "s/bad.scenario.yaml:3: unknown key 'custmer' in a step (did you mean 'customer'?); "
        "use one of: customer, takeover, tell, whisper, operator, end, close, inject_context, "
        "wait, request, simulate, include, name, expect, save, session_id, as",
        "s/bad.scenario.yaml:6: `help_requested` must be true or false, not the string 'yes'; "
        "write help_requested: true",
        "s/worse.scenario.yaml:1: the scenario has no `steps:`; add `steps:` with at least one "
        "step, e.g. `- customer: Hi`",
        "3 problems in 2 files",
    ]


def test_yaml_errors_and_empty_files_are_problems_not_tracebacks(
        workdir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(workdir / "broken.scenario.yaml", "scenario: x\nsteps:\n\t- customer: Hi\n")
    write(workdir / "empty.scenario.yaml", "")
    code, out, _ = run(capsys, "check", ".")
    assert code == 1
    assert out.splitlines() == [
        "broken.scenario.yaml:3: a tab character is used for indentation; "
        "indent YAML with spaces only",
        "empty.scenario.yaml:1: the file holds no scenario; write at least `scenario:` and "
        "`steps:`",
        "2 problems in 2 files",
    ]


def test_environment_is_read_from_the_process(
        workdir: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    write(workdir / "env.scenario.yaml", """\
        scenario: Env
        agent: "{{ env.OSVI_TEST_MISSING }}"
        steps:
          - customer: Hi
        """)
    code, out, _ = run(capsys, "check", "env.scenario.yaml")
    assert code == 1
    assert out.splitlines()[0] == (
        "env.scenario.yaml:2: environment variable 'OSVI_TEST_MISSING' is not set; "
        "export it before running, or use a `vars:` value")
    monkeypatch.setenv("OSVI_TEST_MISSING", "agent_x")
    assert run(capsys, "check", "env.scenario.yaml")[0] == 0


def test_missing_mock_file_is_reported_at_the_mock_line(
        workdir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(workdir / "s/m.scenario.yaml", """\
        scenario: M
        mock: agents/x.yaml
        steps:
          - customer: Hi
        """)
    code, out, _ = run(capsys, "check", "s")
    looked = (workdir / "s/agents/x.yaml").resolve()
    assert code == 1
    assert out.splitlines() == [
        f"s/m.scenario.yaml:2: mock agent file 'agents/x.yaml' not found (looked for {looked}); "
        "give the path of a YAML file relative to this scenario file's folder, or write the "
        "agent inline under `mock:`",
        "1 problem in 1 file",
    ]


def test_shared_mock_file_is_checked_once(workdir: Path,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    write(workdir / "s/agents/bot.yaml", "default_replie: Hi\n")
    for name in ("a", "b"):
        write(workdir / f"s/{name}.scenario.yaml", f"""\
            scenario: {name}
            mock: agents/bot.yaml
            steps:
              - customer: Hi
            """)
    code, out, _ = run(capsys, "check", "s")
    assert code == 1
    problems = out.splitlines()[:-1]
    assert len(problems) == 1
    assert problems[0].startswith("s/agents/bot.yaml:1: ")
    assert "default_replie" in problems[0]
    assert out.splitlines()[-1] == "1 problem in 1 file"


def test_valid_mock_file_and_inline_mock(workdir: Path,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    write(workdir / "agents/bot.yaml", "default_reply: Hi\n")
    write(workdir / "a.scenario.yaml", """\
        scenario: A
        mock: agents/bot.yaml
        steps:
          - customer: Hi
        ---
        scenario: B
        mock:
          default_reply: "You said {{ message }}"
        steps:
          - customer: Hi
            expect: {reply: You said Hi}
        """)
    assert run(capsys, "check", "a.scenario.yaml") == (0, "2 scenarios in 1 file are valid\n",
                                                       "")


def test_duplicate_scenario_names_in_a_file(workdir: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    write(workdir / "d.scenario.yaml", VALID.format(name="Same") + "---\n"
          + VALID.format(name="Same"))
    code, out, _ = run(capsys, "check", "d.scenario.yaml")
    assert code == 1
    assert out.splitlines()[0] == ("d.scenario.yaml:6: scenario name 'Same' is already used on "
                                   "line 1; give each scenario in a file its own name")


def test_pattern_option_and_hidden_folders(workdir: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    write(workdir / "t/a.chat.yaml", VALID.format(name="A"))
    write(workdir / "t/.hidden/b.chat.yaml", "not valid")
    write(workdir / "t/c.scenario.yaml", "not valid")
    assert run(capsys, "check", "--pattern", "*.chat.yaml", "t") == (
        0, "1 scenario in 1 file is valid\n", "")


def test_files_outside_the_working_folder_are_shown_absolute(
        tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    target = write(tmp_path / "elsewhere/x.scenario.yaml", "scenario: x\n")
    (tmp_path / "cwd").mkdir()
    monkeypatch.chdir(tmp_path / "cwd")
    code, out, _ = run(capsys, "check", str(target))
    assert code == 1
    assert out.startswith(f"{target.resolve()}:1: the scenario has no `steps:`")


def test_json_format(workdir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(workdir / "bad.scenario.yaml", "scenario: s\nsteps:\n  - custmer: Hi\n")
    code, out, _ = run(capsys, "check", "--format", "json", "bad.scenario.yaml")
    assert code == 1
    items = json.loads(out)
    assert isinstance(items, list) and len(items) == 1
    assert set(items[0]) == {"file", "line", "message", "fix"}
    assert items[0]["file"] == "bad.scenario.yaml"
    assert items[0]["line"] == 3
    assert items[0]["message"] == "unknown key 'custmer' in a step (did you mean 'customer'?)"
    assert items[0]["fix"].startswith("use one of: customer, ")


def test_json_format_when_valid(workdir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(workdir / "ok.scenario.yaml", VALID.format(name="ok"))
    code, out, _ = run(capsys, "check", "--format", "json", ".")
    assert (code, json.loads(out)) == (0, [])


def test_path_that_does_not_exist(workdir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(capsys, "check", "nope") == (
        2, "", "osvi-scenarios check: 'nope' does not exist (no such file or folder)\n")


def test_folder_without_scenarios(workdir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (workdir / "empty").mkdir()
    code, out, err = run(capsys, "check", "empty")
    assert (code, out) == (2, "")
    assert err == ("osvi-scenarios check: no scenario files (*.scenario.yaml, *.scenario.yml) "
                   "in 'empty'\n")


@pytest.mark.parametrize("args", [["check"], [], ["frobnicate"], ["check", "--format", "xml", "."]])
def test_usage_errors_exit_2(workdir: Path, capsys: pytest.CaptureFixture[str],
                             args: list[str]) -> None:
    code, out, err = run(capsys, *args)
    assert code == 2
    assert out == ""
    assert "usage: osvi-scenarios" in err


def test_help_exits_0(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "check", "--help")
    assert code == 0
    assert "--format" in out and "--pattern" in out
