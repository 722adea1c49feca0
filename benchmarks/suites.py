"""The same conversation three ways: a scenario file, a Tavern test, a plain httpx script.

Six calls against the demo agent of ``osvi-mock serve``, each with a check on
the answer: a greeting, the refund flow (two turns), injected context, a
takeover and a close. Every tool gets its own customer per conversation.
"""

from __future__ import annotations

import textwrap
import uuid
from collections.abc import Callable
from pathlib import Path

STEPS = 6

SCENARIO = """\
scenario: Refund flow {n}
tags: [bench]
steps:
  - customer: "Hi"
    expect: {{reply: {{contains: "help"}}, mode: ai}}
  - customer: "I want a refund"
    expect: {{state: collect_order}}
  - customer: "order 12345"
    expect: {{state: refund_started}}
  - inject_context: "VIP customer {n}"
    expect: {{context: {{contains: "VIP customer {n}"}}}}
  - takeover: null
    expect: {{state: ok}}
  - close: null
    expect: {{state: ok}}
"""


def write_scenarios(folder: Path, count: int) -> Path:
    """``count`` scenario files (one conversation each) for this runner."""
    folder.mkdir(parents=True, exist_ok=True)
    for n in range(count):
        (folder / f"refund_{n:05}.scenario.yaml").write_text(SCENARIO.format(n=n), "utf-8")
    return folder


# Tavern: requests are built by hand and the session id is saved from the first
# answer, as a Tavern user would write it.
_TAVERN_STAGE = """\
  - name: {name}
    request:
      url: "{{base}}{path}"
      method: POST
      headers: {{API-Token: "{{token}}"}}
      json: {body}
    response:
      status_code: 200
{check}"""


def _tavern_test(n: int, customer: str) -> str:
    inbound = "/v1/chat/inbound"
    support = "/v1/chat/session/{sid}/support"

    def says(text: str) -> str:
        return f'{{agent_uuid: agent_demo, customer_id: "{customer}", content: "{text}"}}'

    def state(value: str) -> str:
        return f"      json: {{data: {{state: {value}}}}}\n      strict: false\n"

    stages = [
        _TAVERN_STAGE.format(name="greeting", path=inbound, body=says("Hi"), check=(
            "      json: {data: {mode: ai}}\n      strict: false\n"
            "      save:\n        json:\n          sid: data.session_id\n")),
        _TAVERN_STAGE.format(name="refund", path=inbound, body=says("I want a refund"),
                             check=state("collect_order")),
        _TAVERN_STAGE.format(name="order number", path=inbound, body=says("order 12345"),
                             check=state("refund_started")),
        _TAVERN_STAGE.format(name="context", path="/v1/chat/session/{sid}/inject_context",
                             body=f'{{context: "VIP customer {n}"}}', check=""),
        _TAVERN_STAGE.format(name="takeover", path=support, body="{command: takeover}",
                             check=state("ok")),
        _TAVERN_STAGE.format(name="close", path=support, body="{command: close}",
                             check=state("ok")),
    ]
    return f"test_name: Refund flow {n}\n\nstages:\n" + "".join(stages)


def write_tavern(folder: Path, count: int, base: str, token: str) -> Path:
    """``count`` Tavern test files making the same requests, with a config for the URL."""
    return write_tavern_suite(folder, count, base, token, _tavern_test, "refund")


def write_tavern_suite(folder: Path, count: int, base: str, token: str,
                       test: Callable[[int, str], str], stem: str) -> Path:
    """``count`` Tavern files ``test(n, customer)``, with the config naming the mock."""
    folder.mkdir(parents=True, exist_ok=True)
    run = uuid.uuid4().hex[:8]
    for n in range(count):
        text = test(n, f"tavern-{run}-{n}")
        (folder / f"test_{stem}_{n:05}.tavern.yaml").write_text(text, "utf-8")
    (folder / "common.yaml").write_text(textwrap.dedent(f"""\
        name: bench
        description: where the mock is
        variables:
          base: "{base}"
          token: "{token}"
        """), "utf-8")
    # Tavern reads global variables from the file named by --tavern-global-cfg.
    (folder / "pytest.ini").write_text(
        "[pytest]\naddopts = --tavern-global-cfg=common.yaml\n", "utf-8")
    return folder


PLAIN = '''\
"""The same {count} conversations as plain httpx calls: the floor for any runner."""
import sys
import uuid

import httpx

base, token, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
run = uuid.uuid4().hex[:8]
problems = 0
with httpx.Client(base_url=base, headers={{"API-Token": token}}, timeout=30) as http:
    for n in range(count):
        customer = f"plain-{{run}}-{{n}}"

        def says(text):
            return http.post("/v1/chat/inbound", json={{
                "agent_uuid": "agent_demo", "customer_id": customer, "content": text}})

        first = says("Hi").json()["data"]
        problems += "help" not in first["reply"] or first["mode"] != "ai"
        sid = first["session_id"]
        problems += says("I want a refund").json()["data"]["state"] != "collect_order"
        problems += says("order 12345").json()["data"]["state"] != "refund_started"
        context = http.post(f"/v1/chat/session/{{sid}}/inject_context",
                            json={{"context": f"VIP customer {{n}}"}}).json()["data"]["context"]
        problems += f"VIP customer {{n}}" not in context
        for command in ("takeover", "close"):
            answer = http.post(f"/v1/chat/session/{{sid}}/support", json={{"command": command}})
            problems += answer.json()["data"]["state"] != "ok"
print(f"{{count}} conversations, {{problems}} problems")
sys.exit(1 if problems else 0)
'''


PLAIN_ASYNC = """\
\"\"\"The same conversations with httpx.AsyncClient, the HTTP stack this runner uses.\"\"\"
import asyncio
import sys
import uuid

import httpx

base, token, count = sys.argv[1], sys.argv[2], int(sys.argv[3])


async def main():
    run = uuid.uuid4().hex[:8]
    problems = 0
    async with httpx.AsyncClient(base_url=base, headers={"API-Token": token}, timeout=30) as http:
        for n in range(count):
            customer = f"plain-async-{run}-{n}"

            async def says(text):
                answer = await http.post("/v1/chat/inbound", json={
                    "agent_uuid": "agent_demo", "customer_id": customer, "content": text})
                return answer.json()["data"]

            first = await says("Hi")
            problems += "help" not in first["reply"] or first["mode"] != "ai"
            sid = first["session_id"]
            problems += (await says("I want a refund"))["state"] != "collect_order"
            problems += (await says("order 12345"))["state"] != "refund_started"
            answer = await http.post(f"/v1/chat/session/{sid}/inject_context",
                                     json={"context": f"VIP customer {n}"})
            problems += f"VIP customer {n}" not in answer.json()["data"]["context"]
            for command in ("takeover", "close"):
                answer = await http.post(f"/v1/chat/session/{sid}/support",
                                         json={"command": command})
                problems += answer.json()["data"]["state"] != "ok"
    print(f"{count} conversations, {problems} problems")
    return problems


sys.exit(1 if asyncio.run(main()) else 0)
"""


def write_plain(folder: Path, count: int) -> tuple[Path, Path]:
    """The plain scripts, sync (``httpx.Client``) and async (``httpx.AsyncClient``)."""
    folder.mkdir(parents=True, exist_ok=True)
    sync, concurrent = folder / "plain_httpx.py", folder / "plain_httpx_async.py"
    sync.write_text(PLAIN.format(count=count), "utf-8")
    concurrent.write_text(PLAIN_ASYNC, "utf-8")
    return sync, concurrent
