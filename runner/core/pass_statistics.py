"""Statistics of a repeated scenario's pass rate: the Wilson score interval and pass^k.

A handful of runs says little about an agent's true pass rate: 4 passes in 5
runs fits a true rate anywhere from about 38% to 96%. The Wilson score
interval is the usual choice for few runs (unlike the normal approximation it
stays inside 0-1 and is not degenerate at 0 or all passes).
"""

from __future__ import annotations

import math
from statistics import NormalDist

DEFAULT_CONFIDENCE = 0.95


def wilson_interval(passed: int, total: int,
                    confidence: float = DEFAULT_CONFIDENCE) -> tuple[float, float]:
    """The ``confidence`` interval of the true pass rate after ``passed`` of ``total`` runs."""
    if total <= 0:
        return 0.0, 1.0  # no run: nothing is known
    z = NormalDist().inv_cdf(0.5 + confidence / 2)
    rate = passed / total
    spread = z * z / total
    centre = (rate + spread / 2) / (1 + spread)
    half = z * math.sqrt(rate * (1 - rate) / total + spread / (4 * total)) / (1 + spread)
    return max(0.0, centre - half), min(1.0, centre + half)


def lower_bound(passed: int, total: int, confidence: float) -> float:
    return wilson_interval(passed, total, confidence)[0]


def runs_to_reach(min_pass_rate: float, confidence: float, limit: int = 100) -> int | None:
    """The fewest runs that, all passing, put the lower bound at ``min_pass_rate``."""
    return next((n for n in range(1, limit + 1)
                 if lower_bound(n, n, confidence) >= min_pass_rate - 1e-9), None)


def percent(value: float) -> str:
    return f"{round(100 * value)}%"
