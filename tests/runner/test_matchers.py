"""Text and list matchers: what authors write in `expect:` and mock `when:`."""

from __future__ import annotations

import pytest

from runner.language.matchers import MatcherError, compile_list_matcher, compile_text_matcher

REPLY = "We are open Monday to Friday, 9:00 to 17:00."


@pytest.mark.parametrize(
    ("spec", "actual", "failure"),
    [
        (REPLY, REPLY, None),
        ("We are open", REPLY, 'equals "We are open"'),
        (None, None, None),
        (None, "hi", "is null (no reply)"),
        ({"equals": REPLY}, REPLY, None),
        ({"contains": "Monday"}, REPLY, None),
        ({"contains": ["Monday", "Sunday"]}, REPLY, 'contains "Sunday"'),
        ({"contains_any": ["Sunday", "Friday"]}, REPLY, None),
        ({"contains_any": ["Sunday", "Saturday"]}, REPLY,
         'contains any of "Sunday", "Saturday"'),
        ({"not_contains": "closed"}, REPLY, None),
        ({"not_contains": ["closed", "Monday"]}, REPLY, 'does not contain "Monday"'),
        ({"matches": r"\d+:\d+"}, REPLY, None),
        ({"matches": r"^\d"}, REPLY, r"matches /^\d/"),
        ({"not_matches": "weekend"}, REPLY, None),
        ({"starts_with": "We are"}, REPLY, None),
        ({"ends_with": "17:00."}, REPLY, None),
        ({"ends_with": "18:00."}, REPLY, 'ends with "18:00."'),
        ({"length": {"min": 5, "max": 100}}, REPLY, None),
        ({"length": {"max": 10}}, REPLY, "has at most 10 characters"),
        ({"length": 2}, "ab", None),
        ({"any_of": ["nope", {"contains": "Friday"}]}, REPLY, None),
        ({"any_of": ["nope", "nah"]}, REPLY, 'any of: (equals "nope") | (equals "nah")'),
        ({"all_of": [{"contains": "Mon"}, {"contains": "Sun"}]}, REPLY, 'contains "Sun"'),
        ({"not": {"contains": "Monday"}}, REPLY, 'not (contains "Monday")'),
        ({"equals": REPLY.upper(), "ignore_case": True}, REPLY, None),
        ({"contains": "MONDAY"}, REPLY, 'contains "MONDAY"'),
        ({"contains": "MONDAY", "ignore_case": True}, REPLY, None),
        ({"matches": "monday", "ignore_case": True}, REPLY, None),
        # ignore_case reaches into nested matchers
        ({"any_of": [{"contains": "FRIDAY"}], "ignore_case": True}, REPLY, None),
        # A null reply fails every condition that needs text, even negative ones.
        ({"not_contains": "x"}, None, 'does not contain "x"'),
        ({"contains": "x"}, None, 'contains "x"'),
    ],
)
def test_text_matcher(spec: object, actual: str | None, failure: str | None) -> None:
    assert compile_text_matcher(spec).check(actual) == failure


def test_several_failures_are_reported_together() -> None:
    matcher = compile_text_matcher({"starts_with": "Hi", "contains": "order", "length": {"min": 1}})
    assert matcher.check("Bye") == 'starts with "Hi" and contains "order"'


def test_bare_string_is_a_regex_where_asked() -> None:
    matcher = compile_text_matcher("(?i)refund", bare_string_is_regex=True)
    assert matcher.check("I want a REFUND now") is None
    assert matcher.check("hello") == "matches /(?i)refund/"


@pytest.mark.parametrize(
    ("spec", "message", "path"),
    [
        ({"contians": "x"}, "unknown text matcher key 'contians' (did you mean 'contains'?)",
         ("contians",)),
        ({"matches": "("}, "invalid regular expression /(/: missing ), unterminated subpattern "
         "at position 0", ("matches",)),
        ({"length": {"min": -1}}, "`length` bounds must be whole numbers ≥ 0", ("length",)),
        ({}, "an empty text matcher checks nothing", ()),
        (42, "a text matcher is a string, null or a mapping, not a number", ()),
        ({"any_of": [{"matches": "["}]}, "invalid regular expression /[/: unterminated character "
         "set at position 0", ("any_of", 0, "matches")),
    ],
)
def test_bad_text_matchers_say_what_and_where(spec: object, message: str,
                                              path: tuple[object, ...]) -> None:
    with pytest.raises(MatcherError) as caught:
        compile_text_matcher(spec)
    assert caught.value.message == message
    assert caught.value.path == path
    assert caught.value.fix


BUCKET = ["Plan: premium", "Called on Monday"]


@pytest.mark.parametrize(
    ("spec", "failure"),
    [
        ({"contains": {"starts_with": "Plan"}}, None),
        ({"contains": "Plan"}, 'has an item that equals "Plan"'),
        ({"not_contains": {"contains": "Tuesday"}}, None),
        ({"last": {"contains": "Monday"}}, None),
        ({"last": "Plan: premium"}, 'has a last item that equals "Plan: premium"'),
        ({"length": 2}, None),
        ({"length": {"min": 3}}, "has at least 3 items"),
        ({"equals": BUCKET}, None),
        (BUCKET, None),
        (["Plan: premium"], 'equals ["Plan: premium"]'),
    ],
)
def test_list_matcher(spec: object, failure: str | None) -> None:
    assert compile_list_matcher(spec).check(BUCKET) == failure


def test_list_matcher_rejects_unknown_keys() -> None:
    with pytest.raises(MatcherError, match="did you mean 'last'"):
        compile_list_matcher({"lats": "x"})
