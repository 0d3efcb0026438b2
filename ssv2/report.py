"""Evaluation metrics and the plots people look at instead of reading numbers."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import torch
from matplotlib.figure import Figure  # no pyplot: files only, no GUI backend to choose

from ssv2.classes import reversal_pairs
from ssv2.engine import accuracy, confusion_matrix, mean_class_accuracy, pair_accuracy, per_class_accuracy


def evaluation_metrics(probs: torch.Tensor, targets: torch.Tensor, class_names: list[str]) -> dict:
    """Top-1/top-5, mean class accuracy, time-reversal-pair accuracy, per-class accuracy and the confusion matrix."""
    top1, top5 = accuracy(probs, targets, topk=(1, 5))
    pred = probs.argmax(1)
    confusion = confusion_matrix(pred, targets, len(class_names))
    pairs = reversal_pairs(class_names)
    reversal = pair_accuracy(pred, targets, pairs) if pairs else {"top1": math.nan, "partner": math.nan, "samples": 0}
    return {
        "top1": top1, "top5": top5, "mean_class_accuracy": mean_class_accuracy(confusion),
        "reversal_top1": reversal["top1"], "reversal_confused_with_partner": reversal["partner"],
        "reversal_samples": reversal["samples"], "samples": len(targets),
        "per_class": per_class_accuracy(confusion).tolist(), "confusion": confusion,
    }


def plot_confusion(confusion: torch.Tensor, class_names: list[str], path: str | Path) -> None:
    """Row-normalised confusion matrix as a heat map (rows: true class)."""
    counts = confusion.double().numpy()
    rows = counts / np.maximum(counts.sum(1, keepdims=True), 1)
    k = len(class_names)
    size = min(4 + 0.28 * k, 60)
    fig = Figure(figsize=(size, size))
    ax = fig.subplots()
    image = ax.imshow(rows, cmap="Blues", vmin=0, vmax=1)
    ax.set_xticks(range(k), class_names, rotation=90, fontsize=7)
    ax.set_yticks(range(k), class_names, fontsize=7)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    if k <= 30:
        for i, j in zip(*np.nonzero(counts)):
            ax.text(j, i, int(counts[i, j]), ha="center", va="center", fontsize=7,
                    color="white" if rows[i, j] > 0.5 else "black")
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
