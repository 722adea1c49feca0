"""The LLM judge: an OpenAI-compatible chat-completions endpoint scores a reply.

A ``judge: {criteria, min_score}`` matcher sends the criteria, the customer's
message and the agent's reply, and asks for a JSON verdict
``{"score": 0..1, "pass": true|false, "reason": "..."}``. The score decides
(score ≥ min_score); the judge's own ``pass`` and its reason are kept for the
reports. Any problem asking the judge is a :class:`JudgeError` with a one-line
message, which breaks the step (the reply could not be judged).

The API key is sent only in the ``Authorization`` header and is registered
with the run's redactor; it never appears in a message from here.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx

from runner.core.errors import RunnerError
from runner.core.text import flat, shorten

MODEL_ENV = "OSVI_JUDGE_MODEL"
KEY_ENV = "OSVI_JUDGE_API_KEY"
COMPLETIONS = "/chat/completions"
_SYSTEM = (
    "You are a strict quality reviewer for a customer-service chat agent. You are given "
    "criteria, the customer's message and the agent's reply. Judge only the reply, "
    "against the criteria. Answer with one JSON object and nothing else: "
    '{"score": <a number from 0 to 1; 1 means the criteria are fully met>, '
    '"pass": <true or false>, "reason": "<one short sentence>"}'
)
_FENCE = re.compile(r"^```(?:json)?\s*|\s*```$", re.IGNORECASE)
_OBJECT = re.compile(r"\{.*\}", re.DOTALL)


class JudgeError(RunnerError):
    """The judge could not be asked, or did not answer with a usable verdict."""


@dataclass(frozen=True)
class Verdict:
    score: float
    reason: str
    passed: bool | None = None  # the judge's own opinion; the score decides


@dataclass(frozen=True)
class JudgeConfig:
    url: str  # the endpoint, ending in /chat/completions
    model: str
    api_key: str | None = field(default=None, repr=False)
    timeout: float = 30.0

    @property
    def shown_url(self) -> str:
        """The endpoint without credentials or query, safe to print."""
        parsed = httpx.URL(self.url)
        return str(parsed.copy_with(username=None, password=None, query=None, fragment=None))


def endpoint(url: str) -> str:
    """The chat-completions URL for a base URL (``…/v1``) or a full endpoint."""
    trimmed = url.rstrip("/")
    return trimmed if trimmed.endswith(COMPLETIONS) else trimmed + COMPLETIONS


def build_config(url: str | None, env: Mapping[str, str], *, model: str | None = None,
                 timeout: float = 30.0) -> JudgeConfig | None:
    """The judge settings, or None when no judge URL is set; raises JudgeError if unusable."""
    if not url:
        return None
    if not url.startswith(("http://", "https://")):
        raise JudgeError(f"--osvi-judge-url: {url!r} must start with http:// or https://")
    chosen = env.get(MODEL_ENV) or model
    if not chosen:
        raise JudgeError(f"--osvi-judge-url needs a model name: export {MODEL_ENV}=<model> "
                         "(or set the ini option osvi_judge_model)")
    return JudgeConfig(endpoint(url), chosen, env.get(KEY_ENV) or None, timeout)


def prompt(criteria: str, reply: str, customer: str | None) -> list[dict[str, str]]:
    said = customer if customer is not None else "(no customer message in this step)"
    user = (f"Criteria:\n{criteria}\n\nThe customer said:\n{said}\n\n"
            f"The agent replied:\n{reply}")
    return [{"role": "system", "content": _SYSTEM}, {"role": "user", "content": user}]


def _short(text: str, limit: int = 120) -> str:
    return shorten(flat(text), limit)


def parse_verdict(content: str) -> Verdict:
    """The verdict in the judge's answer text; tolerant of code fences and chatter."""
    text = _FENCE.sub("", content.strip())
    try:
        data: Any = json.loads(text)
    except ValueError:
        found = _OBJECT.search(text)
        try:
            data = json.loads(found.group(0)) if found else None
        except ValueError:
            data = None
    if not isinstance(data, dict):
        raise JudgeError(f"the judge's answer is not a JSON verdict: {_short(content)!r}")
    score = data.get("score")
    if isinstance(score, bool) or not isinstance(score, (int, float)) or not 0 <= score <= 1:
        raise JudgeError(f"the judge's verdict has no `score` from 0 to 1: {_short(text)!r}")
    passed = data.get("pass")
    reason = data.get("reason")
    return Verdict(float(score), _short(reason, 300) if isinstance(reason, str) else "",
                   passed if isinstance(passed, bool) else None)


class Judge:
    """Asks the configured endpoint; one instance per scenario run."""

    def __init__(self, config: JudgeConfig) -> None:
        self.config = config

    async def verdict(self, criteria: str, reply: str, customer: str | None = None) -> Verdict:
        config = self.config
        headers = {"Content-Type": "application/json"}
        if config.api_key:
            headers["Authorization"] = f"Bearer {config.api_key}"
        body = {"model": config.model, "temperature": 0,
                "messages": prompt(criteria, reply, customer)}
        where = config.shown_url
        try:
            async with httpx.AsyncClient(timeout=config.timeout) as http:
                response = await http.post(config.url, json=body, headers=headers)
        except httpx.TimeoutException:
            raise JudgeError(f"no answer from the judge at {where} within "
                             f"{config.timeout:g}s") from None
        except httpx.ConnectError:
            raise JudgeError(f"could not connect to the judge at {where}") from None
        except httpx.HTTPError as error:
            raise JudgeError(f"the request to the judge at {where} failed: "
                             f"{type(error).__name__}") from None
        if response.status_code != 200:
            raise JudgeError(f"the judge at {where} answered HTTP {response.status_code}: "
                             f"{_short(response.text)!r}")
        try:
            content = response.json()["choices"][0]["message"]["content"]
        except (ValueError, KeyError, IndexError, TypeError):
            raise JudgeError(f"the judge at {where} did not answer like a chat-completions "
                             f"API: {_short(response.text)!r}") from None
        if not isinstance(content, str):
            raise JudgeError(f"the judge at {where} sent no message content")
        return parse_verdict(content)


def uses_judge(tree: Any) -> bool:
    """Whether a scenario part (its steps' ``expect``, its invariants) asks the judge."""
    if isinstance(tree, dict):
        return "judge" in tree or any(uses_judge(v) for v in tree.values())
    if isinstance(tree, (list, tuple)):
        return any(uses_judge(v) for v in tree)
    return False
