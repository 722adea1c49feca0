"""Invariants: checked on every turn; a violation fails the turn that broke the rule."""

from __future__ import annotations

import pytest

from runner.judging.textsim import near_copy, verbatim_fragment
from tests.toolkit.conftest import RunPytest, WriteFile

LEAKY = """
    scenario: Leaky
    invariants:
      silent_during_takeover: true
      whisper_never_leaks: true
      context_never_leaks: true
      reply_never: {contains_any: [Acme], ignore_case: true}
      max_reply_length: 60
    mock:
      replies:
        - when: {message: "(?i)leak", whisper: "."}
          reply: "Between us: {{ whisper }}"
        - when: "(?i)context"
          reply: "I read: {{ context }}"
        - when: "(?i)cheaper"
          reply: "ACME is cheaper."
        - when: "(?i)long"
          reply: "This reply goes on and on and on, far longer than anyone would want."
      default_reply: "Hello!"
    steps:
"""


@pytest.mark.parametrize(("steps", "failing", "mismatch"), [
    ("""
      - customer: "Hi"
      - takeover: null
      - customer: "Anyone?"
    """, 'step 3 failed: customer: "Anyone?"',
     ["  invariant.silent_during_takeover  expected: no agent reply while operator@example.com "
      "holds the session (taken over at step 2)",
      '                                      actual: "Hello!"']),
    ("""
      - customer: "Hi"
      - whisper: "The customer is a VIP, offer a voucher"
      - customer: "leak it"
    """, 'step 3 failed: customer: "leak it"',
     ["  invariant.whisper_never_leaks  expected: no reply repeats the private guidance of "
      'step 2 ("The customer is a VIP, offer a voucher")',
      '                                   actual: "Between us: The customer is a VIP, offer a '
      'voucher" (repeats "The customer is a VIP, offer a voucher")']),
    ("""
      - customer: "Hi"
      - inject_context: "Call on 12 May: promised a call back by Friday"
      - customer: "What is in the context?"
    """, 'step 3 failed: customer: "What is in the context?"',
     ["  invariant.context_never_leaks  expected: no reply repeats the context injected at "
      'step 2 ("Call on 12 May: promised a call back by Friday")', "*"]),
    ("""
      - customer: "Who is cheaper?"
    """, 'step 1 failed: customer: "Who is cheaper?"',
     ['  invariant.reply_never  expected: no reply that contains any of "Acme" (ignoring case)',
      '                           actual: "ACME is cheaper."']),
    ("""
      - customer: "Hi"
      - customer: "Say something long"
    """, 'step 2 failed: customer: "Say something long"',
     ["  invariant.max_reply_length  expected: a reply of at most 60 characters",
      '                                actual: 68 characters: "This reply goes on*']),
])
def test_a_violation_fails_the_turn_that_broke_the_rule(steps: str, failing: str,
                                                        mismatch: list[str], write: WriteFile,
                                                        run: RunPytest) -> None:
    mock = LEAKY.replace('default_reply: "Hello!"', 'default_reply: "Hello!"\n'
                         "      answers_during_takeover: true  # a broken agent")
    write(mock + "\n".join("      " + line.strip() if line.strip().startswith("-")
                            else "        " + line.strip()
                            for line in steps.strip("\n").splitlines()) + "\n")
    result = run()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines([f"✗ {failing}*", "*", "Mismatches:", *mismatch])


def test_a_conversation_that_keeps_the_rules_passes(write: WriteFile, run: RunPytest) -> None:
    write(LEAKY + """
      - customer: "Hi"
      - whisper: "Offer a voucher to this VIP customer"
      - inject_context: "Call on 12 May: promised a call back"
      - customer: "Hello again"
      - takeover: null
      - customer: "Hi?"
        expect: {reply: null}
      - end: null
      - customer: "Hello"
        expect: {reply: "Hello!"}
    """)
    run().assert_outcomes(passed=1)


def test_the_block_is_checked_statically(write: WriteFile, run: RunPytest) -> None:
    write("""
        scenario: S
        invariants:
          whisper_never_leak: true
          reply_never: {matches: "(unclosed"}
        steps:
          - customer: "Hi"
    """)
    result = run()
    assert result.ret == 2
    result.stdout.fnmatch_lines([
        "chat.scenario.yaml:3: unknown key 'whisper_never_leak' in `invariants` (did you mean "
        "'whisper_never_leaks'?)*",
    ])


def test_near_copies_of_whispers_count_and_following_the_guidance_does_not() -> None:
    secret = "the customer is a VIP, offer a voucher"
    assert near_copy(secret, "Since the customer is a VIP we offer a voucher", ratio=0.8,
                     min_words=4) is not None
    assert near_copy(secret, "I can offer you a voucher as a valued customer", ratio=0.8,
                     min_words=4) is None
    assert near_copy("offer a voucher", "offer them a voucher", ratio=0.8, min_words=4) is None
    assert near_copy("offer a voucher", "We OFFER a voucher!", ratio=0.8, min_words=4) \
        == "OFFER a voucher"


def test_context_counts_only_verbatim_runs_of_words() -> None:
    entry = "Customer was promised a call back by Friday afternoon"
    assert verbatim_fragment(entry, "Note: customer was promised a call back by Friday "
                                    "afternoon.", min_words=8) \
        == "customer was promised a call back by Friday afternoon"
    assert verbatim_fragment(entry, "You were promised a call back by Friday afternoon.",
                             min_words=8) is None  # 7 words in a row: not enough
    assert verbatim_fragment(entry, "We will call you back on Friday.", min_words=8) is None
