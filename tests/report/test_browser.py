"""A real browser opens the rendered report and a chat transcript (headless Chromium).

Skipped when Debian's ``chromium`` or ``npm ci`` is missing. With
``OSVI_SCREENSHOTS=docs/img`` the transcript screenshot is kept for the README.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import struct
import subprocess
import zlib
from pathlib import Path

import pytest

from runner.report import render_html
from tests.conftest import WriteFile
from tests.report.conftest import RunPytest, allure_results
from tests.report.devtools import CHROMIUM, DevTools
from tests.report.test_render_html import HAS_ALLURE, ROOT, allure_config

# Resolved now: the test itself runs inside pytester's folder.
_KEEP = os.environ.get("OSVI_SCREENSHOTS")
KEEP = Path(_KEEP).resolve() if _KEEP else None
pytestmark = [
    pytest.mark.skipif(CHROMIUM is None, reason="needs Chromium: apt-get install chromium"),
    pytest.mark.skipif(not HAS_ALLURE, reason="needs Node and `npm ci` (Allure 3)"),
]

ESCALATION = """
    scenario: Refund request is escalated to a human
    description: The customer asks for a refund, gets guidance, then a human takes over.
    tags: [refund, escalation]
    feature: Escalation
    severity: critical
    mock:
      operator: maria@yourco.com
      replies:
        - when: "(?i)refund"
          reply: "I can help with that. What's your order number?"
          state: collect_order
        - when: {whisper: {matches: "."}}
          reply: "Thanks! Order 1234 qualifies: {{ whisper }}"
        - when: {contains_any: [human, person]}
          reply: "Let me get a colleague for you."
          help_requested: true
      default_reply: "How can I help?"
    steps:
      - customer: "Hi, I want a refund"
        expect: {reply: {contains: order number}, state: collect_order}
      - inject_context: "Phone call: order 1234 arrived damaged"
      - whisper: "Offer a 10% voucher"
      - customer: "It's order 1234"
        expect: {reply: {contains: voucher}}
      - customer: "Can I talk to a person?"
        expect: {help_requested: true}
      - takeover: "Hi, this is Maria from support."
        expect: {active_human: maria@yourco.com}
      - wait: 2m
      - customer: "Thanks Maria, is my refund approved?"
        expect:
          reply: {contains: approved}
          mode: ai
    finally:
      - close: null
"""


def chromium(*args: str, profile: Path, timeout: float = 90) -> str:
    assert CHROMIUM is not None
    done = subprocess.run(
        [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--no-first-run", "--hide-scrollbars", f"--user-data-dir={profile}", *args],
        capture_output=True, text=True, timeout=timeout, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


def png_pixels(path: Path) -> tuple[int, int, set[tuple[int, int, int]]]:
    """Width, height and the set of colours of an 8-bit RGB(A) PNG, as Chromium writes it."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat, header = 8, b"", b""
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        chunk = data[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            header = chunk
        elif kind == b"IDAT":
            idat += chunk
        pos += 12 + length
    width, height, depth, colour, _, _, interlace = struct.unpack(">IIBBBBB", header)
    assert depth == 8 and colour in (2, 6) and interlace == 0
    size = 3 if colour == 2 else 4
    raw, stride = zlib.decompress(idat), width * size
    rows: list[bytearray] = []
    previous = bytearray(stride)
    for y in range(height):
        offset = y * (stride + 1)
        kind, line = raw[offset], bytearray(raw[offset + 1:offset + 1 + stride])
        for i in range(stride):
            left = line[i - size] if i >= size else 0
            up, corner = previous[i], previous[i - size] if i >= size else 0
            if kind == 1:
                line[i] = (line[i] + left) & 0xFF
            elif kind == 2:
                line[i] = (line[i] + up) & 0xFF
            elif kind == 3:
                line[i] = (line[i] + (left + up) // 2) & 0xFF
            elif kind == 4:
                guess = left + up - corner
                best = min((abs(guess - left), 0, left), (abs(guess - up), 1, up),
                           (abs(guess - corner), 2, corner))[2]
                line[i] = (line[i] + best) & 0xFF
        rows.append(line)
        previous = line
    colours = {tuple(row[i:i + 3]) for row in rows for i in range(0, stride, size)}
    return width, height, colours  # type: ignore[return-value]


def test_report_and_chat_transcript_render_in_chromium(
        run: RunPytest, write: WriteFile, tmp_path: Path) -> None:
    write(ESCALATION, "escalation/refund.scenario.yaml")
    results = tmp_path / "results"
    run("--alluredir", str(results)).assert_outcomes(failed=1)
    index = render_html.render(results, tmp_path / "report", ROOT, allure_config(tmp_path))

    # The single-file report, opened from disk on the failed test's page.
    (failed,) = [r for r in json.loads((index.parent / "test-results.json").read_text())[
        "byId"].values() if r["status"] == "failed"]
    texts = ("Refund request is escalated to a human", "Agent regressions",
             'customer: "Thanks Maria, is my refund approved?"', "chat transcript",
             "Mismatches:")
    # Waited for in real time: a DOM dumped after a fixed virtual-time budget was
    # sometimes still half drawn on a busy machine.
    html = "document.documentElement.outerHTML"
    browser = DevTools(tmp_path / "p1")
    try:
        browser.open(f"{index.as_uri()}#{failed['id']}", 1300, 1900)
        with contextlib.suppress(AssertionError):  # the loop below names what is missing
            browser.wait_for_report(f"{json.dumps(texts)}.every(text => {html}.includes(text))")
        dom = browser.evaluate(html)
    finally:
        browser.close()
    for text in texts:
        assert text in dom, text
    report_png = tmp_path / "report.png"
    if KEEP is not None:  # a picture for the docs only: nothing checks it
        chromium("--virtual-time-budget=15000", "--window-size=1300,1900",
                 f"--screenshot={report_png}", f"{index.as_uri()}#{failed['id']}",
                 profile=tmp_path / "p2")

    # The chat transcript attached to that test, as the browser renders it.
    (result,) = allure_results(results)
    (source,) = [a["source"] for a in result["attachments"] if a["name"] == "chat transcript"]
    page = results / source
    dom = chromium("--dump-dom", page.as_uri(), profile=tmp_path / "p3")
    assert dom.count('class="msg customer"') == 4
    assert 'class="msg operator"' in dom and dom.count('class="msg private"') == 2
    assert 'class="step failed"' in dom and "not shown to the customer" in dom
    chat_png = tmp_path / "chat-transcript.png"
    chromium("--window-size=1000,1950", f"--screenshot={chat_png}", page.as_uri(),
             profile=tmp_path / "p4")
    width, height, colours = png_pixels(chat_png)
    assert (width, height) == (1000, 1950)
    assert (0x09, 0x69, 0xDA) in colours  # agent bubbles
    assert (0x82, 0x50, 0xDF) in colours  # operator bubble
    assert (0xCF, 0x22, 0x2E) in colours  # the failing step's frame

    if KEEP is not None:
        KEEP.mkdir(parents=True, exist_ok=True)
        shutil.copy(chat_png, KEEP / "chat-transcript.png")
        shutil.copy(report_png, KEEP / "allure-report.png")
