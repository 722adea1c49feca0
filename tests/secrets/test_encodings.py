"""Item 4: the token is masked when a server sends it encoded or disguised.

CI secret masking covers base64 and URL-encoding at least; a careless server or
proxy also upper-cases, reverses, hex-encodes, HTML-escapes, ``\\u``-escapes or
splits a value with zero-width characters. Each form is masked, and only it.
"""

from __future__ import annotations

import base64

import pytest

from runner.core.redact import MASK, Redactor
from tests.secrets.conftest import TOKEN, WriteFile, disguised, leaks, leaks_in
from tests.secrets.echoserver import DISGUISES, escaped


# The plain token and its percent-encoding were always masked.
@pytest.mark.parametrize("form", sorted(disguised() - {TOKEN, DISGUISES["percent"](TOKEN)}))
def test_every_disguise_is_masked(form: str) -> None:
    text = f"before {form} after"
    redacted = Redactor([TOKEN]).redact(text)
    assert leaks_in(redacted) == []
    assert redacted.startswith("before ") and redacted.endswith(" after")
    assert MASK in redacted


@pytest.mark.parametrize("prefix", ["", "a", "ab", "abc", "Basic qa:", "x" * 40])
@pytest.mark.parametrize("suffix", ["", "!", "!?", ";tail"])
@pytest.mark.parametrize("encode", [base64.b64encode, base64.urlsafe_b64encode])
def test_base64_of_the_token_inside_a_larger_blob_is_masked_at_every_alignment(
        prefix: str, suffix: str, encode: object) -> None:
    assert callable(encode)
    blob = encode(f"{prefix}{TOKEN}{suffix}".encode()).decode()
    for text in (blob, blob.rstrip("=")):
        redacted = Redactor([TOKEN]).redact(f"Authorization: {text}")
        assert MASK in redacted
        # Only a few characters around it, that also hold the bytes next to it, may stay.
        assert len(redacted) <= len("Authorization: ") + len(MASK) + 4 + len(
            encode(prefix.encode())) + len(encode(suffix.encode()))


def test_disguises_are_masked_and_the_text_around_them_stays_as_it_was() -> None:
    redactor = Redactor([TOKEN])
    text = ("reply: " + DISGUISES["entities-hex"](TOKEN) + " and &amp; &#x41;BC "
            + "\u200bzero\u200b and \\u0041 " + escaped(TOKEN) + " end")
    assert redactor.redact(text) == (f"reply: {MASK} and &amp; &#x41;BC \u200bzero\u200b "
                                     f"and \\u0041 {MASK} end")
    ordinary = ("The order 5c1d is on its way: aGVsbG8gd29ybGQ= (base64), 68656c6c6f (hex), "
                "%20 &#x27; \\u00e9 secret token... ...ab SECRET-TOKEN")
    assert redactor.redact(ordinary) == ordinary


def test_the_token_echoed_in_every_disguise_is_masked_in_every_output(
        pytester: pytest.Pytester, write: WriteFile, monkeypatch: pytest.MonkeyPatch,
        echo_url: str) -> None:
    steps = "".join(f"  - customer: {name}\n" for name in DISGUISES)
    scenario = write(f"scenario: Disguises\nsteps:\n{steps}  - customer: last\n"
                     "    expect: {reply: never}\n")
    write("scenario: Escaped page\nsteps:\n  - customer: escaped-page\n",
          name="page.scenario.yaml")
    monkeypatch.setenv("OSVI_API_TOKEN", TOKEN)
    reports = pytester.path / "reports"
    result = pytester.runpytest(
        "--osvi-base-url", echo_url, "--osvi-agent", "agent_Echo", "-p", "no:cacheprovider",
        "-rA", "-v", "--junitxml", str(reports / "junit.xml"), "--alluredir",
        str(reports / "allure"), "--osvi-transcripts", str(reports / "tr"))
    result.assert_outcomes(failed=2)
    out = result.stdout.str()
    assert out.count(MASK) >= len(DISGUISES)
    assert "is not JSON" in out
    page = [p.read_text() for p in (reports / "allure").glob("*.txt")
            if p.read_text().startswith("HTTP 200")]
    assert page == [f'HTTP 200\n\n<script>var t="{MASK}";</script>']
    assert leaks(result, [reports]) == {}
    assert scenario.is_file()
