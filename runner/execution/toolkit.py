"""Settings of the prompt-regression toolkit: repetition, the LLM judge, transcripts.

Gathered once per run from options, environment and ini (command line beats
environment beats ini, as for the other settings) and checked here, so the
plugin stays a thin layer. The judge's API key comes only from the
environment, like the API token, and is one of the run's :attr:`secrets`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from runner.core.errors import RunnerError
from runner.core.options import JUDGE_KEY_ENV, OptionValueError, int_value, option
from runner.execution.ratelimit import RateError, TokenBucket, parse_rate
from runner.judging.judge import JudgeConfig, JudgeError, build_config

# The keywords of build_toolkit that come from the option table.
TOOLKIT_NAMES = ("repeat", "judge_url", "judge_model", "transcripts", "llm_cache",
                 "llm_cache_mode", "llm_prices", "llm_rate")


class ToolkitError(RunnerError):
    pass


@dataclass(frozen=True)
class ToolkitSettings:
    repeat: int | None = None  # --osvi-repeat: runs for every scenario
    judge: JudgeConfig | None = None
    transcripts: Path | None = None  # where each scenario's transcript JSON goes
    llm_rate: float | None = None  # --osvi-llm-rate: LLM calls a second, the whole run's
    # Masked even when no judge is used: a scenario could still put it in a text.
    judge_key: str | None = field(default=None, repr=False)

    @property
    def secrets(self) -> tuple[str, ...]:
        return (self.judge_key,) if self.judge_key else ()


def _repeat(value: str | int | None) -> int | None:
    try:
        return int_value(option("repeat"), value)
    except OptionValueError as error:
        raise ToolkitError(str(error)) from None


def build_toolkit(*, repeat: str | int | None, judge_url: str | None,
                  judge_model: str | None, transcripts: str | None, timeout: float,
                  env: Mapping[str, str], llm_cache: str | None = None,
                  llm_cache_mode: str | None = None,
                  llm_prices: str | None = None, llm_rate: str | float | None = None,
                  rate_share: int = 1) -> ToolkitSettings:
    """Check the merged values; only the judge's model and key are read from ``env``.

    ``rate_share``: the xdist workers that split ``--osvi-llm-rate`` between them.
    """
    llm = {"llm_cache": llm_cache, "llm_cache_mode": llm_cache_mode, "llm_prices": llm_prices}
    rate = _llm_rate(llm_rate)
    limiter = TokenBucket(rate / max(1, rate_share)) if rate is not None else None
    try:
        judge = build_config(judge_url, env, model=judge_model, timeout=timeout, llm=llm,
                             limiter=limiter)
    except (JudgeError, OptionValueError) as error:
        raise ToolkitError(str(error)) from None
    # The key may also come from the judge URL (https://user:KEY@host): masked either way.
    key = env.get(JUDGE_KEY_ENV) or (judge.api_key if judge is not None else None)
    return ToolkitSettings(repeat=_repeat(repeat), judge=judge,
                           transcripts=Path(transcripts) if transcripts else None,
                           llm_rate=rate, judge_key=key or None)


def _llm_rate(rate: str | float | None) -> float | None:
    """Calls a second for the run's LLM bucket: the same syntax and limiter as --osvi-rate,
    apart (each of ``rate_share`` workers takes its part)."""
    if rate is None or rate == "":
        return None
    try:
        return parse_rate(rate)
    except RateError as error:
        raise ToolkitError(f"--osvi-llm-rate: {error}") from None


def toolkit_from(values: Mapping[str, Any], env: Mapping[str, str],
                 timeout: float, rate_share: int = 1) -> ToolkitSettings:
    """The toolkit from merged option values (:func:`runner.core.options.merge`)."""
    chosen: dict[str, Any] = {name: values.get(name) for name in TOOLKIT_NAMES}
    return build_toolkit(**chosen, timeout=timeout, env=env, rate_share=rate_share)
