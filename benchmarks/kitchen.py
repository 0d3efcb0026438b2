"""Generate a synthetic kitchen-counter dataset in the Something-Something V2 layout, as held-out data.

The scene: a hand-held phone films a kitchen counter from the front at a shallow angle (20-35
degrees above the counter) with a tiled, mosaic, wooden or painted backsplash behind it, sometimes
a wall socket, an upper cabinet or the counter's front edge. Mugs, bottles, jars, cans, boxes,
bowls, fruit and sponges are drawn with numpy and PIL (shaded solids of revolution, cuboids and
spheres, with labels and patterns) and sized by a pinhole model, so items farther back are smaller
and higher in the frame; flat clutter (cutting boards, plates, towels, knives, spoons) lies on the
counter in perspective. A shaded arm and hand (skin tones and sleeves vary) does the manipulation.
Every clip has camera shake, a drifting window light, exposure and white-balance changes, sensor
noise, motion blur on fast motion, idle time before and after the action and a speed of its own.
Colours are drawn at random, never from the class, and the acting object is 10-25% of the frame
height.

The classes are four time-reversal pairs of SSv2 classes:
"Pushing something from left to right" / "Pushing something from right to left",
"Moving something up" / "Moving something down" (lifted off the counter),
"Moving something and something closer to each other" / "... away from each other" (one or both
objects move, with one or two hands) and
"Approaching something with your camera" / "Moving away from something with your camera" (the view
closes in on one item, no hand). The second class of each pair is a fresh draw of the first,
rendered forwards and then written with its frames in reverse order: only frame order tells the
two apart.

The layout is the official one: ROOT/labels/something-something-v2-{labels,train,validation,test}.json
(labels.json maps all the classes of the labels file to their index as a string; test entries hold
only an id) and ROOT/20bn-something-something-v2/<id>.webm (VP9, yuv420p, 12 fps, 240 px high,
320-480 px wide, mostly 427, 2-5 s). Ids are unique random integers in SSv2's range, classes and
splits interleaved; every video comes from its own generator seeded by (seed, id), so the dataset
does not depend on the number of workers.

Command line:
    python benchmarks/kitchen.py ROOT [--seed 0] [--labels-file ssv2/ssv2-labels.txt]
        [--train-per-class 24] [--validation-per-class 8] [--test-per-class 2] [--workers 2]
"""

from __future__ import annotations

import argparse
import colorsys
import importlib
import importlib.util
import json
import math
import multiprocessing
import re
import sys
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import av
import numpy as np
from PIL import Image, ImageDraw, ImageFilter
from tqdm import tqdm

FPS = 12
HEIGHT = 240
COMMON_WIDTH = 427  # SSv2's usual 16:9 width
MAX_ID = 220847  # ids of the real dataset run 1..220847
SS = 2  # canvas pixels per output pixel: the camera's bilinear resampling then averages 2x2 (anti-aliasing)
MARGIN = 1.14  # the canvas is this much larger than the view, so shake never shows an edge
VFOV = math.radians(52)  # a phone's vertical field of view in landscape
CRF = 33
# Sprites are drawn at canvas scale: the camera's 2x reduction already smooths their edges.
SPRITE_SS = 1

# Forward class -> (kind of clip, the class it becomes when played backwards).
PAIRS: dict[str, tuple[str, str]] = {
    "Pushing something from left to right": ("push", "Pushing something from right to left"),
    "Moving something up": ("lift", "Moving something down"),
    "Moving something and something closer to each other": (
        "closer",
        "Moving something and something away from each other",
    ),
    "Approaching something with your camera": ("approach", "Moving away from something with your camera"),
}
# Class -> (kind, reversed?), in a fixed order: forward and backward classes alternate.
CLASSES: dict[str, tuple[str, bool]] = {}
for _forward, (_kind, _backward) in PAIRS.items():
    CLASSES[_forward] = (_kind, False)
    CLASSES[_backward] = (_kind, True)

ACTING_KINDS = ("mug", "bottle", "jar", "can", "box", "bowl", "apple", "orange", "lemon", "sponge")
CLUTTER_KINDS = ("mug", "bottle", "jar", "can", "box", "bowl", "apple", "orange", "shaker", "towel roll", "crock")
FLAT_KINDS = ("board", "plate", "towel", "knife", "spoon")

# Free-text names, as crowd workers type them; {c} is the object's colour.
NAMES: dict[str, tuple[str, ...]] = {
    "mug": ("mug", "cup", "coffee mug", "a mug", "{c} mug", "{c} cup", "tea cup", "my mug"),
    "bottle": ("bottle", "{c} bottle", "water bottle", "plastic bottle", "bottle of oil", "sauce bottle", "a bottle"),
    "jar": ("jar", "{c} jar", "jam jar", "glass jar", "jar of honey", "spice jar", "a jar"),
    "can": ("can", "tin", "{c} can", "soda can", "can of beans", "tin can"),
    "box": ("box", "{c} box", "cereal box", "tea box", "small box", "carton", "box of crackers"),
    "bowl": ("bowl", "{c} bowl", "small bowl", "cereal bowl", "a bowl"),
    "apple": ("apple", "an apple", "{c} apple", "fruit"),
    "orange": ("orange", "an orange", "mandarin", "fruit", "clementine"),
    "lemon": ("lemon", "a lemon", "yellow lemon", "fruit"),
    "sponge": ("sponge", "kitchen sponge", "{c} sponge", "dish sponge", "scrubber"),
}
# Placeholders are free text: some carry commas, quotes or non-ASCII letters.
QUIRKS: tuple[str, ...] = ("{n}, {c}", '"{n}"', "{n} (café)", "señor's {n}", "{n}, the {c} one", "{n} – {c}")

SKINS = np.array(
    [
        (0.97, 0.82, 0.71),
        (0.93, 0.74, 0.61),
        (0.85, 0.64, 0.50),
        (0.76, 0.56, 0.42),
        (0.63, 0.44, 0.31),
        (0.48, 0.33, 0.22),
        (0.35, 0.24, 0.17),
    ],
    dtype=np.float32,
)


# ----------------------------------------------------------------------------------------------
# Small helpers
# ----------------------------------------------------------------------------------------------


def _unit(v: np.ndarray) -> np.ndarray:
    """`v` scaled to length one."""
    return v / max(float(np.linalg.norm(v)), 1e-9)


def _rgb(h: float, s: float, v: float) -> np.ndarray:
    """An HSV colour as RGB floats in 0..1."""
    return np.array(colorsys.hsv_to_rgb(h % 1.0, s, v), dtype=np.float32)


def _colour_word(rgb: np.ndarray) -> str:
    """A plain colour name for an RGB colour, as a person would call it."""
    h, s, v = colorsys.rgb_to_hsv(*(float(c) for c in rgb))
    if v < 0.22:
        return "black"
    if s < 0.18:
        return "white" if v > 0.78 else "grey"
    deg = h * 360
    if deg < 15 or deg >= 340:
        return "red" if v > 0.45 else "dark red"
    if deg < 42:
        return "orange" if v > 0.6 and s > 0.5 else "brown"
    if deg < 68:
        return "yellow"
    if deg < 165:
        return "green"
    if deg < 200:
        return "turquoise"
    if deg < 255:
        return "blue"
    if deg < 290:
        return "purple"
    return "pink"


def _random_colour(rng: np.random.Generator) -> np.ndarray:
    """A random object colour: saturated, pastel, dark or neutral, any hue."""
    style = rng.random()
    if style < 0.2:  # neutral: white, grey, black
        v = float(rng.choice([rng.uniform(0.8, 0.95), rng.uniform(0.4, 0.65), rng.uniform(0.12, 0.25)]))
        return _rgb(rng.random(), rng.uniform(0, 0.08), v)
    if style < 0.45:  # pastel
        return _rgb(rng.random(), rng.uniform(0.2, 0.45), rng.uniform(0.75, 0.95))
    return _rgb(rng.random(), rng.uniform(0.5, 0.95), rng.uniform(0.35, 0.92))


def _smooth_noise(rng: np.random.Generator, h: int, w: int, cells: tuple[int, int]) -> np.ndarray:
    """Smooth random field of shape (h, w), about unit variance, `cells` (rows, cols) bumps across."""
    grid = rng.standard_normal((cells[0] + 3, cells[1] + 3)).astype(np.float32)
    return np.asarray(Image.fromarray(grid, mode="F").resize((w, h), Image.Resampling.BICUBIC), dtype=np.float32)


def _value_noise(table: np.ndarray, x: np.ndarray, z: np.ndarray) -> np.ndarray:
    """Bilinear value noise of a random `table` at real coordinates (wraps around)."""
    n = table.shape[0]
    x0, z0 = np.floor(x), np.floor(z)
    fx, fz = x - x0, z - z0
    fx, fz = fx * fx * (3 - 2 * fx), fz * fz * (3 - 2 * fz)
    i, j = x0.astype(np.int64) % n, z0.astype(np.int64) % n
    i1, j1 = (i + 1) % n, (j + 1) % n
    top = table[j, i] * (1 - fx) + table[j, i1] * fx
    bottom = table[j1, i] * (1 - fx) + table[j1, i1] * fx
    return top * (1 - fz) + bottom * fz


def _ease(n: int, start: float, end: float, rng: np.random.Generator) -> np.ndarray:
    """Progress 0 -> 1 over frames [start, end] with a random speed profile (either way round)."""
    t = np.arange(n, dtype=np.float64)
    s = np.clip((t - start) / max(end - start, 1e-6), 0.0, 1.0)
    # A random warp makes some motions start fast and others end fast; its sign is random, so
    # playing a clip backwards gives no speed-profile cue.
    s = s ** rng.uniform(0.6, 1.6)
    p = rng.uniform(1.3, 2.6)
    return s**p / (s**p + (1 - s) ** p + 1e-12)


def _wobble(rng: np.random.Generator, n: int, amp: float, fmin: float = 0.15, fmax: float = 2.5) -> np.ndarray:
    """Smooth hand-held jitter: a few random sinusoids plus a little fast tremor, peak about `amp`."""
    t = np.arange(n) / FPS
    out = np.zeros(n)
    for _ in range(3):
        out += rng.uniform(0.3, 1.0) * np.sin(2 * np.pi * rng.uniform(fmin, fmax) * t + rng.uniform(0, 2 * np.pi))
    tremor = np.convolve(rng.standard_normal(n + 2), np.ones(3) / 3, mode="valid")[:n]
    return amp * (out / 2.0 + 0.25 * tremor)


def _phases(rng: np.random.Generator, n: int, hold_to_end: bool = False) -> tuple[float, float, float, float]:
    """Frames where the hand starts reaching, starts and ends the action, and is gone again."""
    pre = rng.uniform(0.05, 0.25)
    reach = rng.uniform(0.1, 0.2)
    act = rng.uniform(0.22, 0.45)
    back = 0.0 if hold_to_end else rng.uniform(0.1, 0.2)
    post = rng.uniform(0.04, 0.2)
    total = pre + reach + act + back + post
    edges = np.cumsum([pre, reach, act, back]) / total * (n - 1)
    return float(edges[0]), float(edges[1]), float(edges[2]), float(edges[3])


# ----------------------------------------------------------------------------------------------
# Scene geometry
# ----------------------------------------------------------------------------------------------


@dataclass
class Scene:
    """Camera and counter geometry, in canvas pixels (SS per output pixel, plus a margin)."""

    width: int  # output width
    cw: int  # canvas width
    ch: int  # canvas height
    vx: float  # left of the view at zoom 1
    vy: float  # top of the view at zoom 1
    f: float  # focal length
    y_hor: float  # the horizon (counter plane vanishing line); may lie above the canvas
    y_back: float  # where the counter meets the wall
    y_front: float  # the counter's front edge (below the canvas when not in view)
    hcam: float = 4.0  # camera height above the counter, in units of 10 cm
    light: np.ndarray = field(default_factory=lambda: _unit(np.array([0.5, 0.8, 0.5])))

    @property
    def vw(self) -> float:
        return SS * self.width

    @property
    def vh(self) -> float:
        return SS * HEIGHT

    def px(self, y: float) -> float:
        """Canvas pixels per unit (10 cm) for something standing on the counter at canvas row `y`."""
        return (y - self.y_hor) / self.hcam

    def elev(self, y: float) -> float:
        """Angle (radians) the camera looks down at a point on the counter at row `y`."""
        return math.atan2(y - self.y_hor, self.f)

    def to_screen(self, x: float, z: float) -> tuple[float, float]:
        """Canvas position of the counter point at lateral `x` and depth `z` (units)."""
        y = self.y_hor + self.f * self.hcam / z
        return self.cw / 2 + x * (y - self.y_hor) / self.hcam, y


def _make_scene(rng: np.random.Generator, width: int) -> Scene:
    """Random camera pitch, wall line and counter edge for a view `width` output pixels wide."""
    vw, vh = SS * width, SS * HEIGHT
    cw, ch = int(math.ceil(vw * MARGIN)), int(math.ceil(vh * MARGIN))
    vx, vy = (cw - vw) / 2, (ch - vh) / 2
    f = vh / 2 / math.tan(VFOV / 2)
    pitch = math.radians(rng.uniform(20, 35))
    y_hor = vy + vh / 2 - f * math.tan(pitch)
    y_back = max(vy + vh * rng.uniform(0.2, 0.42), y_hor + 0.12 * vh)
    y_front = vy + vh * rng.uniform(0.9, 0.98) if rng.random() < 0.35 else ch + 50.0
    side = rng.choice([-1.0, 1.0])
    light = _unit(np.array([side * rng.uniform(0.2, 0.9), rng.uniform(0.6, 1.0), rng.uniform(0.3, 0.8)]))
    return Scene(width, cw, ch, vx, vy, f, y_hor, y_back, y_front, light=light)


# ----------------------------------------------------------------------------------------------
# Background: wall, counter, flat clutter
# ----------------------------------------------------------------------------------------------


def _wall(rng: np.random.Generator, scene: Scene, rows: int) -> np.ndarray:
    """The backsplash above the counter, (rows, cw, 3) floats: tiles, mosaic, planks or paint."""
    cw = scene.cw
    s = (scene.y_back - scene.y_hor) / scene.hcam  # pixels per unit on the wall
    xw = ((np.arange(cw) - cw / 2) / s + rng.uniform(0, 10))[None, :]
    yw = ((scene.y_back - np.arange(rows)) / s)[:, None]
    low = _smooth_noise(rng, rows, cw, (3, 6))[..., None]
    style = rng.choice(["subway", "square", "mosaic", "wood", "paint"], p=[0.3, 0.2, 0.15, 0.2, 0.15])
    if rng.random() < 0.6:
        base = _rgb(rng.random(), rng.uniform(0, 0.12), rng.uniform(0.78, 0.95))  # white-ish tiles
    else:
        base = _rgb(rng.random(), rng.uniform(0.15, 0.6), rng.uniform(0.4, 0.9))
    if style == "wood":
        plank = rng.uniform(0.8, 1.5)
        row = np.floor(yw / plank)
        table = rng.uniform(-1, 1, 64).astype(np.float32)
        wood = _rgb(rng.uniform(0.05, 0.1), rng.uniform(0.35, 0.65), rng.uniform(0.35, 0.8))
        warp = _smooth_noise(rng, rows, cw, (4, 12))
        grain = np.sin(2 * np.pi * (yw * rng.uniform(4, 9) + 0.7 * warp + table[row.astype(int) % 64][:, :1] * 3))
        tone = 1 + 0.1 * table[(row.astype(int) * 7) % 64] + 0.06 * grain
        img = wood[None, None, :] * tone[..., None]
        gap = (yw / plank - row) * plank < 0.04
        img = np.where(gap[..., None], img * 0.45, img)
    elif style == "paint":
        img = np.broadcast_to(base, (rows, cw, 3)) * (1 + 0.02 * _smooth_noise(rng, rows, cw, (20, 40)))[..., None]
    else:
        th = {"subway": rng.uniform(0.6, 0.8), "square": rng.uniform(0.9, 1.5), "mosaic": rng.uniform(0.2, 0.35)}[style]
        tw = th * rng.uniform(2.0, 3.0) if style == "subway" else th
        row = np.floor(yw / th)
        shift = (row % 2) * 0.5 * tw if style == "subway" else 0.0
        xs = xw + shift
        col = np.floor(xs / tw)
        fx, fy = xs / tw - col, yw / th - row
        edge = np.minimum(np.minimum(fx, 1 - fx) * tw, np.minimum(fy, 1 - fy) * th)
        r_i, c_i = row.astype(np.int64) % 97, col.astype(np.int64) % 97
        table = rng.standard_normal((97, 97)).astype(np.float32)
        tone = 1 + (0.12 if style == "mosaic" else 0.035) * table[r_i, c_i]
        img = base[None, None, :] * tone[..., None]
        if style == "mosaic":  # a second colour scattered over the tiles
            other = _rgb(rng.random(), rng.uniform(0.1, 0.5), rng.uniform(0.5, 0.9))
            pick = (table[(r_i * 3) % 97, (c_i * 5) % 97] > 0.6)[..., None]
            img = np.where(pick, other[None, None, :] * tone[..., None], img)
        img = img * (1 - 0.1 * np.exp(-edge / 0.05))[..., None]  # bevelled tile edges
        grout = _rgb(rng.random(), rng.uniform(0, 0.1), rng.uniform(0.45, 0.85))
        img = np.where((edge < rng.uniform(0.025, 0.045))[..., None], grout[None, None, :], img)
    return (img * (1 + 0.03 * low)).astype(np.float32)


def _counter_coords(scene: Scene, y0: int) -> tuple[np.ndarray, np.ndarray]:
    """World (lateral, depth) coordinates, in units, of the counter pixels from row `y0` down."""
    ys = np.arange(y0, scene.ch, dtype=np.float64)[:, None] + 0.5
    xs = np.arange(scene.cw, dtype=np.float64)[None, :] + 0.5
    d = np.maximum(ys - scene.y_hor, 1.0)
    return (xs - scene.cw / 2) * scene.hcam / d, np.broadcast_to(scene.f * scene.hcam / d, (len(ys), scene.cw))


def _counter(rng: np.random.Generator, scene: Scene, y0: int) -> np.ndarray:
    """The counter top from row `y0` down: butcher block, planks, stone, marble or laminate."""
    x, z = _counter_coords(scene, y0)
    rows = x.shape[0]
    style = rng.choice(["butcher", "planks", "granite", "marble", "laminate"])
    table = rng.standard_normal((128, 128)).astype(np.float32)
    # Fine texture fades with distance, as a camera would average it away.
    near = np.clip(scene.f / z / 60.0, 0.2, 1.0)
    if style in ("butcher", "planks"):
        wood = _rgb(rng.uniform(0.05, 0.11), rng.uniform(0.3, 0.7), rng.uniform(0.35, 0.85))
        width = rng.uniform(0.35, 0.7) if style == "butcher" else rng.uniform(1.0, 1.8)
        along, across = (z, x) if style == "butcher" else (x, z)
        strip = np.floor(across / width)
        strip_i = strip.astype(np.int64) % 128
        tone = 1 + 0.12 * table[strip_i, 0] + 0.05 * _value_noise(table, along * 0.4, across * 9) * near
        grain = np.sin(2 * np.pi * (across * 6 + 0.5 * _value_noise(table, along * 0.6, across * 2)))
        img = wood[None, None, :] * (tone + 0.04 * grain * near)[..., None]
        seam = (across / width - strip) * width < 0.025
        img = np.where(seam[..., None], img * 0.7, img)
    elif style == "granite":
        base = _rgb(rng.random(), rng.uniform(0, 0.25), rng.uniform(0.15, 0.75))
        fleck = _value_noise(table, x * 20, z * 20) + 0.6 * _value_noise(table, x * 45 + 7, z * 45)
        light_fleck = (fleck > 1.1) * near
        dark_fleck = (fleck < -1.1) * near
        img = base[None, None, :] * (1 + 0.5 * light_fleck - 0.45 * dark_fleck + 0.05 * fleck * near)[..., None]
    elif style == "marble":
        base = _rgb(rng.random(), rng.uniform(0, 0.06), rng.uniform(0.8, 0.95))
        warp = _value_noise(table, x * 0.5, z * 0.5) + 0.5 * _value_noise(table, x * 1.3, z * 1.3)
        vein = np.abs(np.sin(x * rng.uniform(0.4, 1.2) + z * rng.uniform(0.2, 0.8) + 2.5 * warp)) ** 0.35
        img = base[None, None, :] * (0.82 + 0.18 * vein)[..., None]
    else:
        base = _random_colour(rng) * 0.8 + 0.15
        img = base[None, None, :] * (1 + 0.03 * _value_noise(table, x * 3, z * 3) * near)[..., None]
    img = np.broadcast_to(img, (rows, scene.cw, 3)).astype(np.float32)
    # The wall shades the counter just in front of it.
    ys = np.arange(y0, scene.ch, dtype=np.float32)[:, None, None]
    img = img * (1 - 0.3 * np.exp(-(ys - scene.y_back) / (0.03 * scene.vh)))
    for _ in range(int(rng.integers(0, 3))):
        img = _flat_item(rng, scene, img, x, z, y0)
    return img


def _flat_item(
    rng: np.random.Generator, scene: Scene, img: np.ndarray, x: np.ndarray, z: np.ndarray, y0: int
) -> np.ndarray:
    """Lay a board, plate, towel, knife or spoon flat on the counter, in perspective."""
    kind = str(rng.choice(FLAT_KINDS))
    z_near, z_far = (
        scene.f * scene.hcam / (scene.vy + scene.vh - scene.y_hor),
        scene.f * scene.hcam / (scene.y_back - scene.y_hor),
    )
    zc = rng.uniform(z_near + 1.0, z_far - 0.8)
    half = (scene.vw / 2) * scene.hcam / (scene.f * scene.hcam / zc)  # half the view's width at that depth
    xc = rng.choice([-1, 1]) * rng.uniform(0.45, 1.0) * half  # off to a side, clear of the action
    ang = rng.uniform(-0.5, 0.5)
    ca, sa = math.cos(ang), math.sin(ang)
    thick = 0.0

    def local(lift: float) -> tuple[np.ndarray, np.ndarray]:
        # A raised surface at height `lift` maps to the counter grid scaled by (hcam - lift) / hcam.
        k = (scene.hcam - lift) / scene.hcam
        dx, dz = x * k - xc, z * k - zc
        return dx * ca + dz * sa, -dx * sa + dz * ca

    if kind == "board":
        w, d, thick = rng.uniform(2.5, 4.0), rng.uniform(1.6, 2.4), 0.15
        colour = _rgb(rng.uniform(0.05, 0.1), rng.uniform(0.3, 0.6), rng.uniform(0.5, 0.85))
        if rng.random() < 0.3:
            colour = _random_colour(rng) * 0.6 + 0.3  # a plastic board
    elif kind == "towel":
        w, d, thick = rng.uniform(2.0, 3.0), rng.uniform(1.2, 2.0), 0.05
        colour = _random_colour(rng)
    elif kind == "plate":
        w = d = rng.uniform(1.8, 2.6)
        thick = 0.15
        colour = _rgb(rng.random(), rng.uniform(0, 0.3), rng.uniform(0.8, 0.97))
    elif kind == "knife":
        w, d = rng.uniform(2.4, 3.0), 0.3
        colour = np.array([0.72, 0.74, 0.76], dtype=np.float32)
    else:
        w, d = rng.uniform(2.2, 3.0), 0.5
        colour = _rgb(rng.uniform(0.06, 0.1), rng.uniform(0.35, 0.55), rng.uniform(0.5, 0.8))

    def inside(lift: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        a, b = local(lift)
        if kind == "plate":
            m = a * a + b * b <= (w / 2) ** 2
        elif kind in ("knife", "spoon"):
            head = a > w * 0.1
            bowl = ((a - w * 0.32) / (w * 0.18)) ** 2 + (b / (d / 2)) ** 2 <= 1
            blade = head & (np.abs(b) <= d / 2 * (1 - 0.6 * np.clip((a - w * 0.1) / (w * 0.4), 0, 1)))
            handle = (a >= -w / 2) & (a <= w * 0.1) & (np.abs(b) <= d * (0.35 if kind == "knife" else 0.2))
            m = (bowl if kind == "spoon" else blade) & (a <= w / 2) | handle
            return m, a, handle
        else:
            r = 0.2
            qa, qb = np.maximum(np.abs(a) - (w / 2 - r), 0), np.maximum(np.abs(b) - (d / 2 - r), 0)
            m = qa * qa + qb * qb <= r * r
        return m, a, b

    # Work on the rows the item can cover only.
    reach = max(w, d) * 0.75 + 0.5
    depth = z[:, 0]
    rows = np.nonzero((depth > zc - reach) & (depth < (zc + reach) * scene.hcam / (scene.hcam - thick)))[0]
    if len(rows) == 0:
        return img
    r0, r1 = int(rows[0]), int(rows[-1]) + 1
    whole, img, x, z = img, img[r0:r1], x[r0:r1], z[r0:r1]
    foot, _, _ = inside(0.0)
    if not foot.any():
        return whole
    # A soft contact shadow, a little away from the light.
    shadow = Image.fromarray((foot * 255).astype(np.uint8)).filter(ImageFilter.GaussianBlur(4))
    sh = np.asarray(shadow, dtype=np.float32) / 255
    sh = np.roll(sh, (3, int(-scene.light[0] * 6)), axis=(0, 1))
    img = img * (1 - 0.35 * sh)[..., None]
    top, a, b = inside(thick)
    if kind == "board":
        tex = 1 + 0.05 * np.sin(2 * np.pi * (b * 5 + 0.3 * np.sin(a * 1.3)))
        col = colour[None, None, :] * tex[..., None]
    elif kind == "towel":
        stripes = (np.floor((a + w / 2) / rng.uniform(0.2, 0.5)) % 3 == 0)[..., None]
        col = np.where(stripes, _random_colour(rng)[None, None, :], colour[None, None, :])
        col = col * (1 + 0.04 * np.sin(a * 40) * np.sin(b * 40))[..., None]
    elif kind == "plate":
        rr = np.sqrt(a * a + b * b) / (w / 2)
        col = colour[None, None, :] * (1 - 0.12 * ((rr > 0.62) & (rr < 0.7)) + 0.05 * (rr > 0.7))[..., None]
    elif kind in ("knife", "spoon"):
        handle = b  # inside() returns the handle mask here
        hcol = _rgb(rng.random(), rng.uniform(0, 0.5), rng.uniform(0.1, 0.4)) if kind == "knife" else colour * 0.85
        col = np.where(handle[..., None], hcol[None, None, :], colour[None, None, :])
        col = col * (1 + 0.08 * np.sin(a * 3))[..., None]
    side = foot & ~top
    out = np.where(top[..., None], col, img)
    whole = whole.copy()
    whole[r0:r1] = np.where(side[..., None], col * 0.6, out)
    return whole


def _front(rng: np.random.Generator, scene: Scene, img: np.ndarray, y0: int) -> None:
    """Draw the counter's front edge and the cabinet doors below it, when they are in view."""
    yf = int(scene.y_front) - y0
    if yf >= img.shape[0]:
        return
    lip = max(3, int(0.25 * scene.px(scene.y_front)))
    edge = img[max(yf - 1, 0)] * 0.75
    img[yf : yf + lip] = edge[None]
    door = _random_colour(rng) * 0.7 + 0.2
    img[yf + lip :] = door[None, None, :] * 0.75  # in the counter's shadow
    xs = np.arange(scene.cw)
    gaps = (xs - rng.uniform(0, 200)) % rng.uniform(180, 300) < 3
    img[yf + lip :, gaps] *= 0.5


def _background(rng: np.random.Generator, scene: Scene) -> np.ndarray:
    """The static backdrop, (ch, cw, 3) floats: wall with fittings, counter and flat clutter."""
    yb = int(round(scene.y_back))
    wall = _wall(rng, scene, yb)
    # A wall socket and an upper cabinet, sometimes.
    s = (scene.y_back - scene.y_hor) / scene.hcam
    if rng.random() < 0.5:
        h_, w_ = int(1.1 * s), int(0.75 * s)
        top = int(scene.y_back - rng.uniform(1.5, 2.5) * s)
        left = int(rng.uniform(scene.vx, scene.vx + scene.vw - w_))
        if top > 0:
            plate = _rgb(rng.random(), rng.uniform(0, 0.08), rng.uniform(0.8, 0.95))
            wall[top : top + h_, left : left + w_] = plate
            wall[top + h_ - 2 : top + h_, left : left + w_] *= 0.7
            for dx in (0.3, 0.62):
                sx = left + int(dx * w_)
                wall[top + int(0.4 * h_) : top + int(0.6 * h_), sx : sx + max(2, w_ // 10)] = 0.15
    if rng.random() < 0.35:
        bottom = int(scene.vy + rng.uniform(0.02, 0.12) * scene.vh)
        if 0 < bottom < yb - 10:
            cab = _random_colour(rng) * 0.7 + 0.15
            wall[:bottom] = cab * 0.85
            wall[bottom - 4 : bottom] = cab * 0.55
            wall[bottom : bottom + 12] *= np.linspace(0.6, 1.0, 12, dtype=np.float32)[:, None, None]
    wall *= np.linspace(1.0, 0.85, yb, dtype=np.float32)[:, None, None]  # the counter's edge is darker
    counter = _counter(rng, scene, yb)
    _front(rng, scene, counter, yb)
    return np.concatenate([wall, counter], axis=0)


# ----------------------------------------------------------------------------------------------
# Objects
# ----------------------------------------------------------------------------------------------


@dataclass
class Thing:
    """A standing object's sprite at canvas scale, anchored where it touches the counter."""

    image: Image.Image  # RGBA
    ax: float  # anchor within the sprite
    ay: float
    width: float  # footprint width, canvas pixels
    height: float  # visible height, canvas pixels
    kind: str
    colour: np.ndarray
    shadow: Image.Image | None = None  # L, soft footprint
    sx: float = 0.0  # shadow anchor
    sy: float = 0.0

    def paste(self, canvas: Image.Image, x: float, y: float) -> None:
        """Paste the sprite with its anchor at canvas (x, y)."""
        canvas.paste(self.image, (int(round(x - self.ax)), int(round(y - self.ay))), self.image)

    def paste_shadow(self, canvas: Image.Image, x: float, y: float, strength: float) -> None:
        """Darken the counter under the object; `strength` 0..1."""
        if self.shadow is None or strength <= 0.02:
            return
        mask = self.shadow if strength >= 0.99 else self.shadow.point(lambda v: int(v * strength))
        dark = Image.new("RGB", mask.size, (12, 10, 8))
        canvas.paste(dark, (int(round(x - self.sx)), int(round(y - self.sy))), mask)


def _shade(nx: np.ndarray, ny: np.ndarray, nz: np.ndarray, light: np.ndarray, shine: float, gloss: float):
    """Lambert plus Blinn-Phong shading for unit normals in camera space (x right, y up, z to camera)."""
    diffuse = np.maximum(nx * light[0] + ny * light[1] + nz * light[2], 0.0)
    half = _unit(light + np.array([0.0, 0.0, 1.0]))
    spec = np.maximum(nx * half[0] + ny * half[1] + nz * half[2], 0.0) ** shine
    return 0.38 + 0.7 * diffuse, gloss * spec


def _pattern(rng: np.random.Generator, base: np.ndarray) -> Callable[[float, np.ndarray], np.ndarray]:
    """A random surface decoration: albedo as a function of height (0..1) and angle around (radians)."""
    other = _random_colour(rng)
    style = rng.choice(["plain", "band", "label", "dots", "stripes"], p=[0.3, 0.2, 0.25, 0.1, 0.15])
    t0, t1 = sorted(rng.uniform(0.15, 0.85, 2))
    t1 = max(t1, t0 + 0.15)
    freq = float(rng.integers(4, 12))
    logo = _random_colour(rng)

    def albedo(t: float, phi: np.ndarray) -> np.ndarray:
        out = np.broadcast_to(base, (len(phi), 3)).copy()
        if style == "band" and t0 <= t <= t1:
            out[:] = other
        elif style == "label" and t0 <= t <= t1:
            out[:] = other
            mid = (t0 + t1) / 2
            if abs(t - mid) < (t1 - t0) * 0.25:
                out[np.abs(phi - 0.3) < 0.35] = logo
            if abs(t - t0 - (t1 - t0) * 0.15) < 0.02:
                out[np.sin(phi * 20) > 0.2] *= 0.4  # a line of "text"
        elif style == "dots" and math.sin(t * freq * 6) > 0.6:
            out[np.sin(phi * freq) > 0.6] = other
        elif style == "stripes" and math.sin(t * freq * 2 * math.pi) > 0.5:
            out[:] = other
        return out

    return albedo


def _lathe(
    rng: np.random.Generator,
    scene: Scene,
    y: float,
    height: float,
    knots_t: list[float],
    knots_r: list[float],
    albedo: Callable[[float, np.ndarray], np.ndarray],
    top: np.ndarray | None,
    open_top: bool = False,
    handle: bool = False,
    gloss: float = 0.25,
) -> tuple[np.ndarray, float, float]:
    """Render a solid of revolution standing on the counter at row `y`; (RGBA floats, anchor x, y).

    Disks are painted from the bottom up, each shaded by its visible front rim, so the last one
    becomes the top face: a simple, exact-enough painter's algorithm for convex profiles.
    """
    ss = SPRITE_SS
    pu = scene.px(y) * ss
    e = scene.elev(y)
    se, ce = math.sin(e), math.cos(e)
    n = max(16, int(height * pu * ce))  # a disk a row
    ts = np.linspace(0.0, 1.0, n)
    rs = np.interp(ts, knots_t, knots_r) * pu
    slope = np.gradient(rs) / max(height * pu / (n - 1), 1e-6)
    alphas = np.arctan(-slope)  # surfaces narrowing upwards face a little up
    rmax = float(rs.max())
    hx = rmax * 0.75 if handle else 0.0
    w = int(2 * (rmax + hx) + 6)
    w += w % 2
    h = int(height * pu * ce + 2 * rmax * se + 6)
    h += h % 2
    cx, by = w / 2, h - 3 - rs[0] * se
    col = np.zeros((h, w, 3), np.float32)
    alpha = np.zeros((h, w), np.float32)
    light = scene.light
    base_col = albedo(0.5, np.zeros(1))[0]
    if handle:
        side = rng.choice([-1.0, 1.0])
        hy = by - 0.55 * height * pu * ce
        a_, b_ = hx + rmax * 0.25, 0.3 * height * pu * ce
        yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
        q = ((xx - cx - side * rmax * 0.95) / a_) ** 2 + ((yy - hy) / b_) ** 2
        ring = (q <= 1) & (q >= 0.45) & (side * (xx - cx) > 0)
        shade = 0.5 + 0.4 * np.clip(-(yy - hy) / b_ * light[1] + side * light[0], -1, 1)
        col[ring] = base_col * shade[ring][:, None]
        alpha[ring] = 1
    for i in range(n):
        r = float(rs[i])
        if r < 0.6:
            continue
        ry = max(r * se, 0.5)
        yc = by - ts[i] * height * pu * ce
        y0, y1 = max(int(yc - ry), 0), min(int(yc + ry) + 2, h)
        x0, x1 = max(int(cx - r), 0), min(int(cx + r) + 2, w)
        xs = np.arange(x0, x1, dtype=np.float32) - cx + 0.5
        ys = np.arange(y0, y1, dtype=np.float32)[:, None] - yc + 0.5
        inside = (xs[None, :] / r) ** 2 + (ys / ry) ** 2 <= 1.0
        u = np.clip(xs / r, -1, 1)
        ca, sa = math.cos(alphas[i]), math.sin(alphas[i])
        front = np.sqrt(1 - u * u)
        nx, ny, nz = u * ca, sa * ce - front * ca * se, sa * se + front * ca * ce
        diffuse, spec = _shade(nx, ny, nz, light, 18.0, gloss)
        rim = albedo(float(ts[i]), np.arcsin(u)) * diffuse[:, None] + spec[:, None]
        block = col[y0:y1, x0:x1]
        block[inside] = np.broadcast_to(rim[None], block.shape)[inside]
        alpha[y0:y1, x0:x1][inside] = 1
    # The top face: lid, cap or rim and interior.
    r, yc = float(rs[-1]), by - height * pu * ce
    ry = max(r * se, 0.5)
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    q = ((xx - cx + 0.5) / r) ** 2 + ((yy - yc + 0.5) / ry) ** 2
    up_light = 0.38 + 0.7 * max(ce * light[1] + se * light[2], 0.0)
    if open_top:
        inner = q <= 0.8
        depth = np.clip((yy - yc) / ry, -1, 1)[..., None]  # -1 at the back rim, +1 at the front
        if top is None:  # the inner back wall, lit, fading into the shadowed bottom
            inside_col = base_col if rng.random() < 0.6 else np.array([0.92, 0.91, 0.88], np.float32)
            interior = inside_col * (0.5 + 0.2 * (1 - depth))
        else:  # a drink
            interior = top * (0.45 + 0.2 * depth)
        col[inner] = interior[inner]
        rim = (q > 0.8) & (q <= 1)
        col[rim] = base_col * up_light * 1.05
    elif top is not None:
        face = q <= 1
        col[face] = top * up_light * (1 - 0.15 * (q[face][:, None] > 0.75))
    return np.dstack([col, alpha]), cx, by


def _finish(rgba: np.ndarray, ax: float, ay: float, scene: Scene, y: float, kind: str, colour) -> Thing:
    """Turn an RGBA render (SPRITE_SS times canvas scale) into a sprite with a soft shadow."""
    rgba = np.clip(rgba, 0, 1)
    img = Image.fromarray((rgba * 255).astype(np.uint8), "RGBA").convert("RGBa")
    if SPRITE_SS > 1:
        img = img.resize((img.width // SPRITE_SS, img.height // SPRITE_SS), Image.Resampling.BOX)
    img = img.convert("RGBA")
    alpha = np.asarray(img)[..., 3]
    cols = np.nonzero(alpha.max(axis=0) > 100)[0]
    width = float(cols[-1] - cols[0] + 1) if len(cols) else float(img.width)
    rows = np.nonzero(alpha.max(axis=1) > 100)[0]
    height = float(rows[-1] - rows[0] + 1) if len(rows) else float(img.height)
    thing = Thing(img, ax / SPRITE_SS, ay / SPRITE_SS, width, height, kind, colour)
    # Soft elliptical shadow, pushed away from the light.
    se = math.sin(scene.elev(y))
    sw, sh = width * 1.1, max(width * se * 1.1, 4.0)
    pad = int(sw * 0.3) + 6
    size = (int(sw + 2 * pad), int(sh + 2 * pad))
    mask = Image.new("L", size, 0)
    ImageDraw.Draw(mask).ellipse([pad, pad, pad + sw, pad + sh], fill=170)
    thing.shadow = mask.filter(ImageFilter.GaussianBlur(max(2.0, sw * 0.08)))
    thing.sx = size[0] / 2 + scene.light[0] * sw * 0.15
    thing.sy = size[1] / 2 - sh * 0.1
    return thing


def _make_thing(rng: np.random.Generator, kind: str, scene: Scene, y: float) -> Thing:
    """A random object of `kind` standing on the counter at canvas row `y`."""
    colour = _random_colour(rng)
    if kind in ("mug", "bottle", "jar", "can", "bowl", "shaker", "towel roll", "crock"):
        albedo = _pattern(rng, colour)
        if kind == "mug":
            height, r = rng.uniform(0.85, 1.1), rng.uniform(0.38, 0.46)
            knots = ([0, 0.04, 1], [r * 0.92, r, r * rng.uniform(0.97, 1.08)])
            top = np.array([0.25, 0.14, 0.07], np.float32) if rng.random() < 0.3 else None
            rgba, ax, ay = _lathe(rng, scene, y, height, *knots, albedo, top, open_top=True, handle=True)
        elif kind == "bottle":
            height, r = rng.uniform(1.9, 2.7), rng.uniform(0.28, 0.38)
            neck = r * rng.uniform(0.3, 0.45)
            knots = ([0, 0.55, 0.72, 0.9, 0.91, 1], [r, r, neck, neck, neck * 1.2, neck * 1.2])
            cap = _random_colour(rng)

            def bottle(t: float, phi: np.ndarray) -> np.ndarray:
                return np.broadcast_to(cap, (len(phi), 3)).copy() if t > 0.905 else albedo(t, phi)

            rgba, ax, ay = _lathe(rng, scene, y, height, *knots, bottle, cap, gloss=0.45)
        elif kind == "jar":
            height, r = rng.uniform(1.0, 1.5), rng.uniform(0.34, 0.46)
            knots = ([0, 0.8, 0.86, 0.87, 1], [r, r, r * 0.85, r * 0.88, r * 0.88])
            lid = _random_colour(rng) if rng.random() < 0.6 else np.array([0.7, 0.7, 0.72], np.float32)
            content = _random_colour(rng) * 0.7

            def jar(t: float, phi: np.ndarray) -> np.ndarray:
                if t > 0.865:
                    return np.broadcast_to(lid, (len(phi), 3)).copy()
                out = albedo(t, phi)
                return out * 0.4 + content * 0.6 if t < 0.3 else out

            rgba, ax, ay = _lathe(rng, scene, y, height, *knots, jar, lid, gloss=0.5)
        elif kind == "can":
            height, r = rng.uniform(1.1, 1.25), rng.uniform(0.31, 0.34)
            knots = ([0, 0.03, 0.95, 1], [r * 0.9, r, r, r * 0.88])
            metal = np.array([0.75, 0.76, 0.78], np.float32)
            rgba, ax, ay = _lathe(rng, scene, y, height, *knots, albedo, metal, gloss=0.6)
        elif kind == "bowl":
            height, r = rng.uniform(0.4, 0.6), rng.uniform(0.55, 0.75)
            ts = np.linspace(0, 1, 8)
            knots = (list(ts), list(r * (0.5 + 0.5 * np.sqrt(ts))))
            rgba, ax, ay = _lathe(rng, scene, y, height, *knots, albedo, None, open_top=True, gloss=0.35)
        elif kind == "shaker":
            height, r = rng.uniform(0.7, 0.95), rng.uniform(0.16, 0.22)
            cap = np.array([0.78, 0.78, 0.8], np.float32)
            knots = ([0, 0.75, 0.76, 1], [r, r, r * 0.95, r * 0.9])
            rgba, ax, ay = _lathe(rng, scene, y, height, *knots, albedo, cap, gloss=0.5)
        elif kind == "towel roll":
            height, r = rng.uniform(2.1, 2.5), rng.uniform(0.5, 0.6)
            paper = _rgb(rng.random(), rng.uniform(0, 0.06), rng.uniform(0.88, 0.97))

            def roll(t: float, phi: np.ndarray) -> np.ndarray:
                return np.broadcast_to(paper * (0.96 + 0.04 * math.sin(t * 60)), (len(phi), 3)).copy()

            core = np.array([0.55, 0.42, 0.3], np.float32)
            rgba, ax, ay = _lathe(rng, scene, y, height, [0, 1], [r, r], roll, core, open_top=True, gloss=0.05)
        else:  # a crock holding utensils, whose handles stick out of the top
            height, r = rng.uniform(1.2, 1.6), rng.uniform(0.45, 0.55)
            rgba, ax, ay = _lathe(rng, scene, y, height, [0, 1], [r * 0.9, r], albedo, None, open_top=True)
            rows = rgba.shape[0]
            rgba = _add_utensils(rng, rgba, ax, ay, scene, y, height, r)
            ay += rgba.shape[0] - rows  # the handles add rows above
    elif kind in ("box", "sponge"):
        rgba, ax, ay = _box(rng, scene, y, kind, colour)
    else:
        rgba, ax, ay, colour = _fruit(rng, scene, y, kind)
    return _finish(rgba, ax, ay, scene, y, kind, colour)


def _add_utensils(
    rng: np.random.Generator, rgba: np.ndarray, ax: float, ay: float, scene: Scene, y: float, height: float, r: float
) -> np.ndarray:
    """Wooden spoon and spatula handles rising out of a crock (drawn behind its front rim)."""
    pu = scene.px(y) * SPRITE_SS
    extra = int(1.4 * pu)
    h, w = rgba.shape[:2]
    out = np.zeros((h + extra, w, 4), np.float32)
    out[extra:] = rgba
    img = Image.new("RGBA", (w, h + extra), (0, 0, 0, 0))
    draw = ImageDraw.Draw(img)
    top_y = extra + ay - height * pu * math.cos(scene.elev(y))
    for _ in range(int(rng.integers(2, 5))):
        x0 = ax + rng.uniform(-0.6, 0.6) * r * pu
        x1 = x0 + rng.uniform(-0.5, 0.5) * pu
        tone = _rgb(rng.uniform(0.05, 0.1), rng.uniform(0.3, 0.6), rng.uniform(0.3, 0.8))
        if rng.random() < 0.3:
            tone = _random_colour(rng) * 0.5
        c = tuple(int(v * 255) for v in tone) + (255,)
        width = max(3, int(0.12 * pu))
        y_end = top_y - rng.uniform(0.8, 1.35) * pu
        draw.line([(x0, top_y + 0.3 * pu), (x1, y_end)], fill=c, width=width)
        draw.ellipse([x1 - width, y_end - width, x1 + width, y_end + width], fill=c)
    drawn = np.asarray(img, dtype=np.float32) / 255
    # The crock covers the handles where it is drawn.
    return np.where(out[..., 3:] > 0, out, drawn)


def _box(rng: np.random.Generator, scene: Scene, y: float, kind: str, colour: np.ndarray):
    """A box or sponge: front, top and one side face, with a printed design; (RGBA, anchor x, y)."""
    pu = scene.px(y) * SPRITE_SS
    e = scene.elev(y)
    se, ce = math.sin(e), math.cos(e)
    if kind == "sponge":
        bw, bh, bd = rng.uniform(0.85, 1.1), rng.uniform(0.3, 0.45), rng.uniform(0.55, 0.7)
    else:
        bw, bh, bd = rng.uniform(0.8, 1.6), rng.uniform(0.6, 1.9), rng.uniform(0.4, 0.8)
    fw, fh, dt = bw * pu, bh * pu * ce, bd * pu * se  # front width and height, top depth on screen
    skew = rng.uniform(-0.45, 0.45) * bd * pu  # a little yaw shows one side
    w = int(fw + abs(skew) + 8)
    w += w % 2
    h = int(fh + dt + 8)
    h += h % 2
    left = 4 + max(-skew, 0)
    bottom = h - 4
    img = Image.new("RGBA", (w, h), (0, 0, 0, 0))
    draw = ImageDraw.Draw(img)
    lx = scene.light[0]

    def c(v: np.ndarray, k: float = 1.0) -> tuple[int, int, int, int]:
        return tuple(int(min(max(x * k, 0), 1) * 255) for x in v) + (255,)

    fl, fr, ft = left, left + fw, bottom - fh
    top_face = [(fl, ft), (fr, ft), (fr + skew, ft - dt), (fl + skew, ft - dt)]
    side_x = fr if skew > 0 else fl
    side_face = [(side_x, bottom), (side_x, ft), (side_x + skew, ft - dt), (side_x + skew, bottom - dt)]
    draw.polygon(side_face, fill=c(colour, 0.55 + 0.25 * lx * np.sign(skew)))
    draw.polygon(top_face, fill=c(colour, 1.05))
    draw.rectangle([fl, ft, fr, bottom], fill=c(colour, 0.85))
    if kind == "sponge":  # the green scouring layer on top
        scour = _rgb(rng.uniform(0.25, 0.4), rng.uniform(0.5, 0.8), rng.uniform(0.25, 0.5))
        draw.polygon(top_face, fill=c(scour, 1.0))
        draw.rectangle([fl, ft, fr, ft + fh * 0.3], fill=c(scour, 0.85))
    else:  # a printed design on the front
        accent = _random_colour(rng)
        design = rng.integers(0, 3)
        if design == 0:
            draw.rectangle([fl, ft + fh * 0.55, fr, ft + fh * 0.8], fill=c(accent, 0.85))
        elif design == 1:
            rad = min(fw, fh) * rng.uniform(0.2, 0.35)
            mx, my = fl + fw * rng.uniform(0.35, 0.65), ft + fh * rng.uniform(0.35, 0.65)
            draw.ellipse([mx - rad, my - rad, mx + rad, my + rad], fill=c(accent, 0.85))
        else:
            draw.rectangle([fl + fw * 0.1, ft + fh * 0.1, fr - fw * 0.1, ft + fh * 0.45], fill=c(accent, 0.85))
        for k in range(int(rng.integers(1, 4))):  # lines of "text"
            ty = ft + fh * (0.12 + 0.1 * k)
            if ty + 3 < bottom:
                draw.rectangle(
                    [fl + fw * 0.15, ty, fl + fw * rng.uniform(0.4, 0.85), ty + max(2, fh * 0.03)], fill=c(colour, 0.3)
                )
    draw.line([(fl, ft), (fr, ft)], fill=c(colour, 1.2), width=2)  # lit edge
    rgba = np.asarray(img, dtype=np.float32) / 255
    # A faint vertical gradient on the front, as from a light above.
    grad = np.linspace(1.05, 0.92, h, dtype=np.float32)[:, None, None]
    rgba[..., :3] *= grad
    ax = fl + fw / 2 + skew / 2
    ay = bottom - dt / 2
    return rgba, ax, ay


def _fruit(rng: np.random.Generator, scene: Scene, y: float, kind: str):
    """An apple, orange or lemon: a shaded, mottled sphere; (RGBA, anchor x, y, colour)."""
    pu = scene.px(y) * SPRITE_SS
    ce = math.cos(scene.elev(y))
    if kind == "apple":
        r = rng.uniform(0.36, 0.45) * pu
        rx, ry = r, r * 0.92
        colour = rng.choice([_rgb(rng.uniform(-0.02, 0.03), 0.85, 0.7), _rgb(0.22, 0.7, 0.7), _rgb(0.13, 0.7, 0.9)])
        streak = 0.15
    elif kind == "orange":
        r = rng.uniform(0.36, 0.45) * pu
        rx, ry = r, r * 0.97
        colour = _rgb(rng.uniform(0.06, 0.09), 0.9, 0.95)
        streak = 0.0
    else:
        r = rng.uniform(0.28, 0.34) * pu
        rx, ry = r * 1.3, r
        colour = _rgb(rng.uniform(0.14, 0.17), 0.85, 0.93)
        streak = 0.0
    w, h = int(2 * rx + 8), int(2 * ry + 8 + 0.3 * pu)
    w += w % 2
    h += h % 2
    cx, cy = w / 2, h - 4 - ry
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    u, v = (xx - cx + 0.5) / rx, (yy - cy + 0.5) / ry
    if kind == "lemon":  # pointed ends
        q = np.abs(u) ** 2.4 + v * v
    else:
        q = u * u + v * v
    inside = q <= 1
    nz = np.sqrt(np.clip(1 - u * u - v * v, 0, 1))
    diffuse, spec = _shade(u, -v, nz, scene.light, 25.0, 0.35)
    mottle = 1 + 0.08 * _smooth_noise(rng, h, w, (5, 5)) + 0.04 * rng.standard_normal((h, w)).astype(np.float32)
    if streak:
        mottle += streak * np.sin(u * 9 + _smooth_noise(rng, h, w, (3, 3)))
    col = colour[None, None, :] * (diffuse * mottle)[..., None] + spec[..., None]
    if kind == "apple" and ry * 0.3 > 2:  # stem
        img = Image.fromarray((np.clip(col, 0, 1) * 255).astype(np.uint8))
        stem = (90, 60, 30)
        ImageDraw.Draw(img).line(
            [(cx, cy - ry * 0.8), (cx + rx * 0.1, cy - ry * 1.15)], fill=stem, width=max(2, int(r * 0.08))
        )
        col = np.asarray(img, np.float32) / 255
        inside = inside | ((np.abs(xx - cx - rx * 0.05) < max(1.5, r * 0.05)) & (yy > cy - ry * 1.15) & (yy < cy))
    rgba = np.dstack([col, inside.astype(np.float32)])
    return rgba, cx, cy + ry * ce * 0.9, colour


# ----------------------------------------------------------------------------------------------
# The hand
# ----------------------------------------------------------------------------------------------


@dataclass
class HandStyle:
    """How one arm looks: skin, sleeve and size (canvas pixels per unit of 10 cm)."""

    skin: np.ndarray
    sleeve: np.ndarray | None
    sleeve_gap: float  # units of bare forearm between the wrist and the sleeve
    pu: float
    thumb_side: float  # +1 or -1: which side of the hand the thumb shows on


def _hand_style(rng: np.random.Generator, pu: float) -> HandStyle:
    """A random skin tone, sleeve and thumb side."""
    skin = SKINS[rng.integers(len(SKINS))] * rng.uniform(0.92, 1.05) + rng.uniform(-0.03, 0.03, 3)
    sleeve = _random_colour(rng) if rng.random() < 0.7 else None
    return HandStyle(np.clip(skin, 0, 1).astype(np.float32), sleeve, rng.uniform(0.3, 2.5), pu, rng.choice([-1.0, 1.0]))


@dataclass
class HandTrack:
    """Per-frame fingertip position, finger direction, arm direction and grip of one hand."""

    style: HandStyle
    tip: np.ndarray  # (n, 2) canvas position of the middle fingertip
    angle: np.ndarray  # (n,) finger direction, radians, image coordinates (y down)
    arm: np.ndarray  # (n,) direction from the wrist back up the arm
    grip: np.ndarray  # (n,) 0 open .. 1 curled


def _capsule(draw: ImageDraw.ImageDraw, p0: np.ndarray, p1: np.ndarray, width: float, fill) -> None:
    """A thick line with round ends."""
    w = max(int(round(width)), 1)
    draw.line([tuple(p0), tuple(p1)], fill=fill, width=w)
    r = width / 2
    for p in (p0, p1):
        draw.ellipse([p[0] - r, p[1] - r, p[0] + r, p[1] + r], fill=fill)


def _draw_hand(
    style: HandStyle, tip: np.ndarray, angle: float, arm_angle: float, grip: float, scene: Scene
) -> tuple[Image.Image, tuple[int, int]] | None:
    """Draw one arm and hand on a layer; (RGBA image, its top-left on the canvas), None when out of view."""
    pu = style.pu
    a = np.array([math.cos(angle), math.sin(angle)])  # towards the fingertips
    b = np.array([-a[1], a[0]])  # across the hand
    palm_len, palm_w, finger_len = 0.95 * pu, 0.82 * pu, 0.8 * pu
    reach = finger_len * (1 - 0.55 * grip)
    knuckle = tip - a * reach
    wrist = knuckle - a * palm_len
    arm_dir = np.array([math.cos(arm_angle), math.sin(arm_angle)])
    root = wrist + arm_dir * 9.0 * pu  # well outside the frame
    ac = np.array([-arm_dir[1], arm_dir[0]])
    pts = np.array([tip, wrist, root, knuckle])
    pad = 1.3 * pu
    # Only the part on the canvas matters; the arm runs off it.
    x0, y0 = np.maximum(np.floor(pts.min(axis=0) - pad), 0).astype(int)
    x1 = int(min(np.ceil(pts[:, 0].max() + pad), scene.cw))
    y1 = int(min(np.ceil(pts[:, 1].max() + pad), scene.ch))
    if x1 - x0 < 2 or y1 - y0 < 2:
        return None
    off = np.array([x0, y0], dtype=np.float64)
    layer = Image.new("RGBA", (int(x1 - x0), int(y1 - y0)), (0, 0, 0, 0))
    draw = ImageDraw.Draw(layer)

    def col(c: np.ndarray, k: float = 1.0) -> tuple[int, int, int, int]:
        return tuple(int(min(max(v * k, 0.0), 1.0) * 255) for v in c) + (255,)

    def poly(points: list[np.ndarray], fill) -> None:
        draw.polygon([(float(p[0] - off[0]), float(p[1] - off[1])) for p in points], fill=fill)

    # The side of the arm facing the light is brighter: a narrower, lighter strip drawn over it.
    lit = 1.0 if ac[0] * scene.light[0] - ac[1] * scene.light[1] > 0 else -1.0
    skin, dark, bright = col(style.skin), col(style.skin, 0.78), col(style.skin, 1.1)
    w_wrist, w_root = 0.62 * pu, 1.25 * pu  # the arm is nearer the camera, so wider, at its root
    poly([wrist + ac * w_wrist / 2, root + ac * w_root / 2, root - ac * w_root / 2, wrist - ac * w_wrist / 2], dark)
    shift = ac * lit
    poly(
        [
            wrist + shift * w_wrist * 0.4,
            root + shift * w_root * 0.4,
            root - shift * w_root * 0.25,
            wrist - shift * w_wrist * 0.25,
        ],
        skin,
    )
    poly(
        [
            wrist + shift * w_wrist * 0.35,
            root + shift * w_root * 0.35,
            root + shift * w_root * 0.1,
            wrist + shift * w_wrist * 0.1,
        ],
        bright,
    )
    if style.sleeve is not None:
        s0 = wrist + arm_dir * style.sleeve_gap * pu
        wd = 0.75 * pu + style.sleeve_gap * 0.1 * pu
        poly(
            [s0 + ac * wd / 2, root + ac * w_root * 0.7, root - ac * w_root * 0.7, s0 - ac * wd / 2],
            col(style.sleeve, 0.8),
        )
        poly(
            [s0 + shift * wd * 0.45, root + shift * w_root * 0.6, root - shift * w_root * 0.2, s0 - shift * wd * 0.2],
            col(style.sleeve),
        )
        draw.line([tuple(s0 + ac * wd / 2 - off), tuple(s0 - ac * wd / 2 - off)], fill=col(style.sleeve, 0.6), width=3)
    # The palm: an ellipse and a quadrilateral from the wrist to the knuckles.
    ts = np.linspace(0, 2 * np.pi, 24, endpoint=False)
    centre = wrist + a * palm_len * 0.55
    ell = centre[None] + np.outer(np.cos(ts), a) * palm_len * 0.58 + np.outer(np.sin(ts), b) * palm_w * 0.5
    poly(list(ell), dark)
    poly(list(centre[None] + (ell - centre[None]) * 0.85 + b * lit * palm_w * 0.05), skin)
    poly([wrist + b * w_wrist / 2, knuckle + b * palm_w / 2, knuckle - b * palm_w / 2, wrist - b * w_wrist / 2], skin)
    # Thumb, then four fingers, each outlined darker so they stay apart.
    side = style.thumb_side
    t0 = wrist + a * palm_len * 0.35 + b * side * palm_w * 0.42
    tdir = _unit(a * (0.8 - 0.3 * grip) + b * side * (0.6 - 0.3 * grip))
    t1 = t0 + tdir * finger_len * 0.7
    _capsule(draw, t0 - off, t1 - off, 0.3 * pu, dark)
    _capsule(draw, t0 - off, t1 - off, 0.24 * pu, skin)
    fw = palm_w * 0.25
    for offset, length, spread in zip(
        (-0.375, -0.125, 0.125, 0.375), (0.88, 1.0, 0.94, 0.74), (-0.09, -0.03, 0.03, 0.1)
    ):
        base = knuckle + b * offset * palm_w * side - a * 0.05 * pu
        rot = spread * side * (1 - grip)
        fdir = _unit(a * math.cos(rot) + b * math.sin(rot))
        end = base + fdir * reach * length
        _capsule(draw, base - off, end - off, fw * 1.1, dark)
        _capsule(draw, base - off, end - off, fw * 0.86, skin)
        if grip < 0.5:  # nails
            nail = end - fdir * fw * 0.35 - off
            r = fw * 0.25
            draw.ellipse([nail[0] - r, nail[1] - r, nail[0] + r, nail[1] + r], fill=bright)
    return layer, (int(x0), int(y0))


# ----------------------------------------------------------------------------------------------
# Motion blur and compositing
# ----------------------------------------------------------------------------------------------


def _smear(img: Image.Image, dx: float, dy: float) -> tuple[Image.Image, int, int]:
    """Average an RGBA image along the motion (dx, dy) pixels; returns it and its new top-left offset."""
    length = max(abs(dx), abs(dy))
    if length < 2:
        return img, 0, 0
    n = int(min(max(length / 2, 3), 10))  # copies about 2 px apart: no visible ghosts
    box = img.getbbox()  # hand layers carry empty margins: skip them
    if box is None:
        return img, 0, 0
    img = img.crop(box)
    a = np.asarray(img, dtype=np.float32)
    a = np.concatenate([a[..., :3] * a[..., 3:] / 255, a[..., 3:]], axis=-1)  # premultiplied
    px, py = int(math.ceil(abs(dx) / 2)) + 1, int(math.ceil(abs(dy) / 2)) + 1
    h, w = a.shape[:2]
    out = np.zeros((h + 2 * py, w + 2 * px, 4), np.float32)
    for i in range(n):
        s = i / (n - 1) - 0.5
        ox, oy = int(round(px + s * dx)), int(round(py + s * dy))
        out[oy : oy + h, ox : ox + w] += a
    out /= n
    rgb = out[..., :3] / np.maximum(out[..., 3:], 1e-3) * 255
    res = np.dstack([np.clip(rgb, 0, 255), out[..., 3]]).astype(np.uint8)
    return Image.fromarray(res, "RGBA"), box[0] - px, box[1] - py


@dataclass
class Actor:
    """An object that moves during the clip: its base position and height above the counter per frame."""

    thing: Thing
    x: np.ndarray
    y: np.ndarray
    lift: np.ndarray


# ----------------------------------------------------------------------------------------------
# The clips
# ----------------------------------------------------------------------------------------------


def _name(rng: np.random.Generator, thing: Thing) -> str:
    """A crowd-worker style placeholder for `thing`."""
    word = _colour_word(thing.colour)
    name = str(rng.choice(NAMES[thing.kind])).format(c=word)
    if rng.random() < 0.08:
        name = str(rng.choice(QUIRKS)).format(n=name, c=word)
    return name


def _slide_hand(
    rng: np.random.Generator,
    n: int,
    style: HandStyle,
    actor: Actor,
    side: float,
    phases: tuple[float, float, float, float],
    scene: Scene,
) -> HandTrack:
    """A hand that pushes `actor` from its `side` (-1 left, +1 right), entering and leaving off-screen."""
    reach0, act0, act1, back1 = phases
    th = actor.thing
    height = rng.uniform(0.2, 0.55) * th.height
    contact = np.stack([actor.x + side * th.width * 0.45, actor.y - actor.lift - height], axis=1)
    enter = contact[0] + np.array([side * rng.uniform(0.3, 0.55) * scene.vw, rng.uniform(0.2, 0.45) * scene.vh])
    leave = contact[-1] + np.array([side * rng.uniform(0.3, 0.55) * scene.vw, rng.uniform(0.2, 0.45) * scene.vh])
    p_in = _ease(n, reach0, act0, rng)[:, None]
    p_out = _ease(n, act1, back1, rng)[:, None]
    tip = enter * (1 - p_in) + contact * p_in
    tip = tip * (1 - p_out) + leave * p_out
    # Fingers point along the push, a little up or down; the arm comes from below, on the same side.
    aim = math.atan2(rng.uniform(-0.35, 0.15), -side)
    angle = aim + _wobble(rng, n, 0.06)
    arm = math.atan2(rng.uniform(0.55, 0.9), side * rng.uniform(0.45, 0.85)) + _wobble(rng, n, 0.05)
    grip = np.full(n, rng.uniform(0.0, 0.35))
    return HandTrack(style, tip, angle, arm, grip)


def _clip_push(rng: np.random.Generator, scene: Scene, n: int, kinds: list[str], y_act: float):
    """Push one object from left to right along the counter."""
    thing = _make_thing(rng, kinds[0], scene, y_act)
    travel = rng.uniform(0.25, 0.5) * scene.vw
    lo, hi = scene.vx + 0.1 * scene.vw + thing.width / 2, scene.vx + 0.9 * scene.vw - thing.width / 2
    travel = min(travel, max(hi - lo - 10, 0.15 * scene.vw))
    x0 = rng.uniform(lo, max(hi - travel, lo + 1))
    phases = _phases(rng, n)
    progress = _ease(n, phases[1], phases[2], rng)
    actor = Actor(thing, x0 + travel * progress, np.full(n, y_act), np.zeros(n))
    hand = _slide_hand(rng, n, _hand_style(rng, scene.px(y_act)), actor, -1.0, phases, scene)
    return [actor], [hand], [_name(rng, thing)], (x0 - thing.width, x0 + travel + thing.width)


def _clip_lift(rng: np.random.Generator, scene: Scene, n: int, kinds: list[str], y_act: float):
    """Grasp one object and lift it off the counter, holding it up to the end."""
    thing = _make_thing(rng, kinds[0], scene, y_act)
    x0 = rng.uniform(scene.vx + 0.2 * scene.vw, scene.vx + 0.8 * scene.vw)
    room = y_act - thing.height - scene.vy + 0.1 * thing.height
    lift = min(rng.uniform(0.2, 0.45) * scene.vh, room)
    reach0, act0, act1, _ = _phases(rng, n, hold_to_end=True)
    grasp = min(act0 + rng.uniform(0, 3), act1 - 2)  # a short pause to take hold
    up = _ease(n, grasp, act1, rng) * lift
    drift = _ease(n, grasp, act1, rng) * rng.uniform(-0.05, 0.05) * scene.vw
    held = np.clip((np.arange(n) - act1) / 4, 0, 1)
    sway = held * _wobble(rng, n, 2.0)
    actor = Actor(thing, x0 + drift + sway, np.full(n, y_act), up + held * _wobble(rng, n, 2.0))
    style = _hand_style(rng, scene.px(y_act))
    side = rng.choice([-1.0, 1.0])
    if rng.random() < 0.6:  # from the side, fingers round the object
        height = rng.uniform(0.4, 0.7) * thing.height
        contact = np.stack([actor.x + side * thing.width * 0.3, actor.y - actor.lift - height], axis=1)
        aim = math.atan2(rng.uniform(0.0, 0.4), -side)
        arm = math.atan2(rng.uniform(0.4, 0.8), side * rng.uniform(0.5, 0.9))
        enter = contact[0] + np.array([side * rng.uniform(0.35, 0.55) * scene.vw, rng.uniform(0.15, 0.4) * scene.vh])
    else:  # from above, fingers down the front
        contact = np.stack(
            [actor.x + rng.uniform(-0.1, 0.1) * thing.width, actor.y - actor.lift - 0.35 * thing.height], axis=1
        )
        aim = math.atan2(1.0, side * rng.uniform(0.0, 0.4))
        arm = math.atan2(-rng.uniform(0.7, 1.0), side * rng.uniform(0.3, 0.7))
        enter = contact[0] + np.array([side * rng.uniform(0.2, 0.4) * scene.vw, -rng.uniform(0.5, 0.7) * scene.vh])
    p_in = _ease(n, reach0, act0, rng)[:, None]
    tip = enter * (1 - p_in) + contact * p_in
    grip = rng.uniform(0.1, 0.3) + rng.uniform(0.4, 0.6) * _ease(n, act0 - 1.5, act0 + 0.5, rng)
    hand = HandTrack(style, tip, aim + _wobble(rng, n, 0.05), arm + _wobble(rng, n, 0.05), grip)
    return [actor], [hand], [_name(rng, thing)], (x0 - thing.width, x0 + thing.width)


def _clip_closer(rng: np.random.Generator, scene: Scene, n: int, kinds: list[str], y_act: float):
    """Bring two objects closer: both moved by two hands, or one moved towards the other."""
    ya = y_act
    yb = y_act + rng.uniform(-0.05, 0.05) * scene.vh
    a, b = _make_thing(rng, kinds[0], scene, ya), _make_thing(rng, kinds[1], scene, yb)
    mode = rng.choice(["both", "left", "right"], p=[0.5, 0.25, 0.25])
    share = {"both": rng.uniform(0.3, 0.7), "left": 1.0, "right": 0.0}[mode]  # how much of the gap A closes
    g1 = rng.uniform(0.05, 0.5) * (a.width + b.width) / 2
    span = scene.vw * 0.92 - a.width - b.width
    g0 = min(rng.uniform(0.3, 0.6) * scene.vw, span)
    g0 = max(g0, g1 + 0.15 * scene.vw)
    # Place the end positions so that both start positions fit in the view.
    left_room = scene.vx + 0.04 * scene.vw + a.width / 2
    xa1_lo = left_room + (g0 - g1) * share
    xb_max = scene.vx + 0.96 * scene.vw - b.width / 2
    xa1_hi = xb_max - (g0 - g1) * (1 - share) - g1 - (a.width + b.width) / 2
    xa1 = rng.uniform(xa1_lo, max(xa1_hi, xa1_lo + 1))
    xb1 = xa1 + (a.width + b.width) / 2 + g1
    xa0, xb0 = xa1 - (g0 - g1) * share, xb1 + (g0 - g1) * (1 - share)
    actors, hands = [], []
    phases = _phases(rng, n)
    style = _hand_style(rng, scene.px(y_act))
    for thing, x0, x1, y, side, moves in ((a, xa0, xa1, ya, -1.0, share > 0), (b, xb0, xb1, yb, 1.0, share < 1)):
        if moves:
            # Two hands need not move in step.
            own = tuple(p + rng.uniform(-0.06, 0.06) * n for p in phases) if mode == "both" else phases
            own = tuple(float(np.clip(p, 0, n - 1)) for p in sorted(own))
            progress = _ease(n, own[1], own[2], rng)
            actor = Actor(thing, x0 + (x1 - x0) * progress, np.full(n, y), np.zeros(n))
            hand_style = HandStyle(style.skin, style.sleeve, style.sleeve_gap, scene.px(y), -side)
            hands.append(_slide_hand(rng, n, hand_style, actor, side, own, scene))
        else:
            actor = Actor(thing, np.full(n, x0), np.full(n, y), np.zeros(n))
        actors.append(actor)
    names = [_name(rng, a), _name(rng, b)]
    return actors, hands, names, (xa0 - a.width, xb0 + b.width)


def _camera_path(rng: np.random.Generator, scene: Scene, n: int, shake: float, target=None):
    """Per-frame camera centre (canvas), zoom and roll: shake, plus the approach when `target` is set."""
    cx = np.full(n, scene.cw / 2) + _wobble(rng, n, shake * 3.0 * SS)
    cy = np.full(n, scene.ch / 2) + _wobble(rng, n, shake * 2.5 * SS)
    zoom = 1.0 + np.abs(_wobble(rng, n, shake * 0.008)) + 0.004
    roll = np.radians(_wobble(rng, n, shake * 0.8))
    if target is not None:
        (tx, ty), z1 = target
        start, end = sorted(rng.uniform(0.05, 0.95, 2) * (n - 1))
        if end - start < 0.35 * n:
            mid = (start + end) / 2
            start, end = max(mid - 0.2 * n, 0), min(mid + 0.2 * n, n - 1)
        p = _ease(n, start, end, rng)
        zoom = zoom * (1 + (z1 - 1) * p)
        cx = cx + (tx - scene.cw / 2) * p
        cy = cy + (ty - scene.ch / 2) * p
        # Walking with the phone: a bob at step frequency while moving.
        moving = np.gradient(p)
        moving = moving / max(float(moving.max()), 1e-6)
        step = rng.uniform(1.4, 2.2)
        cy = cy + moving * SS * rng.uniform(1.5, 4.0) * np.sin(2 * np.pi * step * np.arange(n) / FPS)
        roll = roll + moving * np.radians(rng.uniform(0.3, 1.2)) * np.sin(np.pi * step * np.arange(n) / FPS)
    # Keep the rotated, zoomed view inside the canvas.
    hx, hy = scene.vw / 2 / zoom, scene.vh / 2 / zoom
    ex = hx * np.abs(np.cos(roll)) + hy * np.abs(np.sin(roll)) + 1
    ey = hx * np.abs(np.sin(roll)) + hy * np.abs(np.cos(roll)) + 1
    cx = np.clip(cx, ex, scene.cw - ex)
    cy = np.clip(cy, ey, scene.ch - ey)
    return cx, cy, zoom, roll


def _view(canvas: Image.Image, scene: Scene, cx: float, cy: float, zoom: float, roll: float) -> np.ndarray:
    """Resample the canvas through the camera into the output frame, (HEIGHT, width, 3) floats 0..1."""
    m = SS / zoom
    a_, b_ = m * math.cos(roll), -m * math.sin(roll)
    d_, e_ = m * math.sin(roll), m * math.cos(roll)
    w, h = scene.width, HEIGHT
    data = (a_, b_, cx - a_ * w / 2 - b_ * h / 2, d_, e_, cy - d_ * w / 2 - e_ * h / 2)
    out = canvas.transform((w, h), Image.Transform.AFFINE, data, resample=Image.Resampling.BILINEAR)
    return np.asarray(out, dtype=np.float32) / 255


def render_clip(kind: str, rng: np.random.Generator) -> tuple[np.ndarray, list[str]]:
    """Render one forward clip of `kind` ("push", "lift", "closer", "approach"); (frames uint8, placeholders)."""
    width = COMMON_WIDTH if rng.random() < 0.7 else int(rng.integers(320, 481))
    n = int(rng.integers(2 * FPS, 5 * FPS + 1))
    scene = _make_scene(rng, width)
    count = 2 if kind == "closer" else 1
    kinds = [str(k) for k in rng.choice(ACTING_KINDS, count)]
    y_low = min(scene.vy + 0.86 * scene.vh, scene.y_front - 0.06 * scene.vh)
    y_act = rng.uniform(max(scene.vy + 0.55 * scene.vh, scene.y_back + 0.2 * scene.vh), y_low)
    # Choose the camera height so that the acting object fills 10-25% of the frame height.
    tall = {"bottle": 2.5, "box": 1.4, "bowl": 0.75, "sponge": 0.6, "apple": 0.85, "orange": 0.85, "lemon": 0.65}
    visible = max(tall.get(k, 1.15) for k in kinds)
    scene.hcam = float(np.clip((y_act - scene.y_hor) * visible / (rng.uniform(0.12, 0.23) * scene.vh), 1.5, 12))

    bg = _background(rng, scene)
    canvas = Image.fromarray((np.clip(bg, 0, 1) * 255).astype(np.uint8), "RGB")
    canvas = canvas.filter(ImageFilter.GaussianBlur(0.6))

    target = None
    if kind == "push":
        actors, hands, names, span = _clip_push(rng, scene, n, kinds, y_act)
    elif kind == "lift":
        actors, hands, names, span = _clip_lift(rng, scene, n, kinds, y_act)
    elif kind == "closer":
        actors, hands, names, span = _clip_closer(rng, scene, n, kinds, y_act)
    else:
        thing = _make_thing(rng, kinds[0], scene, y_act)
        x0 = scene.cw / 2 + rng.uniform(-0.22, 0.22) * scene.vw
        actors = [Actor(thing, np.full(n, x0), np.full(n, y_act), np.zeros(n))]
        hands, names, span = [], [_name(rng, thing)], (x0 - thing.width, x0 + thing.width)
        z1 = rng.uniform(1.5, 2.2)
        centre = (x0 + rng.uniform(-0.1, 0.1) * thing.width, y_act - thing.height * rng.uniform(0.35, 0.6))
        target = (centre, z1)

    # Still clutter: behind the action it is baked into the backdrop, in front of it pasted per frame.
    behind, front = [], []
    for _ in range(int(rng.integers(2, 6))):
        y = rng.uniform(scene.y_back + 0.04 * scene.vh, min(scene.y_front, scene.ch) - 0.03 * scene.vh)
        x = rng.uniform(scene.vx - 0.05 * scene.vw, scene.vx + 1.05 * scene.vw)
        in_front = y > y_act - 0.04 * scene.vh
        near = y > y_act - 0.15 * scene.vh
        if near and span[0] - 0.1 * scene.vw < x < span[1] + 0.1 * scene.vw:
            continue  # it would hide the action, or be hidden by it
        thing = _make_thing(rng, str(rng.choice(CLUTTER_KINDS)), scene, y)
        (front if in_front else behind).append((y, x, thing))
    for y, x, thing in sorted(behind, key=lambda item: item[0]):
        thing.paste_shadow(canvas, x, y, 1.0)
        thing.paste(canvas, x, y)

    shake = rng.uniform(0.3, 1.0) * (1.6 if kind == "approach" else 1.0)
    cx, cy, zoom, roll = _camera_path(rng, scene, n, shake, target)
    frames = np.empty((n, HEIGHT, width, 3), np.uint8)
    photo = _Photometry(rng, scene, n)
    exposure = rng.uniform(0.3, 0.7)  # fraction of a frame the shutter is open: motion blur length
    for t in range(n):
        im = canvas.copy()
        for actor in actors:
            lift = float(actor.lift[t])
            strength = max(0.0, 1 - lift / (0.5 * scene.vh))
            actor.thing.paste_shadow(im, actor.x[t], actor.y[t], strength)
        for actor in sorted(actors, key=lambda a: a.y[0]):
            _paste_moving(
                im, actor.thing.image, actor.thing.ax, actor.thing.ay, actor.x, actor.y - actor.lift, t, exposure
            )
        for y, x, thing in sorted(front, key=lambda item: item[0]):
            thing.paste_shadow(im, x, y, 1.0)
            thing.paste(im, x, y)
        for hand in hands:
            drawn = _draw_hand(
                hand.style, hand.tip[t], float(hand.angle[t]), float(hand.arm[t]), float(hand.grip[t]), scene
            )
            if drawn is None:
                continue
            layer, (lx, ly) = drawn
            _paste_moving(im, layer, -lx, -ly, hand.tip[:, 0], hand.tip[:, 1], t, exposure, at_anchor=hand.tip[t])
        # Fast camera motion blurs the frame too: average a few views along the motion.
        moves = [(cx[t], cy[t], zoom[t], roll[t])]
        if t > 0:
            dist = math.hypot(cx[t] - cx[t - 1], cy[t] - cy[t - 1]) + abs(zoom[t] - zoom[t - 1]) * scene.vw
            if dist * exposure > 3 * SS:
                for s in (0.33, 0.66):
                    k = s * exposure
                    moves.append(tuple(v[t] * (1 - k) + v[t - 1] * k for v in (cx, cy, zoom, roll)))
        view = sum(_view(im, scene, *m) for m in moves) / len(moves)
        frames[t] = photo.apply(view, t)
    return frames, names


def _paste_moving(
    im: Image.Image,
    sprite: Image.Image,
    ax: float,
    ay: float,
    xs: np.ndarray,
    ys: np.ndarray,
    t: int,
    exposure: float,
    at_anchor: np.ndarray | None = None,
) -> None:
    """Paste a sprite whose anchor follows (xs, ys), smeared along its velocity when it moves fast.

    The velocity is a central difference, so a clip played backwards blurs exactly as it did forwards.
    """
    n = len(xs)
    t0, t1 = max(t - 1, 0), min(t + 1, n - 1)
    dx = (xs[t1] - xs[t0]) / max(t1 - t0, 1) * exposure
    dy = (ys[t1] - ys[t0]) / max(t1 - t0, 1) * exposure
    if at_anchor is not None:  # a layer drawn in place: its anchor is its own top-left
        x, y = 0.0, 0.0
    else:
        x, y = float(xs[t]), float(ys[t])
    if math.hypot(dx, dy) > 2.0:
        sprite, ox, oy = _smear(sprite, dx, dy)
    else:
        ox, oy = 0, 0
    im.paste(sprite, (int(round(x - ax)) + ox, int(round(y - ay)) + oy), sprite)


class _Photometry:
    """Per-frame light and sensor: window light drifting, exposure, white balance, vignette, noise."""

    def __init__(self, rng: np.random.Generator, scene: Scene, n: int):
        w, h = scene.width, HEIGHT
        self.rng = rng
        xs = np.linspace(-1, 1, w, dtype=np.float32)
        ys = np.linspace(-1, 1, h, dtype=np.float32)
        self.xs, self.ys = xs, ys
        # A soft bright patch from a window, drifting across (either way) as clouds or the phone move.
        self.win_x = rng.uniform(-1.2, 1.2) + np.linspace(0, rng.uniform(-0.6, 0.6), n)
        self.win_y = rng.uniform(-1.0, 0.3)
        self.win_sx, self.win_sy = rng.uniform(0.4, 1.0), rng.uniform(0.5, 1.2)
        self.win_k = rng.uniform(0.08, 0.35) * (1 + 0.3 * _wobble(rng, n, 1.0, 0.05, 0.4))
        exposure = 1 + _wobble(rng, n, rng.uniform(0.01, 0.05), 0.05, 0.8)
        if rng.random() < 0.4:  # a cloud passing: a step in brightness, either way
            step = 1 / (1 + np.exp(-(np.arange(n) - rng.uniform(0, n)) / rng.uniform(1, 4)))
            exposure = exposure * (1 + rng.choice([-1, 1]) * rng.uniform(0.05, 0.15) * step)
        self.exposure = exposure * rng.uniform(0.85, 1.1)
        warm = rng.uniform(-0.08, 0.08)
        drift = _wobble(rng, n, 0.015, 0.05, 0.3)
        self.balance = np.stack([1 + warm + drift, np.ones(n), 1 - warm - drift], axis=1).astype(np.float32)
        r2 = xs[None, :] ** 2 * (w / h) ** 2 / 3 + ys[:, None] ** 2
        self.vignette = (1 - rng.uniform(0.1, 0.3) * r2 / r2.max()).astype(np.float32)
        self.saturation = rng.uniform(0.8, 1.15)
        noise = rng.uniform(1.5, 4.5)  # in 8-bit steps
        self.bank = rng.standard_normal((3, h, w + 64, 3), dtype=np.float32) * noise
        self.curve = (np.linspace(0, 1, 1024, dtype=np.float32) ** rng.uniform(0.88, 1.12) * 255 + 0.5).astype(
            np.float32
        )

    def apply(self, img: np.ndarray, t: int) -> np.ndarray:
        """Light, colour and noise for frame `t` of a view (floats 0..1) -> uint8 frame."""
        gx = np.exp(-(((self.xs - self.win_x[t]) / self.win_sx) ** 2))
        gy = np.exp(-(((self.ys - self.win_y) / self.win_sy) ** 2))
        light = (1 + self.win_k[t] * np.outer(gy, gx)) * self.vignette * self.exposure[t]
        # White balance and saturation together are one 3x3 colour matrix.
        grey = np.full((3, 3), (1 - self.saturation) / 3, np.float32) + np.eye(3, dtype=np.float32) * self.saturation
        matrix = (self.balance[t][:, None] * grey).astype(np.float32)
        out = (img * light[..., None]).reshape(-1, 3) @ matrix
        out = self.curve[(np.clip(out, 0, 1) * 1023).astype(np.int16)]  # gamma, by table
        # Sensor noise from a small bank of noise frames, at a random offset: fresh-looking and cheap.
        k, dx = self.rng.integers(len(self.bank)), self.rng.integers(0, self.bank.shape[2] - img.shape[1] + 1)
        out = out.reshape(img.shape) + self.bank[k, :, dx : dx + img.shape[1]]
        return np.clip(out, 0, 255).astype(np.uint8)


# ----------------------------------------------------------------------------------------------
# Writing the dataset
# ----------------------------------------------------------------------------------------------


def write_webm(path: Path, frames: np.ndarray) -> None:
    """Encode uint8 RGB frames (T, H, W, 3) as VP9 in WebM, yuv420p, at 12 fps."""
    height, width = frames.shape[1:3]
    with av.open(str(path), mode="w", format="webm", options={"fflags": "+bitexact"}) as container:
        stream = container.add_stream("libvpx-vp9", rate=FPS)
        stream.width, stream.height = width, height  # VP9 codes odd widths such as 427
        stream.pix_fmt = "yuv420p"
        stream.options = {"deadline": "realtime", "cpu-used": "8", "crf": str(CRF), "b:v": "0"}
        for frame in frames:
            for packet in stream.encode(av.VideoFrame.from_ndarray(frame, format="rgb24")):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)


def video_frames(seed: int, video_id: int, cls: str) -> tuple[np.ndarray, list[str]]:
    """The frames and placeholders of video `video_id` of class `cls`: a forward clip, reversed for the second class of a pair."""
    kind, backwards = CLASSES[cls]
    rng = np.random.default_rng([seed, video_id])
    frames, names = render_clip(kind, rng)
    return (frames[::-1].copy() if backwards else frames), names


def _job(job: tuple[int, int, str, str]) -> tuple[int, list[str]]:
    """Render and write one video; returns its id and placeholders."""
    seed, video_id, cls, folder = job
    frames, names = video_frames(seed, video_id, cls)
    write_webm(Path(folder) / f"{video_id}.webm", frames)
    return video_id, names


def _worker_job() -> Callable[[tuple[int, int, str, str]], tuple[int, list[str]]]:
    """`_job`, reached through a module name that a spawned child process can import.

    When this file was loaded by path under a name that is not importable, the children would fail
    to unpickle the function; importing it from its own folder gives it a name they can resolve.
    """
    spec = importlib.util.find_spec(__name__) if __name__ not in ("__main__", "__mp_main__") else None
    if __name__ in ("__main__", "__mp_main__") or (spec is not None and spec.origin == __file__):
        return _job
    folder = str(Path(__file__).resolve().parent)
    if folder not in sys.path:
        sys.path.insert(0, folder)
    return importlib.import_module(Path(__file__).stem)._job


def _template(cls: str) -> str:
    """The SSv2 template of a class: each "something" as "[something]"."""
    return re.sub(r"\bsomething\b", "[something]", cls)


def _label(cls: str, names: list[str]) -> str:
    """The free-text label: the template with its placeholders filled, lower-cased first letter as in SSv2."""
    parts = _template(cls).split("[something]")
    text = parts[0] + "".join(name + part for name, part in zip(names, parts[1:]))
    return text[:1].lower() + text[1:]


def make_kitchen(
    root: Path,
    seed: int,
    labels_file: Path,
    train_per_class: int = 24,
    validation_per_class: int = 8,
    test_per_class: int = 2,
    workers: int = 2,
) -> None:
    """Write the kitchen dataset under `root` in the SSv2 layout."""
    root = Path(root)
    names = [line.strip() for line in Path(labels_file).read_text(encoding="utf-8").splitlines() if line.strip()]
    missing = [cls for cls in CLASSES if cls not in names]
    if missing:
        raise ValueError(f"{labels_file}: the labels file lacks the kitchen classes {missing}")
    labels_dir, video_dir = root / "labels", root / "20bn-something-something-v2"
    labels_dir.mkdir(parents=True, exist_ok=True)
    video_dir.mkdir(parents=True, exist_ok=True)
    with open(labels_dir / "something-something-v2-labels.json", "w", encoding="utf-8") as fh:
        json.dump({name: str(i) for i, name in enumerate(names)}, fh, indent=1, ensure_ascii=False)

    counts = {"train": train_per_class, "validation": validation_per_class, "test": test_per_class}
    slots = [(split, cls) for cls in CLASSES for split, count in counts.items() for _ in range(count)]
    rng = np.random.default_rng(seed)
    ids = rng.choice(MAX_ID, size=len(slots), replace=False) + 1
    order = rng.permutation(len(slots))  # interleave classes and splits
    entries = [(int(ids[i]), *slots[j]) for i, j in enumerate(order)]
    jobs = [(seed, video_id, cls, str(video_dir)) for video_id, _, cls in entries]

    placeholders: dict[int, list[str]] = {}
    progress = tqdm(total=len(jobs), desc="kitchen", unit="video")
    if workers > 1 and len(jobs) > 1:
        # spawn: the parent may hold torch's threads, which fork would copy in a broken state.
        context = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(min(workers, len(jobs)), mp_context=context) as pool:
            for video_id, names_ in pool.map(_worker_job(), jobs):
                placeholders[video_id] = names_
                progress.update()
    else:
        for job in jobs:
            video_id, names_ = _job(job)
            placeholders[video_id] = names_
            progress.update()
    progress.close()

    splits: dict[str, list[dict]] = {split: [] for split in counts}
    for video_id, split, cls in entries:
        if split == "test":
            splits[split].append({"id": str(video_id)})
            continue
        filled = placeholders[video_id]
        splits[split].append(
            {"id": str(video_id), "label": _label(cls, filled), "template": _template(cls), "placeholders": filled}
        )
    for split, items in splits.items():
        with open(labels_dir / f"something-something-v2-{split}.json", "w", encoding="utf-8") as fh:
            json.dump(items, fh, indent=1, ensure_ascii=False)


def main() -> None:
    """Command line: write the kitchen dataset under ROOT."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
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
    make_kitchen(
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
