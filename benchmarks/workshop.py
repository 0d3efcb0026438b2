"""Workshop: synthetic Something-Something V2 clips filmed over a garage workbench.

Scene
  A workbench seen by a hand-held phone from the front, 30-60 degrees down, in
  perspective: a plywood, plank, hardboard or scratched steel top with oil stains,
  sawdust, paint drips and pencil marks, often a pegboard (with hanging tools),
  brick, block or painted wall behind it. It is lit by a fluorescent tube (flicker)
  or a warm lamp (a light pool), with a slow exposure drift and a vignette. On the
  bench stand 2-8 still workshop things (paint cans, spray cans, jars of screws,
  screw boxes, wood blocks, drills, tape rolls, tape measures, rags, screwdrivers,
  wrenches, hammers, clamps, pliers), drawn as shaded shapes with soft contact
  shadows; kinds, colours and sizes are drawn independently of the class. A hand and
  arm (random skin tone, sleeve or work glove) does the manipulation. The camera
  shakes, the sensor is noisy, fast motion is blurred, and the action (40-80 % of
  the clip, at a random speed) sits between random idle stretches.

Classes: four time-reversal pairs of real SSv2 classes
  Pushing something from left to right / Pushing something from right to left
  Moving something up / Moving something down
  Moving something and something closer to each other / ... away from each other
  Approaching something with your camera / Moving away from something with your camera
  A clip of each pair's second class is a fresh draw of the first class's kind of
  clip, written with its frames in reverse order: only frame order tells a pair apart.

Layout (the official download's)
  ROOT/labels/something-something-v2-labels.json      all classes of --labels-file
  ROOT/labels/something-something-v2-train.json       [{id, label, template, placeholders}]
  ROOT/labels/something-something-v2-validation.json  the same schema
  ROOT/labels/something-something-v2-test.json        [{id}]
  ROOT/20bn-something-something-v2/<id>.webm          VP9, 12 fps, 240 px high, 24-60 frames

Each clip is drawn from its own generator seeded with (seed, id): the same seed gives
the same dataset, whatever the number of workers.
"""

from __future__ import annotations

import argparse
import json
import math
import multiprocessing
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFilter
from tqdm import tqdm

from ssv2.video import write_video

HEIGHT = 240
WIDTHS = (427, 320, 240, 180)  # VP9 codes odd widths, so SSv2's 427 stays
WIDTH_WEIGHTS = (0.6, 0.2, 0.12, 0.08)
MAX_ID = 220847  # official ids run 1..220847
SS = 2  # the scene is drawn at twice the output size, then box-filtered down: cheap antialiasing
MARGIN = 0.1  # canvas border (fraction of each side) that hand-held shake may bring into view
TEXEL = 5.0  # bench and wall texels per cm
SUPER = 1.5  # lying objects are drawn this much larger, then rotated and squashed down
MAX_ZOOM = 4  # a thing scaled past this many times the canvas's longer side is behind or beside the camera

# Each pair's second class is its first class played backwards.
PAIRS = {
    "Pushing something from left to right": "Pushing something from right to left",
    "Moving something up": "Moving something down",
    "Moving something and something closer to each other": "Moving something and something away from each other",
    "Approaching something with your camera": "Moving away from something with your camera",
}
# class name -> (the class whose kind of clip is drawn, whether its frames are reversed)
CLASSES: dict[str, tuple[str, bool]] = {
    **{first: (first, False) for first in PAIRS},
    **{second: (first, True) for first, second in PAIRS.items()},
}

# Painted and plastic parts; the name goes into the placeholder text.
COLOURS = {
    "red": (0.72, 0.1, 0.08),
    "blue": (0.1, 0.25, 0.65),
    "green": (0.12, 0.45, 0.18),
    "yellow": (0.92, 0.74, 0.08),
    "orange": (0.92, 0.42, 0.06),
    "black": (0.09, 0.09, 0.1),
    "white": (0.88, 0.88, 0.85),
    "grey": (0.48, 0.49, 0.5),
    "purple": (0.38, 0.18, 0.5),
    "teal": (0.05, 0.5, 0.5),
    "brown": (0.42, 0.26, 0.14),
    "pink": (0.9, 0.45, 0.6),
}
METAL = np.array([0.7, 0.71, 0.74])
SKINS = (
    (0.96, 0.8, 0.69),
    (0.9, 0.72, 0.58),
    (0.8, 0.6, 0.45),
    (0.66, 0.46, 0.32),
    (0.5, 0.34, 0.23),
    (0.36, 0.24, 0.16),
)
GLOVES = (
    (0.78, 0.62, 0.4),
    (0.16, 0.16, 0.18),
    (0.22, 0.33, 0.62),
    (0.92, 0.55, 0.1),
    (0.85, 0.82, 0.7),
    (0.5, 0.52, 0.55),
)
SLEEVES = (
    (0.2, 0.28, 0.45),
    (0.35, 0.36, 0.38),
    (0.08, 0.08, 0.09),
    (0.6, 0.12, 0.1),
    (0.3, 0.35, 0.22),
    (0.12, 0.15, 0.28),
    (0.7, 0.7, 0.68),
    (0.55, 0.4, 0.25),
)


# ---------------------------------------------------------------- small helpers


def _unit(v) -> np.ndarray:
    v = np.asarray(v, dtype=float)
    return v / max(float(np.linalg.norm(v)), 1e-9)


def _smooth(u: float) -> float:
    u = min(max(u, 0.0), 1.0)
    return u * u * (3 - 2 * u)


def _pick(rng: np.random.Generator, options):
    return options[int(rng.integers(len(options)))]


def _colour(rng: np.random.Generator, names=tuple(COLOURS)) -> tuple[str, np.ndarray]:
    name = _pick(rng, names)
    return name, np.clip(np.array(COLOURS[name]) * rng.uniform(0.88, 1.12, 3), 0, 1)


def _grey(rng: np.random.Generator, level: float) -> np.ndarray:
    return np.full(3, level * rng.uniform(0.9, 1.1))


def _rgb(colour, factor: float = 1.0) -> tuple[int, int, int]:
    r, g, b = np.clip(np.asarray(colour) * factor * 255, 0, 255).astype(int)
    return int(r), int(g), int(b)


def _noise(rng: np.random.Generator, rows: int, cols: int, cell_rows: float, cell_cols: float) -> np.ndarray:
    """Smooth random field (spread about 1) whose blobs are about cell_rows x cell_cols pixels."""
    grid = (max(2, round(rows / cell_rows) + 2), max(2, round(cols / cell_cols) + 2))
    small = Image.fromarray(rng.standard_normal(grid).astype(np.float32))
    return np.asarray(small.resize((cols, rows), Image.Resampling.BICUBIC))


def _cyl(x: np.ndarray, lo: float, hi: float, light: float, spec: float = 0.25, ambient: float = 0.42) -> np.ndarray:
    """Lambert shading plus a highlight across a cylinder spanning lo..hi of coordinate x."""
    s = np.clip((x - (lo + hi) / 2) / max((hi - lo) / 2, 1e-3), -0.99, 0.99)
    nz = np.sqrt(1 - s * s)
    lz = math.sqrt(1 - light * light)
    diffuse = np.clip(s * light + nz * lz, 0, 1)
    hx, hz = light, lz + 1  # half-way between the light and a viewer straight in front
    highlight = np.clip((s * hx + nz * hz) / math.hypot(hx, hz), 0, 1) ** 18
    return ambient + (1 - ambient) * diffuse + spec * highlight


def _overlap(a: np.ndarray, b: np.ndarray) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def _grow(box: np.ndarray, by: float) -> np.ndarray:
    return np.asarray(box, float) + np.array([-by, -by, by, by])


class Wave:
    """A smooth random signal (a few sines) that can be read at any time, so sub-frame samples agree."""

    def __init__(self, rng: np.random.Generator, rms: float, lo: float, hi: float, count: int = 3) -> None:
        self.freq = rng.uniform(lo, hi, count)  # cycles per frame
        self.phase = rng.uniform(0, 2 * math.pi, count)
        weights = rng.uniform(0.4, 1.0, count)
        self.amp = rms * weights / math.sqrt(float(np.sum(weights**2)) / 2)

    def __call__(self, t: float) -> float:
        return float(np.sum(self.amp * np.sin(2 * math.pi * self.freq * t + self.phase)))


# ---------------------------------------------------------------- camera and light


@dataclass
class Camera:
    """A pinhole camera in world centimetres (z up, bench top at z = 0); image y grows downwards."""

    pos: np.ndarray
    rot: np.ndarray  # rows: right, up, forward
    focal: float  # canvas pixels
    cx: float
    cy: float

    @classmethod
    def look_at(cls, pos, target, roll: float, focal: float, cx: float, cy: float) -> Camera:
        fwd = _unit(np.asarray(target, float) - pos)
        right = _unit(np.cross(fwd, (0.0, 0.0, 1.0)))
        up = np.cross(right, fwd)
        c, s = math.cos(roll), math.sin(roll)
        return cls(np.asarray(pos, float), np.stack([c * right + s * up, c * up - s * right, fwd]), focal, cx, cy)

    def depth(self, p) -> float:
        return float(self.rot[2] @ (np.asarray(p, float) - self.pos))

    def project(self, p) -> np.ndarray:
        x, y, z = self.rot @ (np.asarray(p, float) - self.pos)
        return np.array([self.cx + self.focal * x / z, self.cy - self.focal * y / z])

    def ray(self, u: float, v: float) -> np.ndarray:
        return self.rot.T @ np.array([(u - self.cx) / self.focal, -(v - self.cy) / self.focal, 1.0])

    def homography(self, origin, ex, ey) -> np.ndarray:
        """Maps texel (i, j, 1) of the plane origin + i*ex + j*ey to depth * (u, v, 1)."""
        k = np.array([[self.focal, 0, self.cx], [0, -self.focal, self.cy], [0, 0, 1.0]])
        return k @ self.rot @ np.column_stack([ex, ey, np.asarray(origin, float) - self.pos])


@dataclass
class Light:
    """One point light (a high fluorescent tube or a low lamp) plus ambient light."""

    pos: np.ndarray
    ambient: float
    colour: np.ndarray
    flicker: float  # relative frame-to-frame brightness swing
    lamp: bool

    def __post_init__(self) -> None:
        self.e0 = self.pos[2] / float(np.sum(self.pos**2)) ** 1.5  # direct light at the view centre

    def on_bench(self, x, y):
        r2 = (self.pos[0] - x) ** 2 + (self.pos[1] - y) ** 2 + self.pos[2] ** 2
        return np.clip(self.ambient + (1 - self.ambient) * self.pos[2] / r2**1.5 / self.e0, 0.15, 1.7)

    def on_wall(self, x, z, y_wall: float):
        dy = max(y_wall - self.pos[1], 5.0)
        r2 = (self.pos[0] - x) ** 2 + dy**2 + (self.pos[2] - z) ** 2
        return np.clip(0.9 * self.ambient + (1 - self.ambient) * dy / r2**1.5 / self.e0, 0.15, 1.5)


# ---------------------------------------------------------------- sprites


@dataclass
class View:
    """How one object is seen: e squashes horizontal circles, c shortens verticals."""

    e: float
    c: float
    light: float  # -1..1, where the light sits, left to right
    bright: float  # light falling on the object


class Painter:
    """An RGBA sprite under construction: parts are PIL-drawn masks filled with shaded colour."""

    def __init__(self, width: float, height: float) -> None:
        self.w, self.h = max(4, math.ceil(width)), max(4, math.ceil(height))
        self.rgb = np.zeros((self.h, self.w, 3), np.float32)  # premultiplied by alpha
        self.alpha = np.zeros((self.h, self.w), np.float32)
        self.ys, self.xs = np.mgrid[0 : self.h, 0 : self.w].astype(np.float32) + 0.5

    def shape(self, draw: Callable[[ImageDraw.ImageDraw], object]) -> np.ndarray:
        img = Image.new("L", (self.w, self.h))
        draw(ImageDraw.Draw(img))
        return np.asarray(img, dtype=np.float32) / 255

    def ellipse(self, cx: float, cy: float, rx: float, ry: float, width: float = 0) -> np.ndarray:
        box = [cx - rx, cy - max(ry, 0.5), cx + rx, cy + max(ry, 0.5)]
        if width:
            return self.shape(lambda d: d.ellipse(box, outline=255, width=max(1, round(width))))
        return self.shape(lambda d: d.ellipse(box, fill=255))

    def rect(self, x0: float, y0: float, x1: float, y1: float) -> np.ndarray:
        return self.shape(lambda d: d.rectangle([x0, y0, max(x0, x1), max(y0, y1)], fill=255))

    def rounded(self, x0: float, y0: float, x1: float, y1: float, radius: float) -> np.ndarray:
        box = [x0, y0, max(x0 + 1, x1), max(y0 + 1, y1)]
        return self.shape(lambda d: d.rounded_rectangle(box, radius=max(0, radius), fill=255))

    def polygon(self, points) -> np.ndarray:
        return self.shape(lambda d: d.polygon([(float(x), float(y)) for x, y in points], fill=255))

    def capsule(self, p0, p1, r: float) -> np.ndarray:
        return self.shape(lambda d: _capsule(d, p0, p1, r, 255))

    def band(self, cx: float, rx: float, ry: float, top: float, bottom: float) -> np.ndarray:
        """The side of an upright cylinder between the front arcs of ellipses centred at top and bottom."""

        def draw(d: ImageDraw.ImageDraw) -> None:
            d.rectangle([cx - rx, top, cx + rx, max(top, bottom)], fill=255)
            d.ellipse([cx - rx, bottom - ry, cx + rx, bottom + ry], fill=255)
            d.ellipse([cx - rx, top - ry, cx + rx, top + ry], fill=0)

        return self.shape(draw)

    def fill(self, mask: np.ndarray, colour, shade=1.0, opacity: float = 1.0) -> None:
        m = (mask * opacity)[..., None]
        shade = np.asarray(shade, np.float32)
        col = np.asarray(colour, np.float32) * (shade[..., None] if shade.ndim else shade)
        self.rgb = self.rgb * (1 - m) + col * m
        self.alpha = self.alpha * (1 - m[..., 0]) + m[..., 0]

    def erase(self, mask: np.ndarray) -> None:
        keep = 1 - mask
        self.rgb *= keep[..., None]
        self.alpha *= keep

    def cylinder(
        self, cx: float, bottom: float, rx: float, height: float, v: View, colour, spec=0.25, top=None
    ) -> float:
        """An upright cylinder standing at (cx, bottom) with a flat top; returns the top ellipse's centre y."""
        ry, top_y = rx * v.e, bottom - height * v.c
        self.fill(self.band(cx, rx, ry, top_y, bottom), colour, _cyl(self.xs[:1], cx - rx, cx + rx, v.light, spec))
        lid = np.asarray(colour) * 1.1 if top is None else top
        self.fill(self.ellipse(cx, top_y, rx, ry), lid, 1.0 - 0.12 * (self.ys[:, :1] - top_y) / max(ry, 1))
        return top_y

    def cuboid(self, x0: float, bottom: float, w: float, d: float, h: float, v: View, skew: float):
        """Front, top and side masks of a box, plus the side's shade (lit or not)."""
        hf, dt, sk = h * v.c, d * v.e, skew * d * 0.5
        yt = bottom - hf
        front = self.rect(x0, yt, x0 + w, bottom)
        top = self.polygon([(x0, yt), (x0 + w, yt), (x0 + w + sk, yt - dt), (x0 + sk, yt - dt)])
        xe = x0 + w if sk > 0 else x0
        side = self.polygon([(xe, bottom), (xe, yt), (xe + sk, yt - dt), (xe + sk, bottom - dt)])
        return front, top, side, (0.95 if (sk > 0) == (v.light > 0) else 0.62)

    def image(self, bright: float = 1.0) -> Image.Image:
        rgb = self.rgb / np.maximum(self.alpha, 1e-6)[..., None] * bright
        out = np.empty((self.h, self.w, 4), np.uint8)
        out[..., :3] = np.clip(rgb * 255 + 0.5, 0, 255)
        out[..., 3] = np.clip(self.alpha * 255 + 0.5, 0, 255)
        return Image.fromarray(out)


def _capsule(d: ImageDraw.ImageDraw, p0, p1, r: float, fill) -> None:
    (x0, y0), (x1, y1) = p0, p1
    d.line([(float(x0), float(y0)), (float(x1), float(y1))], fill=fill, width=max(1, round(2 * r)))
    for x, y in ((x0, y0), (x1, y1)):
        d.ellipse([x - r, y - r, x + r, y + r], fill=fill)


@dataclass
class Drawn:
    """A finished sprite: straight-alpha RGBA, the ground point it stands on, its contact footprint."""

    image: Image.Image
    anchor: np.ndarray
    foot: tuple[float, float]
    flat: bool
    name: str


# Upright objects are drawn straight in view, `size` px tall (canvas pixels).


def _paint_can(rng, size: float, v: View):
    ratio = rng.uniform(0.8, 1.25)  # height / diameter
    d = size / (ratio * v.c + v.e)
    rx, ry = d / 2, d / 2 * v.e
    p = Painter(d + 4, size + 0.5 * d * v.c + 4)
    cx, bottom = p.w / 2, p.h - ry - 2
    metal = METAL * rng.uniform(0.9, 1.08)
    shade = _cyl(p.xs[:1], cx - rx, cx + rx, v.light, 0.2)
    top = p.cylinder(cx, bottom, rx, ratio * d, v, metal, spec=0.5)
    cname, paint = _colour(rng)
    h = bottom - top
    hi, lo = top + 0.14 * h, bottom - 0.08 * h
    if rng.random() < 0.5:
        p.fill(p.band(cx, rx, ry, hi, lo), paint, shade)
    else:  # white label with a colour stripe
        p.fill(p.band(cx, rx, ry, hi, lo), _grey(rng, 0.9), shade)
        p.fill(p.band(cx, rx, ry, hi + 0.35 * (lo - hi), hi + 0.6 * (lo - hi)), paint, shade)
    for _ in range(rng.integers(1, 4)):  # lettering
        y, x = rng.uniform(hi + 0.1 * (lo - hi), lo - 0.15 * (lo - hi)), cx + rng.uniform(-0.7, 0.2) * rx
        p.fill(p.rect(x, y, x + rng.uniform(0.2, 0.6) * rx, y + max(1.5, 0.05 * h)), _grey(rng, 0.15), shade, 0.8)
    for _ in range(rng.integers(0, 4)):  # paint runs down the side
        x = cx + rng.uniform(-0.8, 0.8) * rx
        y = top + ry * math.sqrt(max(0.0, 1 - ((x - cx) / rx) ** 2))
        p.fill(p.capsule((x, y), (x, y + rng.uniform(0.05, 0.45) * h), max(1.0, 0.035 * d)), paint, shade)
    p.fill(p.ellipse(cx, top, rx * 0.85, ry * 0.85), paint if rng.random() < 0.15 else metal * 0.92, 1.02)
    p.fill(p.ellipse(cx, top, rx * 0.92, ry * 0.92, width=max(1.0, 0.02 * d)), metal * 0.6)
    if rng.random() < 0.6:  # wire bail handle, folded up
        box = [cx - rx * 1.02, top - 0.9 * rx * v.c, cx + rx * 1.02, top + ry]
        p.fill(p.shape(lambda dr: dr.arc(box, 180, 360, fill=255, width=max(1, round(0.03 * d)))), _grey(rng, 0.35))
    names = (f"{cname} paint can", "paint can", f"can of {cname} paint", "tin of paint", "paint tin")
    return p, (cx, bottom), (rx, ry), _pick(rng, names)


def _spray_can(rng, size: float, v: View):
    ratio = rng.uniform(2.6, 3.6)
    d = size / ((ratio + 0.3 + 0.5) * v.c + 0.9 * v.e)
    rx, ry = d / 2, d / 2 * v.e
    p = Painter(d + 4, size + 4)
    cx, bottom = p.w / 2, p.h - ry - 2
    cname, body = _colour(rng)
    shade = _cyl(p.xs[:1], cx - rx, cx + rx, v.light, 0.45)
    top = p.cylinder(cx, bottom, rx, ratio * d, v, body, spec=0.45)
    if rng.random() < 0.7:  # printed band
        p.fill(p.band(cx, rx, ry, top + 0.3 * (bottom - top), top + 0.7 * (bottom - top)), _colour(rng)[1], shade)
    dome = 0.3 * d * v.c
    box = [cx - rx, top - ry - dome, cx + rx, top + ry + dome]
    shoulder = np.maximum(p.shape(lambda dr: dr.chord(box, 180, 360, fill=255)), p.ellipse(cx, top, rx, ry))
    p.fill(shoulder, METAL, shade)
    cap_y = p.cylinder(cx, top - 0.5 * dome, rx * 0.74, 0.5 * d, v, _colour(rng)[1] if rng.random() < 0.5 else body)
    p.fill(p.rect(cx - 0.08 * d, cap_y - 0.02 * d, cx + 0.08 * d, cap_y + 0.1 * d * v.c), _grey(rng, 0.12))
    names = ("spray can", f"{cname} spray can", "can of spray paint", f"{cname} spray paint", "lubricant spray")
    return p, (cx, bottom), (rx, ry), _pick(rng, names)


def _jar(rng, size: float, v: View):
    ratio, lid = rng.uniform(0.9, 1.5), rng.uniform(0.12, 0.22)
    d = size / ((ratio + lid) * v.c + v.e)
    rx, ry = d / 2, d / 2 * v.e
    p = Painter(d * 1.06 + 4, size + 4)
    cx, bottom = p.w / 2, p.h - ry - 2
    top = bottom - ratio * d * v.c
    shade = _cyl(p.xs[:1], cx - rx, cx + rx, v.light, 0.5)
    glass = np.array([0.78, 0.84, 0.84])
    body = p.band(cx, rx, ry, top, bottom)
    p.fill(body, glass, shade, 0.3)
    stuff, colour = _pick(
        rng, (("screws", 0.55), ("nails", 0.45), ("bolts", 0.4), ("washers", 0.62), ("brass screws", 0.7))
    )
    colour = (
        np.array([colour, colour * 0.95, colour * 0.9]) * (1.25, 1.0, 0.6) if "brass" in stuff else np.full(3, colour)
    )
    speck = 0.9 + 0.35 * _noise(rng, p.h, p.w, 1.5, 1.5).clip(-1, 1)  # a heap of small parts
    level = bottom - rng.uniform(0.3, 0.85) * (bottom - top)
    p.fill(p.band(cx, rx * 0.94, ry * 0.94, level, bottom - 0.03 * (bottom - top)), colour, shade * speck)
    p.fill(p.ellipse(cx, level, rx * 0.94, ry * 0.94), colour, 1.05 * speck)
    p.fill(body, glass, shade, 0.18)  # the glass in front of the contents
    xh = cx + (0.5 if v.light > 0 else -0.5) * rx
    p.fill(
        p.rect(xh - 0.05 * d, top + 0.15 * (bottom - top), xh + 0.05 * d, bottom - 0.1 * (bottom - top)),
        (1, 1, 1),
        1,
        0.4,
    )
    p.cylinder(
        cx, top + 0.3 * ry, rx * 1.03, lid * d, v, _colour(rng, ("red", "black", "white", "blue", "yellow"))[1], 0.5
    )
    names = (f"jar of {stuff}", "glass jar", f"jar with {stuff}", "jar")
    return p, (cx, bottom), (rx, ry), _pick(rng, names)


def _screw_box(rng, size: float, v: View):
    h, dd, skew = rng.uniform(0.35, 0.8), rng.uniform(0.5, 1.0), rng.uniform(-0.7, 0.7)
    w = size / (h * v.c + dd * v.e)
    sk = skew * dd * w * 0.5
    p = Painter(w + abs(sk) + 6, size + 4)
    x0, bottom = 3 + max(0.0, -sk), p.h - 2
    cardboard = rng.random() < 0.5
    cname, colour = ("cardboard", np.array([0.68, 0.52, 0.34]) * rng.uniform(0.85, 1.1)) if cardboard else _colour(rng)
    front, top, side, side_shade = p.cuboid(x0, bottom, w, dd * w, h * w, v, skew)
    p.fill(top, colour, 1.08)
    p.fill(side, colour, side_shade)
    p.fill(front, colour, 0.8)
    hf = h * w * v.c
    if rng.random() < 0.75:  # label with a screw drawn on it
        lx0, ly0, lx1, ly1 = x0 + 0.12 * w, bottom - 0.85 * hf, x0 + 0.88 * w, bottom - 0.15 * hf
        p.fill(p.rect(lx0, ly0, lx1, ly1), _grey(rng, 0.92), 0.85)
        ym = (ly0 + ly1) / 2
        p.fill(p.rect(lx0 + 0.1 * w, ym - 0.03 * hf, lx0 + 0.4 * w, ym + 0.03 * hf), _grey(rng, 0.4), 0.85)
        p.fill(p.rect(lx0 + 0.08 * w, ym - 0.12 * hf, lx0 + 0.12 * w, ym + 0.12 * hf), _grey(rng, 0.4), 0.85)
        for k in range(int(rng.integers(1, 4))):
            y = ly0 + (0.15 + 0.25 * k) * (ly1 - ly0)
            p.fill(p.rect(lx0 + 0.5 * w, y, lx1 - 0.05 * w, y + max(1.0, 0.06 * hf)), _grey(rng, 0.15), 0.85, 0.8)
    names = (
        "box of screws",
        "screw box",
        f"{cname} box" if not cardboard else "cardboard box",
        "box of nails",
        "small box",
    )
    anchor = (x0 + w / 2 + sk / 2, bottom - dd * w * v.e / 2)
    return p, anchor, (w / 2 + abs(sk) / 2, dd * w * v.e / 2 + 1), _pick(rng, names)


def _wood_block(rng, size: float, v: View):
    if rng.random() < 0.6:  # a length of timber lying on its side
        h, dd = rng.uniform(0.2, 0.45), rng.uniform(0.25, 0.6)
    else:
        h, dd = rng.uniform(0.6, 1.0), rng.uniform(0.6, 1.0)
    skew = rng.uniform(-0.8, 0.8)
    w = size / (h * v.c + dd * v.e)
    sk = skew * dd * w * 0.5
    p = Painter(w + abs(sk) + 6, size + 4)
    x0, bottom = 3 + max(0.0, -sk), p.h - 2
    wood = _pick(rng, ((0.86, 0.7, 0.48), (0.72, 0.52, 0.32), (0.55, 0.36, 0.22), (0.8, 0.66, 0.5)))
    wood = np.array(wood) * rng.uniform(0.9, 1.08)
    period = max(2.0, rng.uniform(0.04, 0.1) * size)
    grain = np.sin(2 * math.pi * (p.ys / period + 0.7 * _noise(rng, p.h, p.w, size * 0.3, size * 1.5)))
    front, top, side, side_shade = p.cuboid(x0, bottom, w, dd * w, h * w, v, skew)
    p.fill(top, wood, 1.08 * (0.94 + 0.06 * grain))
    p.fill(front, wood, 0.8 * (0.94 + 0.06 * grain))
    xe = x0 + w + sk / 2 if sk > 0 else x0 + sk / 2
    rings = np.sin(2 * math.pi * np.hypot(p.xs - xe, p.ys - bottom - 0.3 * size) / max(2.0, 0.05 * size))
    p.fill(side, wood * 0.9, side_shade * (0.93 + 0.07 * rings))
    names = ("block of wood", "wood block", "piece of wood", "wooden block", "offcut of wood")
    anchor = (x0 + w / 2 + sk / 2, bottom - dd * w * v.e / 2)
    return p, anchor, (w / 2 + abs(sk) / 2, dd * w * v.e / 2 + 1), _pick(rng, names)


def _drill(rng, size: float, v: View):
    u = size  # side view, battery to top of the body
    p = Painter(1.35 * u + 4, u + 4)
    cname, main = _colour(rng, ("yellow", "teal", "red", "blue", "orange", "green", "grey"))
    dark = _grey(rng, 0.12)
    ox, oy = 2, 2
    body = _cyl(p.ys[:, :1], oy, oy + 0.33 * u, -0.6, 0.35)
    p.fill(p.rounded(ox + 0.12 * u, oy, ox + 0.92 * u, oy + 0.33 * u, 0.14 * u), main, body)
    p.fill(p.ellipse(ox + 0.16 * u, oy + 0.165 * u, 0.07 * u, 0.15 * u), dark, body)
    for k in range(3):  # vents
        x = ox + (0.26 + 0.06 * k) * u
        p.fill(p.rect(x, oy + 0.1 * u, x + 0.025 * u, oy + 0.22 * u), dark, 1.0, 0.8)
    chuck = _cyl(p.ys[:, :1], oy + 0.08 * u, oy + 0.25 * u, -0.6, 0.5)
    p.fill(p.rect(ox + 0.92 * u, oy + 0.08 * u, ox + 1.1 * u, oy + 0.25 * u), dark * 1.6, chuck)
    p.fill(p.rect(ox + 1.1 * u, oy + 0.11 * u, ox + 1.16 * u, oy + 0.22 * u), METAL, chuck)
    if rng.random() < 0.6:
        p.fill(p.rect(ox + 1.16 * u, oy + 0.155 * u, ox + 1.32 * u, oy + 0.178 * u), METAL, 1.0)
    handle = [
        (ox + 0.42 * u, oy + 0.3 * u),
        (ox + 0.68 * u, oy + 0.3 * u),
        (ox + 0.62 * u, oy + 0.78 * u),
        (ox + 0.4 * u, oy + 0.78 * u),
    ]
    p.fill(p.polygon(handle), dark, _cyl(p.xs[:1], ox + 0.4 * u, ox + 0.68 * u, v.light, 0.2))
    back = [
        (ox + 0.42 * u, oy + 0.3 * u),
        (ox + 0.5 * u, oy + 0.3 * u),
        (ox + 0.46 * u, oy + 0.78 * u),
        (ox + 0.4 * u, oy + 0.78 * u),
    ]
    p.fill(p.polygon(back), main, 0.85)
    trigger = [
        (ox + 0.67 * u, oy + 0.34 * u),
        (ox + 0.73 * u, oy + 0.35 * u),
        (ox + 0.71 * u, oy + 0.47 * u),
        (ox + 0.65 * u, oy + 0.46 * u),
    ]
    p.fill(p.polygon(trigger), dark * 1.3, 1.0)
    battery = _cyl(p.ys[:, :1], oy + 0.74 * u, oy + u, -0.6, 0.2)
    p.fill(p.rounded(ox + 0.26 * u, oy + 0.74 * u, ox + 0.82 * u, oy + u, 0.04 * u), dark, battery)
    p.fill(p.rect(ox + 0.26 * u, oy + 0.8 * u, ox + 0.82 * u, oy + 0.86 * u), main, battery)
    if rng.random() < 0.5:  # facing left instead of right
        p.rgb, p.alpha = p.rgb[:, ::-1].copy(), p.alpha[:, ::-1].copy()
        bx = p.w - (ox + 0.54 * u)
    else:
        bx = ox + 0.54 * u
    rx = 0.3 * u
    names = ("drill", "cordless drill", "power drill", f"{cname} drill", "drill driver")
    return p, (bx, oy + u - rx * v.e * 0.6), (rx, rx * v.e * 0.8), _pick(rng, names)


def _tape_roll(rng, size: float, v: View):
    inner, tall = rng.uniform(0.55, 0.72), rng.uniform(0.3, 0.75)  # hole and tape width, per outer radius
    r = size / (2 * v.e + tall * v.c)
    p = Painter(2 * r + 4, size + 4)
    cx, bottom = p.w / 2, p.h - 2 - r * v.e
    top = bottom - tall * r * v.c
    kind = int(rng.integers(4))
    if kind == 0:
        colour, names = _grey(rng, 0.66) * (1, 1.01, 1.05), ("roll of duct tape", "duct tape", "silver tape")
    elif kind == 1:
        colour, names = np.array([0.88, 0.8, 0.58]) * rng.uniform(0.9, 1.05), ("masking tape", "roll of masking tape")
    elif kind == 2:
        cname, colour = _colour(rng, ("black", "red", "blue", "yellow", "green", "white"))
        names = (f"{cname} electrical tape", "electrical tape", f"roll of {cname} tape", "tape roll")
    else:
        colour, names = (
            np.array([0.7, 0.5, 0.28]) * rng.uniform(0.9, 1.1),
            ("packing tape", "roll of tape", "brown tape"),
        )
    p.fill(p.band(cx, r, r * v.e, top, bottom), colour, 0.85 * _cyl(p.xs[:1], cx - r, cx + r, v.light, 0.3))
    ring = np.hypot((p.xs - cx) / r, (p.ys - top) / max(r * v.e, 1))
    p.fill(p.ellipse(cx, top, r, r * v.e), colour, 1.04 + 0.04 * np.sin(ring * 2 * math.pi * rng.uniform(6, 12)))
    core = np.array([0.62, 0.48, 0.32]) * rng.uniform(0.85, 1.1)
    p.fill(p.ellipse(cx, top, r * inner, r * inner * v.e), core, 1.0)
    hole = r * inner * 0.88
    p.fill(p.ellipse(cx, top, hole, hole * v.e), core, 0.5)  # the inside wall of the core
    through = np.minimum(p.ellipse(cx, top, hole, hole * v.e), p.ellipse(cx, bottom, hole, hole * v.e))
    p.erase(through)  # where the bench shows through
    return p, (cx, bottom), (r, r * v.e), _pick(rng, names)


def _tape_measure(rng, size: float, v: View):
    dd, skew = rng.uniform(0.4, 0.55), rng.uniform(-0.5, 0.5)
    s = size / (v.c + dd * v.e)
    sk = skew * dd * s * 0.5
    p = Painter(1.25 * s + abs(sk) + 6, size + 4)
    x0, bottom = 3 + 0.17 * s + max(0.0, -sk), p.h - 2
    cname, case = _colour(rng, ("yellow", "black", "grey", "orange", "red", "blue"))
    front, top, side, side_shade = p.cuboid(x0, bottom, s, dd * s, s, v, skew)
    hf = s * v.c
    p.fill(top, case, 1.08)
    p.fill(side, case, side_shade)
    p.fill(p.rounded(x0, bottom - hf, x0 + s, bottom, 0.2 * min(s, hf)), case, 0.82)
    p.fill(p.ellipse(x0 + 0.5 * s, bottom - 0.55 * hf, 0.28 * s, 0.28 * hf), _grey(rng, 0.15), 0.9)
    p.fill(p.ellipse(x0 + 0.5 * s, bottom - 0.55 * hf, 0.28 * s, 0.28 * hf, width=max(1.0, 0.03 * s)), case, 1.1)
    p.fill(p.rect(x0, bottom - 0.16 * hf, x0 + s, bottom), _grey(rng, 0.12), 0.9)
    p.fill(p.rect(x0 - 0.15 * s, bottom - 0.1 * hf, x0 + 0.05 * s, bottom - 0.02 * hf), (0.92, 0.78, 0.1), 1.0)
    p.fill(p.rect(x0 - 0.17 * s, bottom - 0.14 * hf, x0 - 0.14 * s, bottom), METAL, 0.9)
    names = ("tape measure", "measuring tape", f"{cname} tape measure")
    anchor = (x0 + s / 2 + sk / 2, bottom - dd * s * v.e / 2)
    return p, anchor, (s / 2 + abs(sk) / 2, dd * s * v.e / 2 + 1), _pick(rng, names)


# Lying objects are drawn from above along +x at u px per cm, then laid down in view
# by _lying. Each returns (length cm, width cm, thickness cm, draw(u), name).


def _screwdriver(rng):
    length, dia, shaft = rng.uniform(14, 28), rng.uniform(2.3, 3.6), rng.uniform(0.45, 0.8)
    handle = length * rng.uniform(0.36, 0.46)
    cname, colour = _colour(rng)
    phillips, grip = rng.random() < 0.5, rng.random() < 0.5

    def draw(u: float) -> Painter:
        p = Painter(length * u + 4, dia * u + 4)
        x0, cy, r, sr = 2, p.h / 2, dia * u / 2, shaft * u / 2
        across = _cyl(p.ys[:, :1], cy - r, cy + r, -0.5, 0.35)
        p.fill(p.rounded(x0, cy - r, x0 + handle * u, cy + r, r * 0.8), colour, across)
        if grip:  # rubber over-moulding
            p.fill(
                p.rounded(x0 + 0.12 * handle * u, cy - r, x0 + 0.7 * handle * u, cy + r, r * 0.6),
                _grey(rng, 0.12),
                across,
            )
        else:  # flutes
            for off in (-0.5, 0.0, 0.5):
                y = cy + off * r
                p.fill(
                    p.rect(x0 + 0.1 * handle * u, y - 0.07 * r, x0 + 0.9 * handle * u, y + 0.07 * r),
                    colour * 0.55,
                    across,
                    0.7,
                )
        xs, xe = x0 + handle * u, x0 + length * u
        p.fill(
            p.rect(xs, cy - 0.55 * r, xs + 0.8 * u, cy + 0.55 * r),
            METAL,
            _cyl(p.ys[:, :1], cy - 0.55 * r, cy + 0.55 * r, -0.5, 0.8),
        )
        steel = _cyl(p.ys[:, :1], cy - sr, cy + sr, -0.5, 0.8)
        p.fill(p.rect(xs + 0.8 * u, cy - sr, xe - 1.2 * u, cy + sr), METAL, steel)
        if phillips:
            tip = [(xe - 1.2 * u, cy - sr), (xe, cy), (xe - 1.2 * u, cy + sr)]
        else:
            tip = [(xe - 1.2 * u, cy - sr), (xe, cy - 0.9 * sr), (xe, cy + 0.9 * sr), (xe - 1.2 * u, cy + sr)]
        p.fill(p.polygon(tip), METAL * 0.9, steel)
        return p

    kind = "phillips screwdriver" if phillips else "flathead screwdriver"
    return length, dia, 0.8, draw, _pick(rng, (f"{cname} screwdriver", "screwdriver", kind, "screw driver"))


def _wrench(rng):
    length = rng.uniform(12, 28)
    steel = METAL * rng.uniform(0.9, 1.08)
    jaw = math.radians(rng.uniform(10, 20))

    def draw(u: float) -> Painter:
        span = length * u
        p = Painter(span + 4, 0.32 * span + 4)
        x0, cy = 2, p.h / 2
        w0, w1 = 0.06 * span, 0.045 * span
        shaft = [
            (x0 + 0.12 * span, cy - w0),
            (x0 + 0.88 * span, cy - w1),
            (x0 + 0.88 * span, cy + w1),
            (x0 + 0.12 * span, cy + w0),
        ]
        p.fill(p.polygon(shaft), steel, _cyl(p.ys[:, :1], cy - w0, cy + w0, -0.4, 0.9))
        ro = 0.14 * span
        centre = np.array([x0 + ro, cy])
        p.fill(p.ellipse(centre[0], cy, ro, ro), steel, 1.0 - 0.15 * (p.ys - cy) / ro)
        out = np.array([-math.cos(jaw), -math.sin(jaw)])
        side, hw = np.array([-out[1], out[0]]), 0.045 * span
        p.erase(
            p.polygon(
                [
                    centre + side * hw,
                    centre + out * 1.6 * ro + side * hw,
                    centre + out * 1.6 * ro - side * hw,
                    centre - side * hw,
                ]
            )
        )
        p.erase(p.ellipse(centre[0], cy, hw, hw))
        rr, xr = 0.11 * span, x0 + span - 0.11 * span
        p.fill(p.ellipse(xr, cy, rr, rr), steel, 1.0 - 0.15 * (p.ys - cy) / rr)
        p.erase(p.ellipse(xr, cy, 0.06 * span, 0.06 * span))
        return p

    return length, 0.3 * length, 0.6, draw, _pick(rng, ("wrench", "spanner", "combination wrench", "metal wrench"))


def _hammer(rng):
    length, hw, head, hd = rng.uniform(24, 34), rng.uniform(2.3, 3.1), rng.uniform(10, 13), rng.uniform(2.2, 3.0)
    wood = rng.random() < 0.5
    cname, grip = _colour(rng, ("red", "black", "yellow", "orange", "blue", "green"))
    shaft = np.array([0.78, 0.6, 0.38]) * rng.uniform(0.85, 1.1) if wood else np.clip(grip * 1.3 + 0.1, 0, 1)
    steel = METAL * rng.uniform(0.55, 0.9)

    def draw(u: float) -> Painter:
        p = Painter(length * u + 4, head * u + 4)
        x0, cy, r = 2, 2 + 0.45 * head * u, hw * u / 2
        across = _cyl(p.ys[:, :1], cy - r, cy + r, -0.5, 0.3)
        p.fill(p.rounded(x0, cy - r, x0 + (length - 0.5 * hd) * u, cy + r, r * 0.9), shaft, across)
        if not wood:
            p.fill(p.rounded(x0, cy - 1.12 * r, x0 + 0.4 * length * u, cy + 1.12 * r, r), grip, across)
        hx0, hx1 = x0 + (length - hd) * u, x0 + length * u
        top, face = 2, 2 + head * u
        metal = _cyl(p.xs[:1], hx0, hx1, -0.3, 0.7)
        p.fill(p.rect(hx0, top + 0.3 * head * u, hx1, face - 0.2 * head * u), steel, metal)
        p.fill(
            p.rounded(hx0 - 0.12 * hd * u, face - 0.22 * head * u, hx1 + 0.12 * hd * u, face, 0.3 * hd * u),
            steel,
            metal,
        )
        claw = [
            (hx0, top + 0.3 * head * u),
            (hx1, top + 0.3 * head * u),
            (hx1 - 0.25 * hd * u, top),
            (hx0 + 0.25 * hd * u, top),
        ]
        p.fill(p.polygon(claw), steel, metal)
        mid = (hx0 + hx1) / 2
        p.erase(p.polygon([(mid - 0.14 * hd * u, top), (mid + 0.14 * hd * u, top), (mid, top + 0.28 * head * u)]))
        return p

    names = ("hammer", "claw hammer", f"{cname} hammer" if not wood else "wooden hammer")
    return length, head, 1.2, draw, _pick(rng, names)


def _clamp(rng):
    radius = rng.uniform(4, 8)
    cname, frame = _colour(rng, ("red", "blue", "orange", "grey", "black", "green"))

    def draw(u: float) -> Painter:
        r = radius * u
        th = 0.32 * r
        p = Painter(2.25 * r + 6, 2.4 * r + 6)
        cx, cy = 3 + r, 3 + 1.3 * r
        shade = 0.9 + 0.2 * (1 - (p.ys - (cy - r)) / (2 * r))
        p.fill(
            p.shape(lambda d: d.arc([cx - r, cy - r, cx + r, cy + r], 40, 320, fill=255, width=max(1, round(th)))),
            frame,
            shade,
        )
        mid = r - th / 2
        sx, ty, by = (
            cx + mid * math.cos(math.radians(40)),
            cy - mid * math.sin(math.radians(40)),
            cy + mid * math.sin(math.radians(40)),
        )
        for y in (ty, by):  # bosses at the frame's ends
            p.fill(p.ellipse(sx, y, 0.55 * th, 0.55 * th), frame, shade)
        rod = _cyl(p.xs[:1], sx - 0.06 * r, sx + 0.06 * r, -0.4, 0.8)
        p.fill(p.rect(sx - 0.06 * r, ty - 0.6 * r, sx + 0.06 * r, by - 0.5 * th), METAL, rod)
        p.fill(p.rect(sx - 0.45 * r, ty - 0.65 * r, sx + 0.45 * r, ty - 0.55 * r), METAL, 0.95)
        p.fill(p.ellipse(sx, by - 0.55 * th, 0.18 * r, 0.07 * r), METAL * 0.7, 1.0)
        return p

    return 2.25 * radius, 2.4 * radius, 1.5, draw, _pick(rng, ("c-clamp", "clamp", f"{cname} clamp", "g-clamp"))


def _pliers(rng):
    length, spread = rng.uniform(15, 22), math.radians(rng.uniform(4, 10))
    cname, grip = _colour(rng, ("red", "blue", "yellow", "orange", "black", "green"))
    half = 0.7 * length * math.tan(spread) + 0.06 * length

    def draw(u: float) -> Painter:
        span = length * u
        p = Painter(span + 4, 2 * half * u + 4)
        x0, cy = 2, p.h / 2
        steel = METAL * 0.8
        pivot = np.array([x0 + 0.3 * span, cy])
        jaws = [
            (x0, cy - 0.02 * span),
            (pivot[0], cy - 0.065 * span),
            (pivot[0], cy + 0.065 * span),
            (x0, cy + 0.02 * span),
        ]
        p.fill(p.polygon(jaws), steel, _cyl(p.ys[:, :1], cy - 0.065 * span, cy + 0.065 * span, -0.4, 0.6))
        p.fill(p.rect(x0, cy - 0.004 * span - 0.5, x0 + 0.27 * span, cy + 0.004 * span + 0.5), _grey(rng, 0.1), 1.0)
        for s in (-1, 1):
            end = np.array([x0 + span, cy + s * 0.7 * span * math.tan(spread)])
            bend = pivot + 0.2 * (end - pivot)
            p.fill(p.capsule(pivot, bend, 0.035 * span), steel, 1.0)
            p.fill(p.capsule(bend, end, 0.045 * span), grip, 1.0)
            p.fill(p.capsule(bend + (0, -0.015 * span), end + (0, -0.015 * span), 0.015 * span), grip * 1.3, 1.0, 0.5)
        p.fill(p.ellipse(pivot[0], cy, 0.045 * span, 0.045 * span), METAL * 1.1, 1.0)
        return p

    return length, 2 * half, 1.0, draw, _pick(rng, ("pliers", "pair of pliers", f"{cname} pliers"))


def _rag(rng):
    length = rng.uniform(14, 26)
    width = length * rng.uniform(0.55, 0.95)
    cname, cloth = _colour(rng, ("red", "blue", "white", "grey", "orange", "yellow"))
    cloth = cloth * rng.uniform(0.75, 1.0)  # they are never clean

    def draw(u: float) -> Painter:
        span, wide = length * u, width * u
        p = Painter(span * 1.1 + 4, wide * 1.1 + 4)
        cx, cy = p.w / 2, p.h / 2
        ang = np.sort(rng.uniform(0, 2 * math.pi, 14))
        rad = rng.uniform(0.75, 1.08, 14)
        rad = (rad + np.roll(rad, 1) + np.roll(rad, -1)) / 3
        outline = [(cx + 0.5 * span * r * math.cos(a), cy + 0.5 * wide * r * math.sin(a)) for a, r in zip(ang, rad)]
        folds = np.clip(0.9 + 0.12 * _noise(rng, p.h, p.w, 0.25 * wide, 0.25 * wide), 0.6, 1.2)
        p.fill(p.polygon(outline), cloth, folds)
        for _ in range(rng.integers(2, 5)):  # creases
            pts = np.cumsum(rng.normal(0, 0.18, (4, 2)) * (span, wide), axis=0) + (cx, cy)
            line = [(float(x), float(y)) for x, y in pts]
            p.fill(
                p.polygon(outline) * p.shape(lambda d: d.line(line, fill=255, width=max(1, round(0.025 * span)))),
                cloth * 0.65,
                1.0,
                0.6,
            )
        for _ in range(rng.integers(0, 4)):  # grease
            x, y, rs = (
                cx + rng.uniform(-0.3, 0.3) * span,
                cy + rng.uniform(-0.3, 0.3) * wide,
                rng.uniform(0.05, 0.15) * span,
            )
            p.fill(p.polygon(outline) * p.ellipse(x, y, rs, rs * 0.7), (0.2, 0.17, 0.13), 1.0, rng.uniform(0.2, 0.5))
        return p

    return (
        length * 1.05,
        width * 1.05,
        0.5,
        draw,
        _pick(rng, ("rag", f"{cname} rag", "cloth", "shop towel", f"{cname} cloth")),
    )


def _extrude(img: Image.Image, depth: int, dark: float = 0.5) -> Image.Image:
    """Give a flat sprite a visible edge: darker copies of it stacked just below."""
    depth = min(depth, 30)
    if depth < 1:
        return img
    arr = np.asarray(img).copy()
    arr[..., :3] = (arr[..., :3] * dark).astype(np.uint8)
    side = Image.fromarray(arr)
    out = Image.new("RGBA", (img.width, img.height + depth))
    for dy in range(depth, 0, -1):
        out.alpha_composite(side, (0, dy))
    out.alpha_composite(img, (0, 0))
    return out


def _lying(rng, size: float, v: View, spec) -> Drawn:
    """Lay a top-view drawing on the bench: turn it, squash it by the view and give it an edge."""
    length, width, thick, draw, name = spec
    phi = rng.uniform(0, 360)
    ca, sa = abs(math.cos(math.radians(phi))), abs(math.sin(math.radians(phi)))
    wide = length * ca + width * sa
    tall = (length * sa + width * ca) * v.e + thick * v.c
    u = size / max(tall, 0.6 * wide)  # apparent size: the height, or most of the width for long low things
    img = draw(u * SUPER).image(v.bright).rotate(phi, Image.Resampling.BICUBIC, expand=True)
    img = img.crop(img.getbbox())
    img = img.resize(
        (max(2, round(img.width / SUPER)), max(2, round(img.height * v.e / SUPER))), Image.Resampling.BILINEAR
    )
    top = img.size
    img = _extrude(img, round(thick * u * v.c))
    return Drawn(img, np.array([top[0] / 2, top[1] / 2]), (top[0] * 0.4, top[1] * 0.4), True, name)


UPRIGHT = (_paint_can, _spray_can, _jar, _screw_box, _wood_block, _drill, _tape_roll, _tape_measure)
LYING = (_screwdriver, _wrench, _hammer, _clamp, _pliers, _rag)
HANGING = (_screwdriver, _wrench, _hammer, _clamp, _pliers)  # what a pegboard holds


def _draw_object(rng, size: float, v: View) -> Drawn:
    """A random workshop object, `size` canvas px tall as seen."""
    i = int(rng.integers(len(UPRIGHT) + len(LYING)))
    if i >= len(UPRIGHT):
        return _lying(rng, size, v, LYING[i - len(UPRIGHT)](rng))
    p, anchor, foot, name = UPRIGHT[i](rng, size, v)
    img = p.image(v.bright)
    box = img.getbbox() or (0, 0, img.width, img.height)
    return Drawn(img.crop(box), np.array(anchor) - box[:2], foot, False, name)


@dataclass
class Prop:
    """An object on the bench: its sprite, drawn at k canvas px per cm, and its contact shadow."""

    sprite: Image.Image
    anchor: np.ndarray  # the ground point in sprite pixels
    shadow: Image.Image  # L: how much to darken
    shadow_anchor: np.ndarray
    k: float
    pos: np.ndarray  # world position of the ground point (cm)
    name: str
    cache: dict = field(default_factory=dict, repr=False)

    def _scaled(self, img: Image.Image, scale: float) -> Image.Image:
        size = (max(1, round(img.width * scale)), max(1, round(img.height * scale)))
        if size == img.size:
            return img
        key = (id(img), size)
        if key not in self.cache:
            if len(self.cache) > 64:
                self.cache.clear()
            self.cache[key] = img.resize(size, Image.Resampling.BILINEAR)
        return self.cache[key]

    def box(self, cam: Camera, pos=None) -> np.ndarray:
        pos = self.pos if pos is None else pos
        (u, v), s = cam.project(pos), cam.focal / cam.depth(pos) / self.k
        return np.array(
            [
                u - self.anchor[0] * s,
                v - self.anchor[1] * s,
                u + (self.sprite.width - self.anchor[0]) * s,
                v + (self.sprite.height - self.anchor[1]) * s,
            ]
        )

    def draw(self, canvas: Image.Image, cam: Camera, pos=None) -> None:
        pos = self.pos if pos is None else np.asarray(pos)
        ground = np.array([pos[0], pos[1], 0.0])
        lift = max(0.0, float(pos[2]))
        gs = cam.focal / cam.depth(ground) / self.k * (1 + lift / 30)  # a lifted object's shadow spreads
        s = cam.focal / cam.depth(pos) / self.k
        # A camera that closes in can pass over (or behind) a thing near its path: such a thing would
        # be scaled past the frame (without bound near the camera's plane), so it drops out of view.
        reach = MAX_ZOOM * max(canvas.size)
        if not (0 < s * max(self.sprite.size) < reach and 0 < gs * max(self.shadow.size) < reach):
            return
        mask = self._scaled(self.shadow, gs)
        if lift > 0.05:
            fade = 1 / (1 + lift / 6)
            mask = mask.point(lambda a: round(a * fade))
        gu, gv = cam.project(ground)
        canvas.paste((0, 0, 0), (round(gu - self.shadow_anchor[0] * gs), round(gv - self.shadow_anchor[1] * gs)), mask)
        img = self._scaled(self.sprite, s)
        u, v = cam.project(pos)
        canvas.paste(img, (round(u - self.anchor[0] * s), round(v - self.anchor[1] * s)), img)


# ---------------------------------------------------------------- bench and wall textures


def _blots(rng, colour: np.ndarray, count: int, radius: tuple[float, float], strength, target) -> None:
    """Irregular round patches (oil, paint) blended towards target(colour) in place."""
    rows, cols = colour.shape[:2]
    for _ in range(count):
        r = rng.uniform(*radius) * TEXEL
        cx, cy = rng.uniform(0, cols), rng.uniform(0, rows)
        c0, c1, r0, r1 = (
            int(max(0, cx - 1.6 * r)),
            int(min(cols, cx + 1.6 * r)),
            int(max(0, cy - 1.6 * r)),
            int(min(rows, cy + 1.6 * r)),
        )
        if c1 - c0 < 2 or r1 - r0 < 2:
            continue
        yy, xx = np.mgrid[r0:r1, c0:c1]
        d = np.hypot(xx - cx, (yy - cy) * rng.uniform(0.8, 1.3)) / r
        m = np.clip((1 - d + 0.35 * _noise(rng, r1 - r0, c1 - c0, r * 0.6, r * 0.6)) * 4, 0, 1)[
            ..., None
        ] * rng.uniform(*strength)
        patch = colour[r0:r1, c0:c1]
        colour[r0:r1, c0:c1] = patch * (1 - m) + target(patch) * m


def _bench_texture(
    rng, x0: float, y_far: float, cols: int, rows: int, light: Light
) -> tuple[Image.Image, np.ndarray, bool]:
    """The bench top seen from above (rows run from the wall towards the viewer), lit."""
    xs = (x0 + (np.arange(cols, dtype=np.float32) + 0.5) / TEXEL)[None, :]
    ys = (y_far - (np.arange(rows, dtype=np.float32) + 0.5) / TEXEL)[:, None]
    fine = _noise(rng, rows, cols, 0.6 * TEXEL, 6 * TEXEL)
    blotch = _noise(rng, rows, cols, 20 * TEXEL, 50 * TEXEL)
    kind = int(rng.choice(4, p=(0.35, 0.25, 0.2, 0.2)))
    wood = kind < 2
    if kind == 0:  # plywood sheet: long wavy grain
        base = np.array([0.8, 0.63, 0.43]) * rng.uniform(0.8, 1.08) * rng.uniform(0.96, 1.04, 3)
        warp = _noise(rng, rows, cols, 5 * TEXEL, 40 * TEXEL) * rng.uniform(0.8, 2.5)
        grain = (0.5 + 0.5 * np.sin(2 * math.pi * (ys + warp) / rng.uniform(0.5, 1.4))) ** 3
        tone = 1 - 0.16 * grain + 0.04 * fine + 0.06 * blotch
        if rng.random() < 0.5:  # a joint between sheets
            tone *= 1 - 0.45 * np.exp(-(((ys - rng.uniform(-20, 40)) / 0.15) ** 2))
    elif kind == 1:  # planks
        base = np.array(_pick(rng, ((0.82, 0.64, 0.42), (0.68, 0.48, 0.3), (0.55, 0.36, 0.22)))) * rng.uniform(0.9, 1.1)
        width, off = rng.uniform(8, 16), rng.uniform(0, 16)
        pos = (ys - off) / width
        idx = np.floor(pos).astype(int)
        idx -= idx.min()
        tones, phases = rng.normal(1, 0.07, idx.max() + 1), rng.uniform(0, 5, idx.max() + 1)
        warp = _noise(rng, rows, cols, 4 * TEXEL, 40 * TEXEL) * rng.uniform(0.5, 2)
        grain = (0.5 + 0.5 * np.sin(2 * math.pi * (ys + warp + phases[idx]) / rng.uniform(0.5, 1.2))) ** 3
        gap = 0.5 + 0.5 * np.clip((pos - np.floor(pos)) * width / 0.3, 0, 1)
        tone = tones[idx] * (1 - 0.15 * grain + 0.04 * fine + 0.04 * blotch) * gap
    elif kind == 2:  # steel: brushed, scratched
        base = np.full(3, rng.uniform(0.5, 0.68)) * (0.98, 1.0, 1.04)
        tone = 1 + 0.035 * _noise(rng, rows, cols, 0.3 * TEXEL, 30 * TEXEL) + 0.06 * blotch
        scratches = Image.new("L", (cols, rows), 128)
        draw = ImageDraw.Draw(scratches)
        for x, y, a, n, b in zip(
            rng.uniform(0, cols, 300),
            rng.uniform(0, rows, 300),
            rng.uniform(0, math.pi, 300),
            rng.uniform(1, 20, 300) * TEXEL,
            rng.uniform(-80, 80, 300),
        ):
            draw.line([(x, y), (x + math.cos(a) * n, y + math.sin(a) * n)], fill=int(128 + b))
        tone = tone + (np.asarray(scratches, np.float32) / 128 - 1) * 0.25
    else:  # hardboard or painted top
        base = np.array(
            _pick(rng, ((0.5, 0.37, 0.25), (0.42, 0.47, 0.42), (0.4, 0.44, 0.5), (0.5, 0.26, 0.18), (0.32, 0.32, 0.3)))
        )
        tone = 1 + 0.03 * fine + 0.07 * blotch + 0.1 * np.clip(_noise(rng, rows, cols, 3 * TEXEL, 6 * TEXEL) - 1, 0, 1)
    colour = np.ascontiguousarray(base[None, None, :] * tone[..., None], dtype=np.float32)
    _blots(rng, colour, int(rng.integers(0, 5)), (1.5, 6), (0.25, 0.6), lambda c: c * (0.45, 0.4, 0.34))  # oil
    paint = _colour(rng)[1]
    _blots(rng, colour, int(rng.integers(0, 5)), (0.3, 1.4), (0.7, 1.0), lambda c: np.broadcast_to(paint, c.shape))
    marks = Image.new("L", (cols, rows))
    draw = ImageDraw.Draw(marks)
    for _ in range(int(rng.integers(0, 3))):  # rings left by cans
        x, y, r = rng.uniform(0, cols), rng.uniform(0, rows), rng.uniform(3, 7) * TEXEL
        draw.ellipse([x - r, y - r, x + r, y + r], outline=int(rng.uniform(60, 140)), width=max(1, round(0.3 * TEXEL)))
    for _ in range(int(rng.integers(0, 6))):  # pencil marks
        x, y, a, n = rng.uniform(0, cols), rng.uniform(0, rows), rng.uniform(0, math.pi), rng.uniform(2, 12) * TEXEL
        draw.line([(x, y), (x + math.cos(a) * n, y + math.sin(a) * n)], fill=int(rng.uniform(100, 200)))
    colour *= 1 - np.asarray(marks, np.float32)[..., None] / 255 * 0.35
    if rng.random() < (0.75 if wood else 0.25):  # sawdust
        dust = Image.new("L", (cols, rows))
        draw = ImageDraw.Draw(dust)
        for _ in range(int(rng.integers(1, 5))):
            centre, spread, count = (
                rng.uniform((0, 0), (cols, rows)),
                rng.uniform(3, 15) * TEXEL,
                int(rng.integers(80, 600)),
            )
            for (x, y), r, level in zip(
                rng.normal(centre, spread, (count, 2)),
                rng.uniform(0.1, 0.45, count) * TEXEL,
                rng.uniform(120, 255, count),
            ):
                draw.ellipse([x - r, y - 0.7 * r, x + r, y + 0.7 * r], fill=int(level))
        m = np.asarray(dust.filter(ImageFilter.GaussianBlur(0.6)), np.float32)[..., None] / 255
        colour = colour * (1 - m) + np.array([0.9, 0.78, 0.58], np.float32) * m
    colour *= light.on_bench(xs, ys)[..., None]
    colour *= (1 - 0.35 * np.exp(-(y_far - ys) / 3))[..., None]  # shade where the bench meets the wall
    return _rgba(colour), base, kind == 0


def _rgba(colour: np.ndarray) -> Image.Image:
    """An opaque texture, premultiplied ("RGBa") so that PIL need not convert it at every warp."""
    out = np.full(colour.shape[:2] + (4,), 255, np.uint8)
    out[..., :3] = np.clip(colour * 255 + 0.5, 0, 255)
    return Image.fromarray(out).convert("RGBa")


def _front_texture(
    rng, base: np.ndarray, plywood: bool, x0: float, cols: int, rows: int, y_front: float, light: Light
) -> Image.Image:
    """The bench's front edge, facing the camera."""
    xs = (x0 + (np.arange(cols, dtype=np.float32) + 0.5) / TEXEL)[None, :]
    zs = (np.arange(rows, dtype=np.float32)[:, None] + 0.5) / TEXEL
    tone = 0.62 * (1 + 0.05 * _noise(rng, rows, cols, 0.5 * TEXEL, 8 * TEXEL))
    if plywood:  # the sheet's layers
        tone = tone * (1 + 0.12 * np.sign(np.sin(2 * math.pi * zs / 0.32)))
    tone = tone * (1 + 0.25 * (zs < 1.2 / TEXEL))  # worn, lit top edge
    return _rgba(base[None, None, :] * (tone * light.on_bench(xs, y_front) * 0.8)[..., None])


def _wall_texture(rng, x0: float, z_top: float, cols: int, rows: int, light: Light, y_wall: float) -> Image.Image:
    """The wall behind the bench, from z_top down to the bench top, lit."""
    xs = (x0 + (np.arange(cols, dtype=np.float32) + 0.5) / TEXEL)[None, :]
    zs = (z_top - (np.arange(rows, dtype=np.float32) + 0.5) / TEXEL)[:, None]
    fine = _noise(rng, rows, cols, 0.4 * TEXEL, 0.4 * TEXEL)
    blotch = _noise(rng, rows, cols, 25 * TEXEL, 25 * TEXEL)
    kind = int(rng.choice(4, p=(0.4, 0.2, 0.15, 0.25)))
    if kind == 0:  # pegboard
        base = np.array(_pick(rng, ((0.58, 0.43, 0.29), (0.86, 0.85, 0.8), (0.6, 0.6, 0.6), (0.3, 0.45, 0.35))))
        pitch, r = 2.54, 0.32
        ox, oz = rng.uniform(0, pitch, 2)
        gx, gz = (xs - ox) % pitch - pitch / 2, (zs - oz) % pitch - pitch / 2
        hole = np.clip((r - np.sqrt(gx**2 + gz**2)) * TEXEL + 0.5, 0, 1)
        colour = base * ((1 + 0.03 * fine + 0.05 * blotch) * (1 - 0.75 * hole))[..., None]
    elif kind in (1, 2):  # brick, or concrete block
        length, height = (21.5, 6.5) if kind == 1 else (39.0, 19.0)
        painted = rng.random() < 0.35
        if painted:
            base = np.array(_pick(rng, ((0.86, 0.85, 0.81), (0.7, 0.72, 0.7), (0.78, 0.8, 0.74))))
        else:
            base = np.array((0.58, 0.28, 0.2) if kind == 1 else (0.62, 0.62, 0.6)) * rng.uniform(0.85, 1.1)
        mortar_colour = np.array([0.72, 0.7, 0.66]) if not painted else base * 0.92
        ox, oz = rng.uniform(0, 40, 2)
        row = np.floor((zs + oz) / (height + 1)).astype(int)
        col = np.floor((xs + ox + (row % 2) * (length + 1) / 2) / (length + 1)).astype(int)
        in_mortar = ((zs + oz) % (height + 1) < 1) | ((xs + ox + (row % 2) * (length + 1) / 2) % (length + 1) < 1)
        table = rng.normal(1, 0.03 if painted else 0.09, (row.max() - row.min() + 1, col.max() - col.min() + 1))
        brick = table[row - row.min(), col - col.min()] * (1 + (0.04 if kind == 1 else 0.09) * fine + 0.04 * blotch)
        colour = np.where(in_mortar[..., None], mortar_colour * (1 + 0.05 * fine[..., None]), base * brick[..., None])
    else:  # painted plaster
        base = np.array(
            _pick(rng, ((0.86, 0.85, 0.8), (0.75, 0.8, 0.72), (0.72, 0.78, 0.84), (0.82, 0.76, 0.64), (0.6, 0.6, 0.6)))
        )
        colour = base * (1 + 0.02 * fine + 0.06 * blotch)[..., None]
    colour = np.ascontiguousarray(colour, dtype=np.float32)
    if kind == 0 or rng.random() < 0.25:
        colour = _hang_tools(rng, colour, light)
    colour *= light.on_wall(xs, zs, y_wall)[..., None]
    colour *= (1 - 0.4 * np.exp(-zs / 4))[..., None]  # shade where the wall meets the bench
    return _rgba(colour)


def _hang_tools(rng, colour: np.ndarray, light: Light) -> np.ndarray:
    """Tools hanging on the wall, head up, each with a soft shadow."""
    rows, cols = colour.shape[:2]
    wall = Image.fromarray(np.clip(colour * 255, 0, 255).astype(np.uint8))
    x = rng.uniform(0, 15) * TEXEL
    while x < cols and rows > 10 * TEXEL:
        length, width, _, draw, _ = _pick(rng, HANGING)(rng)
        tool = draw(TEXEL).image().rotate(90 + rng.normal(0, 8), Image.Resampling.BICUBIC, expand=True)
        tool = tool.crop(tool.getbbox())
        y = rows - rng.uniform(25, 70) * TEXEL - tool.height / 2
        shadow = tool.getchannel("A").point(lambda a: a // 2).filter(ImageFilter.GaussianBlur(0.6 * TEXEL))
        dx = round((-0.6 if light.pos[0] > 0 else 0.6) * TEXEL)
        wall.paste((0, 0, 0), (round(x) + dx, round(y) + round(0.8 * TEXEL)), shadow)
        wall.paste(tool, (round(x), round(y)), tool)
        x += tool.width + rng.uniform(3, 25) * TEXEL
    return np.asarray(wall, np.float32) / 255


# ---------------------------------------------------------------- the scene


class Workbench:
    """One clip's world: phone camera, light, textured bench and wall, and how to draw objects on it."""

    def __init__(self, rng: np.random.Generator, width: int, roomy: bool = False) -> None:
        self.width = width
        self.mx, self.my = round(SS * width * MARGIN), round(SS * HEIGHT * MARGIN)
        self.size = (SS * width + 2 * self.mx, SS * HEIGHT + 2 * self.my)
        fov = math.radians(rng.uniform(56, 70))
        focal = SS * max(width, HEIGHT) / 2 / math.tan(fov / 2)
        pitch, yaw = math.radians(rng.uniform(30, 60)), math.radians(rng.uniform(-12, 12))
        fwd = np.array([math.sin(yaw) * math.cos(pitch), math.cos(yaw) * math.cos(pitch), -math.sin(pitch)])
        self.target = np.zeros(3)
        self.roll = math.radians(rng.normal(0, 1.5))
        self.cam = Camera.look_at(
            -rng.uniform(50, 80) * fwd, self.target, self.roll, focal, self.size[0] / 2, self.size[1] / 2
        )
        self.y_front, self.y_wall, thick = -rng.uniform(18, 45), rng.uniform(35, 85), rng.uniform(2.5, 5)
        if rng.random() < 0.4:  # a low lamp: warm, a visible light pool, no flicker
            pos = np.array([rng.uniform(-50, 50), rng.uniform(-10, 40), rng.uniform(35, 80)])
            self.light = Light(pos, rng.uniform(0.2, 0.4), np.array([1.0, 0.82, 0.6]), rng.uniform(0, 0.008), True)
        else:  # a fluorescent tube overhead: broad, cool, flickering
            pos = np.array([rng.uniform(-40, 40), rng.uniform(-20, 40), rng.uniform(110, 180)])
            tint = _pick(rng, ((0.93, 1.0, 0.97), (0.9, 0.97, 1.05), (1.0, 1.0, 0.95)))
            self.light = Light(pos, rng.uniform(0.45, 0.65), np.array(tint), rng.uniform(0.01, 0.05), False)
        self.shadow_strength = rng.uniform(0.45, 0.65) if self.light.lamp else rng.uniform(0.3, 0.45)
        x0, x1, z_top = self._extent(pad=25 if roomy else 6)
        cols = max(8, round((x1 - x0) * TEXEL))
        bench, base, plywood = _bench_texture(
            rng, x0, self.y_wall, cols, max(8, round((self.y_wall - self.y_front) * TEXEL)), self.light
        )
        wall = _wall_texture(rng, x0, z_top, cols, max(8, round(z_top * TEXEL)), self.light, self.y_wall)
        front = _front_texture(rng, base, plywood, x0, cols, max(2, round(thick * TEXEL)), self.y_front, self.light)
        ex, down = np.array([1 / TEXEL, 0, 0]), np.array([0, 0, -1 / TEXEL])
        self.planes = [
            (wall, np.array([x0, self.y_wall, z_top]), ex, down),
            (front, np.array([x0, self.y_front, 0.0]), ex, down),
            (bench, np.array([x0, self.y_wall, 0.0]), ex, np.array([0, -1 / TEXEL, 0])),
        ]
        self.floor = _rgb(np.array([0.16, 0.15, 0.14]) * rng.uniform(0.6, 1.3))

    def _extent(self, pad: float) -> tuple[float, float, float]:
        """The x range and wall height that the canvas can show (the textures need no more)."""
        xs, zs = [0.0], [10.0]
        w, h = self.size
        edge = np.linspace(0, 1, 24)
        border = (
            [(w * s, 0) for s in edge]
            + [(w * s, h) for s in edge]
            + [(0, h * s) for s in edge]
            + [(w, h * s) for s in edge]
        )
        for u, v in border:
            d, c = self.cam.ray(u, v), self.cam.pos
            if d[2] < 0 and c[1] + d[1] * (-c[2] / d[2]) <= self.y_wall:
                xs.append(c[0] + d[0] * (-c[2] / d[2]))
            elif d[1] > 0:
                t = (self.y_wall - c[1]) / d[1]
                if c[2] + t * d[2] >= 0:
                    xs.append(c[0] + t * d[0])
                    zs.append(c[2] + t * d[2])
        x0, x1 = max(min(xs) - pad, -250.0), min(max(xs) + pad, 250.0)
        return x0, x1, float(min(max(zs) + pad, 250.0))

    def view_point(self, fx: float, fy: float) -> tuple[float, float]:
        """Canvas coordinates of a point given as fractions of the output view."""
        return self.mx + fx * SS * self.width, self.my + fy * SS * HEIGHT

    def ground(self, fx: float, fy: float) -> np.ndarray | None:
        """The bench point seen at view fractions (fx, fy), if it is on the bench, clear of its edges."""
        d = self.cam.ray(*self.view_point(fx, fy))
        if d[2] >= -1e-6:
            return None
        p = self.cam.pos + d * (-self.cam.pos[2] / d[2])
        return p if self.y_front + 4 < p[1] < self.y_wall - 8 else None

    def spot(self, rng, fx: tuple[float, float], fy: tuple[float, float]) -> np.ndarray:
        for _ in range(40):
            p = self.ground(rng.uniform(*fx), rng.uniform(*fy))
            if p is not None:
                return p
        return self.target.copy()  # the view centre is always on the bench

    def new_prop(self, rng, size: float, ground: np.ndarray, detail: float = 1.0) -> Prop:
        """A random object standing at ground, `size` output px tall, drawn `detail` times finer."""
        cam = self.cam
        to_cam = cam.pos - ground
        e = float(to_cam[2] / np.linalg.norm(to_cam))
        bright = float(np.clip(self.light.on_bench(ground[0], ground[1]), 0.35, 1.5))
        view = View(e, math.sqrt(1 - e * e), float(np.clip((self.light.pos[0] - ground[0]) / 80, -0.8, 0.8)), bright)
        drawn = _draw_object(rng, size * SS * detail, view)
        shadow, shadow_anchor = self._shadow(drawn, view)
        return Prop(
            drawn.image,
            drawn.anchor,
            shadow,
            shadow_anchor,
            cam.focal / cam.depth(ground) * detail,
            ground.copy(),
            drawn.name,
        )

    def _shadow(self, drawn: Drawn, view: View) -> tuple[Image.Image, np.ndarray]:
        """A soft contact shadow, cast a little away from the light."""
        rx, ry = drawn.foot
        blur = float(max(1.0, rx * (0.12 if self.light.lamp else 0.3)))
        shift = np.array([-view.light * rx * 0.45, ry * 0.35])
        pad = int(3 * blur + np.abs(shift).max() + 2)
        level = self.shadow_strength * 255
        if drawn.flat:
            alpha = drawn.image.getchannel("A").point(lambda a: int(a * self.shadow_strength))
            img = Image.new("L", (alpha.width + 2 * pad, alpha.height + 2 * pad))
            img.paste(alpha, (pad + round(shift[0]), pad + round(shift[1])))
            anchor = drawn.anchor + pad
        else:
            img = Image.new("L", (round(2.6 * rx + 2 * pad), round(3 * ry + 2 * pad)))
            anchor = np.array([img.width / 2, img.height / 2])
            draw = ImageDraw.Draw(img)
            cx, cy = anchor + shift
            draw.ellipse([cx - 1.15 * rx, cy - 1.35 * ry, cx + 1.15 * rx, cy + 1.35 * ry], fill=int(level * 0.8))
            cx, cy = anchor
            draw.ellipse([cx - rx, cy - 0.9 * ry, cx + rx, cy + 0.9 * ry], fill=int(min(255, level * 1.2)))
        return img.filter(ImageFilter.GaussianBlur(blur)), anchor

    def add_clutter(self, rng, reserved: list[np.ndarray], detail: float = 1.0) -> list[Prop]:
        """2-8 still objects around the bench, clear of the reserved (action) boxes and of each other."""
        props: list[Prop] = []
        boxes = [_grow(b, 0.03 * self.size[0]) for b in reserved]
        for _ in range(int(rng.integers(2, 9))):
            for _ in range(20):
                ground = self.ground(rng.uniform(-0.05, 1.05), rng.uniform(0.3, 1.02))
                if ground is None:
                    continue
                size = rng.uniform(0.08, 0.22) * HEIGHT
                (u, v), s = self.cam.project(ground), size * SS
                if any(_overlap(np.array([u - 0.8 * s, v - 1.05 * s, u + 0.8 * s, v + 0.5 * s]), b) for b in boxes):
                    continue
                prop = self.new_prop(rng, size, ground, detail)
                box = prop.box(self.cam)
                if any(_overlap(box, b) for b in boxes):
                    continue
                props.append(prop)
                boxes.append(box)
                break
        return props

    def render(self, cam: Camera, props: list[Prop], size: tuple[int, int] | None = None) -> Image.Image:
        """The still scene through cam: floor, wall, bench edge, bench top, then objects far to near."""
        canvas = Image.new("RGB", size or self.size, self.floor)
        for tex, origin, ex, ey in self.planes:
            _paste_plane(canvas, cam, tex, origin, ex, ey)
        for prop in sorted(props, key=lambda p: -cam.depth(p.pos)):
            prop.draw(canvas, cam)
        return canvas


def _paste_plane(canvas: Image.Image, cam: Camera, tex: Image.Image, origin, ex, ey) -> None:
    """Draw a textured plane (texel (i, j) at origin + i*ex + j*ey) into canvas through cam."""
    h = cam.homography(origin, ex, ey)
    tw, th = tex.size
    corners = h @ np.array([[0, tw, tw, 0], [0, 0, th, th], [1, 1, 1, 1]], float)
    width, height = canvas.size
    in_front = bool(np.all(corners[2] > 1e-6))
    if in_front:  # draw only over the plane's bounding box
        xy = corners[:2] / corners[2]
        x0, y0 = (max(0, int(math.floor(a))) for a in xy.min(axis=1))
        x1, y1 = min(width, int(math.ceil(xy[0].max()))), min(height, int(math.ceil(xy[1].max())))
        if x1 <= x0 or y1 <= y0:
            return
    else:
        x0, y0, x1, y1 = 0, 0, width, height
    m = np.linalg.inv(h) @ np.array([[1, 0, x0], [0, 1, y0], [0, 0, 1.0]])
    scale = m[2, 2] if abs(m[2, 2]) > 1e-12 else 1e-12
    coeffs = (m / scale).ravel()[:8]
    layer = tex.transform((x1 - x0, y1 - y0), Image.Transform.PERSPECTIVE, tuple(coeffs), Image.Resampling.BILINEAR)
    mask = layer.getchannel(3)  # coverage: 0 outside the texture
    if not in_front:
        # Rays meeting the plane behind the camera would show a mirrored copy of it: mask them out.
        ys, xs = np.mgrid[0 : y1 - y0, 0 : x1 - x0].astype(np.float32) + 0.5
        valid = (coeffs[6] * xs + coeffs[7] * ys + 1) * scale > 0
        mask = Image.fromarray(np.asarray(mask) * valid.astype(np.uint8))
    canvas.paste(layer, (x0, y0), mask)


# ---------------------------------------------------------------- hands


@dataclass
class HandLook:
    skin: np.ndarray
    glove: np.ndarray | None
    sleeve: np.ndarray | None
    cuff: float  # sleeve end, in palm widths from the wrist


def _hand_look(rng) -> HandLook:
    skin = np.array(_pick(rng, SKINS)) * rng.uniform(0.92, 1.06, 3)
    glove = np.array(_pick(rng, GLOVES)) * rng.uniform(0.9, 1.1, 3) if rng.random() < 0.3 else None
    sleeve = np.array(_pick(rng, SLEEVES)) * rng.uniform(0.85, 1.15, 3) if rng.random() < 0.8 else None
    return HandLook(skin, glove, sleeve, rng.uniform(0.5, 3.0))


@dataclass
class Pose:
    wrist: np.ndarray
    angle: float  # direction from the wrist to the fingertips
    shoulder: np.ndarray
    curl: float


class Hand:
    """A forearm and hand seen from above, drawn with PIL polygons at canvas resolution."""

    def __init__(self, look: HandLook, palm: float, bright: float, light: float) -> None:
        self.look, self.palm, self.bright, self.light = look, palm, bright, light
        blob = Image.new("L", (round(2.4 * palm), round(1.6 * palm)))
        ImageDraw.Draw(blob).ellipse([0.35 * palm, 0.3 * palm, 2.05 * palm, 1.3 * palm], fill=80)
        self.blob = blob.filter(ImageFilter.GaussianBlur(0.25 * palm))

    def shadow(self, canvas: Image.Image, pose: Pose) -> None:
        fwd = np.array([math.cos(pose.angle), math.sin(pose.angle)])
        x, y = pose.wrist + fwd * 0.7 * self.palm + (-self.light * 0.35 * self.palm, 0.45 * self.palm)
        canvas.paste((0, 0, 0), (round(x - self.blob.width / 2), round(y - self.blob.height / 2)), self.blob)

    def draw(self, canvas: Image.Image, pose: Pose) -> None:
        d = ImageDraw.Draw(canvas)
        pw, wrist, look = self.palm, pose.wrist, self.look
        fwd = np.array([math.cos(pose.angle), math.sin(pose.angle)])
        side = np.array([-fwd[1], fwd[0]])
        up = side if side[1] < 0 else -side  # the thumb lies towards the far side of the bench
        arm = _unit(pose.shoulder - wrist)
        n = np.array([-arm[1], arm[0]])
        skin = look.skin * self.bright
        hand = (look.glove if look.glove is not None else look.skin) * self.bright

        def quad(p0, p1, r0: float, r1: float):
            return [tuple(p0 + n * r0), tuple(p1 + n * r1), tuple(p1 - n * r1), tuple(p0 - n * r0)]

        d.polygon(quad(wrist, pose.shoulder, 0.44 * pw, 0.62 * pw), fill=_rgb(skin, 0.7))
        d.polygon(quad(wrist, pose.shoulder, 0.37 * pw, 0.55 * pw), fill=_rgb(skin))
        d.polygon(quad(wrist + n * 0.08 * pw, pose.shoulder + n * 0.1 * pw, 0.12 * pw, 0.18 * pw), fill=_rgb(skin, 1.1))
        if look.sleeve is not None:
            sleeve = look.sleeve * self.bright
            cuff = wrist + arm * look.cuff * pw
            d.polygon(quad(cuff, pose.shoulder, 0.56 * pw, 0.8 * pw), fill=_rgb(sleeve, 0.7))
            d.polygon(quad(cuff, pose.shoulder, 0.48 * pw, 0.72 * pw), fill=_rgb(sleeve))
            d.polygon(
                quad(cuff + n * 0.1 * pw, pose.shoulder + n * 0.14 * pw, 0.15 * pw, 0.2 * pw), fill=_rgb(sleeve, 1.12)
            )
            d.line(
                [tuple(cuff + n * 0.56 * pw), tuple(cuff - n * 0.56 * pw)],
                fill=_rgb(sleeve, 0.55),
                width=max(1, round(0.08 * pw)),
            )
        if look.glove is not None:  # the glove's cuff over the wrist
            d.polygon(quad(wrist, wrist + arm * 0.55 * pw, 0.47 * pw, 0.5 * pw), fill=_rgb(hand, 0.85))
        thumb = wrist + fwd * 0.3 * pw + up * 0.35 * pw
        tip = thumb + _unit(fwd + up * 0.85) * 0.62 * pw * (1 - 0.3 * pose.curl)
        _capsule(d, thumb, tip, 0.15 * pw, _rgb(hand, 0.7))
        _capsule(d, thumb, tip, 0.12 * pw, _rgb(hand))
        knuckle = wrist + fwd * 0.9 * pw
        palm = [
            wrist + side * 0.42 * pw,
            knuckle + side * 0.5 * pw,
            knuckle - side * 0.5 * pw,
            wrist - side * 0.42 * pw,
        ]
        centre = wrist + fwd * 0.45 * pw
        d.polygon([tuple(centre + (p - centre) * 1.1) for p in palm], fill=_rgb(hand, 0.7))
        d.polygon([tuple(p) for p in palm], fill=_rgb(hand))
        fingers = sorted((-0.36, -0.12, 0.12, 0.36), key=lambda o: -float(side @ up) * o)  # index finger first
        for off, length in zip(fingers, (0.72, 0.84, 0.8, 0.62)):
            base = knuckle + side * off * pw - fwd * 0.05 * pw
            ang = pose.angle + off * 0.25
            tip = base + np.array([math.cos(ang), math.sin(ang)]) * length * pw * (1 - 0.5 * pose.curl)
            _capsule(d, base, tip, 0.125 * pw, _rgb(hand, 0.7))
            _capsule(d, base, tip, 0.1 * pw, _rgb(hand))
        d.line(
            [tuple(knuckle + side * 0.45 * pw), tuple(knuckle - side * 0.45 * pw)],
            fill=_rgb(hand, 0.8),
            width=max(1, round(0.05 * pw)),
        )
        x, y = centre + up * 0.1 * pw
        d.ellipse([x - 0.2 * pw, y - 0.14 * pw, x + 0.2 * pw, y + 0.14 * pw], fill=_rgb(hand, 1.08))


@dataclass
class Grip:
    """Where a hand holds or pushes an object, and when it is there (presence 0: out of view)."""

    hand: Hand
    side: int  # +1: the hand is left of the object, fingers pointing right; -1: the mirror image
    push: bool  # fingertips against the object's side, else fingers across its front
    shoulder: np.ndarray
    curl: float
    presence: Callable[[float], float]

    def pose(self, box: np.ndarray, box0: np.ndarray, t: float) -> Pose | None:
        present = self.presence(t)
        if present <= 0:
            return None
        x0, y0, x1, y1 = box
        w, h = x1 - x0, y1 - y0
        reach = 0.04 if self.push else 0.25  # fingers only over the near edge: the object stays in view
        tip = np.array([x0 + reach * w if self.side > 0 else x1 - reach * w, y0 + 0.62 * h])
        shoulder = self.shoulder + 0.35 * ((box[:2] + box[2:]) / 2 - (box0[:2] + box0[2:]) / 2)
        fwd = _unit(0.6 * _unit(tip - shoulder) + np.array([self.side, 0.0]))  # bent at the wrist, towards the object
        wrist = tip - fwd * self.hand.palm * (0.9 + 0.8 * (1 - 0.5 * self.curl))
        if present < 1:  # reaching in from, or going back to, below the frame
            far = shoulder + (wrist - shoulder) * 0.15
            wrist = far + (wrist - far) * _smooth(present)
        return Pose(wrist, math.atan2(fwd[1], fwd[0]), shoulder, self.curl)


# ---------------------------------------------------------------- timing, camera shake, sensor


class Timeline:
    """When the action runs (40-80 % of the clip) and when the hand comes and goes."""

    def __init__(self, rng: np.random.Generator, frames: int, can_leave: bool) -> None:
        span = frames - 1
        duration = span * rng.uniform(0.4, 0.8)
        self.t0 = (span - duration) * rng.uniform(0.1, 0.9)
        self.t1 = self.t0 + duration
        self.gamma, self.mix = rng.uniform(0.75, 1.35), rng.uniform(0.3, 1.0)
        self.reach = self.leave = None
        if self.t0 >= 5 and rng.random() < 0.6:
            length = rng.uniform(4, min(10, self.t0))
            end = self.t0 - rng.uniform(0, min(2, self.t0 - length))
            self.reach = (end - length, end)
        if can_leave and span - self.t1 >= 5 and rng.random() < 0.5:
            length = rng.uniform(4, min(10, span - self.t1))
            start = self.t1 + rng.uniform(0, 0.3 * (span - self.t1 - length))
            self.leave = (start, start + length)

    def progress(self, t: float) -> float:
        """0 before the action, 1 after it, eased in between with a random speed profile."""
        u = min(max((t - self.t0) / (self.t1 - self.t0), 0.0), 1.0) ** self.gamma
        return self.mix * _smooth(u) + (1 - self.mix) * u

    def presence(self, t: float) -> float:
        p = 1.0
        if self.reach:
            p = min(p, (t - self.reach[0]) / (self.reach[1] - self.reach[0]))
        if self.leave:
            p = min(p, 1 - (t - self.leave[0]) / (self.leave[1] - self.leave[0]))
        return min(max(p, 0.0), 1.0)


class Shake:
    """Hand-held camera motion in output pixels: slow drift, jitter, roll, breathing zoom, walking bob."""

    def __init__(self, rng: np.random.Generator, walking: Callable[[float], float] | None = None) -> None:
        drift, jitter = rng.uniform(0.4, 2.5), rng.uniform(0.1, 0.7)
        self.x = (Wave(rng, drift, 0.008, 0.05), Wave(rng, jitter, 0.1, 0.4))
        self.y = (Wave(rng, drift, 0.008, 0.05), Wave(rng, jitter, 0.1, 0.4))
        self.roll = Wave(rng, math.radians(rng.uniform(0.1, 0.6)), 0.01, 0.06)
        self.zoom = Wave(rng, rng.uniform(0.001, 0.006), 0.01, 0.05)
        self.bob = Wave(rng, rng.uniform(0.5, 2.5), 0.12, 0.2, count=1)
        self.walking = walking

    def at(self, t: float) -> tuple[float, float, float, float]:
        x, y = self.x[0](t) + self.x[1](t), self.y[0](t) + self.y[1](t)
        if self.walking is not None:
            y += self.bob(t) * self.walking(t)
        return x, y, self.roll(t), 1 + self.zoom(t)

    def speed(self, t: float) -> float:
        (x0, y0, *_), (x1, y1, *_) = self.at(t - 0.5), self.at(t + 0.5)
        return math.hypot(x1 - x0, y1 - y0)

    def coeffs(self, t: float, out_size: tuple[int, int], canvas_size: tuple[int, int]) -> tuple[float, ...]:
        """PIL affine coefficients mapping output pixels to pixels of a canvas at output scale."""
        x, y, roll, zoom = self.at(t)
        c, s = math.cos(roll) / zoom, math.sin(roll) / zoom
        ox, oy = out_size[0] / 2, out_size[1] / 2
        cx, cy = canvas_size[0] / 2 + x, canvas_size[1] / 2 + y
        return (c, -s, cx - c * ox + s * oy, s, c, cy - s * ox - c * oy)


class Sensor:
    """Exposure drift, flicker, white balance, vignette and noise of a phone camera."""

    def __init__(self, rng: np.random.Generator, frames: int, width: int, light: Light) -> None:
        t = np.arange(frames)
        drift = 1 + rng.uniform(0.01, 0.06) * np.sin(
            2 * math.pi * t * rng.uniform(0.005, 0.03) + rng.uniform(0, 2 * math.pi)
        )
        drift *= 1 + rng.uniform(-0.06, 0.06) * (t / frames - 0.5)
        # Mains flicker beats against the frame rate: a slow swing plus frame-to-frame scatter.
        flicker = 1 + light.flicker * (
            np.sin(2 * math.pi * t * rng.uniform(0.05, 0.45) + rng.uniform(0, 6.3)) + 0.5 * rng.standard_normal(frames)
        )
        self.gain = (drift * flicker).astype(np.float32)
        tint = light.colour ** rng.uniform(0.15, 0.5) * rng.uniform(0.97, 1.03, 3)  # white balance never quite right
        self.tint = (tint / tint.mean()).astype(np.float32)
        yy, xx = np.mgrid[-1 : 1 : HEIGHT * 1j, -1 : 1 : width * 1j]
        aspect = width / HEIGHT
        r2 = (xx**2 * aspect**2 + yy**2) / (1 + aspect**2)
        vignette = 1 - rng.uniform(0.1, 0.35) * r2
        self.shading = (vignette[..., None] * self.tint).astype(np.float32)
        # Noise comes from random crops of two fields drawn once: far cheaper than fresh draws per frame.
        # Chroma noise is blotchy on phones, so its field is drawn at half resolution.
        self.luma = rng.standard_normal((HEIGHT + 32, width + 32, 1), dtype=np.float32) * rng.uniform(1.0, 4.0)
        chroma = rng.standard_normal((HEIGHT // 2 + 17, width // 2 + 17, 3), dtype=np.float32) * rng.uniform(0.3, 1.5)
        self.chroma = chroma.repeat(2, axis=0).repeat(2, axis=1)
        self.target = rng.uniform(100, 140)
        self.adapt = rng.uniform(0.1, 0.3)  # how fast auto-exposure follows the scene, per frame
        self.exposure: float | None = None

    def meter(self, img: np.ndarray) -> None:
        """Auto-exposure: move part of the way towards the exposure that suits this frame."""
        wanted = float(np.clip(self.target / max(float(img[::4, ::4].mean()), 1.0), 0.6, 2.0))
        self.exposure = wanted if self.exposure is None else self.exposure + (wanted - self.exposure) * self.adapt

    def develop(self, img: np.ndarray, i: int, rng: np.random.Generator) -> np.ndarray:
        img *= self.shading
        img *= self.exposure * self.gain[i]
        h, w = img.shape[:2]
        shot = np.sqrt(np.clip(img.mean(axis=2, keepdims=True), 1, 255) / 128)  # noise grows with the light
        (dy, dx), (cy, cx) = rng.integers(0, 32, 2), 2 * rng.integers(0, 16, 2)
        img += self.luma[dy : dy + h, dx : dx + w] * shot * (1 if rng.random() < 0.5 else -1)
        img += self.chroma[cy : cy + h, cx : cx + w]
        return np.clip(img + 0.5, 0, 255).astype(np.uint8)


# ---------------------------------------------------------------- what happens in each kind of clip


class HandScript:
    """Objects moved by hands over a still background."""

    per_subframe = True  # cheap enough to redraw at every motion-blur sample
    scale = SS  # canvas px per output px

    def __init__(
        self, scene: Workbench, bg: Image.Image, movers: list[tuple[Prop, Callable]], grips: list[tuple[Grip, int]]
    ) -> None:
        self.scene, self.bg, self.movers, self.grips = scene, bg, movers, grips
        self.boxes0 = [prop.box(scene.cam, path(0.0)) for prop, path in movers]

    def _state(self, t: float):
        cam = self.scene.cam
        positions = [np.asarray(path(t)) for _, path in self.movers]
        boxes = [prop.box(cam, pos) for (prop, _), pos in zip(self.movers, positions)]
        poses = [grip.pose(boxes[i], self.boxes0[i], t) for grip, i in self.grips]
        return positions, boxes, poses

    def canvas(self, t: float) -> Image.Image:
        cam, img = self.scene.cam, self.bg.copy()
        positions, _, poses = self._state(t)
        for (grip, _), pose in zip(self.grips, poses):
            if pose is not None:
                grip.hand.shadow(img, pose)
        for i in sorted(range(len(self.movers)), key=lambda i: -cam.depth(positions[i])):
            self.movers[i][0].draw(img, cam, positions[i])
        for (grip, _), pose in zip(self.grips, poses):
            if pose is not None:
                grip.hand.draw(img, pose)
        return img

    def speed(self, t: float) -> float:
        """Fastest image motion around t, in output px per frame."""
        (_, b0, p0), (_, b1, p1) = self._state(t - 0.5), self._state(t + 0.5)
        moves = [float(np.abs(a - b).max()) for a, b in zip(b0, b1)]
        moves += [float(np.linalg.norm(a.wrist - b.wrist)) for a, b in zip(p0, p1) if a is not None and b is not None]
        return max(moves, default=0.0) / SS


class CameraScript:
    """A still scene and a moving camera: the whole view is redrawn each frame.

    To stay fast it is drawn straight at output scale (the textures are about one texel a pixel there).
    """

    per_subframe = False
    scale = 1

    def __init__(self, scene: Workbench, props: list[Prop], camera: Callable[[float], Camera]) -> None:
        self.scene, self.props, self.camera = scene, props, camera

    def canvas(self, t: float) -> Image.Image:
        cam = self.camera(t)
        small = Camera(cam.pos, cam.rot, cam.focal / SS, cam.cx / SS, cam.cy / SS)
        return self.scene.render(small, self.props, (self.scene.size[0] // SS, self.scene.size[1] // SS))

    def speed(self, t: float) -> float:
        a, b = self.camera(t - 0.5), self.camera(t + 0.5)
        points = [p.pos for p in self.props] + [self.scene.target]
        return max(float(np.abs(a.project(p) - b.project(p)).max()) for p in points) / SS


def _hand(scene: Workbench, rng, look: HandLook, prop: Prop, size: float) -> Hand:
    """A hand about 8.5 cm across at the object, kept in proportion to the (freely sized) object.

    Narrow things (spray cans) get smaller hands, so that the fingers cannot hide them.
    """
    ground = prop.pos
    palm = rng.uniform(7.5, 9.5) * scene.cam.focal / scene.cam.depth(ground)
    width = prop.box(scene.cam)[2] - prop.box(scene.cam)[0]
    palm = float(np.clip(palm, 0.35 * size * SS, min(0.75 * size * SS, max(1.2 * width, 0.35 * size * SS))))
    light = float(np.clip((scene.light.pos[0] - ground[0]) / 80, -0.8, 0.8))
    return Hand(look, palm, float(np.clip(scene.light.on_bench(ground[0], ground[1]), 0.45, 1.4)), light)


def _shoulder(scene: Workbench, rng, box: np.ndarray, side: int) -> np.ndarray:
    """Where the arm comes from: below the frame, on the hand's side."""
    w, h = scene.size
    x = box[0] - rng.uniform(0.1, 0.45) * w if side > 0 else box[2] + rng.uniform(0.1, 0.45) * w
    return np.array([x, h * rng.uniform(1.15, 1.45)])


def _hand_room(box: np.ndarray, side: int, palm: float) -> np.ndarray:
    """The object's box widened to where its hand and forearm are."""
    x0, y0, x1, y1 = box
    return np.array([x0 - 2.2 * palm if side > 0 else x0, y0, x1 if side > 0 else x1 + 2.2 * palm, y1 + 1.5 * palm])


def _push(scene: Workbench, rng, tl: Timeline):
    """Pushing something from left to right: a hand slides it along the bench."""
    size = rng.uniform(0.1, 0.25) * HEIGHT
    for _ in range(40):
        fy, fx0 = rng.uniform(0.5, 0.88), rng.uniform(0.1, 0.42)
        a = scene.ground(fx0, fy)
        b = scene.ground(min(fx0 + rng.uniform(0.28, 0.55), 0.9), fy + rng.uniform(-0.06, 0.06))
        if a is not None and b is not None:
            break
    else:
        a = scene.target.copy()
        b = a + (15.0, 0.0, 0.0)
    prop = scene.new_prop(rng, size, a)
    delta, bow = b - a, rng.normal(0, 1.2)
    across = _unit([-delta[1], delta[0], 0.0])

    def path(t: float) -> np.ndarray:
        p = tl.progress(t)
        return a + delta * p + across * bow * math.sin(math.pi * p)

    hand = _hand(scene, rng, _hand_look(rng), prop, size)
    box0, box1 = prop.box(scene.cam, a), prop.box(scene.cam, b)
    grip = Grip(hand, 1, True, _shoulder(scene, rng, box0, 1), rng.uniform(0, 0.3), tl.presence)
    reserved = [_hand_room(np.r_[np.minimum(box0[:2], box1[:2]), np.maximum(box0[2:], box1[2:])], 1, hand.palm)]
    bg = scene.render(scene.cam, scene.add_clutter(rng, reserved))
    return HandScript(scene, bg, [(prop, path)], [(grip, 0)]), [prop.name]


def _lift(scene: Workbench, rng, tl: Timeline):
    """Moving something up: a hand takes it off the bench and holds it up."""
    size = rng.uniform(0.1, 0.25) * HEIGHT
    a = scene.spot(rng, (0.25, 0.75), (0.62, 0.9))
    prop = scene.new_prop(rng, size, a)
    box0 = prop.box(scene.cam, a)
    # Raise it until it has risen far enough in the image, or its top nears the frame's top:
    # in perspective a rising object also nears the camera, so step rather than solve.
    want, limit, height = rng.uniform(0.22, 0.45) * SS * HEIGHT, scene.my + 0.04 * SS * HEIGHT, 1.0
    while height < 150:
        box = prop.box(scene.cam, a + (0, 0, height + 0.5))
        if box[1] < limit or box0[1] - box[1] > want:
            break
        height += 0.5
    rise = box0[1] - prop.box(scene.cam, a + (0, 0, height))[1]
    drift = rng.normal(0, 1.5, 2)
    tremor = [Wave(rng, rng.uniform(0.1, 0.35), 0.05, 0.25) for _ in range(3)]

    def path(t: float) -> np.ndarray:
        p = tl.progress(t)
        z = height * p
        hold = min(1.0, z / 1.5)  # a held object wobbles with the hand; one on the bench does not
        return a + (drift[0] * p + hold * tremor[0](t), drift[1] * p + hold * tremor[1](t), z + hold * tremor[2](t))

    side = 1 if rng.random() < 0.5 else -1
    hand = _hand(scene, rng, _hand_look(rng), prop, size)
    grip = Grip(hand, side, False, _shoulder(scene, rng, box0, side), rng.uniform(0.2, 0.6), tl.presence)
    top = box0 - (0, rise, 0, 0)
    reserved = [_hand_room(np.r_[top[:2], box0[2:]], side, hand.palm)]
    bg = scene.render(scene.cam, scene.add_clutter(rng, reserved))
    return HandScript(scene, bg, [(prop, path)], [(grip, 0)]), [prop.name]


def _closer(scene: Workbench, rng, tl: Timeline):
    """Moving something and something closer to each other: one or both slid (or carried) together."""
    for _ in range(40):
        fy = rng.uniform(0.5, 0.86)
        a, b = (
            scene.ground(rng.uniform(0.08, 0.32), fy),
            scene.ground(rng.uniform(0.68, 0.92), fy + rng.uniform(-0.1, 0.1)),
        )
        if a is not None and b is not None:
            break
    else:
        a, b = scene.target - (18.0, 0, 0), scene.target + (18.0, 0, 0)
    sizes = rng.uniform(0.1, 0.25, 2) * HEIGHT
    props = [scene.new_prop(rng, sizes[0], a), scene.new_prop(rng, sizes[1], b)]
    half = [p.sprite.width / 2 / p.k for p in props]  # half widths in cm
    gap = b - a
    dist = float(np.linalg.norm(gap[:2]))
    towards = gap / max(dist, 1e-6)
    travel = max(dist - half[0] - half[1] - rng.uniform(0.5, 4.0), 0.35 * dist)
    share = _pick(rng, ((1.0, 0.0), (0.0, 1.0), (0.5, 0.5)))
    if share[0] == 0.5:
        f = rng.uniform(0.35, 0.65)
        share = (f, 1 - f)
    look, movers, grips, reserved = _hand_look(rng), [], [], []
    for i, (prop, start) in enumerate(zip(props, (a, b))):
        sign = 1 if i == 0 else -1  # the left object is held from the left, the right one from the right
        end = start + sign * towards * travel * share[i]
        arc = rng.uniform(0, 2.5) if rng.random() < 0.5 else 0.0
        lag = rng.uniform(-1.5, 1.5) if i else 0.0

        def path(t: float, start=start, end=end, arc=arc, lag=lag) -> np.ndarray:
            p = tl.progress(t - lag)
            return start + (end - start) * p + (0, 0, arc * math.sin(math.pi * p))

        movers.append((prop, path))
        box0, box1 = prop.box(scene.cam, start), prop.box(scene.cam, end)
        span = np.r_[np.minimum(box0[:2], box1[:2]), np.maximum(box0[2:], box1[2:])]
        if share[i] > 0:
            hand = _hand(scene, rng, look, prop, sizes[i])
            push = rng.random() < 0.4
            grips.append(
                (Grip(hand, sign, push, _shoulder(scene, rng, box0, sign), rng.uniform(0.1, 0.5), tl.presence), i)
            )
            span = _hand_room(span, sign, hand.palm)
        reserved.append(span)
    bg = scene.render(scene.cam, scene.add_clutter(rng, reserved))
    return HandScript(scene, bg, movers, grips), [props[0].name, props[1].name]


def _approach(scene: Workbench, rng, tl: Timeline):
    """Approaching something with your camera: walk (dolly) or zoom 1.4-2.5x towards it."""
    zoom = rng.uniform(1.4, 2.5)
    size = rng.uniform(0.1, 0.25) * HEIGHT
    a = scene.spot(rng, (0.3, 0.7), (0.42, 0.78))
    # Sprites are drawn for the closest view; CameraScript draws at output scale (1 / SS of the canvas).
    target = scene.new_prop(rng, size, a, detail=1.2 * zoom / SS)
    clutter = scene.add_clutter(rng, [_grow(target.box(scene.cam), 0.1 * size * SS)], detail=1.2 * min(zoom, 2.0) / SS)
    aim = a + (0, 0, 0.35 * target.sprite.height / target.k)  # about the middle of the object
    cam0 = scene.cam
    dolly = rng.random() < 0.7
    turn, roll = rng.uniform(1.0, 1.6), rng.normal(0, 0.02)

    def camera(t: float) -> Camera:
        p = tl.progress(t)
        look = scene.target + (aim - scene.target) * min(1.0, p * turn)
        if dolly:  # the distance to the object shrinks by the zoom factor
            return Camera.look_at(
                cam0.pos + (aim - cam0.pos) * (1 - 1 / zoom) * p,
                look,
                scene.roll + roll * p,
                cam0.focal,
                cam0.cx,
                cam0.cy,
            )
        return Camera.look_at(
            cam0.pos, look, scene.roll + roll * p, cam0.focal * (1 + (zoom - 1) * p), cam0.cx, cam0.cy
        )

    return CameraScript(scene, [target, *clutter], camera), [target.name]


SETUPS = {
    "Pushing something from left to right": _push,
    "Moving something up": _lift,
    "Moving something and something closer to each other": _closer,
    "Approaching something with your camera": _approach,
}


# ---------------------------------------------------------------- clips


def _film(
    scene: Workbench, script, shake: Shake, sensor: Sensor, rng: np.random.Generator, frames: int, shutter: float
) -> np.ndarray:
    """Render every frame: the shaken view of the canvas, motion blur by averaging sub-frame samples."""
    w = scene.width
    out_size = (w, HEIGHT)
    first, k = script.canvas(0.0), script.scale
    video = np.empty((frames, HEIGHT, w, 3), np.uint8)
    for i in range(frames):
        blur = (script.speed(i) + shake.speed(i)) * shutter  # px smeared during the exposure
        samples = int(np.clip(round(blur / 2), 1, 4))
        still = first if i == 0 else None
        if still is None and (samples == 1 or not script.per_subframe):
            still = script.canvas(float(i))
        small = None if still is None else still.reduce(k) if k > 1 else still  # box filter: the antialiasing
        img = np.zeros((HEIGHT, w, 3), np.float32)
        for j in range(samples):
            t = i + shutter * ((j + 0.5) / samples - 0.5) if samples > 1 else float(i)
            canvas = small if small is not None else script.canvas(t).reduce(k)
            view = canvas.transform(
                out_size, Image.Transform.AFFINE, shake.coeffs(t, out_size, canvas.size), Image.Resampling.BILINEAR
            )
            img += np.asarray(view, np.float32)
        img /= samples
        sensor.meter(img)
        video[i] = sensor.develop(img, i, rng)
    return video


def draw_clip(name: str, seed: int, video_id: int) -> tuple[np.ndarray, list[str]]:
    """One clip of class `name`: uint8 RGB frames (T, 240, W, 3) and its placeholders.

    A reversed class draws the same random clip as its pair's first class (same seed and id)
    and returns its frames in reverse order.
    """
    forward, reverse = CLASSES[name]
    rng = np.random.default_rng([seed, video_id])
    width = int(rng.choice(WIDTHS, p=WIDTH_WEIGHTS))
    frames = int(rng.integers(24, 61))
    camera_moves = forward == "Approaching something with your camera"
    scene = Workbench(rng, width, roomy=camera_moves)
    tl = Timeline(rng, frames, can_leave=forward != "Moving something up")  # a lifted thing stays held
    script, placeholders = SETUPS[forward](scene, rng, tl)
    shake = Shake(rng, (lambda t: math.sin(math.pi * tl.progress(t))) if camera_moves else None)
    sensor = Sensor(rng, frames, width, scene.light)
    video = _film(scene, script, shake, sensor, rng, frames, rng.uniform(0.25, 0.6))
    return (np.ascontiguousarray(video[::-1]) if reverse else video), placeholders


def _job(job: tuple[str, str, str, int]) -> tuple[str, list[str]]:
    """Worker: draw and write one clip; returns its id and placeholders."""
    folder, video_id, name, seed = job
    video, placeholders = draw_clip(name, seed, int(video_id))
    write_video(Path(folder) / f"{video_id}.webm", video)
    return video_id, placeholders


# ---------------------------------------------------------------- dataset


def make_workshop(
    root: Path,
    seed: int,
    labels_file: Path,
    train_per_class: int = 24,
    validation_per_class: int = 8,
    test_per_class: int = 2,
    workers: int = 2,
) -> None:
    """Write the workshop dataset under root in the official SSv2 layout."""
    root, labels_file = Path(root), Path(labels_file)
    classes = [line.strip() for line in labels_file.read_text(encoding="utf-8").splitlines() if line.strip()]
    missing = [name for name in CLASSES if name not in classes]
    if missing:
        raise ValueError(f"labels file {labels_file} lacks the workshop classes: {', '.join(missing)}")
    if seed < 0:
        raise ValueError(f"seed must be non-negative, got {seed}")
    rng = np.random.default_rng(seed)
    counts = {"train": train_per_class, "validation": validation_per_class, "test": test_per_class}
    wanted = [(name, split) for name in CLASSES for split, count in counts.items() for _ in range(count)]
    ids = rng.choice(MAX_ID, size=len(wanted), replace=False) + 1
    entries = [
        (str(ids[k]), *wanted[j]) for k, j in enumerate(rng.permutation(len(wanted)))
    ]  # classes and splits interleaved

    videos, labels = root / "20bn-something-something-v2", root / "labels"
    videos.mkdir(parents=True, exist_ok=True)
    labels.mkdir(parents=True, exist_ok=True)
    jobs = [(str(videos), video_id, name, seed) for video_id, name, _ in entries]
    placeholders: dict[str, list[str]] = {}
    with tqdm(total=len(jobs), desc="workshop", unit="clip") as bar:
        if workers > 1:
            with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn")) as pool:
                for video_id, names in pool.map(_job, jobs):
                    placeholders[video_id] = names
                    bar.update()
        else:
            for job in jobs:
                video_id, names = _job(job)
                placeholders[video_id] = names
                bar.update()

    splits: dict[str, list[dict]] = {split: [] for split in counts}
    for video_id, name, split in entries:
        if split == "test":
            splits[split].append({"id": video_id})
            continue
        template = name.replace("something", "[something]")
        label = template
        for placeholder in placeholders[video_id]:
            label = label.replace("[something]", placeholder, 1)
        splits[split].append(
            {
                "id": video_id,
                "label": label[:1].lower() + label[1:],
                "template": template,
                "placeholders": placeholders[video_id],
            }
        )
    (labels / "something-something-v2-labels.json").write_text(
        json.dumps({name: str(i) for i, name in enumerate(classes)}, indent=1) + "\n", encoding="utf-8"
    )
    for split, items in splits.items():
        (labels / f"something-something-v2-{split}.json").write_text(
            json.dumps(items, indent=1) + "\n", encoding="utf-8"
        )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("root", type=Path, help="folder to write the dataset into")
    parser.add_argument("--seed", type=int, default=0, help="the same seed gives the same dataset (default 0)")
    parser.add_argument(
        "--labels-file",
        type=Path,
        default=Path(__file__).parent.parent / "ssv2" / "ssv2-labels.txt",
        help="class names, one a line in index order (default: the official 174)",
    )
    parser.add_argument("--train-per-class", type=int, default=24)
    parser.add_argument("--validation-per-class", type=int, default=8)
    parser.add_argument("--test-per-class", type=int, default=2)
    parser.add_argument("--workers", type=int, default=2, help="processes drawing clips (default 2)")
    args = parser.parse_args(argv)
    make_workshop(
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
