"""The OSVI Chat v1 behaviour: sessions, modes, support commands, context.

The engine knows nothing about HTTP. Each endpoint is a method taking the
decoded JSON body and returning an :class:`MockAnswer` (status, body, headers and
the delay to add), so the ASGI app stays a thin router and tests can drive the
engine directly. All state lives on the instance: one engine per scenario.
What it keeps is bounded by its :class:`~runner.mock.sessions.Limits`.
"""

from __future__ import annotations

import hmac
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from runner.language.durations import DurationError, parse_duration
from runner.language.mock_agent import COMMANDS, FaultResponse, MockAgent, Turn
from runner.mock.clock import ManualClock
from runner.mock.sessions import Limits, Session, SessionStore

Json = dict[str, Any]
INBOUND_PATH = "/v1/chat/inbound"


@dataclass(frozen=True)
class MockAnswer:
    """What to answer: a JSON ``payload`` or, for injected faults, ``raw`` bytes."""

    status: int
    payload: Json | None = None
    raw: bytes | None = None
    headers: tuple[tuple[str, str], ...] = ()
    delay: float = 0.0


def ok(data: Json, delay: float = 0.0) -> MockAnswer:
    return MockAnswer(200, {"success": True, "data": data}, delay=delay)


def error(status: int, code: str, delay: float = 0.0) -> MockAnswer:
    return MockAnswer(status, {"success": False, "error": code}, delay=delay)


def engine_error(status: int, path: str, state: str, reason: str, delay: float = 0.0) -> MockAnswer:
    """The proxy's wrapping of an error from the Python chat engine behind it."""
    return MockAnswer(status, {
        "success": False,
        "error": f"Python engine returned {status} for POST {path}",
        "upstream_body": {"state": state, "reason": reason},
    }, delay=delay)


def fault_outcome(fault: FaultResponse, path: str, delay: float) -> MockAnswer:
    if fault.body is not None:
        kind = "text/html" if fault.body.lstrip().startswith("<") else "text/plain"
        return MockAnswer(fault.status, raw=fault.body.encode("utf-8", "replace"),
                       headers=(("content-type", f"{kind}; charset=utf-8"), *fault.headers),
                       delay=delay)
    payload: Json = {"success": False, "error": fault.error or fault.default_error("POST", path)}
    if fault.is_engine_error():
        payload["upstream_body"] = fault.upstream_body
    return MockAnswer(fault.status, payload, headers=fault.headers, delay=delay)


def _text(value: Any) -> str | None:
    """``value`` if it is a non-blank string (the API's notion of 'present').

    Blank is white space only, in the widest sense any regex dialect gives
    ``\\s`` (Python's, plus the byte-order mark): the contract's pattern for a
    non-blank text, ``[^\\s\\x1c-\\x1f\\x85\\ufeff]``, then means the same here,
    in jsonschema and in any client's generator.
    """
    if isinstance(value, str) and value.replace("\ufeff", "").strip():
        return value
    return None


class Engine:
    """The state of one mock OSVI account: its agents and their sessions."""

    def __init__(self, agents: Mapping[str, MockAgent], token: str | None = None,
                 clock: ManualClock | None = None, limits: Limits | None = None) -> None:
        self.agents = dict(agents)
        self.token = token
        self.clock = clock if clock is not None else ManualClock()
        self.limits = limits if limits is not None else Limits()
        self._store = SessionStore(self.limits.max_sessions)
        self._fault_hits: dict[tuple[str, int], int] = {}

    # -- helpers -----------------------------------------------------------------

    def authorized(self, given: str | None) -> bool:
        if self.token is None:
            return True
        if given is None:
            return False
        return hmac.compare_digest(given.encode("utf-8", "replace"),
                                   self.token.encode("utf-8", "replace"))

    def session(self, session_id: str) -> Session | None:
        """The session, with its dormancy brought up to date."""
        found = self._store.get(session_id)
        if (found is not None and found.status == "active"
                and self.clock.now() - found.last_activity >= found.agent.dormant_after):
            found.status = "dormant"
        return found

    @property
    def sessions(self) -> list[str]:
        return self._store.ids()

    def _record(self, session: Session, role: str, text: str, **extra: Any) -> None:
        session.history.append({"role": role, "text": text, "at": self.clock.iso(), **extra})

    def _touch(self, session: Session) -> None:
        session.last_activity = self.clock.now()
        self._store.touched(session)

    def _too_long(self, text: str) -> bool:
        return len(text) > self.limits.max_text

    def _fault(self, agent_uuid: str, agent: MockAgent, endpoint: str,
               path: str) -> MockAnswer | None:
        for index, fault in enumerate(agent.faults):
            if not fault.applies_to(endpoint):
                continue
            if fault.times is not None:
                key = (agent_uuid, index)
                hits = self._fault_hits.get(key, 0)
                if hits >= fault.times:
                    continue
                self._fault_hits[key] = hits + 1
            return fault_outcome(fault.response, path, agent.latency)
        return None

    def _turn(self, session: Session, message: str, guidance: Iterable[str],
              trigger: str = "customer") -> Turn:
        lines = list(guidance)
        return Turn(message=message, whisper="\n".join(lines),
                    context="\n".join(session.context), state=session.state,
                    last_whisper=lines[-1] if lines else "", turn=session.turns,
                    trigger=trigger)

    # -- POST /v1/chat/inbound ------------------------------------------------------

    def inbound(self, body: Mapping[str, Any]) -> MockAnswer:
        fields = {}
        for name in ("agent_uuid", "customer_id", "content"):
            value = _text(body.get(name))
            if value is None:
                return error(400, f"{name}_required")
            fields[name] = value
        requested = body.get("session_id")
        if requested is not None and not isinstance(requested, str):
            return error(400, "session_id must be a string")
        agent_uuid, customer_id, content = fields["agent_uuid"], fields["customer_id"], \
            fields["content"]
        for name in ("customer_id", "content"):
            if self._too_long(fields[name]):
                return error(422, f"{name}_too_long")
        agent = self.agents.get(agent_uuid)
        if agent is None:
            return error(404, "agent_not_found")
        delay = agent.latency
        if agent.status != "active":
            return error(422, f"agent_{agent.status}", delay)
        session: Session | None = None
        if requested and requested.strip():
            session = self.session(requested)
            if session is None or session.agent_uuid != agent_uuid:
                return error(404, "session_not_found", delay)
        fault = self._fault(agent_uuid, agent, "inbound", INBOUND_PATH)
        if fault is not None:
            return fault
        if session is not None and session.status == "closed":
            return engine_error(422, INBOUND_PATH, "invalid", "session_closed", delay)
        if session is None:
            session = self._resume_or_create(agent_uuid, customer_id, agent)
        session.status = "active"  # a customer message wakes a dormant session
        self._touch(session)
        self._record(session, "customer", content)
        session.last_customer_message = content
        session.turns += 1
        reply: str | None = None
        if session.mode == "ai" or agent.answers_during_takeover:
            decision = agent.respond(self._turn(session, content, session.pending))
            delay += decision.latency
            if decision.fault is not None:
                return fault_outcome(decision.fault, INBOUND_PATH, delay)
            reply = self._apply(session, decision.reply, decision.state, decision.help_requested)
        return ok({"session_id": session.id, "reply": reply, "state": session.state,
                   "mode": session.mode, "help_requested": session.help_requested}, delay)

    def _resume_or_create(self, agent_uuid: str, customer_id: str, agent: MockAgent) -> Session:
        current = self._store.latest(agent_uuid, customer_id)
        if current is not None and current.status != "closed":
            return current
        session = Session.new(str(uuid.uuid4()), agent_uuid, customer_id, agent,
                              self.clock.now(), self.limits.max_history)
        self._store.add(session)
        return session

    def _apply(self, session: Session, reply: str | None, state: str | None,
               help_requested: bool | None) -> str | None:
        """Apply an agent turn: guidance is used up, state and flag may change."""
        session.pending.clear()
        if state is not None:
            session.state = state
        if help_requested is not None:
            session.help_requested = help_requested
        if reply is not None:
            self._record(session, "agent", reply)
        return reply

    # -- POST /v1/chat/session/{id}/support ------------------------------------------

    def support(self, session_id: str, body: Mapping[str, Any]) -> MockAnswer:
        path = f"/v1/chat/session/{session_id}/support"
        session = self.session(session_id)
        if session is None:
            return error(404, "session_not_found")
        agent = session.agent
        delay = agent.latency
        command = body.get("command")
        message = body.get("message")
        if isinstance(command, str) and command in agent.disabled_commands:
            return error(403, "command_disabled", delay)
        fault = self._fault(session.agent_uuid, agent, "support", path)
        if fault is not None:
            return fault
        # The vendor lists no 400 here: what the engine cannot act on is its 422.
        # A blank command is neither omitted nor in the enum: an unknown command.
        if command is not None and not isinstance(command, str):
            return engine_error(422, path, "invalid", "command_must_be_a_string", delay)
        if message is not None and not isinstance(message, str):
            return engine_error(422, path, "invalid", "message_must_be_a_string", delay)
        if command is not None and command not in COMMANDS:
            return engine_error(422, path, "invalid", "unknown_command", delay)
        if command in (None, "tell", "whisper") and _text(message) is None:
            # Refused whatever the session's state: the request itself is incomplete.
            return engine_error(422, path, "invalid", "message_required", delay)
        if message is not None and self._too_long(message):
            return engine_error(422, path, "invalid", "message_too_long", delay)

        def answer(state: str, **extra: Any) -> MockAnswer:
            return ok({"state": state, "session_id": session.id, "command": command, **extra},
                      delay)

        extra: dict[str, Any] = {}
        if command == "tell":
            extra["reply"] = None
        elif command == "takeover":
            extra["active_human"] = session.active_human
        if session.status == "closed":
            # Closing again changes nothing, as a repeated takeover or end does.
            return answer("no_change" if command == "close" else "invalid", **extra)
        if session.status == "dormant" and command != "close":
            return answer("dormant", **extra)

        if command is None:
            if session.mode != "support":
                return engine_error(422, path, "rejected", "not_in_support_mode", delay)
            self._record(session, "operator", str(message))
            self._touch(session)
            return answer("ok")
        if command == "takeover":
            if session.mode == "support":
                return answer("no_change", active_human=session.active_human)
            session.mode = "support"
            session.active_human = agent.operator
            if _text(message) is not None:
                self._record(session, "operator", str(message))
            self._touch(session)
            return answer("ok", active_human=session.active_human)
        if command in ("tell", "whisper"):
            text = str(message)
            if command == "whisper":
                session.pending.append(text)
                self._record(session, "whisper", text, private=True, command="whisper")
                self._touch(session)
                return answer("ok")
            return self._tell(session, text, path, delay)
        if command == "end":
            if session.mode == "ai" and not session.help_requested:
                return answer("no_change")
            session.mode = "ai"
            session.help_requested = False
            session.active_human = None
            self._touch(session)
            return answer("ok")
        # close
        session.status = "closed"
        session.pending.clear()
        self._store.closed(session)
        return answer("ok")

    def support_unreadable(self, session_id: str, reason: str) -> MockAnswer:
        """A support request whose body is not a JSON object (``reason`` says how)."""
        session = self.session(session_id)
        if session is None:
            return error(404, "session_not_found")
        return engine_error(422, f"/v1/chat/session/{session_id}/support", "invalid", reason,
                            session.agent.latency)

    def _tell(self, session: Session, text: str, path: str, delay: float) -> MockAnswer:
        if session.mode == "support":
            return engine_error(422, path, "rejected", "tell_not_allowed_during_takeover", delay)
        decision = session.agent.respond(
            self._turn(session, session.last_customer_message, [*session.pending, text],
                       trigger="tell"))
        delay += decision.latency
        if decision.fault is not None:
            return fault_outcome(decision.fault, path, delay)
        self._record(session, "whisper", text, private=True, command="tell")
        reply = self._apply(session, decision.reply, decision.state, decision.help_requested)
        self._touch(session)
        return ok({"state": "ok", "session_id": session.id, "command": "tell", "reply": reply},
                  delay)

    # -- POST /v1/chat/session/{id}/inject_context -----------------------------------

    def inject_context(self, session_id: str, body: Mapping[str, Any]) -> MockAnswer:
        session = self.session(session_id)
        if session is None:
            return error(404, "session_not_found")
        delay = session.agent.latency
        context = body.get("context")
        if context is not None and not isinstance(context, str):
            return error(400, "context must be a string", delay)
        if _text(context) is None:
            return error(400, "context_required", delay)
        if self._too_long(str(context)):
            return error(400, "context_too_long", delay)
        fault = self._fault(session.agent_uuid, session.agent, "inject_context",
                            f"/v1/chat/session/{session_id}/inject_context")
        if fault is not None:
            return fault
        session.context.append(str(context))
        if session.status == "active":
            self._touch(session)  # activity, but it does not wake a dormant session
        return ok({"session_id": session.id, "context": list(session.context)}, delay)

    # -- mock-only admin endpoints ---------------------------------------------------------

    def snapshot(self, session_id: str) -> MockAnswer:
        session = self.session(session_id)
        if session is None:
            return error(404, "session_not_found")
        return ok({
            "session_id": session.id,
            "agent_uuid": session.agent_uuid,
            "customer_id": session.customer_id,
            "status": session.status,
            "mode": session.mode,
            "state": session.state,
            "help_requested": session.help_requested,
            "active_human": session.active_human,
            "context": list(session.context),
            "pending_whispers": list(session.pending),
            "history": [dict(entry) for entry in session.history],
        })

    def advance_clock(self, body: Mapping[str, Any]) -> MockAnswer:
        amount = body.get("advance")
        try:
            self.clock.advance(parse_duration(amount))
        except (DurationError, ValueError, OverflowError):
            return error(400, "advance must be a duration such as 31m or a number of seconds")
        return ok({"now": self.clock.iso(), "offset_seconds": self.clock.offset})
