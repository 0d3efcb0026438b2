"""The generalisation benchmark's comparison of candidates (benchmarks/generalisation.py)."""

import sys

import pytest

from conftest import REPO

sys.path.insert(0, str(REPO / "benchmarks"))
from generalisation import paired_gap  # noqa: E402


def test_the_gap_pairs_trainings_of_the_same_variant_and_seed():
    baseline = {("shelf", 0): 76.6, ("shelf", 1): 82.8, ("foreign", 0): 100.0}
    candidate = {("shelf", 0): 76.6, ("shelf", 1): 75.0, ("shelf", 2): 10.0}
    # shelf seed 2 has no baseline and foreign no candidate: neither counts. Gaps 0 and -7.8.
    assert paired_gap(candidate, baseline) == "-3.9 +- 3.9"


@pytest.mark.parametrize("scores, shown", [({("shelf", 0): 70.0}, "-6.6"), ({("shelf", 5): 70.0}, "-")])
def test_one_pair_has_no_standard_error_and_none_no_gap(scores, shown):
    assert paired_gap(scores, {("shelf", 0): 76.6}) == shown
