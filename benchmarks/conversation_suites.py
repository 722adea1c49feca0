"""One six-step support conversation, as scenario files and as a Tavern suite.

Mixed traffic against the demo agent of ``osvi-mock serve``: the customer
says hello, an operator takes over, whispers guidance, hands back, the
customer asks again and gets the guided answer, and the session is closed.
Two inbound calls and four support commands, each answer checked the same way
by every tool (``conversation_loop.py`` is the plain httpx version). The
scenario closes its own session, so the runner sends no clean-up call: every
tool makes exactly six calls per conversation.
"""

from __future__ import annotations

from pathlib import Path

from benchmarks.suites import write_tavern_suite

STEPS = 6
GREETING = "Hello! I can help with refunds and orders. What do you need?"
OPERATOR = "operator@example.com"


def guidance(n: int) -> str:
    return f"I can refund order {n:05} today."


def guided_reply(n: int) -> str:
    # The demo agent's first rule: a pending whisper shapes the next reply.
    return f"Thanks for waiting. {guidance(n)}"


SCENARIO = """\
scenario: Guided refund {n}
tags: [bench]
steps:
  - customer: "Hi"
    expect: {{reply: "{greeting}", mode: ai}}
  - takeover: null
    expect: {{state: ok, active_human: "{operator}"}}
  - whisper: "{guidance}"
    expect: {{state: ok}}
  - end: null
    expect: {{state: ok}}
  - customer: "Can I get my money back?"
    expect: {{reply: "{reply}", mode: ai}}
  - close: null
    expect: {{state: ok}}
"""


def write_scenarios(folder: Path, count: int) -> Path:
    """``count`` scenario files, one conversation each, for this runner."""
    folder.mkdir(parents=True, exist_ok=True)
    for n in range(count):
        text = SCENARIO.format(n=n, greeting=GREETING, operator=OPERATOR,
                               guidance=guidance(n), reply=guided_reply(n))
        (folder / f"guided_{n:05}.scenario.yaml").write_text(text, "utf-8")
    return folder


# As a Tavern user would write it: requests by hand, the session id saved from
# the first answer, partial (non-strict) checks of the JSON answers.
_STAGE = """\
  - name: {name}
    request:
      url: "{{base}}{path}"
      method: POST
      headers: {{API-Token: "{{token}}"}}
      json: {body}
    response:
      status_code: 200
      json: {{data: {expect}}}
      strict: false
{save}"""
_SAVE_SID = "      save:\n        json:\n          sid: data.session_id\n"


def _tavern_test(n: int, customer: str) -> str:
    inbound, support = "/v1/chat/inbound", "/v1/chat/session/{sid}/support"

    def says(text: str) -> str:
        return f'{{agent_uuid: agent_demo, customer_id: "{customer}", content: "{text}"}}'

    def stage(name: str, path: str, body: str, expect: str, save: str = "") -> str:
        return _STAGE.format(name=name, path=path, body=body, expect=expect, save=save)

    stages = [
        stage("greeting", inbound, says("Hi"), f'{{reply: "{GREETING}", mode: ai}}', _SAVE_SID),
        stage("takeover", support, "{command: takeover}",
              f'{{state: ok, active_human: "{OPERATOR}"}}'),
        stage("whisper", support, f'{{command: whisper, message: "{guidance(n)}"}}',
              "{state: ok}"),
        stage("end", support, "{command: end}", "{state: ok}"),
        stage("guided answer", inbound, says("Can I get my money back?"),
              f'{{reply: "{guided_reply(n)}", mode: ai}}'),
        stage("close", support, "{command: close}", "{state: ok}"),
    ]
    return f"test_name: Guided refund {n}\n\nstages:\n" + "".join(stages)


def write_tavern(folder: Path, count: int, base: str, token: str) -> Path:
    """``count`` Tavern test files making the same calls, with a config naming the mock."""
    return write_tavern_suite(folder, count, base, token, _tavern_test, "guided")
