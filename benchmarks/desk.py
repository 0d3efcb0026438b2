"""Synthetic Something-Something V2 data: a phone filming a desk from above while a hand moves things.

Each clip is a desk seen from above at a steep angle, as a hand-held phone films it: a desk surface
(wood planks with grain, felt, laminate, or a cutting mat with a grid; sometimes sheets of paper, a
keyboard edge and a cable on it), 3-8 static desk items drawn with numpy and PIL (pens, pencils,
markers, staplers, sticky-note pads, coins, erasers, tape rolls, cups seen from above as rings,
phones, mice, binder clips, notebooks, rulers) with soft drop shadows from one lamp, and a
skin-toned hand with fingers, nails and a forearm (bare or in a sleeve) that enters from a frame
edge and does the manipulation. The camera shakes smoothly, has a mild keystone (the top of the
frame is farther away), vignetting, slow exposure and white-balance drift and sensor noise; fast
motion is blurred. Motion eases in and out, sometimes pauses half way, and the action fills only
50-90% of the clip, with idle stretches before and after.

Eight classes, four time-reversal pairs. The second class of each pair is a forward draw of the
first played backwards, so only the order of the frames tells them apart:

- Pushing something from left to right / Pushing something from right to left
- Moving something up / Moving something down. Seen from above, "up" means lifted towards the
  camera: the object grows, drifts away from the camera's nadir, and its shadow separates from it,
  blurs and fades (not slid towards the top of the frame).
- Moving something and something closer to each other / ... away from each other (one or two hands)
- Approaching something with your camera / Moving away from something with your camera: the whole
  view zooms and pans in on one item, with shake and a slight roll (no hand)

The layout is the official download's: labels/something-something-v2-{labels,train,validation,test}.json
(labels.json lists every class of the labels file) and 20bn-something-something-v2/<id>.webm, VP9 at
12 fps, 240 px high, 320-480 px wide (often 427, SSv2's 16:9), 2-5 s. Each video is drawn from its own
seeded generator, so a seed gives the same dataset whatever the number of workers.

    python benchmarks/desk.py ROOT [--seed 0] [--labels-file ssv2/ssv2-labels.txt] [--train-per-class 24]
        [--validation-per-class 8] [--test-per-class 2] [--workers 2]
"""

from __future__ import annotations

import argparse
import json
import math
import re
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFilter
from tqdm import tqdm

from ssv2.video import FPS, process_context, write_video

HEIGHT = 240  # SSv2 videos are 240 pixels high
SS = 3  # sprites are drawn this many times larger, then reduced: smooth edges at 240 px
BILINEAR = Image.Resampling.BILINEAR
# Forward class -> its time reversal; the reversed class is the forward draw played backwards.
PAIRS = {
    "Pushing something from left to right": "Pushing something from right to left",
    "Moving something up": "Moving something down",
    "Moving something and something closer to each other": "Moving something and something away from each other",
    "Approaching something with your camera": "Moving away from something with your camera",
}
FORWARD_OF = {back: forward for forward, back in PAIRS.items()}
CLASSES = [name for pair in PAIRS.items() for name in pair]
SPLITS = ("train", "validation", "test")

# Placeholders as crowd workers type them: some with commas, quotes or non-ASCII letters.
NAMES = {
    "pen": ["pen", "ballpoint pen", "biro", "pen (blue ink)"],
    "pencil": ["pencil", "hb pencil", "wooden pencil"],
    "marker": ["marker", "highlighter", "felt-tip pen", '"sharpie"'],
    "stapler": ["stapler", "desk stapler", "stapler, small"],
    "sticky": ["sticky notes", "post-it pad", "post-it's", "pad of sticky notes"],
    "eraser": ["eraser", "rubber", "eraser, white", "gomme"],
    "tape": ["tape", "roll of tape", "masking tape", "scotch tape"],
    "cup": ["cup", "mug", "coffee mug", "café cup", "tea cup"],
    "phone": ["phone", "cell phone", "smartphone", "mobile phone"],
    "mouse": ["mouse", "computer mouse", "wireless mouse"],
    "clip": ["binder clip", "bulldog clip", "clip"],
    "notebook": ["notebook", "spiral notebook", "notepad"],
    "coin": ["coin", "euro coin", "quarter"],
    "ruler": ["ruler", "30 cm ruler"],
}
ACTING = ["eraser", "sticky", "tape", "cup", "stapler", "mouse", "phone", "marker", "clip", "pen"]
TARGETS = ["cup", "stapler", "tape", "sticky", "mouse", "phone", "notebook", "eraser", "clip", "marker"]
# Static items: longer side as a fraction of the frame height, and height above the desk (casts the shadow).
SIZES = {
    "pen": (0.22, 0.34),
    "pencil": (0.22, 0.34),
    "marker": (0.16, 0.24),
    "stapler": (0.2, 0.3),
    "sticky": (0.12, 0.18),
    "coin": (0.05, 0.08),
    "eraser": (0.08, 0.13),
    "tape": (0.12, 0.2),
    "cup": (0.2, 0.3),
    "phone": (0.24, 0.34),
    "mouse": (0.18, 0.26),
    "clip": (0.06, 0.1),
    "notebook": (0.4, 0.6),
    "ruler": (0.4, 0.7),
}
THICK = {
    "pen": 0.006,
    "pencil": 0.006,
    "marker": 0.01,
    "stapler": 0.03,
    "sticky": 0.01,
    "coin": 0.002,
    "eraser": 0.01,
    "tape": 0.02,
    "cup": 0.05,
    "phone": 0.006,
    "mouse": 0.02,
    "clip": 0.012,
    "notebook": 0.006,
    "ruler": 0.002,
}
PEN = [(30, 60, 160), (20, 20, 25), (190, 30, 35), (30, 120, 60), (235, 235, 235), (250, 190, 30), (120, 60, 160)]
STICKY = [(252, 232, 100), (250, 160, 190), (150, 220, 150), (130, 200, 240), (255, 180, 90), (220, 250, 120)]
PLASTIC = [(30, 30, 34), (200, 40, 40), (40, 80, 170), (90, 90, 95), (230, 230, 228), (40, 140, 90), (240, 200, 40)]
CERAMIC = [(240, 240, 236), (30, 60, 120), (180, 40, 40), (40, 40, 44), (220, 200, 160), (90, 150, 140)]
COVERS = [(30, 30, 35), (150, 30, 40), (30, 70, 130), (60, 120, 70), (230, 180, 60), (200, 200, 190), (110, 80, 60)]
SKINS = [
    (241, 194, 167),
    (228, 176, 142),
    (205, 145, 110),
    (176, 120, 86),
    (140, 95, 66),
    (98, 66, 48),
    (214, 164, 128),
]
SLEEVES = [(40, 60, 110), (70, 70, 75), (25, 25, 28), (150, 30, 40), (200, 200, 195), (60, 100, 70), (120, 90, 60)]
WOODS = [(196, 160, 112), (110, 72, 45), (214, 178, 128), (150, 85, 55), (200, 190, 175), (80, 55, 40)]
FELTS = [(60, 90, 70), (70, 70, 75), (40, 55, 90), (110, 40, 45), (150, 140, 120)]
LAMINATES = [(225, 225, 220), (240, 238, 232), (200, 200, 205), (235, 225, 205), (60, 60, 62), (180, 190, 195)]
MATS = [(40, 100, 70), (30, 60, 110), (45, 45, 50), (60, 120, 120)]

Color = tuple[int, int, int]
Pose = tuple[float, float, float, float]  # x, y, roll (radians), lift height (fraction of the camera's)


# ---------------------------------------------------------------------------------------------
# Small helpers


def pick(rng: np.random.Generator, items: list):
    """One element of `items`."""
    return items[int(rng.integers(len(items)))]


def tint(color: Color, factor: float, rng: np.random.Generator | None = None, jitter: int = 0) -> Color:
    """`color` scaled by `factor`, plus a random jitter per channel."""
    noise = rng.integers(-jitter, jitter + 1, 3) if rng is not None and jitter else (0, 0, 0)
    return tuple(int(np.clip(c * factor + n, 0, 255)) for c, n in zip(color, noise))


def ease(x: float, power: float = 2.0) -> float:
    """Ease-in/ease-out on [0, 1]: hands start and stop slowly."""
    x = min(max(x, 0.0), 1.0)
    a, b = x**power, (1 - x) ** power
    return a / (a + b)


def wiggle(rng: np.random.Generator, low: float, high: float, count: int = 3) -> Callable:
    """A smooth random function of time in frames, about unit amplitude: frequencies in Hz in [low, high]."""
    freqs = rng.uniform(low, high, count)
    phases = rng.uniform(0, 2 * np.pi, count)
    amps = rng.uniform(0.4, 1.0, count)
    amps /= np.sqrt((amps**2).sum() / 2)

    def f(t):
        return np.sin(2 * np.pi * np.multiply.outer(np.asarray(t, float) / FPS, freqs) + phases) @ amps

    return f


def profile(rng: np.random.Generator, start: float, end: float) -> Callable[[float], float]:
    """Progress 0 -> 1 between frames `start` and `end`: eased, sometimes with a pause half way."""
    power = rng.uniform(1.5, 3.0)
    pause = rng.uniform(0.1, 0.25) if rng.random() < 0.3 else 0.0
    mid = rng.uniform(0.35, 0.65)
    first = (1 - pause) * mid  # time spent on the first stretch, in proportion to its length

    def f(t: float) -> float:
        x = (t - start) / max(end - start, 1e-6)
        if not pause:
            return ease(x, power)
        if x < first:
            return mid * ease(x / first, power)
        if x < first + pause:
            return mid
        return mid + (1 - mid) * ease((x - first - pause) / (1 - first - pause), power)

    return f


def noise(rng: np.random.Generator, h: int, w: int, cell_y: float, cell_x: float | None = None, octaves: int = 1):
    """Smooth value noise in about [-1, 1], features `cell` pixels across, upsampled bicubically."""
    cell_x = cell_x or cell_y
    out = np.zeros((h, w), np.float32)
    amp, norm = 1.0, 0.0
    for _ in range(octaves):
        grid = rng.random((max(2, math.ceil(h / cell_y) + 1), max(2, math.ceil(w / cell_x) + 1)), dtype=np.float32)
        out += amp * np.asarray(Image.fromarray(grid * 2 - 1).resize((w, h), Image.Resampling.BICUBIC))
        norm += amp
        amp, cell_y, cell_x = amp / 2, max(cell_y / 2, 1), max(cell_x / 2, 1)
    return out / norm


def capsule(d: ImageDraw.ImageDraw, p0, p1, width: float, fill) -> None:
    """A thick line with round ends (pen bodies, fingers, cables)."""
    d.line([tuple(p0), tuple(p1)], fill=fill, width=max(1, round(width)))
    r = width / 2
    for x, y in (p0, p1):
        d.ellipse([x - r, y - r, x + r, y + r], fill=fill)


def reduce(img: Image.Image) -> Image.Image:
    """A supersampled drawing at its final size (resize premultiplies RGBA, so edges stay clean)."""
    return img.resize((max(1, round(img.width / SS)), max(1, round(img.height / SS))), Image.Resampling.LANCZOS)


# ---------------------------------------------------------------------------------------------
# Desk items, drawn lying along x at SS times their size


def draw_item(kind: str, rng: np.random.Generator, length: float) -> Image.Image:
    """An RGBA sprite (straight alpha) of a desk item seen from above, `length` px along its longer side."""
    L = length * SS
    n = int(L * 1.12) + 4 * SS
    img = Image.new("RGBA", (n, n), (0, 0, 0, 0))
    d = ImageDraw.Draw(img)
    c = n / 2
    x0, x1 = c - L / 2, c + L / 2
    if kind in ("pen", "marker"):
        w = L * (0.15 if kind == "marker" else 0.075)
        body, cap = pick(rng, PEN), pick(rng, PEN)
        tip = 0.07 * L
        d.polygon([(x0, c), (x0 + tip, c - w * 0.4), (x0 + tip, c + w * 0.4)], fill=(170, 170, 175))
        capsule(d, (x0 + tip + w / 2, c), (x1 - w / 2, c), w, body)
        cap_x = x1 - (0.3 if kind == "pen" else 0.4) * L
        capsule(d, (cap_x + w / 2, c), (x1 - w / 2, c), w * 1.1, cap)
        if kind == "pen":  # the pocket clip
            d.rounded_rectangle([cap_x + 0.05 * L, c - w * 0.22, x1 - 0.05 * L, c + w * 0.22], w * 0.2, tint(cap, 0.6))
        d.line([(x0 + tip + w, c - w * 0.25), (cap_x, c - w * 0.25)], tint(body, 1.35), max(1, round(w * 0.15)))
    elif kind == "pencil":
        w, tip = 0.07 * L, 0.14 * L
        body = pick(rng, [(245, 200, 40), (200, 40, 40), (40, 110, 60), (30, 30, 30), (60, 100, 200)])
        d.polygon([(x0, c), (x0 + tip, c - w / 2), (x0 + tip, c + w / 2)], fill=(222, 184, 135))
        d.polygon([(x0, c), (x0 + tip * 0.35, c - w * 0.18), (x0 + tip * 0.35, c + w * 0.18)], fill=(60, 60, 64))
        d.rectangle([x0 + tip, c - w / 2, x1 - 0.1 * L, c + w / 2], fill=body)
        d.rectangle([x0 + tip, c - w / 6, x1 - 0.1 * L, c + w / 6], fill=tint(body, 1.2))  # the facet facing up
        d.rectangle([x1 - 0.1 * L, c - w / 2, x1 - 0.05 * L, c + w / 2], fill=(190, 190, 180))
        d.rounded_rectangle([x1 - 0.06 * L, c - w / 2, x1, c + w / 2], w / 3, fill=(230, 140, 150))
    elif kind == "stapler":
        base, top = pick(rng, [(30, 30, 32), (60, 60, 65)]), pick(rng, PLASTIC)
        d.rounded_rectangle([x0, c - 0.15 * L, x1, c + 0.15 * L], 0.1 * L, fill=base)
        d.rounded_rectangle([x0 + 0.03 * L, c - 0.11 * L, x1 - 0.02 * L, c + 0.11 * L], 0.08 * L, fill=top)
        d.rounded_rectangle([x0 + 0.1 * L, c - 0.04 * L, x1 - 0.12 * L, c - 0.01 * L], 0.015 * L, tint(top, 1.4))
        d.rectangle([x0 + 0.02 * L, c - 0.09 * L, x0 + 0.07 * L, c + 0.09 * L], fill=(185, 185, 190))
    elif kind == "sticky":
        s, col = 0.85 * L, pick(rng, STICKY)
        off = 0.03 * L
        d.rectangle([c - s / 2 + off, c - s / 2 + off, c + s / 2 + off, c + s / 2 + off], fill=tint(col, 0.78))
        d.rectangle([c - s / 2, c - s / 2, c + s / 2, c + s / 2], fill=col)
        d.rectangle([c - s / 2, c - s / 2, c + s / 2, c - s / 2 + 0.16 * s], fill=tint(col, 0.95))
        if rng.random() < 0.6:  # a scribbled note
            ink = pick(rng, [(30, 40, 120), (20, 20, 20), (160, 30, 30)])
            for row in range(int(rng.integers(2, 5))):
                y = c - s / 2 + (0.3 + 0.15 * row) * s
                xs = np.linspace(c - 0.38 * s, c - 0.38 * s + rng.uniform(0.3, 0.75) * s, 12)
                ys = y + rng.normal(0, 0.02 * s, 12)
                d.line(list(zip(xs, ys)), fill=ink, width=max(1, round(0.02 * s)), joint="curve")
    elif kind == "coin":
        col = pick(rng, [(190, 190, 195), (205, 165, 75), (180, 105, 65)])
        d.ellipse([x0, c - L / 2, x1, c + L / 2], fill=tint(col, 0.85), outline=tint(col, 0.7), width=round(L * 0.04))
        d.ellipse(
            [x0 + 0.14 * L, c - 0.36 * L, x1 - 0.14 * L, c + 0.36 * L], outline=tint(col, 1.1), width=round(L * 0.03)
        )
        d.ellipse([c - 0.15 * L, c - 0.2 * L, c + 0.2 * L, c + 0.1 * L], fill=tint(col, 1.05))
    elif kind == "eraser":
        w = 0.45 * L
        look = int(rng.integers(3))
        body = [(240, 150, 160), (242, 240, 232), (200, 50, 50)][look]
        d.rounded_rectangle([x0, c - w / 2, x1, c + w / 2], 0.08 * L, fill=body)
        if look:  # a cardboard sleeve, or the blue half of a two-tone eraser
            sleeve = pick(rng, [(40, 90, 170), (30, 30, 35), (60, 120, 200)])
            d.rounded_rectangle([c - 0.15 * L, c - w / 2, x1, c + w / 2], 0.05 * L, fill=sleeve)
            d.rectangle([c + 0.05 * L, c - 0.08 * L, c + 0.3 * L, c + 0.08 * L], fill=(235, 235, 235))
    elif kind == "tape":
        col = pick(rng, [(215, 190, 140), (225, 210, 170), (160, 160, 165), (70, 110, 190), (230, 230, 225)])
        r = L / 2
        d.ellipse([c - r, c - r, c + r, c + r], fill=col)
        for k in (0.9, 0.8, 0.7):  # the wound layers
            d.ellipse(
                [c - k * r, c - k * r, c + k * r, c + k * r], outline=tint(col, 0.92), width=max(1, round(0.01 * L))
            )
        d.ellipse([c - 0.62 * r, c - 0.62 * r, c + 0.62 * r, c + 0.62 * r], fill=(170, 130, 90))
        d.ellipse([c - 0.52 * r, c - 0.52 * r, c + 0.52 * r, c + 0.52 * r], fill=(0, 0, 0, 0))  # the hole
    elif kind == "cup":
        R, cx = 0.4 * L, c - 0.1 * L
        col = pick(rng, CERAMIC)
        d.rounded_rectangle([cx + 0.3 * L, c - 0.07 * L, cx + 0.6 * L, c + 0.07 * L], 0.05 * L, fill=tint(col, 0.95))
        d.ellipse([cx - R, c - R, cx + R, c + R], fill=col)
        drink = pick(rng, [(90, 55, 35), (55, 32, 20), (150, 90, 40), tint(col, 0.8)])
        d.ellipse([cx - 0.86 * R, c - 0.86 * R, cx + 0.86 * R, c + 0.86 * R], fill=tint(drink, 0.85))
        d.ellipse([cx - 0.78 * R, c - 0.78 * R, cx + 0.78 * R, c + 0.78 * R], fill=drink)
        d.ellipse([cx - 0.5 * R, c - 0.6 * R, cx - 0.2 * R, c - 0.4 * R], fill=tint(drink, 1.35))  # a reflection
    elif kind == "phone":
        w = 0.48 * L
        frame = pick(rng, [(20, 20, 22), (200, 200, 205), (180, 160, 140), (40, 60, 90)])
        d.rounded_rectangle([x0, c - w / 2, x1, c + w / 2], 0.07 * L, fill=frame)
        d.rounded_rectangle(
            [x0 + 0.025 * L, c - w / 2 + 0.025 * L, x1 - 0.025 * L, c + w / 2 - 0.025 * L], 0.05 * L, (14, 14, 18)
        )
        d.polygon(
            [
                (c - 0.1 * L, c - w / 2 + 0.03 * L),
                (c + 0.1 * L, c - w / 2 + 0.03 * L),
                (c - 0.05 * L, c + w / 2 - 0.03 * L),
                (c - 0.25 * L, c + w / 2 - 0.03 * L),
            ],
            fill=(32, 34, 42),
        )
    elif kind == "mouse":
        w = 0.58 * L
        col = pick(rng, PLASTIC)
        d.ellipse([x0, c - w / 2, x1, c + w / 2], fill=col)
        d.line([(x0, c), (x0 + 0.38 * L, c)], fill=tint(col, 0.6), width=max(1, round(0.015 * L)))
        d.line(
            [(x0 + 0.38 * L, c - w / 2 + 0.04 * L), (x0 + 0.38 * L, c + w / 2 - 0.04 * L)],
            fill=tint(col, 0.8),
            width=max(1, round(0.01 * L)),
        )
        d.rounded_rectangle([x0 + 0.12 * L, c - 0.03 * L, x0 + 0.24 * L, c + 0.03 * L], 0.02 * L, fill=(40, 40, 40))
    elif kind == "clip":
        col = pick(rng, [(25, 25, 28), (200, 40, 40), (40, 80, 170)])
        d.line(
            [(c, c - 0.2 * L), (x1, c - 0.3 * L), (x1, c + 0.3 * L), (c, c + 0.2 * L)],
            fill=(190, 190, 195),
            width=max(1, round(0.04 * L)),
        )
        d.polygon(
            [(x0, c - 0.3 * L), (c + 0.05 * L, c - 0.2 * L), (c + 0.05 * L, c + 0.2 * L), (x0, c + 0.3 * L)], fill=col
        )
        d.line([(x0 + 0.06 * L, c - 0.25 * L), (c, c - 0.17 * L)], fill=tint(col, 1.8), width=max(1, round(0.02 * L)))
    elif kind == "notebook":
        w = 0.72 * L
        col = pick(rng, COVERS)
        d.rectangle([x0, c - w / 2, x1, c + w / 2], fill=col)
        d.rectangle([x0 + 0.02 * L, c + w / 2 - 0.012 * L, x1, c + w / 2], fill=(235, 232, 220))  # page edges
        if rng.random() < 0.6:  # a spiral binding
            for y in np.arange(c - w / 2 + 0.04 * L, c + w / 2 - 0.03 * L, 0.045 * L):
                d.ellipse([x0 + 0.01 * L, y, x0 + 0.05 * L, y + 0.02 * L], fill=(160, 160, 165))
        else:  # an elastic band
            d.rectangle([x1 - 0.12 * L, c - w / 2, x1 - 0.1 * L, c + w / 2], fill=tint(col, 0.5))
        if rng.random() < 0.6:
            d.rectangle([c - 0.2 * L, c - 0.2 * w, c + 0.2 * L, c - 0.05 * w], fill=(240, 238, 230))
    elif kind == "ruler":
        w = 0.1 * L
        col, alpha = pick(rng, [((230, 235, 240), 150), ((200, 170, 110), 255), ((190, 192, 196), 255)])
        d.rectangle([x0, c - w / 2, x1, c + w / 2], fill=(*col, alpha))
        for i, x in enumerate(np.arange(x0 + 0.02 * L, x1 - 0.01 * L, 0.0125 * L)):
            d.line(
                [(x, c - w / 2), (x, c - w / 2 + w * (0.45 if i % 4 == 0 else 0.2))],
                fill=(40, 40, 40, 255),
                width=max(1, round(0.002 * L)),
            )
    else:
        raise ValueError(f"unknown desk item {kind!r}")
    return reduce(img)


def shade(img: Image.Image, light: np.ndarray, rim: float = 0.25) -> Image.Image:
    """Darken an item's rim (its sides fall away from the lamp) and brighten the side facing the lamp."""
    a = np.asarray(img, np.float32).copy()
    size = max(img.size)
    soft = np.asarray(img.getchannel("A").filter(ImageFilter.GaussianBlur(max(1.0, 0.04 * size))), np.float32) / 255
    f = 1 - rim + rim * np.clip((soft - 0.5) * 2.2, 0, 1)
    yy, xx = np.mgrid[0 : img.height, 0 : img.width].astype(np.float32)
    f *= 1 - 0.1 * ((xx - img.width / 2) * light[0] + (yy - img.height / 2) * light[1]) / (size / 2)
    a[..., :3] *= f[..., None]
    return Image.fromarray(np.clip(a, 0, 255).astype(np.uint8))


@dataclass
class Sprite:
    """A drawn thing: premultiplied RGBa image, its anchor point, and its blurred silhouette for the shadow."""

    image: Image.Image
    anchor: tuple[float, float]
    shadow: Image.Image
    shadow_anchor: tuple[float, float]

    def support(self, direction: np.ndarray) -> float:
        """How far the opaque part reaches from the anchor along `direction`."""
        alpha = np.asarray(self.image)[..., 3]
        ys, xs = np.nonzero(alpha > 128)
        return float(((xs + 0.5 - self.anchor[0]) * direction[0] + (ys + 0.5 - self.anchor[1]) * direction[1]).max())


def make_sprite(img: Image.Image, anchor: tuple[float, float], blur: float, pad: float | None = None) -> Sprite:
    """Wrap an RGBA drawing with its shadow silhouette, padded so that later blurs fit."""
    pad = int(pad if pad is not None else 3 * blur + 2)
    shadow = Image.new("L", (img.width + 2 * pad, img.height + 2 * pad), 0)
    shadow.paste(img.getchannel("A"), (pad, pad))
    shadow = shadow.filter(ImageFilter.GaussianBlur(blur))
    return Sprite(img.convert("RGBa"), anchor, shadow, (anchor[0] + pad, anchor[1] + pad))


def item_sprite(
    kind: str, rng: np.random.Generator, length: float, light: np.ndarray, blur: float, pad: float | None = None
) -> Sprite:
    """A desk item at a random angle, shaded, anchored at its centre; `pad` leaves room to soften its shadow."""
    img = draw_item(kind, rng, length).rotate(rng.uniform(0, 360), Image.Resampling.BICUBIC, expand=True)
    img = shade(img, light, rim=0.08 if kind in ("notebook", "ruler", "sticky") else 0.25)
    return make_sprite(img, (img.width / 2, img.height / 2), blur, pad)


# ---------------------------------------------------------------------------------------------
# The hand


def make_hand(rng: np.random.Generator, palm: float, arm: float, right: bool, skin: Color, blur: float) -> Sprite:
    """A hand seen from the back, fingers pointing up, forearm reaching `arm` px down; anchored at the fingertips."""
    P = palm * SS
    line = tint(skin, 0.72)
    curl = rng.uniform(0.72, 1.0)  # a grasping hand's fingers look shorter from above
    lengths = np.array([0.62, 0.7, 0.65, 0.5]) * curl * rng.uniform(0.93, 1.07, 4) * P
    widths = np.array([0.22, 0.23, 0.215, 0.19]) * rng.uniform(0.92, 1.08) * P
    spread = np.radians(np.array([-7.0, -2.0, 3.0, 9.0]) * rng.uniform(0.3, 1.2))
    side = -1 if right else 1  # a right hand palm down has its thumb on the left
    w = int(2.2 * P)
    cx = w / 2
    knuckle = 0.2 * P + lengths.max()
    wrist = knuckle + 1.0 * P
    h = int(wrist + arm * SS)
    img = Image.new("RGBA", (w, h), (0, 0, 0, 0))
    d = ImageDraw.Draw(img)
    d.polygon(
        [(cx - 0.37 * P, wrist - 0.1 * P), (cx + 0.37 * P, wrist - 0.1 * P), (cx + 0.46 * P, h), (cx - 0.46 * P, h)],
        fill=skin,
    )
    if rng.random() < 0.7:  # a sleeve, with a cuff and a few folds
        sleeve = tint(pick(rng, SLEEVES), 1.0, rng, 12)
        top = wrist + rng.uniform(0.4, 1.6) * P
        d.polygon([(cx - 0.5 * P, top), (cx + 0.5 * P, top), (cx + 0.56 * P, h), (cx - 0.56 * P, h)], fill=sleeve)
        d.rectangle([cx - 0.5 * P, top, cx + 0.5 * P, top + 0.1 * P], fill=tint(sleeve, 0.8))
        for y in top + rng.uniform(0.3, 2.5, 4) * P:
            d.line(
                [(cx - 0.45 * P, y), (cx + 0.4 * P, y + rng.uniform(-0.2, 0.2) * P)],
                fill=tint(sleeve, 0.85),
                width=round(0.04 * P),
            )
    elif rng.random() < 0.3:  # a watch
        d.rectangle(
            [cx - 0.42 * P, wrist + 0.1 * P, cx + 0.42 * P, wrist + 0.3 * P],
            fill=pick(rng, [(30, 30, 30), (180, 180, 185)]),
        )
    d.polygon(
        [
            (cx - 0.5 * P, knuckle + 0.1 * P),
            (cx + 0.5 * P, knuckle + 0.1 * P),
            (cx + 0.42 * P, wrist),
            (cx - 0.4 * P, wrist),
        ],
        fill=skin,
    )
    d.ellipse([cx - 0.52 * P, knuckle - 0.12 * P, cx + 0.52 * P, knuckle + 0.45 * P], fill=skin)
    # The thumb, from the side of the palm, tilted outwards.
    a = side * np.radians(rng.uniform(30, 50))
    base = np.array([cx + side * 0.4 * P, knuckle + 0.55 * P])
    tip = base + np.array([np.sin(a), -np.cos(a)]) * 0.55 * P * rng.uniform(0.85, 1.05)
    capsule(d, base, tip, 0.25 * P + 0.06 * P, line)
    capsule(d, base, tip, 0.25 * P, skin)
    tips = []
    for i in range(4):  # index to little finger
        x = cx + side * (0.34 - 0.225 * i) * P
        k = np.array([x, knuckle + 0.06 * P * abs(i - 1.5) ** 1.5])
        angle = -side * spread[i]
        direction = np.array([np.sin(angle), -np.cos(angle)])
        end = k + direction * lengths[i]
        capsule(d, k, end, widths[i] + 0.06 * P, line)
        capsule(d, k, end, widths[i], skin)
        nail = end - direction * 0.1 * P
        d.ellipse(
            [nail[0] - 0.065 * P, nail[1] - 0.075 * P, nail[0] + 0.065 * P, nail[1] + 0.075 * P], fill=tint(skin, 1.12)
        )
        tips.append(end)
    img = reduce(img)
    img = shade(img, np.array([0.0, 0.0]), rim=0.3)
    anchor = (tips[0] + tips[1]) / 2 / SS + np.array([0, 0.1 * palm])
    return make_sprite(img, (float(anchor[0]), float(anchor[1])), blur, 3 * blur + 30)


# ---------------------------------------------------------------------------------------------
# Placing sprites in the world


def place(image: Image.Image, anchor, poses: list[Pose], bounds: tuple[int, int]):
    """`image` resampled at world poses (x, y, roll, scale), averaged over them (motion blur).

    Returns (x0, y0, float32 array) for the part inside `bounds` (width, height), or None.
    """
    w, h = image.size
    corners = np.array([[0, 0], [w, 0], [0, h], [w, h]], float) - anchor
    xs, ys = [], []
    for x, y, roll, scale in poses:
        c, s = math.cos(roll), math.sin(roll)
        xs.extend(x + scale * (c * corners[:, 0] - s * corners[:, 1]))
        ys.extend(y + scale * (s * corners[:, 0] + c * corners[:, 1]))
    x0, y0 = max(0, math.floor(min(xs))), max(0, math.floor(min(ys)))
    x1, y1 = min(bounds[0], math.ceil(max(xs))), min(bounds[1], math.ceil(max(ys)))
    if x1 <= x0 or y1 <= y0:
        return None
    total = None
    for x, y, roll, scale in poses:
        c, s = math.cos(roll), math.sin(roll)
        # Output pixel -> sprite pixel: the inverse of anchor-relative rotation, scaling and translation.
        coeffs = (
            c / scale,
            s / scale,
            anchor[0] + (c * (x0 - x) + s * (y0 - y)) / scale,
            -s / scale,
            c / scale,
            anchor[1] + (-s * (x0 - x) + c * (y0 - y)) / scale,
        )
        out = np.asarray(image.transform((x1 - x0, y1 - y0), Image.Transform.AFFINE, coeffs, BILINEAR), np.float32)
        total = out if total is None else total + out
    return x0, y0, total / len(poses)


def paste(world: np.ndarray, placed, light: float = 1.0) -> None:
    """Composite a placed premultiplied RGBa patch over the world."""
    if placed is None:
        return
    x0, y0, a = placed
    dst = world[y0 : y0 + a.shape[0], x0 : x0 + a.shape[1]]
    dst *= 1 - a[..., 3:4] / 255
    dst += a[..., :3] * light


def darken(world: np.ndarray, placed, opacity: float) -> None:
    """Multiply the world by a placed shadow silhouette."""
    if placed is None:
        return
    x0, y0, a = placed
    world[y0 : y0 + a.shape[0], x0 : x0 + a.shape[1]] *= 1 - (opacity / 255) * a[..., None]


# ---------------------------------------------------------------------------------------------
# The world and the camera


@dataclass
class View:
    """The world canvas and where the camera looks in it: margins leave room for shake, roll and keystone."""

    width: int
    height: int
    r: int  # world pixels per frame pixel at zoom 1: 2 for the camera classes, so zooming in stays sharp
    tau: float  # keystone: the top of the frame is farther away, so it shows more of the desk

    @property
    def margin(self) -> tuple[int, int]:
        return math.ceil(0.07 * self.width + 10), math.ceil(0.08 * self.height + 10)

    @property
    def size(self) -> tuple[int, int]:
        mx, my = self.margin
        return (self.width + 2 * mx) * self.r, (self.height + 2 * my) * self.r

    @property
    def center(self) -> np.ndarray:
        return np.array(self.size, float) / 2

    def rect(self, grow: float = 0.0) -> tuple[float, float, float, float]:
        """The world rectangle seen at zoom 1, grown by a fraction of the frame on every side."""
        cx, cy = self.center
        hw, hh = (0.5 + grow) * self.width * self.r, (0.5 + grow) * self.height * self.r
        return cx - hw, cy - hh, cx + hw, cy + hh

    def to_world(self, cw, zoom: float, roll: float, x, y) -> tuple[np.ndarray, np.ndarray]:
        """World coordinates of frame pixels (x, y) for a camera centred on `cw`."""
        cx, cy = self.width / 2, self.height / 2
        u, v = np.asarray(x, float) - cx, np.asarray(y, float) - cy
        den = 1 + self.tau * v / cy
        s, c, sn = self.r / zoom, math.cos(roll), math.sin(roll)
        return cw[0] + s * (c * u - sn * v) / den, cw[1] + s * (sn * u + c * v) / den

    def fit(self, cw, zoom: float, roll: float) -> np.ndarray:
        """The camera centre moved just enough that the frame stays inside the world."""
        xs, ys = self.to_world(cw, zoom, roll, [0, self.width, 0, self.width], [0, 0, self.height, self.height])
        w, h = self.size
        dx = max(0.0, 1 - xs.min()) - max(0.0, xs.max() - (w - 1))
        dy = max(0.0, 1 - ys.min()) - max(0.0, ys.max() - (h - 1))
        return np.array([cw[0] + dx, cw[1] + dy])

    def shoot(self, world: Image.Image, cw, zoom: float, roll: float) -> Image.Image:
        """The frame the camera sees: a perspective resampling of the world image."""
        cw = self.fit(cw, zoom, roll)
        cx, cy, tau = self.width / 2, self.height / 2, self.tau
        s, c, sn, den = self.r / zoom, math.cos(roll), math.sin(roll), 1 - tau
        coeffs = [
            s * c / den,
            (cw[0] * tau / cy - s * sn) / den,
            (cw[0] * den - s * c * cx + s * sn * cy) / den,
            s * sn / den,
            (cw[1] * tau / cy + s * c) / den,
            (cw[1] * den - s * sn * cx - s * c * cy) / den,
            0.0,
            tau / (cy * den),
        ]
        if s > 1.25:  # the world is sharper than the frame: area-reduce the seen part first, or textures alias
            xs, ys = self.to_world(cw, zoom, roll, [0, self.width, 0, self.width], [0, 0, self.height, self.height])
            box = (max(0, math.floor(xs.min())), max(0, math.floor(ys.min())))
            box += (min(world.width, math.ceil(xs.max())), min(world.height, math.ceil(ys.max())))
            size = (max(1, round((box[2] - box[0]) / s)), max(1, round((box[3] - box[1]) / s)))
            world = world.resize(size, BILINEAR, box=box)
            kx, ky = size[0] / (box[2] - box[0]), size[1] / (box[3] - box[1])
            a, b, c0, d, e, f, g, h = coeffs
            coeffs = [
                a * kx,
                (b - box[0] * h) * kx,
                (c0 - box[0]) * kx,
                d * ky,
                (e - box[1] * h) * ky,
                (f - box[1]) * ky,
                g,
                h,
            ]
        return world.transform((self.width, self.height), Image.Transform.PERSPECTIVE, coeffs, BILINEAR)


@dataclass
class Light:
    """One lamp: its direction (shadows fall the other way), shadow length, softness and darkness."""

    to_lamp: np.ndarray  # unit vector from the desk towards the lamp, in the desk plane
    length: float  # shadow offset per unit of height
    opacity: float

    def offset(self, height: float) -> np.ndarray:
        return -self.to_lamp * self.length * height


def desk_surface(rng: np.random.Generator, view: View) -> np.ndarray:
    """The desk top as float32 RGB: wood planks, felt, laminate, or a cutting mat lying on one of them."""
    w, h = view.size
    r, H = view.r, view.height * view.r
    kind = pick(rng, ["wood", "wood", "felt", "laminate", "mat", "mat"])
    under = pick(rng, ["wood", "laminate"]) if kind == "mat" else kind
    if under == "wood":
        along_x = rng.random() < 0.6
        gw, gh = (w, h) if along_x else (h, w)  # grain along the first axis; transposed afterwards if not
        yy = np.arange(gh, dtype=np.float32)[:, None]
        warp = noise(rng, gh, gw, 40 * r, 400 * r, 2) * 30 * r
        period = rng.uniform(9, 20) * r
        grain = 0.5 + 0.5 * np.sin(2 * np.pi * (yy + warp) / period)
        grain *= 0.6 + 0.4 * noise(rng, gh, gw, 30 * r, 200 * r)  # growth rings fade in and out
        streak = noise(rng, gh, gw, 1.5 * r, 50 * r)
        plank = rng.uniform(0.3, 0.7) * H
        offset = rng.uniform(0, plank)
        index = np.floor((yy + offset) / plank)
        shift = (np.sin(index * 12.9898 + rng.uniform(0, 100)) * 0.08).astype(np.float32)  # each plank its own tone
        seam = ((yy + offset) % plank < max(1, r)) * 0.25
        tone = 1 - 0.16 * grain**2 - 0.07 * streak + shift - seam
        surface = tone[..., None] * np.array(tint(pick(rng, WOODS), 1.0, rng, 10), np.float32)
        if not along_x:
            surface = surface.transpose(1, 0, 2)
    elif under == "felt":
        tone = 1 + 0.06 * noise(rng, h, w, 40 * r, None, 2) + 0.05 * rng.standard_normal((h, w), dtype=np.float32)
        surface = tone[..., None] * np.array(tint(pick(rng, FELTS), 1.0, rng, 10), np.float32)
    else:
        tone = 1 + 0.025 * noise(rng, h, w, 80 * r) + 0.02 * noise(rng, h, w, 1.2 * r)
        surface = tone[..., None] * np.array(tint(pick(rng, LAMINATES), 1.0, rng, 8), np.float32)
    if kind == "mat":
        base = np.array(tint(pick(rng, MATS), 1.0, rng, 10), np.float32)
        angle = np.radians(rng.uniform(-12, 12))
        yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
        cx, cy = view.center + rng.uniform(-0.3, 0.3, 2) * H
        u = (xx - cx) * np.cos(angle) + (yy - cy) * np.sin(angle)
        v = -(xx - cx) * np.sin(angle) + (yy - cy) * np.cos(angle)
        inside = np.clip(0.5 + rng.uniform(0.6, 1.2) * w - np.abs(u), 0, 1) * np.clip(
            0.5 + rng.uniform(0.5, 1.0) * h - np.abs(v), 0, 1
        )
        step = rng.uniform(0.045, 0.07) * H
        lines = np.zeros((h, w), np.float32)
        for coord in (u, v):
            dist = np.abs(((coord / step + 0.5) % 1) - 0.5) * step
            major = np.abs(((coord / (5 * step) + 0.5) % 1) - 0.5) * 5 * step
            lines = np.maximum(lines, np.clip(0.5 * r + 0.5 - dist, 0, 1) * 0.6)
            lines = np.maximum(lines, np.clip(1.0 * r + 0.5 - major, 0, 1))
        mat = base * (1 + 0.03 * noise(rng, h, w, 2 * r))[..., None]
        mat = mat + lines[..., None] * (np.array([235, 235, 215], np.float32) - base) * 0.5
        surface = surface * (1 - inside[..., None]) + mat * inside[..., None]
    return surface


def paper_sprite(rng: np.random.Generator, view: View) -> Image.Image:
    """A sheet of paper: printed text, or a lined pad page."""
    a = rng.uniform(0.55, 0.9) * view.height * view.r
    w, h = int(a), int(a * 1.414)
    pad = rng.random() < 0.3
    img = Image.new(
        "RGBA", (w, h), (250, 240, 170, 255) if pad else pick(rng, [(246, 246, 242, 255), (240, 235, 222, 255)])
    )
    d = ImageDraw.Draw(img)
    step = 0.035 * a
    for y in np.arange(0.12 * h, 0.9 * h, step):
        if pad:
            d.line([(0, y), (w, y)], fill=(140, 170, 210), width=max(1, view.r))
        elif rng.random() < 0.9:
            x = 0.12 * w
            while x < rng.uniform(0.6, 0.88) * w:
                word = rng.uniform(0.03, 0.1) * w
                d.rectangle([x, y, x + word, y + 0.25 * step], fill=(150, 150, 156))
                x += word + 0.02 * w
    if pad:
        d.line([(0.12 * w, 0), (0.12 * w, h)], fill=(220, 110, 110), width=max(1, view.r))
    return img


def keyboard_sprite(rng: np.random.Generator, view: View) -> Image.Image:
    """The edge of a keyboard: rows of keys on a body."""
    k = rng.uniform(0.075, 0.095) * view.height * view.r
    body, key = pick(
        rng, [((40, 40, 44), (28, 28, 31)), ((190, 192, 196), (238, 238, 236)), ((20, 20, 22), (45, 45, 48))]
    )
    w, h = int(16 * k), int(6 * k)
    img = Image.new("RGBA", (w, h), (*body, 255))
    d = ImageDraw.Draw(img)
    for row in range(5):
        x = 0.3 * k + row * 0.25 * k
        while x < w - k:
            d.rounded_rectangle([x, 0.4 * k + row * k, x + 0.86 * k, 0.4 * k + row * k + 0.86 * k], 0.12 * k, fill=key)
            d.line(
                [(x + 0.15 * k, 0.4 * k + row * k + 0.12 * k), (x + 0.7 * k, 0.4 * k + row * k + 0.12 * k)],
                fill=tint(key, 1.25),
                width=max(1, view.r),
            )
            x += k
    return img


def draw_cable(rng: np.random.Generator, view: View, world: np.ndarray, light: Light) -> None:
    """A cable crossing the desk from one edge, with its shadow."""
    w, h = view.size
    x0, y0, x1, y1 = view.rect(0.05)
    start = np.array([pick(rng, [0.0, float(w)]), rng.uniform(y0, y1)])
    pts = np.array(
        [
            start,
            [rng.uniform(x0, x1), rng.uniform(y0, y1)],
            [rng.uniform(x0, x1), rng.uniform(y0, y1)],
            [rng.uniform(0, w), pick(rng, [0.0, float(h)])],
        ]
    )
    t = np.linspace(0, 1, 80)[:, None]
    curve = (1 - t) ** 3 * pts[0] + 3 * (1 - t) ** 2 * t * pts[1] + 3 * (1 - t) * t**2 * pts[2] + t**3 * pts[3]
    width = rng.uniform(0.016, 0.026) * view.height * view.r
    mask = Image.new("L", (w * 2, h * 2), 0)
    ImageDraw.Draw(mask).line([tuple(p) for p in curve * 2], fill=255, width=round(width * 2), joint="curve")
    mask = mask.resize((w, h), BILINEAR)
    shift = light.offset(0.012 * view.height * view.r)
    shadow = mask.filter(ImageFilter.GaussianBlur(1.5 * view.r)).transform(
        mask.size, Image.Transform.AFFINE, (1, 0, -shift[0], 0, 1, -shift[1])
    )
    world *= 1 - light.opacity * np.asarray(shadow, np.float32)[..., None] / 255
    alpha = np.asarray(mask, np.float32)[..., None] / 255
    world *= 1 - alpha
    world += alpha * np.array(pick(rng, [(25, 25, 28), (235, 235, 232), (60, 60, 65)]), np.float32)


def decorate(rng: np.random.Generator, view: View, world: np.ndarray, light: Light, zones: list, count: int) -> None:
    """Paper, a keyboard edge, a cable and `count` static items, kept out of the `zones` (x, y, radius) where things move."""
    H, r = view.height * view.r, view.r
    bounds = view.size
    cx, cy = view.center
    for _ in range(int(rng.choice([0, 0, 1, 2]))):
        img = paper_sprite(rng, view).rotate(rng.uniform(0, 360), Image.Resampling.BICUBIC, expand=True)
        s = make_sprite(img, (img.width / 2, img.height / 2), 1.5 * r)
        pos = view.center + rng.uniform(-0.6, 0.6, 2) * np.array([view.width, view.height]) * r
        darken(
            world,
            place(s.shadow, s.shadow_anchor, [(*(pos + light.offset(0.004 * H)), 0, 1)], bounds),
            light.opacity * 0.7,
        )
        paste(world, place(s.image, s.anchor, [(*pos, 0, 1)], bounds))
    if rng.random() < 0.3:
        img = keyboard_sprite(rng, view)
        along = rng.random() < 0.7  # along the top edge, or down a side
        angle = rng.uniform(-10, 10) + (0 if along else 90)
        img = img.rotate(angle, Image.Resampling.BICUBIC, expand=True)
        s = make_sprite(img, (img.width / 2, img.height / 2), 2 * r)
        x0, y0, x1, _ = view.rect()
        if along:
            pos = np.array(
                [cx + rng.uniform(-0.2, 0.2) * view.width * r, y0 - img.height / 2 + rng.uniform(0.15, 0.3) * H]
            )
        else:
            edge = pick(rng, [-1, 1])
            pos = np.array([(x1 if edge > 0 else x0) - edge * (rng.uniform(0.12, 0.25) * H - img.width / 2), cy])
        darken(
            world, place(s.shadow, s.shadow_anchor, [(*(pos + light.offset(0.03 * H)), 0, 1)], bounds), light.opacity
        )
        paste(world, place(s.image, s.anchor, [(*pos, 0, 1)], bounds))
    if rng.random() < 0.35:
        draw_cable(rng, view, world, light)
    placed: list[tuple[float, float, float]] = []
    statics = [k for k in SIZES if k != "notebook"] + ["notebook"] * (rng.random() < 0.5)
    for i in range(count):
        x0, y0, x1, y1 = view.rect(-0.06 if i < 3 else 0.08)  # the first three well in view, the rest anywhere
        kind = pick(rng, statics)
        length = rng.uniform(*SIZES[kind]) * H
        radius = 0.45 * length
        for _ in range(60):  # rejection sampling: off the action's paths, not piled up on each other
            x, y = rng.uniform(x0, x1), rng.uniform(y0, y1)
            if all(math.hypot(x - zx, y - zy) > radius + zr for zx, zy, zr in zones) and all(
                math.hypot(x - px, y - py) > 0.75 * (radius + pr) for px, py, pr in placed
            ):
                break
        else:
            continue
        placed.append((x, y, radius))
        s = item_sprite(kind, rng, length, light.to_lamp, (1.0 + 60 * THICK[kind]) * r)
        shift = light.offset(THICK[kind] * H)
        darken(world, place(s.shadow, s.shadow_anchor, [(x + shift[0], y + shift[1], 0, 1)], bounds), light.opacity)
        paste(world, place(s.image, s.anchor, [(x, y, 0, 1)], bounds))


def lamp_light(rng: np.random.Generator, view: View) -> tuple[Light, np.ndarray]:
    """A lamp off to one side: its shadows, and the light falling off across the desk (float32 map)."""
    angle = rng.uniform(0, 2 * np.pi)
    to_lamp = np.array([math.cos(angle), math.sin(angle)])
    light = Light(to_lamp, rng.uniform(0.5, 1.2), rng.uniform(0.3, 0.55))
    w, h = view.size
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    cx, cy = view.center
    half = math.hypot(w, h) / 2
    proj = ((xx - cx) * to_lamp[0] + (yy - cy) * to_lamp[1]) / half
    spot = view.center + to_lamp * rng.uniform(0.2, 0.6) * half
    hot = np.exp(-((xx - spot[0]) ** 2 + (yy - spot[1]) ** 2) / (2 * (rng.uniform(0.3, 0.6) * half) ** 2))
    return light, (1 + rng.uniform(0.05, 0.18) * proj + rng.uniform(0.0, 0.15) * hot).astype(np.float32)


# ---------------------------------------------------------------------------------------------
# Actors: an object and the hand that moves it, as functions of time


@dataclass
class Actor:
    """An acting object, its pose over time, and the hand moving it (pose None while out of view)."""

    sprite: Sprite
    pose: Callable[[float], Pose]
    thick: float  # height above the desk, for its shadow (fraction of the frame height)
    hand: Sprite | None = None
    hand_pose: Callable[[float], Pose | None] | None = None


def exit_distance(point: np.ndarray, direction: np.ndarray, rect) -> float:
    """How far from `point` along `direction` until it leaves `rect` (x0, y0, x1, y1)."""
    dist = []
    for k, (low, high) in enumerate(((rect[0], rect[2]), (rect[1], rect[3]))):
        if direction[k] > 1e-6:
            dist.append((high - point[k]) / direction[k])
        elif direction[k] < -1e-6:
            dist.append((low - point[k]) / direction[k])
    return max(0.0, min(dist))


def tilt_up(v: np.ndarray, degrees: float) -> np.ndarray:
    """`v` turned towards the top of the frame: a hand reaching from the near side comes in pointing up."""
    b = math.radians(degrees)
    u = v * math.cos(b) + np.array([0.0, -1.0]) * math.sin(b)
    return u / np.linalg.norm(u)


def attach_hand(
    rng: np.random.Generator,
    view: View,
    actor: Actor,
    u: np.ndarray,
    grip: str,
    times: tuple[float, float, float, float],
    right: bool,
    skin: Color,
) -> None:
    """Give `actor` a hand pointing along `u` that comes in, grips (on top, or behind it), follows it and leaves.

    `times` = (comes in, touches, lets go, gone) in frames; infinite let-go keeps hold to the end.
    """
    palm = rng.uniform(0.1, 0.13) * view.height
    hand = make_hand(rng, palm, math.hypot(*view.size) + 2 * palm, right, skin, 0.035 * view.height)
    t_in0, t_in1, t_out0, t_out1 = times
    x, y, roll0, _ = actor.pose(t_in1)
    if grip == "behind":
        offset = -u * 0.95 * actor.sprite.support(-u)
    else:  # fingertips on the near half of the object: the rest of it stays in view
        offset = -u * rng.uniform(0.35, 0.85) * actor.sprite.support(-u)
    angle = math.atan2(u[0], -u[1])  # the hand sprite points up; this turns up into u
    rect = view.rect(0.08)
    d_in = exit_distance(np.array([x, y]) + offset, -u, rect) + 0.3 * palm
    xo, yo, _, _ = actor.pose(t_out0) if math.isfinite(t_out0) else (x, y, 0, 0)
    d_out = exit_distance(np.array([xo, yo]) + offset, -u, rect) + 0.3 * palm
    perp = np.array([-u[1], u[0]])
    bend = rng.uniform(-0.12, 0.12)
    tremor = wiggle(rng, 0.5, 2.0)
    power = rng.uniform(1.5, 2.5)

    def pose(t: float) -> Pose | None:
        if t < t_in0 or t > t_out1:
            return None
        x, y, roll, h = actor.pose(t)
        c, s = math.cos(roll - roll0), math.sin(roll - roll0)
        tip = np.array([x + c * offset[0] - s * offset[1], y + s * offset[0] + c * offset[1]])
        away, dist = 0.0, 0.0
        if t < t_in1:
            away, dist = 1 - ease((t - t_in0) / (t_in1 - t_in0), power), d_in
        elif t > t_out0:
            away, dist = ease((t - t_out0) / (t_out1 - t_out0), power), d_out
        # Along the arm, bowed a little sideways; a faint tremor; hovering higher while not touching.
        tip = tip - u * dist * away + perp * bend * dist * math.sin(math.pi * away) + 0.4 * float(tremor(t)) * perp
        return tip[0], tip[1], angle + 0.6 * (roll - roll0), h + 0.02 + 0.06 * min(1.0, 2.5 * away)

    actor.hand, actor.hand_pose = hand, pose


def skin_tone(rng: np.random.Generator) -> Color:
    """A skin tone."""
    return tint(pick(rng, SKINS), 1.0, rng, 10)


def acting_object(rng: np.random.Generator, view: View, light: Light) -> tuple[Sprite, str, float]:
    """An acting object 12-20% of the frame height, its placeholder name and thickness."""
    kind = pick(rng, ACTING)
    blur = 1.0 + 60 * THICK[kind]
    sprite = item_sprite(kind, rng, rng.uniform(0.12, 0.2) * view.height, light.to_lamp, blur, 3 * blur + 30)
    return sprite, pick(rng, NAMES[kind]), THICK[kind]


def action_times(rng: np.random.Generator, frames: int, keep_hold: bool = False) -> tuple[float, ...]:
    """(hand comes in, touches, starts moving, stops, lets go, gone): the action fills 50-90% of the clip."""
    # Short clips get the longer spans: a hand does not reach in and out within a second.
    span = rng.uniform(min(max(30 / frames, 0.5), 0.85), 0.9) * frames
    start = rng.uniform(0, frames - span)
    parts = np.array(
        [rng.uniform(0.18, 0.28), rng.uniform(0.03, 0.1), 0.0, rng.uniform(0.03, 0.08), rng.uniform(0.15, 0.25)]
    )
    if keep_hold:  # the hand holds the object up to the end of the clip
        parts[3:] = 0.0
        span = frames - start
    parts[2] = 1 - parts.sum()
    edges = start + span * np.concatenate([[0], np.cumsum(parts)])
    if keep_hold:
        edges[4:] = math.inf
    return tuple(float(e) for e in edges)


def push_scene(rng: np.random.Generator, view: View, light: Light, frames: int) -> tuple[list[Actor], list[str]]:
    """One object slid from left to right by a hand on top of it or behind it."""
    sprite, name, thick = acting_object(rng, view, light)
    t0, t1, m0, m1, t4, t5 = action_times(rng, frames)
    W, H = view.width, view.height
    x0, y0, x1, y1 = view.rect()
    dist = rng.uniform(0.3, 0.55) * W
    room = (x1 - x0) - dist - 0.3 * W
    start = np.array([x0 + 0.15 * W + rng.uniform(0, max(room, 0)), (y0 + y1) / 2 + rng.uniform(-0.22, 0.18) * H])
    end = start + np.array([dist, rng.uniform(-0.08, 0.08) * H])
    bow = rng.uniform(-0.05, 0.05) * H
    spin = math.radians(rng.uniform(-20, 20))
    prog = profile(rng, m0, m1)

    def pose(t: float) -> Pose:
        p = prog(t)
        x, y = start + (end - start) * p
        return x, y + bow * math.sin(math.pi * p), spin * p, 0.0

    actor = Actor(sprite, pose, thick)
    right = rng.random() < 0.8
    if rng.random() < 0.5:
        grip, u = "behind", tilt_up(np.array([1.0, 0.0]), rng.uniform(15, 60))
    else:
        grip = "top"
        a = math.radians(rng.uniform(-35, 10) if right else rng.uniform(-10, 35))
        u = np.array([math.sin(a), -math.cos(a)])
    attach_hand(rng, view, actor, u, grip, (t0, t1, t4, t5), right, skin_tone(rng))
    return [actor], [name]


def lift_scene(rng: np.random.Generator, view: View, light: Light, frames: int) -> tuple[list[Actor], list[str]]:
    """One object lifted off the desk towards the camera, and held there."""
    sprite, name, thick = acting_object(rng, view, light)
    t0, t1, m0, _, _, _ = action_times(rng, frames, keep_hold=True)
    m1 = m0 + (frames - 1 - m0) * rng.uniform(0.55, 0.9)  # then held up to the end
    W, H = view.width, view.height
    # Near the middle: off the nadir, a rising object also drifts outwards, and growing should be the cue.
    start = view.center + np.array([rng.uniform(-0.18, 0.18) * W, rng.uniform(-0.12, 0.12) * H])
    drift = rng.uniform(-0.05, 0.05, 2) * H
    top = rng.uniform(0.18, 0.33)
    spin = math.radians(rng.uniform(-10, 10))
    prog = profile(rng, m0, m1)
    sway = wiggle(rng, 0.3, 1.2)

    def pose(t: float) -> Pose:
        p = prog(t)
        hold = 1.5 * float(sway(t)) * p  # a held object is never quite still
        x, y = start + drift * p
        return x + hold, y + 0.5 * hold, spin * p, top * p

    actor = Actor(sprite, pose, thick)
    right = rng.random() < 0.8
    a = math.radians(rng.uniform(-35, 10) if right else rng.uniform(-10, 35))
    attach_hand(
        rng,
        view,
        actor,
        np.array([math.sin(a), -math.cos(a)]),
        "top",
        (t0, t1, math.inf, math.inf),
        right,
        skin_tone(rng),
    )
    return [actor], [name]


def closer_scene(rng: np.random.Generator, view: View, light: Light, frames: int) -> tuple[list[Actor], list[str]]:
    """Two objects brought together: both by a hand each, or one moved towards the other."""
    (sa, na, ta), (sb, nb, tb) = acting_object(rng, view, light), acting_object(rng, view, light)
    W, H = view.width, view.height
    alpha = math.radians(rng.uniform(-30, 30))
    e = np.array([math.cos(alpha), math.sin(alpha)])
    mid = view.center + np.array([rng.uniform(-0.12, 0.12) * W, rng.uniform(-0.12, 0.1) * H])
    ra, rb = sa.support(e), sb.support(-e)
    far = min(rng.uniform(0.5, 0.72) * W, (W - 0.1 * W) / max(abs(math.cos(alpha)), 0.5) - ra - rb)
    near = ra + rb + rng.uniform(0.02, 0.1) * H
    far = max(far, near + 0.25 * W)  # narrow frames: the objects may start partly out of view, never too close
    both = rng.random() < 0.7
    tone = skin_tone(rng)  # one person, two hands
    starts = [mid - e * far / 2, mid + e * far / 2]
    ends = [mid - e * near / 2, mid + e * near / 2]
    moving = [True, True]
    if not both:  # exactly one moves, covering the whole gap while the other stays put
        k = int(rng.integers(2))
        ends = list(starts)
        ends[k] = starts[k] + (starts[1 - k] - starts[k]) * (far - near) / far
        moving = [i == k for i in range(2)]
    times = action_times(rng, frames)
    out = []
    for sprite, thick, sign, start, end, moves in zip((sa, sb), (ta, tb), (-1, 1), starts, ends, moving):
        lag = rng.uniform(-2, 2) if both else 0.0  # two hands never quite in step
        t0, t1, m0, m1, t4, t5 = (t + lag for t in times)
        prog = profile(rng, m0, m1) if moves else (lambda t: 0.0)
        spin = math.radians(rng.uniform(-12, 12)) if moves else 0.0

        def pose(t: float, start=start, end=end, prog=prog, spin=spin) -> Pose:
            p = prog(t)
            x, y = start + (end - start) * p
            return x, y, spin * p, 0.0

        actor = Actor(sprite, pose, thick)
        if moves:
            towards = (end - start) / max(np.linalg.norm(end - start), 1e-6)
            if rng.random() < 0.4:
                grip, u = "behind", tilt_up(towards, rng.uniform(10, 50))
            else:  # on top, the hand reaching in from its own side of the frame
                grip, u = "top", tilt_up(np.array([-sign * 1.0, 0.0]), rng.uniform(45, 80))
            attach_hand(rng, view, actor, u, grip, (t0, t1, t4, t5), sign > 0, tone)
        out.append(actor)
    return out, [na, nb]


# ---------------------------------------------------------------------------------------------
# Drawing a clip


@dataclass
class Film:
    """What the phone adds: shake, exposure and white-balance drift, vignetting, a tone curve and noise."""

    shake: float  # frame pixels
    lut: np.ndarray
    vignette: np.ndarray
    gain: Callable
    balance: Callable
    grain: np.ndarray  # sensor noise, larger than a frame: each frame takes a random window of it

    @classmethod
    def random(cls, rng: np.random.Generator, view: View, shake: float) -> Film:
        w, h = view.width, view.height
        yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
        rr = ((xx - w / 2) ** 2 + (yy - h / 2) ** 2) / ((w / 2) ** 2 + (h / 2) ** 2)
        vignette = (1 - rng.uniform(0.1, 0.35) * rr)[..., None]
        gamma, contrast, lift = rng.uniform(0.85, 1.15), rng.uniform(0.9, 1.15), rng.uniform(0, 12)
        x = np.arange(256) / 255
        lut = (lift + (255 - lift) * np.clip((x**gamma - 0.5) * contrast + 0.5, 0, 1)).round().astype(np.uint8)
        temp = rng.uniform(-0.06, 0.08)  # warm or cool white balance
        drift, wb_drift = wiggle(rng, 0.03, 0.3), [wiggle(rng, 0.03, 0.2) for _ in range(3)]
        depth, wb_depth = rng.uniform(0.02, 0.08), rng.uniform(0.0, 0.025)

        def balance(t: float) -> np.ndarray:
            return np.array([1 + temp, 1, 1 - temp]) * (1 + wb_depth * np.array([float(f(t)) for f in wb_drift]))

        # One buffer of noise, cropped at random per frame: as good as fresh noise, and much cheaper to draw.
        grain = rng.standard_normal((h + 64, w + 64, 3), dtype=np.float32) * rng.uniform(1.5, 4.5)
        return cls(shake, lut, vignette, lambda t: 1 + depth * float(drift(t)), balance, grain)

    def develop(self, rng: np.random.Generator, frame: Image.Image, t: float, exposure: float = 1.0) -> np.ndarray:
        """A seen frame as the phone stores it: uint8 RGB."""
        a = np.asarray(frame, np.float32) * self.vignette
        a *= (self.gain(t) * exposure * self.balance(t)).astype(np.float32)
        dy, dx = rng.integers(0, 65, 2)
        a += self.grain[dy : dy + a.shape[0], dx : dx + a.shape[1]]
        return self.lut[np.clip(a, 0, 255).astype(np.uint8)]


def draw_objects(rng: np.random.Generator, cls: str, view: View, frames: int) -> tuple[np.ndarray, list[str]]:
    """A clip of an object-motion class, drawn forward."""
    light, lightmap = lamp_light(rng, view)
    scene = {"Pushing something from left to right": push_scene, "Moving something up": lift_scene}.get(
        cls, closer_scene
    )
    actors, names = scene(rng, view, light, frames)
    zones = []
    for actor in actors:  # keep static items off the paths
        for t in np.linspace(0, frames, 6):
            x, y, _, _ = actor.pose(t)
            zones.append((x, y, 0.55 * max(actor.sprite.image.size)))
    world = desk_surface(rng, view)
    decorate(rng, view, world, light, zones, int(rng.integers(3, 9)))
    world *= lightmap[..., None]
    film = Film.random(rng, view, rng.uniform(0.8, 3.0))
    shake = [wiggle(rng, 0.2, 1.5), wiggle(rng, 0.2, 1.5), wiggle(rng, 0.1, 0.8), wiggle(rng, 0.1, 0.5)]
    H, bounds = view.height, view.size
    nadir = view.center + np.array([0, 0.15 * H])  # the camera leans forward a little: it looks down past its feet

    def seen(p: Pose) -> Pose:
        """Where a pose at lift height h shows: farther from the nadir and larger, as it is nearer the camera."""
        x, y, roll, h = p
        k = 1 / (1 - h)
        return nadir[0] + (x - nadir[0]) * k, nadir[1] + (y - nadir[1]) * k, roll, k

    def blurred(pose: Callable, t: float) -> list[Pose]:
        """Poses over the shutter time when the motion is fast enough to smear."""
        a, b = pose(t - 0.25), pose(t + 0.25)
        if a is None or b is None:
            return [pose(t)]
        speed = 2 * math.hypot(a[0] - b[0], a[1] - b[1]) * a[3]
        n = 1 if speed < 3 else min(8, 2 + int(speed / 3))
        return [pose(t + 0.5 * (j / (n - 1) - 0.5)) for j in range(n)] if n > 1 else [pose(t)]

    def cast(canvas: np.ndarray, sprite: Sprite, pose: Pose, thick: float, opacity: float) -> None:
        """A shadow on the desk: the higher its caster, the farther off, softer and fainter it is."""
        x, y, roll, h = pose
        dx, dy = light.offset((thick + h) * H)
        patch = place(sprite.shadow, sprite.shadow_anchor, [(x + dx, y + dy, roll, 1 + 0.3 * h)], bounds)
        if patch is not None and 25 * h > 0.5:
            soft = Image.fromarray(patch[2].astype(np.uint8)).filter(ImageFilter.GaussianBlur(25 * h))
            patch = (patch[0], patch[1], np.asarray(soft, np.float32))
        darken(canvas, patch, opacity * max(0.0, 1 - 1.5 * h))

    def lit(x: float, y: float) -> float:
        return float(lightmap[int(np.clip(y, 0, bounds[1] - 1)), int(np.clip(x, 0, bounds[0] - 1))])

    out = np.empty((frames, H, view.width, 3), np.uint8)
    for i in range(frames):
        t = float(i)
        canvas = world.copy()
        for actor in actors:
            cast(canvas, actor.sprite, actor.pose(t), actor.thick, light.opacity)
        for actor in actors:
            poses = blurred(lambda t, a=actor: seen(a.pose(t)), t)
            paste(canvas, place(actor.sprite.image, actor.sprite.anchor, poses, bounds), lit(*poses[0][:2]))
        for actor in actors:
            if actor.hand_pose is not None and (hp := actor.hand_pose(t)) is not None:
                cast(canvas, actor.hand, hp, 0.0, 0.9 * light.opacity)
        for actor in actors:
            if actor.hand_pose is None or actor.hand_pose(t) is None:
                continue
            poses = blurred(lambda t, a=actor: None if (p := a.hand_pose(t)) is None else seen(p), t)
            paste(canvas, place(actor.hand.image, actor.hand.anchor, poses, bounds), lit(*poses[0][:2]))
        np.clip(canvas, 0, 255, out=canvas)
        amp = film.shake
        cw = view.center + amp * np.array([float(shake[0](t)), float(shake[1](t))])
        image = view.shoot(
            Image.fromarray(canvas.astype(np.uint8)),
            cw,
            1 + 0.01 * float(shake[2](t)),
            math.radians(0.3) * float(shake[3](t)),
        )
        out[i] = film.develop(rng, image, t)
    return out, names


def draw_camera(rng: np.random.Generator, view: View, frames: int) -> tuple[np.ndarray, list[str]]:
    """A clip of "Approaching something with your camera": the view zooms and pans in on an item."""
    light, lightmap = lamp_light(rng, view)
    H, r = view.height * view.r, view.r
    kind = pick(rng, TARGETS)
    target = view.center + rng.uniform(-1, 1, 2) * np.array([0.22 * view.width, 0.18 * view.height]) * r
    length = rng.uniform(0.12, 0.2) * H
    world = desk_surface(rng, view)
    decorate(rng, view, world, light, [(target[0], target[1], 0.6 * length)], int(rng.integers(3, 9)))
    sprite = item_sprite(kind, rng, length, light.to_lamp, (1.0 + 60 * THICK[kind]) * r)
    dx, dy = light.offset(THICK[kind] * H)
    darken(
        world,
        place(sprite.shadow, sprite.shadow_anchor, [(target[0] + dx, target[1] + dy, 0, 1)], view.size),
        light.opacity,
    )
    paste(world, place(sprite.image, sprite.anchor, [(target[0], target[1], 0, 1)], view.size))
    world *= lightmap[..., None]
    image = Image.fromarray(np.clip(world, 0, 255).astype(np.uint8))
    film = Film.random(rng, view, rng.uniform(1.5, 4.0))
    shake = [wiggle(rng, 0.3, 2.5), wiggle(rng, 0.3, 2.5), wiggle(rng, 0.1, 1.0), wiggle(rng, 0.2, 1.0)]
    _, _, m0, _, _, m1 = action_times(rng, frames)
    prog = profile(rng, m0, m1)
    zoom_end = rng.uniform(1.5, 2.3)
    start = view.center + rng.uniform(-0.05, 0.05, 2) * view.height * r
    aim = target + rng.uniform(-0.04, 0.04, 2) * view.height * r
    roll_end = math.radians(rng.uniform(-4, 4))
    shading = rng.uniform(0.0, 0.1)  # the phone comes between the lamp and the desk
    out = np.empty((frames, view.height, view.width, 3), np.uint8)
    for i in range(frames):
        t = float(i)
        p = prog(t)
        zoom = 1 + (zoom_end - 1) * p
        wobble = film.shake * r / zoom * np.array([float(shake[0](t)), float(shake[1](t))])
        cw = start + (aim - start) * p + wobble
        roll = roll_end * p + math.radians(0.5) * float(shake[3](t))
        seen = view.shoot(image, cw, zoom * (1 + 0.012 * float(shake[2](t))), roll)
        out[i] = film.develop(rng, seen, t, 1 - shading * p)
    return out, [pick(rng, NAMES[kind])]


def draw_video(cls: str, rng: np.random.Generator) -> tuple[np.ndarray, list[str]]:
    """A video of class `cls` as uint8 frames (T, 240, W, 3) and its placeholders; reversed classes play backwards."""
    if cls in FORWARD_OF:
        frames, names = draw_video(FORWARD_OF[cls], rng)
        return np.ascontiguousarray(frames[::-1]), names
    width = 427 if rng.random() < 0.4 else int(rng.integers(160, 241)) * 2
    frames = int(rng.integers(2 * FPS, 5 * FPS + 1))
    camera = cls == "Approaching something with your camera"
    view = View(width, HEIGHT, 2 if camera else 1, rng.uniform(0.03, 0.1))
    if camera:
        return draw_camera(rng, view, frames)
    return draw_objects(rng, cls, view, frames)


# ---------------------------------------------------------------------------------------------
# The dataset


def template_of(cls: str) -> str:
    """The SSv2 template of a class: each "something" becomes "[something]"."""
    return re.sub(r"\bsomething\b", "[something]", cls)


def label_of(cls: str, placeholders: list[str]) -> str:
    """The free-text label: the template filled in, first letter lowercase, as SSv2 writes it."""
    text = template_of(cls)
    for name in placeholders:
        text = text.replace("[something]", name, 1)
    return text[:1].lower() + text[1:]


def video_rng(seed: int, video_id: int) -> np.random.Generator:
    """Each video's own generator: the same video whatever order the pool draws them in."""
    return np.random.default_rng([seed, video_id])


def _draw_job(job: tuple[int, str, int, str]) -> tuple[int, list[str]]:
    """Draw and write one video (runs in a pool worker)."""
    video_id, cls, seed, folder = job
    frames, names = draw_video(cls, video_rng(seed, video_id))
    write_video(Path(folder) / f"{video_id}.webm", frames)
    return video_id, names


def make_desk(
    root: Path,
    seed: int,
    labels_file: Path,
    train_per_class: int = 24,
    validation_per_class: int = 8,
    test_per_class: int = 2,
    workers: int = 2,
) -> None:
    """Write the desk dataset under `root` in the SSv2 layout."""
    root = Path(root)
    classes = [line.strip() for line in Path(labels_file).read_text(encoding="utf-8").splitlines() if line.strip()]
    missing = [c for c in CLASSES if c not in classes]
    if missing:
        raise ValueError(f"{labels_file} lacks the classes {missing}")
    counts = dict(zip(SPLITS, (train_per_class, validation_per_class, test_per_class)))
    plan = [(cls, split) for cls in CLASSES for split in SPLITS for _ in range(counts[split])]
    rng = np.random.default_rng(seed)
    plan = [plan[i] for i in rng.permutation(len(plan))]  # classes and splits interleaved
    ids = rng.choice(max(220_847, 10 * len(plan)), size=len(plan), replace=False) + 1
    folder = root / "20bn-something-something-v2"
    folder.mkdir(parents=True, exist_ok=True)
    jobs = [(int(i), cls, seed, str(folder)) for i, (cls, _) in zip(ids, plan)]
    placeholders: dict[int, list[str]] = {}
    with tqdm(total=len(jobs), desc="desk videos", unit="video") as bar:
        if workers <= 1:
            results = map(_draw_job, jobs)
            for video_id, names in results:
                placeholders[video_id] = names
                bar.update()
        else:
            with ProcessPoolExecutor(workers, mp_context=process_context()) as pool:
                for video_id, names in pool.map(_draw_job, jobs):
                    placeholders[video_id] = names
                    bar.update()
    labels = root / "labels"
    labels.mkdir(parents=True, exist_ok=True)
    entries: dict[str, list[dict]] = {split: [] for split in SPLITS}
    for (video_id, cls, _, _), (_, split) in zip(jobs, plan):
        if split == "test":
            entries[split].append({"id": str(video_id)})
            continue
        names = placeholders[video_id]
        entries[split].append(
            {"id": str(video_id), "label": label_of(cls, names), "template": template_of(cls), "placeholders": names}
        )
    index = {name: str(i) for i, name in enumerate(classes)}
    (labels / "something-something-v2-labels.json").write_text(
        json.dumps(index, indent=1, ensure_ascii=False), encoding="utf-8"
    )
    for split, items in entries.items():
        path = labels / f"something-something-v2-{split}.json"
        path.write_text(json.dumps(items, indent=1, ensure_ascii=False), encoding="utf-8")


def main() -> None:
    """Command line: python benchmarks/desk.py ROOT [options]."""
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("root", type=Path, help="folder to write labels/ and 20bn-something-something-v2/ into")
    parser.add_argument("--seed", type=int, default=0, help="random seed: the same seed gives the same dataset")
    parser.add_argument(
        "--labels-file",
        type=Path,
        default=Path(__file__).parent.parent / "ssv2" / "ssv2-labels.txt",
        help="the 174 class names in index order, one a line (default: ssv2/ssv2-labels.txt)",
    )
    parser.add_argument("--train-per-class", type=int, default=24, help="training videos per class")
    parser.add_argument("--validation-per-class", type=int, default=8, help="validation videos per class")
    parser.add_argument("--test-per-class", type=int, default=2, help="test videos per class (ids only in the json)")
    parser.add_argument("--workers", type=int, default=2, help="processes drawing videos in parallel")
    args = parser.parse_args()
    make_desk(
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
