"""A ``simulate:`` step: customer turns written as the conversation goes, plus an operator.

The messages come from an LLM persona (:mod:`runner.judging.simulator`) or a
scripted probe (:mod:`runner.judging.probes`). Every message is run as a
customer step of its own (``step 3 turn 2``) by the executor, so it is sent,
recorded and checked (``invariants``) exactly like a written one. The step's
own record opens the simulation; a turn that fails or breaks ends it and is
the step the scenario fails with. Why the simulation stopped is a line of the
transcript. The operator that watches the turns is the step's own
``operator:`` if it has one, else the scenario's (:mod:`runner.execution.operators`).
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from runner.core.text import quoted
from runner.execution.expectations import check_expectations
from runner.execution.judge_turns import conversation_turns
from runner.execution.operator_policy import is_llm, policy_from
from runner.execution.operators import OperatorRun
from runner.execution.scoring import NO_JUDGE, StepScorer
from runner.execution.transcript import (
    EntryKind,
    Mismatch,
    ScenarioResult,
    SimulationRecord,
    StepRecord,
)
from runner.judging.judge import Judge, JudgeError
from runner.judging.llm import LLMError
from runner.judging.probes import probe_messages
from runner.judging.simulator import NextMessage, Persona, next_message
from runner.language.model import Scenario, Step

DEFAULT_MAX_TURNS = 6
NO_SIMULATOR = ("an LLM customer or operator (`simulate:` with `persona`, `operator:` with "
                "`policy: llm`) needs an LLM: pass --osvi-judge-url URL (or the ini option "
                "osvi_judge_url) and export OSVI_JUDGE_MODEL; `probe:` simulations and the "
                "playbook operator run without one")

RunTurn = Callable[[Step], Awaitable[StepRecord]]
Note = Callable[[EntryKind, "str | None", Step, str], None]


def needs_llm(spec: Any) -> bool:
    """Whether a ``simulate:`` value asks an LLM: a persona, a ``stop_when`` criterion, or
    an LLM operator."""
    return isinstance(spec, Mapping) and ("persona" in spec
                                          or isinstance(spec.get("stop_when"), str)
                                          or is_llm(spec.get("operator")))


def scenario_needs_llm(scenario: Scenario) -> bool:
    """Whether a scenario asks an LLM to play a part: its operator, or a ``simulate:`` step."""
    return is_llm(scenario.operator) or any(
        step.action == "simulate" and needs_llm(step.value) for step in scenario.all_steps())


def title(spec: Mapping[str, Any]) -> str:
    if "probe" in spec:
        return f"simulate: probe {spec['probe']}"
    return f"simulate: {quoted(str(spec.get('persona', '')), 60)}"


class Simulation:
    def __init__(self, step: Step, spec: Mapping[str, Any], result: ScenarioResult,
                 run_turn: RunTurn, note: Note, judge: Judge | None, seed: int,
                 watching: OperatorRun | None = None) -> None:
        """``spec``: the step's value, placeholders filled in; ``watching``: the
        scenario's operator, used when the step has none of its own."""
        self.step = step
        self.spec = spec
        self.result = result
        self.run_turn = run_turn
        self.note = note
        self.judge = judge
        self.probe: str | None = spec.get("probe")
        self.script = probe_messages(self.probe) if self.probe else ()
        self.persona = Persona(str(spec.get("persona", "")), str(spec.get("goal", "")),
                               str(spec.get("language", "")), seed)
        self.max_turns = int(spec.get("max_turns", len(self.script) or DEFAULT_MAX_TURNS))
        policy = policy_from(spec.get("operator"))
        self.operator = (OperatorRun(policy, result, run_turn, note, judge, seed)
                         if policy is not None else watching)
        self.own_operator = policy is not None
        self.seed = seed
        who = (f"probe {self.probe}" if self.probe
               else f"persona {quoted(self.persona.persona, 120)}")
        self.record = SimulationRecord(step.ref, who, self.persona.goal, seed)
        if self.persona.goal or "stop_when" in spec:
            self.record.goal_reached = False

    def _header(self) -> str:
        if self.probe:
            who = f"probe {self.probe} (scripted; whisper_never_leaks and context_never_leaks on)"
        else:
            who = f"persona {quoted(self.persona.persona, 200)}"
            if self.persona.goal:
                who += f" · goal {quoted(self.persona.goal, 200)}"
        parts = [f"simulated customer: {who}", f"up to {self.max_turns} turns",
                 f"seed {self.seed}"]
        if self.operator is not None:
            scope = "" if self.own_operator else " (the scenario's)"
            parts.append(self.operator.describe() + scope)
        return " · ".join(parts)

    async def run(self) -> StepRecord:
        """The simulation's record, or the turn that failed or broke."""
        record = StepRecord(self.step, title(self.spec), started=time.time())
        self.result.steps.append(record)
        self.note("system", self._header(), self.step, "")
        self.result.simulations.append(self.record)
        try:
            outcome, reason = await self._turns(record)
        finally:
            record.stopped = time.time()
        self.record.stopped = reason
        self.note("system", f"simulation stopped: {reason}", self.step, "")
        return outcome

    async def _turns(self, record: StepRecord) -> tuple[StepRecord, str]:
        for turn in range(1, self.max_turns + 1):
            here = dataclasses.replace(self.step, action="customer", value=None, turn=turn,
                                       expect={}, save={}, name=None)
            try:
                message = await self._next(turn)
            except (LLMError, JudgeError) as error:
                record.outcome = "broken"
                record.cause = (f"{here.ref} ({record.title}): the customer simulator could "
                                f"not write the message: {error}")
                return record, f"broken at {here.ref}"
            if message.done:
                why = f": {message.reason}" if message.reason else ""
                if self.record.goal_reached is not None:
                    self.record.goal_reached = message.goal_reached
                return record, f"the simulated customer is done at {here.ref}{why}"
            turn_record = await self.run_turn(dataclasses.replace(here, value=message.text))
            self.record.turns = turn
            if turn_record.outcome != "passed":
                self._name_probe(turn_record, message.text)
                return turn_record, f"{here.ref} {turn_record.outcome}"
            stopped = await self._stop_when(turn_record, here, record)
            if stopped is not None:
                return record, stopped
            if self.operator is not None:
                failed, closed = await self.operator.after(turn_record, self._operator_step(turn))
                if failed is not None:
                    return failed, f"{failed.step.ref} {failed.outcome}"
                if closed:
                    return record, f"the operator closed the session after {here.ref}"
        if self.probe and self.max_turns >= len(self.script):
            return record, self._no_leak()
        return record, f"max_turns ({self.max_turns}) reached"

    def _no_leak(self) -> str:
        return f"the {self.probe} probe sent all its {len(self.script)} messages: no leak found"

    async def _next(self, turn: int) -> NextMessage:
        if self.probe:
            if turn > len(self.script):
                return NextMessage("", done=True, reason=self._no_leak())
            return NextMessage(self.script[turn - 1])
        if self.judge is None:
            raise LLMError(NO_SIMULATOR)
        turns = conversation_turns(self.result)
        message, used = await next_message(self.judge.config.client, self.persona, turns)
        self.result.llm_usage.add(used)
        return message

    async def _stop_when(self, turn_record: StepRecord, here: Step,
                         record: StepRecord) -> str | None:
        """Why the simulation stops after this turn's answer, if ``stop_when`` holds."""
        wanted = self.spec.get("stop_when")
        if wanted is None or turn_record.exchange is None:
            return None
        expect = {"reply": {"judge": wanted}} if isinstance(wanted, str) else dict(wanted)
        scorer = StepScorer(self.judge, conversation_turns(self.result, under_test=here),
                            self.result.llm_usage, here.ref)
        try:
            if self.judge is None and isinstance(wanted, str):
                raise JudgeError(NO_JUDGE)
            missed = await check_expectations(expect, turn_record.exchange, None,
                                              scorer=scorer, scores=[])
        except JudgeError as error:
            record.outcome = "broken"
            record.cause = f"{here.ref} ({record.title}): stop_when could not be judged: {error}"
            return f"broken at {here.ref}"
        if missed:
            return None
        self.record.goal_reached = True
        return f"goal reached at {here.ref} (stop_when met)"

    def _operator_step(self, turn: int) -> Callable[[str, str | None], Step]:
        """How the operator's actions after ``turn`` are named: ``step 2 turn 1 takeover``."""
        def make(action: str, text: str | None) -> Step:
            return dataclasses.replace(self.step, action=action, value=text, turn=turn,
                                       expect={"state": "ok"}, save={}, name=None)
        return make

    def _name_probe(self, turn_record: StepRecord, message: str) -> None:
        """A finding says which probe got it, and with what message."""
        if self.probe and any(m.key.startswith("invariant.") for m in turn_record.mismatches):
            self.record.leak = f"at {turn_record.step.ref}, asked {quoted(message, 120)}"
            turn_record.mismatches.append(Mismatch(
                "probe", f"the agent resists the `{self.probe}` probe",
                f"it leaked {self.record.leak}"))
