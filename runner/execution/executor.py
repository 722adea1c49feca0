"""Run one scenario against a connection, step by step, recording everything.

All state of a run lives on one :class:`ScenarioRun` object, so any number of
runs can share an event loop. Expectation mismatches fail a step; an answer
nobody expected (a non-2xx without ``expect.error``) or no answer at all breaks
it. ``finally`` steps always run.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from runner.execution.client import TransportError
from runner.execution.conversation_judge import judge_conversation
from runner.execution.exchange import Exchange
from runner.execution.expectations import check_expectations
from runner.execution.hygiene import tidy_sessions
from runner.execution.invariants import (
    DEFAULT_CONTEXT_WORDS,
    DEFAULT_LEAK_SIMILARITY,
    Invariants,
)
from runner.execution.judge_turns import conversation_turns
from runner.execution.parties import (
    MissingAgent,
    Parties,
    agent_uuids,
    mock_agents,
    new_customer_id,
)
from runner.execution.raw_request import RawRequestError
from runner.execution.raw_steps import send_raw, uses_own_token
from runner.execution.scoring import StepScorer
from runner.execution.targets import DEFAULT_MOCK_AGENT, Connection, Target
from runner.execution.transcript import Entry, EntryKind, Mismatch, ScenarioResult, StepRecord
from runner.judging.judge import Judge, JudgeError
from runner.language.durations import (
    DurationError,
    filled_in,
    format_duration,
    parse_duration,
    written,
)
from runner.language.mock_variants import mock_for_run
from runner.language.model import BUILTIN_VARS, Scenario, Step, step_title
from runner.language.paths import ABSENT, lookup
from runner.language.patterns import PatternTimeout
from runner.language.templating import UndefinedVariable, render, render_tree, uses_env
from runner.language.var_order import fill_names
from runner.language.yamlsrc import display_path

if TYPE_CHECKING:
    from runner.execution.operators import OperatorRun

SAVE_FIELDS = ("session_id", "reply", "state", "mode", "help_requested", "active_human",
               "context", "command")


class StepBroken(Exception):
    """A step could not be judged: no answer, or an answer nobody expected."""


class ScenarioRun:
    def __init__(self, scenario: Scenario, target: Target, env: Mapping[str, str], *,
                 default_agent: str | None = None, run_id: str = "",
                 judge: Judge | None = None, run_number: int = 1,
                 fresh_customer: bool = False) -> None:
        """``run_number`` seeds the mock's choices; ``fresh_customer`` ignores
        ``customer:`` so that repeated runs never share a session."""
        self.scenario = scenario
        self.target = target
        self.env = env
        self.variables: dict[str, Any] = dict(scenario.variables)
        self.variables.update(scenario=scenario.name, run_id=run_id)
        self.session_id: str | None = None
        self.result = ScenarioResult(scenario, target.label)
        self._default_agent = default_agent
        self._t0 = 0.0
        self._judge = judge
        self._run_number = run_number
        self._fresh_customer = fresh_customer
        self.invariants = Invariants()
        self._operator_spec: Any = None  # the scenario's `operator:`, placeholders filled in
        self._operator: OperatorRun | None = None
        self.parties = Parties(scenario.customers, scenario.party_agents)

    def _resolve_identity(self) -> None:
        agent = self.scenario.agent or self._default_agent
        if agent is None:
            if self.target.kind != "mock":
                raise StepBroken("no agent to talk to: set `agent:` in the scenario, "
                                 "--osvi-agent, OSVI_AGENT_UUID or the ini option osvi_agent")
            agent = DEFAULT_MOCK_AGENT
        self.result.agent = str(render(agent, self.variables, self.env))
        self.variables["agent"] = self.result.agent
        customer = self.scenario.customer
        self.result.customer = (str(render(customer, self.variables, self.env))
                                if customer and not self._fresh_customer
                                else new_customer_id())
        self.variables["customer"] = self.result.customer
        self.parties.resolve(lambda given: str(render(given, self.variables, self.env)),
                             fresh=self._fresh_customer)
        try:
            self.parties.resolve_agents(agent_uuids(self.scenario.agents, self.target.kind))
        except MissingAgent as missing:
            raise StepBroken(str(missing)) from None
        # `vars` may use the built-in names, known only now (`{{ env.X }}` waits for its step).
        builtins = {name: self.variables[name] for name in BUILTIN_VARS}
        for name in self.scenario.variables:
            self.variables[name] = fill_names(self.variables[name], builtins)

    async def run(self) -> ScenarioResult:
        """Run every step, then the ``finally`` steps; never raises for a scenario problem."""
        self.result.started = time.time()
        self._t0 = time.perf_counter()
        try:
            self._resolve_identity()
            self.invariants = Invariants.from_spec(
                render_tree(self.scenario.invariants, self.variables, self.env))
            self._operator_spec = render_tree(self.scenario.operator, self.variables, self.env)
        except (StepBroken, UndefinedVariable) as error:
            self.result.break_run(str(error))
            self.result.stopped = time.time()
            return self.result
        try:
            mock = mock_for_run(self.scenario.mock, self._run_number, self.env)
            others = mock_agents(self.scenario.agents, self._run_number, self.env)
            async with self.target.connect(self.result.agent, mock, others) as connection:
                connection.client.narrate = self._runner_line
                if self._operator_spec is not None:
                    # Here: simulated parties load only for scenarios that have them.
                    from runner.execution.operators import scenario_operator

                    self._operator = scenario_operator(
                        self._operator_spec, self.result,
                        lambda step: self._run_step(step, connection), self._note,
                        self._judge, self._run_number)
                try:
                    await self._run_block(self.scenario.steps, connection, stop_on_failure=True)
                    await self._run_block(self.scenario.finally_steps, connection,
                                          stop_on_failure=False)
                finally:
                    # Also after a time limit or Ctrl-C: both arrive here as a cancellation.
                    await tidy_sessions(self.result, connection.client, self.target.sessions,
                                        self._runner_line)
            await self._judge_conversation()  # sessions closed: the judge may take a while
        finally:
            self.result.stopped = time.time()
        return self.result

    async def _judge_conversation(self) -> None:
        """The scenario's ``judge:`` on the whole conversation, when every step passed."""
        spec = self.scenario.judge
        if spec is None or self.result.outcome != "passed":
            return  # a conversation that already failed is not worth paying a judge for
        try:
            criteria = [str(render(c, self.variables, self.env)) for c in spec.criteria]
        except UndefinedVariable as error:
            self.result.break_run(f"judge: {error}")
            return
        record = await judge_conversation(self.result, spec, criteria, self._judge)
        met = sum(1 for score in record.scores if score.passed)
        detail = (f"→ {met} of {len(record.scores)} met" if record.outcome != "broken"
                  else "→ not judged")
        self._note("system", record.title, spec.step, detail)
        if record.outcome != "passed":
            self.result.fail(record)

    def _runner_line(self, text: str) -> None:
        """A line of the runner's own doing (a retry, cleanup), under the latest step."""
        if self.result.steps:
            self._note("system", text, self.result.steps[-1].step)

    async def _run_block(self, steps: tuple[Step, ...], connection: Connection, *,
                         stop_on_failure: bool) -> None:
        for step in steps:
            record = (await self._simulate(step, connection) if step.action == "simulate"
                      else await self._run_step(step, connection))
            if (self._operator is not None and stop_on_failure and step.action == "customer"
                    and record.outcome == "passed"):  # the scenario's operator may act now
                from runner.execution.operators import after_step

                record = (await self._operator.after(record, after_step(step)))[0] or record
            if record.outcome != "passed":
                self.result.fail(record)
                if stop_on_failure:
                    return

    async def _simulate(self, step: Step, connection: Connection) -> StepRecord:
        """A ``simulate:`` step: its turns run through :meth:`_run_step`, one by one."""
        from runner.execution.simulation import Simulation
        from runner.execution.simulation import title as simulation_title

        try:
            spec = render_tree(step.value, self.variables, self.env)
        except UndefinedVariable as error:
            record = StepRecord(step, simulation_title(step.value), started=time.time(),
                                stopped=time.time(), outcome="broken")
            record.cause = f"{step.ref} ({record.title}): {error}"
            self.result.steps.append(record)
            return record
        if "probe" in spec:  # a probe is there to catch leaks: check for them on every turn
            if self.invariants.whisper_similarity is None:
                self.invariants.whisper_similarity = DEFAULT_LEAK_SIMILARITY
            if self.invariants.context_words is None:
                self.invariants.context_words = DEFAULT_CONTEXT_WORDS
        simulation = Simulation(step, spec, self.result,
                                lambda turn: self._run_step(turn, connection), self._note,
                                self._judge, int(spec.get("seed", self._run_number)),
                                watching=self._operator)
        return await simulation.run()

    def _note(self, kind: EntryKind, text: str | None, step: Step, detail: str = "") -> None:
        at = time.perf_counter() - self._t0
        self.result.entries.append(Entry(kind, text, at, step, detail))

    async def _run_step(self, step: Step, connection: Connection) -> StepRecord:
        title = step_title(step.action, step.value)
        record = StepRecord(step, title, started=time.time())
        self.result.steps.append(record)
        value: Any = step.value
        try:
            record.name = self._step_name(step)
            value = render_tree(step.value, self.variables, self.env)
            record.title = step_title(step.action, value)
            if step.action == "wait":
                await self._wait(step, value, connection, record)
            else:
                await self._call(step, value, connection, record)
        except (StepBroken, PatternTimeout, RawRequestError) as error:
            record.outcome, record.cause = "broken", f"{step.ref} ({record.title}): {error}"
        except TransportError as error:
            record.exchange = error.exchange
            # An answer that breaks the contract may still name its session: keep it, so
            # cleanup closes it (the platform opened it whatever the rest of the answer says).
            self._keep_session(error.exchange, step.party)
            record.outcome, record.cause = "broken", f"{step.ref} ({record.title}): {error}"
            self._note_unanswered(step, value)
            self._note("error", str(error), step)
        except UndefinedVariable as error:
            record.outcome, record.cause = "broken", f"{step.ref} ({record.title}): {error}"
        finally:
            record.stopped = time.time()
        return record

    async def _wait(self, step: Step, value: Any, connection: Connection,
                    record: StepRecord) -> None:
        """A ``wait:``; a placeholder that filled in no duration breaks it, located."""
        secret = uses_env(step.value)
        if secret:  # what the environment filled in may be a secret: show the template
            record.title = step_title(step.action, step.value)
        try:
            seconds = parse_duration(value)
        except DurationError as error:
            message = (filled_in("wait", str(step.value), value, error, secret=secret)
                       if isinstance(step.value, str) and "{{" in step.value
                       else f"`wait: {written(value)}` {error.reason}")
            where = step.where(display_path(str(self.scenario.file)))
            raise StepBroken(f"{where}: {message}; {error.fix}") from None
        self._note("wait", None, step, await connection.wait(seconds))

    async def _call(self, step: Step, value: Any, connection: Connection,
                    record: StepRecord) -> None:
        expect = render_tree(step.expect, self.variables, self.env)
        explicit = (str(render(step.session_id, self.variables, self.env))
                    if step.session_id is not None else None)
        # A customer message names a session only when the step says so; the API
        # otherwise resolves the customer's active session itself.
        # `as: anna`: anna's own session, and `expect: {session: ...}` compares with it.
        latest = self.session_id if step.party is None else self.parties.session(step.party)
        session = explicit if step.action == "customer" else explicit or latest
        raw = step.action == "request"
        if not raw and step.action != "customer" and session is None:
            whose = "" if step.party is None else f" with `as: {step.party}`"
            raise StepBroken(f"no session yet: run a `customer` step{whose} first "
                             "or give `session_id:`")
        previous = latest
        if raw:
            exchange = await send_raw(value, self.env, connection.client)
        else:
            customer = (self.result.customer if step.party is None
                        else self.parties.ids[step.party])
            exchange = await self._send(step.action, value, session, customer, connection,
                                        party=step.party)
        record.exchange = exchange
        if (exchange.status == 401 and self.target.kind == "live"
                and not _expects_status(expect, 401) and not uses_own_token(step, value)):
            self.result.token_refused = f"{step.ref} of {self.scenario.test_name!r}"
        self._narrate(step, value, exchange)
        if not exchange.ok and "error" not in expect and "status" not in expect:
            self._note("error", exchange.describe_error(), step)
            raise StepBroken(f"unexpected answer {exchange.describe_error()} "
                             f"from {exchange.method} {exchange.path}")
        if exchange.ok and not exchange.payload and not raw:
            raise StepBroken(f"HTTP {exchange.status} answer has no `data` object: "
                             f"{exchange.text[:200]!r}")
        # The judge sees every turn so far; this step's reply is the one under test.
        scorer = StepScorer(self._judge,
                            lambda: conversation_turns(self.result, under_test=step),
                            self.result.llm_usage, step.ref)
        try:
            record.mismatches = await check_expectations(expect, exchange, previous,
                                                         scorer=scorer, scores=record.scores)
            record.mismatches.extend(await self.invariants.check(step, value, exchange, scorer,
                                                                 record.scores))
        except JudgeError as error:
            record.not_judged = True  # neither passed nor failed: out of any pass rate
            raise StepBroken(f"the LLM judge could not judge the reply: {error}") from None
        if exchange.ok:
            self._keep_session(exchange, step.party)
            record.mismatches.extend(self._save(step, exchange))
        if record.mismatches:
            record.outcome = "failed"

    def _keep_session(self, exchange: Exchange, party: str | None = None) -> None:
        """Follow the session a success answer names; the run closes it when it ends."""
        session = exchange.payload.get("session_id") if exchange.ok else None
        if isinstance(session, str) and session:
            self.session_id = session
            if party is not None:
                self.parties.follow(party, session)
            if session not in self.result.sessions:
                self.result.sessions.append(session)

    def _step_name(self, step: Step) -> str | None:
        """The step's ``name:`` with its placeholders filled in, for the reports."""
        if step.name is None:
            return None
        if uses_env(step.name):  # what the environment fills in may be a secret
            return step.name
        try:
            return str(render(step.name, self.variables, self.env))
        except UndefinedVariable:  # a name only labels the step: never break it for that
            return step.name

    def _note_unanswered(self, step: Step, value: Any) -> None:
        """What was sent when no usable answer came back, so the chat shows it."""
        kinds: dict[str, EntryKind] = {"customer": "customer", "tell": "tell",
                                       "whisper": "whisper", "operator": "operator",
                                       "inject_context": "context"}
        kind = kinds.get(step.action)
        if kind is not None:
            self._note(kind, _text(value), step, "no usable answer")
        else:
            self._note("command", step.action, step, "→ no usable answer")

    async def _send(self, action: str, value: Any, session: str | None, customer: str,
                    connection: Connection, *, party: str | None = None) -> Exchange:
        client = connection.client
        if action == "customer":
            agent = self.parties.agent(party, self.result.agent)  # `agent: sales` of `as:`
            return await client.inbound(agent, customer, _text(value), session)
        assert session is not None
        if action == "inject_context":
            return await client.inject_context(session, _text(value))
        if action == "operator":
            return await client.support(session, None, _text(value))
        return await client.support(session, action, None if value is None else _text(value))

    def _save(self, step: Step, exchange: Exchange) -> list[Mismatch]:
        missing = []
        data = exchange.payload
        for name, field in step.save.items():
            if "." in field:  # a path from the top of the body: `data.session_id`
                found = lookup(exchange.data, field)
                if found is not ABSENT:
                    self.variables[name] = found
                    continue
                missing.append(Mismatch(f"save.{name}", f"a value at `{field}` to save",
                                        "(not in the answer)"))
            elif field in data:
                self.variables[name] = data[field]
            else:
                missing.append(Mismatch(f"save.{name}", f"a `{field}` field to save",
                                        "(not in the answer)"))
        return missing

    def _narrate(self, step: Step, value: Any, exchange: Exchange) -> None:
        """Add the step's lines to the conversation as a person would read them."""
        data = exchange.payload
        ms = format_duration(exchange.elapsed)
        text = None if value is None else _text(value)
        action = step.action
        if action == "request":  # never the value itself: it may hold a token
            self._note("command", f"{value.get('method')} {value.get('path')}", step,
                       f"→ HTTP {exchange.status} · {ms}")
            return
        # A refused message says so on its own line, as whispers and commands do.
        refused = "" if exchange.ok else self._outcome(exchange)
        if action == "customer":
            marks = ("simulated" if step.turn else "",  # written by `simulate:`
                     self.parties.label(step.party), refused)
            self._note("customer", text, step, " · ".join(m for m in marks if m))
            if exchange.ok:
                facts = [f"state {data.get('state')}", f"mode {data.get('mode')}"]
                if data.get("help_requested"):
                    facts.append("help requested")
                reply = data.get("reply")
                self._note("agent", reply if isinstance(reply, str) else None, step,
                           " · ".join([*facts, ms]))
        elif action == "tell":
            self._note("tell", text, step, refused)
            if exchange.ok:
                reply = data.get("reply")
                self._note("agent", reply if isinstance(reply, str) else None, step,
                           f"state {data.get('state')} · {ms}")
        elif action == "whisper":
            self._note("whisper", text, step, self._outcome(exchange))
        elif action == "operator":
            self._note("operator", text, step, self._outcome(exchange))
        elif action == "inject_context":
            bucket = data.get("context")
            size = f"bucket now {len(bucket)} entries" if isinstance(bucket, list) else ""
            self._note("context", text, step, refused or " · ".join(p for p in (size, ms) if p))
        else:
            detail = self._outcome(exchange)
            if data.get("active_human"):
                detail += f" · active_human {data['active_human']}"
            self._note("command", action, step, detail)
            if text is not None and exchange.ok:
                self._note("operator", text, step)

    @staticmethod
    def _outcome(exchange: Exchange) -> str:
        ms = format_duration(exchange.elapsed)
        if exchange.ok:
            return f"→ {exchange.payload.get('state')} · {ms}"
        return f"→ HTTP {exchange.status} · {ms}"


def _text(value: Any) -> str:
    return value if isinstance(value, str) else "" if value is None else str(value)


def _expects_status(expect: Mapping[str, Any], status: int) -> bool:
    """Whether ``expect.error`` accepts an error answer with ``status``."""
    error = expect.get("error")
    if not isinstance(error, Mapping):
        return error is not None and error is not False
    wanted = error.get("status")
    return wanted is None or str(wanted) == str(status)


async def run_scenario(scenario: Scenario, target: Target, env: Mapping[str, str], *,
                       default_agent: str | None = None, run_id: str = "",
                       timeout: float | None = None, judge: Judge | None = None,
                       run_number: int = 1, fresh_customer: bool = False) -> ScenarioResult:
    """Run ``scenario``; a time limit ends it as broken, keeping the transcript so far."""
    run = ScenarioRun(scenario, target, env, default_agent=default_agent, run_id=run_id,
                      judge=judge, run_number=run_number, fresh_customer=fresh_customer)
    limit = scenario.timeout if scenario.timeout is not None else timeout
    if limit is None:
        return await run.run()
    try:
        return await asyncio.wait_for(run.run(), limit)
    except asyncio.TimeoutError:
        current = run.result.steps[-1] if run.result.steps else None
        where = f" during {current.step.ref} ({current.title})" if current else ""
        if current is not None and current.outcome == "passed":
            current.outcome = "broken"
            current.cause = f"the scenario time limit of {format_duration(limit)} ran out{where}"
            current.stopped = time.time()
        run.result.break_run(f"the scenario time limit of {format_duration(limit)} ran out{where}")
        run.result.stopped = time.time()
        return run.result
