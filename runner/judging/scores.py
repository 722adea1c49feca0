"""Scores as people read them: enough digits that the comparison is visibly right.

0.798 against a threshold of 0.8 must not read ``0.80 (≥ 0.80) ✗``. Two digits
are shown, more only where two would hide which side of the threshold the
score is on.
"""

from __future__ import annotations


def shown(score: float, threshold: float) -> tuple[str, str]:
    """``score`` and ``threshold`` as text, with the same number of digits (2 to 6)."""
    for digits in range(2, 7):
        a, b = f"{score:.{digits}f}", f"{threshold:.{digits}f}"
        if (float(a) >= float(b)) == (score >= threshold):
            return a, b
    return repr(score), repr(threshold)
