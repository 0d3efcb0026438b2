import math

import matplotlib.image
import torch

from ssv2.report import confused_pairs, confusion_classes, per_class_table, plot_confusion


def test_per_class_table_worst_first_absent_last():
    rows = per_class_table([50.0, math.nan, 10.0, 100.0], [24, 3, 0, 5], [2, 0, 10, 1], ["a", "b", "c", "d"])
    assert [r[0] for r in rows] == ["c", "a", "d", "b"]
    assert rows[0] == ("c", 0, 10, 10.0)


def test_confused_pairs_by_count_then_share():
    confusion = torch.tensor(
        [
            [5, 2, 0],
            [1, 0, 2],  # class 1: 2 of 3 go to class 2
            [0, 1, 9],
        ]
    )
    pairs = confused_pairs(confusion, ["a", "b", "c"])
    assert [(p["actual"], p["predicted"], p["count"]) for p in pairs] == [
        ("b", "c", 2),
        ("a", "b", 2),
        ("b", "a", 1),
        ("c", "b", 1),
    ]
    assert pairs[0]["share"] == 100 * 2 / 3
    assert len(confused_pairs(confusion, ["a", "b", "c"], top=1)) == 1
    assert confused_pairs(torch.eye(3, dtype=torch.long), ["a", "b", "c"]) == []


def test_confusion_classes_all_when_few_else_those_of_the_top_mistakes():
    assert confusion_classes(torch.eye(5, dtype=torch.long)) == [0, 1, 2, 3, 4]
    confusion = 10 * torch.eye(174, dtype=torch.long)
    confusion[100, 7] = 5
    confusion[3, 150] = 4
    confusion[7, 100] = 1
    assert confusion_classes(confusion, limit=30) == [3, 7, 100, 150]
    confusion[10:50, 60] = 1  # more mistaken classes than fit: the most frequent mistakes win
    chosen = confusion_classes(confusion, limit=6)
    assert len(chosen) == 6 and {3, 7, 100, 150, 60} <= set(chosen)


def test_confusion_classes_with_no_mistakes_are_those_evaluated(tmp_path, ssv2_names):
    # A subset of 174 labels learnt perfectly (the sample at 100%) drew an empty image and a warning.
    confusion = torch.zeros(174, 174, dtype=torch.long)
    for c in (2, 40, 41, 173):
        confusion[c, c] = 8
    assert confusion_classes(confusion) == [2, 40, 41, 173]
    assert confusion_classes(confusion, limit=3) == [2, 40, 41]
    path = tmp_path / "confusion.png"
    plot_confusion(confusion, ssv2_names, path, confusion_classes(confusion))
    assert matplotlib.image.imread(path).shape[0] > 100


def test_confusion_image_of_174_classes_shows_the_mistaken_ones(tmp_path, ssv2_names):
    confusion = 10 * torch.eye(174, dtype=torch.long)
    confusion[0, 1] = confusion[5, 6] = 3
    path = tmp_path / "confusion.png"
    plot_confusion(confusion, ssv2_names, path, confusion_classes(confusion))
    height, width = matplotlib.image.imread(path).shape[:2]
    assert max(height, width) < 1200  # 4 classes; all 174 would be 60 inches (7200 pixels) a side
