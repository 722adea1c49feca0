"""Load test for ``osvi-mock serve``: throughput, latency, and no lost messages.

Starts the standalone server in a subprocess (auth on, logging one line per
request as in normal use), then drives it from this process with concurrent
clients, each owning one customer and session, using a realistic mix of
customer messages, whispers, tells, context injections and takeover/end cycles.
Afterwards every session's history (``GET /_mock/sessions/{id}``) must hold
exactly what its client sent and was answered, in order.

Two load generators, because a Python HTTP client can easily be the
bottleneck rather than the server:

* ``httpx``: one ``httpx.AsyncClient`` per client (what real test clients use);
* ``raw``: hand-written HTTP/1.1 over asyncio streams, one keep-alive
  connection per client, so the figure shows what the server can do.

Usage::

    .venv/bin/python benchmarks/mock_load.py                  # both generators
    .venv/bin/python benchmarks/mock_load.py --client raw --requests 50000

Exits non-zero on any error or history mismatch.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

TOKEN = "bench-token-0001"
AGENT = "agent_load"
AGENTS_YAML = f"""\
{AGENT}:
  initial_context: "Load test"
  replies:
    - when: {{whisper: {{matches: "."}}}}
      reply: "Guided ({{{{ whisper }}}}): {{{{ message }}}}"
    - when: "(?i)refund"
      reply: "Order number, please?"
      state: collect_order
    - when: {{state: "^collect_order$", message: "\\\\d+"}}
      reply: "Refund started for {{{{ message }}}}"
      state: done
    - when: "(?i)human"
      reply: "Getting a colleague."
      help_requested: true
  default_reply: "How can I help?"
"""
MESSAGES = ["Hello", "I want a refund", "12345", "Can I talk to a human?", "Thanks", "Où est "
            "ma commande ?", "order 777"]
Send = Callable[[str, str, dict[str, Any] | None], Awaitable[tuple[int, Any]]]


# -- the server ------------------------------------------------------------------------

def start_server(directory: Path, log_level: str, agents_yaml: str | None = AGENTS_YAML
                 ) -> tuple[subprocess.Popen[bytes], str, Path]:
    """``osvi-mock serve`` on a free port of 127.0.0.1; ``agents_yaml=None``: the demo agent."""
    agents: list[str] = []
    if agents_yaml is not None:
        (directory / "agents.yaml").write_text(agents_yaml, encoding="utf-8")
        agents = ["--agents", str(directory / "agents.yaml")]
    out, log = directory / "stdout.txt", directory / "server.log"
    env = {**os.environ, "OSVI_MOCK_TOKEN": TOKEN}
    with out.open("wb") as stdout, log.open("wb") as stderr:
        process = subprocess.Popen(
            [sys.executable, "-m", "runner.mock.server", "serve", "--host", "127.0.0.1",
             "--port", "0", *agents, "--log-level", log_level,
             "--max-history", "1000000"],  # every session is read back whole
            stdout=stdout, stderr=stderr, env=env)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        match = re.search(r"at (http://\S+) ", out.read_text())
        if match:
            return process, match.group(1), log
        if process.poll() is not None:
            break
        time.sleep(0.05)
    process.kill()
    raise SystemExit("the mock server did not start:\n" + log.read_text())


# -- load generators --------------------------------------------------------------------

class RawConnection:
    """Minimal HTTP/1.1 keep-alive client: enough for the mock's JSON answers."""

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def send(self, method: str, path: str, body: dict[str, Any] | None) -> tuple[int, Any]:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        assert self.reader is not None
        payload = json.dumps(body).encode() if body is not None else b""
        head = (f"{method} {path} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\n"
                f"API-Token: {TOKEN}\r\nContent-Type: application/json\r\n"
                f"Content-Length: {len(payload)}\r\n\r\n").encode()
        self.writer.write(head + payload)
        status_line = await self.reader.readline()
        status = int(status_line.split()[1])
        length = 0
        while True:
            line = await self.reader.readline()
            if line in (b"\r\n", b""):
                break
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value)
        content = await self.reader.readexactly(length)
        return status, json.loads(content)

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            await self.writer.wait_closed()


# -- the workload -----------------------------------------------------------------------

@dataclass
class Stats:
    latencies: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    budget: int = 0

    def take(self) -> bool:
        if self.budget <= 0:
            return False
        self.budget -= 1
        return True


@dataclass
class Expected:
    session_id: str = ""
    history: list[tuple[str, str]] = field(default_factory=list)
    context: list[str] = field(default_factory=lambda: ["Load test"])


async def timed(send: Send, stats: Stats, method: str, path: str,
                body: dict[str, Any] | None) -> tuple[int, Any]:
    started = time.perf_counter()
    status, data = await send(method, path, body)
    stats.latencies.append(time.perf_counter() - started)
    if status != 200:
        stats.errors.append(f"{method} {path} -> {status}: {data}")
    return status, data


async def client(number: int, send: Send, stats: Stats, expected: Expected, run: str) -> None:
    rng = random.Random(number)
    customer = f"load-{run}-{number}"
    mode = "ai"

    async def customer_says(text: str) -> None:
        status, data = await timed(send, stats, "POST", "/v1/chat/inbound", {
            "agent_uuid": AGENT, "customer_id": customer, "content": text})
        if status != 200:
            return
        reply = data["data"]
        if expected.session_id and reply["session_id"] != expected.session_id:
            stats.errors.append(f"client {number}: session changed")
        expected.session_id = reply["session_id"]
        expected.history.append(("customer", text))
        if mode == "support":
            if reply["reply"] is not None:
                stats.errors.append(f"client {number}: a reply during takeover")
        elif reply["reply"] is not None:
            expected.history.append(("agent", reply["reply"]))

    if not stats.take():
        return
    await customer_says("Hello")
    support = f"/v1/chat/session/{expected.session_id}/support"
    while True:
        roll = rng.random()
        if roll < 0.55:
            if not stats.take():
                return
            await customer_says(rng.choice(MESSAGES))
        elif roll < 0.70:
            if not stats.take():
                return
            text = f"whisper {number}-{len(expected.history)}"
            status, _ = await timed(send, stats, "POST", support,
                                    {"command": "whisper", "message": text})
            if status == 200:
                expected.history.append(("whisper", text))
        elif roll < 0.75:
            if not stats.take():
                return
            text = f"tell {number}-{len(expected.history)}"
            status, data = await timed(send, stats, "POST", support,
                                       {"command": "tell", "message": text})
            if status == 200:
                expected.history.append(("whisper", text))
                if data["data"]["reply"] is not None:
                    expected.history.append(("agent", data["data"]["reply"]))
        elif roll < 0.85:
            if not stats.take():
                return
            text = f"context {number}-{len(expected.context)}"
            status, data = await timed(
                send, stats, "POST", f"/v1/chat/session/{expected.session_id}/inject_context",
                {"context": text})
            if status == 200:
                expected.context.append(text)
                if data["data"]["context"] != expected.context:
                    stats.errors.append(f"client {number}: context bucket differs")
        else:
            if stats.budget < 3:
                continue  # too few requests left for a whole takeover cycle
            stats.budget -= 3
            await timed(send, stats, "POST", support, {"command": "takeover"})
            mode = "support"
            await customer_says("Is anyone there?")
            await timed(send, stats, "POST", support, {"command": "end"})
            mode = "ai"


async def verify(send: Send, expected: list[Expected]) -> list[str]:
    problems = []
    for number, exp in enumerate(expected):
        if not exp.session_id:
            continue
        status, data = await send("GET", f"/_mock/sessions/{exp.session_id}", None)
        if status != 200:
            problems.append(f"session {exp.session_id}: {status}")
            continue
        history = [(h["role"], h["text"]) for h in data["data"]["history"]]
        if history != exp.history:
            problems.append(f"client {number}: history differs ({len(history)} recorded, "
                            f"{len(exp.history)} expected)")
        if data["data"]["context"] != exp.context:
            problems.append(f"client {number}: context differs")
    return problems


@dataclass
class Result:
    name: str
    requests: int
    seconds: float
    latencies: list[float]
    errors: list[str]
    mismatches: list[str]
    sessions: int

    def report(self) -> str:
        ordered = sorted(self.latencies)
        p50 = statistics.median(ordered) * 1000
        p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] * 1000
        return (f"{self.name:6} {self.requests:7d} requests in {self.seconds:6.2f}s = "
                f"{self.requests / self.seconds:7.0f} req/s   p50 {p50:6.2f} ms   "
                f"p99 {p99:6.2f} ms   errors {len(self.errors)}   "
                f"histories {self.sessions - len(self.mismatches)}/{self.sessions} ok")


async def run(name: str, url: str, clients: int, total: int) -> Result:
    stats = Stats(budget=total)
    expected = [Expected() for _ in range(clients)]
    host, port = url.removeprefix("http://").rsplit(":", 1)
    if name == "httpx":
        # One AsyncClient per simulated client, as independent clients would have: a
        # single shared pool serialises on its lock and measures httpcore, not the server.
        https = [httpx.AsyncClient(base_url=url, headers={"API-Token": TOKEN}, timeout=30)
                 for _ in range(clients)]

        def sender(http: httpx.AsyncClient) -> Send:
            async def send(method: str, path: str,
                           body: dict[str, Any] | None) -> tuple[int, Any]:
                response = await http.request(method, path, json=body)
                return response.status_code, response.json()
            return send

        started = time.perf_counter()
        await asyncio.gather(*(client(i, sender(https[i]), stats, expected[i], name)
                               for i in range(clients)))
        seconds = time.perf_counter() - started
        mismatches = await verify(sender(https[0]), expected)
        await asyncio.gather(*(http.aclose() for http in https))
    else:
        connections = [RawConnection(host, int(port)) for _ in range(clients)]
        started = time.perf_counter()
        await asyncio.gather(*(client(i, connections[i].send, stats, expected[i], name)
                               for i in range(clients)))
        seconds = time.perf_counter() - started
        mismatches = await verify(connections[0].send, expected)
        await asyncio.gather(*(c.close() for c in connections))
    return Result(name, len(stats.latencies), seconds, stats.latencies, stats.errors,
                  mismatches, sum(1 for e in expected if e.session_id))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--client", choices=("httpx", "raw", "both"), default="both")
    parser.add_argument("--clients", type=int, default=50, help="concurrent clients (50)")
    parser.add_argument("--requests", type=int, default=20_000,
                        help="requests per generator (20000)")
    parser.add_argument("--log-level", default="info",
                        help="the server's --log-level (info: one line per request, as in use)")
    args = parser.parse_args()
    names = ("httpx", "raw") if args.client == "both" else (args.client,)
    with tempfile.TemporaryDirectory() as tmp:
        process, url, log = start_server(Path(tmp), args.log_level)
        parser_line = re.search(r"HTTP parser: (\w+)", log.read_text())
        parser_name = parser_line.group(1) if parser_line else "unknown"
        print(f"osvi-mock at {url} ({parser_name} parser, log level {args.log_level}); "
              f"{args.clients} clients; {args.requests} requests per run; {os.cpu_count()} CPUs")
        failed = False
        try:
            for name in names:
                result = asyncio.run(run(name, url, args.clients, args.requests))
                print(result.report(), flush=True)
                for problem in (result.errors + result.mismatches)[:10]:
                    print("   ", problem)
                failed |= bool(result.errors or result.mismatches)
        finally:
            process.send_signal(signal.SIGINT)
            code = process.wait(15)
            logged = log.read_text()
            if TOKEN in logged:
                print("the server logged the token!")
                failed = True
            print(f"server exited with {code}; {logged.count(' POST ')} request lines logged")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
