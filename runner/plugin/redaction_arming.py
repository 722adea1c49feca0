"""Arming the one redactor of a run: config stash, pytest's reports, log records.

Armed early by the entry point when the environment holds a secret (before any
test runs, scenario or not), and again with the full set of secrets when the
scenario plugin configures itself: the second call replaces the first, so
reports and log records pass one redactor, never two.
"""

from __future__ import annotations

import pytest

from runner.core.redact import Redactor, redact_log_records
from runner.plugin.pytest_redaction import ReportRedaction
from runner.plugin.stash import REDACTOR, UNDO_LOG_REDACTION

PLUGIN_NAME = "osvi-redaction"


def arm(config: pytest.Config, redactor: Redactor) -> None:
    """Make ``redactor`` the run's: in the stash, on every report, in every log record."""
    config.stash[REDACTOR] = redactor
    gate = config.pluginmanager.get_plugin(PLUGIN_NAME)
    if isinstance(gate, ReportRedaction):
        gate.redactor = redactor
    else:
        config.pluginmanager.register(ReportRedaction(redactor), PLUGIN_NAME)
    previous = config.stash.get(UNDO_LOG_REDACTION, None)
    if previous is not None:
        previous()
    undo = redact_log_records(redactor)
    config.stash[UNDO_LOG_REDACTION] = undo
    if previous is None:  # one cleanup, which undoes whichever redaction is current
        config.add_cleanup(lambda: config.stash[UNDO_LOG_REDACTION]())
