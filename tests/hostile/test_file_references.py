"""Files a scenario names, and files named like scenarios (issue 10, items 10e and 10f).

A ``mock:`` path stays inside the project (pytest's rootdir; for
``osvi-scenarios check`` the project folder around the current directory)
unless ``--osvi-allow-outside-root`` says otherwise, and a file outside it is
never quoted. Links that lead nowhere or loop, pipes and devices named like
scenario files are reported, never skipped in silence and never opened.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from runner.tools import cli
from tests.conftest import RunPytest, WriteFile

CREDENTIALS = "aws_secret_access_key: AKIAEXAMPLEKEY12345\nregion: eu-west-1\n"
GOOD = "scenario: Still runs\nsteps:\n  - customer: Hi\n"
OUTSIDE_FIX = ("move the file into the project, or pass --osvi-allow-outside-root (ini "
               "osvi_allow_outside_root) to allow it")


@pytest.fixture
def outside(pytester: pytest.Pytester) -> Path:
    """A folder next to the project, with a credentials file that is valid YAML."""
    folder = pytester.path.parent / f"{pytester.path.name}-outside"
    folder.mkdir()
    (folder / "creds.yaml").write_text(CREDENTIALS, encoding="utf-8")
    return folder


def _scenario(mock: str) -> str:
    return f"scenario: Uses {mock}\nmock: {mock}\nsteps:\n  - customer: Hi\n"


def test_a_mock_file_outside_the_project_is_refused(pytester: pytest.Pytester, outside: Path,
                                                    write: WriteFile, run: RunPytest) -> None:
    relative = f"../{outside.name}/creds.yaml"
    write(_scenario(relative), "outside.scenario.yaml")
    write(_scenario("/etc/passwd"), "passwd.scenario.yaml")
    os.symlink(outside / "creds.yaml", pytester.path / "link.yaml")
    write(_scenario("link.yaml"), "link.scenario.yaml")
    write(GOOD, "good.scenario.yaml")
    result = run("--continue-on-collection-errors")
    result.assert_outcomes(passed=1, errors=3)
    result.stdout.fnmatch_lines([
        f"outside.scenario.yaml:2: mock agent file '{relative}' is outside the project folder "
        f"{pytester.path}; {OUTSIDE_FIX}"])
    result.stdout.fnmatch_lines([
        f"passwd.scenario.yaml:2: mock agent file '/etc/passwd' is outside the project folder "
        f"{pytester.path}; {OUTSIDE_FIX}"])
    result.stdout.fnmatch_lines([
        f"link.scenario.yaml:2: mock agent file 'link.yaml' is outside the project folder "
        f"{pytester.path} (it is a link to {outside / 'creds.yaml'}); {OUTSIDE_FIX}"])
    out = result.stdout.str()
    assert "aws_secret_access_key" not in out and "root:" not in out


def test_allowed_outside_files_are_read_but_never_quoted(
        pytester: pytest.Pytester, outside: Path, write: WriteFile, run: RunPytest) -> None:
    write(_scenario(f"../{outside.name}/creds.yaml"))
    (outside / "agent.yaml").write_text("default_reply: Hello from outside\n", encoding="utf-8")
    write(_scenario(f"../{outside.name}/agent.yaml"), "fine.scenario.yaml")
    result = run("--continue-on-collection-errors", "--osvi-allow-outside-root")
    result.assert_outcomes(passed=1, errors=1)
    result.stdout.fnmatch_lines([
        f"*{outside.name}/creds.yaml:1: this mock agent file has a problem on this line; "
        "open the file to see it: it is outside the project, so its content is not shown"])
    assert "aws_secret_access_key" not in result.stdout.str()


def test_the_ini_option_allows_outside_files_too(pytester: pytest.Pytester, outside: Path,
                                                 write: WriteFile, run: RunPytest) -> None:
    (outside / "agent.yaml").write_text("default_reply: Hello from outside\n", encoding="utf-8")
    write(_scenario(f"../{outside.name}/agent.yaml"))
    pytester.makeini("[pytest]\nosvi_allow_outside_root = true\n")
    run("--strict-config").assert_outcomes(passed=1)  # the ini key is known


def test_check_confines_mock_files_to_the_project_around_the_current_folder(
        pytester: pytest.Pytester, outside: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    (pytester.path / "pyproject.toml").write_text("[project]\nname = 'x'\n", encoding="utf-8")
    folder = pytester.path / "scenarios"
    folder.mkdir()
    (folder / "outside.scenario.yaml").write_text(
        _scenario(f"../../{outside.name}/creds.yaml"), encoding="utf-8")
    monkeypatch.chdir(folder)  # the project is the folder holding pyproject.toml
    assert cli.main(["check", "."]) == 1
    out = capsys.readouterr().out
    assert out.splitlines()[0] == (
        f"outside.scenario.yaml:2: mock agent file '../../{outside.name}/creds.yaml' is outside "
        f"the project folder {pytester.path}; {OUTSIDE_FIX}")
    assert "aws_secret_access_key" not in out
    assert cli.main(["check", "--osvi-allow-outside-root", "."]) == 1
    out = capsys.readouterr().out
    assert f"{outside.name}/creds.yaml:1: this mock agent file has a problem on this line" in out
    assert "aws_secret_access_key" not in out


# --------------------------------------------------------------------------- 10f: odd entries


def _odd_entries(folder: Path) -> None:
    os.symlink("nowhere.yaml", folder / "dangling.scenario.yaml")
    os.symlink("loop.scenario.yaml", folder / "loop.scenario.yaml")
    os.mkfifo(folder / "pipe.scenario.yaml")
    os.symlink("/dev/zero", folder / "zero.scenario.yaml")
    (folder / "good.scenario.yaml").write_text(GOOD, encoding="utf-8")


ODD = [
    "dangling.scenario.yaml:1: this is a symbolic link to 'nowhere.yaml', which does not "
    "exist; point it at a scenario file, or delete it",
    "loop.scenario.yaml:1: this is a symbolic link that loops back on itself; point it at a "
    "scenario file, or delete it",
    "pipe.scenario.yaml:1: this is a pipe, socket or device, not an ordinary file; scenario "
    "and mock agent files must be ordinary text files",
    "zero.scenario.yaml:1: this is a symbolic link to '/dev/zero', a pipe, socket or device, "
    "not an ordinary file; scenario and mock agent files must be ordinary text files",
]


@pytest.mark.timeout(60)  # opening the pipe for reading would wait forever: a failure, not a hang
def test_odd_entries_named_like_scenarios_are_collection_errors(
        pytester: pytest.Pytester) -> None:
    _odd_entries(pytester.path)
    os.symlink("nowhere.yaml", pytester.path / "ignored.scenario.yaml")
    pytester.makeconftest("collect_ignore = ['ignored.scenario.yaml']")  # stays ignored
    result = pytester.runpytest("-p", "no:cacheprovider", "--continue-on-collection-errors")
    result.assert_outcomes(passed=1, errors=4)
    for line in ODD:
        result.stdout.fnmatch_lines([line])
    assert "Traceback" not in result.stdout.str() + result.stderr.str()


def test_check_reports_odd_entries(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch,
                                   capsys: pytest.CaptureFixture[str]) -> None:
    _odd_entries(pytester.path)
    monkeypatch.chdir(pytester.path)
    assert cli.main(["check", "."]) == 1
    assert capsys.readouterr().out.splitlines() == [*ODD, "4 problems in 4 files"]
