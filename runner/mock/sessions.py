"""The mock's sessions and the store that keeps them within its limits.

A long-running ``osvi-mock serve`` must not grow without bound: the store holds
at most ``max_sessions`` sessions, and each session keeps only its last
``max_history`` history entries (and as many context entries and pending
whispers). When a new session would pass the cap, one goes, in this order:

1. the session closed longest ago (closed sessions can never be used again
   except to read them);
2. otherwise the session quiet for longest (it is the one dormant longest, if
   any is dormant).

A request naming an evicted session then answers 404 ``session_not_found``, as
for any unknown session.
"""

from __future__ import annotations

from collections import OrderedDict, deque
from dataclasses import dataclass, field
from typing import Any

from runner.language.mock_agent import MockAgent

Json = dict[str, Any]

DEFAULT_MAX_SESSIONS = 10_000
DEFAULT_MAX_HISTORY = 1_000
DEFAULT_MAX_TEXT = 32_768


@dataclass(frozen=True)
class Limits:
    """How much one mock keeps: sessions, entries per session, characters per text."""

    max_sessions: int = DEFAULT_MAX_SESSIONS
    max_history: int = DEFAULT_MAX_HISTORY
    max_text: int = DEFAULT_MAX_TEXT

    def __post_init__(self) -> None:
        for name in ("max_sessions", "max_history", "max_text"):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise ValueError(f"{name} must be a whole number of at least 1, not {value!r}")


@dataclass
class Session:
    id: str
    agent_uuid: str
    customer_id: str
    agent: MockAgent
    last_activity: float
    history: deque[Json]
    context: deque[str]
    pending: deque[str]
    status: str = "active"
    mode: str = "ai"
    state: str = "default"
    help_requested: bool = False
    active_human: str | None = None
    # Kept apart from the history, which may have dropped it: `tell` answers to it.
    last_customer_message: str = ""
    turns: int = 0  # customer messages so far: a rule's `when: {turn: N}` and `{{ turn }}`

    @classmethod
    def new(cls, session_id: str, agent_uuid: str, customer_id: str, agent: MockAgent,
            now: float, max_history: int) -> Session:
        return cls(id=session_id, agent_uuid=agent_uuid, customer_id=customer_id, agent=agent,
                   last_activity=now, history=deque(maxlen=max_history),
                   context=deque(agent.initial_context, maxlen=max_history),
                   pending=deque(maxlen=max_history))


@dataclass
class SessionStore:
    """Sessions by id, by (agent, customer), and in the order they would be evicted."""

    max_sessions: int = DEFAULT_MAX_SESSIONS
    _by_id: dict[str, Session] = field(default_factory=dict)
    _latest: dict[tuple[str, str], Session] = field(default_factory=dict)
    _quiet_first: OrderedDict[str, None] = field(default_factory=OrderedDict)
    _closed_first: OrderedDict[str, None] = field(default_factory=OrderedDict)

    def __len__(self) -> int:
        return len(self._by_id)

    def ids(self) -> list[str]:
        return list(self._by_id)

    def get(self, session_id: str) -> Session | None:
        return self._by_id.get(session_id)

    def latest(self, agent_uuid: str, customer_id: str) -> Session | None:
        """The customer's most recent session with this agent, if still kept."""
        return self._latest.get((agent_uuid, customer_id))

    def add(self, session: Session) -> list[Session]:
        """Keep ``session``; returns the sessions evicted to make room."""
        self._by_id[session.id] = session
        self._latest[(session.agent_uuid, session.customer_id)] = session
        self._quiet_first[session.id] = None
        evicted = []
        while len(self._by_id) > self.max_sessions:
            evicted.append(self._evict())
        return evicted

    def touched(self, session: Session) -> None:
        """``session`` was just active: it is now the last to be evicted."""
        if session.id in self._quiet_first:
            self._quiet_first.move_to_end(session.id)

    def closed(self, session: Session) -> None:
        """``session`` is closed for good: it goes first when room is needed."""
        self._quiet_first.pop(session.id, None)
        self._closed_first[session.id] = None

    def _evict(self) -> Session:
        order = self._closed_first if self._closed_first else self._quiet_first
        victim_id, _ = order.popitem(last=False)
        victim = self._by_id.pop(victim_id)
        key = (victim.agent_uuid, victim.customer_id)
        if self._latest.get(key) is victim:
            del self._latest[key]
        return victim
