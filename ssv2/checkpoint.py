"""Atomic checkpoints, RNG state capture, a training run's checkpoints (resume and save), and rebuilding a
trained model and its preprocessing from a checkpoint."""

from __future__ import annotations

import dataclasses
import os
import pickle
import random
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np
import torch
from torch.optim.swa_utils import AveragedModel
from torchvision.models.video import VideoResNet

from ssv2.classes import reverse_map, reversible
from ssv2.data import Preprocessing
from ssv2.models import build_model

LAST, MODEL = "last.pt", "model.pt"
PREPROCESSING = "preprocessing"  # the checkpoint key of Preprocessing.to_dict()
TRAIN_VIDEOS = "train_videos"  # the checkpoint key of the training split's videos per class


class CheckpointError(ValueError):
    """A checkpoint file that cannot be read or lacks what is asked of it."""


def atomic_write(path: str | Path, write: Callable[[BinaryIO], None]) -> None:
    """Write a file atomically: readers (and a later resume) see the old file or the new one.

    `write` fills a temporary file in the same directory (so the rename stays on one file
    system), which is flushed to disk, then renamed over `path`; a process killed mid-write
    leaves at most a stray `.<name>.*.tmp` beside an intact file. Concurrent writers each
    rename a whole file.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    # Persist the rename itself, so that a power cut cannot bring the old file back.
    dir_fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


def save_checkpoint(path: str | Path, state: dict[str, Any]) -> None:
    """Write `state` to `path` atomically (see atomic_write)."""
    atomic_write(path, lambda f: torch.save(state, f))


def load_checkpoint(path: str | Path, map_location: str | torch.device = "cpu") -> dict[str, Any]:
    """Read a checkpoint written by `save_checkpoint`.

    Loading is restricted to tensors and plain Python data (`weights_only`), so a checkpoint
    must hold nothing else: no dataclasses, paths or numpy arrays.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: checkpoint not found")
    try:
        state = torch.load(path, map_location=map_location, weights_only=True)
    except (RuntimeError, pickle.UnpicklingError, EOFError) as e:
        raise CheckpointError(f"{path}: not a readable checkpoint: {e}") from e
    if not isinstance(state, dict):
        raise CheckpointError(f"{path}: expected a dict, got {type(state).__name__}")
    return state


def rng_state() -> dict[str, Any]:
    """The state of Python's, NumPy's and torch's (CPU and CUDA) global generators, as checkpointable data."""
    numpy_state = np.random.get_state(legacy=False)
    state = {
        "python": random.getstate(),
        "numpy": {
            "key": torch.from_numpy(numpy_state["state"]["key"].astype(np.int64)),
            "pos": numpy_state["state"]["pos"],
            "has_gauss": numpy_state["has_gauss"],
            "gauss": numpy_state["gauss"],
        },
        "torch": torch.get_rng_state(),
    }
    if torch.cuda.is_available():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def set_rng_state(state: dict[str, Any]) -> None:
    """Restore generators saved by `rng_state` (CUDA ones only where there is CUDA)."""
    version, internal, gauss = state["python"]
    random.setstate((version, tuple(internal), gauss))
    numpy_state = state["numpy"]
    np.random.set_state(
        {
            "bit_generator": "MT19937",
            "state": {"key": numpy_state["key"].cpu().numpy().astype(np.uint32), "pos": numpy_state["pos"]},
            "has_gauss": numpy_state["has_gauss"],
            "gauss": numpy_state["gauss"],
        }
    )
    torch.set_rng_state(state["torch"].cpu())
    if "cuda" in state and torch.cuda.is_available():
        # A resume on fewer GPUs restores those it has.
        for device, cuda_state in zip(range(torch.cuda.device_count()), state["cuda"]):
            torch.cuda.set_rng_state(cuda_state.cpu(), device)


def load_model(path: str | Path, map_location: str | torch.device = "cpu") -> tuple[VideoResNet, dict[str, Any]]:
    """Rebuild the trained model of a checkpoint, in eval mode, with the checkpoint itself."""
    checkpoint = load_checkpoint(path, map_location)
    missing = [k for k in ("model", "depth", "class_names") if k not in checkpoint]
    if missing:
        raise CheckpointError(f"{path}: not a model checkpoint, missing {', '.join(missing)}")
    model = build_model(
        checkpoint["depth"],
        len(checkpoint["class_names"]),
        width=checkpoint.get("width", 64),
        centre=checkpoint.get("centre", False),
        pool=checkpoint.get("pool", "avg"),
        scene=checkpoint.get("scene", False),
        still=checkpoint.get("still", 0.0),
        stem_pool=checkpoint.get("stem_pool", False),
        non_local=checkpoint.get("non_local", False),
    )
    try:
        model.load_state_dict(checkpoint["model"])
    except RuntimeError as e:
        raise CheckpointError(f"{path}: weights do not fit an R3D-{checkpoint['depth']}: {e}") from e
    model.to(map_location)
    return model.eval(), checkpoint


def read_preprocessing(checkpoint: dict[str, Any], path: str | Path) -> Preprocessing:
    """The preprocessing a checkpoint was trained and validated with, or a CheckpointError saying what is wrong."""
    if PREPROCESSING not in checkpoint:
        raise CheckpointError(
            f"{path}: lacks the preprocessing for inference: no '{PREPROCESSING}' key (a checkpoint of an older "
            "version, which kept frames, crop and short_side apart); retrain it"
        )
    try:
        return Preprocessing.from_dict(checkpoint[PREPROCESSING])
    except (TypeError, ValueError) as e:
        raise CheckpointError(f"{path}: bad '{PREPROCESSING}': {e}") from e


def evaluation_preprocessing(
    checkpoint: dict[str, Any], path: str | Path, views: dict[str, Any]
) -> tuple[Preprocessing, list[int] | None]:
    """The checkpoint's preprocessing with the evaluation's `views` (clips, crops, reverse; see
    EvaluateConfig), and the partner map that engine.view_log_probs plays backward views with (None
    without them). reverse "auto" is on where every class the checkpoint was trained on has a partner
    (classes.reversible), and off for a checkpoint that does not say which classes those were."""
    if views.get("reverse") == "auto":
        counts = checkpoint.get(TRAIN_VIDEOS)
        trained = [k for k, n in enumerate(counts or []) if n]
        views = {**views, "reverse": counts is not None and reversible(checkpoint["class_names"], trained)}
    preprocessing = dataclasses.replace(read_preprocessing(checkpoint, path), **views)
    return preprocessing, reverse_map(checkpoint["class_names"]) if preprocessing.reverse else None


class Checkpoints:
    """The checkpoints of one training run in `folder`, and fit's listener that writes them.

    `last.pt` holds everything needed to resume, written after every epoch; `model.pt` the trained
    model, the last epoch's weights, written after the last epoch. Not the epoch of the best
    validation top-1: picked on the validation split, that epoch's score is the luckiest of many and
    says less of the network than the last's, which no choice touched (round 38 of
    benchmarks/generalisation.md: the last epoch scored as well or better on fresh videos of every
    tuning variant). Both are written atomically, by `rank` 0 only (every rank resumes), with
    `inference()` (the weights and what inference needs to rebuild the model and preprocess a
    video) and, in `last.pt`, `params`. With `averaged` (an AveragedModel of `model`, whose average
    `inference()` holds), `last.pt` keeps the trained weights and the average apart. `key`
    fingerprints the params and data: `last.pt` resumes only an unfinished run of the same key.
    """

    def __init__(
        self,
        folder: str | Path,
        key: str,
        epochs: int,
        *,
        model: torch.nn.Module,
        optimizer: torch.optim.Optimizer,
        scheduler: torch.optim.lr_scheduler.LRScheduler,
        inference: Callable[[], dict[str, Any]],
        params: dict[str, Any],
        averaged: AveragedModel | None = None,
        rank: int = 0,
    ):
        self.folder, self.key, self.epochs, self.writes = Path(folder), key, epochs, rank == 0
        self.model, self.optimizer, self.scheduler = model, optimizer, scheduler
        self.inference, self.params, self.averaged = inference, params, averaged
        self.history: list[dict[str, float]] = []

    def resume(self) -> list[dict[str, float]]:
        """Restore the model, optimiser, scheduler and RNGs from `last.pt` if it continues this run, and
        return its history; else remove the other run's files (rank 0) and return []."""
        last = self.folder / LAST
        checkpoint = load_checkpoint(last) if last.is_file() else None
        if checkpoint is None or checkpoint.get("key") != self.key or checkpoint["epoch"] >= self.epochs:
            # No checkpoint, other params or data, or a finished run that DVC asked to redo.
            if self.writes:
                for name in (LAST, MODEL):
                    (self.folder / name).unlink(missing_ok=True)
            return []
        self.model.load_state_dict(checkpoint.get("trained", checkpoint["model"]))
        if self.averaged is not None:
            self.averaged.load_state_dict(checkpoint["averaged"])
        self.optimizer.load_state_dict(checkpoint["optimizer"])
        self.scheduler.load_state_dict(checkpoint["scheduler"])
        set_rng_state(checkpoint["rng"])
        self.history = checkpoint["history"]
        if self.writes:
            print(f"resuming from {last} after epoch {checkpoint['epoch']} of {self.epochs}")
        return list(self.history)

    def on_epoch_end(self, epoch: int, metrics: dict[str, float]) -> None:
        """Write `last.pt`, and after the last epoch `model.pt`."""
        self.history.append(metrics)
        if not self.writes:
            return
        state = self.inference()
        averaged = {}
        if self.averaged is not None:
            averaged = {"trained": self.model.state_dict(), "averaged": self.averaged.state_dict()}
        if epoch == self.epochs:
            save_checkpoint(self.folder / MODEL, {**state, "epoch": epoch, "val_top1": metrics["val_top1"]})
        save_checkpoint(
            self.folder / LAST,
            {
                **state,
                "key": self.key,
                "epoch": epoch,
                "optimizer": self.optimizer.state_dict(),
                "scheduler": self.scheduler.state_dict(),
                "rng": rng_state(),
                "history": self.history,
                "params": self.params,
                **averaged,
            },
        )

    def on_train_end(self, history: list[dict[str, float]]) -> None:
        pass
