"""`--osvi-llm-rate`: LLM calls have a rate limit of their own, apart from `--osvi-rate`,
shared by every judge, simulator and operator call of the run; answers from the cache
do not count."""

from __future__ import annotations

import asyncio
import json
import time

import pytest

from runner.execution.ratelimit import TokenBucket
from runner.execution.settings import settings_from
from runner.execution.toolkit import toolkit_from
from runner.judging.llm import LLMClient, make_endpoint
from tests.conftest import RunPytest, WriteFile
from tests.toolkit.fake_llm import FakeLLM, Reply, Seen, unavailable


class Counting:
    """A limiter that lets every call through and counts them."""

    def __init__(self) -> None:
        self.acquired = 0

    async def acquire(self) -> float:
        self.acquired += 1
        return 0.0



def test_every_request_sent_takes_a_token_and_an_answer_from_the_cache_none(
        fake: FakeLLM) -> None:
    limiter = Counting()
    client = LLMClient(make_endpoint(fake.url, "m"), limiter=limiter)
    fake.script = [unavailable(), Reply(content="first")]

    async def ask(question: str) -> str:
        return (await client.complete([{"role": "user", "content": question}],
                                      lambda text: text))[0]

    assert asyncio.run(ask("one")) == "first"
    assert limiter.acquired == 2  # the 503 and its retry: both reached the server
    asyncio.run(ask("one"))
    assert limiter.acquired == 2  # answered from the cache: no call, no token
    asyncio.run(ask("two"))
    assert limiter.acquired == 3


JUDGED = """
    scenario: Judged {name}
    mock:
      replies:
        - reply: "You said {{{{ message }}}}"
    steps:
{steps}
"""


def _judged(name: str, count: int) -> str:
    steps = "\n".join(f'      - customer: "{name} {n}"\n'
                      f'        expect: {{reply: {{judge: "The agent answers"}}}}'
                      for n in range(count))
    return JUDGED.format(name=name, steps=steps)


def _timed(fake: FakeLLM) -> list[float]:
    times: list[float] = []

    def respond(seen: Seen) -> str:
        times.append(time.monotonic())
        return json.dumps({"score": 0.9, "pass": True, "reason": "ok"})
    fake.respond = respond
    return times


def test_the_llm_rate_spaces_the_calls_of_scenarios_running_side_by_side(
        write: WriteFile, run: RunPytest, fake: FakeLLM) -> None:
    times = _timed(fake)
    write(_judged("Anna", 4), "a.scenario.yaml")
    write(_judged("Ben", 4), "b.scenario.yaml")
    # 4 calls per second, a second's worth at once: 8 calls need at least a second from
    # the first token to the last (the bound leaves room for the way to the server).
    # Each scenario alone would fit in its own burst: only a shared bucket spaces them.
    result = run("--osvi-judge-url", fake.url, "--osvi-llm-rate", "240/min",
                 "--osvi-concurrency", "2")
    result.assert_outcomes(passed=2)
    assert len(times) == 8
    assert times[-1] - times[0] >= 0.5


def test_the_llm_bucket_is_apart_from_the_apis_and_split_between_xdist_workers() -> None:
    values = {"judge_url": "http://127.0.0.1:9/v1", "llm_rate": "120/min", "rate": "5"}
    env = {"OSVI_JUDGE_MODEL": "m"}
    settings = settings_from(values, env)
    toolkit = toolkit_from(values, env, timeout=settings.timeout)
    assert toolkit.judge is not None
    bucket = toolkit.judge.client.limiter
    assert isinstance(bucket, TokenBucket) and bucket is not settings.limiter
    assert (bucket.rate, settings.limiter and settings.limiter.rate) == (2.0, 5.0)
    shared = toolkit_from(values, env, timeout=30.0, rate_share=4).judge
    assert shared is not None and isinstance(shared.client.limiter, TokenBucket)
    assert shared.client.limiter.rate == 0.5
    assert toolkit_from({"judge_url": "http://127.0.0.1:9/v1"}, env,
                        timeout=30.0).judge.client.limiter is None  # type: ignore[union-attr]


@pytest.mark.parametrize(("value", "message"), [
    ("fast", "--osvi-llm-rate: 'fast' is not a rate; write requests per second*"),
    ("0/min", "--osvi-llm-rate: '0/min': the rate must be more than 0"),
])
def test_a_wrong_llm_rate_is_a_usage_error_without_a_traceback(
        run: RunPytest, value: str, message: str) -> None:
    result = run("--osvi-llm-rate", value)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines([f"ERROR: {message}"])
    assert "Traceback" not in result.stderr.str() + result.stdout.str()


def test_the_ini_key_sets_it_too(write: WriteFile, run: RunPytest, fake: FakeLLM,
                                 pytester: pytest.Pytester) -> None:
    times = _timed(fake)
    write(_judged("Anna", 3))
    pytester.makeini("[pytest]\nosvi_llm_rate = 2\n")
    result = run("--osvi-judge-url", fake.url)
    result.assert_outcomes(passed=1)
    assert len(times) == 3
    assert times[-1] - times[0] >= 0.25  # two at once, the third half a second later
