"""Mock agents that answer differently from run to run, deterministically.

Real agents are not deterministic; the mock imitates that without ever making
CI flaky. A rule's ``choose:`` picks one of several replies and ``flaky:``
answers differently in every N-th run, both decided by the agent's ``seed``.
A repeated scenario gives run k the seed k, so a run is reproduced exactly by
writing ``seed: k`` into the mock. ``version`` (a ``when`` field) lets one
agent answer like an older or newer prompt: the environment variable
``OSVI_MOCK_VERSION`` sets it for every embedded mock agent that does not set
it, which is how two runs of the same suite can drift apart for ``diff``.
"""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from typing import Any

VERSION_ENV = "OSVI_MOCK_VERSION"
DEFAULT_SEED = 1


def mock_for_run(spec: Mapping[str, Any] | None, run_number: int,
                 env: Mapping[str, str]) -> dict[str, Any] | None:
    """The scenario's mock agent for one run: seeded by the run, versioned by the environment.

    What the author wrote wins: a ``seed:`` or ``version:`` in the mock is kept.
    """
    if spec is None:
        return None  # the target's demo agent
    agent = dict(spec)
    agent.setdefault("seed", run_number)
    version = env.get(VERSION_ENV)
    if version and "version" not in agent:
        agent["version"] = version
    return agent


def pick(choices: Sequence[str | None], seed: int, rule: int, message: str) -> str | None:
    """One of ``choices``, the same every time for the same seed, rule and message."""
    generator = random.Random(f"{seed}/{rule}/{message}")
    return choices[generator.randrange(len(choices))]


def flaky_now(every: int, seed: int) -> bool:
    """Whether a ``flaky: {every: N}`` rule misbehaves in the run with this seed."""
    return seed % every == 0
