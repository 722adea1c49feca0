"""The conversations of conversation_suites.py as a plain loop: one ``httpx.Client``, no runner.

The floor any runner is measured against: the same six calls per conversation,
the same header, the same checks of each answer, one conversation after
another. Run as a script (the benchmark times the whole process)::

    OSVI_API_TOKEN=... python benchmarks/conversation_loop.py http://127.0.0.1:PORT 200

Exits 1 if any answer is not what the scenario expects.
"""

from __future__ import annotations

import os
import sys
import uuid
from typing import Any

import httpx

GREETING = "Hello! I can help with refunds and orders. What do you need?"
OPERATOR = "operator@example.com"


def says(http: httpx.Client, customer: str, text: str) -> dict[str, Any]:
    answer = http.post("/v1/chat/inbound", json={
        "agent_uuid": "agent_demo", "customer_id": customer, "content": text})
    answer.raise_for_status()
    data: dict[str, Any] = answer.json()["data"]
    return data


def support(http: httpx.Client, sid: str, body: dict[str, str]) -> dict[str, Any]:
    answer = http.post(f"/v1/chat/session/{sid}/support", json=body)
    answer.raise_for_status()
    data: dict[str, Any] = answer.json()["data"]
    return data


def main(base: str, count: int, token: str) -> int:
    run = uuid.uuid4().hex[:8]
    problems = 0
    with httpx.Client(base_url=base, headers={"API-Token": token}, timeout=30) as http:
        for n in range(count):
            customer = f"loop-{run}-{n}"
            first = says(http, customer, "Hi")
            problems += first["reply"] != GREETING or first["mode"] != "ai"
            sid = first["session_id"]
            taken = support(http, sid, {"command": "takeover"})
            problems += taken["state"] != "ok" or taken["active_human"] != OPERATOR
            guidance = f"I can refund order {n:05} today."
            whispered = support(http, sid, {"command": "whisper", "message": guidance})
            problems += whispered["state"] != "ok"
            problems += support(http, sid, {"command": "end"})["state"] != "ok"
            guided = says(http, customer, "Can I get my money back?")
            problems += (guided["reply"] != f"Thanks for waiting. {guidance}"
                         or guided["mode"] != "ai")
            problems += support(http, sid, {"command": "close"})["state"] != "ok"
    print(f"{count} conversations, {problems} problems")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], int(sys.argv[2]), os.environ["OSVI_API_TOKEN"]))
