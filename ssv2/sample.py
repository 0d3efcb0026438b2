"""A deterministic synthetic Something-Something V2 in the official layout: the embedded default dataset.

Real SSv2 classes drawn with numpy the way phone recordings of a table top look at 240 px high:
a textured, cluttered scene in which a small object acts while the others stand still, a
hand-held camera that shakes, light that drifts and sensor noise. Each of these is a knob of
SampleConfig (params.yaml's sample section). Each time-reversal partner is a video of its
forward class played backwards, so every single frame comes from the same distribution and
only the order of frames tells the two apart. labels.json is the real one, all 174 classes,
and the sample draws a subset of them, as a user's subset of SSv2 does.
"""

from __future__ import annotations

import json
import math
import os
import re
import shutil
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import NamedTuple

import numpy as np
import pandas as pd
from PIL import Image
from tqdm import tqdm

from ssv2.config import ParamsError, SampleConfig
from ssv2.video import (
    VideoError,
    decode_video,
    encode_video,
    process_context,
    resized_shape,
    uniform_indices,
    write_video,
)

HEIGHT = 240
FRAMES = (24, 60)  # 2 to 5 s at 12 fps, inclusive
SPLITS = ("train", "validation", "test")
BROKEN = ("missing", "truncated", "empty", "garbage")
MAX_ID = 220_000
NOISE_PLANES = 8
LABELS_FILE = Path(__file__).with_name("ssv2-labels.txt")  # the 174 real class names, in index order

# Where make_sample writes each file, relative to root: the official layout, as DataConfig names it.
LAYOUT = {
    "labels": "labels/something-something-v2-labels.json",
    **{split: f"labels/something-something-v2-{split}.json" for split in SPLITS},
    "videos": "20bn-something-something-v2",
}

# Free text as crowd workers type it: commas, quotes, backslashes and non-ASCII must survive parsing.
PLACEHOLDERS = (
    "pen",
    "a cup",
    "remote control",
    "bottle of water",
    "phone",
    "book",
    "box, cardboard",
    "crème brûlée",
    "Müller's mug",
    'a "red" cup, small',
    "日本茶の缶",
    "l'orange",
    "café au lait",
    "naïve teddy-bear",
    "Ελληνικό φλιτζάνι",
    "spoon (metal)",
    '6" ruler',
    "piñata",
    "tea 🍵 tin",
    "back\\slash key",
    "Ǉubljana map",
    "Straße sign, tiny",
)

Frames = np.ndarray  # (T, H, W, 3) uint8


def real_class_names() -> list[str]:
    """The 174 class names of the official labels.json, in index order."""
    return LABELS_FILE.read_text(encoding="utf-8").splitlines()


@dataclass(frozen=True)
class Shape:
    ellipse: bool
    half: tuple[float, float]  # half height, half width in pixels
    colour: np.ndarray  # RGB, float
    stripes: float  # period in pixels of a striped print on the object, 0 for a plain one


class Video(NamedTuple):
    """One planned entry: its id, class, where its frames' RNG comes from, and how it is written."""

    id: str
    name: str
    split: str
    index: int
    kind: str  # "ok" or one of BROKEN
    placeholders: tuple[str, ...]


# ---------------------------------------------------------------- drawing primitives


def _smooth_noise(rng: np.random.Generator, height: int, width: int, cell: float) -> np.ndarray:
    """Zero-mean noise bilinearly interpolated from a grid of `cell`-pixel squares."""
    grid = rng.standard_normal((int(height / cell) + 2, int(width / cell) + 2, 1)).astype(np.float32)
    return _resample(grid, np.arange(height) / cell, np.arange(width) / cell)[..., 0]


def _resample(image: np.ndarray, ys: np.ndarray, xs: np.ndarray) -> np.ndarray:
    """Bilinear samples of `image` at every (row ys[i], column xs[j]); outside points clamp to the edge."""

    def split(coords: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        coords = np.clip(coords, 0, n - 1)
        i0 = np.floor(coords).astype(int)
        return i0, np.minimum(i0 + 1, n - 1), (coords - i0).astype(np.float32)

    y0, y1, wy = split(ys, image.shape[0])
    x0, x1, wx = split(xs, image.shape[1])
    rows = image[y0] * (1 - wy)[:, None, None] + image[y1] * wy[:, None, None]
    return rows[:, x0] * (1 - wx)[None, :, None] + rows[:, x1] * wx[None, :, None]


def _colour(rng: np.random.Generator, avoid: list[np.ndarray], distance: float = 90) -> np.ndarray:
    """A colour at least `distance` from each of `avoid` (best effort), so the acting object can be seen."""
    for _ in range(50):
        colour = rng.uniform(0, 255, 3)
        if all(np.linalg.norm(colour - a) >= distance for a in avoid):
            break
    return colour


def _shape(rng: np.random.Generator, size: float, avoid: list[np.ndarray], distance: float = 90) -> Shape:
    """An ellipse or box about `size` pixels high, its aspect ratio between 2:3 and 3:2."""
    half = size / 2 * np.array([1.0, rng.uniform(0.67, 1.5)]) * rng.uniform(0.85, 1.15)
    stripes = float(rng.uniform(4, 10)) if rng.random() < 0.3 else 0.0
    return Shape(bool(rng.random() < 0.5), (float(half[0]), float(half[1])), _colour(rng, avoid, distance), stripes)


def _paste(image: np.ndarray, shape: Shape, cy: float, cx: float) -> None:
    """Draw `shape` centred at (cy, cx) in place, with anti-aliased edges and a soft top light."""
    ry, rx = shape.half
    y0, y1 = max(math.floor(cy - ry) - 1, 0), min(math.ceil(cy + ry) + 2, image.shape[0])
    x0, x1 = max(math.floor(cx - rx) - 1, 0), min(math.ceil(cx + rx) + 2, image.shape[1])
    if y0 >= y1 or x0 >= x1:
        return
    dy = np.arange(y0, y1)[:, None] - cy
    dx = np.arange(x0, x1)[None, :] - cx
    if shape.ellipse:
        inside = (1 - np.hypot(dy / ry, dx / rx)) * min(ry, rx)
    else:
        inside = np.minimum(ry - np.abs(dy), rx - np.abs(dx))
    alpha = np.clip(inside + 0.5, 0, 1)[..., None]
    shade = 1 - 0.15 * dy / ry
    if shape.stripes:
        shade = shade * (1 - 0.25 * (np.sin(2 * np.pi * (dx + dy) / shape.stripes) > 0))
    region = image[y0:y1, x0:x1]
    region += alpha * (shape.colour * shade[..., None] - region)


def _progress(rng: np.random.Generator, frames: int) -> np.ndarray:
    """0 -> 1 over the video: a rest, a smooth move at a random pace, a rest."""
    start = rng.uniform(0, 0.15) * (frames - 1)
    end = (frames - 1) * (1 - rng.uniform(0, 0.15))
    s = np.clip((np.arange(frames) - start) / (end - start), 0, 1)
    return s * s * (3 - 2 * s)


def _jitter(rng: np.random.Generator, frames: int, amplitude: float) -> np.ndarray:
    """A hand-held wobble: a zero-mean random walk scaled to at most `amplitude` pixels, (T, 2)."""
    walk = np.cumsum(rng.standard_normal((frames, 2)), axis=0)
    walk -= walk.mean(axis=0)
    return walk / max(np.abs(walk).max(), 1e-9) * amplitude


def _uniform(rng: np.random.Generator, bounds: list[float]) -> float:
    return float(rng.uniform(*bounds))


# ---------------------------------------------------------------- scenes and the camera


def _scene(
    rng: np.random.Generator, cfg: SampleConfig, height: int, width: int, size: float
) -> tuple[np.ndarray, list[np.ndarray]]:
    """A table top: a lit gradient with a two-scale texture of cfg.texture contrast, and cfg.clutter
    still objects of about `size` pixels; returns it (float32) and its two end colours."""
    base = rng.uniform(70, 190)
    ends = list(np.clip(base + rng.uniform(-35, 35, (2, 3)), 0, 255))
    angle = rng.uniform(0, 2 * np.pi)
    y, x = np.mgrid[:height, :width]
    t = x * np.cos(angle) + y * np.sin(angle)
    t = (t - t.min()) / (np.ptp(t) + 1e-9)
    image = (ends[0] + t[..., None] * (ends[1] - ends[0])).astype(np.float32)
    contrast = _uniform(rng, cfg.texture)
    texture = _smooth_noise(rng, height, width, rng.uniform(10, 40)) + 0.6 * _smooth_noise(
        rng, height, width, rng.uniform(2, 5)
    )
    image += (texture[..., None] * contrast * rng.uniform(0.6, 1.4, 3)).astype(np.float32)
    for _ in range(int(rng.integers(cfg.clutter[0], cfg.clutter[1] + 1))):
        shape = _shape(rng, size * rng.uniform(0.6, 1.5), [], distance=0)
        _paste(image, shape, rng.uniform(0, height), rng.uniform(0, width))
    return image, ends


def _film(
    rng: np.random.Generator,
    cfg: SampleConfig,
    scene: np.ndarray,
    shapes: list[Shape],
    centres: np.ndarray,
    height: int,
    width: int,
) -> Frames:
    """Film `shapes` moving over a still `scene` with a shaking camera, drifting light and noise.

    `scene` has a margin of cfg.shake[1] + 1 pixels around the (height, width) view; `centres`,
    (T, len(shapes), 2), are the shapes' places in the view of a still camera.
    """
    margin = (scene.shape[0] - height) // 2
    shake = np.rint(_jitter(rng, len(centres), _uniform(rng, cfg.shake))).astype(int)
    frames = []
    for t, frame_centres in enumerate(centres):
        dy, dx = shake[t]
        frame = scene[margin + dy : margin + dy + height, margin + dx : margin + dx + width].copy()
        for shape, (cy, cx) in zip(shapes, frame_centres):
            _paste(frame, shape, cy - dy, cx - dx)
        frames.append(frame)
    return _expose(rng, cfg, frames)


def _expose(rng: np.random.Generator, cfg: SampleConfig, frames: list[np.ndarray]) -> Frames:
    """Light that drifts by up to cfg.light over the video, then fresh sensor noise on every frame."""
    count = len(frames)
    s = np.linspace(0, 1, count)
    drift = rng.uniform(-1, 1) * (2 * s - 1) + 0.3 * np.sin(2 * np.pi * (rng.random() + s * rng.uniform(0.3, 1.5)))
    gain = 1 + cfg.light * drift
    # Each frame takes one of a few noise planes at random: drawing a plane per frame would be most
    # of the cost of the whole sample, for no difference a network could use.
    noise = rng.standard_normal((NOISE_PLANES, *frames[0].shape[:2], 1), dtype=np.float32) * np.float32(cfg.noise)
    picks = rng.integers(NOISE_PLANES, size=count)
    out = np.empty((count, *frames[0].shape), np.uint8)
    for t, frame in enumerate(frames):
        frame = frame * np.float32(gain[t]) + noise[picks[t]]
        np.clip(frame, 0, 255, out=frame)
        out[t] = frame
    return out


def _scene_with_margin(
    rng: np.random.Generator, cfg: SampleConfig, height: int, width: int, size: float
) -> tuple[np.ndarray, list[np.ndarray]]:
    margin = math.ceil(cfg.shake[1]) + 1
    return _scene(rng, cfg, height + 2 * margin, width + 2 * margin, size)


def _size(rng: np.random.Generator, cfg: SampleConfig) -> float:
    """The acting object's height in pixels: cfg.object_size of the frame height."""
    return _uniform(rng, cfg.object_size) * HEIGHT


# ---------------------------------------------------------------- motion families (forward direction)


def _move(
    rng: np.random.Generator, cfg: SampleConfig, height: int, width: int, frames: int, direction: tuple[int, int]
) -> Frames:
    """One object travelling 45-75% of the frame along `direction` ((dy, dx), one of them +-1)."""
    size = _size(rng, cfg)
    scene, ends = _scene_with_margin(rng, cfg, height, width, size)
    shape = _shape(rng, size, ends)
    along = 0 if direction[0] else 1
    extent, radius = (height, width), shape.half
    length = rng.uniform(0.45, 0.75) * (extent[along] - 2 * radius[along])
    start = rng.uniform(radius[along], extent[along] - radius[along] - length)
    across = rng.uniform(radius[1 - along], extent[1 - along] - radius[1 - along])
    drift = rng.uniform(-0.1, 0.1) * length
    progress = _progress(rng, frames)
    centres = np.empty((frames, 2))
    centres[:, along] = start + progress * length
    if direction[along] < 0:
        centres[:, along] = extent[along] - centres[:, along]
    centres[:, 1 - along] = across + progress * drift
    centres += _jitter(rng, frames, rng.uniform(0.5, 2))
    return _film(rng, cfg, scene, [shape], centres[:, None], height, width)


def _zoom(rng: np.random.Generator, cfg: SampleConfig, height: int, width: int, frames: int) -> Frames:
    """The camera approaches an object: the scene grows 1.8-2.8x as the object comes to the centre."""
    size = _size(rng, cfg)
    scene, ends = _scene(rng, cfg, height, width, size)
    shape = _shape(rng, size, ends)
    centre = np.array([rng.uniform(0.3, 0.7) * height, rng.uniform(0.3, 0.7) * width])
    _paste(scene, shape, *centre)
    zoom = 1 + _progress(rng, frames) * rng.uniform(0.8, 1.8)
    shake = _jitter(rng, frames, _uniform(rng, cfg.shake))
    middle = np.array([height / 2, width / 2])
    out = []
    for t, z in enumerate(zoom):
        # The object's place on screen drifts to the middle no faster than the view narrows,
        # which keeps every sample inside the scene.
        anchor = centre + (middle - centre) * (1 - 1 / z) + shake[t]
        ys = centre[0] + (np.arange(height) - anchor[0]) / z
        xs = centre[1] + (np.arange(width) - anchor[1]) / z
        out.append(_resample(scene, ys, xs))
    return _expose(rng, cfg, out)


def _pan(rng: np.random.Generator, cfg: SampleConfig, height: int, width: int, frames: int) -> Frames:
    """The camera turns left: the view slides over a wider scene, so the scene moves right."""
    travel = rng.uniform(0.4, 0.8) * width
    margin = math.ceil(cfg.shake[1]) + 1
    scene_h, scene_w = height + 2 * margin, int(width + travel) + 2 * margin
    size = _size(rng, cfg)
    scene, ends = _scene(rng, cfg, scene_h, scene_w, size)
    # The filmed object, near the middle of the scene, which the view passes over.
    _paste(
        scene, _shape(rng, size, ends), rng.uniform(0.25, 0.75) * scene_h, scene_w / 2 + rng.uniform(-1, 1) * width / 3
    )
    offset = margin + travel * (1 - _progress(rng, frames))
    shake = _jitter(rng, frames, _uniform(rng, cfg.shake))
    out = []
    for t in range(frames):
        ys = margin + np.arange(height) + shake[t, 0]
        xs = offset[t] + np.arange(width) + shake[t, 1]
        out.append(_resample(scene, ys, xs))
    return _expose(rng, cfg, out)


def _cover(rng: np.random.Generator, cfg: SampleConfig, height: int, width: int, frames: int) -> Frames:
    """A larger second object slides in from any side and comes to rest on top of the first."""
    size = _size(rng, cfg)
    scene, ends = _scene_with_margin(rng, cfg, height, width, size)
    below = _shape(rng, size * 0.8, ends)
    cover_half = max(below.half) * rng.uniform(1.3, 1.6, 2)
    cover = Shape(
        bool(rng.random() < 0.5), (float(cover_half[0]), float(cover_half[1])), _colour(rng, [*ends, below.colour]), 0.0
    )
    place = np.array([rng.uniform(0.3, 0.7) * height, rng.uniform(0.3, 0.7) * width])
    angle = rng.uniform(0, 2 * np.pi)
    start = place + rng.uniform(0.3, 0.5) * (height + width) / 2 * np.array([np.sin(angle), np.cos(angle)])
    rest = place + rng.uniform(-0.15, 0.15, 2) * cover_half
    progress = _progress(rng, frames)[:, None]
    centres = np.stack(
        [
            place + _jitter(rng, frames, 0.7),
            start + progress * (rest - start) + _jitter(rng, frames, rng.uniform(0.5, 2)),
        ],
        axis=1,
    )
    return _film(rng, cfg, scene, [below, cover], centres, height, width)


def _closer(rng: np.random.Generator, cfg: SampleConfig, height: int, width: int, frames: int) -> Frames:
    """Two objects, far apart on a mostly horizontal line, come until they nearly touch: both move, or with
    cfg.still_partner's chance one is slid to the other, which stands still."""
    size = _size(rng, cfg)
    scene, ends = _scene_with_margin(rng, cfg, height, width, size)
    first = _shape(rng, size, ends)
    second = _shape(rng, size * rng.uniform(0.8, 1.2), ends)
    radius = max(*first.half, *second.half)
    angle = rng.uniform(-0.5, 0.5) + (np.pi / 2 if rng.random() < 0.25 else 0)
    unit = np.array([np.sin(angle), np.cos(angle)])
    room = np.maximum(np.array([height, width]) - 2 * radius - 8, 4 * radius)
    with np.errstate(divide="ignore"):
        far = rng.uniform(0.75, 1.0) * np.min(room / np.abs(unit))
    near = min(2 * radius * rng.uniform(1.05, 1.3), far / 2)
    half_span = far / 2 * np.abs(unit)
    low, high = radius + 4 + half_span, np.array([height, width]) - radius - 4 - half_span
    centre = rng.uniform(np.minimum(low, high), np.maximum(low, high))
    progress = _progress(rng, frames)[:, None]
    separation = far + progress * (near - far)
    shift = progress * rng.uniform(-0.3, 0.3) * (far - near) / 2 * unit  # one may move more than the other
    wobble = [_jitter(rng, frames, rng.uniform(0.5, 2)) for _ in range(2)]
    # At 0 no number is drawn, so the default sample is the one drawn before this knob, byte for byte.
    if cfg.still_partner and rng.random() < cfg.still_partner:
        # One hand slides one object to the other, which stands still: only that still neighbour tells
        # the clip from a push, as in many real clips of the class.
        still = int(rng.integers(2))
        shift = (separation - far) / 2 * unit * (1 if still == 0 else -1)
        wobble[still] = np.zeros_like(wobble[still])
    centres = np.stack(
        [
            centre + shift - separation / 2 * unit + wobble[0],
            centre + shift + separation / 2 * unit + wobble[1],
        ],
        axis=1,
    )
    return _film(rng, cfg, scene, [first, second], centres, height, width)


def _hold(rng: np.random.Generator, cfg: SampleConfig, height: int, width: int, frames: int) -> Frames:
    """One object held still in a hand: it only wobbles a few pixels."""
    size = _size(rng, cfg)
    scene, ends = _scene_with_margin(rng, cfg, height, width, size)
    shape = _shape(rng, size, ends)
    place = np.array([rng.uniform(0.25, 0.75) * height, rng.uniform(0.25, 0.75) * width])
    centres = place + _jitter(rng, frames, rng.uniform(2, 5))
    return _film(rng, cfg, scene, [shape], centres[:, None], height, width)


FORWARD: dict[str, Callable[..., Frames]] = {
    "Moving something up": partial(_move, direction=(-1, 0)),
    "Pushing something from left to right": partial(_move, direction=(0, 1)),
    "Approaching something with your camera": _zoom,
    "Turning the camera left while filming something": _pan,
    "Covering something with something": _cover,
    "Moving something and something closer to each other": _closer,
    "Holding something": _hold,
}
# Each class drawn as its partner's video played backwards.
REVERSED: dict[str, str] = {
    "Moving something down": "Moving something up",
    "Pushing something from right to left": "Pushing something from left to right",
    "Moving away from something with your camera": "Approaching something with your camera",
    "Turning the camera right while filming something": "Turning the camera left while filming something",
    "Uncovering something": "Covering something with something",
    "Moving something and something away from each other": "Moving something and something closer to each other",
}
DRAWABLE: list[str] = sorted([*FORWARD, *REVERSED])  # the classes the sample can draw


def video_rng(seed: int, split: str, index: int) -> np.random.Generator:
    """The generator that draws video `index` of `split`, independent of every other video."""
    return np.random.default_rng([seed, SPLITS.index(split), index])


def draw_video(name: str, rng: np.random.Generator, cfg: SampleConfig) -> Frames:
    """Frames (T, 240, W, 3) uint8 of class `name`, its width, length and look drawn from `rng` within `cfg`."""
    forward = REVERSED.get(name, name)
    if forward not in FORWARD:
        raise ValueError(f"no synthetic drawing for class {name!r}; known: {DRAWABLE}")
    width = int(rng.choice(cfg.widths))
    frames = int(rng.integers(FRAMES[0], FRAMES[1] + 1))
    video = FORWARD[forward](rng, cfg, HEIGHT, width, frames)
    return video[::-1].copy() if name in REVERSED else video


# ---------------------------------------------------------------- the dataset


def template(name: str) -> str:
    """The annotation template of a class: each 'something' in brackets."""
    return re.sub(r"\bsomething\b", "[something]", name)


def fill(template_: str, placeholders: tuple[str, ...]) -> str:
    """The free-text label: the template lower-cased at the start, placeholders in the brackets."""
    texts = iter(placeholders)
    text = re.sub(r"\[something\]", lambda _: next(texts), template_)
    return text[:1].lower() + text[1:]


def plan_sample(seed: int, classes: list[str], per_class: dict[str, int], broken: int) -> dict[str, list[Video]]:
    """Every entry of each split, in the shuffled order of its annotation file.

    Entry `index` of a split draws class classes[index % len(classes)]; the broken ones take
    train's last indices.
    """
    if not classes or len(set(classes)) != len(classes) or set(classes) - set(DRAWABLE):
        raise ParamsError(f"sample.classes must be distinct classes the sample can draw ({DRAWABLE}), got {classes!r}")
    if sorted(per_class) != sorted(SPLITS) or any(type(n) is not int or n < 0 for n in per_class.values()):
        raise ValueError(f"per_class must map each of {SPLITS} to a count >= 0, got {per_class!r}")
    if broken < 0:
        raise ValueError(f"broken must be >= 0, got {broken}")
    counts = {split: per_class[split] * len(classes) + (broken if split == "train" else 0) for split in SPLITS}
    if sum(counts.values()) > MAX_ID:
        raise ValueError(f"{sum(counts.values())} videos exceed the {MAX_ID} available ids")
    rng = np.random.default_rng([seed, len(SPLITS)])  # a stream apart from every video's
    ids = iter(rng.permutation(MAX_ID)[: sum(counts.values())] + 1)
    plan = {}
    for split in SPLITS:
        videos = []
        for index in range(counts[split]):
            name = classes[index % len(classes)]
            extra = index - per_class[split] * len(classes)
            kind = BROKEN[extra % len(BROKEN)] if extra >= 0 else "ok"
            picks = rng.integers(len(PLACEHOLDERS), size=template(name).count("["))
            videos.append(Video(str(next(ids)), name, split, index, kind, tuple(PLACEHOLDERS[i] for i in picks)))
        plan[split] = [videos[i] for i in rng.permutation(len(videos))]
    return plan


def _truncate(data: bytes, name: str) -> bytes:
    """The first half of a webm's bytes, or a little more where half holds no whole frame yet
    (a keyframe can outweigh all the frames after it), so it reads as truncated, not empty."""
    for keep in (4, 5, 6, 7):
        cut = data[: len(data) * keep // 8]
        try:
            decode_video(cut, name=name)
        except VideoError as e:
            if e.reason.startswith("truncated"):
                return cut
    raise RuntimeError(f"{name}: no cut of its bytes reads as truncated")


def _write(task: tuple[Path, SampleConfig, Video]) -> None:
    """Write one video file as planned: valid, or broken as in a partial download."""
    path, cfg, video = task
    rng = video_rng(cfg.seed, video.split, video.index)
    if video.kind == "ok":
        write_video(path, draw_video(video.name, rng, cfg))
    elif video.kind == "truncated":
        path.write_bytes(_truncate(encode_video(draw_video(video.name, rng, cfg)), path.name))
    elif video.kind == "empty":
        path.write_bytes(b"")
    elif video.kind == "garbage":
        path.write_bytes(rng.bytes(int(rng.integers(512, 4096))))


def read_drawn(
    video: Video,
    short_side: int | None = None,
    *,
    cfg: SampleConfig,
    max_frames: int | None = None,
    min_frames: int = 1,
    name: str | None = None,
) -> Frames:
    """Planned `video` drawn as decode_video returns its webm, with no webm between: past `max_frames`
    uniformly subsampled, resized so its shorter side is `short_side` (PIL's box filter: area
    averaging, as FFmpeg's). A store.Reader: materialise(read=partial(read_drawn, cfg=cfg))."""
    name = name or video.id
    if video.kind != "ok":
        raise VideoError(name, f"{video.kind}: drawn as broken")
    frames = draw_video(video.name, video_rng(cfg.seed, video.split, video.index), cfg)
    if len(frames) < min_frames:
        raise VideoError(name, f"too short: {len(frames)} frames, fewer than {min_frames}")
    if max_frames is not None:
        frames = frames[uniform_indices(len(frames), max_frames)]
    if short_side is not None:
        height, width = resized_shape(*frames.shape[1:3], short_side)
        frames = np.stack([np.asarray(Image.fromarray(f).resize((width, height), Image.BOX)) for f in frames])
    return frames


def drawn_dataset(cfg: SampleConfig) -> tuple[list[str], dict[str, pd.DataFrame]]:
    """Class names and labelled split tables of cfg's draw, as parse_dataset gives them for the files
    make_sample writes, but each `video` entry is the planned Video (read by read_drawn), not a file."""
    class_names = real_class_names()
    plan = plan_sample(cfg.seed, cfg.classes, per_split(cfg), cfg.broken)
    tables = {
        split: pd.DataFrame(
            {"id": [v.id for v in videos], "label": [class_names.index(v.name) for v in videos], "video": videos}
        )
        for split, videos in plan.items()
        if split != "test"
    }
    return class_names, tables


def _write_json(path: Path, value: object) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(value, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")


def per_split(cfg: SampleConfig) -> dict[str, int]:
    """Videos per class of each split."""
    return {"train": cfg.train_per_class, "validation": cfg.validation_per_class, "test": cfg.test_per_class}


def make_sample(root: Path, cfg: SampleConfig, workers: int | None = None) -> None:
    """Write the synthetic dataset of `cfg` at `root` in the official SSv2 layout, replacing any older one.

    labels.json lists the 174 real classes; the splits draw cfg.classes, with `cfg.broken` more
    train entries whose webm is missing, truncated, empty or garbage, in turn. The same cfg
    gives the same bytes whatever `workers` is (None or 0: every core).
    """
    root = Path(root)
    plan = plan_sample(cfg.seed, cfg.classes, per_split(cfg), cfg.broken)
    # Built beside root and swapped in whole, so a killed run never leaves half a dataset at root.
    partial_root, old_root = root.with_name(f".{root.name}.partial"), root.with_name(f".{root.name}.old")
    for leftover in (partial_root, old_root):
        shutil.rmtree(leftover, ignore_errors=True)
    try:
        videos_dir = partial_root / LAYOUT["videos"]
        videos_dir.mkdir(parents=True)
        _write_json(partial_root / LAYOUT["labels"], {name: str(i) for i, name in enumerate(real_class_names())})
        for split, videos in plan.items():
            entries = [
                {"id": v.id}
                if split == "test"
                else {
                    "id": v.id,
                    "label": fill(template(v.name), v.placeholders),
                    "template": template(v.name),
                    "placeholders": list(v.placeholders),
                }
                for v in videos
            ]
            _write_json(partial_root / LAYOUT[split], entries)
        tasks = [(videos_dir / f"{v.id}.webm", cfg, v) for videos in plan.values() for v in videos]
        tasks.sort(key=lambda task: task[0].name)  # a stable work order whatever the shuffle
        workers = workers or os.cpu_count() or 1
        progress = partial(tqdm, total=len(tasks), desc=f"sample -> {root}", unit="video")
        if workers == 1:
            list(progress(map(_write, tasks)))
        else:
            with ProcessPoolExecutor(workers, mp_context=process_context()) as pool:
                list(progress(pool.map(_write, tasks, chunksize=4)))
    except BaseException:
        shutil.rmtree(partial_root, ignore_errors=True)
        raise
    if root.exists():
        root.rename(old_root)
    partial_root.rename(root)
    shutil.rmtree(old_root, ignore_errors=True)
