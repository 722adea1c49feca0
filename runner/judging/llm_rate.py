"""What the LLM client waits on before each call it sends (``--osvi-llm-rate``).

The client sits below the execution layer, so it names only this shape; the
run hands it the same token bucket type ``--osvi-rate`` uses
(:class:`runner.execution.ratelimit.TokenBucket`), one for the whole run and
apart from the API's, so judge, simulator and operator calls share it across
scenarios running side by side. Answers from the cache never wait: only a
request that goes out takes a token, a retry included.
"""

from __future__ import annotations

from typing import Protocol


class CallLimiter(Protocol):
    async def acquire(self) -> float:
        """Wait until a call may go out; returns how long it waited, in seconds."""
        ...  # pragma: no cover
