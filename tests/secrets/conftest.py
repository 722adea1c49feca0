"""Fixtures for the secret tests: a token, a server that echoes it, and a leak finder."""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Iterator
from pathlib import Path
from urllib.parse import unquote

import pytest

from tests.conftest import WriteFile as WriteFile
from tests.secrets.echoserver import DISGUISES, echo_server, escaped

TOKEN = "sEcret-Token-5c1d9e77ab"
_ZERO_WIDTH = re.compile("[\u200b\u200c\u200d\u2060\ufeff]")


@pytest.fixture
def echo_url() -> Iterator[str]:
    with echo_server() as url:
        yield url


def disguised(token: str = TOKEN) -> set[str]:
    """Every form the echo server sends the token in."""
    return {token, escaped(token), *(disguise(token) for disguise in DISGUISES.values())}


def _decoded(text: str) -> str:
    text = re.sub(r"\\u([0-9a-fA-F]{4})", lambda m: chr(int(m.group(1), 16)), text)
    return _ZERO_WIDTH.sub("", unquote(html.unescape(text))).lower()


def leaks_in(text: str, token: str = TOKEN) -> list[str]:
    """The disguises of ``token`` found in ``text`` (plain, encoded, or hidden)."""
    found = sorted(form for form in disguised(token) if form in text)
    if token.lower() in _decoded(text) or token[::-1].lower() in _decoded(text):
        found.append("decoded")
    return found


def leaks(result: pytest.RunResult | None, folders: Iterable[Path], *,
          token: str = TOKEN, skip: Iterable[Path] = ()) -> dict[str, list[str]]:
    """Where ``token`` shows: the run's output, file names and file contents."""
    found: dict[str, list[str]] = {}
    if result is not None:
        for name, text in (("stdout", result.stdout.str()), ("stderr", result.stderr.str())):
            if leaks_in(text, token):
                found[name] = leaks_in(text, token)
    skipped = {p.resolve() for p in skip}
    for folder in folders:
        for path in sorted(folder.rglob("*")):
            if path.resolve() in skipped:
                continue
            if leaks_in(str(path.relative_to(folder)), token):
                found[f"name of {path}"] = leaks_in(str(path), token)
            if path.is_file():
                text = path.read_bytes().decode("utf-8", "replace")
                if leaks_in(text, token):
                    found[str(path)] = leaks_in(text, token)
    return found
