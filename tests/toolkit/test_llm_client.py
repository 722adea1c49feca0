"""The one LLM client: URLs, keys, structured output, retries, the cache, token use.

Against the fake OpenAI-compatible server of :mod:`tests.toolkit.fake_llm`,
which answers like OpenAI, Azure OpenAI, vLLM, Ollama and llama.cpp do.
"""

from __future__ import annotations

import asyncio
import json
import re
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from runner.judging import llm
from runner.judging.judge import Judge, JudgeError, build_config, parse_verdict
from runner.judging.llm import LLMClient, LLMError, chat_url, make_endpoint, request_headers
from runner.judging.llm_cache import LLMCache, request_key
from runner.judging.usage import CallUsage, Prices, TokenUsage
from runner.judging.verdicts import score_of
from tests.toolkit.fake_llm import (
    FakeLLM,
    Reply,
    fenced,
    openai_error,
    rate_limited,
    serve_fake_llm,
    unavailable,
)

KEY = "sk-url-key-7d1f2a9c44"
MESSAGES = [{"role": "user", "content": "Is the sky blue?"}]


@pytest.fixture
def fake() -> Iterator[FakeLLM]:
    with serve_fake_llm() as server:
        yield server


@pytest.fixture(autouse=True)
def _quick_backoff(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(llm, "BACKOFF", 0.01)


def _client(url: str, *, key: str | None = None, cache: LLMCache | None = None,
            timeout: float = 5.0, prices: Prices | None = None) -> LLMClient:
    return LLMClient(make_endpoint(url, "m-1", api_key=key, timeout=timeout), cache=cache,
                     prices=prices, name="the judge")


def _ask(client: LLMClient, messages: list[dict[str, str]] = MESSAGES,
         schema: dict[str, object] | None = None) -> tuple[str, CallUsage]:
    return asyncio.run(client.complete(messages, lambda text: text, schema=schema))


# -- URLs and keys -------------------------------------------------------------------------


@pytest.mark.parametrize(("given", "posted"), [
    ("https://x.openai.azure.com/openai/deployments/d?api-version=2024-06-01",
     "https://x.openai.azure.com/openai/deployments/d/chat/completions?api-version=2024-06-01"),
    ("http://127.0.0.1:11434/v1", "http://127.0.0.1:11434/v1/chat/completions"),
    ("http://127.0.0.1:8080/v1/", "http://127.0.0.1:8080/v1/chat/completions"),
    ("http://h/v1/chat/completions", "http://h/v1/chat/completions"),
    ("https://user:secret@host/v1", "https://host/v1/chat/completions"),
])
def test_chat_completions_goes_into_the_path_before_any_query(given: str, posted: str) -> None:
    assert chat_url(given) == posted


def test_an_azure_url_is_posted_to_the_deployment_with_its_query(fake: FakeLLM) -> None:
    client = _client(f"{fake.origin}/openai/deployments/gpt4o?api-version=2024-06-01")
    _ask(client)
    [seen] = fake.requests
    assert seen.path == "/openai/deployments/gpt4o/chat/completions"
    assert seen.query == "api-version=2024-06-01"


def test_url_credentials_are_sent_as_the_key_never_as_basic_auth(fake: FakeLLM) -> None:
    fake.script = [openai_error(401, "Incorrect API key provided", "invalid_request_error",
                                "invalid_api_key")]
    client = _client(fake.url.replace("http://", f"http://user:{KEY}@"))
    with pytest.raises(LLMError) as caught:
        _ask(client)
    [seen] = fake.requests
    assert seen.headers["authorization"] == f"Bearer {KEY}"
    assert "api-key" not in seen.headers  # not an Azure host
    assert KEY not in str(caught.value) and "user" not in str(caught.value)
    assert str(caught.value) == (f"the judge at {fake.url}/chat/completions answered HTTP 401: "
                                 "invalid_api_key: Incorrect API key provided")


def test_azure_gets_its_api_key_header_too() -> None:
    azure = make_endpoint("https://x.openai.azure.com/openai/deployments/d"
                          "?api-version=2024-06-01", "d", api_key=KEY)
    assert request_headers(azure)["api-key"] == KEY
    assert request_headers(azure)["Authorization"] == f"Bearer {KEY}"
    assert azure.shown_url == "https://x.openai.azure.com/openai/deployments/d/chat/completions"


def test_the_key_from_the_environment_wins_over_a_key_in_the_url(fake: FakeLLM) -> None:
    config = build_config(fake.url.replace("http://", f"http://{KEY}@"),
                          {"OSVI_JUDGE_MODEL": "m", "OSVI_JUDGE_API_KEY": "sk-env-key-123456"})
    assert config is not None
    asyncio.run(Judge(config).verdict("Polite", "Hello", under_test="step 1"))
    assert fake.requests[0].headers["authorization"] == "Bearer sk-env-key-123456"
    config = build_config(fake.url.replace("http://", f"http://{KEY}@"), {"OSVI_JUDGE_MODEL": "m"})
    assert config is not None and config.api_key == KEY
    assert KEY not in repr(config) and KEY not in config.shown_url


# -- structured output and what the answer may look like --------------------------------------


def test_structured_output_is_asked_for(fake: FakeLLM) -> None:
    _ask(_client(fake.url), schema={"type": "object"})
    sent = fake.requests[0].body
    assert sent["response_format"]["type"] == "json_schema"
    assert sent["response_format"]["json_schema"]["schema"] == {"type": "object"}
    assert sent["temperature"] == 0 and sent["model"] == "m-1"


def test_a_server_without_json_schema_is_asked_again_plainly_and_not_again(
        fake: FakeLLM) -> None:
    fake.json_schema = False
    client = _client(fake.url)
    text, _ = _ask(client, schema={"type": "object"})
    assert json.loads(text)["score"] == 0.9
    assert ["response_format" in seen.body for seen in fake.requests] == [True, False]
    _ask(client, [{"role": "user", "content": "another question"}], schema={"type": "object"})
    assert ["response_format" in seen.body for seen in fake.requests] == [True, False, False]


def test_a_fenced_answer_and_scores_as_text_or_percent_are_understood(fake: FakeLLM) -> None:
    fake.script = [Reply(content=fenced({"score": 85, "pass": True, "reason": "Fine."}))]
    text, _ = _ask(_client(fake.url))
    verdict = parse_verdict(text)
    assert (verdict.score, verdict.passed, verdict.reason) == (0.85, True, "Fine.")
    assert parse_verdict('{"score": "0.9"}').score == 0.9
    assert parse_verdict('"0.9"').score == 0.9
    assert parse_verdict("0.4").score == 0.4
    assert parse_verdict('{"score": "72%", "reason": "ok"}').score == 0.72
    assert score_of(1) == 1.0 and score_of(100) == 1.0
    for bad in ('{"score": 150}', '{"score": -0.2}', '{"score": true}', '{"score": "high"}'):
        with pytest.raises(JudgeError, match="no `score` from 0 to 1 \\(or a percentage"):
            parse_verdict(bad)


# -- retries ---------------------------------------------------------------------------------


def test_429_waits_as_long_as_retry_after_says(fake: FakeLLM) -> None:
    fake.script = [rate_limited("1")]
    started = time.monotonic()
    _ask(_client(fake.url))
    assert time.monotonic() - started >= 0.9
    assert len(fake.requests) == 2


def test_a_retry_after_longer_than_the_runner_waits_gives_up_at_once(fake: FakeLLM) -> None:
    fake.script = [rate_limited("120")]
    with pytest.raises(LLMError) as caught:
        _ask(_client(fake.url))
    assert len(fake.requests) == 1
    assert str(caught.value) == (
        f"the judge at {fake.url}/chat/completions answered HTTP 429 and asked to come back "
        "in 120s, longer than the 30s the runner waits: rate_limit_exceeded: Rate limit "
        "reached for requests")


def test_503_is_retried_with_backoff_and_bounded(fake: FakeLLM) -> None:
    fake.script = [unavailable(), unavailable()]
    text, _ = _ask(_client(fake.url))
    assert json.loads(text)["pass"] is True and len(fake.requests) == 3
    fake.requests.clear()
    fake.script = [unavailable()] * 5
    with pytest.raises(LLMError, match=re.escape("answered HTTP 503: server_error: The server "
                                                 "is overloaded or not ready yet.")):
        _ask(_client(fake.url), [{"role": "user", "content": "again"}])
    assert len(fake.requests) == 1 + llm.RETRIES


def test_a_timeout_is_retried_then_named(fake: FakeLLM) -> None:
    fake.script = [Reply(delay=0.6)] * 3
    with pytest.raises(LLMError) as caught:
        _ask(_client(fake.url, timeout=0.2))
    assert str(caught.value) == (f"no answer from the judge at {fake.url}/chat/completions "
                                 "within 0.2s (3 attempts)")
    fake.script = [Reply(delay=0.6)]
    text, _ = _ask(_client(fake.url, timeout=0.3), [{"role": "user", "content": "slow once"}])
    assert json.loads(text)["score"] == 0.9


def test_an_ollama_style_error_is_quoted(fake: FakeLLM) -> None:
    fake.script = [Reply(status=404, error={"error": "model 'm-1' not found, try pulling it"})]
    with pytest.raises(LLMError) as caught:
        _ask(_client(fake.url))
    assert str(caught.value).endswith("answered HTTP 404: model 'm-1' not found, try pulling it")


def test_an_answer_larger_than_the_cap_is_refused(fake: FakeLLM) -> None:
    fake.script = [Reply(raw=b"x" * (llm.MAX_RESPONSE + 10))]
    with pytest.raises(LLMError, match="is larger than 2048 kB; it was not read"):
        _ask(_client(fake.url))


# -- token use -------------------------------------------------------------------------------


def test_token_use_is_counted_and_priced_and_a_missing_usage_block_is_said(
        fake: FakeLLM) -> None:
    client = _client(fake.url, prices=Prices(1.0, 2.0))
    fake.script = [Reply(usage={"prompt_tokens": 1000, "completion_tokens": 500}),
                   Reply(usage=None)]
    total = TokenUsage()
    for question in ("one", "two"):
        _, used = _ask(client, [{"role": "user", "content": question}])
        total.add(used)
    _, used = _ask(client, [{"role": "user", "content": "one"}])  # from the cache
    total.add(used)
    assert (total.calls, total.cached, total.prompt_tokens, total.completion_tokens,
            total.unreported) == (3, 1, 1000, 500, 1)
    assert total.cost == pytest.approx(0.002)
    assert total.describe() == ("3 LLM calls (1 from the cache) · 1,000 tokens in, 500 out · "
                                "cost 0.0020 · 1 call reported no token use")


# -- the cache -------------------------------------------------------------------------------


def test_the_same_question_is_paid_for_once(fake: FakeLLM) -> None:
    client = _client(fake.url)
    first = _ask(client)
    second = _ask(client)
    assert len(fake.requests) == 1
    assert first[0] == second[0] and second[1].cached and not first[1].cached


def test_twin_questions_asked_at_once_are_sent_once(fake: FakeLLM) -> None:
    fake.script = [Reply(delay=0.3)]
    client = _client(fake.url)

    async def both() -> list[tuple[str, CallUsage]]:
        return list(await asyncio.gather(*(client.complete(MESSAGES, str) for _ in range(3))))

    answers = asyncio.run(both())
    assert len(fake.requests) == 1
    assert sorted(usage.cached for _, usage in answers) == [False, True, True]


def test_the_disk_cache_serves_the_next_run_and_the_modes_do_what_they_say(
        fake: FakeLLM, tmp_path: Path) -> None:
    _ask(_client(fake.url, cache=LLMCache(tmp_path, "use")))
    [written] = list(tmp_path.rglob("*.json"))
    assert json.loads(written.read_text())["key"] == written.stem
    _, used = _ask(_client(fake.url, cache=LLMCache(tmp_path, "use")))
    assert used.cached and len(fake.requests) == 1
    _ask(_client(fake.url, cache=LLMCache(tmp_path, "replay")))
    assert len(fake.requests) == 1
    refreshing = _client(fake.url, cache=LLMCache(tmp_path, "refresh"))
    _ask(refreshing)
    _ask(refreshing)  # asked again once, then this run's answer is reused
    assert len(fake.requests) == 2
    off = _client(fake.url, cache=LLMCache(tmp_path, "off"))
    _ask(off)
    _ask(off)
    assert len(fake.requests) == 4


def test_replay_names_a_question_it_has_no_answer_for(fake: FakeLLM, tmp_path: Path) -> None:
    client = _client(fake.url, cache=LLMCache(tmp_path, "replay"))
    with pytest.raises(LLMError) as caught:
        _ask(client, [{"role": "user", "content": "Criteria:\nPolite\n\nThe reply: Hi"}])
    assert fake.requests == []
    assert str(caught.value).startswith(
        "--osvi-llm-cache-mode replay: no answer in the cache for this question to the judge "
        "(model m-1, key ")
    assert str(caught.value).endswith("'Criteria: Polite The reply: Hi'")


def test_the_key_is_sha256_of_canonical_json() -> None:
    one = request_key({"model": "m", "messages": MESSAGES, "temperature": 0})
    assert one == request_key({"temperature": 0, "messages": MESSAGES, "model": "m"})
    assert one != request_key({"model": "m2", "messages": MESSAGES, "temperature": 0})
    assert len(one) == 64 and int(one, 16) >= 0


def test_an_unusable_answer_is_not_kept(fake: FakeLLM) -> None:
    client = _client(fake.url)
    fake.script = [Reply(content="I think it is fine.")]

    def parse(text: str) -> str:
        return parse_verdict(text).reason

    with pytest.raises(JudgeError) as caught:
        asyncio.run(client.complete(MESSAGES, parse))
    assert caught.value.usage == CallUsage(120, 30)  # it was paid for all the same
    asyncio.run(client.complete(MESSAGES, parse))
    assert len(fake.requests) == 2


def test_writers_and_readers_sharing_a_folder_never_see_half_a_file(tmp_path: Path) -> None:
    key = request_key({"q": 1})
    answer = {"content": "x" * 200_000, "usage": None}
    torn: list[object] = []

    def write() -> None:
        for _ in range(30):
            LLMCache(tmp_path).put(key, {"q": 1}, answer)

    def read() -> None:
        deadline = time.monotonic() + 1.0
        while time.monotonic() < deadline:
            found = LLMCache(tmp_path).get(key)
            if found is not None and found != answer:
                torn.append(found)

    threads = [threading.Thread(target=write) for _ in range(4)]
    threads += [threading.Thread(target=read) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert torn == []
    assert [p.name for p in tmp_path.rglob("*") if p.is_file()] == [f"{key}.json"]


def test_secrets_are_masked_in_what_is_sent_and_kept(fake: FakeLLM, tmp_path: Path) -> None:
    token = "osvi-token-9a8b7c6d5e"
    config = build_config(fake.url, {"OSVI_JUDGE_MODEL": "m", "OSVI_API_TOKEN": token},
                          llm={"llm_cache": str(tmp_path)})
    assert config is not None
    asyncio.run(Judge(config).verdict("Polite", f"Your token is {token}"))
    assert token not in json.dumps(fake.requests[0].body)
    assert all(token not in p.read_text() for p in tmp_path.rglob("*.json"))
