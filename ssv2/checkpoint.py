"""Atomic checkpoints, RNG state capture, and rebuilding a trained model from its checkpoint."""

from __future__ import annotations

import os
import pickle
import random
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np
import torch
from torchvision.models.video import VideoResNet

from ssv2.models import build_model


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
    )
    try:
        model.load_state_dict(checkpoint["model"])
    except RuntimeError as e:
        raise CheckpointError(f"{path}: weights do not fit an R3D-{checkpoint['depth']}: {e}") from e
    model.to(map_location)
    return model.eval(), checkpoint
