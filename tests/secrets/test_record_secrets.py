"""Item 3: `osvi-scenarios record` never writes a secret into a scenario file.

When the agent echoes the token, the observed reply holds it; recording it
would put the token into a file meant to be committed. record refuses, names
the step, and leaves the file as it was. No traceback with the token reaches
the user either.
"""

from __future__ import annotations

import base64
import os
from pathlib import Path
from typing import Any

import pytest

from runner.core.redact import MASK
from runner.tools import record as record_module
from runner.tools.cli import main
from tests.secrets.conftest import TOKEN, leaks_in

ECHOING = """\
scenario: Echoes the token
mock:
  replies:
    - when: token
      reply: "Your API token is {{ env.OSVI_API_TOKEN }}, keep it safe."
    - when: encoded
      reply: "Encoded: {{ encoded }}"
vars:
  encoded: ENCODED
steps:
  - customer: hello
  - customer: "what is my token?"
"""


def _record(path: Path, capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    code = main(["record", str(path), *args])
    out, err = capsys.readouterr()
    return code, out + err


@pytest.mark.parametrize("style", ["contains", "similar_to", "exact"])
@pytest.mark.parametrize("target", ["mock", "live"])
def test_record_refuses_to_write_an_echoed_token(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
        echo_url: str, style: str, target: str) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("OSVI_API_TOKEN", TOKEN)
    path = tmp_path / "echo.scenario.yaml"
    if target == "mock":
        path.write_text(ECHOING)
        args = ["--target", "mock"]
    else:  # the echo server sends the token back, and its reverse, base64...
        path.write_text("scenario: Echoes\nsteps:\n  - customer: hello\n"
                        "  - customer: reversed\n")
        args = ["--target", "live", "--base-url", echo_url, "--agent", "agent_Echo"]
    before = path.read_bytes()
    code, output = _record(path, capsys, *args, "--style", style)
    assert code == 1
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == [path.name]  # no temporary file left
    line = 12 if target == "mock" else 4
    assert (f"osvi-scenarios record: echo.scenario.yaml:{line}: step 2: the reply holds a "
            "secret (OSVI_API_TOKEN") in output
    assert "nothing was written" in output
    assert leaks_in(output) == []


def test_record_refuses_a_base64_echo(
        tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("OSVI_API_TOKEN", TOKEN)
    path = tmp_path / "echo.scenario.yaml"
    encoded = base64.b64encode(TOKEN.encode()).decode()
    path.write_text(ECHOING.replace("ENCODED", encoded).replace('"what is my token?"',
                                                                "encoded please"))
    before = path.read_bytes()
    code, output = _record(path, capsys, "--style", "exact")
    assert code == 1 and path.read_bytes() == before
    assert "echo.scenario.yaml:12: step 2: the reply holds a secret" in output
    assert encoded not in output


def test_a_crash_inside_record_shows_no_traceback_and_no_token(
        tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("OSVI_API_TOKEN", TOKEN)
    path = tmp_path / "echo.scenario.yaml"
    path.write_text(ECHOING)
    before = path.read_bytes()

    async def crash(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError(f"lost the connection to {os.environ['OSVI_API_TOKEN']}")

    monkeypatch.setattr(record_module, "run_scenario", crash)
    code, output = _record(path, capsys)
    assert code == 1 and path.read_bytes() == before
    assert output.startswith("osvi-scenarios record: internal error")
    assert f"RuntimeError: lost the connection to {MASK}" in output
    assert "Traceback" not in output
    assert leaks_in(output) == []
