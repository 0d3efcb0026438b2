"""Does the model use time? Its predictions on clips played backwards and with shuffled frames.

A model that ignores frame order scores as well on shuffled clips as on the originals, and
names a reversed "Moving something up" as itself; one that reasons about time loses accuracy
on shuffled clips and names the reversed clip "Moving something down".
"""

from __future__ import annotations

import math

import torch
from torch import Tensor
from torch.utils.data import Dataset

from ssv2.classes import reversal_pairs
from ssv2.engine import accuracy, pair_accuracy

ORDERS = ("reversed", "shuffled")


def frame_order(frames: int, order: str, generator: torch.Generator | None = None) -> Tensor:
    """Indices that reorder `frames` frames: `reversed`, or `shuffled` (never the original order, for frames > 1)."""
    if order == "reversed":
        return torch.arange(frames - 1, -1, -1)
    if order == "shuffled":
        permutation = torch.randperm(frames, generator=generator)
        if frames > 1 and torch.equal(permutation, torch.arange(frames)):
            permutation = permutation.roll(1)  # an unshuffled clip would measure nothing
        return permutation
    raise ValueError(f"unknown frame order {order!r}: must be one of {', '.join(ORDERS)}")


class Reordered(Dataset):
    """The clips of `dataset` with their frames reordered in time (dimension -3 of (..., C, T, H, W)).

    Each item's shuffle derives from (seed, index), so every view of a clip, every worker and
    every rerun sees the same order.
    """

    def __init__(self, dataset: Dataset, order: str, seed: int = 0):
        frame_order(2, order)  # rejects an unknown order now rather than in a worker
        self.dataset, self.order, self.seed = dataset, order, seed

    def __len__(self) -> int:
        return len(self.dataset)

    def __getitem__(self, i: int) -> tuple[Tensor, int]:
        clip, label = self.dataset[i]
        generator = torch.Generator().manual_seed(self.seed * 1_000_003 + i)
        return clip.index_select(-3, frame_order(clip.shape[-3], self.order, generator)), label


def temporal_metrics(
    reversed_probs: Tensor, shuffled_probs: Tensor, targets: Tensor, class_names: list[str]
) -> dict[str, float]:
    """Scores on the reordered clips (probabilities (N, K)), in percent.

    shuffled_top1 / reversed_top1: top-1 on clips with shuffled / reversed frames.
    reversed_pairs_as_partner: of the reversed clips whose class has a time-reversal partner,
    the share predicted as that partner (high: the model reads direction in time);
    reversed_pairs_as_own: the share still predicted as their own class (high: it does not).
    NaN where the classes have no reversal pairs.
    """
    (shuffled_top1,) = accuracy(shuffled_probs, targets)
    (reversed_top1,) = accuracy(reversed_probs, targets)
    pairs = reversal_pairs(class_names)
    reversal = (
        pair_accuracy(reversed_probs.argmax(1), targets, pairs) if pairs else {"top1": math.nan, "partner": math.nan}
    )
    return {
        "shuffled_top1": shuffled_top1,
        "reversed_top1": reversed_top1,
        "reversed_pairs_as_partner": reversal["partner"],
        "reversed_pairs_as_own": reversal["top1"],
    }
