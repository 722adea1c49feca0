"""The pieces behind the live-run promises, checked on their own: Retry-After,
the contract messages, the redactor's reach, and log records."""

from __future__ import annotations

import email.utils
import logging

import pytest

from runner.core.errors import Problem
from runner.core.redact import MASK, Redactor, redact_log_records
from runner.execution.client import public_url, retry_after_seconds
from runner.execution.contract import contract_problem
from runner.execution.settings import SettingsError, build_settings
from runner.execution.transcript import Entry
from runner.report.chat_html import render_chat_html
from runner.report.render import chat_text
from tests.report.factories import rich_result

SECRET = 'tok"en/with&odd<chars>'


@pytest.mark.parametrize(("header", "seconds"), [
    ("0", 0.0), ("7", 7.0), (" 12 ", 12.0), (None, None), ("soon", None), ("-3", None),
    ("1.5", None),
])
def test_retry_after_in_seconds(header: str | None, seconds: float | None) -> None:
    assert retry_after_seconds(header) == seconds


def test_retry_after_as_an_http_date() -> None:
    now = 1_700_000_000.0
    assert retry_after_seconds(email.utils.formatdate(now + 90, usegmt=True), now=now) == 90
    assert retry_after_seconds(email.utils.formatdate(now - 90, usegmt=True), now=now) == 0


INBOUND = {"session_id": "s1", "reply": "Hi", "state": "default", "mode": "ai",
           "help_requested": False}


@pytest.mark.parametrize(("status", "body", "problem"), [
    (200, {"success": True, "data": {**INBOUND, "reply": 5}},
     "data.reply: 5 is not of type string or null"),
    # Only what the vendor documents: a field left out of `data` is no drift (x-mock-reading).
    (200, {"success": True, "data": {**INBOUND, "help_requested": "no"}},
     'data.help_requested: "no" is not of type boolean'),
    (200, {"success": True, "data": {**INBOUND, "mode": "human"}},
     'data.mode: "human" is not one of ai, support'),
    (200, {"success": True}, "data: the field is missing"),
    (200, ["not", "an", "object"], 'the top level: ["not", "an", "object"] is not of type object'),
    # `errors` as a list is the API introduction's error shape; as text it is neither shape.
    (422, {"success": False, "errors": "agent is archived"},
     'errors: "agent is archived" is not of type array'),
    (502, {"success": False, "error": "x", "upstream_body": 5},
     "upstream_body: 5 is not of type object or null"),
])
def test_a_drift_names_the_field(status: int, body: object, problem: str) -> None:
    assert contract_problem("POST", "/v1/chat/inbound", status, body) == (
        f"the answer breaks the API contract at {problem}")


def test_answers_inside_the_contract_and_undocumented_statuses_pass() -> None:
    assert contract_problem("POST", "/v1/chat/inbound", 200,
                            {"success": True, "data": INBOUND}) is None
    assert contract_problem("POST", "/v1/chat/inbound", 429, {"anything": 1}) is None
    assert contract_problem("POST", "/v1/chat/session/a%2Fb/inject_context", 200,
                            {"success": True, "data": {"session_id": "s", "context": ["a", 3]}}
                            ) == ("the answer breaks the API contract at data.context[1]: 3 is "
                                  "not of type string")


def test_the_redactor_masks_the_secret_in_every_form_it_travels_in() -> None:
    redact = Redactor([SECRET]).redact
    for carried in ('{"t": "tok\\"en/with&odd<chars>"}', "/v1/chat/session/tok%22en%2Fwith%26odd"
                    "%3Cchars%3E/support", "tok&quot;en/with&amp;odd&lt;chars&gt;",
                    "tok\"en/with&amp;odd&lt;chars&gt;", f"plain {SECRET}"):
        assert "odd" not in redact(carried), carried
        assert MASK in redact(carried)


def test_short_strings_are_not_treated_as_secrets() -> None:
    assert Redactor(["abc", None, ""]).redact("abc") == "abc"
    assert not Redactor(["abc"])


def test_log_records_are_masked_wherever_they_go() -> None:
    records: list[str] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(self.format(record))

    logger = logging.getLogger("tests.reliability.redaction")
    handler = Keep()
    logger.addHandler(handler)
    undo = redact_log_records(Redactor(["s3cret-token-value"]))
    try:
        logger.warning("GET /v1/chat/session/%s/support", "s3cret-token-value")
        try:
            raise ValueError("bad token s3cret-token-value")
        except ValueError:
            logger.exception("failed")
    finally:
        undo()
        logger.removeHandler(handler)
    logger.addHandler(handler)
    try:
        logger.warning("after %s", "s3cret-token-value")  # undone: no longer masked
    finally:
        logger.removeHandler(handler)
    assert records[0] == f"GET /v1/chat/session/{MASK}/support"
    assert "s3cret-token-value" not in records[1] and "ValueError: bad token" in records[1]
    assert records[2] == "after s3cret-token-value"


def test_a_password_in_the_base_url_counts_as_a_secret() -> None:
    settings = build_settings(target=None, base_url="https://qa:pa55word-x@api.osvi.ai",
                              agent=None, timeout=None, max_wait=None, scenario_timeout=None,
                              patterns=None, env={"OSVI_API_TOKEN": "token-1234567890ab"})
    assert set(settings.secrets) == {"token-1234567890ab", "pa55word-x"}
    assert public_url("https://qa:pa55word-x@api.osvi.ai/x?key=1") == "https://api.osvi.ai/x"
    assert "pa55word-x" not in repr(settings) and "pa55word-x" not in settings.describe()


@pytest.mark.parametrize(("options", "message"), [
    ({"retries": "many"}, "--osvi-retries: 'many' is not a number from 0 to 10; write e.g. "
                          "--osvi-retries 2 (0 turns retries off)"),
    ({"retries": "11"}, "--osvi-retries: '11' is not a number from 0 to 10; *"),
    ({"contract": "lenient"}, "--osvi-contract: 'lenient' is not one of strict, off"),
    ({"base_url": "http://"}, "--osvi-base-url: 'http://' is not a URL; write it like "
                              "https://api.osvi.ai"),
    ({"scenario_timeout": "0s"}, "--osvi-scenario-timeout must be more than 0"),
])
def test_bad_options_are_explained(options: dict[str, str], message: str) -> None:
    values = {"target": None, "base_url": None, "agent": None, "timeout": None,
              "max_wait": None, "scenario_timeout": None, "patterns": None,
              "env": {"OSVI_API_TOKEN": "token-1234567890ab"}, **options}
    with pytest.raises(SettingsError) as caught:
        build_settings(**values)  # type: ignore[arg-type]
    assert pytest.LineMatcher([str(caught.value)]).fnmatch_lines([message]) is None


def test_problems_never_carry_control_characters() -> None:
    line = Problem("a\x1b.yaml", 3, "unknown key '\x1b[2J'", "fix\nit").format()
    assert line == "a\\x1b.yaml:3: unknown key '\\x1b[2J'; fix\\nit"


def test_runner_lines_show_in_the_text_and_html_transcripts() -> None:
    result = rich_result()
    last = result.steps[-1].step
    result.entries.append(Entry("system", "closed session s-1 (cleanup)", 9.5, last))
    assert chat_text(result).splitlines()[-1] == (
        "  00:09.500         runner      closed session s-1 (cleanup)")
    page = render_chat_html(result, Redactor())
    assert '<div class="system">runner: closed session s-1 (cleanup) · +00:09.500</div>' in page
