"""Item 1: an internal error, a long traceback or frame locals never show the token.

The frames of a scenario run hold ``os.environ`` (the ``env`` the executor
reads ``{{ env.X }}`` from), so ``--tb=long -l`` prints it; an exception's
message may quote a templated value. Every text pytest renders for our items,
and for an INTERNALERROR, goes through the redactor.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from runner.core.redact import MASK
from runner.execution import executor
from runner.plugin import junit
from tests.secrets.conftest import TOKEN, WriteFile, leaks

TWO = """
scenario: Bad wait
vars: {d: abc}
steps:
  - customer: hello
  - wait: "{{ d }}"
---
scenario: Fine
steps:
  - customer: hello
    expect: {reply: "ok: hello"}
"""


def live(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, url: str,
         *args: str) -> pytest.RunResult:
    monkeypatch.setenv("OSVI_API_TOKEN", TOKEN)
    return pytester.runpytest("--osvi-base-url", url, "--osvi-agent", "agent_Echo",
                              "-p", "no:cacheprovider", *args)


def _reports(pytester: pytest.Pytester) -> list[str]:
    reports = pytester.path / "reports"
    return ["--junitxml", str(reports / "junit.xml"), "--alluredir",
            str(reports / "allure"), "-o", "junit_logging=all"]


def _assert_clean(pytester: pytest.Pytester, result: pytest.RunResult) -> None:
    reports = pytester.path / "reports"
    assert (reports / "junit.xml").is_file()
    assert leaks(result, [reports]) == {}


@pytest.mark.parametrize("style", [["--tb=long", "-l"], ["--tb=long", "-l", "-vv"]])
def test_the_bad_wait_reproduction_shows_no_token(
        pytester: pytest.Pytester, write: WriteFile, monkeypatch: pytest.MonkeyPatch,
        echo_url: str, style: list[str]) -> None:
    write(TWO)
    result = live(pytester, monkeypatch, echo_url, "-rA", *style, *_reports(pytester))
    result.assert_outcomes(passed=1, failed=1)
    _assert_clean(pytester, result)


def _boom(*args: Any, **kwargs: Any) -> Any:
    raise RuntimeError(f"could not compare the reply with {os.environ['OSVI_API_TOKEN']}")


@pytest.mark.parametrize("style", [["--tb=long", "-l"], ["--tb=long"]])
def test_an_internal_error_with_the_token_in_message_and_locals_is_masked(
        pytester: pytest.Pytester, write: WriteFile, monkeypatch: pytest.MonkeyPatch,
        echo_url: str, style: list[str]) -> None:
    write("""
        scenario: Hits a bug
        steps:
          - customer: hello
            expect: {reply: "ok: hello"}
        """)
    write(TWO.split("---")[1], name="fine.scenario.yaml")
    monkeypatch.setattr(executor, "check_expectations", _boom)
    result = live(pytester, monkeypatch, echo_url, "-rA", *style, *_reports(pytester))
    result.assert_outcomes(failed=2)  # the second file hits the same bug
    out = result.stdout.str()
    assert f"could not compare the reply with {MASK}" in out
    if "-l" in style and "long" in style[0]:
        assert "environ(" in out  # the locals were shown, masked
    _assert_clean(pytester, result)


def test_a_token_fragment_cut_by_a_truncated_local_is_masked(
        pytester: pytest.Pytester, write: WriteFile, monkeypatch: pytest.MonkeyPatch,
        echo_url: str) -> None:
    # pytest shortens each local to 240 characters, keeping the first 118 and the last 119;
    # with this variable after it, the token is cut in two at the end's boundary.
    monkeypatch.setenv("OSVI_API_TOKEN", TOKEN)
    monkeypatch.setenv("ZZ_PADDING", "x" * 88)
    write("""
        scenario: Hits a bug
        steps:
          - customer: hello
        """)
    monkeypatch.setattr(executor, "check_expectations", _boom)
    result = live(pytester, monkeypatch, echo_url, "--tb=long", "-l")
    result.assert_outcomes(failed=1)
    out = result.stdout.str()
    assert "...5c1d9e77ab'" not in out and "77ab'" not in out
    assert f"...{MASK}', 'ZZ_PADDING'" in out
    assert leaks(result, []) == {}


@pytest.mark.parametrize("how", [["--osvi-target", "mock"], ["--tb=long"]])
def test_the_token_as_a_templated_duration_is_masked_in_the_summary_and_junit(
        pytester: pytest.Pytester, write: WriteFile, monkeypatch: pytest.MonkeyPatch,
        echo_url: str, how: list[str]) -> None:
    write("""
        scenario: Token as a duration
        steps:
          - customer: hello
          - wait: "{{ env.OSVI_API_TOKEN }}"
        """)
    result = live(pytester, monkeypatch, echo_url, "-rA", *how, *_reports(pytester))
    result.assert_outcomes(failed=1)
    # Reported with its cause (the value itself masked, or not quoted at all).
    assert "is not a duration" in result.stdout.str()
    assert "is not a duration" in (pytester.path / "reports/junit.xml").read_text()
    _assert_clean(pytester, result)


def test_an_internal_error_in_our_hooks_is_masked(
        pytester: pytest.Pytester, write: WriteFile, monkeypatch: pytest.MonkeyPatch,
        echo_url: str) -> None:
    write(TWO.split("---")[1])

    def broken(config: pytest.Config, report: pytest.TestReport) -> bool:
        raise RuntimeError(f"junit writer broke on {os.environ['OSVI_API_TOKEN']}")

    monkeypatch.setattr(junit, "add_system_out", broken)
    result = live(pytester, monkeypatch, echo_url, "-l", *_reports(pytester))
    assert result.ret == pytest.ExitCode.INTERNAL_ERROR
    text = result.stdout.str() + result.stderr.str()
    assert f"INTERNALERROR> RuntimeError: junit writer broke on {MASK}" in text
    _assert_clean(pytester, result)


def test_the_internal_error_view_names_our_frame_by_the_package_folder(
        pytester: pytest.Pytester, write: WriteFile, monkeypatch: pytest.MonkeyPatch,
        echo_url: str) -> None:
    """A frame is ours when it is in the package's folder, not when its path holds
    `/runner/` (CI checkouts live under /home/runner/)."""
    folder = pytester.path / "home" / "runner"
    folder.mkdir(parents=True)
    (folder / "thirdparty.py").write_text(
        "def compare(*args, **kwargs):\n    raise ValueError('third party failed')\n")
    monkeypatch.syspath_prepend(str(folder))
    import thirdparty  # type: ignore[import-not-found]

    def ours(*args: Any, **kwargs: Any) -> Any:
        return thirdparty.compare()

    monkeypatch.setattr(executor, "check_expectations", ours)
    write(TWO.split("---")[1])
    result = live(pytester, monkeypatch, echo_url)
    result.assert_outcomes(failed=1)
    out = result.stdout.str()
    assert "internal error while running this scenario at executor.py:" in out
    assert "thirdparty.py" not in out
    assert Path(thirdparty.__file__).parent == folder


def test_a_file_that_crashes_the_loader_is_a_masked_collection_error(
        pytester: pytest.Pytester, write: WriteFile, monkeypatch: pytest.MonkeyPatch,
        echo_url: str) -> None:
    from runner.plugin import hooks as plugin

    def crash(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError(f"loader broke on {os.environ['OSVI_API_TOKEN']}")

    write(TWO.split("---")[1], name="broken.scenario.yaml")
    write(TWO.split("---")[1], name="fine.scenario.yaml")
    real = plugin.load_scenarios
    monkeypatch.setattr(plugin, "load_scenarios", lambda path, *rest: (
        crash() if path.name == "broken.scenario.yaml" else real(path, *rest)))
    result = live(pytester, monkeypatch, echo_url, "--continue-on-collection-errors",
                  "--tb=long", "-l", "-rA", *_reports(pytester))
    result.assert_outcomes(passed=1, errors=1)
    assert f"RuntimeError: loader broke on {MASK}" in result.stdout.str()
    _assert_clean(pytester, result)
