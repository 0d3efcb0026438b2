"""Clip sampling for SSv2 and the PyTorch Dataset over the clip store."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch
from torch.utils.data import Dataset

from ssv2.store import ClipStore


def segment_indices(num_frames: int, count: int, rng: np.random.Generator | None = None, offset: float = 0.5) -> np.ndarray:
    """One frame from each of `count` equal segments of a `num_frames` video (TSN sampling).

    With `rng` the frame is at a random position in its segment (training); otherwise at
    `offset` of the way through it (0.5: the centre, for evaluation). Videos shorter than
    `count` repeat frames, in order.
    """
    position = rng.random(count) if rng is not None else np.full(count, offset)
    indices = np.floor((np.arange(count) + position) * num_frames / count).astype(np.int64)
    return np.clip(indices, 0, num_frames - 1)


def crop_origins(height: int, width: int, crop: int, crops: int) -> list[tuple[int, int]]:
    """Top-left corners of the evaluation crops: the centre, or both ends and centre of the long side."""
    centre = ((height - crop) // 2, (width - crop) // 2)
    if crops == 1:
        return [centre]
    if height > width:
        return [(0, centre[1]), centre, (height - crop, centre[1])]
    return [(centre[0], 0), centre, (centre[0], width - crop)]


def eval_views(take: Callable[[np.ndarray], np.ndarray], count: int, height: int, width: int, frames: int,
               crop: int, clips: int = 1, crops: int = 1) -> torch.Tensor:
    """The evaluation's views of a video of `count` frames, (clips * crops, 3, frames, crop, crop) uint8.

    `take(indices)` returns those frames of the video, (len(indices), height, width, 3). For each
    temporal view, one frame from each of `frames` segments at offset (view + 0.5) / clips, then
    the centre crop or the three crops along the long side. The evaluate stage (from the clip
    store) and inference (from a decoded video) both cut their views here.
    """
    views = []
    for view in range(clips):
        video = take(segment_indices(count, frames, offset=(view + 0.5) / clips))
        views += [video[:, t: t + crop, l: l + crop] for t, l in crop_origins(height, width, crop, crops)]
    return torch.from_numpy(np.stack(views)).permute(0, 4, 1, 2, 3)


def _to_tensor(frames: np.ndarray) -> torch.Tensor:
    """(T, H, W, C) uint8 array -> (C, T, H, W) tensor."""
    return torch.from_numpy(np.ascontiguousarray(frames)).permute(3, 0, 1, 2)


class ClipDataset(Dataset):
    """Clips of `frames` frames and `crop` x `crop` pixels from one split of the clip store.

    Training (`train=True`): random position in each segment, random crop, and with a
    `flip_map` a horizontal flip half the time that relabels each class as `flip_map` says
    (a plain flip would turn "left to right" into "right to left"). Returns
    ((C, T, H, W) clip, label). Evaluation: `clips` temporal views x `crops` spatial views,
    returned as ((V, C, T, H, W), label). Randomness derives from (seed, epoch, index), so
    any worker count, and a resumed run, sees the same clips.
    """

    def __init__(
        self,
        store: ClipStore | str | Path,
        frames: int,
        crop: int,
        train: bool,
        *,
        flip_map: list[int] | None = None,
        clips: int = 1,
        crops: int = 1,
        seed: int = 0,
        dtype: torch.dtype = torch.uint8,
    ):
        self.store = store if isinstance(store, ClipStore) else ClipStore(store)
        smallest = int(self.store.shapes.min()) if len(self.store) else crop
        if crop > smallest:
            raise ValueError(f"crop {crop} is larger than the store's smallest frame side {smallest}")
        self.frames, self.crop, self.train = frames, crop, train
        self.flip_map, self.clips, self.crops = flip_map, clips, crops
        self.seed, self.epoch, self.dtype = seed, 0, dtype

    def set_epoch(self, epoch: int) -> None:
        """Draw different clips each epoch (call before iterating, as with DistributedSampler)."""
        self.epoch = epoch

    def __len__(self) -> int:
        return len(self.store)

    def _finish(self, clip: torch.Tensor) -> torch.Tensor:
        return clip if self.dtype == torch.uint8 else clip.to(self.dtype) / 255

    def __getitem__(self, i: int) -> tuple[torch.Tensor, int]:
        label = int(self.store.labels[i])
        count = int(self.store.counts[i])
        height, width = (int(s) for s in self.store.shapes[i])
        c = self.crop
        if self.train:
            rng = np.random.default_rng([self.seed, self.epoch, i])
            video = self.store.frames(i, segment_indices(count, self.frames, rng))
            top, left = rng.integers(0, height - c + 1), rng.integers(0, width - c + 1)
            clip = video[:, top: top + c, left: left + c]
            if self.flip_map is not None and rng.random() < 0.5:
                clip, label = clip[:, :, ::-1], self.flip_map[label]
            return self._finish(_to_tensor(clip)), label
        views = eval_views(lambda indices: self.store.frames(i, indices), count, height, width, self.frames, c,
                           self.clips, self.crops)
        return self._finish(views), label
