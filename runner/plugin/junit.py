"""The chat transcript in each JUnit test case's ``system-out``.

pytest writes captured output into ``system-out`` only when the user sets
``junit_logging``, and the transcript is not captured output anyway. So the
report plugin puts the (redacted) transcript on the teardown report as an
attribute, which survives pytest-xdist's report transport, and hands it to
pytest's JUnit writer before that writer closes the test case. A report
section would do too, but pytest prints sections under every failure, where
the failure report already shows the conversation.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from typing import Any

import pytest

ATTRIBUTE = "osvi_conversation"
# Characters XML 1.0 cannot hold, even escaped.
_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def _log_xml(config: pytest.Config) -> Any | None:
    try:
        from _pytest.junitxml import xml_key
    except ImportError:  # pragma: no cover - a future pytest may move it
        return None
    return config.stash.get(xml_key, None)


def attach_conversation(report: pytest.TestReport, text: str) -> None:
    setattr(report, ATTRIBUTE, text)


def conversation(report: pytest.TestReport) -> str | None:
    """The transcript the report plugin put on ``report``, if any."""
    text = getattr(report, ATTRIBUTE, None)
    return text if isinstance(text, str) else None


def add_system_out(config: pytest.Config, report: pytest.TestReport) -> bool:
    """Put the transcript into the test case of ``report``; True when written.

    Call on the teardown report, before pytest's JUnit writer sees it.
    """
    xml = _log_xml(config)
    text = conversation(report)
    if xml is None or text is None:
        return False
    node = ET.Element("system-out")
    node.text = _ILLEGAL.sub(lambda m: f"#x{ord(m.group()):02X}",
                             f"Conversation ({report.nodeid}):\n{text}\n")
    xml.node_reporter(report).append(node)
    return True
