"""Run settings gathered from options, environment and ini, checked once.

Kept free of pytest so the CLI and benchmarks build targets the same way. The
names, defaults and precedence come from the option table
(:mod:`runner.core.options`). The token is read only from the environment (a
command-line flag would show up in process lists and CI logs) and is never part
of any repr.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx

from runner.core.errors import RunnerError
from runner.core.options import (
    BASE_URL_ENV,
    DEFAULT_PATTERNS,
    MOCK_DESCRIPTION,
    TOKEN_ENV,
    OptionValueError,
    int_value,
    option,
)
from runner.core.sizes import SIZE_HELP, SizeError, parse_size
from runner.execution.answer_limits import DEFAULT_MAX_RESPONSE
from runner.execution.client import DEFAULT_RETRIES
from runner.execution.open_sessions import OpenSessions
from runner.execution.ratelimit import RateError, TokenBucket, parse_rate
from runner.execution.targets import LiveTarget, MockTarget, Target, public_url
from runner.language.durations import DURATION_HELP, DurationError, parse_duration

# The table's defaults, as values (tests check that the two agree).
DEFAULT_TIMEOUT = 30.0
DEFAULT_MAX_WAIT = 60.0
# The vendor's tokens have 16 characters; a much shorter one could not be told
# apart from ordinary text when it is masked in reports.
MIN_TOKEN_LENGTH = 8
# The keywords of build_settings that come from the option table.
SETTING_NAMES = ("target", "base_url", "agent", "timeout", "max_wait", "scenario_timeout",
                 "patterns", "retries", "contract", "keep_sessions", "concurrency", "rate",
                 "burst", "max_response")


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
            return MOCK_DESCRIPTION
        agent = f", agent {self.agent}" if self.agent else ""
        return f"live {public_url(self.base_url)}{agent}"


def _duration(name: str, value: str | float | None) -> float | None:
    """The option's value in seconds; unset gives its default from the table (or None)."""
    if value is None or value == "":
        value = option(name).default
        if value is None:
            return None
    if isinstance(value, str) and _BARE_NUMBER.fullmatch(value.strip()):
        # A bare number is seconds, as in pytest-timeout and httpx: `--osvi-timeout 3`.
        return float(value)
    try:
        return parse_duration(value)
    except DurationError:
        raise SettingsError(f"{option(name).flag}: {value!r} is not a duration; "
                            f"{DURATION_HELP}") from None


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


def _int(name: str, value: str | int | None) -> int:
    try:
        number = int_value(option(name), value)
    except OptionValueError as error:
        raise SettingsError(str(error)) from None
    assert number is not None  # every int setting has a default
    return number


def _choice(name: str, value: str | None) -> str:
    item = option(name)
    chosen = value or item.default
    if chosen not in item.choices:
        raise SettingsError(f"{item.flag}: {chosen!r} is not one of {', '.join(item.choices)}")
    return chosen


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
    choice = _choice("target", target)
    url = base_url or None
    if choice == "mock":
        url = None
    elif choice == "live" and url is None:
        raise SettingsError("--osvi-target live needs a base URL: pass --osvi-base-url "
                            f"https://api.osvi.ai or set {BASE_URL_ENV}")
    token = env.get(TOKEN_ENV) or None
    if url is not None:
        _check_url(url)
        if token is None:
            raise SettingsError(
                f"the live target {public_url(url)} needs an API token: export "
                f"{TOKEN_ENV}=<your token> (it is never printed or stored), "
                f"or drop --osvi-base-url/{BASE_URL_ENV} to use the embedded mock")
        _check_token(token)
    timeout_s = _duration("timeout", timeout)
    if timeout_s is not None and timeout_s <= 0:
        raise SettingsError("--osvi-timeout must be more than 0")
    max_wait_s = _duration("max_wait", max_wait)
    scenario_s = _duration("scenario_timeout", scenario_timeout)
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
        retries=_int("retries", retries),
        contract=_choice("contract", contract),
        keep_sessions=keep_sessions,
        concurrency=_int("concurrency", concurrency),
        limiter=_limiter(rate, burst, rate_share),
        max_response=_max_response(max_response),
    )


def settings_from(values: Mapping[str, Any], env: Mapping[str, str],
                  rate_share: int = 1) -> Settings:
    """Settings from merged option values (:func:`runner.core.options.merge`)."""
    chosen: dict[str, Any] = {name: values.get(name) for name in SETTING_NAMES}
    chosen["keep_sessions"] = bool(chosen["keep_sessions"])
    return build_settings(**chosen, env=env, rate_share=rate_share)


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
