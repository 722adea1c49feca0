"""One option table: pytest's options and ini keys, osvi-scenarios and the README all follow it."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from runner.core.options import (
    OPTIONS,
    Option,
    OptionValueError,
    int_value,
    markdown_table,
    merge,
    option,
)
from runner.core.options import main as print_table
from runner.core.sizes import parse_size
from runner.execution.client import DEFAULT_RETRIES
from runner.execution.repeat import MAX_RUNS
from runner.execution.settings import SETTING_NAMES, Settings, settings_from
from runner.execution.toolkit import TOOLKIT_NAMES, ToolkitSettings, toolkit_from
from runner.language.durations import parse_duration
from runner.tools.cli import main as cli
from tests.reliability.faultserver import fault_server

README = Path(__file__).resolve().parents[2] / "README.md"
TOKEN = "table-token-5c1d9e77"
DRAFT = "scenario: Draft\nsteps:\n  - customer: I want a refund\n"


def _readme_table() -> str:
    text = README.read_text("utf-8")
    found = re.search(r"<!-- options table: begin.*?-->\n(.*?)<!-- options table: end -->",
                      text, re.DOTALL)
    assert found, "README.md lost its options table markers"
    return found.group(1)


def test_the_readme_options_table_is_the_option_table() -> None:
    assert _readme_table() == markdown_table(), (
        "README.md's options table is out of date: paste the output of "
        "`python -m runner.core.options` between its markers")


def test_the_table_is_printed_for_the_readme(capsys: pytest.CaptureFixture[str]) -> None:
    assert print_table() == 0
    assert capsys.readouterr().out == markdown_table()


def test_pytest_takes_exactly_the_tables_flags_and_ini_keys(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest("--help")
    out = result.stdout.str()
    group = out.split("OSVI chat scenarios:")[1].split("\n\n")[0]
    flags = set(re.findall(r"^  (--osvi-[a-z-]+)", group, re.MULTILINE))
    assert flags == {item.flag for item in OPTIONS if item.flag}
    ini = set(re.findall(r"^  (osvi_[a-z_]+) ", out, re.MULTILINE))
    assert ini == {item.ini for item in OPTIONS if item.ini}
    # The help says where else a value may come from, and the default.
    assert "(also OSVI_BASE_URL; ini osvi_base_url)" in " ".join(group.split())
    assert "(default 30s; ini osvi_timeout)" in " ".join(group.split())


def test_the_command_line_beats_the_environment_beats_the_ini_file() -> None:
    def flags(item: Option) -> object:
        return {"agent": "from-flag", "retries": ""}.get(item.name)

    def ini(item: Option) -> object:
        return {"agent": "from-ini", "base_url": "https://ini.test", "retries": "3",
                "keep_sessions": True}.get(item.name)

    values = merge(flags, {"OSVI_AGENT_UUID": "from-env", "OSVI_BASE_URL": "https://env.test",
                           "OSVI_API_TOKEN": TOKEN}, ini)
    assert values["agent"] == "from-flag"
    assert values["base_url"] == "https://env.test"
    assert values["retries"] == "3"  # an empty flag is no value
    assert values["keep_sessions"] is True
    assert values["timeout"] is None
    assert "token" not in values  # secrets stay where they are used


def test_the_tables_defaults_are_the_librarys() -> None:
    assert settings_from({}, env={}) == Settings()
    assert toolkit_from({}, env={}, timeout=30.0) == ToolkitSettings()
    assert parse_duration(option("timeout").default or "") == Settings().timeout
    assert parse_duration(option("max_wait").default or "") == Settings().max_wait
    assert parse_size(option("max_response").default or "") == Settings().max_response
    assert int(option("retries").default or "") == DEFAULT_RETRIES
    assert option("repeat").bounds == (1, MAX_RUNS)


def test_every_option_in_the_table_is_used() -> None:
    used = {*SETTING_NAMES, *TOOLKIT_NAMES, "allow_outside_root", "token", "judge_key",
            "semantic_model"}
    assert used == {item.name for item in OPTIONS}


@pytest.mark.parametrize("item", [item for item in OPTIONS if item.kind == "int"],
                         ids=lambda item: item.name)
def test_every_whole_number_option_is_checked_the_same_way(item: Option) -> None:
    assert item.bounds is not None
    low, high = item.bounds
    assert int_value(item, str(low)) == low
    assert int_value(item, high) == high
    for bad in ("many", str(low - 1), str(high + 1), "1.5"):
        with pytest.raises(OptionValueError) as caught:
            int_value(item, bad)
        assert str(caught.value).startswith(
            f"{item.flag}: {bad!r} is not {item.unit} from {low} to {high}; "
            f"write e.g. {item.flag} {item.example}")


def test_an_int_setting_from_the_ini_file_is_checked_too(pytester: pytest.Pytester) -> None:
    pytester.makeini("[pytest]\nosvi_retries = lots\n")
    result = pytester.runpytest()
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["ERROR: --osvi-retries: 'lots' is not a number from 0 to 10; "
                                 "write e.g. --osvi-retries 2 (0 turns retries off)"])


def test_the_option_table_imports_without_pytest_or_httpx() -> None:
    code = ("import sys, runner.core.options; "
            "print(sorted({'pytest', 'httpx'} & set(sys.modules)))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=60, check=True)
    assert done.stdout.strip() == "[]"


# --------------------------------------------------------------------------- osvi-scenarios


def _record(tmp_path: Path, capsys: pytest.CaptureFixture[str],
            *args: str) -> tuple[int, str, str, Path]:
    path = tmp_path / "draft.scenario.yaml"
    path.write_text(DRAFT, encoding="utf-8")
    code = cli(["record", str(path), "--style", "exact", *args])
    out, err = capsys.readouterr()
    return code, out, err, path


def test_record_takes_pytests_option_names(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli(["record", "--help"]) == 0
    shown = capsys.readouterr().out
    for item in OPTIONS:
        if "record" in item.tools:
            assert item.shown in shown
    assert "--base-url" not in shown.replace("--osvi-base-url", "")  # the old names are hidden
    assert "--osvi-allow-outside-root" not in shown


def test_record_runs_live_when_the_environment_names_a_base_url(
        tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OSVI_API_TOKEN", TOKEN)
    with fault_server() as server:
        monkeypatch.setenv("OSVI_BASE_URL", server.url)
        monkeypatch.setenv("OSVI_AGENT_UUID", "agent_Live1")
        code, out, err, path = _record(tmp_path, capsys)
        assert code == 0, err
        assert server.seen["I want a refund"] == 1
    assert 'reply: "ok: I want a refund"' in path.read_text("utf-8")
    assert f"from live {server.url}, agent agent_Live1)" in out
    assert TOKEN not in out + err


def test_record_on_the_mock_when_asked_despite_the_environment(
        tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OSVI_BASE_URL", "http://127.0.0.1:9")  # nothing listens there
    code, out, err, path = _record(tmp_path, capsys, "--osvi-target", "mock")
    assert code == 0, err
    assert "from embedded mock" in out
    assert "ok: I want a refund" not in path.read_text("utf-8")


def test_record_takes_the_live_options_by_their_pytest_names(
        tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OSVI_API_TOKEN", TOKEN)
    with fault_server() as server:
        code, out, err, path = _record(tmp_path, capsys, "--osvi-target", "live",
                                       "--osvi-base-url", server.url, "--osvi-agent", "agent_X",
                                       "--osvi-timeout", "5", "--osvi-retries", "0")
    assert code == 0, err
    assert 'reply: "ok: I want a refund"' in path.read_text("utf-8")
    assert f"from live {server.url}, agent agent_X)" in out


def test_records_old_option_names_still_work_with_a_note(
        tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OSVI_API_TOKEN", TOKEN)
    with fault_server() as server:
        code, _, err, path = _record(tmp_path, capsys, "--target", "live",
                                     "--base-url", server.url, "--agent", "agent_X")
    assert code == 0, err
    assert 'reply: "ok: I want a refund"' in path.read_text("utf-8")
    assert "note: --base-url is deprecated; write --osvi-base-url" in err
    assert "note: --target is deprecated; write --osvi-target" in err


def test_record_explains_a_bad_option_value(tmp_path: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err, _ = _record(tmp_path, capsys, "--osvi-retries", "many")
    assert code == 2
    assert err == ("osvi-scenarios record: --osvi-retries: 'many' is not a number from 0 to 10; "
                   "write e.g. --osvi-retries 2 (0 turns retries off)\n")


def test_a_semantic_model_that_cannot_be_found_stops_the_run(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_plain="def test_one():\n    pass\n")
    missing = pytester.path / "no-such-model"
    result = pytester.runpytest("--osvi-semantic-model", str(missing))
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["ERROR: --osvi-semantic-model: *no-such-model*"])
