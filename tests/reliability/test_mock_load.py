"""The standalone mock under load: 50 concurrent clients sending 200 requests each.

Reuses the workload of ``benchmarks/mock_load.py`` (customer messages, whispers,
tells, context injections, takeover/end cycles over one keep-alive connection
per client), then reads every session back: nothing may be lost or reordered.
10,000 requests interleave all 50 sessions thoroughly; the benchmark's 50,000
measure throughput, which is not this test's point.
"""

from __future__ import annotations

import asyncio
import signal
from pathlib import Path

from benchmarks.mock_load import TOKEN, Expected, RawConnection, Stats, client, start_server, verify

CLIENTS = 50
REQUESTS_EACH = 200


async def _drive(url: str) -> tuple[list[Stats], list[Expected], list[str]]:
    host, port = url.removeprefix("http://").rsplit(":", 1)
    connections = [RawConnection(host, int(port)) for _ in range(CLIENTS)]
    stats = [Stats(budget=REQUESTS_EACH) for _ in range(CLIENTS)]
    expected = [Expected() for _ in range(CLIENTS)]
    try:
        await asyncio.gather(*(client(number, connections[number].send, stats[number],
                                      expected[number], "ci")
                               for number in range(CLIENTS)))
        return stats, expected, await verify(connections[0].send, expected)
    finally:
        await asyncio.gather(*(connection.close() for connection in connections))


def test_fifty_clients_lose_nothing(tmp_path: Path) -> None:
    process, url, log = start_server(tmp_path, "info")
    try:
        stats, expected, mismatches = asyncio.run(_drive(url))
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(15)
    assert [s.errors for s in stats if s.errors] == []
    assert [len(s.latencies) for s in stats] == [REQUESTS_EACH] * CLIENTS
    assert all(e.session_id for e in expected)
    assert len({e.session_id for e in expected}) == CLIENTS
    assert mismatches == []  # every session's history and context as its client sent them
    logged = log.read_text()
    assert logged.count(" 200 ") >= CLIENTS * REQUESTS_EACH
    assert TOKEN not in logged
