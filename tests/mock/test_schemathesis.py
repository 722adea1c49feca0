"""The contract and the mock agree: schemathesis finds nothing against ``osvi-mock serve``.

schemathesis reads ``schemas/osvi-chat-v1.openapi.yaml`` and throws generated
requests (valid and invalid ones) at a real ``osvi-mock serve`` on 127.0.0.1,
running every check that needs no state between requests. Its dictionaries
feed it real agent uuids and session ids, so requests get past the 404s.

The state a request meets is the one thing a schema cannot say: a plain
operator message outside support mode, or a `tell` during a takeover, are
valid requests the vendor documents a 422 for. So for support (and send
message, where an archived agent is such a state) a 422 counts as an answer
to a valid request. Deselect with ``-m "not slow"``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from runner.core.schemas import schema_path
from tests.mock.conftest import AGENTS_FILE, TOKEN
from tests.mock.serverproc import start_mock

# Checks that need state across requests (links between operations): not these.
STATEFUL_CHECKS = ("use_after_free", "ensure_resource_availability")
AGENTS = ["agent_basic", "agent_ops", "agent_locked", "agent_archived", "agent_ctxstr"]
EXAMPLES = 40  # per operation and phase: about 20 s in all


def _sessions(url: str) -> list[str]:
    """Sessions in every state a support command can meet: ai, support, closed, locked."""
    headers = {"API-Token": TOKEN}
    with httpx.Client(base_url=url, headers=headers, timeout=10) as client:
        def start(agent: str, customer: str) -> str:
            answer = client.post("/v1/chat/inbound", json={
                "agent_uuid": agent, "customer_id": customer, "content": "I need a person"})
            session_id: str = answer.json()["data"]["session_id"]
            return session_id

        ai, held, closed = (start("agent_basic", name) for name in ("ai", "held", "closed"))
        locked = start("agent_locked", "locked")
        client.post(f"/v1/chat/session/{held}/support", json={"command": "takeover"})
        client.post(f"/v1/chat/session/{closed}/support", json={"command": "close"})
    return [ai, held, closed, locked]


def _config(sessions: list[str]) -> str:
    statuses = json.dumps(["2xx", "401", "403", "404", "422"])
    return "\n".join([
        "[dictionaries]",
        f"agents = {{ values = {json.dumps(AGENTS)} }}",
        f"sessions = {{ values = {json.dumps(sessions)} }}",
        "[parameters]",
        '"body.agent_uuid" = { dictionary = "agents", probability = 0.8 }',
        '"path.id" = { dictionary = "sessions", probability = 0.9 }',
        *(line for name in ("POST /v1/chat/session/{id}/support", "POST /v1/chat/inbound")
          for line in ("[[operations]]", f'include-name = "{name}"',
                       f"checks.positive_data_acceptance.expected-statuses = {statuses}")),
        "",
    ])


@pytest.mark.slow
@pytest.mark.timeout(180)
def test_schemathesis_finds_nothing_against_osvi_mock_serve(tmp_path: Path) -> None:
    served = start_mock(tmp_path / "server", "--agents", str(AGENTS_FILE),
                        env={"OSVI_MOCK_TOKEN": TOKEN})
    try:
        config = tmp_path / "schemathesis.toml"
        config.write_text(_config(_sessions(served.url)), encoding="utf-8")
        # Only 127.0.0.1: no proxy, and nothing else to fetch (the schema is a file).
        env = {key: value for key, value in os.environ.items()
               if not key.lower().endswith("_proxy")}
        # Hypothesis's Unicode tables (about 1 s to build) kept from run to run, with the
        # project's own hypothesis tests' (.hypothesis/ is git-ignored).
        env["HYPOTHESIS_STORAGE_DIRECTORY"] = str(Path(__file__).parents[2] / ".hypothesis")
        result = subprocess.run(
            [sys.executable, "-m", "schemathesis.cli", "--config-file", str(config), "run",
             str(schema_path("osvi-chat-v1.openapi.yaml")), "--url", served.url,
             "--header", f"API-Token: {TOKEN}",
             "--checks", "all", "--exclude-checks", ",".join(STATEFUL_CHECKS),
             "--phases", "examples,coverage,fuzzing", "--max-examples", str(EXAMPLES),
             "--seed", "20240611", "--generation-database", "none", "--no-color",
             "--workers", "1", "--request-timeout", "10"],
            capture_output=True, text=True, timeout=150, cwd=tmp_path, env=env)
    finally:
        assert served.stop() == 0
    report = result.stdout + result.stderr
    assert result.returncode == 0, report[-6000:]
    assert "3 selected / 3 total" in report
    assert "Traceback" not in served.output(), served.output()[-3000:]
