"""The generalisation benchmark's comparison of candidates (benchmarks/generalisation.py)."""

import sys

import pytest

from conftest import REPO

sys.path.insert(0, str(REPO / "benchmarks"))
from generalisation import paired_gap  # noqa: E402


def rows(changes: dict, scores: dict[tuple[str, int], float]) -> list[dict]:
    return [{"variant": v, "seed": s, "val_top1": top1, "changes": changes} for (v, s), top1 in scores.items()]


def test_the_gap_pairs_trainings_of_the_same_variant_and_seed():
    baseline = rows({}, {("shelf", 0): 76.6, ("shelf", 1): 82.8, ("foreign", 0): 100.0})
    candidate = rows({"train.lr": 0.1}, {("shelf", 0): 76.6, ("shelf", 1): 75.0, ("shelf", 2): 10.0})
    # shelf seed 2 has no baseline and foreign no candidate: neither counts. Gaps 0 and -7.8.
    assert paired_gap(baseline + candidate, {}, {"train.lr": 0.1}) == "-3.9 +- 3.9"


@pytest.mark.parametrize("scores, shown", [({("shelf", 0): 70.0}, "-6.6"), ({("shelf", 5): 70.0}, "-")])
def test_one_pair_has_no_standard_error_and_none_no_gap(scores, shown):
    assert paired_gap(rows({}, {("shelf", 0): 76.6}) + rows({"x": 1}, scores), {}, {"x": 1}) == shown
