"""A "foreign" synthetic dataset in SSv2's official layout, drawn independently of ssv2.sample.

It tests whether the training recipe generalises to SSv2-format data it has never seen. Eight
real SSv2 classes form four time-reversal pairs; each reversed class is its partner's video
drawn forwards then played backwards, so no single frame tells a pair apart, only frame order.

Scenes: a textured background (wood grain, tiles, rotated checker, multi-octave value noise or
gradients), 3-8 static clutter shapes (polygons, stars, rings, crosses, crescents, noise
patches) and one or two textured acting shapes (stars, rings, crosses, triangles, polygons,
crescents, never plain ellipses or rectangles) that spin and wobble along a randomly chosen
motion profile, or a camera that zooms 1.5-2.5x towards a shape; mild shake, flicker and noise.

    PYTHONPATH=. python benchmarks/foreign.py /tmp/foreign [--seed 0] [--train-per-class 24]
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from tqdm import tqdm

from ssv2.video import write_video

LABELS_FILE = Path("/work/shared/ssv2-labels.txt")
VIDEO_DIR = "20bn-something-something-v2"
HEIGHT = 240
MARGIN = 8  # world pixels around the view at zoom 1, room for camera shake

# Forward class -> its time-reversed partner.
PAIRS: dict[str, str] = {
    "Pushing something from left to right": "Pushing something from right to left",
    "Moving something up": "Moving something down",
    "Moving something and something closer to each other": "Moving something and something away from each other",
    "Approaching something with your camera": "Moving away from something with your camera",
}
REVERSED: dict[str, str] = {v: k for k, v in PAIRS.items()}
CLASSES: list[str] = [name for pair in PAIRS.items() for name in pair]

SHAPES = ("star", "ring", "cross", "triangle", "polygon", "crescent")
NAMES: dict[str, list[str]] = {
    "star": ["star", "paper star", "star-shaped cookie", 'plastic "star" toy', "starfish magnet"],
    "ring": ["ring", "donut", "rubber washer", "bracelet", "roll of tape"],
    "cross": ["plus sign", "cross", "first-aid patch", "lego cross, red", "swiss badge"],
    "triangle": ["triangle", "guitar pick", "slice of pizza", "set square", "toblerone piece"],
    "polygon": ["hexagon nut", "coaster", "pentagon block", "eraser", "crème brûlée lid"],
    "crescent": ["crescent", "banana", "croissant", "moon-shaped cookie", "lemon slice"],
}
COLOURS = ["red", "blue", "green", "yellow", "purple", "orange", "pink", "", "", ""]

Field = np.ndarray  # float32 image, (H, W) or (H, W, 3), values in [0, 1]


@dataclass(frozen=True)
class Job:
    """One video to draw: where it goes, its seed, and its class."""

    path: Path
    seed: tuple[int, int]
    name: str  # class name


@dataclass
class Actor:
    """An acting shape: its look and, per frame, its centre (view pixels at zoom 1) and angle."""

    shape: str
    params: dict
    size: float
    colours: tuple[np.ndarray, np.ndarray]
    pattern: str
    pattern_freq: float
    centres: np.ndarray  # (T, 2) as (y, x)
    angles: np.ndarray  # (T,)


# ---------------------------------------------------------------- drawing helpers


def hsv(h: float, s: float, v: float) -> np.ndarray:
    """An RGB colour in [0, 1] from hue, saturation and value in [0, 1]."""
    k = (np.array([5.0, 3.0, 1.0]) + h * 6) % 6
    return (v - v * s * np.clip(np.minimum(k, 4 - k), 0, 1)).astype(np.float32)


def bilinear(img: Field, ys: np.ndarray, xs: np.ndarray) -> Field:
    """Sample `img` at the grid of row coordinates `ys` by column coordinates `xs` (separable)."""
    h, w = img.shape[:2]
    ys, xs = np.clip(ys, 0, h - 1), np.clip(xs, 0, w - 1)
    y0, x0 = np.floor(ys).astype(np.int64), np.floor(xs).astype(np.int64)
    y1, x1 = np.minimum(y0 + 1, h - 1), np.minimum(x0 + 1, w - 1)
    extra = (1,) * (img.ndim - 2)
    wy = (ys - y0).astype(np.float32).reshape(-1, 1, *extra)
    wx = (xs - x0).astype(np.float32).reshape(1, -1, *extra)
    rows = img[y0]
    rows += (img[y1] - rows) * wy
    out = rows[:, x0]
    out += (rows[:, x1] - out) * wx
    return out


def value_noise(rng: np.random.Generator, shape: tuple[int, int], cell: float, octaves: int = 3) -> Field:
    """Perlin-like fractal value noise in [0, 1]: random grids upsampled and summed over octaves."""
    h, w = shape
    total, norm, amp = np.zeros(shape, np.float32), 0.0, 1.0
    for _ in range(octaves):
        gh, gw = int(h / cell) + 2, int(w / cell) + 2
        grid = rng.random((gh, gw), dtype=np.float32)
        total += amp * bilinear(grid, np.arange(h) / cell, np.arange(w) / cell)
        norm += amp
        cell, amp = max(cell / 2, 1.5), amp * 0.5
    return total / norm


def polygon_mask(u: np.ndarray, v: np.ndarray, vertices: np.ndarray) -> np.ndarray:
    """Even-odd point-in-polygon test of points (u, v) against (n, 2) vertices."""
    inside = np.zeros(u.shape, bool)
    for (x1, y1), (x2, y2) in zip(vertices, np.roll(vertices, -1, axis=0)):
        crosses = (y1 > v) != (y2 > v)
        x_at = (x2 - x1) * (v - y1) / (y2 - y1 + 1e-12) + x1
        inside ^= crosses & (u < x_at)
    return inside


def shape_mask(shape: str, params: dict, u: np.ndarray, v: np.ndarray) -> np.ndarray:
    """Boolean mask of a shape in unit coordinates (it fits the disc of radius 1)."""
    r = np.hypot(u, v)
    if shape == "ring":
        return (r <= 1) & (r >= params["inner"])
    if shape == "cross":
        a = params["arm"]
        return ((np.abs(u) <= a) & (np.abs(v) <= 1)) | ((np.abs(v) <= a) & (np.abs(u) <= 1))
    if shape == "crescent":
        return (r <= 1) & (np.hypot(u - params["bite"], v) > params["bite_r"])
    if shape == "star":
        n = params["points"]
        t = np.arange(2 * n) * np.pi / n
        radii = np.where(np.arange(2 * n) % 2 == 0, 1.0, params["inner"])
    else:  # triangle or polygon
        n = 3 if shape == "triangle" else params["sides"]
        t = np.arange(n) * 2 * np.pi / n
        radii = np.ones(n)
    vertices = np.stack([radii * np.sin(t), -radii * np.cos(t)], axis=1)
    return polygon_mask(u, v, vertices)


def shape_params(rng: np.random.Generator, shape: str) -> dict:
    """Random proportions for a shape."""
    return {
        "inner": float(rng.uniform(0.4, 0.65)) if shape != "ring" else float(rng.uniform(0.45, 0.7)),
        "arm": float(rng.uniform(0.22, 0.4)),
        "points": int(rng.integers(4, 8)),
        "sides": int(rng.choice([5, 6, 8])),
        "bite": float(rng.uniform(0.35, 0.6)),
        "bite_r": float(rng.uniform(0.75, 0.95)),
    }


def pattern_field(pattern: str, freq: float, u: np.ndarray, v: np.ndarray) -> np.ndarray:
    """A two-tone texture in object coordinates, 0..1 (which of the object's two colours)."""
    if pattern == "stripes":
        return (np.sin(freq * np.pi * (u + 0.4 * v)) > 0).astype(np.float32)
    if pattern == "rings":
        return (np.sin(freq * np.pi * np.hypot(u, v)) > 0).astype(np.float32)
    if pattern == "dots":
        return (np.hypot((u * freq / 2) % 1 - 0.5, (v * freq / 2) % 1 - 0.5) < 0.28).astype(np.float32)
    if pattern == "checker":
        return ((np.floor(u * freq / 2) + np.floor(v * freq / 2)) % 2).astype(np.float32)
    return np.clip(0.5 - 0.5 * v, 0, 1).astype(np.float32)  # "shade": a soft two-colour gradient


def render_sprite(
    shape: str,
    params: dict,
    size: float,
    angle: float,
    colours: tuple[np.ndarray, np.ndarray],
    pattern: str,
    freq: float,
    offset: tuple[float, float],
) -> tuple[Field, Field]:
    """An anti-aliased (2x supersampled) textured shape: (rgb, alpha) on a square patch.

    `size` is the diameter in pixels; the centre lies at pixel (side // 2 + offset) of the patch.
    """
    side = int(np.ceil(size)) + 6
    ss = 2
    coords = (np.arange(side * ss) + 0.5) / ss - 0.5  # pixel-centre coordinates of the subsamples
    yy, xx = np.meshgrid(coords - side // 2 - offset[0], coords - side // 2 - offset[1], indexing="ij")
    c, s = np.cos(angle), np.sin(angle)
    u, v = (c * xx + s * yy) / (size / 2), (-s * xx + c * yy) / (size / 2)
    mask = shape_mask(shape, params, u, v).astype(np.float32)
    tone = pattern_field(pattern, freq, u, v)
    light = 1.0 + 0.18 * np.clip(-(u + v) / 2, -1, 1)  # light from the top left
    rgb = (colours[0] * (1 - tone[..., None]) + colours[1] * tone[..., None]) * light[..., None]
    pool = lambda a: a.reshape(side, ss, side, ss, *a.shape[2:]).mean(axis=(1, 3))  # noqa: E731
    alpha = pool(mask)
    rgb = pool(rgb * mask[..., None]) / np.maximum(alpha, 1e-6)[..., None]
    return np.clip(rgb, 0, 1), alpha


def paste(world: Field, rgb: Field, alpha: Field, centre: tuple[float, float], shadow: float = 0.0) -> None:
    """Alpha-composite a sprite into `world` (in place) centred at `centre` (y, x), with a drop shadow."""
    side = alpha.shape[0]
    top, left = int(np.floor(centre[0])) - side // 2, int(np.floor(centre[1])) - side // 2
    for dy, dx, colour, strength in ((3, 3, None, shadow), (0, 0, rgb, 1.0)):
        if strength <= 0:
            continue
        y0, x0 = top + dy, left + dx
        ya, xa = max(y0, 0), max(x0, 0)
        yb, xb = min(y0 + side, world.shape[0]), min(x0 + side, world.shape[1])
        if ya >= yb or xa >= xb:
            continue
        a = alpha[ya - y0 : yb - y0, xa - x0 : xb - x0, None] * strength
        region = world[ya:yb, xa:xb]
        target = 0.0 if colour is None else colour[ya - y0 : yb - y0, xa - x0 : xb - x0]
        region *= 1 - a
        region += a * target


# ---------------------------------------------------------------- scenes


def background(rng: np.random.Generator, h: int, w: int) -> tuple[Field, float]:
    """A textured background of a randomly chosen kind and palette, and the palette's hue."""
    kind = rng.choice(["wood", "tiles", "checker", "noise", "gradient"])
    hue = rng.random()
    a = hsv(hue, rng.uniform(0.15, 0.6), rng.uniform(0.45, 0.85))
    b = hsv((hue + rng.uniform(-0.08, 0.08)) % 1, rng.uniform(0.1, 0.6), rng.uniform(0.3, 0.8))
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    theta = rng.uniform(0, np.pi)
    along = np.cos(theta) * xx + np.sin(theta) * yy
    if kind == "wood":
        warp = value_noise(rng, (h, w), rng.uniform(30, 80), 3)
        t = 0.5 + 0.5 * np.sin(2 * np.pi * (along / rng.uniform(8, 22) + rng.uniform(2, 6) * warp))
        t = t ** rng.uniform(1, 3)
    elif kind == "tiles":
        size, grout = rng.uniform(18, 60), rng.integers(1, 4)
        ty, tx = (yy + rng.uniform(0, size)) / size, (xx + rng.uniform(0, size)) / size
        jitter = rng.uniform(-0.25, 0.25, (int(h / size) + 3, int(w / size) + 3)).astype(np.float32)
        t = 0.5 + jitter[ty.astype(int), tx.astype(int)]
        edge = (np.minimum(ty % 1, tx % 1) * size) < grout
        t = np.where(edge, 1.4, t)
    elif kind == "checker":
        size = rng.uniform(12, 45)
        across = -np.sin(theta) * xx + np.cos(theta) * yy
        t = ((np.floor(along / size) + np.floor(across / size)) % 2) * rng.uniform(0.4, 1.0)
    elif kind == "noise":
        t = value_noise(rng, (h, w), rng.uniform(10, 60), int(rng.integers(2, 5)))
        t = np.clip((t - t.mean()) * rng.uniform(2, 4) + 0.5, 0, 1)
    else:  # gradient, linear or radial
        if rng.random() < 0.5:
            t = (along - along.min()) / (along.max() - along.min() + 1e-6)
        else:
            cy, cx = rng.uniform(0, h), rng.uniform(0, w)
            t = np.hypot(yy - cy, xx - cx) / np.hypot(h, w)
        t = t + 0.08 * value_noise(rng, (h, w), 6, 1)
    img = a * (1 - t[..., None]) + b * t[..., None]
    img *= 1 + 0.06 * (value_noise(rng, (h, w), 4, 1)[..., None] - 0.5)  # fine grain
    return np.clip(img, 0, 1).astype(np.float32), float(hue)


def add_clutter(rng: np.random.Generator, world: Field) -> None:
    """Draw 3-8 static clutter objects into `world`: shapes and irregular noise-textured patches."""
    h, w = world.shape[:2]
    for _ in range(int(rng.integers(3, 9))):
        size = rng.uniform(0.06, 0.15) * HEIGHT
        centre = (rng.uniform(0, h), rng.uniform(0, w))
        colours = (
            hsv(rng.random(), rng.uniform(0.1, 0.7), rng.uniform(0.2, 0.95)),
            hsv(rng.random(), rng.uniform(0.1, 0.7), rng.uniform(0.2, 0.95)),
        )
        if rng.random() < 0.25:  # an irregular patch: thresholded noise with its own texture
            side = int(size * 1.6) + 2
            blob = value_noise(rng, (side, side), side / 3, 2)
            yy, xx = np.mgrid[0:side, 0:side] / (side - 1) * 2 - 1
            alpha = np.clip((blob - np.hypot(yy, xx) * 0.6 - 0.15) * 12, 0, 1).astype(np.float32)
            tone = value_noise(rng, (side, side), 3, 2)[..., None]
            paste(world, colours[0] * (1 - tone) + colours[1] * tone, alpha, centre, 0.15)
        else:
            shape = str(rng.choice(SHAPES))
            rgb, alpha = render_sprite(
                shape,
                shape_params(rng, shape),
                size,
                rng.uniform(0, 2 * np.pi),
                colours,
                str(rng.choice(["stripes", "rings", "dots", "checker", "shade"])),
                rng.uniform(2, 6),
                (0.0, 0.0),
            )
            paste(world, rgb, alpha, centre, 0.2)


def profile(rng: np.random.Generator, frames: int) -> np.ndarray:
    """Progress 0 -> 1 over the frames: a random easing inside a random active window."""
    t = np.linspace(0, 1, frames)
    start, end = rng.uniform(0, 0.2), rng.uniform(0.75, 1.0)
    s = np.clip((t - start) / (end - start), 0, 1)
    kind = rng.choice(["constant", "accelerate", "decelerate", "smooth", "steps"])
    power = rng.uniform(1.5, 2.6)
    if kind == "accelerate":
        return s**power
    if kind == "decelerate":
        return 1 - (1 - s) ** power
    if kind == "smooth":
        return s * s * (3 - 2 * s)
    if kind == "steps":  # two bursts of motion with a pause between
        cut = rng.uniform(0.35, 0.65)
        return np.where(s < 0.5, cut * np.clip(s / 0.4, 0, 1), cut + (1 - cut) * np.clip((s - 0.6) / 0.4, 0, 1))
    return s


def make_actor(rng: np.random.Generator, path: np.ndarray, frames: int, size: float, bg_hue: float) -> Actor:
    """A textured acting shape following `path` (T, 2) with a small wobble and spin, in a hue unlike `bg_hue`."""
    shape = str(rng.choice(SHAPES))
    hue = (bg_hue + rng.uniform(0.2, 0.8)) % 1
    colours = (
        hsv(hue, rng.uniform(0.65, 1.0), rng.uniform(0.7, 1.0)),
        hsv((hue + rng.uniform(0.3, 0.7)) % 1, rng.uniform(0.4, 1.0), rng.uniform(0.15, 0.95)),
    )
    t = np.arange(frames) / 12.0
    freq, phase = rng.uniform(0.5, 2.0), rng.uniform(0, 2 * np.pi)
    wobble = rng.uniform(0, 0.02 * HEIGHT) * np.sin(2 * np.pi * freq * t + phase)
    step = np.gradient(path, axis=0)
    normal = np.stack([step[:, 1], -step[:, 0]], axis=1)
    normal /= np.maximum(np.linalg.norm(normal, axis=1, keepdims=True), 1e-6)
    moving = np.linalg.norm(step, axis=1) > 1e-3
    centres = path + (wobble * moving)[:, None] * normal
    spin = rng.uniform(-1.2, 1.2) * np.cumsum(np.linalg.norm(step, axis=1)) / size  # rolls as it travels
    angles = rng.uniform(0, 2 * np.pi) + spin + rng.uniform(0, 0.15) * np.sin(2 * np.pi * freq * 1.3 * t)
    return Actor(
        shape,
        shape_params(rng, shape),
        size,
        colours,
        str(rng.choice(["stripes", "rings", "dots", "checker", "shade"])),
        rng.uniform(2, 5),
        centres,
        angles,
    )


def forward_scene(
    rng: np.random.Generator, name: str, frames: int, h: int, w: int, bg_hue: float
) -> tuple[list[Actor], np.ndarray, np.ndarray]:
    """The actors and camera (zoom per frame, view centre per frame) of a forward class's video."""
    zoom = np.full(frames, rng.uniform(1.0, 1.04))
    centre = np.tile([[h / 2, w / 2]], (frames, 1)).astype(np.float64)
    size = rng.uniform(0.12, 0.20) * HEIGHT
    p = profile(rng, frames)[:, None]
    pad = size / 2 + 6
    if name == "Pushing something from left to right":
        travel = rng.uniform(0.4, 0.7) * w
        x0 = rng.uniform(pad, w - pad - travel)
        y = rng.uniform(0.3 * h, h - pad)
        drift = rng.uniform(-0.05, 0.05) * h
        start, end = np.array([y, x0]), np.array([np.clip(y + drift, pad, h - pad), x0 + travel])
        return [make_actor(rng, start + p * (end - start), frames, size, bg_hue)], zoom, centre
    if name == "Moving something up":
        travel = rng.uniform(0.4, 0.7) * h
        y0 = rng.uniform(pad + travel, h - pad)
        x = rng.uniform(pad, w - pad)
        drift = rng.uniform(-0.05, 0.05) * w
        start, end = np.array([y0, x]), np.array([y0 - travel, np.clip(x + drift, pad, w - pad)])
        return [make_actor(rng, start + p * (end - start), frames, size, bg_hue)], zoom, centre
    if name == "Moving something and something closer to each other":
        sizes = rng.uniform(0.12, 0.20, 2) * HEIGHT
        angle = rng.uniform(-0.4, 0.4)
        axis = np.array([np.sin(angle), np.cos(angle)])
        end_gap = sizes.sum() / 2 + rng.uniform(2, 14)
        room = (w - sizes.max() - 12) / abs(axis[1]) - end_gap
        travel = rng.uniform(0.4 * w, max(0.4 * w, min(0.7 * w, room)))
        share = rng.uniform(0.3, 0.7)  # how much of the travel the first object does
        start_gap = end_gap + travel
        half = start_gap / 2 * np.abs(axis) + sizes.max() / 2 + 6
        mid = np.array(
            [
                rng.uniform(half[0], h - half[0]) if half[0] < h / 2 else h / 2,
                rng.uniform(half[1], w - half[1]) if half[1] < w / 2 else w / 2,
            ]
        )
        a0, b0 = mid - axis * start_gap / 2, mid + axis * start_gap / 2
        a1, b1 = a0 + axis * travel * share, b0 - axis * travel * (1 - share)
        q = profile(rng, frames)[:, None] if rng.random() < 0.3 else p  # sometimes out of step
        return (
            [
                make_actor(rng, a0 + p * (a1 - a0), frames, sizes[0], bg_hue),
                make_actor(rng, b0 + q * (b1 - b0), frames, sizes[1], bg_hue),
            ],
            zoom,
            centre,
        )
    if name == "Approaching something with your camera":
        target = np.array([rng.uniform(0.3, 0.7) * h, rng.uniform(0.3, 0.7) * w])
        actor = make_actor(rng, np.tile(target, (frames, 1)), frames, size, bg_hue)
        actor.angles = actor.angles[0] + rng.uniform(0, 0.1) * np.sin(np.linspace(0, 2 * np.pi, frames))
        final = rng.uniform(1.5, 2.5)
        zoom = zoom[0] * final ** p[:, 0]  # geometric: a steady approach
        # The view centre moves to the target, as far as the view stays inside the world.
        aim = np.array([h / 2, w / 2]) + p * (target - np.array([h / 2, w / 2]))
        half = np.stack([h / 2 / zoom, w / 2 / zoom], axis=1)
        centre = np.clip(aim, half, np.array([h, w]) - half)
        return [actor], zoom, centre
    raise ValueError(f"not a forward class: {name}")


def render_video(seed: tuple[int, int], name: str) -> np.ndarray:
    """The frames (T, 240, W, 3) uint8 of one video of class `name` (a reversed class plays backwards)."""
    rng = np.random.default_rng(seed)
    frames = int(rng.integers(24, 61))
    w = 2 * int(rng.integers(160, 241))
    h = HEIGHT
    forward = REVERSED.get(name, name)
    world_static, bg_hue = background(rng, h + 2 * MARGIN, w + 2 * MARGIN)
    add_clutter(rng, world_static)
    actors, zoom, centre = forward_scene(rng, forward, frames, h, w, bg_hue)

    # Camera shake: a few slow sinusoids plus small jitter, in view pixels.
    t = np.arange(frames)[:, None] / 12.0
    amp = rng.uniform(0.3, 1.6, (1, 2))
    shake = amp * np.sin(2 * np.pi * rng.uniform(0.3, 2.0, (1, 2)) * t + rng.uniform(0, 2 * np.pi, (1, 2)))
    shake += rng.normal(0, 0.3, (frames, 2))
    shake = np.clip(shake, -MARGIN + 2, MARGIN - 2)
    flicker = 1 + rng.uniform(0, 0.03) * np.sin(2 * np.pi * rng.uniform(0.2, 1.5) * t[:, 0] + rng.uniform(0, 6))
    noise_sigma = np.float32(rng.uniform(1.0, 4.0))
    noise_bank = rng.standard_normal((6, h, w, 3), dtype=np.float32) * noise_sigma + np.float32(0.5)

    out = np.empty((frames, h, w, 3), np.uint8)
    for i in range(frames):
        world = world_static.copy()
        for actor in actors:
            cy, cx = actor.centres[i] + MARGIN
            offset = (cy - np.floor(cy), cx - np.floor(cx))
            rgb, alpha = render_sprite(
                actor.shape,
                actor.params,
                actor.size,
                actor.angles[i],
                actor.colours,
                actor.pattern,
                actor.pattern_freq,
                offset,
            )
            paste(world, rgb, alpha, (cy, cx), shadow=0.35)
        cy, cx = centre[i] + MARGIN + shake[i]
        ys = cy + (np.arange(h) + 0.5 - h / 2) / zoom[i] - 0.5
        xs = cx + (np.arange(w) + 0.5 - w / 2) / zoom[i] - 0.5
        view = bilinear(world, ys, xs)
        view *= 255 * flicker[i]
        noise = noise_bank[rng.integers(len(noise_bank))]
        view += noise[::-1] if rng.random() < 0.5 else noise  # + 0.5: rounds on the cast below
        np.clip(view, 0, 255, out=view)
        out[i] = view
    return out[::-1].copy() if name in REVERSED else out


def _write(job: Job) -> None:
    """Pool task: draw one video and write it as webm."""
    write_video(job.path, render_video(job.seed, job.name))


# ---------------------------------------------------------------- dataset


def placeholders(rng: np.random.Generator, count: int) -> list[str]:
    """Free-text object names as crowd workers might type them."""
    out = []
    for _ in range(count):
        name = str(rng.choice(NAMES[str(rng.choice(SHAPES))]))
        colour = str(rng.choice(COLOURS))
        out.append(f"{colour} {name}".strip() if colour else name)
    return out


def make_foreign(
    root: Path,
    seed: int,
    labels_file: Path = LABELS_FILE,
    train_per_class: int = 24,
    validation_per_class: int = 8,
    test_per_class: int = 2,
    workers: int = 2,
) -> None:
    """Write the foreign dataset at `root` in SSv2's official layout (labels/ and 20bn-something-something-v2/)."""
    root = Path(root)
    names = [line.strip() for line in Path(labels_file).read_text(encoding="utf-8").splitlines() if line.strip()]
    missing = [c for c in CLASSES if c not in names]
    if missing:
        raise ValueError(f"{labels_file} lacks the classes {missing}")
    (root / "labels").mkdir(parents=True, exist_ok=True)
    (root / VIDEO_DIR).mkdir(parents=True, exist_ok=True)
    (root / "labels" / "something-something-v2-labels.json").write_text(
        json.dumps({name: str(i) for i, name in enumerate(names)}, indent=1, ensure_ascii=False), encoding="utf-8"
    )

    rng = np.random.default_rng(seed)
    counts = {"train": train_per_class, "validation": validation_per_class, "test": test_per_class}
    total = len(CLASSES) * sum(counts.values())
    ids: list[int] = []
    seen: set[int] = set()
    while len(ids) < total:
        candidate = int(rng.integers(1, 10 ** int(rng.integers(3, 7))))
        if candidate not in seen:
            seen.add(candidate)
            ids.append(candidate)

    jobs: list[Job] = []
    for split, per_class in counts.items():
        order = [name for name in CLASSES for _ in range(per_class)]
        rng.shuffle(order)
        entries = []
        for name in order:
            video_id = ids[len(jobs)]
            jobs.append(Job(root / VIDEO_DIR / f"{video_id}.webm", (seed, video_id), name))
            if split == "test":
                entries.append({"id": str(video_id)})
                continue
            template = name.replace("something", "[something]")
            filled = placeholders(rng, template.count("[something]"))
            label = template
            for p in filled:
                label = label.replace("[something]", p, 1)
            entries.append(
                {
                    "id": str(video_id),
                    "label": label[0].lower() + label[1:],
                    "template": template,
                    "placeholders": filled,
                }
            )
        (root / "labels" / f"something-something-v2-{split}.json").write_text(
            json.dumps(entries, indent=1, ensure_ascii=False), encoding="utf-8"
        )

    bar = tqdm(total=len(jobs), desc="foreign videos", unit="video")
    if workers <= 1:
        for job in jobs:
            _write(job)
            bar.update()
    else:
        with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("forkserver")) as pool:
            for _ in pool.map(_write, jobs):
                bar.update()
    bar.close()


def main(argv: list[str] | None = None) -> None:
    """Command line: generate the foreign dataset."""
    parser = argparse.ArgumentParser(
        description="Generate a small synthetic SSv2-format dataset (8 classes, 4 time-reversal pairs) with a "
        "generator independent of ssv2.sample, in the official download's layout."
    )
    parser.add_argument("root", type=Path, help="output folder (labels/ and 20bn-something-something-v2/ go here)")
    parser.add_argument("--seed", type=int, default=0, help="random seed; the same seed gives the same files")
    parser.add_argument(
        "--labels-file", type=Path, default=LABELS_FILE, help="the 174 SSv2 class names, one per line in index order"
    )
    parser.add_argument("--train-per-class", type=int, default=24, help="train videos per class")
    parser.add_argument("--validation-per-class", type=int, default=8, help="validation videos per class")
    parser.add_argument("--test-per-class", type=int, default=2, help="test videos per class (ids only)")
    parser.add_argument("--workers", type=int, default=2, help="worker processes (1: no pool)")
    args = parser.parse_args(argv)
    make_foreign(
        args.root,
        args.seed,
        args.labels_file,
        args.train_per_class,
        args.validation_per_class,
        args.test_per_class,
        args.workers,
    )


if __name__ == "__main__":
    main()
