"""A ``request:`` step: one HTTP call as the scenario wrote it.

For what the other actions cannot send: a missing field, a wrong type, an
unknown command, no token or another one. It goes through the run's client
(retries, rate limit, size limits) but its answer is not held to the API
contract, since checking the refusal is the point.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx

from runner.execution.exchange import Exchange

TOKEN_HEADER = "API-Token"
_ENV_TOKEN = re.compile(r"^env\.([A-Za-z_][A-Za-z0-9_]*)$")
_ENV_PLACEHOLDER = re.compile(r"^\{\{\s*env\.([A-Za-z_][A-Za-z0-9_]*)\s*\}\}$")


class RawRequestError(Exception):
    """A request that cannot be sent as written (an unset variable for its token)."""


@dataclass(frozen=True)
class RawCall:
    method: str
    path: str
    json: Any = None
    has_json: bool = False
    text: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    send_token: bool = True
    token: str | None = None  # None: the run's own token

    def recorded_body(self) -> dict[str, Any]:
        """What the transcript shows as the request body (never the headers)."""
        if self.text is not None:
            return {"body": self.text}
        if isinstance(self.json, dict):
            return dict(self.json)
        return {"json": self.json} if self.has_json else {}

    def build(self, http: httpx.AsyncClient, exchange: Exchange,
              timeout: float) -> httpx.Request:
        content = self.text.encode("utf-8") if self.text is not None else None
        request = http.build_request(self.method, exchange.path, timeout=timeout,
                                     headers=self.headers, content=content,
                                     json=self.json if self.has_json else None)
        if not self.send_token:
            request.headers.pop(TOKEN_HEADER, None)
        elif self.token is not None:
            request.headers[TOKEN_HEADER] = self.token
        return request


def step_token(spec: Any, env: Mapping[str, str]) -> str | None:
    """The literal token a ``request`` step's ``token:`` names (to mask it), or None."""
    if not isinstance(spec, str) or spec in ("default", "none"):
        return None
    match = _ENV_TOKEN.match(spec) or _ENV_PLACEHOLDER.match(spec)
    if match:
        return env.get(match.group(1))
    return spec if "{{" not in spec else None


def raw_call(value: Mapping[str, Any], env: Mapping[str, str]) -> RawCall:
    """The call a ``request:`` step (placeholders filled in) describes."""
    spec = value.get("token", "default")
    send, token = True, None
    if spec == "none":
        send = False
    elif spec != "default":
        match = _ENV_TOKEN.match(str(spec))
        if match and match.group(1) not in env:
            raise RawRequestError(f"`token: {spec}`: the environment variable "
                                  f"{match.group(1)} is not set")
        token = step_token(spec, env) if match else str(spec)
    headers = {str(k): str(v) for k, v in (value.get("headers") or {}).items()}
    return RawCall(method=str(value["method"]), path=str(value["path"]),
                   json=value.get("json"), has_json="json" in value,
                   text=str(value["body"]) if "body" in value else None,
                   headers=headers, send_token=send, token=token)
