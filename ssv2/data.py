"""Clip sampling for SSv2 and the PyTorch Dataset over the clip store."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch.utils.data import DataLoader, Dataset
from torchvision.io import decode_jpeg

from ssv2.config import Crop, crop_size
from ssv2.store import ClipStore


def segment_indices(
    num_frames: int, count: int, rng: np.random.Generator | None = None, offset: float = 0.5
) -> np.ndarray:
    """One frame from each of `count` equal segments of a `num_frames` video (TSN sampling).

    With `rng` the frame is at a random position in its segment (training); otherwise at
    `offset` of the way through it (0.5: the centre, for evaluation). Videos shorter than
    `count` repeat frames, in order.
    """
    position = rng.random(count) if rng is not None else np.full(count, offset)
    indices = np.floor((np.arange(count) + position) * num_frames / count).astype(np.int64)
    return np.clip(indices, 0, num_frames - 1)


@dataclass(frozen=True)
class Preprocessing:
    """How a video becomes the model's input: one record, saved in the checkpoint, for training's validation,
    the evaluate stage, inference and serving.

    `frames` frames per clip (one from each of as many equal segments), `crop` pixels (see crop_size), cut from
    frames whose shorter side is `short_side` (the clip store's); the evaluation averages `clips` temporal x
    `crops` spatial views (1: the whole frame, 3: squares along its long side), with `reverse` each also played
    backwards and voting for its class's time-reversal partner (engine.view_log_probs). A checkpoint holds the views
    its validation top-1 was measured with; the evaluate stage and serving replace them with theirs.
    Normalisation is no field: the model takes uint8 clips and normalises them itself (ssv2.models).
    """

    frames: int
    crop: Crop
    short_side: int
    clips: int = 1
    crops: int = 1
    reverse: bool = False

    def __post_init__(self) -> None:
        if min(self.frames, *crop_size(self.crop), self.short_side) < 1:
            raise ValueError(f"frames, crop and short_side must be positive, got {self}")
        if self.clips < 1 or self.crops not in (1, 3):
            raise ValueError(f"clips must be >= 1 and crops 1 or 3, got clips={self.clips}, crops={self.crops}")

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, values: Mapping[str, Any]) -> Preprocessing:
        """The inverse of to_dict; a ValueError names any missing or unknown key."""
        fields = dataclasses.fields(cls)
        missing = [f.name for f in fields if f.default is dataclasses.MISSING and f.name not in values]
        unknown = sorted(set(values) - {f.name for f in fields})
        if missing or unknown:
            raise ValueError(f"preprocessing lacks {missing or 'nothing'} and has unknown keys {unknown or 'none'}")
        return cls(**values)


Box = tuple[int, int, int, int]  # top, left, height, width


def eval_boxes(height: int, width: int, crops: int) -> list[Box]:
    """The evaluation's spatial views: the whole frame, or three squares along its long side (ends and centre)."""
    if crops == 1:
        return [(0, 0, height, width)]
    side = min(height, width)
    if height > width:
        return [(0, 0, side, side), ((height - side) // 2, 0, side, side), (height - side, 0, side, side)]
    return [(0, 0, side, side), (0, (width - side) // 2, side, side), (0, width - side, side, side)]


def random_box(rng: np.random.Generator, height: int, width: int, scale: tuple[float, float]) -> Box:
    """A training view: a box whose height and width are each a random `scale` fraction of the frame's
    (so its aspect ratio jitters too), at a random place. A side over 1 zooms out: the box holds the
    whole frame's side and a margin (see resize_view)."""
    h = max(1, round(height * rng.uniform(*scale)))
    w = max(1, round(width * rng.uniform(*scale)))

    def offset(room: int) -> int:  # room < 0: the box overhangs the frame, which may sit anywhere in it
        return int(rng.integers(min(0, room), max(0, room) + 1))

    return offset(height - h), offset(width - w), h, w  # top drawn before left, as always: same seeds, same views


def resize_view(frames: np.ndarray | torch.Tensor, box: Box, crop: Crop) -> torch.Tensor:
    """The `box` of (T, H, W, 3) uint8 frames resized to (3, T) + crop_size(crop) uint8 (antialiased
    bilinear), on the frames' device.

    The box is squeezed into the crop, whatever its aspect ratio (evaluation's box is the whole
    frame): a square crop of a wide SSv2 frame can cut the acting object out of the clip.
    """
    size = crop_size(crop)
    top, left, h, w = box
    height, width = frames.shape[1:3]
    view = frames[:, max(top, 0) : top + h, max(left, 0) : left + w]
    view = view.contiguous() if isinstance(view, torch.Tensor) else torch.from_numpy(np.ascontiguousarray(view))
    clip = view.permute(0, 3, 1, 2)
    if clip.shape[2:] != (h, w):
        # A box past the frame's edge: a black margin, still in time, so centring takes it out with the
        # rest of the still scene (repeating the edge pixels would smear an object there into a moving streak).
        clip = F.pad(clip, (max(-left, 0), max(left + w - width, 0), max(-top, 0), max(top + h - height, 0)))
    if (h, w) != size:
        if clip.device.type == "cpu":
            # uint8 in and out: PyTorch's vectorised uint8 path (torchvision's Resize on uint8), the same
            # filter as through float within one grey level, and 10x faster on 16 frames of 128 x 227.
            clip = F.interpolate(clip, size=size, mode="bilinear", antialias=True, align_corners=False)
        else:
            clip = F.interpolate(clip.float(), size=size, mode="bilinear", antialias=True, align_corners=False)
            clip = clip.round_().clamp_(0, 255).to(torch.uint8)
    return clip.permute(1, 0, 2, 3)


# RGB -> YIQ: luma and two chroma axes; a hue change turns the chroma plane, saturation scales it.
YIQ = torch.tensor([[0.299, 0.587, 0.114], [0.596, -0.274, -0.322], [0.211, -0.523, 0.312]])
YIQ_TO_RGB = torch.linalg.inv(YIQ)


def draw_colour(rng: np.random.Generator, strength: float) -> tuple[torch.Tensor, float] | None:
    """A random colour change at `strength` as (3x3 colour matrix, contrast): SimCLR's colour jitter
    (factors within 1 +- 0.8 strength, hue within +- 0.2 strength of a turn); None at strength 0.

    SSv2's classes hold for a "something" of any colour: a model that keys on the colour of a few
    training videos' objects or tables does not generalise to others. Brightness, saturation and hue
    are one 3x3 colour matrix (hue as a turn of YIQ's chroma plane: 10x cheaper than a trip through HSV).
    """
    if strength == 0:
        return None
    spread = 0.8 * strength
    brightness, contrast, saturation = rng.uniform(1 - spread, 1 + spread, 3)
    turn = 2 * np.pi * rng.uniform(-0.2, 0.2) * strength
    cos, sin = saturation * np.cos(turn), saturation * np.sin(turn)
    chroma = torch.tensor([[1.0, 0.0, 0.0], [0.0, cos, -sin], [0.0, sin, cos]], dtype=torch.float32)
    return float(brightness) * YIQ_TO_RGB @ chroma @ YIQ, float(contrast)


def apply_colour(clip: torch.Tensor, colour: tuple[torch.Tensor, float] | None) -> torch.Tensor:
    """A (3, T, H, W) uint8 clip with draw_colour's change applied to all its frames (None: unchanged)."""
    if colour is None:
        return clip
    matrix, contrast = colour
    x = torch.einsum("ij,jthw->ithw", matrix.to(clip.device), clip.float())
    # Contrast: towards each frame's mean grey, as torchvision's adjust_contrast does.
    grey = torch.einsum("j,jthw->thw", YIQ[0].to(clip.device), x).mean(dim=(1, 2), keepdim=True)
    x = contrast * x + (1 - contrast) * grey
    return x.round_().clamp_(0, 255).to(torch.uint8)


def jitter_colour(clip: torch.Tensor, rng: np.random.Generator, strength: float) -> torch.Tensor:
    """A (3, T, H, W) uint8 clip with one random colour change for all its frames (see draw_colour)."""
    return apply_colour(clip, draw_colour(rng, strength))


@dataclass(frozen=True)
class View:
    """The random draws that make one training clip of a video: which frames, which box, which colour
    change, whether it plays backwards or flipped, and the label that results."""

    indices: np.ndarray
    box: Box
    colour: tuple[torch.Tensor, float] | None
    reverse: bool
    flip: bool
    label: int


def render(frames: np.ndarray | torch.Tensor, view: View, crop: Crop) -> torch.Tensor:
    """The training clip that `view` makes of its frames, (T, H, W, 3) uint8: (3, T, height, width) uint8,
    on the frames' device."""
    clip = apply_colour(resize_view(frames, view.box, crop), view.colour)
    if view.reverse:
        clip = clip.flip(1)
    return clip.flip(-1) if view.flip else clip


def eval_views(
    take: Callable[[np.ndarray], np.ndarray],
    count: int,
    height: int,
    width: int,
    frames: int,
    crop: Crop,
    clips: int = 1,
    crops: int = 1,
) -> torch.Tensor:
    """The evaluation's views of a video of `count` frames, (clips * crops, 3, frames, height, width) uint8.

    `take(indices)` returns those frames of the video, (len(indices), height, width, 3). For each
    temporal view, one frame from each of `frames` segments at offset (view + 0.5) / clips, then
    each box of eval_boxes resized to the crop. The evaluate stage (from the clip store) and
    inference (from a decoded video) both cut their views here.
    """
    views = []
    for view in range(clips):
        video = take(segment_indices(count, frames, offset=(view + 0.5) / clips))
        views += [resize_view(video, box, crop) for box in eval_boxes(height, width, crops)]
    return torch.stack(views)


class ClipDataset(Dataset):
    """Clips of `frames` frames and `crop` pixels (see crop_size) from one split of the clip store.

    Training (`train=True`): random position in each segment, a random box of `scale` of the
    frame's height and width resized to the crop, its colours jittered by `colour` (see jitter_colour); with a `reverse_map` a clip whose class has a
    time-reversed partner plays backwards half the time, relabelled as that partner ("Moving
    something up" backwards is "Moving something down"); with a `flip_map` a horizontal flip half the time that relabels each class as `flip_map` says
    (a plain flip would turn "left to right" into "right to left"). Returns
    ((C, T, H, W) clip, label). Evaluation: `clips` temporal views x `crops` spatial views,
    returned as ((V, C, T, H, W), label). Randomness derives from (seed, epoch, index), so
    any worker count, and a resumed run, sees the same clips.

    With `encoded=True` (training from a JPEG store), an item is ((stored frame bytes, View), label)
    instead: loader workers only read bytes, and DecodeOnDevice decodes and renders the batch on the
    GPU, into the same clips.
    """

    def __init__(
        self,
        store: ClipStore | str | Path,
        frames: int,
        crop: Crop,
        train: bool,
        *,
        flip_map: list[int] | None = None,
        reverse_map: list[int] | None = None,
        scale: tuple[float, float] = (1.0, 1.0),
        colour: float = 0.0,
        clips: int = 1,
        crops: int = 1,
        seed: int = 0,
        dtype: torch.dtype = torch.uint8,
        encoded: bool = False,
    ):
        self.store = store if isinstance(store, ClipStore) else ClipStore(store)
        if encoded and (not train or self.store.codec != "jpeg"):
            raise ValueError(
                f"{self.store.dir}: decoding on the device needs training clips from a jpeg store "
                f"(store.codec: jpeg), not {'a ' + self.store.codec + ' store' if train else 'evaluation views'}"
            )
        self.encoded = encoded
        self.frames, self.train, self.scale = frames, train, tuple(scale)
        self.flip_map, self.reverse_map, self.clips, self.crops = flip_map, reverse_map, clips, crops
        self.colour = colour
        self.seed, self.dtype = seed, dtype
        # In shared memory: DataLoader workers, persistent ones too, hold copies of the dataset made
        # when they started, and must still see each new epoch, or every epoch repeats the first one's
        # clips and the augmentation is fixed, not random (training then learns those clips by heart).
        self._epoch = torch.zeros((), dtype=torch.int64).share_memory_()
        self._size = torch.tensor(crop_size(crop)).share_memory_()  # shared for the same reason (set_epoch's crop)

    @property
    def epoch(self) -> int:
        return int(self._epoch)

    @property
    def crop(self) -> tuple[int, int]:
        """(height, width) of this epoch's clips."""
        return int(self._size[0]), int(self._size[1])

    @classmethod
    def evaluation(cls, store: ClipStore | str | Path, preprocessing: Preprocessing) -> ClipDataset:
        """The evaluation's views of a split, cut as `preprocessing` says."""
        p = preprocessing
        return cls(store, p.frames, p.crop, train=False, clips=p.clips, crops=p.crops)

    def set_epoch(self, epoch: int, crop: Crop | None = None) -> None:
        """Draw different clips each epoch (call before iterating, as with DistributedSampler), of `crop`
        pixels from now on where given (progressive resizing: see training.epoch_crop)."""
        self._epoch.fill_(epoch)
        if crop is not None:
            self._size.copy_(torch.tensor(crop_size(crop)))

    def __len__(self) -> int:
        return len(self.store)

    def _finish(self, clip: torch.Tensor) -> torch.Tensor:
        return clip if self.dtype == torch.uint8 else clip.to(self.dtype) / 255

    def draw(self, i: int) -> View:
        """The random draws of video `i`'s training clip this epoch."""
        rng = np.random.default_rng([self.seed, self.epoch, i])
        label = int(self.store.labels[i])
        height, width = (int(s) for s in self.store.shapes[i])
        indices = segment_indices(int(self.store.counts[i]), self.frames, rng)
        box = random_box(rng, height, width, self.scale)
        colour = draw_colour(rng, self.colour)
        reverse = self.reverse_map is not None and self.reverse_map[label] != label and rng.random() < 0.5
        if reverse:
            label = self.reverse_map[label]
        flip = self.flip_map is not None and rng.random() < 0.5
        if flip:
            label = self.flip_map[label]
        return View(indices, box, colour, reverse, flip, label)

    def __getitem__(self, i: int) -> tuple[Any, int]:
        if self.train:
            view = self.draw(i)
            if self.encoded:
                return (self.store.encoded(i, view.indices), view), view.label
            return self._finish(render(self.store.frames(i, view.indices), view, self.crop)), view.label
        count = int(self.store.counts[i])
        height, width = (int(s) for s in self.store.shapes[i])
        views = eval_views(
            lambda indices: self.store.frames(i, indices),
            count,
            height,
            width,
            self.frames,
            self.crop,
            self.clips,
            self.crops,
        )
        return self._finish(views), int(self.store.labels[i])


def collate_encoded(batch: list[tuple[tuple[list[np.ndarray], View], int]]) -> tuple[list, torch.Tensor]:
    """DataLoader's collate_fn for encoded items: ([(frame bytes, View), ...], labels)."""
    return [item for item, _ in batch], torch.tensor([label for _, label in batch])


def decode_batch(buffers: list[np.ndarray], device: str | torch.device) -> list[torch.Tensor]:
    """Decode many stored JPEG frames in one call on `device`, each a (3, H, W) uint8 tensor there.

    On CUDA, torchvision decodes the whole batch with nvJPEG, so loader workers need only read
    bytes (ClipStore.encoded); on the CPU the same call runs libjpeg-turbo, giving the same pixels
    as store.decode_frames.
    """
    return decode_jpeg(
        [torch.from_numpy(np.array(b)) for b in buffers], device=device
    )  # copies: memory maps are read-only


class DecodeOnDevice:
    """A DataLoader of encoded training items (ClipDataset(encoded=True), collate_encoded) whose batches come
    out as (uint8 clips on `device`, labels): every JPEG frame of a batch is decoded in one call
    (nvJPEG on CUDA), then each clip is rendered there as the CPU path renders it, at the dataset's crop."""

    def __init__(self, loader: DataLoader, device: torch.device | str):
        self.loader, self.device = loader, torch.device(device)

    def __len__(self) -> int:
        return len(self.loader)

    def __iter__(self):
        for items, labels in self.loader:
            frames = decode_batch([b for buffers, _ in items for b in buffers], self.device)
            clips, first, crop = [], 0, self.loader.dataset.crop
            for buffers, view in items:
                video = torch.stack(frames[first : first + len(buffers)]).permute(0, 2, 3, 1)
                clips.append(render(video, view, crop))
                first += len(buffers)
            yield torch.stack(clips), labels
