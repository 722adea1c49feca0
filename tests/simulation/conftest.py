"""The fake OpenAI-compatible server every LLM simulation test talks to, on 127.0.0.1."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from runner.judging import llm
from tests.toolkit.fake_llm import FakeLLM, serve_fake_llm


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeLLM]:
    """A fake LLM configured as the run's judge endpoint, retrying without waiting."""
    monkeypatch.setenv("OSVI_JUDGE_MODEL", "sim-model")
    monkeypatch.setattr(llm, "BACKOFF", 0.01)
    with serve_fake_llm() as server:
        yield server
