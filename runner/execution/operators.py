"""A simulated operator at work: it watches customer turns and acts through the support API.

One :class:`OperatorRun` per operator: the scenario's ``operator:`` (watching
every customer turn, scripted or simulated) or a ``simulate:`` step's own (only
inside that step, where it takes the place of the scenario's). After each
customer turn that passed it may act; every action is a support step of its
own, made by the caller's ``make`` (``step 3 operator``, ``step 2 turn 1``),
sent to the real support endpoint, expected to answer ``state: ok`` and checked
by ``invariants:`` like a written one.

An LLM operator's action that cannot be sent as it is (``say`` before a
``takeover``, ``whisper`` with no text…) is not sent: a runner line says why and
the operator waits for the next customer turn. Such an action still counts
towards ``max_actions``, so a confused model cannot loop.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from runner.execution.judge_turns import conversation_turns
from runner.execution.operator_policy import LLMOperator, Playbook, Policy, policy_from
from runner.execution.transcript import (
    EntryKind,
    OperatorActionRecord,
    OperatorRecord,
    ScenarioResult,
    StepRecord,
)
from runner.judging.judge import Judge
from runner.judging.llm import LLMError
from runner.judging.operator_simulator import (
    NEEDS_TEXT,
    OperatorAction,
    OperatorPersona,
    Situation,
    next_action,
)
from runner.language.model import Step

NO_OPERATOR_LLM = ("an LLM operator (`operator:` with `policy: llm`) needs an LLM: pass "
                   "--osvi-judge-url URL (or the ini option osvi_judge_url) and export "
                   "OSVI_JUDGE_MODEL; the playbook operator runs without one")
# Actions one customer turn may draw from an LLM operator before it must say `nothing`:
# takeover, whisper, say and end is a whole intervention.
MAX_IN_A_ROW = 4

RunTurn = Callable[[Step], Awaitable[StepRecord]]
Note = Callable[[EntryKind, "str | None", Step, str], None]
MakeStep = Callable[[str, "str | None"], Step]  # (support action, text) -> its step


class OperatorRun:
    def __init__(self, policy: Policy, result: ScenarioResult, run_turn: RunTurn, note: Note,
                 judge: Judge | None, seed: int, *, announce: bool = False,
                 record: OperatorRecord | None = None) -> None:
        """``announce``: say who the operator is with the first turn it watches (a
        simulation's own operator is in the simulation's opening line instead);
        ``record``: where its actions are kept for the run summary."""
        self.policy = policy
        self.announce = announce
        self.record = record
        self.result = result
        self.run_turn = run_turn
        self.note = note
        self.judge = judge
        # An LLM operator's own `seed:` wins over the simulation's (or the run number).
        own = policy.seed if isinstance(policy, LLMOperator) else None
        self.seed = own if own is not None else seed
        self.watched = 0  # customer turns seen
        self.used = 0  # actions taken (an LLM operator's ignored ones too)
        self.finished = False  # the playbook ran, or the LLM operator has no actions left
        self.mode: str | None = None  # the session's, as answers and own actions tell it

    def describe(self) -> str:
        if isinstance(self.policy, LLMOperator):
            return f"{self.policy.describe()} · seed {self.seed}"
        return self.policy.describe()

    async def after(self, customer: StepRecord, make: MakeStep) -> tuple[StepRecord | None, bool]:
        """Act after a customer turn that passed: the step that failed or broke, and whether
        the operator closed the session."""
        self.watched += 1
        if self.record is not None:
            self.record.watched = self.watched
        if self.announce and self.watched == 1:
            self.note("system", f"simulated operator: {self.describe()}", customer.step, "")
        payload: Mapping[str, Any] = customer.exchange.payload if customer.exchange else {}
        if isinstance(payload.get("mode"), str):
            self.mode = payload["mode"]
        if self.finished:
            return None, False
        if isinstance(self.policy, Playbook):
            if not self.policy.due(self.watched, payload):
                return None, False
            self.finished = True  # the playbook runs once
            for action, text in self.policy.actions():
                record = await self._act(make(action, text))
                if record.outcome != "passed":
                    return record, False
            return None, self.policy.hand_back == "close"
        return await self._decide(self.policy, payload, make)

    async def _decide(self, policy: LLMOperator, payload: Mapping[str, Any],
                      make: MakeStep) -> tuple[StepRecord | None, bool]:
        here = make("operator", None)  # names the decision in messages and runner lines
        for _ in range(MAX_IN_A_ROW):
            left = policy.max_actions - self.used
            if left <= 0:
                self.finished = True
                self.note("system", f"operator simulator: all {policy.max_actions} actions "
                          "used; it watches no more", here, "")
                return None, False
            state = payload.get("state") if isinstance(payload.get("state"), str) else None
            now = Situation(self.mode, state, payload.get("help_requested") is True, left)
            try:
                action = await self._ask(policy, now)
            except LLMError as error:
                return self._broken(here, error), False
            if action.action == "nothing":
                return None, False
            self.used += 1
            refused = self._refused(action)
            if refused is not None:
                # kept under the support action it would have been (`say` is `operator`)
                self._keep("operator" if action.action == "say" else action.action, here,
                           "not sent", why=refused)
                self.note("system", f"operator simulator: `{action.action}` not sent: "
                          f"{refused}", here, "")
                return None, False
            api = "operator" if action.action == "say" else action.action
            record = await self._act(make(api, action.text if action.action in NEEDS_TEXT
                                          else None))
            if record.outcome != "passed":
                return record, False
            if action.action == "close":
                self.finished = True
                return None, True
        return None, False

    async def _ask(self, policy: LLMOperator, now: Situation) -> OperatorAction:
        if self.judge is None:
            raise LLMError(NO_OPERATOR_LLM)
        persona = OperatorPersona(policy.persona, policy.instructions, self.seed)
        try:
            action, used = await next_action(self.judge.config.client, persona,
                                              conversation_turns(self.result), now)
        except LLMError as error:
            if error.usage is not None:  # an answer came and was paid for
                self.result.llm_usage.add(error.usage)
            raise
        self.result.llm_usage.add(used)
        return action

    def _refused(self, action: OperatorAction) -> str | None:
        """Why an action cannot be sent as the model chose it, or None."""
        if action.action in NEEDS_TEXT and not action.text:
            return "it needs a text and the model gave none"
        holding = self.mode == "support"
        if action.action == "say" and not holding:
            return "the operator speaks only while holding the chat: `takeover` first"
        if action.action == "end" and not holding:
            return "there is nothing to hand back: the operator has not taken over"
        if action.action == "takeover" and holding:
            return "the operator holds the chat already"
        return None

    async def _act(self, step: Step) -> StepRecord:
        record = await self.run_turn(step)
        self._keep(step.action, step, record.outcome, sent=True)
        if record.outcome == "passed":
            self.mode = {"takeover": "support", "end": "ai", "close": "closed"}.get(
                step.action, self.mode)
        return record

    def _broken(self, here: Step, error: LLMError) -> StepRecord:
        now = time.time()
        record = StepRecord(here, "operator simulator", started=now, stopped=now,
                            outcome="broken")
        record.cause = (f"{here.ref} (operator simulator): the operator simulator could not "
                        f"choose an action: {error}")
        self.result.steps.append(record)
        self._keep("choosing an action", here, "broken", why=record.cause)
        return record

    def _keep(self, action: str, step: Step, outcome: str, *, sent: bool = False,
              why: str | None = None) -> None:
        """An action for the summary and transcripts, named by the customer turn it answered
        and, when sent, by the step it was sent as."""
        if self.record is not None:
            turn = dataclasses.replace(step, by_operator=False).ref  # `step 3`, `step 2 turn 1`
            self.record.actions.append(OperatorActionRecord(
                action, turn, outcome, step.ref if sent else None, why))


def scenario_operator(spec: Mapping[str, Any] | None, result: ScenarioResult, run_turn: RunTurn,
                      note: Note, judge: Judge | None, seed: int) -> OperatorRun | None:
    """The scenario's ``operator:`` (placeholders filled in), or None."""
    policy = policy_from(spec)
    if policy is None:
        return None
    record = result.operator = OperatorRecord(
        "llm" if isinstance(policy, LLMOperator) else "playbook")
    return OperatorRun(policy, result, run_turn, note, judge, seed, announce=True,
                       record=record)


def after_step(step: Step) -> MakeStep:
    """How the scenario operator's actions after a scripted step are named: ``step 3 operator``."""
    def make(action: str, text: str | None) -> Step:
        return dataclasses.replace(step, action=action, value=text, by_operator=True,
                                   expect={"state": "ok"}, save={}, name=None)
    return make
