"""Evaluation metrics and the plots people look at instead of reading numbers."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import torch
from matplotlib.figure import Figure  # no pyplot: files only, no GUI backend to choose

from ssv2.classes import reversal_pairs
from ssv2.engine import accuracy, confusion_matrix, mean_class_accuracy, pair_accuracy, per_class_accuracy

LEGIBLE = 30  # classes a confusion image can show with readable names


def evaluation_metrics(probs: torch.Tensor, targets: torch.Tensor, class_names: list[str]) -> dict:
    """Top-1/top-5, mean class accuracy, time-reversal-pair accuracy, per-class accuracy and the confusion matrix."""
    top1, top5 = accuracy(probs, targets, topk=(1, 5))
    pred = probs.argmax(1)
    confusion = confusion_matrix(pred, targets, len(class_names))
    pairs = reversal_pairs(class_names)
    reversal = pair_accuracy(pred, targets, pairs) if pairs else {"top1": math.nan, "partner": math.nan, "samples": 0}
    return {
        "top1": top1,
        "top5": top5,
        "mean_class_accuracy": mean_class_accuracy(confusion),
        "reversal_top1": reversal["top1"],
        "reversal_confused_with_partner": reversal["partner"],
        "reversal_samples": reversal["samples"],
        "samples": len(targets),
        "per_class": per_class_accuracy(confusion).tolist(),
        "confusion": confusion,
    }


def per_class_table(
    per_class: list[float], train_videos: list[int], samples: list[int], class_names: list[str]
) -> list[tuple[str, int, int, float]]:
    """(class, training videos, evaluated samples, top-1) rows, worst class first; classes absent from the
    split (NaN) last. A class trained on a handful of videos explains its score."""
    rows = zip(class_names, train_videos, samples, per_class)
    return sorted(rows, key=lambda row: (math.isnan(row[3]), row[3]))


def _mistakes(confusion: torch.Tensor) -> list[tuple[int, int, int]]:
    """(count, true, predicted) of every off-diagonal cell that occurs, by count then share of the true class."""
    totals = confusion.sum(1).tolist()
    cells = [(int(confusion[i, j]), i, j) for i, j in confusion.nonzero().tolist() if i != j]
    return sorted(cells, key=lambda c: (-c[0], -c[0] / totals[c[1]], c[1], c[2]))


def confused_pairs(confusion: torch.Tensor, class_names: list[str], top: int = 20) -> list[dict]:
    """The `top` most frequent mistakes: true class, predicted class, count and share of the true class (%)."""
    totals = confusion.sum(1).tolist()
    return [
        {"actual": class_names[i], "predicted": class_names[j], "count": n, "share": 100.0 * n / totals[i]}
        for n, i, j in _mistakes(confusion)[:top]
    ]


def confusion_classes(confusion: torch.Tensor, limit: int = LEGIBLE) -> list[int]:
    """Indices of the classes a legible confusion image shows: all up to `limit`, else those of the top mistakes.

    Beyond `limit` classes: the classes of the most frequent mistakes, taken in order until
    `limit` are chosen, sorted by index; with no mistakes, the first `limit` classes evaluated (a
    diagonal to see rather than an empty image).
    """
    if confusion.shape[0] <= limit:
        return list(range(confusion.shape[0]))
    chosen: dict[int, None] = {}  # insertion-ordered set
    for _, i, j in _mistakes(confusion):
        for c in (i, j):
            if len(chosen) < limit:
                chosen[c] = None
    return sorted(chosen) or confusion.sum(1).nonzero().flatten().tolist()[:limit]


def plot_confusion(
    confusion: torch.Tensor, class_names: list[str], path: str | Path, classes: list[int] | None = None
) -> None:
    """Row-normalised confusion matrix as a heat map (rows: true class), restricted to `classes` if given.

    Rows are normalised by the whole row, so a cell is the share of the true class whatever
    the selection leaves out.
    """
    counts = confusion.double().numpy()
    rows = counts / np.maximum(counts.sum(1, keepdims=True), 1)
    total = len(class_names)
    if classes is not None:
        counts, rows = counts[np.ix_(classes, classes)], rows[np.ix_(classes, classes)]
        class_names = [class_names[i] for i in classes]
    k = len(class_names)
    size = min(4 + 0.28 * k, 60)
    fig = Figure(figsize=(size, size))
    ax = fig.subplots()
    if k < total:
        which = "those of the most frequent mistakes" if _mistakes(confusion) else "those evaluated, no mistakes"
        ax.set_title(f"{k} of {total} classes: {which}", fontsize=9)
    image = ax.imshow(rows, cmap="Blues", vmin=0, vmax=1)
    ax.set_xticks(range(k), class_names, rotation=90, fontsize=7)
    ax.set_yticks(range(k), class_names, fontsize=7)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    if k <= LEGIBLE:
        for i, j in zip(*np.nonzero(counts)):
            ax.text(
                j,
                i,
                int(counts[i, j]),
                ha="center",
                va="center",
                fontsize=7,
                color="white" if rows[i, j] > 0.5 else "black",
            )
    fig.colorbar(image, ax=ax, fraction=0.046, pad=0.04, label="fraction of the true class")
    fig.tight_layout()
    fig.savefig(path, dpi=120)


def plot_per_class(per_class: list[float], class_names: list[str], path: str | Path) -> None:
    """Horizontal bars of per-class top-1, worst first; classes absent from the split left out."""
    present = sorted((a, n) for a, n in zip(per_class, class_names) if not math.isnan(a))
    fig = Figure(figsize=(8, 1 + 0.22 * len(present)))
    ax = fig.subplots()
    ax.barh(range(len(present)), [a for a, _ in present], color="tab:blue")
    ax.set_yticks(range(len(present)), [n for _, n in present], fontsize=7)
    ax.set_xlim(0, 100)
    ax.set_xlabel("top-1 accuracy (%)")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
