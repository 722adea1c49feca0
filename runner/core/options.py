"""Every run setting, declared once: flag, ini key, environment variable, kind, default, help.

The pytest options and ini keys, the ``osvi-scenarios`` options, the precedence
(command line, then environment, then ini) and the README's options table are
all derived from :data:`OPTIONS`; ``python -m runner.core.options`` prints that
table. Kept free of pytest, httpx and the rest of the library: the pytest entry
point imports it on every run, scenarios or not.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from runner.core.errors import RunnerError

# Environment variables, named here only.
BASE_URL_ENV = "OSVI_BASE_URL"
AGENT_ENV = "OSVI_AGENT_UUID"
TOKEN_ENV = "OSVI_API_TOKEN"
JUDGE_MODEL_ENV = "OSVI_JUDGE_MODEL"
JUDGE_KEY_ENV = "OSVI_JUDGE_API_KEY"

DEFAULT_PATTERNS = ("*.scenario.yaml", "*.scenario.yml")
MOCK_DESCRIPTION = "embedded mock (in process, no network)"

# What each kind of value is parsed as. "secret" is read from the environment only
# (a flag would show in process lists and CI logs); "flag" is a switch, "patterns"
# a list of file name patterns (ini only), "int" a whole number within `bounds`.
Kind = Literal["choice", "url", "text", "duration", "int", "number", "rate", "size", "flag",
               "path", "patterns", "secret"]
Tool = Literal["check", "record", "diff"]


class OptionValueError(RunnerError):
    """A value the option does not take; the message names the option and the fix."""


@dataclass(frozen=True)
class Option:
    name: str  # the setting: a key of merge()'s result and a build_settings keyword
    kind: Kind
    help: str  # plain text with `code`: pytest --help, osvi-scenarios --help, the README
    flag: str | None = None
    ini: str | None = None
    env: str | None = None
    default: str | None = None  # as a user writes it
    metavar: str | None = None
    choices: tuple[str, ...] = ()
    bounds: tuple[int, int] | None = None  # kind "int": smallest and largest value
    example: str = ""  # kind "int": the value a bad one's message suggests
    note: str = ""  # kind "int": said after the example, e.g. "(0 turns retries off)"
    unit: str = "a number"  # kind "int": what the value counts
    tools: tuple[Tool, ...] = ()  # the osvi-scenarios commands that take the flag too
    see: str | None = None  # the documentation page that says more, from the project root

    @property
    def dest(self) -> str:
        """The attribute the parsed flag lands in: ``--osvi-base-url`` → ``osvi_base_url``."""
        assert self.flag is not None
        return self.flag.lstrip("-").replace("-", "_")

    @property
    def shown(self) -> str:
        """The flag as documented, with what it takes: ``--osvi-target {auto,mock,live}``."""
        if self.flag is None:
            return ""
        if self.choices:
            return f"{self.flag} {{{','.join(self.choices)}}}"
        return f"{self.flag} {self.metavar}" if self.metavar else self.flag


SEMANTIC_MODEL_ENV = "OSVI_SEMANTIC_MODEL"


OPTIONS: tuple[Option, ...] = (
    Option("target", "choice", "where scenarios run: the embedded mock, the live API, or `auto`: "
           "live when a base URL is set", flag="--osvi-target", default="auto",
           choices=("auto", "mock", "live"), tools=("record",)),
    Option("base_url", "url", "the live API, e.g. `https://api.osvi.ai`; the token comes from "
           f"{TOKEN_ENV}", flag="--osvi-base-url", ini="osvi_base_url", env=BASE_URL_ENV,
           metavar="URL", tools=("record",)),
    Option("token", "secret", "the API token: from the environment only, never a flag; masked "
           "in every output", env=TOKEN_ENV),
    Option("agent", "text", "agent for scenarios without `agent:`", flag="--osvi-agent",
           ini="osvi_agent", env=AGENT_ENV, metavar="AGENT_UUID", tools=("record",)),
    Option("timeout", "duration", "time limit for one request, on the embedded mock too; a bare "
           "number is seconds: `--osvi-timeout 3`", flag="--osvi-timeout", ini="osvi_timeout",
           default="30s", metavar="DURATION", tools=("record",)),
    Option("max_wait", "duration", "longest real sleep for a `wait:` step against the live API "
           "(the mock only moves its clock)", flag="--osvi-max-wait", ini="osvi_max_wait",
           default="60s", metavar="DURATION", tools=("record",)),
    Option("scenario_timeout", "duration", "time limit for a whole scenario; a scenario's own "
           "`timeout:` wins", flag="--osvi-scenario-timeout", ini="osvi_scenario_timeout",
           metavar="DURATION"),
    Option("retries", "int", "live: how often a request is sent again when that is safe (the "
           "connection failed before sending, or 429/503 with Retry-After); `0` turns it off",
           flag="--osvi-retries", ini="osvi_retries", default="2", metavar="N", bounds=(0, 10),
           example="2", note="(0 turns retries off)", tools=("record",)),
    Option("contract", "choice", "check every answer against the API contract; an answer that "
           "breaks it ends its scenario as broken", flag="--osvi-contract", ini="osvi_contract",
           default="strict", choices=("strict", "off"), tools=("record",)),
    Option("keep_sessions", "flag", "live: leave the sessions a scenario opened open, instead of "
           "closing them when it ends", flag="--osvi-keep-sessions", ini="osvi_keep_sessions"),
    # More than 1000 at once is a mistake, not a plan: the API's own limits come first.
    Option("concurrency", "int", "run up to N scenarios at once in one event loop; steps stay in "
           "order and reports stay as in a sequential run", flag="--osvi-concurrency",
           ini="osvi_concurrency", default="1", metavar="N", bounds=(1, 1000), example="16",
           note="(1 runs one scenario at a time)", see="docs/scaling.md"),
    Option("rate", "rate", "at most RATE requests per second for the whole run: `5`, `0.5`, "
           "`120/min`; with -n, shared between the workers", flag="--osvi-rate", ini="osvi_rate",
           metavar="RATE", see="docs/scaling.md"),
    Option("burst", "number", "with --osvi-rate: up to N requests at once after a quiet spell "
           "(unset: one second's worth)", flag="--osvi-burst", ini="osvi_burst", metavar="N"),
    Option("max_response", "size", "largest answer read, as received and unpacked: `10MB`, "
           "`512KB` or bytes; a larger one breaks its scenario", flag="--osvi-max-response",
           ini="osvi_max_response", default="10MB", metavar="SIZE", tools=("record",)),
    Option("repeat", "int", "run every conversation N times, each with a fresh customer; a "
           "scenario passes at its `repeat.min_pass_rate`; overrides `repeat.runs`",
           flag="--osvi-repeat", ini="osvi_repeat", metavar="N", bounds=(1, 100), example="5",
           unit="a number of runs", see="docs/regression.md"),
    Option("judge_url", "url", "OpenAI-compatible endpoint for `judge:` matchers, e.g. "
           "`http://127.0.0.1:11434/v1`; without it, scenarios that use `judge:` are skipped",
           flag="--osvi-judge-url", ini="osvi_judge_url", metavar="URL",
           see="docs/regression.md"),
    Option("judge_model", "text", "the judge's model", ini="osvi_judge_model",
           env=JUDGE_MODEL_ENV),
    Option("judge_key", "secret", "the judge's API key: from the environment only; masked like "
           "the token", env=JUDGE_KEY_ENV),
    Option("llm_cache", "path", "keep the judge's answers in DIR, so the same question is never "
           "paid for twice, in this run or the next; without it they are kept for the run only",
           flag="--osvi-llm-cache", ini="osvi_llm_cache", metavar="DIR",
           see="docs/regression.md"),
    Option("llm_cache_mode", "choice", "`use` the cache and add to it; `refresh` ask again and "
           "overwrite; `off` neither read nor write; `replay` answer only from the cache (a "
           "question not in it breaks its scenario)", flag="--osvi-llm-cache-mode",
           ini="osvi_llm_cache_mode", default="use", choices=("use", "refresh", "off", "replay"),
           see="docs/regression.md"),
    Option("llm_prices", "text", "prices per million input and output tokens, e.g. `0.15/0.60`: "
           "the reports add the cost of the judge's calls to their token use",
           flag="--osvi-llm-prices", ini="osvi_llm_prices", metavar="IN/OUT",
           see="docs/regression.md"),
    Option("llm_rate", "rate", "at most RATE calls per second to the LLM (judge, simulated "
           "customer and operator), apart from --osvi-rate: `1`, `60/min`; answers from the "
           "cache do not count; with -n, shared between the workers", flag="--osvi-llm-rate",
           ini="osvi_llm_rate", metavar="RATE", see="docs/simulation.md"),
    Option("semantic_model", "path", "the embedding model `similar_to` uses: a folder holding "
           "`model.onnx` and `tokenizer.json`, or an installed package carrying them; nothing is "
           "ever downloaded; `OSVI_SEMANTIC_MODEL` sets it too, checked where `similar_to` is "
           "first used", flag="--osvi-semantic-model", ini="osvi_semantic_model",
           metavar="PATH_OR_NAME", see="docs/regression.md"),
    Option("transcripts", "path", "write one JSON transcript per scenario into DIR, for "
           "`osvi-scenarios diff`; old ones are removed first", flag="--osvi-transcripts",
           ini="osvi_transcripts", metavar="DIR", see="docs/regression.md"),
    Option("patterns", "patterns", "file name patterns of scenario files", ini="osvi_patterns",
           default=" ".join(DEFAULT_PATTERNS)),
    Option("allow_outside_root", "flag", "let `mock:` name files outside the project folder; "
           "their content is never quoted", flag="--osvi-allow-outside-root",
           ini="osvi_allow_outside_root", tools=("check",),
           see="docs/errors.md#files-a-scenario-names"),
)
_BY_NAME = {option.name: option for option in OPTIONS}


def option(name: str) -> Option:
    return _BY_NAME[name]


def is_unset(value: Any) -> bool:
    """None, an empty string or list, or a switch left off: the next source decides."""
    return value is None or value is False or value == "" or value == []


def merge(flags: Callable[[Option], Any], env: Mapping[str, str],
          ini: Callable[[Option], Any]) -> dict[str, Any]:
    """Every setting's raw value: the command line beats the environment beats the ini file.

    ``flags`` and ``ini`` give an option's value from each source (only asked for
    options that have a flag or an ini key). Secrets are not merged: they are
    read from the environment where they are used. Unset is None.
    """
    values: dict[str, Any] = {}
    for item in OPTIONS:
        if item.kind == "secret":
            continue
        found = (flags(item) if item.flag else None,
                 env.get(item.env) if item.env else None,
                 ini(item) if item.ini else None)
        values[item.name] = next((value for value in found if not is_unset(value)), None)
    return values


def int_value(item: Option, value: str | int | None) -> int | None:
    """A whole number within the option's bounds; unset gives its default (or None)."""
    if is_unset(value):
        if item.default is None:
            return None
        value = item.default
    assert item.bounds is not None
    low, high = item.bounds
    try:
        number = int(value)  # type: ignore[arg-type]  # an int or the text of one
    except (TypeError, ValueError):
        number = low - 1
    if not low <= number <= high:
        hint = f" {item.note}" if item.note else ""
        raise OptionValueError(f"{item.flag}: {value!r} is not {item.unit} from {low} to "
                               f"{high}; write e.g. {item.flag} {item.example}{hint}")
    return number


def help_text(item: Option, *, ini: bool = True) -> str:
    """An option's help as ``--help`` shows it: what it does, default, environment, ini key.

    ``ini=False`` for osvi-scenarios, which reads no ini file.
    """
    extra = [f"default {item.default}"] if item.default else []
    if item.env:
        extra.append(f"also {item.env}")
    if item.ini and ini:
        extra.append(f"ini {item.ini}")
    if item.see:
        extra.append(f"see {item.see}")
    return item.help + (f" ({'; '.join(extra)})" if extra else "")


def argparse_spec(item: Option, *, ini: bool = True) -> dict[str, Any]:
    """``add_argument`` keywords for the flag; the same for pytest and osvi-scenarios."""
    spec: dict[str, Any] = {"dest": item.dest, "default": None,
                            "help": help_text(item, ini=ini).replace("%", "%%")}
    if item.kind == "flag":
        spec["action"] = "store_true"
    elif item.choices:
        spec["choices"] = item.choices
    else:
        spec["metavar"] = item.metavar
    return spec


def markdown_table() -> str:
    """The README's options table."""
    lines = ["| option | ini | environment | default | osvi-scenarios | meaning |",
             "| --- | --- | --- | --- | --- | --- |"]
    for item in OPTIONS:
        meaning = item.help
        if item.see:
            page = item.see.split("#")[0].rsplit("/", 1)[-1].removesuffix(".md")
            meaning += f" (see [{page}]({item.see}))"
        cells = [_code(item.shown), _code(item.ini), _code(item.env), _code(item.default),
                 ", ".join(item.tools), meaning.replace("|", "\\|")]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def _code(text: str | None) -> str:
    return f"`{text}`" if text else ""


def main() -> int:
    """Print the README's options table, to paste between its markers."""
    sys.stdout.write(markdown_table())
    return 0


if __name__ == "__main__":
    sys.exit(main())
