"""Closing the sessions a scenario opened, when it ends.

On a live account every scenario opens real sessions; a nightly run that left
them open would pile up dozens of active conversations for the agent. So
each session a scenario opened and did not close itself is closed with the
support command ``close`` when the scenario ends, however it ends: passed,
failed, broken, out of time or interrupted (the last two reach the executor
as a cancellation, and this runs in its ``finally``).

Cleanup is the runner's housekeeping, not a step of the scenario: it is
narrated as runner lines in the transcript and never changes the outcome. A
session that could not be closed is recorded on the result, and the run
summary lists it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from runner.execution.client import OsviClient, TransportError
from runner.execution.targets import SessionPolicy
from runner.execution.transcript import ScenarioResult
from runner.language.durations import format_duration

# Per close request: short, since this may run after a time limit already ran out.
CLOSE_TIMEOUT = 10.0


def closed_by_scenario(result: ScenarioResult) -> set[str]:
    """Sessions a ``close`` step of the scenario already closed (any 2xx answer)."""
    closed = set()
    for record in result.steps:
        exchange = record.exchange
        if record.step.action == "close" and exchange is not None and exchange.ok:
            session = exchange.payload.get("session_id")
            if isinstance(session, str):
                closed.add(session)
    return closed


async def _close(client: OsviClient, session: str, timeout: float) -> str | None:
    """Close one session; None when closed, else why not."""
    try:
        exchange = await asyncio.wait_for(client.support(session, "close"), timeout)
    except asyncio.TimeoutError:
        return f"no answer within {format_duration(timeout)}"
    except TransportError as error:
        return str(error)
    except Exception as error:  # cleanup runs in a `finally`: it must not replace the outcome
        return f"{type(error).__name__}: {error}"
    if exchange.ok:
        return None
    return exchange.describe_error()


async def tidy_sessions(result: ScenarioResult, client: OsviClient, policy: SessionPolicy,
                        narrate: Callable[[str], None], *,
                        timeout: float = CLOSE_TIMEOUT) -> None:
    """Close (or, with ``keep``, just name) the sessions the scenario left open."""
    if policy == "discard":
        return
    closed = closed_by_scenario(result)
    still_open = [s for s in result.sessions if s not in closed]
    if not still_open:
        return
    if policy == "keep":
        narrate(f"left {_sessions(still_open)} open (--osvi-keep-sessions)")
        return
    for session in still_open:
        problem = await _close(client, session, timeout)
        if problem is None:
            narrate(f"closed session {session} (cleanup)")
        else:
            result.unclosed[session] = problem
            narrate(f"could not close session {session}: {problem}")


def _sessions(sessions: list[str]) -> str:
    word = "session" if len(sessions) == 1 else "sessions"
    return f"{word} {', '.join(sessions)}"
