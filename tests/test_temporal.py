import math

import pytest
import torch
from torch.utils.data import TensorDataset

from ssv2.temporal import Reordered, frame_order, temporal_metrics

NAMES = ["Moving something down", "Moving something up", "Holding something"]


def test_frame_orders():
    assert frame_order(4, "reversed").tolist() == [3, 2, 1, 0]
    for seed in range(50):
        order = frame_order(3, "shuffled", torch.Generator().manual_seed(seed))
        assert sorted(order.tolist()) == [0, 1, 2] and order.tolist() != [0, 1, 2]
    assert frame_order(1, "shuffled").tolist() == [0]
    with pytest.raises(ValueError, match="'backwards'.*reversed, shuffled"):
        frame_order(4, "backwards")


@pytest.mark.parametrize("shape", [(3, 6, 2, 2), (2, 3, 6, 2, 2)])  # one clip (C, T, H, W), or views (V, C, T, H, W)
def test_reordered_permutes_time_only_and_the_same_way_each_time(shape):
    # Each frame holds its own index, so the reordered clip shows the order it was given.
    clip = torch.arange(6).view(6, 1, 1).expand(shape).clone()
    dataset = TensorDataset(torch.stack([clip, clip]), torch.tensor([1, 2]))
    backwards, label = Reordered(dataset, "reversed")[0]
    assert label == 1 and backwards.shape == clip.shape
    assert torch.equal(backwards, clip.flip(-3))
    shuffled = Reordered(dataset, "shuffled", seed=3)
    first, second = shuffled[0][0], shuffled[1][0]
    frames = first.movedim(-3, 0).reshape(6, -1)  # row t: every value of frame t
    order = frames[:, 0]
    assert torch.equal(frames, order[:, None].expand_as(frames))  # views, channels and pixels move together
    assert sorted(order.tolist()) == list(range(6)) and order.tolist() != list(range(6))
    assert torch.equal(first, shuffled[0][0])  # the same order each time
    assert not torch.equal(first, second)  # each item its own shuffle (true for seed 3)
    with pytest.raises(ValueError, match="unknown frame order"):
        Reordered(dataset, "sideways")


def test_temporal_metrics_by_hand():
    targets = torch.tensor([0, 1, 1, 2])
    # Reversed: the first "up" is named "down" (its partner), the second stays "up"; "down" becomes "holding".
    reversed_probs = torch.eye(3)[[2, 0, 1, 2]]
    shuffled_probs = torch.eye(3)[[0, 1, 0, 0]]
    metrics = temporal_metrics(reversed_probs, shuffled_probs, targets, NAMES)
    assert metrics == {
        "shuffled_top1": 50.0,
        "reversed_top1": 50.0,
        "reversed_pairs_as_partner": pytest.approx(100 / 3),
        "reversed_pairs_as_own": pytest.approx(100 / 3),
    }


def test_temporal_metrics_without_reversal_pairs():
    metrics = temporal_metrics(
        torch.eye(2), torch.eye(2), torch.tensor([0, 1]), ["Holding something", "Tearing something"]
    )
    assert metrics["shuffled_top1"] == 100.0 and math.isnan(metrics["reversed_pairs_as_partner"])
