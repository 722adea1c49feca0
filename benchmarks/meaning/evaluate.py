"""How well ``similar_to`` tells same from different meaning, on labelled pairs.

    .venv/bin/python benchmarks/meaning/evaluate.py            # the table of docs/regression.md
    .venv/bin/python benchmarks/meaning/evaluate.py --errors   # and every pair judged wrongly
    .venv/bin/python benchmarks/meaning/evaluate.py --sweep    # thresholds, tune half only

Reads ``pairs.yaml`` beside this file (support-chat replies labelled ``same`` or
``different``) and judges every pair as ``similar_to`` does, with the real model
(the semantic extra must be installed), at the default threshold unless
``--threshold`` says otherwise. For each category and split it prints recall
(same-meaning pairs that pass), the false-pass rate (different-meaning pairs that
pass) and precision (passing pairs that mean the same). ``embedding only`` is the
old matcher at its old default of 0.8: the whole reply's score, no passages, no
guards. Ends with the issue's targets, each met or not; asserts nothing (the test
``tests/judging/test_meaning_recall.py`` does).

The pairs of each category are split in two halves, alternately: ``tune`` (1st, 3rd,
...) and ``held-out`` (2nd, 4th, ...). Thresholds and guards were tuned on ``tune``.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from pathlib import Path

import yaml

from runner.judging import semantic
from runner.judging.meaning import compare
from runner.language.matchers import DEFAULT_SIMILARITY

PAIRS = Path(__file__).resolve().parent / "pairs.yaml"
SPLITS = ("tune", "held-out")
OLD_DEFAULT = 0.8  # similar_to's threshold before the guards
# Issue 14's targets at the default threshold: (title, categories, same-meaning pairs?,
# the bound, whether the rate must reach it (recall) or stay within it (false passes)).
TARGETS = (
    ("paraphrase recall, short", ("paraphrase",), True, 0.8, True),
    ("paraphrase recall, long replies", ("paraphrase_long",), True, 0.8, True),
    ("false passes, reversals", ("reversal",), False, 0.1, False),
    ("false passes, changed numbers", ("changed_number",), False, 0.1, False),
    ("false passes, changed dates", ("changed_date",), False, 0.1, False),
    ("false passes, changed names", ("changed_entity",), False, 0.1, False),
    ("false passes, topic drift", ("topic_drift",), False, 0.0, False),
)


@dataclass(frozen=True)
class Pair:
    category: str
    split: str
    same: bool
    expected: str
    actual: str


@dataclass(frozen=True)
class Judged:
    pair: Pair
    score: float  # the passage's similarity
    whole: float  # the whole reply's similarity (the old matcher)
    guard: str  # why a guard failed, or ""


def load(path: Path = PAIRS) -> list[Pair]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    pairs = []
    for category, rows in data.items():
        for index, (label, expected, actual) in enumerate(rows):
            if label not in ("same", "different"):
                raise SystemExit(f"{path}: {category} #{index + 1}: label {label!r}: "
                                 "write same or different")
            pairs.append(Pair(category, SPLITS[index % 2], label == "same", expected, actual))
    return pairs


def judge(pairs: list[Pair], threshold: float) -> list[Judged]:
    judged = []
    for pair in pairs:
        result = compare(pair.expected, pair.actual, semantic.similarities, threshold)
        whole = semantic.similarity(pair.expected, pair.actual)
        guard = result.failure.describe() if result.failure else ""
        judged.append(Judged(pair, result.score, whole, guard))
    return judged


def passes(item: Judged, threshold: float, old: bool = False) -> bool:
    if old:
        return item.whole >= threshold
    return not item.guard and item.score >= threshold


def _rate(hits: int, total: int) -> str:
    return f"{hits / total:4.2f} ({hits}/{total})" if total else "   -     "


def table(judged: list[Judged], threshold: float, old: bool = False,
          splits: tuple[str, ...] = ("tune", "held-out", "all")) -> list[str]:
    lines = [f"{'category':<16} {'split':<9} {'recall':>12} {'false passes':>13} "
             f"{'precision':>12}"]
    categories = [*dict.fromkeys(j.pair.category for j in judged), "all"]
    for category in categories:
        for split in splits:
            chosen = [j for j in judged if category in ("all", j.pair.category)
                      and split in ("all", j.pair.split)]
            same = [j for j in chosen if j.pair.same]
            different = [j for j in chosen if not j.pair.same]
            passed_same = sum(passes(j, threshold, old) for j in same)
            passed_different = sum(passes(j, threshold, old) for j in different)
            lines.append(f"{category:<16} {split:<9} {_rate(passed_same, len(same)):>12} "
                         f"{_rate(passed_different, len(different)):>13} "
                         f"{_rate(passed_same, passed_same + passed_different):>12}")
    return lines


def targets(judged: list[Judged], threshold: float) -> list[str]:
    """Each of the issue's targets with the rate on all pairs and on each half."""
    lines = []
    for title, categories, same, bound, at_least in TARGETS:
        rates = []
        for split in ("all", *SPLITS):
            chosen = [j for j in judged if j.pair.category in categories
                      and j.pair.same == same and split in ("all", j.pair.split)]
            rates.append(sum(passes(j, threshold) for j in chosen) / len(chosen))
        met = rates[0] >= bound if at_least else rates[0] <= bound
        sign = "≥" if at_least else "≤"
        lines.append(f"  {title:<32} {rates[0]:.2f} ({sign} {bound}) {'✓' if met else '✗'}"
                     f"   tune {rates[1]:.2f}, held-out {rates[2]:.2f}")
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--threshold", type=float, default=DEFAULT_SIMILARITY)
    parser.add_argument("--old-threshold", type=float, default=OLD_DEFAULT,
                        help=f"for the old matcher (default {OLD_DEFAULT}, its default)")
    parser.add_argument("--errors", action="store_true", help="list the pairs judged wrongly")
    parser.add_argument("--sweep", action="store_true",
                        help="recall and false passes per threshold, on the tune half")
    args = parser.parse_args(argv)
    if not semantic.available():
        print(semantic.missing_message("the benchmark"), file=sys.stderr)
        return 2
    pairs = load()
    print(f"{len(pairs)} pairs, model {semantic.model_name()}, threshold {args.threshold}")
    judged = judge(pairs, args.threshold)
    print("\nsimilar_to (passages and guards):")
    print("\n".join(table(judged, args.threshold)))
    print(f"\nissue 14's targets at {args.threshold} (all pairs; then each half):")
    print("\n".join(targets(judged, args.threshold)))
    print(f"\nembedding only (whole reply, no guards) at {args.old_threshold}:")
    print("\n".join(table(judged, args.old_threshold, old=True, splits=("all",))))
    if args.sweep:
        print("\nthreshold sweep, tune half only:")
        tune = [p for p in pairs if p.split == "tune"]
        groups = {"short paraphrase recall": ("paraphrase",),
                  "long paraphrase recall": ("paraphrase_long",),
                  "reversal": ("reversal",),
                  "facts": ("changed_number", "changed_date", "changed_entity"),
                  "topic drift": ("topic_drift",)}
        for step in range(50, 91, 2):
            threshold = step / 100
            rejudged = judge(tune, threshold)
            cells = []
            for title, categories in groups.items():
                chosen = [j for j in rejudged if j.pair.category in categories
                          and j.pair.same == title.endswith("recall")]
                hits = sum(passes(j, threshold) for j in chosen)
                name = title if title.endswith("recall") else f"{title} false passes"
                cells.append(f"{name} {_rate(hits, len(chosen))}")
            print(f"  {threshold:.2f}  " + "  ".join(cells))
    if args.errors:
        print("\njudged wrongly:")
        for item in judged:
            if passes(item, args.threshold) != item.pair.same:
                label = "same" if item.pair.same else "different"
                print(f"  [{item.pair.category}/{item.pair.split}] {label}: score "
                      f"{item.score:.3f} (whole {item.whole:.3f}) {item.guard}")
                print(f"      expected: {item.pair.expected}")
                print(f"      actual:   {item.pair.actual}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
