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

from runner.core.errors import RunnerError
from runner.execution.repeat import MAX_RUNS
from runner.judging.judge import KEY_ENV, JudgeConfig, JudgeError, build_config


class ToolkitError(RunnerError):
    pass


@dataclass(frozen=True)
class ToolkitSettings:
    repeat: int | None = None  # --osvi-repeat: runs for every scenario
    judge: JudgeConfig | None = None
    transcripts: Path | None = None  # where each scenario's transcript JSON goes
    # Masked even when no judge is used: a scenario could still put it in a text.
    judge_key: str | None = field(default=None, repr=False)

    @property
    def secrets(self) -> tuple[str, ...]:
        return (self.judge_key,) if self.judge_key else ()


def _repeat(value: str | int | None) -> int | None:
    if value is None or value == "":
        return None
    try:
        runs = int(value)
    except (TypeError, ValueError):
        runs = 0
    if not 1 <= runs <= MAX_RUNS:
        raise ToolkitError(f"--osvi-repeat: {value!r} is not a number of runs from 1 to "
                           f"{MAX_RUNS}; write e.g. --osvi-repeat 5")
    return runs


def build_toolkit(*, repeat: str | int | None, judge_url: str | None,
                  judge_model: str | None, transcripts: str | None, timeout: float,
                  env: Mapping[str, str]) -> ToolkitSettings:
    """Check the merged values; only the judge's model and key are read from ``env``."""
    try:
        judge = build_config(judge_url, env, model=judge_model, timeout=timeout)
    except JudgeError as error:
        raise ToolkitError(str(error)) from None
    return ToolkitSettings(repeat=_repeat(repeat), judge=judge,
                           transcripts=Path(transcripts) if transcripts else None,
                           judge_key=env.get(KEY_ENV) or None)
