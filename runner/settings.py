"""Run settings gathered from options, environment and ini, checked once.

Kept free of pytest so the CLI and benchmarks build targets the same way. The
token is read only from the environment (a command-line flag would show up in
process lists and CI logs) and is never part of any repr.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from runner.durations import DURATION_HELP, DurationError, parse_duration
from runner.errors import RunnerError
from runner.targets import LiveTarget, MockTarget, Target, public_url

DEFAULT_PATTERNS = ("*.scenario.yaml", "*.scenario.yml")
DEFAULT_TIMEOUT = 30.0
DEFAULT_MAX_WAIT = 60.0
TARGETS = ("auto", "mock", "live")


class SettingsError(RunnerError):
    pass


@dataclass(frozen=True)
class Settings:
    base_url: str | None = None
    token: str | None = field(default=None, repr=False)
    agent: str | None = None
    timeout: float = DEFAULT_TIMEOUT
    max_wait: float = DEFAULT_MAX_WAIT
    scenario_timeout: float | None = None
    patterns: tuple[str, ...] = DEFAULT_PATTERNS

    @property
    def live(self) -> bool:
        return self.base_url is not None

    def make_target(self) -> Target:
        if self.base_url is None:
            return MockTarget(timeout=self.timeout)
        assert self.token is not None
        return LiveTarget(base_url=self.base_url, token=self.token, timeout=self.timeout,
                          max_wait=self.max_wait)

    def describe(self) -> str:
        if self.base_url is None:
            return "embedded mock (in process, no network)"
        agent = f", agent {self.agent}" if self.agent else ""
        return f"live {public_url(self.base_url)}{agent}"


def _duration(name: str, value: str | float | None) -> float | None:
    if value is None or value == "":
        return None
    try:
        return parse_duration(value)
    except DurationError:
        raise SettingsError(f"{name}: {value!r} is not a duration; {DURATION_HELP}") from None


def build_settings(*, target: str | None, base_url: str | None, agent: str | None,
                   timeout: str | float | None, max_wait: str | float | None,
                   scenario_timeout: str | float | None, patterns: list[str] | None,
                   env: Mapping[str, str]) -> Settings:
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
        if not url.startswith(("http://", "https://")):
            raise SettingsError(f"--osvi-base-url: {public_url(url)!r} must start with "
                                "http:// or https://")
        if token is None:
            raise SettingsError(
                f"the live target {public_url(url)} needs an API token: export "
                "OSVI_API_TOKEN=<your token> (it is never printed or stored), "
                "or drop --osvi-base-url/OSVI_BASE_URL to use the embedded mock")
    timeout_s = _duration("--osvi-timeout", timeout)
    if timeout_s is not None and timeout_s <= 0:
        raise SettingsError("--osvi-timeout must be more than 0")
    max_wait_s = _duration("--osvi-max-wait", max_wait)
    return Settings(
        base_url=url,
        token=token if url is not None else None,
        agent=agent or None,
        timeout=timeout_s if timeout_s is not None else DEFAULT_TIMEOUT,
        max_wait=max_wait_s if max_wait_s is not None else DEFAULT_MAX_WAIT,
        scenario_timeout=_duration("--osvi-scenario-timeout", scenario_timeout),
        patterns=tuple(patterns) if patterns else DEFAULT_PATTERNS,
    )
