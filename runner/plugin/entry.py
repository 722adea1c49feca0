"""The pytest11 entry point: options on every run, the scenario plugin only when needed.

pytest loads this module for every run in the virtualenv, most of them plain
unit tests. It imports only pytest and the option table; the library (httpx,
the schemas, the executor) loads with :mod:`runner.plugin.hooks` when

- a file named like a scenario is collected (or an odd entry named like one), or
- the run sets any osvi option (flag, environment or ini), so that a bad value
  stops the run at once and the header names the real target, or
- this is a pytest-xdist controller, which collects nothing itself but prints
  the run summary from its workers' reports.

Until then the ``osvi: target`` header line is worked out from the raw options:
with none set, it is always the embedded mock. A secret in the environment
(``OSVI_API_TOKEN``, the judge's key) is masked from the start, scenarios or not.
"""

from __future__ import annotations

import fnmatch
import os
from pathlib import Path

import pytest

from runner.core.options import MOCK_DESCRIPTION, OPTIONS
from runner.plugin import options
from runner.plugin.odd_entries import OddEntries
from runner.plugin.stash import PATTERNS, SETTINGS


def pytest_addoption(parser: pytest.Parser) -> None:
    options.add_options(parser)


def pytest_configure(config: pytest.Config) -> None:
    patterns = options.patterns(config)
    config.stash[PATTERNS] = patterns
    # Entries pytest passes over in silence (a dangling link named like a scenario).
    config.pluginmanager.register(OddEntries(patterns, _collect), "osvi-odd-entries")
    if options.anything_set(config, os.environ) or _xdist_controller(config):
        _load(config)
        return
    secrets = [os.environ.get(item.env) for item in OPTIONS if item.kind == "secret" and item.env]
    if any(secrets):
        from runner.core.redact import Redactor  # light: no HTTP, no schemas
        from runner.plugin import redaction_arming

        redaction_arming.arm(config, Redactor(secrets))


def pytest_report_header(config: pytest.Config) -> list[str]:
    if SETTINGS in config.stash:
        from runner.plugin import hooks

        return hooks.report_header(config)
    # Nothing set: scenarios, if any are collected, run on the mock.
    return [f"osvi: target {MOCK_DESCRIPTION}"]


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> pytest.Collector | None:
    if any(fnmatch.fnmatch(file_path.name, pattern) for pattern in parent.config.stash[PATTERNS]):
        return _collect(parent, file_path)
    return None


def _collect(parent: pytest.Collector, path: Path) -> pytest.Collector:
    _load(parent.config)
    from runner.plugin import hooks

    return hooks.collect_file(path, parent)


def _load(config: pytest.Config) -> None:
    """Import the scenario plugin and configure it for this run, once."""
    from runner.plugin import hooks  # the library: loaded here, not for every pytest run

    if SETTINGS not in config.stash:
        hooks.configure(config)


def _xdist_controller(config: pytest.Config) -> bool:
    """pytest-xdist's main process (``-n``/``--dist``), not one of its workers."""
    return config.getoption("dist", "no") != "no" and not hasattr(config, "workerinput")
