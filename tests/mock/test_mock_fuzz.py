"""Property tests: random requests never make the mock fail or break the contract,
and random agent specs never make validation raise."""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import MutableMapping
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from runner.core.errors import Problem
from runner.core.schemas import load_schema
from runner.language.matchers import TEXT_MATCHER_KEYS
from runner.language.mock_agent import WHEN_FIELDS
from runner.mock import Engine, MockAgent, create_app, load_agents_file, validate_agent_spec
from tests.mock.conftest import AGENTS_FILE, TOKEN
from tests.mock.contract import check_response

# MOCK_FUZZ_EXAMPLES=5000 digs deeper than the default quick run.
EXAMPLES = int(os.environ.get("MOCK_FUZZ_EXAMPLES", "200"))
# Agents whose answers are all inside the contract (no raw-body faults, no latency).
FUZZ_AGENTS = ("agent_basic", "agent_ops", "agent_locked", "agent_archived", "agent_ctxstr")
SESSION_SLOTS = ("S0", "S1", "S2")

scalars = (st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False)
           | st.text(max_size=20))
json_values = st.recursive(
    scalars, lambda inner: st.lists(inner, max_size=3)
    | st.dictionaries(st.text(max_size=6), inner, max_size=3), max_leaves=6)
field_values = st.one_of(
    json_values,
    st.sampled_from(["", "  ", *FUZZ_AGENTS, "agent_nobody", "takeover", "tell", "whisper",
                     "end", "close", "refund", "a human please", *SESSION_SLOTS, "31m"]))
bodies = st.fixed_dictionaries({}, optional={
    key: field_values for key in ("agent_uuid", "customer_id", "content", "session_id",
                                  "command", "message", "context", "advance")})
raw_bodies = st.one_of(
    bodies.map(lambda b: json.dumps(b).encode()),
    json_values.map(lambda v: json.dumps(v).encode()),
    st.binary(max_size=40),
)
paths = st.sampled_from([
    "/v1/chat/inbound", "/v1/chat/session/{S}/support", "/v1/chat/session/{S}/inject_context",
    "/_mock/sessions/{S}", "/_mock/clock",
])
methods = st.sampled_from(["POST", "POST", "POST", "GET"])
slots = st.sampled_from([*SESSION_SLOTS, "unknown-session"])


class _Fixture:
    """One engine for the whole property run, so state piles up as it would in use."""

    def __init__(self) -> None:
        agents = load_agents_file(AGENTS_FILE)
        self.engine = Engine({name: agents[name] for name in FUZZ_AGENTS}, token=TOKEN)
        self.app = create_app(self.engine)
        self.loop = asyncio.new_event_loop()
        self.sessions: dict[str, str] = {}
        for index, slot in enumerate(SESSION_SLOTS):
            status, _, body = self.call("POST", "/v1/chat/inbound", json.dumps({
                "agent_uuid": FUZZ_AGENTS[index], "customer_id": f"fuzz-{index}",
                "content": "hello"}).encode())
            assert status == 200, body
            self.sessions[slot] = json.loads(body)["data"]["session_id"]

    def substitute(self, value: Any) -> Any:
        if isinstance(value, str):
            return self.sessions.get(value, value)
        if isinstance(value, dict):
            return {k: self.substitute(v) for k, v in value.items()}
        return value

    def call(self, method: str, path: str, body: bytes) -> tuple[int, dict[str, str], bytes]:
        return self.loop.run_until_complete(self._call(method, path, body))

    async def _call(self, method: str, path: str,
                    body: bytes) -> tuple[int, dict[str, str], bytes]:
        scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1",
                 "method": method, "path": path, "raw_path": path.encode(), "query_string": b"",
                 "headers": [(b"api-token", TOKEN.encode()),
                             (b"content-type", b"application/json")]}
        sent: list[MutableMapping[str, Any]] = []

        async def receive() -> dict[str, Any]:
            return {"type": "http.request", "body": body, "more_body": False}

        async def send(message: MutableMapping[str, Any]) -> None:
            sent.append(message)

        await self.app(scope, receive, send)
        start, content = sent[0], sent[1]
        headers = {k.decode(): v.decode() for k, v in start["headers"]}
        return start["status"], headers, content["body"]


_fixture: _Fixture | None = None


def fixture() -> _Fixture:
    global _fixture
    if _fixture is None:
        _fixture = _Fixture()
    return _fixture


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(method=methods, path=paths, slot=slots, raw=raw_bodies, structured=bodies,
       use_structured=st.booleans())
def test_random_requests_never_fail_and_keep_the_contract(
        method: str, path: str, slot: str, raw: bytes, structured: dict[str, Any],
        use_structured: bool) -> None:
    fx = fixture()
    target = path.replace("{S}", fx.sessions.get(slot, slot))
    body = json.dumps(fx.substitute(structured)).encode() if use_structured else raw
    status, headers, content = fx.call(method, target, body)
    assert status < 500, content
    check_response(method, target, status, headers, content)


# -- agent specs -----------------------------------------------------------------------

# The mock language's keys, as its one definition (the schema) lists them.
_AGENT_SCHEMA = load_schema("mock-agent.schema.json")
AGENT_KEYS = tuple(_AGENT_SCHEMA["properties"])
RULE_KEYS = tuple(_AGENT_SCHEMA["$defs"]["rule"]["properties"])
AGENT_FAULT_KEYS = tuple(_AGENT_SCHEMA["$defs"]["agentFault"]["properties"])

spec_keys = st.sampled_from([*AGENT_KEYS, *RULE_KEYS, *AGENT_FAULT_KEYS, *WHEN_FIELDS,
                             *TEXT_MATCHER_KEYS, "status", "disabled_commands", "min", "max",
                             "True", "whenn", "reply_"])
spec_scalars = st.one_of(
    scalars,
    st.sampled_from(["(?i)refund", "(unclosed", "[a-", "200ms", "fast", "-1s", "{{ message }}",
                     "{{ var }}", "{{ bad", "inbound", "tell", "active", "archived", 502, 99,
                     "Retry-After", "line\nbreak"]),
)
spec_trees = st.recursive(
    spec_scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(spec_keys, inner, max_size=4),
    max_leaves=12)


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(spec=st.one_of(spec_trees, st.dictionaries(spec_keys, spec_trees, max_size=5)))
def test_validation_never_raises(spec: Any) -> None:
    for allow_variables in (True, False):
        problems = validate_agent_spec(spec, file="fuzz.yaml", allow_variables=allow_variables)
        assert all(isinstance(p, Problem) and p.line >= 1 and p.message for p in problems)
    if not validate_agent_spec(spec, file="fuzz.yaml", allow_variables=False):
        agent = MockAgent.from_spec(spec)  # a spec that validates also compiles
        assert isinstance(agent, MockAgent)
