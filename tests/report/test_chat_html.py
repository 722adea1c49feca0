"""The chat transcript page: bubbles, private notes, system lines, the failing step."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from typing import ClassVar

from runner.core.redact import MASK, Redactor
from runner.report.chat_html import render_chat_html
from tests.report.factories import TOKEN, broken_result, rich_result


class _Collect(HTMLParser):
    """Well-formedness check: every opened element (bar void ones) is closed in order."""

    VOID: ClassVar[set[str]] = {"meta", "br", "hr", "img", "input", "link"}

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[str] = []
        self.errors: list[str] = []
        self.tags: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        if tag not in self.VOID:
            self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if not self.stack or self.stack.pop() != tag:
            self.errors.append(tag)


def page() -> str:
    return render_chat_html(rich_result(), Redactor([TOKEN]))


def test_page_is_self_contained_and_well_formed() -> None:
    text = page()
    parser = _Collect()
    parser.feed(text)
    assert parser.errors == [] and parser.stack == []
    assert "script" not in parser.tags  # no scripts, so nothing to run or fetch
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", text)  # no external assets
    assert "<style>" in text


def test_everything_is_escaped_and_the_token_masked() -> None:
    text = page()
    assert "<script>alert(1)</script>" not in text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text
    assert "Refund &lt;b&gt;escalation&lt;/b&gt;" in text
    assert TOKEN not in text and MASK in text


def test_customer_and_agent_are_bubbles_on_opposite_sides() -> None:
    text = page()
    assert re.search(r'class="row left"><div class="msg customer">.*?I want a refund', text)
    assert re.search(r'class="row right"><div class="msg agent">.*?Sure\.', text)
    assert '<div class="bubble none">(no reply)</div>' in text  # tell got no answer


def test_operator_messages_are_distinct_and_labelled() -> None:
    assert re.search(r'<div class="msg operator"><div class="who">operator</div>'
                     r'<div class="bubble">Your parcel arrives tomorrow', page())


def test_private_notes_are_labelled_as_never_shown_to_the_customer() -> None:
    text = page()
    for label, body in (("whisper", "Offer a voucher"), ("tell", "Say goodbye"),
                        ("injected context", "Caller said order 1234")):
        assert re.search(rf'<div class="msg private"><div class="who">{label}[^<]*'
                         rf'private, not shown to the customer</div><div class="bubble">{body}',
                         text), label


def test_commands_and_waits_are_centred_system_lines() -> None:
    text = page()
    assert re.search(r'row center"><div class="system">command: takeover → ok', text)
    assert re.search(r'row center"><div class="system">wait: 10m pass on the mock clock', text)
    assert re.search(r'row center"><div class="system">command: close', text)


def test_every_step_shows_its_reference_offset_and_duration() -> None:
    text = page()
    assert re.search(r'<span class="ref">step 3</span>\s*<span>takeover: &quot;Hi, this is '
                     r'Maria&quot;</span>\s*<span>\+00:00\.400 · 150ms</span>', text)
    assert '<span class="ref">finally step 1</span>' in text
    assert "+00:00.210" in text  # each line's own offset from the scenario start


def test_failing_step_is_highlighted_with_expected_and_actual() -> None:
    text = page()
    section = re.search(r'<section class="step failed" id="steps-8">(.*?)</section>', text, re.S)
    assert section, "the failing step is highlighted"
    body = section.group(1)
    assert "✗ failed" in body
    assert re.search(r'<td class="key">reply</td><td>contains &quot;refund&quot;</td>'
                     r'<td class="actual">&quot;Hello!&quot;</td>', body)
    assert '<td class="key">mode</td>' in body
    assert "12 |     expect:" in body  # the step's YAML as written
    assert 'href="#steps-8"' in text  # the header links to it


def test_steps_that_never_ran_are_listed_in_order() -> None:
    text = page()
    not_run = text.index('class="step notrun"')
    assert text.index('id="steps-8"') < not_run < text.index('id="finally-1"')
    assert "customer: &quot;Never sent&quot;" in text


def test_header_names_scenario_target_agent_customer_sessions_and_outcome() -> None:
    text = page()
    for fact in ("embedded mock", "agent_mock", "+15551112222", "sess-1",
                 'class="badge failed">failed<', "escalation.scenario.yaml:1"):
        assert fact in text, fact


def test_broken_run_shows_the_cause() -> None:
    text = render_chat_html(broken_result(), Redactor())
    assert 'class="badge broken"' in text
    assert 'section class="step broken"' in text
    assert "unexpected answer HTTP 500" in text
    assert 'class="system error"' in text
    assert "step 2" in text and "not run" in text
