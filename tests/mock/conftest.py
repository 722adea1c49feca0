"""Fixtures for the mock's tests.

``api`` runs each contract test twice: in process (httpx over ASGI, a fresh
engine per test) and against one ``osvi-mock serve`` process over real HTTP.
Every response it returns has been checked against the OpenAPI contract.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from runner.mock import Engine, ManualClock, create_app, load_agents_file
from tests.mock.contract import check_response
from tests.mock.serverproc import ServedMock, start_mock

TOKEN = "test-token-12345"
AGENTS_FILE = Path(__file__).with_name("agents.yaml")
_UNSET: Any = object()

Requester = Callable[[str, str, bytes | None, dict[str, str]], httpx.Response]


@dataclass
class Reply:
    status: int
    headers: httpx.Headers
    content: bytes
    body: Any

    @property
    def data(self) -> dict[str, Any]:
        assert self.status == 200, f"expected 200, got {self.status}: {self.body!r}"
        assert self.body["success"] is True
        data = self.body["data"]
        assert isinstance(data, dict)
        return data

    @property
    def error(self) -> str:
        assert self.body["success"] is False, self.body
        return str(self.body["error"])

    @property
    def upstream(self) -> Any:
        return self.body["upstream_body"]


class Api:
    """A small client for the mock; ``kind`` is "inprocess" or "served"."""

    def __init__(self, kind: str, request: Requester, engine: Engine | None = None) -> None:
        self.kind = kind
        self._request = request
        self.engine = engine

    def call(self, method: str, path: str, body: Any = _UNSET, *, content: bytes | None = None,
             token: str | None = TOKEN, contract: bool = True) -> Reply:
        headers = {"content-type": "application/json"}
        if token is not None:
            headers["API-Token"] = token
        if body is not _UNSET:
            content = json.dumps(body).encode()
        response = self._request(method, path, content, headers)
        decoded: Any = None
        if contract:
            decoded = check_response(method, path, response.status_code,
                                     {k.lower(): v for k, v in response.headers.items()},
                                     response.content)
        elif response.headers.get("content-type", "").startswith("application/json"):
            decoded = response.json()
        return Reply(response.status_code, response.headers, response.content, decoded)

    def post(self, path: str, body: Any = _UNSET, **options: Any) -> Reply:
        return self.call("POST", path, body, **options)

    def get(self, path: str, **options: Any) -> Reply:
        return self.call("GET", path, **options)

    @staticmethod
    def customer() -> str:
        return f"cust-{uuid.uuid4().hex[:12]}"

    def inbound(self, content: str, *, agent: str = "agent_basic", customer: str | None = None,
                contract: bool = True, **extra: Any) -> Reply:
        """A customer message; ``extra`` goes into the body (e.g. ``session_id``)."""
        body = {"agent_uuid": agent, "customer_id": customer or self.customer(),
                "content": content, **extra}
        return self.post("/v1/chat/inbound", body, contract=contract)

    def start(self, content: str = "Hello", *, agent: str = "agent_basic") -> tuple[str, str]:
        """A new session: (session_id, customer_id)."""
        customer = self.customer()
        return self.inbound(content, agent=agent, customer=customer).data["session_id"], customer

    def support(self, session_id: str, command: str | None = None, message: str | None = None,
                **options: Any) -> Reply:
        body: dict[str, Any] = {}
        if command is not None:
            body["command"] = command
        if message is not None:
            body["message"] = message
        return self.post(f"/v1/chat/session/{session_id}/support", body, **options)

    def inject(self, session_id: str, context: Any, **options: Any) -> Reply:
        return self.post(f"/v1/chat/session/{session_id}/inject_context", {"context": context},
                         **options)

    def advance(self, amount: Any) -> Reply:
        return self.post("/_mock/clock", {"advance": amount})

    def snapshot(self, session_id: str) -> dict[str, Any]:
        return self.get(f"/_mock/sessions/{session_id}").data


@pytest.fixture(scope="session")
def served_mock(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServedMock]:
    served = start_mock(tmp_path_factory.mktemp("osvi-mock"), "--agents", str(AGENTS_FILE),
                        env={"OSVI_MOCK_TOKEN": TOKEN})
    yield served
    assert served.stop() == 0
    assert TOKEN not in served.output()


@pytest.fixture(scope="session")
def served_client(served_mock: ServedMock) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=served_mock.url, timeout=15) as client:
        yield client


@pytest.fixture
def inprocess_api() -> Iterator[Api]:
    engine = Engine(load_agents_file(AGENTS_FILE), token=TOKEN, clock=ManualClock())
    loop = asyncio.new_event_loop()
    client = httpx.AsyncClient(transport=httpx.ASGITransport(app=create_app(engine)),
                               base_url="http://osvi-mock")

    def request(method: str, path: str, content: bytes | None,
                headers: dict[str, str]) -> httpx.Response:
        return loop.run_until_complete(
            client.request(method, path, content=content, headers=headers))

    yield Api("inprocess", request, engine)
    loop.run_until_complete(client.aclose())
    loop.close()


@pytest.fixture(params=["inprocess", "served"])
def api(request: pytest.FixtureRequest) -> Api:
    if request.param == "inprocess":
        result: Api = request.getfixturevalue("inprocess_api")
        return result
    client: httpx.Client = request.getfixturevalue("served_client")

    def send(method: str, path: str, content: bytes | None,
             headers: dict[str, str]) -> httpx.Response:
        return client.request(method, path, content=content, headers=headers)

    return Api("served", send)
