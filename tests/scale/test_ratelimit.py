"""The token bucket behind --osvi-rate, on a fake clock: no real time passes."""

from __future__ import annotations

import asyncio

import pytest

from runner.execution.ratelimit import RateError, TokenBucket, parse_rate


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        # Records the wait and lets other tasks run; the test moves the clock itself.
        self.slept.append(seconds)
        await asyncio.sleep(0)


def bucket(rate: float, burst: float | None = None) -> tuple[TokenBucket, FakeClock]:
    clock = FakeClock()
    return TokenBucket(rate, burst, clock=clock, sleep=clock.sleep), clock


@pytest.mark.parametrize(("text", "per_second"), [
    ("5", 5.0), ("0.5", 0.5), (".5", 0.5), ("5/s", 5.0), ("120/min", 2.0), ("120 / min", 2.0),
    ("3600/h", 1.0), ("30/m", 0.5), (2, 2.0), (0.25, 0.25),
])
def test_rates_are_written_per_second_minute_or_hour(text: str | float,
                                                     per_second: float) -> None:
    assert parse_rate(text) == pytest.approx(per_second)


@pytest.mark.parametrize("text", ["fast", "0", "-1", "5/day", "", "1e3"])
def test_a_rate_that_is_not_one_says_how_to_write_it(text: str) -> None:
    with pytest.raises(RateError, match="rate"):
        parse_rate(text)


def test_a_full_bucket_lets_a_burst_through_then_paces_at_the_rate() -> None:
    limiter, _ = bucket(rate=4)  # burst defaults to one second's worth: 4
    assert [limiter.reserve() for _ in range(4)] == [0, 0, 0, 0]
    # Each further request waits one more quarter second than the one before it.
    assert [limiter.reserve() for _ in range(3)] == pytest.approx([0.25, 0.5, 0.75])


def test_tokens_come_back_with_time_but_never_beyond_the_burst() -> None:
    limiter, clock = bucket(rate=2, burst=3)
    for _ in range(3):
        limiter.reserve()
    clock.now += 0.5  # one token back
    assert limiter.reserve() == 0
    assert limiter.reserve() == pytest.approx(0.5)
    clock.now += 3600  # a quiet hour refills to the burst, not to 7200
    assert [limiter.reserve() for _ in range(3)] == [0, 0, 0]
    assert limiter.reserve() == pytest.approx(0.5)


def test_a_rate_below_one_per_second_still_lets_one_request_through() -> None:
    limiter, _ = bucket(rate=0.5)
    assert limiter.burst == 1
    assert limiter.reserve() == 0
    assert limiter.reserve() == pytest.approx(2.0)


def test_acquire_sleeps_for_its_turn_and_concurrent_callers_are_served_in_order() -> None:
    limiter, clock = bucket(rate=10, burst=1)
    order: list[int] = []

    async def request(number: int) -> None:
        await limiter.acquire()
        order.append(number)

    async def main() -> None:
        await asyncio.gather(*(request(n) for n in range(5)))

    asyncio.run(main())
    assert order == [0, 1, 2, 3, 4]
    # Slots are reserved up front: 0 goes at once, the rest at 0.1 s intervals.
    assert clock.slept == pytest.approx([0.1, 0.2, 0.3, 0.4])


def test_a_429_holds_every_scenario_until_its_retry_after_is_over() -> None:
    limiter, clock = bucket(rate=2, burst=2)
    limiter.reserve()  # the request that is answered 429 with Retry-After: 3
    limiter.hold(3)
    # Another scenario asks during the hold, with a token still in the bucket: it
    # goes when the hold is over, not before.
    assert limiter.reserve() == pytest.approx(3.0)
    clock.now += 3
    # The retry, after sleeping its Retry-After, queues at the rate behind it.
    assert limiter.reserve() == pytest.approx(0.5)


def test_a_retry_after_its_hold_finds_a_token_ready() -> None:
    limiter, clock = bucket(rate=1, burst=1)
    assert limiter.reserve() == 0  # answered 429, Retry-After: 5
    limiter.hold(5)
    clock.now += 5
    assert limiter.reserve() == 0  # the hold and the Retry-After overlapped


def test_a_hold_never_brings_a_reserved_turn_forward() -> None:
    limiter, _ = bucket(rate=1, burst=1)
    for _ in range(10):
        limiter.reserve()  # nine requests queued: the next free slot is 10 s away
    limiter.hold(2)
    assert limiter.reserve() == pytest.approx(10.0)


def test_rate_and_burst_must_make_sense() -> None:
    with pytest.raises(ValueError):
        TokenBucket(0)
    assert TokenBucket(5, 0.2).burst == 1
