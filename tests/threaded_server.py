"""A raw asyncio server on a free port of 127.0.0.1, run from a background thread.

The test servers (fault, hostile) answer as broken or hostile endpoints do; this
is the part they share: start, hand out the URL, and stop cleanly, ending the
connections a client kept alive while the loop still runs (left suspended, they
would be closed later on a closed loop, in whatever test runs then).
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager

Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


@contextmanager
def serve_in_thread(handler: Handler, name: str) -> Iterator[str]:
    """Serve ``handler`` per connection; yields the base URL."""
    loop = asyncio.new_event_loop()
    ready = threading.Event()
    holder: dict[str, asyncio.base_events.Server] = {}
    url: list[str] = []

    async def start() -> None:
        holder["server"] = await asyncio.start_server(handler, "127.0.0.1", 0)
        url.append(f"http://127.0.0.1:{holder['server'].sockets[0].getsockname()[1]}")
        ready.set()

    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    asyncio.run_coroutine_threadsafe(start(), loop)
    if not ready.wait(10):
        raise RuntimeError(f"the {name} did not start")
    try:
        yield url[0]
    finally:
        async def stop() -> None:
            holder["server"].close()
            serving = [task for task in asyncio.all_tasks() if task is not asyncio.current_task()]
            for task in serving:
                task.cancel()
            await asyncio.gather(*serving, return_exceptions=True)

        asyncio.run_coroutine_threadsafe(stop(), loop).result(10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)
        loop.close()
