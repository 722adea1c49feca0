"""Run settings gathered from options, environment and ini, checked once.

Kept free of pytest so the CLI and benchmarks build targets the same way. The
token is read only from the environment (a command-line flag would show up in
process lists and CI logs) and is never part of any repr.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

import httpx

from runner.core.errors import RunnerError
from runner.core.sizes import SIZE_HELP, SizeError, parse_size
from runner.execution.answer_limits import DEFAULT_MAX_RESPONSE
from runner.execution.client import DEFAULT_RETRIES
from runner.execution.open_sessions import OpenSessions
from runner.execution.ratelimit import RateError, TokenBucket, parse_rate
from runner.execution.targets import LiveTarget, MockTarget, Target, public_url
from runner.language.durations import DURATION_HELP, DurationError, parse_duration

DEFAULT_PATTERNS = ("*.scenario.yaml", "*.scenario.yml")
DEFAULT_TIMEOUT = 30.0
DEFAULT_MAX_WAIT = 60.0
TARGETS = ("auto", "mock", "live")
CONTRACT_MODES = ("strict", "off")
# The vendor's tokens have 16 characters; a much shorter one could not be told
# apart from ordinary text when it is masked in reports.
MIN_TOKEN_LENGTH = 8
MAX_RETRIES = 10
# More at once than this is a mistake, not a plan: the API's own limits come first.
MAX_CONCURRENCY = 1000


_BARE_NUMBER = re.compile(r"\d+(\.\d+)?")


class SettingsError(RunnerError):
    pass


@dataclass(frozen=True)
class Settings:
    base_url: str | None = field(default=None, repr=False)  # may hold a password
    token: str | None = field(default=None, repr=False)
    agent: str | None = None
    timeout: float = DEFAULT_TIMEOUT
    max_wait: float = DEFAULT_MAX_WAIT
    scenario_timeout: float | None = None
    patterns: tuple[str, ...] = DEFAULT_PATTERNS
    retries: int = DEFAULT_RETRIES
    contract: str = "strict"
    keep_sessions: bool = False
    concurrency: int = 1
    max_response: int = DEFAULT_MAX_RESPONSE  # bytes
    # Shared by every scenario of the run (--osvi-rate): state, not a setting,
    # so it takes no part in comparisons.
    limiter: TokenBucket | None = field(default=None, repr=False, compare=False)
    # Likewise shared: the live sessions open right now, for the run summary.
    open_sessions: OpenSessions = field(default_factory=OpenSessions, repr=False,
                                        compare=False)

    @property
    def secrets(self) -> tuple[str, ...]:
        """What reports must never show: the token, and a password in the base URL."""
        found = [self.token] if self.token else []
        if self.base_url:
            try:
                password = httpx.URL(self.base_url).password
            except (httpx.InvalidURL, ValueError):
                password = None
            if password:
                found.append(password)
        return tuple(found)

    @property
    def live(self) -> bool:
        return self.base_url is not None

    def make_target(self) -> Target:
        contract = self.contract == "strict"
        if self.base_url is None:
            return MockTarget(timeout=self.timeout, contract=contract, limiter=self.limiter,
                              max_response=self.max_response)
        assert self.token is not None
        return LiveTarget(base_url=self.base_url, token=self.token, timeout=self.timeout,
                          max_wait=self.max_wait, retries=self.retries, contract=contract,
                          keep_sessions=self.keep_sessions, limiter=self.limiter,
                          max_response=self.max_response, open_sessions=self.open_sessions)

    def describe(self) -> str:
        if self.base_url is None:
            return "embedded mock (in process, no network)"
        agent = f", agent {self.agent}" if self.agent else ""
        return f"live {public_url(self.base_url)}{agent}"


def _duration(name: str, value: str | float | None) -> float | None:
    if value is None or value == "":
        return None
    if isinstance(value, str) and _BARE_NUMBER.fullmatch(value.strip()):
        # A bare number is seconds, as in pytest-timeout and httpx: `--osvi-timeout 3`.
        return float(value)
    try:
        return parse_duration(value)
    except DurationError:
        raise SettingsError(f"{name}: {value!r} is not a duration; {DURATION_HELP}") from None


def _check_url(url: str) -> None:
    shown = public_url(url) if "@" in url else url  # credentials never shown
    if not url.startswith(("http://", "https://")):
        raise SettingsError(f"--osvi-base-url: {shown!r} must start with http:// or https://")
    try:
        host = httpx.URL(url).host
    except (httpx.InvalidURL, ValueError):
        host = ""
    if not host:
        raise SettingsError(f"--osvi-base-url: {shown!r} is not a URL; write it like "
                            "https://api.osvi.ai")


def _check_token(token: str) -> None:
    """A token a header can carry and a redactor can find; never echoed back."""
    if not all("!" <= c <= "~" for c in token):
        raise SettingsError("OSVI_API_TOKEN holds spaces, line breaks or non-ASCII characters, "
                            "which an HTTP header cannot carry: copy the token again from the "
                            "OSVI dashboard (Settings → API)")
    if len(token) < MIN_TOKEN_LENGTH:
        raise SettingsError(f"OSVI_API_TOKEN is only {len(token)} characters long; OSVI tokens "
                            "have 16. Copy it again from the OSVI dashboard (Settings → API)")


def _retries(value: str | int | None) -> int:
    if value is None or value == "":
        return DEFAULT_RETRIES
    try:
        count = int(value)
    except (TypeError, ValueError):
        count = -1
    if not 0 <= count <= MAX_RETRIES:
        raise SettingsError(f"--osvi-retries: {value!r} is not a number from 0 to {MAX_RETRIES}; "
                            f"write e.g. --osvi-retries {DEFAULT_RETRIES} (0 turns retries off)")
    return count


def _contract(value: str | None) -> str:
    if value is None or value == "":
        return "strict"
    if value not in CONTRACT_MODES:
        raise SettingsError(f"--osvi-contract: {value!r} is not one of strict, off")
    return value


def build_settings(*, target: str | None, base_url: str | None, agent: str | None,
                   timeout: str | float | None, max_wait: str | float | None,
                   scenario_timeout: str | float | None, patterns: list[str] | None,
                   env: Mapping[str, str], retries: str | int | None = None,
                   contract: str | None = None, keep_sessions: bool = False,
                   concurrency: str | int | None = None, rate: str | float | None = None,
                   burst: str | float | None = None, rate_share: int = 1,
                   max_response: str | int | None = None) -> Settings:
    """Check merged option values (command line, then environment, then ini).

    Only the token is read from ``env`` here.
    """
    choice = target or "auto"
    if choice not in TARGETS:
        raise SettingsError(f"--osvi-target: {choice!r} is not one of mock, live, auto")
    url = base_url or None
    if choice == "mock":
        url = None
    elif choice == "live" and url is None:
        raise SettingsError("--osvi-target live needs a base URL: pass --osvi-base-url "
                            "https://api.osvi.ai or set OSVI_BASE_URL")
    token = env.get("OSVI_API_TOKEN") or None
    if url is not None:
        _check_url(url)
        if token is None:
            raise SettingsError(
                f"the live target {public_url(url)} needs an API token: export "
                "OSVI_API_TOKEN=<your token> (it is never printed or stored), "
                "or drop --osvi-base-url/OSVI_BASE_URL to use the embedded mock")
        _check_token(token)
    timeout_s = _duration("--osvi-timeout", timeout)
    if timeout_s is not None and timeout_s <= 0:
        raise SettingsError("--osvi-timeout must be more than 0")
    max_wait_s = _duration("--osvi-max-wait", max_wait)
    scenario_s = _duration("--osvi-scenario-timeout", scenario_timeout)
    if scenario_s is not None and scenario_s <= 0:
        raise SettingsError("--osvi-scenario-timeout must be more than 0")
    return Settings(
        base_url=url,
        token=token if url is not None else None,
        agent=agent or None,
        timeout=timeout_s if timeout_s is not None else DEFAULT_TIMEOUT,
        max_wait=max_wait_s if max_wait_s is not None else DEFAULT_MAX_WAIT,
        scenario_timeout=scenario_s,
        patterns=tuple(patterns) if patterns else DEFAULT_PATTERNS,
        retries=_retries(retries),
        contract=_contract(contract),
        keep_sessions=keep_sessions,
        concurrency=_concurrency(concurrency),
        limiter=_limiter(rate, burst, rate_share),
        max_response=_max_response(max_response),
    )


def _max_response(value: str | int | None) -> int:
    if value is None or value == "":
        return DEFAULT_MAX_RESPONSE
    try:
        size = parse_size(value)
    except SizeError as error:
        raise SettingsError(f"--osvi-max-response: {error}") from None
    if size < 1:
        raise SettingsError(f"--osvi-max-response must be more than 0; {SIZE_HELP}")
    return size


def _concurrency(value: str | int | None) -> int:
    if value is None or value == "":
        return 1
    try:
        count = int(value)
    except (TypeError, ValueError):
        count = 0
    if not 1 <= count <= MAX_CONCURRENCY:
        raise SettingsError(f"--osvi-concurrency: {value!r} is not a number from 1 to "
                            f"{MAX_CONCURRENCY}; write e.g. --osvi-concurrency 16 "
                            "(1 runs one scenario at a time)")
    return count


def _limiter(rate: str | float | None, burst: str | float | None,
             share: int) -> TokenBucket | None:
    """The run's token bucket; ``share`` splits the rate between xdist workers."""
    if rate is None or rate == "":
        if burst not in (None, ""):
            raise SettingsError("--osvi-burst needs --osvi-rate: the burst is part of a rate "
                                "limit")
        return None
    try:
        per_second = parse_rate(rate) / max(1, share)
    except RateError as error:
        raise SettingsError(f"--osvi-rate: {error}") from None
    size: float | None = None
    if burst not in (None, ""):
        try:
            size = float(burst)
        except (TypeError, ValueError):
            size = 0.0
        if size < 1:
            raise SettingsError(f"--osvi-burst: {burst!r} is not a number of requests of 1 "
                                "or more")
        size = size / max(1, share)
    return TokenBucket(per_second, size)
