"""Classify raw videos the way the evaluate stage does: one code path for the CLI, serving and benchmarks.

A video is decoded (with bounded cost) and cut as the checkpoint's Preprocessing says: resized to its
short side, cut into the evaluation's views (`clips` temporal x `crops` spatial, exactly as ClipDataset
cuts them from the store, each also played backwards with `reverse`), and the softmax averaged over the
views ranks the classes.
"""

from __future__ import annotations

from pathlib import Path
from typing import BinaryIO

import numpy as np
import torch

from ssv2.checkpoint import evaluation_preprocessing, load_model
from ssv2.config import crop_size
from ssv2.data import Preprocessing, eval_views
from ssv2.engine import view_log_probs
from ssv2.video import decode_video

# Bounds on what one video may cost to decode; SSv2 videos are 2-6 s of 240p at 12 fps.
MAX_DECODED = 360  # frames held (30 s at 12 fps); a longer video is sampled over its whole duration at a lower rate
MAX_PIXELS = 1920 * 1080  # per frame, before resizing; larger frames are refused
MAX_SECONDS = 30.0  # decoding time per video; a video that takes longer is refused

Source = str | Path | bytes | BinaryIO


def video_views(video: np.ndarray, preprocessing: Preprocessing) -> torch.Tensor:
    """(T, H, W, 3) uint8 video -> (clips * crops, 3, frames, height, width) uint8, the evaluation's views."""
    p = preprocessing
    height, width = video.shape[1:3]
    side = min(crop_size(p.crop))
    if min(height, width) < side:
        raise ValueError(f"frames of {height}x{width} are smaller than the crop's shorter side, {side} pixels")
    return eval_views(video.__getitem__, len(video), height, width, p.frames, p.crop, p.clips, p.crops)


def top_k(probs: torch.Tensor, class_names: list[str], k: int = 5) -> list[tuple[str, float]]:
    """The `k` most probable (class name, probability) pairs of one (K,) distribution, best first."""
    values, indices = probs.topk(min(k, len(class_names)))
    return [(class_names[i], float(p)) for p, i in zip(values.tolist(), indices.tolist())]


class Classifier:
    """A trained model with its checkpoint's preprocessing (the model normalises the clips itself).

    `clips`, `crops` and `reverse` (true, false or auto: see evaluation_preprocessing) replace the
    checkpoint's evaluation views (one centre view, as training validated) where given; `max_decoded`
    and `max_pixels` bound the decoding of untrusted videos (see decode_video).
    """

    def __init__(
        self,
        checkpoint: str | Path,
        *,
        clips: int | None = None,
        crops: int | None = None,
        reverse: bool | str | None = None,
        device: str | torch.device = "cpu",
        max_decoded: int = MAX_DECODED,
        max_pixels: int = MAX_PIXELS,
        max_seconds: float = MAX_SECONDS,
    ):
        self.device = torch.device(device)
        self.model, state = load_model(checkpoint, self.device)
        views = {k: v for k, v in (("clips", clips), ("crops", crops), ("reverse", reverse)) if v is not None}
        self.preprocessing, self.partner = evaluation_preprocessing(state, checkpoint, views)  # checks them
        self.class_names: list[str] = state["class_names"]
        self.max_decoded, self.max_pixels, self.max_seconds = max_decoded, max_pixels, max_seconds

    def decode(self, source: Source, name: str | None = None) -> np.ndarray:
        """Decode a video file, path or bytes at the checkpoint's short side, within the bounds.

        Raises VideoError naming the video for anything that is not a whole, decodable video,
        and for one with fewer frames than a clip needs or frames smaller than its crop.
        """
        return decode_video(
            source,
            self.preprocessing.short_side,
            max_decoded=self.max_decoded,
            max_pixels=self.max_pixels,
            min_frames=self.preprocessing.frames,
            min_side=min(crop_size(self.preprocessing.crop)),
            timeout=self.max_seconds,
            name=name,
        )

    def probabilities(self, source: Source, name: str | None = None) -> torch.Tensor:
        """(K,) class probabilities of one video, the softmax averaged over the evaluation views."""
        views = video_views(self.decode(source, name), self.preprocessing)
        with torch.inference_mode():  # the model normalises the uint8 views itself
            return view_log_probs(self.model, views[None], self.device, partner=self.partner)[0].exp().cpu()

    def top(self, source: Source, k: int = 5, name: str | None = None) -> list[tuple[str, float]]:
        """The `k` most probable (class name, probability) pairs of one video, best first."""
        return top_k(self.probabilities(source, name), self.class_names, k)
