"""One shortening rule for every value shown in a message."""

from __future__ import annotations

import pytest

from runner.core.text import flat, quoted, shorten


@pytest.mark.parametrize("limit", [3, 10, 60])
def test_a_cut_fits_the_limit_and_says_there_was_more(limit: int) -> None:
    text = "x" * 200
    cut = shorten(text, limit)
    assert len(cut) == limit and cut.endswith("...")


def test_what_fits_is_left_alone() -> None:
    assert shorten("refund", 6) == "refund"


def test_a_quote_is_one_line() -> None:
    assert flat("a\n  b\tc") == "a b c"
    assert quoted("one two three four five six", 12) == '"one two t..."'
    assert quoted("hi\nthere", 20) == '"hi there"'
