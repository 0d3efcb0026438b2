"""Outdoors: a synthetic Something-Something V2 look-alike, filmed in a garden.

Scene
    Daylight, filmed with a hand-held phone 30-70 degrees above the ground. Objects stand on a garden
    table, a park bench, paving, gravel, grass or a wooden deck, maybe with a wall, fence or hedge
    behind. Sunshine gives hard shadows, sometimes dappled by swaying leaves; an overcast sky gives soft
    ones. Everything is in perspective (farther is smaller and higher in the frame). Objects are solids
    of revolution and extruded shapes (cups, bottles, jars, pots with plants, watering cans, balls,
    stones, books, phones, boxes, leaves, keys); a hand and forearm (random skin tone and sleeve) does
    the manipulation. Every video has hand-held shake, exposure drift, sensor noise, some motion blur,
    and idle time of random length before and after an action of random speed. Surfaces, objects and
    colours are drawn at random for every video, independently of its class.

Classes
    Four time-reversal pairs of real SSv2 classes:
        Pushing something from left to right / Pushing something from right to left
        Moving something up / Moving something down
        Moving something and something closer to each other / ... away from each other
        Approaching something with your camera / Moving away from something with your camera
    A video of a pair's second class is a fresh random draw of the first class's kind of video,
    rendered forwards and written with its frames in reverse order: only frame order tells them apart.

Layout (the official download's)
    ROOT/labels/something-something-v2-labels.json       every class of the labels file -> "index"
    ROOT/labels/something-something-v2-train.json        [{id, label, template, placeholders}, ...]
    ROOT/labels/something-something-v2-validation.json   the same
    ROOT/labels/something-something-v2-test.json         [{"id": ...}, ...]
    ROOT/20bn-something-something-v2/<id>.webm           VP9, yuv420p, 12 fps, 240 px high, 2-5 s
    Ids are distinct random integers in 1..220847, classes and splits interleaved. Each video comes from
    its own generator seeded with (seed, id): the output does not depend on the number of workers.

Command line
    python benchmarks/outdoors.py ROOT [--seed 0] [--labels-file ssv2/ssv2-labels.txt]
        [--train-per-class 24] [--validation-per-class 8] [--test-per-class 2] [--workers 2]
"""

from __future__ import annotations

import argparse
import colorsys
import dataclasses
import json
import math
import multiprocessing
import os
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import av
import numpy as np
from PIL import Image, ImageDraw, ImageFilter

FPS = 12
HEIGHT = 240
MAX_ID = 220_847
MARGIN = 18  # canvas border (px) that shake and roll may bring into view
VIDEO_DIR = "20bn-something-something-v2"
SPLITS = ("train", "validation", "test")
# (class, its time reversal, kind of video)
PAIRS = (
    ("Pushing something from left to right", "Pushing something from right to left", "push"),
    ("Moving something up", "Moving something down", "lift"),
    ("Moving something and something closer to each other", "Moving something and something away from each other", "closer"),
    ("Approaching something with your camera", "Moving away from something with your camera", "approach"),
)  # fmt: skip
# Real SSv2 widths: mostly 16:9, some 4:3 and wider, a few portrait or square.
WIDTHS, WIDTH_P = (427, 320, 480, 240, 180, 136), (0.62, 0.16, 0.12, 0.04, 0.04, 0.02)
Layer = tuple[np.ndarray, int, int]  # premultiplied patch of the canvas and its corner

# ----------------------------------------------------------------------------------------------------------
# Helpers


def ease(u: float) -> float:
    """Minimum-jerk easing from 0 to 1."""
    u = min(max(u, 0.0), 1.0)
    return u * u * u * (10.0 - 15.0 * u + 6.0 * u * u)


def smoothstep(a: float, b: float, x: np.ndarray) -> np.ndarray:
    u = np.clip((x - a) / (b - a), 0.0, 1.0)
    return u * u * (3.0 - 2.0 * u)


def hsv(h: float, s: float, v: float) -> np.ndarray:
    return np.array(colorsys.hsv_to_rgb(h % 1.0, s, v), np.float32)


def any_colour(rng: np.random.Generator) -> np.ndarray:
    return hsv(rng.random(), rng.uniform(0.1, 0.9), rng.uniform(0.3, 0.95))


def dull_colour(rng: np.random.Generator, lo: float = 0.35, hi: float = 0.8) -> np.ndarray:
    return hsv(rng.random(), rng.uniform(0.03, 0.3), rng.uniform(lo, hi))


def rgb8(colour: np.ndarray) -> tuple[int, ...]:
    return (*(int(v) for v in np.clip(np.asarray(colour) * 255, 0, 255)), 255)


def noise(rng: np.random.Generator, h: int, w: int, cell_y: float, cell_x: float | None = None) -> np.ndarray:
    """Smooth value noise in about [0, 1] with features `cell_y` by `cell_x` pixels."""
    gh = min(h + 2, max(2, int(h / max(cell_y, 0.5)) + 2))
    gw = min(w + 2, max(2, int(w / max(cell_y if cell_x is None else cell_x, 0.5)) + 2))
    small = Image.fromarray(rng.random((gh, gw), dtype=np.float32), "F")
    return np.asarray(small.resize((w, h), Image.BICUBIC), dtype=np.float32)


def fbm(rng: np.random.Generator, h: int, w: int, cell: float, octaves: int = 3) -> np.ndarray:
    """Fractal noise with zero mean and unit deviation."""
    out = sum(noise(rng, h, w, cell / 2**k) * 0.5**k for k in range(octaves))
    return (out - out.mean()) / (out.std() + 1e-6)


def to_image(rgb: np.ndarray, alpha: np.ndarray | None = None) -> Image.Image:
    """Float RGB (and alpha) in [0, 1] to a Pillow image."""
    arr = rgb if alpha is None else np.concatenate([rgb, np.broadcast_to(alpha, rgb.shape[:2])[..., None]], -1)
    return Image.fromarray((np.clip(arr, 0.0, 1.0) * 255 + 0.5).astype(np.uint8))


class Track:
    """Keyframed motion, eased between keys and held outside them."""

    def __init__(self, keys: Sequence[tuple[float, Sequence[float] | float]]) -> None:
        self.t = np.array([k[0] for k in keys], float)
        self.v = np.array([np.atleast_1d(np.asarray(k[1], float)) for k in keys])

    def __call__(self, t: float) -> np.ndarray:
        i = int(np.searchsorted(self.t, t, side="right")) - 1
        if i < 0 or i >= len(self.t) - 1:
            return self.v[min(max(i, 0), len(self.t) - 1)].copy()
        return self.v[i] + (self.v[i + 1] - self.v[i]) * ease((t - self.t[i]) / (self.t[i + 1] - self.t[i]))


class Wobble:
    """Smooth random motion: per dimension a sum of sinusoids of random frequencies, RMS `amp`."""

    def __init__(self, rng: np.random.Generator, dims: int, amp: float, lo_hz: float, hi_hz: float) -> None:
        self.w = 2 * math.pi * rng.uniform(lo_hz, hi_hz, (4, dims)) / FPS
        self.p = rng.uniform(0, 2 * math.pi, (4, dims))
        a = rng.uniform(0.4, 1.0, (4, dims))
        self.a = a * amp * math.sqrt(2) / np.sqrt((a**2).sum(0))

    def __call__(self, t: float) -> np.ndarray:
        return (self.a * np.sin(self.w * t + self.p)).sum(0)


# ----------------------------------------------------------------------------------------------------------
# Camera and light (z is up in the world)


def axes(yaw: float, pitch: float) -> np.ndarray:
    """World-to-camera rotation (rows: right, down, forward) for a camera `pitch` below the horizon."""
    fwd = np.array([math.sin(yaw) * math.cos(pitch), math.cos(yaw) * math.cos(pitch), -math.sin(pitch)])
    right = np.array([math.cos(yaw), -math.sin(yaw), 0.0])
    return np.stack([right, np.cross(fwd, right), fwd])


@dataclass
class Plane:
    """A textured planar patch: texel (i, j) lies at origin + j * step_u + i * step_v."""

    image: Image.Image
    origin: np.ndarray
    step_u: np.ndarray
    step_v: np.ndarray


def flat_plane(image: Image.Image, x0: float, y1: float, z: float, texel: float) -> Plane:
    """A horizontal patch whose top row is its far edge."""
    return Plane(image, np.array([x0, y1, z]), np.array([texel, 0, 0]), np.array([0, -texel, 0]))


def upright_plane(image: Image.Image, x0: float, y: float, z1: float, texel: float) -> Plane:
    """A patch facing the camera whose top row is its top edge."""
    return Plane(image, np.array([x0, y, z1]), np.array([texel, 0, 0]), np.array([0, 0, -texel]))


@dataclass
class View:
    """A pinhole camera whose pixels are canvas pixels."""

    f: float
    cx: float
    cy: float
    pos: np.ndarray
    rot: np.ndarray

    def project(self, p: np.ndarray) -> tuple[np.ndarray, float]:
        q = self.rot @ (np.asarray(p, float) - self.pos)
        return self.f * q[:2] / q[2] + (self.cx, self.cy), float(q[2])

    def ray(self, u: float, v: float) -> np.ndarray:
        return self.rot.T @ np.array([(u - self.cx) / self.f, (v - self.cy) / self.f, 1.0])

    def hit(self, u: float, v: float, z: float, far: float = 12.0) -> np.ndarray:
        """Where the ray through (u, v) meets the plane at height z, or a point `far` away if it misses."""
        d = self.ray(u, v)
        if d[2] < -1e-4:
            p = self.pos + d * (z - self.pos[2]) / d[2]
            if np.hypot(*(p - self.pos)[:2]) <= far:
                return p
        return np.array([*(self.pos[:2] + far * d[:2] / (np.hypot(*d[:2]) + 1e-9)), z])

    def warp(self, plane: Plane, size: tuple[int, int], shift: np.ndarray | None = None) -> Image.Image:
        origin = plane.origin if shift is None else plane.origin + shift
        k = np.array([[self.f, 0, self.cx], [0, self.f, self.cy], [0, 0, 1.0]])
        inv = np.linalg.inv(k @ self.rot @ np.column_stack([plane.step_u, plane.step_v, origin - self.pos]))
        return plane.image.transform(size, Image.PERSPECTIVE, tuple((inv / inv[2, 2]).ravel()[:8]), Image.BILINEAR)


@dataclass
class Light:
    to_sun: np.ndarray  # unit vector
    sun: float  # direct light on a surface facing the sun
    ambient: float
    sun_col: np.ndarray
    sky_col: np.ndarray
    sunny: bool

    def local(self, yaw: float) -> np.ndarray:
        """The sun in a sprite's frame: x right, y horizontally towards the camera, z up."""
        s, c, n = self.to_sun, math.cos(yaw), math.sin(yaw)
        return np.array([s[0] * c - s[1] * n, -s[0] * n - s[1] * c, s[2]])

    def shade(self, cos_sun: float) -> np.ndarray:
        return self.ambient * self.sky_col + self.sun * max(cos_sun, 0.0) * self.sun_col

    def cast(self, z: float, sun: np.ndarray | None = None) -> np.ndarray:
        """Ground offset of the shadow of a point z above the ground (in the frame of `sun` if given)."""
        s = self.to_sun if sun is None else sun
        return -s[:2] / max(s[2], 0.3) * z if self.sunny else np.zeros(2)


def draw_light(rng: np.random.Generator) -> Light:
    sunny = rng.random() < 0.6
    elev, az = math.radians(rng.uniform(25, 65) if sunny else rng.uniform(60, 88)), rng.uniform(0, 2 * math.pi)
    to_sun = np.array([math.cos(elev) * math.sin(az), math.cos(elev) * math.cos(az), math.sin(elev)])
    sky = hsv(rng.uniform(0.55, 0.62), rng.uniform(0.05, 0.2) if sunny else rng.uniform(0.0, 0.08), 1.0)
    if sunny:
        warm = hsv(rng.uniform(0.08, 0.13), rng.uniform(0.05, 0.18), 1.0)
        return Light(to_sun, rng.uniform(0.75, 1.0), rng.uniform(0.35, 0.5), warm, sky, True)
    return Light(to_sun, rng.uniform(0.08, 0.2), rng.uniform(0.85, 1.05), np.ones(3, np.float32), sky, False)


# ----------------------------------------------------------------------------------------------------------
# Objects: stacks of horizontal slices


@dataclass
class Solid:
    """A body made of horizontal slices: superellipses (or a drawn outline) sized by `profile` bottom to top."""

    name: str
    height: float
    axes: tuple[float, float]
    profile: np.ndarray
    colour: np.ndarray
    colour2: np.ndarray
    power: float = 2.0
    yaw: float = 0.0
    wobble: tuple[tuple[int, float, float], ...] = ()  # (harmonic, amplitude, phase) of an irregular outline
    outline: np.ndarray | None = None  # a drawn cross-section instead of a superellipse, spanning +-axes
    pattern: str = "plain"  # plain, band, stripes, speckle, pages
    band: tuple[float, float] = (0.0, 0.0)
    stripes: int = 0
    gloss: float = 0.2
    top: str = "closed"  # closed, open, soil, screen, lid
    extras: tuple[str, ...] = ()  # handle, spout, arch, plant, stem

    @property
    def radius(self) -> float:
        return max(self.axes) * (1 + sum(abs(a) for _, a, _ in self.wobble))

    def scaled(self, k: float) -> Solid:
        return dataclasses.replace(self, height=self.height * k, axes=(self.axes[0] * k, self.axes[1] * k))

    def extent(self, e: float) -> float:
        """Rough drawn height in metres, seen from `e` above the horizon."""
        extra = 0.8 * self.height if "plant" in self.extras else 0.3 * self.height if "arch" in self.extras else 0
        return self.height * math.cos(e) + 2 * self.radius * math.sin(e) + extra

    def norm(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        """Size of the slice through (x, y) on the ground plane, relative to the full slice."""
        if self.outline is not None:
            n = self.outline.shape[0]
            i = ((y / self.axes[1] + 1) * n / 2).astype(int)
            j = ((x / self.axes[0] + 1) * n / 2).astype(int)
            ok = (i >= 0) & (i < n) & (j >= 0) & (j < n)
            return np.where(ok & self.outline[np.clip(i, 0, n - 1), np.clip(j, 0, n - 1)], 0.5, 2.0)
        c, s = math.cos(self.yaw), math.sin(self.yaw)
        xr, yr = (x * c - y * s) / self.axes[0], (x * s + y * c) / self.axes[1]
        if self.power == 2.0:
            g = np.hypot(xr, yr)
        else:
            g = (np.abs(xr) ** self.power + np.abs(yr) ** self.power) ** (1 / self.power)
        if self.wobble:
            th = np.arctan2(yr, xr)
            g = g / (1 + sum(a * np.cos(k * th + p) for k, a, p in self.wobble))
        return g


SPHERE = tuple((t, math.sqrt(max(0.0, 1 - (2 * t - 1) ** 2))) for t in np.linspace(0, 1, 17))
# Round things: names, radius (m), height / radius, profile (height fraction, slice size), top, band, extras.
ROUND = {
    "cup": (("cup", "mug", "coffee cup", "plastic cup", "mum's mug", "café cup"), (0.032, 0.05), (1.9, 2.6),
            ((0, 0.8), (1, 1)), "open", (0.4, 0.6), ("handle",)),
    "bottle": (("bottle", "water bottle", "bottle of water", "beer bottle", "bottle, plastic"), (0.028, 0.045),
               (5.5, 8.0), ((0, 0.95), (0.03, 1), (0.58, 1), (0.72, 0.75), (0.8, 0.38), (0.9, 0.38), (0.91, 0.44),
                            (1, 0.44)), "lid", (0.9, 1.0), ()),
    "can": (("can", "tin can", "soda can", "tin", "can of beans"), (0.03, 0.04), (2.8, 3.6),
            ((0, 0.9), (0.05, 1), (0.93, 1), (1, 0.88)), "lid", (0.12, 0.85), ()),
    "jar": (("jar", "jam jar", "glass jar", "honey jar"), (0.035, 0.055), (2.0, 2.8),
            ((0, 0.94), (0.05, 1), (0.72, 1), (0.84, 0.82), (1, 0.82)), "lid", (0.84, 1.0), ()),
    "pot": (("flower pot", "plant pot", "flowerpot", "pot with a plant"), (0.05, 0.09), (1.4, 2.0),
            ((0, 0.7), (0.8, 0.96), (0.81, 1.07), (1, 1.07)), "soil", (0, 0), ("plant",)),
    "watering can": (("watering can", "watering-can", "small watering can"), (0.06, 0.09), (2.3, 3.0),
                     ((0, 1), (0.85, 1), (1, 0.6)), "closed", (0, 0), ("spout", "arch")),
    "ball": (("ball", "football", "beach ball", "kid's ball", "pétanque ball"), (0.05, 0.11), (2, 2), SPHERE,
             "closed", (0.42, 0.58), ()),
    "small ball": (("tennis ball", "ball", "small ball"), (0.033, 0.045), (2, 2), SPHERE, "closed", (0.42, 0.58), ()),
    "apple": (("apple", "orange", "pear"), (0.035, 0.045), (1.8, 1.8), SPHERE, "closed", (0, 0), ("stem",)),
}  # fmt: skip
# Flat-sided things: names, half sizes (m), height (m), superellipse power, top, pattern.
BOXES = {
    "book": (("book", "notebook", "paperback", "diary"), ((0.065, 0.1), (0.09, 0.13)), (0.012, 0.04), 10.0, "closed", "pages"),
    "phone": (("phone", "mobile phone", "smartphone", "my phone"), ((0.033, 0.04), (0.07, 0.082)), (0.008, 0.011), 7.0, "screen", "plain"),
    "box": (("box", "small box", "tea box", "box of matches"), ((0.04, 0.09), (0.03, 0.07)), (0.04, 0.12), 14.0, "closed", "plain"),
}  # fmt: skip


def _pick(rng: np.random.Generator, items: Sequence) -> object:
    return items[int(rng.integers(len(items)))]


def _outline(polys: Sequence[np.ndarray], half: float) -> np.ndarray:
    """Polygons in metres (within +-half) drawn into a 64 x 64 cross-section."""
    img = Image.new("1", (64, 64))
    for p in polys:
        ImageDraw.Draw(img).polygon([tuple((q / half + 1) * 32) for q in p], fill=1)
    return np.asarray(img)


def make_model(rng: np.random.Generator, acting: bool) -> Solid:
    """A random object of random colours; flat ones (leaves, keys) only stand around."""
    kinds = [*ROUND, *BOXES, "stone"] + ([] if acting else ["leaf", "leaf", "keys", "stone"])
    kind, u = _pick(rng, kinds), rng.uniform
    c1, c2, gloss, yaw = any_colour(rng), any_colour(rng), u(0.05, 0.7), u(0, 2 * math.pi)
    if kind in ROUND:
        names, rads, ratio, prof, top, band, extras = ROUND[kind]
        r = u(*rads)
        pattern = "plain" if band == (0, 0) or rng.random() < 0.4 else "band"
        if "ball" in kind and rng.random() < 0.4:
            pattern = "stripes"
        extras = extras if kind == "watering can" or rng.random() < 0.75 else ()
        t, s = zip(*prof)
        profile = np.interp(np.linspace(0, 1, 33), t, s)
        return Solid(_pick(rng, names), r * u(*ratio), (r, r), profile, c1, c2, yaw=yaw, pattern=pattern,
                     band=band, stripes=2 * int(rng.integers(2, 5)), gloss=gloss, top=top, extras=extras)  # fmt: skip
    if kind in BOXES:
        names, (ax, ay), hs, power, top, pattern = BOXES[kind]
        return Solid(_pick(rng, names), u(*hs), (u(*ax), u(*ay)), np.ones(4), c1, c2, power, yaw, pattern=pattern,
                     gloss=gloss, top=top)  # fmt: skip
    if kind == "stone":
        a = u(0.03, 0.08)
        wob = tuple((int(k), u(0.02, 0.09), u(0, 6.3)) for k in rng.choice([2, 3, 4, 5], 2, replace=False))
        prof = (1 - np.linspace(0, 1, 24) ** 2) ** u(0.35, 0.7)
        names = ("stone", "rock", "pebble", '"lucky" stone', "flat stone")
        return Solid(_pick(rng, names), a * u(0.4, 0.9), (a, a * u(0.6, 1.0)), prof, dull_colour(rng), c2,
                     u(1.8, 2.6), yaw, wob, pattern="speckle", gloss=u(0.0, 0.2))  # fmt: skip
    rot = np.array([[math.cos(yaw), -math.sin(yaw)], [math.sin(yaw), math.cos(yaw)]])
    if kind == "leaf":
        length, v = u(0.05, 0.13), np.linspace(0, 1, 12)
        half = u(0.12, 0.25) * length * np.sin(math.pi * v) ** 0.8
        x = (v - 0.5) * length
        outline = np.concatenate([np.stack([x, half], 1), np.stack([x[::-1], -half[::-1]], 1)]) @ rot.T
        colour = hsv(u(0.03, 0.35), u(0.3, 0.8), u(0.3, 0.7))
        polys, half_size, names, h = [outline], length / 2, ("leaf", "dry leaf", "leaf from a tree"), 0.002
    else:
        polys = []
        for ang in rng.uniform(0, 2 * math.pi, int(rng.integers(1, 4))):
            d = np.array([math.cos(ang), math.sin(ang)])
            n = np.array([-d[1], d[0]])
            ring = np.linspace(0, 2 * math.pi, 12)
            polys.append(0.016 * d + 0.011 * (np.cos(ring)[:, None] * d + np.sin(ring)[:, None] * n))
            shape = ((0.026, 0.004), (0.06, 0.004), (0.065, 0), (0.06, -0.004), (0.05, -0.007), (0.026, -0.004))
            polys.append(np.array([p * d + q * n for p, q in shape]))
        colour = hsv(u(0.08, 0.15), u(0.0, 0.4), u(0.55, 0.85))
        half_size, names, h, gloss = 0.07, ("keys", "key", "bunch of keys", "car keys"), 0.003, 0.8
    return Solid(_pick(rng, names), h, (half_size, half_size), np.ones(4), colour, colour, outline=_outline(polys, half_size),
                 gloss=gloss)  # fmt: skip


# ----------------------------------------------------------------------------------------------------------
# Sprites: objects drawn once per video, then scaled into every frame


@dataclass
class Sprite:
    image: Image.Image  # premultiplied RGBa, `ppm` pixels per metre
    anchor: np.ndarray  # pixel of the base centre
    shadow: Image.Image  # sun shadow and ambient occlusion on the ground (as "La", which resizes unconverted)
    shadow_anchor: np.ndarray
    ppm: float
    vis_height: float  # drawn height in metres
    height: float
    radius: float


def render(s: Solid, e: float, light: Light, yaw: float, ppm: float, rng: np.random.Generator) -> Sprite:
    """Draws the body seen from `e` above the horizon (orthographic within the sprite). Each pixel shows the
    highest slice it falls in, which is the first surface the line of sight meets."""
    ss, sun = 2, light.local(yaw)
    ppm = min(ppm, 130 / max(s.extent(e), 2 * s.radius))  # keeps sprites cheap to draw
    res, se, ce = ppm * ss, math.sin(e), math.cos(e)
    rad, h = s.radius, s.height
    side = 0.6 * h if "spout" in s.extras else 0.5 * rad if "handle" in s.extras else 0.0
    top = 0.9 * h if "plant" in s.extras else 0.4 * h if "arch" in s.extras else 0.02
    x0, x1 = -rad - side - 3 / res, rad + side + 3 / res
    y0, y1 = -(h * ce + rad * se + top) - 3 / res, rad * se + 3 / res
    xs = (x0 + (np.arange(int((x1 - x0) * res)) + 0.5) / res).astype(np.float32)
    ys = (y0 + (np.arange(int((y1 - y0) * res)) + 0.5) / res).astype(np.float32)
    gx, gy = np.meshgrid(xs, ys)
    n_lv = int(np.clip(h * ce * res * 0.5 + 8, 12, 72))
    prof = np.interp(np.linspace(0, 1, n_lv), np.linspace(0, 1, len(s.profile)), s.profile)
    level = np.full(gx.shape, -1, np.int16)
    for k in range(n_lv):
        t = h * k / (n_lv - 1)
        r0, r1 = np.searchsorted(ys, [-t * ce - rad * se - 2 / res, -t * ce + rad * se + 2 / res])
        if r1 > r0 and prof[k] > 0:
            level[r0:r1][s.norm(gx[r0:r1], (gy[r0:r1] + t * ce) / se) <= prof[k]] = k
    vis, lv = level >= 0, np.maximum(level, 0)
    t = h * lv / (n_lv - 1)
    yd = (gy + t * ce) / se  # ground coordinate towards the camera
    eps = 0.002 * rad
    nx = (s.norm(gx + eps, yd) - s.norm(gx - eps, yd)) / (2 * eps)
    ny = (s.norm(gx, yd + eps) - s.norm(gx, yd - eps)) / (2 * eps)
    n = np.stack([nx, ny, -(np.gradient(prof) * (n_lv - 1) / h)[lv]], -1)
    cap = vis & (lv == n_lv - 1) & (prof[-1] > 0.05)
    n[cap] = (0.0, 0.0, 1.0)
    n /= np.linalg.norm(n, axis=-1, keepdims=True) + 1e-9
    frac, g = t / h, s.norm(gx, yd) / np.maximum(prof[lv], 1e-3)
    alb = np.broadcast_to(s.colour, gx.shape + (3,)).copy()
    c, si = math.cos(s.yaw), math.sin(s.yaw)
    if s.pattern == "band":
        alb[(frac >= s.band[0]) & (frac <= s.band[1]) & ~cap] = s.colour2
    elif s.pattern == "stripes":
        th = np.arctan2(gx * si + yd * c, gx * c - yd * si)
        alb[np.floor((th / (2 * math.pi) + 0.5) * s.stripes) % 2 == 1] = s.colour2
    elif s.pattern == "speckle":
        grain = np.sin(gx * 9.1e3 + yd * 7.3e3 + t * 5.7e3) * 4.3758e4
        blot = np.sin(gx * 61 + t * 47) * np.sin(yd * 53 - t * 31)
        alb *= (0.8 + 0.3 * (grain - np.floor(grain)) + 0.15 * blot)[..., None]
    elif s.pattern == "pages":  # paper on three sides, the spine on the fourth
        page = ~cap & ((n[..., 0] * c - n[..., 1] * si) > -0.6) & (frac > 0.08) & (frac < 0.92)
        lines = 0.88 + 0.12 * (np.sin(t * 2 * math.pi / 0.0012) > 0)
        alb[page] = np.array([0.92, 0.9, 0.84], np.float32) * lines[page][:, None]
    if s.top in ("open", "soil"):
        hole = cap & (g < 0.86)
        if s.top == "open":
            inner = s.colour * (0.35 + 0.3 * np.clip(-yd / rad, 0, 1))[..., None]
        else:
            inner = np.array([0.24, 0.16, 0.1]) * (0.7 + 0.6 * (np.sin(gx * 3.1e3) * np.sin(yd * 2.9e3) > 0))[..., None]
        alb[hole] = inner[hole]
    elif s.top == "screen":
        alb[cap & (g < 0.9)] = (0.03, 0.035, 0.05)
    elif s.top == "lid":
        alb[cap] = s.colour2
    half = sun + (0.0, ce, se)
    shine = s.gloss * light.sun * (1.6 if light.sunny else 0.5)
    spec = shine * np.clip(n @ (half / np.linalg.norm(half)), 0, None) ** 30
    ao = 1 - 0.35 * np.exp(-t / (0.06 * h + 0.004))  # darker where it meets the ground
    amb = light.ambient * (0.6 + 0.4 * n[..., 2]) * ao
    direct = light.sun * np.clip(n @ sun, 0, None) * ao
    body = to_image(alb * (amb[..., None] * light.sky_col + direct[..., None] * light.sun_col) + spec[..., None], vis)

    def px(x: float, y: float) -> tuple[float, float]:
        return ((x - x0) * res, (y - y0) * res)

    under, over = Image.new("RGBA", body.size), Image.new("RGBA", body.size)
    du, do = ImageDraw.Draw(under), ImageDraw.Draw(over)
    col, sgn, wide = rgb8(s.colour * light.shade(0.6)), 1 if rng.random() < 0.5 else -1, max(2, int(0.012 * res))
    if "handle" in s.extras:
        a, b = px(sgn * 0.8 * rad, -0.85 * h * ce), px(sgn * 1.45 * rad, -0.2 * h * ce)
        du.ellipse([min(a[0], b[0]), a[1], max(a[0], b[0]), b[1]], outline=col, width=wide)
    if "spout" in s.extras:
        a, b = px(sgn * 0.7 * rad, -0.25 * h * ce), px(sgn * (rad + 0.55 * h), -h * ce)
        du.line([a, b], fill=col, width=int(wide * 1.4))
        du.ellipse([b[0] - 0.022 * res, b[1] - 0.015 * res, b[0] + 0.022 * res, b[1] + 0.015 * res], fill=col)
    if "arch" in s.extras:
        do.arc([px(-0.6 * rad, -h * ce - 0.35 * h), px(0.6 * rad, -h * ce + 0.35 * h)], 180, 360, fill=col, width=wide)
    if "stem" in s.extras:
        do.line([px(0, -h * ce), px(0.004, -h * ce - 0.014)], fill=(70, 50, 30, 255), width=max(2, int(0.004 * res)))
    for _ in range(int(rng.integers(5, 11)) if "plant" in s.extras else 0):
        base = np.array([rng.uniform(-0.4, 0.4) * rad, -h * ce + rng.uniform(-0.2, 0.2) * rad * se])
        ang, length, v = rng.uniform(-1.1, 1.1), rng.uniform(0.4, 0.9) * h, np.linspace(0, 1, 9)
        along, across = np.array([math.sin(ang), -math.cos(ang)]), np.array([math.cos(ang), math.sin(ang)])
        v = np.concatenate([v, v[::-1]])[:, None]
        width = rng.uniform(0.11, 0.18) * length * np.sin(math.pi * v) ** 0.7 * np.repeat([1, -1], 9)[:, None]
        leaf = hsv(rng.uniform(0.2, 0.4), rng.uniform(0.4, 0.8), rng.uniform(0.25, 0.6))
        leaf = leaf * light.shade(rng.uniform(0.3, 0.9))  # each leaf turned its own way to the sun
        do.polygon([px(*p) for p in base + length * v * along + width * across], fill=rgb8(leaf))
    under.alpha_composite(body)
    under.alpha_composite(over)
    image = under.convert("RGBa").reduce(ss)
    rows = np.nonzero(np.asarray(image)[..., 3].max(1) > 40)[0]
    vis_height = (rows[-1] - rows[0] + 1) / ppm if len(rows) else h
    # The shadow on the ground: the union of the slices, each shifted away from the sun by its height.
    shift, blur = light.cast(1.0, sun), 0.35 * rad
    sx = np.arange(min(-rad, -rad + h * shift[0]) - blur, max(rad, rad + h * shift[0]) + blur, 1 / ppm)
    sy = np.arange((min(-rad, -rad + h * shift[1]) - blur) * se, (max(rad, rad + h * shift[1]) + blur) * se, 1 / ppm)
    hx, hy = np.meshgrid(sx, sy / se)
    hard = np.zeros(hx.shape, bool)
    for k in np.linspace(0, n_lv - 1, 14).astype(int):
        if prof[k] > 0:
            hard |= s.norm(hx - k / (n_lv - 1) * h * shift[0], hy - k / (n_lv - 1) * h * shift[1]) <= prof[k]
    hard_img = Image.fromarray(hard.astype(np.uint8) * 255).filter(ImageFilter.GaussianBlur(float(0.6 + h * ppm / 250)))
    foot = Image.fromarray((s.norm(hx * 0.9, hy * 0.9) <= max(prof[0], 0.3)).astype(np.uint8) * 255)
    ao_img = foot.filter(ImageFilter.GaussianBlur(float(max(1.0, blur * ppm * 0.5))))
    shadow = Image.merge("La", (hard_img, ao_img))
    return Sprite(image, np.array([-x0, -y0]) * ppm, shadow, np.array([-sx[0], -sy[0]]) * ppm, ppm, vis_height, h, rad)


# ----------------------------------------------------------------------------------------------------------
# The hand


@dataclass
class Hand:
    skin: np.ndarray
    sleeve: np.ndarray
    sleeve_at: float  # metres from the wrist where the sleeve starts
    thumb: int  # side of the thumb
    curl: float
    arm: np.ndarray  # image direction from the hand towards the shoulder
    contact: Callable[[float], np.ndarray]  # world point the hand touches at time t
    hold: float  # metres from the contact towards the arm where the fingertips end
    out: Track  # 0: at the contact, 1: slid out of the frame along the arm
    tremble: Wobble


def draw_hand(rng: np.random.Generator, arm_deg: float, contact: Callable, out: Track, hold: float = 0.0) -> Hand:
    tone = rng.random()
    skin = (np.array([0.33, 0.2, 0.13]) * (1 - tone) + np.array([0.95, 0.78, 0.66]) * tone) * rng.uniform(0.93, 1.05, 3)
    sleeve_at = rng.uniform(0.04, 0.2) if rng.random() < 0.6 else rng.uniform(0.25, 0.5)
    arm = np.array([math.cos(math.radians(arm_deg)), math.sin(math.radians(arm_deg))])
    thumb, curl = 1 if rng.random() < 0.5 else -1, rng.uniform(0.6, 1.0)
    tremble = Wobble(rng, 3, 0.0015, 0.5, 3.0)
    return Hand(skin.astype(np.float32), any_colour(rng), sleeve_at, thumb, curl, arm, contact, hold, out, tremble)


def hand_layer(hand: Hand, anchor: np.ndarray, scale: float, size: tuple[int, int], light: Light) -> Layer | None:
    """The hand and forearm, seen from above, as a premultiplied patch of the canvas."""
    d = -hand.arm
    n = np.array([-d[1], d[0]]) * hand.thumb
    at, reach = 0.09 + 0.075 * hand.curl + hand.hold, (size[0] + size[1]) / scale

    def img(pts: Sequence[Sequence[float]]) -> np.ndarray:
        p = np.asarray(pts, float)
        return anchor + scale * ((p[:, :1] - at) * d + p[:, 1:2] * n)

    def width(x: float) -> float:  # the forearm thickens and, rising towards the camera, widens in perspective
        return 0.026 + 0.1 * min(x, 0.14) + 0.1 * x

    elbow, far = width(0.14), width(reach)
    arm = img([(0, -0.026), (0, 0.026), (-0.14, elbow), (-reach, far), (-reach, -far), (-0.14, -elbow)])
    sa, sw = hand.sleeve_at, width(hand.sleeve_at) + 0.005
    sleeve = img([(-sa, -sw), (-sa, sw), (-reach, width(reach) + 0.01), (-reach, -width(reach) - 0.01)])
    ring = np.linspace(0, 2 * math.pi, 16, endpoint=False)
    palm = img(np.stack([0.045 + 0.05 * np.cos(ring), 0.04 * np.sin(ring)], 1))
    fingers = [(img([(0.08, y), (0.08 + length * hand.curl, y * 1.05)]), wide * scale) for y, length, wide in
               ((-0.026, 0.058, 0.016), (-0.009, 0.072, 0.018), (0.009, 0.077, 0.018), (0.026, 0.07, 0.017))]  # fmt: skip
    fingers.append((img([(0.035, 0.03), (0.035 + 0.05 * hand.curl, 0.045)]), 0.021 * scale))  # the thumb
    pts = np.concatenate([arm, palm] + [f[0] for f in fingers])
    lo = np.maximum(np.floor(pts.min(0) - scale * 0.02), 0).astype(int)
    hi = np.minimum(np.ceil(pts.max(0) + scale * 0.02), size).astype(int)
    if np.any(hi - lo < 2):
        return None
    ss = 2  # drawn at twice the size, for smooth edges
    rgb, alpha = Image.new("RGB", tuple((hi - lo) * ss)), Image.new("L", tuple((hi - lo) * ss))
    dr, da = ImageDraw.Draw(rgb), ImageDraw.Draw(alpha)

    def xy(p: np.ndarray) -> list[tuple[float, float]]:
        return [tuple(q) for q in (p - lo) * ss]

    lit = light.shade(0.7)
    skin, dark = rgb8(hand.skin * lit), rgb8(hand.skin * lit * 0.72)
    for shape in (arm, palm):
        dr.polygon(xy(shape), fill=skin)
        da.polygon(xy(shape), fill=255)
    for seg, thick in fingers:  # a darker rim keeps the fingers apart
        for draw, col, wide in ((dr, dark, thick * ss), (dr, skin, (thick - 1.6) * ss), (da, 255, thick * ss)):
            r = max(2, int(wide)) / 2
            draw.line(xy(seg), fill=col, width=max(2, int(wide)))
            for q in xy(seg):
                draw.ellipse([q[0] - r, q[1] - r, q[0] + r, q[1] + r], fill=col)
    dr.polygon(xy(sleeve), fill=rgb8(hand.sleeve * lit))
    da.polygon(xy(sleeve), fill=255)
    dr.line(xy(img([(-sa, -sw), (-sa, sw)])), fill=rgb8(hand.sleeve * lit * 0.6), width=max(2, int(0.006 * scale * ss)))
    colour = np.asarray(rgb.reduce(ss), np.float32) / 255
    a = np.asarray(alpha.reduce(ss), np.float32)[..., None] / 255
    # Rounded shading across the arm and hand, lighter on the sun's side.
    yy, xx = np.mgrid[lo[1] : hi[1], lo[0] : hi[0]].astype(np.float32)
    across = ((xx - anchor[0]) * n[0] + (yy - anchor[1]) * n[1]) / (0.05 * scale)
    side = (0.12 if light.sunny else 0.05) * np.sign(light.to_sun[0] * n[0] + 1e-3)
    colour *= (1 + side * np.clip(across, -1, 1))[..., None]
    return np.concatenate([colour * a, a], -1), int(lo[0]), int(lo[1])


# ----------------------------------------------------------------------------------------------------------
# Surfaces and backdrops: textures as (rgb, alpha) arrays, texel size `texel` metres


def _grid(h: int, w: int, texel: float) -> tuple[np.ndarray, np.ndarray]:
    return np.arange(h, dtype=np.float32)[:, None] * texel, np.arange(w, dtype=np.float32)[None, :] * texel


def tex_paving(rng: np.random.Generator, h: int, w: int, texel: float) -> tuple[np.ndarray, np.ndarray]:
    yy, xx = _grid(h, w, texel)
    base, sx = dull_colour(rng, 0.4, 0.8), rng.uniform(0.2, 0.6)
    sy, joint = sx if rng.random() < 0.5 else rng.uniform(0.2, 0.6), rng.uniform(0.004, 0.012)
    row = np.floor(yy / sy)
    xs = xx + (row % 2) * sx * _pick(rng, [0.0, 0.5, 1 / 3])
    col = np.floor(xs / sx)
    fx, fy = xs - col * sx, yy - row * sy
    slab = smoothstep(joint * 0.4, joint * 1.3, np.minimum(np.minimum(fx, sx - fx), np.minimum(fy, sy - fy)))
    jitter = rng.random((97, 89), dtype=np.float32)[(row % 97).astype(int), (col % 89).astype(int)]
    tone = (0.82 + 0.36 * jitter) * (1 + 0.1 * fbm(rng, h, w, 0.25 / texel))
    tone *= 0.9 + 0.2 * rng.random((h, w), np.float32)
    joint_col = base * 0.45 if rng.random() < 0.6 else hsv(rng.uniform(0.2, 0.3), 0.4, 0.3)  # dirt or moss
    return joint_col + (base * tone[..., None] - joint_col) * slab[..., None], np.ones((h, w), np.float32)


def tex_gravel(
    rng: np.random.Generator, h: int, w: int, texel: float, sun: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Two staggered grids of round stones, each lit from the sun's side."""
    yy, xx = _grid(h, w, texel)
    size, base = max(rng.uniform(0.008, 0.025), 3 * texel), dull_colour(rng, 0.45, 0.8)
    rgb = np.broadcast_to(base * 0.55, (h, w, 3)) * (1 + 0.15 * fbm(rng, h, w, 0.2 / texel))[..., None]
    lx, ly = np.array([sun[0], -sun[1]]) / (np.hypot(sun[0], sun[1]) + 1e-6)
    for off in (0.0, 0.5):
        gy, gx = yy / size + off, xx / size + off
        iy, ix = np.floor(gy).astype(int) % 61, np.floor(gx).astype(int) % 67
        jit = rng.uniform(-0.18, 0.18, (2, 61, 67)).astype(np.float32)
        fy, fx = gy - np.floor(gy) - 0.5 - jit[0][iy, ix], gx - np.floor(gx) - 0.5 - jit[1][iy, ix]
        r = 0.32 + 0.14 * rng.random((61, 67), dtype=np.float32)[iy, ix]
        d2 = (fx * fx + fy * fy) / (r * r)
        tone = (base * (0.7 + 0.6 * rng.random((61, 67, 1), dtype=np.float32)))[iy, ix]
        rgb = np.where((d2 < 1)[..., None], tone * (1 + 0.35 * (fx * lx + fy * ly) / r - 0.25 * d2)[..., None], rgb)
    return rgb, np.ones((h, w), np.float32)


def tex_grass(rng: np.random.Generator, h: int, w: int, texel: float) -> tuple[np.ndarray, np.ndarray]:
    base = hsv(rng.uniform(0.15, 0.33), rng.uniform(0.35, 0.75), rng.uniform(0.3, 0.6))
    dry = hsv(rng.uniform(0.1, 0.15), rng.uniform(0.3, 0.6), rng.uniform(0.45, 0.7))
    blades = 0.35 * noise(rng, h, w, 0.012 / texel, 0.004 / texel)
    blades += 0.35 * noise(rng, h, w, 0.004 / texel, 0.01 / texel)
    blades += 0.3 * rng.random((h, w), dtype=np.float32)
    patches = smoothstep(0.5, 1.5, fbm(rng, h, w, 0.6 / texel)) * rng.uniform(0.2, 0.9)
    return (base + (dry - base) * patches[..., None]) * (0.45 + 0.9 * blades)[..., None], np.ones((h, w), np.float32)


def tex_planks(rng: np.random.Generator, h: int, w: int, texel: float, gaps: bool) -> tuple[np.ndarray, np.ndarray]:
    """Boards along x or y; open gaps (alpha 0) for benches and slatted tables."""
    yy, xx = _grid(h, w, texel)
    along_y = rng.random() < 0.5
    across, along = np.broadcast_to(xx if along_y else yy, (h, w)), np.broadcast_to(yy if along_y else xx, (h, w))
    pw, gap = rng.uniform(0.07, 0.15), rng.uniform(0.005, 0.02) if gaps else rng.uniform(0.003, 0.008)
    k = np.floor(across / pw).astype(int)
    f = across - k * pw
    table = rng.random((2, 128), dtype=np.float32)
    ends = ((along + table[0][k % 128] * 3) % rng.uniform(1.2, 3.0)) < 0.004
    cells = (0.12 / texel, 0.004 / texel)
    grain = noise(rng, h, w, *(cells if along_y else cells[::-1]))
    if rng.random() < 0.5:
        wood = hsv(rng.uniform(0.05, 0.11), rng.uniform(0.3, 0.65), rng.uniform(0.3, 0.7))
    else:  # weathered or painted
        wood = hsv(rng.random(), rng.uniform(0.0, 0.5), rng.uniform(0.35, 0.85))
    rgb = wood * ((0.82 + 0.3 * table[1][k % 128]) * (0.8 + 0.35 * grain))[..., None]
    if gaps:
        return rgb, smoothstep(0.0, 0.002, np.minimum(f - gap, pw - f)) * (f >= gap)
    return np.where(((f < gap) | ends)[..., None], rgb * 0.3, rgb), np.ones((h, w), np.float32)


def tex_painted(rng: np.random.Generator, h: int, w: int, texel: float) -> tuple[np.ndarray, np.ndarray]:
    """A painted metal table top, perforated or not."""
    yy, xx = _grid(h, w, texel)
    rgb = np.broadcast_to(any_colour(rng), (h, w, 3)) * (1 + 0.05 * fbm(rng, h, w, 0.3 / texel))[..., None]
    if rng.random() < 0.5:
        return rgb, np.ones((h, w), np.float32)
    pitch = rng.uniform(0.02, 0.035)
    fy, fx = (yy % pitch) - pitch / 2, (xx % pitch) - pitch / 2
    return rgb, smoothstep(0.28 * pitch, 0.32 * pitch, np.sqrt(fx * fx + fy * fy))


def tex_wall(rng: np.random.Generator, kind: str, h: int, w: int, texel: float) -> tuple[np.ndarray, np.ndarray]:
    """Upright backdrops; rows run down from the top edge."""
    yy, xx = _grid(h, w, texel)
    alpha = np.ones((h, w), np.float32)
    if kind == "brick":
        base = hsv(rng.uniform(-0.02, 0.1), rng.uniform(0.2, 0.65), rng.uniform(0.35, 0.7))
        row = np.floor(yy / 0.075)
        xs = xx + (row % 2) * 0.1125
        col = np.floor(xs / 0.225)
        tone = 0.8 + 0.4 * rng.random((53, 59), dtype=np.float32)[(row % 53).astype(int), (col % 59).astype(int)]
        mortar = ((yy - row * 0.075 < 0.01) | (xs - col * 0.225 < 0.01))[..., None]
        rgb = np.where(mortar, np.array([0.7, 0.68, 0.64]) * rng.uniform(0.7, 1.0), base * tone[..., None])
        rgb = rgb * (1 + 0.08 * fbm(rng, h, w, 0.1 / texel))[..., None]
    elif kind == "render":  # plaster, dirtier near the ground
        stains = (1 + 0.07 * fbm(rng, h, w, 0.4 / texel)) * (1 - 0.25 * smoothstep(h * texel - 0.25, h * texel, yy))
        rgb = dull_colour(rng, 0.55, 0.9) * stains[..., None]
    elif kind == "fence":
        wood = hsv(rng.uniform(0.05, 0.11), rng.uniform(0.2, 0.6), rng.uniform(0.3, 0.7))
        wood = wood if rng.random() < 0.6 else any_colour(rng)
        bw, gap = rng.uniform(0.08, 0.15), rng.uniform(0.0, 0.03)
        k = np.floor(xx / bw)
        f = xx - k * bw
        tone = 0.85 + 0.3 * rng.random(97, dtype=np.float32)[(k % 97).astype(int)]
        tone = tone * (0.8 + 0.35 * noise(rng, h, w, 0.1 / texel, 0.004 / texel))
        rgb = wood * tone[..., None]
        alpha = ((f > gap) & (yy > rng.uniform(0.0, 0.08) * np.abs(f / bw - 0.5) * 2)).astype(np.float32)
    else:  # hedge, with a ragged top
        dark = hsv(rng.uniform(0.2, 0.4), rng.uniform(0.5, 0.9), rng.uniform(0.08, 0.2))
        lit = hsv(rng.uniform(0.18, 0.35), rng.uniform(0.4, 0.8), rng.uniform(0.35, 0.7))
        leaves = 0.5 * noise(rng, h, w, 0.05 / texel) + 0.5 * noise(rng, h, w, 0.015 / texel)
        rgb = dark + (lit - dark) * np.clip(leaves * 1.6 - 0.35, 0, 1)[..., None] ** 1.5
        alpha = smoothstep(0.0, 0.02, yy - 0.12 * noise(rng, 1, w, 1, 0.3 / texel))
    return rgb, alpha


@dataclass
class Backdrop:
    sky: Image.Image
    planes: list[Plane]  # far to near
    dapple: list[tuple[Plane, Wobble]]  # swaying leaf shadows
    extent: tuple[float, float, float, float]  # x0, x1, y0, y1 of the surface the objects stand on
    drop: float  # height of that surface above the ground

    def albedo(self, view: View, size: tuple[int, int]) -> np.ndarray:
        img = self.sky.copy()
        for plane in self.planes:
            img.alpha_composite(view.warp(plane, size))
        return np.asarray(img.convert("RGB"), np.float32) / 255

    def sunlit(self, view: View, size: tuple[int, int], t: float) -> np.ndarray:
        """Fraction of the sunlight that gets through the leaves (soft: half resolution will do)."""
        if not self.dapple:
            return np.ones(size[::-1], np.float32)
        half, small = View(view.f / 2, view.cx / 2, view.cy / 2, view.pos, view.rot), (size[0] // 2, size[1] // 2)
        lit = np.ones(small[::-1], np.float32)
        for plane, sway in self.dapple:
            lit *= 1 - np.asarray(half.warp(plane, small, np.array([*sway(t), 0.0])), np.float32) / 255
        return np.asarray(Image.fromarray(lit, "F").resize(size, Image.BILINEAR))


def footprint(views: Sequence[View], size: tuple[int, int], z: float, far: float = 12.0) -> np.ndarray:
    """x0, x1, y0, y1 of what the views see of the plane at height z."""
    grid = [(u, w) for u in np.linspace(0, size[0], 5) for w in np.linspace(0, size[1], 5)]
    pts = np.array([v.hit(u, w, z, far) for v in views for u, w in grid])
    return np.array([pts[:, 0].min(), pts[:, 0].max(), pts[:, 1].min(), pts[:, 1].max()])


def build_backdrop(
    rng: np.random.Generator, views: Sequence[View], size: tuple[int, int], light: Light, keep: np.ndarray
) -> Backdrop:
    """The surface the objects stand on (x/y box `keep` must fit on it), the ground below, a wall, the sky."""
    kind = _pick(rng, ["paving", "gravel", "grass", "deck", "table", "table", "bench"])
    drop = {"table": rng.uniform(0.68, 0.78), "bench": rng.uniform(0.4, 0.48)}.get(kind, 0.0)
    near = min(v.pos[1] - 0.5 * v.pos[2] for v in views)  # not as far back as the mirror image of the sky
    wall = _pick(rng, ["brick", "render", "fence", "hedge", "none", "none"])
    box = np.array([-1e9, 1e9, -1e9, 1e9])
    if kind == "table":  # mostly filling the frame but for the far edge: the person stands at it
        seen, cam_y = footprint(views, size, 0.0), min(v.pos[1] for v in views)
        box[0] = min(seen[0] - 0.1 if rng.random() < 0.8 else keep[0] - rng.uniform(0.3, 0.8), keep[0] - 0.2)
        box[1] = max(seen[1] + 0.1 if rng.random() < 0.8 else keep[1] + rng.uniform(0.3, 0.8), keep[1] + 0.2)
        box[2:] = min(keep[2] - 0.2, cam_y + rng.uniform(-0.2, 0.5)), keep[3] + rng.uniform(0.15, 0.7)
    elif kind == "bench":
        box[:] = keep + rng.uniform((-1.0, 0.4, -0.15, 0.06), (-0.4, 1.0, -0.05, 0.2))
    y_back = (box[3] if drop else keep[3]) + rng.uniform(0.6, 3.5)
    sun_ground = light.ambient + light.sun * max(light.to_sun[2], 0)

    def texture(name: str, area: np.ndarray, z: float, budget: float) -> Plane:
        rx, ry = area[1] - area[0], area[3] - area[2]
        texel = max(math.sqrt(rx * ry / budget / (0.5 if name == "gravel" else 1)), max(rx, ry) / 1400, 0.0015)
        h, w = max(2, int(ry / texel)), max(2, int(rx / texel))
        if name in ("paving", "grass"):
            rgb, alpha = (tex_paving if name == "paving" else tex_grass)(rng, h, w, texel)
        elif name == "gravel":
            rgb, alpha = tex_gravel(rng, h, w, texel, light.to_sun)
        elif name in ("deck", "bench") or rng.random() < 0.5:
            rgb, alpha = tex_planks(rng, h, w, texel, gaps=name != "deck")
        else:
            rgb, alpha = tex_painted(rng, h, w, texel)
        if z < 0 and light.sunny:  # the shadow of the table or bench above
            reach = light.cast(-z)
            xs, ys = area[0] + np.arange(w) * texel - reach[0], area[3] - np.arange(h) * texel - reach[1]
            shade = ((ys > box[2]) & (ys < box[3]))[:, None] & ((xs > box[0]) & (xs < box[1]))[None, :]
            rgb = rgb * np.where(shade, light.ambient / sun_ground, 1.0)[..., None]
        return flat_plane(to_image(rgb, alpha), area[0], area[3], z, texel)

    ground = footprint(views, size, -drop)
    ground[2], ground[3] = max(ground[2], near), min(ground[3], y_back if wall != "none" else 1e9)
    planes = []
    if drop:
        planes.append(texture(_pick(rng, ["paving", "gravel", "grass"]), ground, -drop, 3e5))
        planes[-1].image = planes[-1].image.filter(ImageFilter.GaussianBlur(1.2))  # out of focus
    if wall != "none":
        span, wall_h = (ground[1] - ground[0]) * 0.75 + 2.0, rng.uniform(0.7, 2.6)
        texel = max(math.sqrt(span * wall_h / 2.5e5), 0.003)
        rgb, alpha = tex_wall(rng, wall, max(2, int(wall_h / texel)), max(2, int(span / texel)), texel)
        rgb = rgb * float(np.mean(light.shade(-light.to_sun[1])) / sun_ground)  # it faces the camera, not the sky
        image = to_image(rgb, alpha).filter(ImageFilter.GaussianBlur(0.6))
        planes.append(upright_plane(image, (ground[0] + ground[1] - span) / 2, y_back, wall_h - drop, texel))
    extent = ground
    if drop:
        seen = footprint(views, size, 0.0)
        extent = np.concatenate([np.maximum(seen[::2], box[::2]), np.minimum(seen[1::2], box[1::2])])[[0, 2, 1, 3]]
        extent[2] = max(extent[2], near)
        texel = (extent[1] - extent[0]) / 800
        if kind == "bench" and rng.random() < 0.6:  # a backrest
            rgb, alpha = tex_planks(rng, int(0.3 / texel), 800, texel, gaps=True)
            planes.append(upright_plane(to_image(rgb, alpha), extent[0], box[3] + 0.03, rng.uniform(0.35, 0.5), texel))
        if box[2] > near:  # the front edge
            edge = to_image(np.broadcast_to(any_colour(rng) * 0.5, (int(0.04 / texel), 800, 3)))
            planes.append(upright_plane(edge.convert("RGBA"), extent[0], box[2], 0.0, texel))
    planes.append(texture(kind, extent, 0.0, 7e5 if drop else 8e5))
    top = hsv(rng.uniform(0.55, 0.62), rng.uniform(0.25, 0.5), 0.95) if light.sunny else hsv(0.6, 0.03, 0.9)
    fade = np.linspace(0, 1, size[1])[:, None, None]
    sky = to_image(np.broadcast_to(top + (np.array([0.93, 0.94, 0.95]) - top) * fade, (size[1], size[0], 3)), 1.0)
    dapple = []
    if light.sunny and rng.random() < 0.5:
        seen, cover = footprint(views, size, 0.0), rng.uniform(0.25, 0.6)
        texel = max(seen[1] - seen[0], seen[3] - seen[2]) / 160
        for cell in (rng.uniform(6, 14), rng.uniform(3, 7)):
            leaves = smoothstep(-0.15, 0.15, fbm(rng, 160, 160, cell, 2) - (0.5 - cover) * 2) * rng.uniform(0.5, 0.8)
            image = Image.fromarray((leaves * 255).astype(np.uint8)).filter(ImageFilter.GaussianBlur(1.0))
            sway = Wobble(rng, 2, rng.uniform(0.005, 0.03), 0.2, 1.5)
            dapple.append((flat_plane(image, seen[0], seen[3], 0.0, texel), sway))
    return Backdrop(sky, planes, dapple, tuple(extent), drop)


# ----------------------------------------------------------------------------------------------------------
# Planning a video


@dataclass
class Actor:
    model: Solid
    sprite: Sprite
    pos: Callable[[float], np.ndarray]  # world position of the base centre at time t (frames)
    moves: bool
    floor: float = 0.0  # height of what it stands on


@dataclass
class Plan:
    actors: list[Actor]
    hands: list[Hand]
    camera: Track  # x, y, z, yaw, pitch
    walk: Track | None  # 0..1 while the camera is carried towards the object
    names: list[str]


def still(p: np.ndarray) -> Callable[[float], np.ndarray]:
    return lambda t: p


def follow(pos: Callable[[float], np.ndarray], offset: np.ndarray) -> Callable[[float], np.ndarray]:
    return lambda t: pos(t) + offset


def out_track(reach: int, leave: int, t_in: int, t0: int, t1: int) -> Track:
    """The hand slides in over `reach` frames before t0 and out over `leave` frames after t1 (or stays)."""
    keys: list[tuple[float, float]] = [(0, 1.0), (t_in, 1.0), (t0, 0.0)] if reach else [(0, 0.0)]
    return Track(keys + ([(t1, 0.0), (t1 + leave, 1.0)] if leave else [(t1, 0.0)]))


class Director:
    """What every kind of video shares: size and length, the camera's lens and angle, the light."""

    def __init__(self, rng: np.random.Generator) -> None:
        self.rng = rng
        self.W, self.H, self.T = int(rng.choice(WIDTHS, p=WIDTH_P)), HEIGHT, int(rng.integers(24, 61))
        self.size = (self.W + 2 * MARGIN, self.H + 2 * MARGIN)
        vfov = rng.uniform(40, 52) if self.W >= self.H else rng.uniform(56, 64)
        self.f = (self.H / 2) / math.tan(math.radians(vfov) / 2)
        self.pitch, self.yaw = math.radians(rng.uniform(30, 70)), math.radians(rng.uniform(-15, 15))
        self.light = draw_light(rng)
        self.right, _, self.fwd = axes(self.yaw, self.pitch)

    def view(self, cam: np.ndarray) -> View:
        return View(self.f, self.size[0] / 2, self.size[1] / 2, cam[:3], axes(cam[3], cam[4]))

    def fit(self, model: Solid, fracs: tuple[float, float], shown: float = 0.0) -> tuple[Sprite, float]:
        """The model's sprite and a camera distance at which it is within `fracs` of the frame high, within
        arm's reach if it can be; the sprite is sharp enough to be shown `shown` of the frame high."""
        est = model.extent(self.pitch)
        frac = float(np.clip(est * self.f / (self.rng.uniform(0.45, 1.3) * self.H), *fracs))
        sprite = render(model, self.pitch, self.light, self.yaw, max(shown, frac) * self.H * 1.25 / est, self.rng)
        return sprite, sprite.vis_height * self.f / (frac * self.H)

    def aim(self, target: np.ndarray, dist: float, us: tuple[float, float], vs: tuple[float, float]) -> np.ndarray:
        """A camera `dist` from the target, turned so that the target shows at a random output pixel within
        `us` of the width and `vs` of the height."""
        u, v = self.W * (self.rng.uniform(*us) - 0.5), self.H * (self.rng.uniform(*vs) - 0.5)
        turn = np.array([self.yaw - math.atan(u / self.f), self.pitch - math.atan(v / self.f)])
        return np.concatenate([target - dist * self.fwd, turn])

    def direction(self, spread: float) -> np.ndarray:
        """A ground direction within `spread` radians of the camera's right."""
        b = self.rng.uniform(-spread, spread)
        r = self.right
        return np.array([math.cos(b) * r[0] - math.sin(b) * r[1], math.sin(b) * r[0] + math.cos(b) * r[1], 0.0])

    def phases(self, acts: tuple[float, float], spare: int = 0) -> tuple[int, int, int, list[int]]:
        """Frames to reach, act and leave, and when each starts, after idle time of random length."""
        rng = self.rng
        reach = 0 if rng.random() < 0.2 else int(rng.integers(3, 9))
        leave = 0 if rng.random() < 0.3 else int(rng.integers(3, 9))
        act = int(rng.integers(max(6, int(self.T * acts[0])), max(7, int(self.T * acts[1]))))
        act = max(5, min(act, self.T - reach - leave - spare - 6))
        t = int(round((self.T - reach - act - leave - spare) * rng.uniform(0.15, 0.85)))
        return reach, act, leave, [t, t + reach, t + reach + act, t + reach + act + leave]


def plan_push(d: Director) -> Plan:
    model = make_model(d.rng, acting=True)
    sprite, dist = d.fit(model, (0.1, 0.23))
    a = d.direction(0.35)
    travel = d.rng.uniform(0.22, 0.45) * d.W * dist / d.f
    cam = d.aim(np.array([0, 0, sprite.height / 2]), dist, (0.45, 0.55), (0.45, 0.6))
    reach, act, leave, (t_in, t0, t1, _) = d.phases((0.25, 0.6))
    pos = Track([(t0, -a * travel / 2), (t1, a * travel / 2)])
    touch = np.array([0, 0, 0.45 * sprite.height]) - a * (sprite.radius + 0.003)
    hand = draw_hand(d.rng, d.rng.uniform(100, 175), follow(pos, touch), out_track(reach, leave, t_in, t0, t1))
    return Plan([Actor(model, sprite, pos, True)], [hand], Track([(0, cam)]), None, [model.name])


def plan_lift(d: Director) -> Plan:
    rng = d.rng
    model = make_model(rng, acting=True)
    sprite, dist = d.fit(model, (0.1, 0.19), 0.23)
    centre, u0 = np.array([0, 0, sprite.height / 2]), rng.uniform(0.38, 0.62)
    cam = d.aim(centre, dist, (u0, u0), (0.58, 0.72))
    view = d.view(cam)
    # Towards a point high in the frame, on a plane through the object halfway between upright and square
    # to the view: it rises in the frame without coming much nearer.
    ray = view.ray(MARGIN + d.W * (u0 + rng.uniform(-0.1, 0.1)), MARGIN + d.H * rng.uniform(0.12, 0.3))
    normal = np.array([d.fwd[0], d.fwd[1], 0.0]) + d.fwd
    top = view.pos + ray * ((centre - view.pos) @ normal) / (ray @ normal) - centre
    top *= min(1.0, 0.5 / max(top[2], 1e-3), 0.2 * dist / max(-(top @ d.fwd), 1e-3))
    top[2] = max(top[2], 0.06)
    reach, act, _, (t_in, t0, t1, _) = d.phases((0.25, 0.5))
    path, held = Track([(t0, np.zeros(3)), (t1, top)]), Track([(t0, 0.0), (t0 + 2, 1.0)])
    sway = Wobble(rng, 3, 0.003, 0.3, 2.0)  # in the hand

    def pos(t: float) -> np.ndarray:
        return path(t) + held(t)[0] * sway(t)

    arm = rng.uniform(20, 70) if rng.random() < 0.5 else rng.uniform(110, 160)
    hand = draw_hand(rng, arm, follow(pos, centre), out_track(reach, 0, t_in, t0, t1), 0.35 * sprite.radius)
    return Plan([Actor(model, sprite, pos, True)], [hand], Track([(0, cam)]), None, [model.name])


def plan_closer(d: Director) -> Plan:
    """Both objects move, or one hand slides one object towards the other."""
    rng = d.rng
    models = [make_model(rng, acting=True), make_model(rng, acting=True)]
    sprite_a, dist = d.fit(models[0], (0.1, 0.23))
    frac_b = rng.uniform(0.1, 0.23)
    models[1] = models[1].scaled(frac_b * d.H * dist / d.f / models[1].extent(d.pitch))
    ppm = frac_b * d.H * 1.25 / models[1].extent(d.pitch)
    sprites = [sprite_a, render(models[1], d.pitch, d.light, d.yaw, ppm, rng)]
    a = d.direction(0.4)
    gap_end = sprites[0].radius + sprites[1].radius + rng.uniform(0.01, 0.05)
    half = max(rng.uniform(0.16, 0.3) * d.W * dist / d.f, gap_end / 2 + 0.03)
    share = rng.uniform(0.3, 0.7) if rng.random() < 0.5 else float(rng.integers(0, 2))
    cam = d.aim(np.array([0, 0, sprite_a.height / 2]), dist, (0.45, 0.55), (0.45, 0.6))
    reach, act, leave, (_, start, _, _) = d.phases((0.25, 0.5), spare=4)
    actors, hands = [], []
    for model, sprite, sign, part in zip(models, sprites, (-1, 1), (share, 1 - share)):
        p0 = sign * a * half
        if part < 1e-3:
            actors.append(Actor(model, sprite, still(p0), False))
            continue
        t0 = start + int(rng.integers(0, 4))
        t1 = t0 + act + int(rng.integers(-1, 2))
        pos = Track([(t0, p0), (t1, p0 - sign * a * (2 * half - gap_end) * part)])
        actors.append(Actor(model, sprite, pos, True))
        if rng.random() < 0.6:  # fingertips push its outer side
            touch, hold = sign * a * (sprite.radius + 0.003) + np.array([0, 0, 0.45 * sprite.height]), 0.0
        else:  # the hand holds it from its outer side
            touch, hold = np.array([0, 0, sprite.height / 2]), 0.35 * sprite.radius
        arm = rng.uniform(100, 175) if sign < 0 else rng.uniform(5, 80)
        hands.append(draw_hand(rng, arm, follow(pos, touch), out_track(reach, leave, t0 - reach, t0, t1), hold))
    return Plan(actors, hands, Track([(0, cam)]), None, [m.name for m in models])


def plan_approach(d: Director) -> Plan:
    rng = d.rng
    model = make_model(rng, acting=True)
    frac1 = rng.uniform(0.17, 0.25)
    sprite, dist0 = d.fit(model, (0.1, 0.14), frac1)
    centre = np.array([0, 0, sprite.height / 2])
    cam0 = d.aim(centre, dist0, (0.42, 0.58), (0.42, 0.6))
    dist1 = sprite.vis_height * d.f / (frac1 * d.H)
    cam1 = d.aim(centre, dist1, (0.45, 0.55), (0.42, 0.58))
    cam1[3:] += np.radians(rng.uniform(-3, 3, 2))
    act = int(rng.integers(max(8, int(d.T * 0.3)), max(9, int(d.T * 0.7))))
    t0 = int(round((d.T - act) * rng.uniform(0.15, 0.85)))
    walk = Track([(t0, 0.0), (t0 + 3, 1.0), (t0 + act - 3, 1.0), (t0 + act, 0.0)])
    actor = Actor(model, sprite, still(np.zeros(3)), False)
    return Plan([actor], [], Track([(t0, cam0), (t0 + act, cam1)]), walk, [model.name])


PLANNERS = {"push": plan_push, "lift": plan_lift, "closer": plan_closer, "approach": plan_approach}


def _seg_dist(p: np.ndarray, a: np.ndarray, b: np.ndarray) -> float:
    u = float(np.clip((p - a) @ (b - a) / max((b - a) @ (b - a), 1e-9), 0, 1))
    return float(np.hypot(*(p - a - u * (b - a))))


def add_clutter(d: Director, plan: Plan, views: Sequence[View], back: Backdrop) -> None:
    """Still objects around, in every view clear of the moving objects' paths and of the arms."""
    rng, view = d.rng, views[0]
    busy = []  # per view: image segments and clearances
    for v, t_view in zip(views, (0, d.T)):
        for actor in plan.actors:
            for t in np.linspace(0, d.T, 6):
                uv, depth = v.project(actor.pos(t) + (0, 0, actor.sprite.height / 2))
                busy.append((v, uv, uv, 0.8 * d.f * max(actor.sprite.vis_height, 2 * actor.sprite.radius) / depth))
        for hand in plan.hands:
            uv, depth = v.project(hand.contact(t_view))
            busy.append((v, uv, uv + hand.arm * 2000, 0.07 * d.f / depth))
    placed = [(a.pos(0), a.sprite.radius) for a in plan.actors]
    x0, x1, y0, y1 = back.extent
    for _ in range(int(rng.integers(2, 7))):
        for _try in range(25):
            u, v = rng.uniform(0.02, 0.98) * d.size[0], rng.uniform(0.25, 1.0) * d.size[1]
            p = view.hit(u, v, 0.0, 6.0)
            if not (x0 < p[0] < x1 and y0 < p[1] < y1):
                p = view.hit(u, v, -back.drop, 6.0)  # on the ground below the table or bench...
                if not back.drop or (x0 - 0.15 < p[0] < x1 + 0.15 and p[1] > y0 - 0.15):
                    continue  # ...but not hidden under or behind it
            model, near = make_model(rng, acting=False), min(v.project(p)[1] for v in views)
            if near < 0.3 or any(np.hypot(*(p - q)[:2]) < model.radius + r + 0.03 for q, r in placed):
                continue
            spots = {id(v): v.project(p + (0, 0, model.height / 2)) for v in views}
            reach = max(model.extent(d.pitch), 2 * model.radius) * d.f / 2
            if any(_seg_dist(spots[id(v)][0], s0, s1) < r + reach / spots[id(v)][1] for v, s0, s1, r in busy):
                continue
            e = math.atan2(view.pos[2] - p[2], np.hypot(*(p - view.pos)[:2]))
            yaw = math.atan2(p[0] - view.pos[0], p[1] - view.pos[1])
            sprite = render(model, e, d.light, yaw, 1.2 * d.f / max(near, 0.2), rng)
            plan.actors.append(Actor(model, sprite, still(p), False, float(p[2])))
            placed.append((p, model.radius))
            break


# ----------------------------------------------------------------------------------------------------------
# Rendering


def resample(img: Image.Image, scale: float, ox: float, oy: float, size: tuple[int, int]) -> Layer | None:
    """`img` scaled by `scale` with its corner at canvas point (ox, oy), cut to the canvas, as floats."""
    w, h = img.size
    x0, y0 = max(0, math.ceil(ox)), max(0, math.ceil(oy))
    x1, y1 = min(size[0], math.floor(ox + w * scale)), min(size[1], math.floor(oy + h * scale))
    if x1 - x0 < 1 or y1 - y0 < 1:
        return None
    box = ((x0 - ox) / scale, (y0 - oy) / scale, min(w, (x1 - ox) / scale), min(h, (y1 - oy) / scale))
    return np.asarray(img.resize((x1 - x0, y1 - y0), Image.BILINEAR, box=box), np.float32) / 255, x0, y0


def average(layers: list[Layer]) -> Layer | None:
    """The mean of patches taken at nearby instants: motion blur."""
    if len(layers) < 2:
        return layers[0] if layers else None
    x0, y0 = min(x for _, x, _ in layers), min(y for _, _, y in layers)
    x1, y1 = max(x + a.shape[1] for a, x, _ in layers), max(y + a.shape[0] for a, _, y in layers)
    acc = np.zeros((y1 - y0, x1 - x0, layers[0][0].shape[2]), np.float32)
    for a, x, y in layers:
        acc[y - y0 : y - y0 + a.shape[0], x - x0 : x - x0 + a.shape[1]] += a
    return acc / len(layers), x0, y0


def over(dst: np.ndarray, layer: Layer | None) -> None:
    if layer is not None:
        src, x, y = layer
        patch = dst[y : y + src.shape[0], x : x + src.shape[1]]
        patch *= 1 - src[..., 3:]
        patch += src[..., :3]


def darken(mask: np.ndarray, layer: Layer | None) -> None:
    if layer is not None:
        src, x, y = layer
        patch = mask[y : y + src.shape[0], x : x + src.shape[1]]
        np.maximum(patch, src[: patch.shape[0], : patch.shape[1]], out=patch)


class Renderer:
    """Draws the planned scene frame by frame, then films it with a shaky, noisy phone."""

    def __init__(self, d: Director, plan: Plan, back: Backdrop) -> None:
        rng = self.rng = d.rng
        self.d, self.plan, self.back = d, plan, back
        self.shutter = rng.uniform(0.1, 0.3)  # half the exposure, in frames
        self.shake, self.drift = Wobble(rng, 3, 1.0, 0.6, 4.0), Wobble(rng, 3, 1.0, 0.05, 0.35)
        self.shake_amp = np.array([*rng.uniform(0.6, 2.5, 2), math.radians(rng.uniform(0.1, 0.5))])
        self.drift_amp = np.array([*rng.uniform(1, 4, 2), math.radians(rng.uniform(0.1, 0.6))])
        self.bob = (rng.uniform(1.5, 2.3), rng.uniform(1.5, 4.0), rng.uniform(0, 6.3))  # steps: Hz, px, phase
        self.exposure = Wobble(rng, 1, rng.uniform(0.02, 0.07), 0.05, 0.5)
        self.gain = math.exp(rng.uniform(-0.25, 0.15)) * rng.uniform(0.94, 1.06, 3).astype(np.float32)
        h, w = d.H, d.W
        # Sensor noise: fine luminance grain and coarser colour blotches, from a small bank.
        lum, chroma = rng.uniform(1.2, 4.5), rng.uniform(0.4, 2.0)
        self.grain = []
        for _ in range(6):
            blotch = rng.standard_normal(((h + 1) // 2, (w + 1) // 2, 3), np.float32) * chroma
            blotch = blotch.repeat(2, 0).repeat(2, 1)[:h, :w]
            self.grain.append(rng.standard_normal((h, w, 1), np.float32) * lum + blotch)
        yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
        r2 = ((xx - w / 2) ** 2 + (yy - h / 2) ** 2) / ((w / 2) ** 2 + (h / 2) ** 2)
        self.vignette = (1 - rng.uniform(0.05, 0.3) * r2)[..., None]
        self.cache: tuple[bytes, np.ndarray] = (b"", np.zeros(0))

    def place(self, actor: Actor, view: View, t: float) -> tuple[np.ndarray, float, float] | None:
        """Canvas point of the actor's base, sprite scale and depth at time t."""
        p = actor.pos(t)
        _, depth = view.project(p + (0, 0, actor.sprite.height / 2))
        return (view.project(p)[0], view.f / (depth * actor.sprite.ppm), depth) if depth > 0.12 else None

    def hand_anchor(self, hand: Hand, view: View, t: float) -> tuple[np.ndarray, float]:
        """Canvas point of the fingertips, and pixels per metre there."""
        uv, depth = view.project(hand.contact(t) + hand.tremble(t))
        scale = view.f / depth
        # Slid out along the arm far enough for the whole hand to leave the canvas.
        exits = [((0 if a < 0 else self.d.size[i]) - uv[i]) / a for i, a in enumerate(hand.arm) if abs(a) > 1e-6]
        return uv + hand.arm * (max(0.0, min(exits)) + 0.22 * scale) * float(hand.out(t)[0]), scale

    def actor_layer(self, actor: Actor, view: View, t: float, shadow: np.ndarray) -> tuple[float, Layer | None]:
        """The actor's sprite (blurred along its motion) and its depth; adds its shadow to `shadow`."""
        sp, light, size = actor.sprite, self.d.light, self.d.size
        placed = self.place(actor, view, t)
        if placed is None:
            return 0.0, None
        # A lifted object's shadow stays on the ground, moves away from the sun and fades.
        z = actor.pos(t)[2] - actor.floor
        suv = view.project(actor.pos(t) + np.array([*light.cast(z), -z]))[0]
        cast = resample(sp.shadow, placed[1], *(suv - placed[1] * sp.shadow_anchor), size)
        if cast is not None and z > 1e-3:
            lift = z / max(sp.height, 0.02)
            cast[0][...] *= np.array([1 / (1 + 4 * lift), math.exp(-4 * lift)], np.float32)
        darken(shadow, cast)
        times = [t]
        if actor.moves:
            ends = [self.place(actor, view, ts) for ts in (t - self.shutter, t + self.shutter)]
            if all(ends) and np.hypot(*(ends[0][0] - ends[1][0])) > 0.7:
                times = [t - self.shutter, t, t + self.shutter]
        layers = []
        for ts in times:
            if (pl := self.place(actor, view, ts)) is not None:
                layers.append(resample(sp.image, pl[1], *(pl[0] - pl[1] * sp.anchor), size))
        return placed[2], average([la for la in layers if la is not None])

    def hand_layers(self, hand: Hand, view: View, t: float, shadow: np.ndarray) -> Layer | None:
        """The hand (blurred along its motion); adds its shadow to `shadow`."""
        light, size, times = self.d.light, self.d.size, (t - self.shutter, t, t + self.shutter)
        ends = [self.hand_anchor(hand, view, ts)[0] for ts in times[::2]]
        times = times if np.hypot(*(ends[0] - ends[1])) > 0.7 else (t,)
        shown = [ts for ts in times if hand.out(ts)[0] < 1]
        layers = [hand_layer(hand, *self.hand_anchor(hand, view, ts), size, light) for ts in shown]
        if (layer := average([la for la in layers if la is not None])) is None:
            return None
        # Its shadow: the silhouette, shifted as far as the sun casts the fingertips, and blurred.
        tip = hand.contact(t)
        cast = light.cast(tip[2]) if light.sunny else np.array([0, 0.02])
        off = np.round(view.project(tip + np.array([*cast, -tip[2]]))[0] - view.project(tip)[0]).astype(int)
        a, x, y = layer
        blur = Image.fromarray((a[..., 3] * 255).astype(np.uint8)).filter(ImageFilter.BoxBlur(2 if light.sunny else 6))
        x, y = x + off[0], y + off[1]
        xa, ya = max(x, 0), max(y, 0)
        if min(x + a.shape[1], size[0]) > xa and min(y + a.shape[0], size[1]) > ya:
            darken(shadow, ((np.asarray(blur, np.float32)[..., None] / 255 * (0.8, 0.5))[ya - y :, xa - x :], xa, ya))
        return layer

    def frame(self, t: float) -> np.ndarray:
        light, size = self.d.light, self.d.size
        view = self.d.view(self.plan.camera(t))
        key = view.pos.tobytes() + view.rot.tobytes()
        if self.cache[0] != key:
            self.cache = (key, self.back.albedo(view, size))
        shadow = np.zeros((size[1], size[0], 2), np.float32)  # sun shadow, ambient occlusion
        drawn = sorted((self.actor_layer(actor, view, t, shadow) for actor in self.plan.actors), key=lambda x: -x[0])
        hands = [self.hand_layers(hand, view, t, shadow) for hand in self.plan.hands]
        sun = light.sun * max(light.to_sun[2], 0) * (1 - shadow[..., 0]) * self.back.sunlit(view, size, t)
        ambient = light.ambient * (1 - 0.55 * shadow[..., 1])
        canvas = self.cache[1] * (ambient[..., None] * light.sky_col + sun[..., None] * light.sun_col)
        for layer in [la for _, la in drawn] + hands:
            over(canvas, layer)
        return self.film(canvas, t)

    def affine(self, t: float) -> tuple[float, ...]:
        """The shaky crop of the canvas, as Pillow's inverse affine map."""
        d = self.d
        dx, dy, roll = self.shake(t) * self.shake_amp + self.drift(t) * self.drift_amp
        if self.plan.walk is not None:  # the bob of steps while the camera is carried
            hz, amp, ph = self.bob
            w = float(self.plan.walk(t)[0])
            dy += w * amp * math.sin(2 * math.pi * hz * t / FPS + ph)
            roll += w * 0.004 * math.sin(math.pi * hz * t / FPS + ph)
        dx, dy = float(np.clip(dx, 6 - MARGIN, MARGIN - 6)), float(np.clip(dy, 6 - MARGIN, MARGIN - 6))
        c, s = math.cos(roll), math.sin(roll)
        cx, cy = d.size[0] / 2 + dx, d.size[1] / 2 + dy
        return (c, -s, cx - c * d.W / 2 + s * d.H / 2, s, c, cy - s * d.W / 2 - c * d.H / 2)

    def film(self, canvas: np.ndarray, t: float) -> np.ndarray:
        """The phone: shaky framing (blurred where it moves a pixel or more), exposure, vignetting, noise."""
        d, img = self.d, to_image(canvas)
        a, b = self.affine(t - self.shutter), self.affine(t + self.shutter)
        maps = (a, b) if np.hypot(a[2] - b[2], a[5] - b[5]) > 1.0 else (self.affine(t),)
        out = sum(np.asarray(img.transform((d.W, d.H), Image.AFFINE, m, Image.BILINEAR), np.float32) for m in maps)
        out *= self.vignette * (self.gain * math.exp(float(self.exposure(t)[0])) / len(maps))
        flip = self.rng.choice([-1, 1], 2)
        out += self.grain[int(self.rng.integers(len(self.grain)))][:: flip[0], :: flip[1]]
        return np.clip(out + 0.5, 0, 255).astype(np.uint8)


def render_video(seed: int, vid: int, kind: str) -> tuple[np.ndarray, list[str]]:
    """The frames (T, 240, W, 3) of a forward video of `kind`, and the names of its objects."""
    rng = np.random.default_rng([seed, vid])
    d = Director(rng)
    plan = PLANNERS[kind](d)
    views = [d.view(plan.camera(t)) for t in (0, d.T)]
    spots = np.array([(*a.pos(t)[:2], a.sprite.radius) for a in plan.actors for t in (0, d.T / 2, d.T)])
    lo, hi = (spots[:, :2] - spots[:, 2:]).min(0), (spots[:, :2] + spots[:, 2:]).max(0)
    back = build_backdrop(rng, views, d.size, d.light, np.array([lo[0], hi[0], lo[1], hi[1]]))
    add_clutter(d, plan, views, back)
    renderer = Renderer(d, plan, back)
    return np.stack([renderer.frame(float(t)) for t in range(d.T)]), plan.names


def video_frames(seed: int, vid: int, pair: int, reverse: bool) -> tuple[np.ndarray, list[str]]:
    """A video of class PAIRS[pair][reverse]: a pair's second class is its first's kind played backwards."""
    frames, names = render_video(seed, vid, PAIRS[pair][2])
    return (frames[::-1].copy() if reverse else frames), names


def write_webm(path: Path, frames: np.ndarray) -> None:
    tmp = path.with_name(path.name + ".part")
    with av.open(str(tmp), "w", format="webm", options={"fflags": "+bitexact"}) as out:  # same input, same bytes
        stream = out.add_stream("libvpx-vp9", rate=FPS)
        stream.width, stream.height, stream.pix_fmt = frames.shape[2], frames.shape[1], "yuv420p"
        stream.codec_context.thread_count = 1
        stream.options = {"crf": "34", "b:v": "0", "deadline": "realtime", "cpu-used": "8"}
        for frame in frames:
            for packet in stream.encode(av.VideoFrame.from_ndarray(frame, format="rgb24")):
                out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)
    os.replace(tmp, path)


def _job(job: tuple[int, int, int, bool, str]) -> tuple[int, list[str]]:
    seed, vid, pair, reverse, folder = job
    frames, names = video_frames(seed, vid, pair, reverse)
    write_webm(Path(folder) / f"{vid}.webm", frames)
    return vid, names


# ----------------------------------------------------------------------------------------------------------
# The dataset


def make_outdoors(
    root: Path,
    seed: int,
    labels_file: Path,
    train_per_class: int = 24,
    validation_per_class: int = 8,
    test_per_class: int = 2,
    workers: int = 2,
) -> None:
    """Writes the dataset under `root` in the layout of the official SSv2 download."""
    root = Path(root)
    names = [line.strip() for line in Path(labels_file).read_text(encoding="utf-8").splitlines() if line.strip()]
    missing = [c for pair in PAIRS for c in pair[:2] if c not in names]
    if missing:
        raise ValueError(f"{labels_file} lacks the classes {missing}")
    counts = dict(zip(SPLITS, (train_per_class, validation_per_class, test_per_class)))
    slots = [(split, pair, rev) for pair in range(len(PAIRS)) for rev in (False, True) for split in SPLITS]
    slots = [slot for slot in slots for _ in range(counts[slot[0]])]
    master = np.random.default_rng(seed)
    order, ids = master.permutation(len(slots)), master.choice(MAX_ID, size=len(slots), replace=False) + 1
    jobs = [(int(vid), *slots[k]) for vid, k in zip(ids, order)]  # classes and splits interleaved
    videos = root / VIDEO_DIR
    videos.mkdir(parents=True, exist_ok=True)
    (root / "labels").mkdir(parents=True, exist_ok=True)
    tasks = [(seed, vid, pair, rev, str(videos)) for vid, _, pair, rev in jobs]
    started = time.perf_counter()
    if workers <= 1:
        placeholders = dict(map(_job, tasks))
    else:
        with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn")) as pool:
            placeholders = dict(pool.map(_job, tasks))
    lists: dict[str, list[dict]] = {split: [] for split in SPLITS}
    for vid, split, pair, rev in jobs:
        if split == "test":
            lists[split].append({"id": str(vid)})
            continue
        template = PAIRS[pair][rev].replace("something", "[something]")
        label = template
        for name in placeholders[vid]:
            label = label.replace("[something]", name, 1)
        entry = {"id": str(vid), "label": label[0].lower() + label[1:], "template": template}
        lists[split].append(entry | {"placeholders": placeholders[vid]})
    files = {"labels": {name: str(i) for i, name in enumerate(names)}} | lists
    for key, content in files.items():
        text = json.dumps(content, indent=1, ensure_ascii=False) + "\n"
        (root / "labels" / f"something-something-v2-{key}.json").write_text(text, encoding="utf-8")
    print(f"outdoors: {len(jobs)} videos in {time.perf_counter() - started:.0f} s under {root}")


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("root", type=Path, help="output folder: gets labels/ and 20bn-something-something-v2/")
    parser.add_argument("--seed", type=int, default=0, help="same seed, same dataset (default 0)")
    labels = Path("ssv2/ssv2-labels.txt")
    parser.add_argument("--labels-file", type=Path, default=labels, help="class names, one a line, in index order")
    parser.add_argument("--train-per-class", type=int, default=24, help="training videos per class (default 24)")
    parser.add_argument("--validation-per-class", type=int, default=8, help="validation videos per class (default 8)")
    parser.add_argument("--test-per-class", type=int, default=2, help="unlabelled test videos per class (default 2)")
    parser.add_argument("--workers", type=int, default=2, help="rendering and encoding processes (default 2)")
    args = parser.parse_args(argv)
    counts = (args.train_per_class, args.validation_per_class, args.test_per_class)
    make_outdoors(args.root, args.seed, args.labels_file, *counts, args.workers)


if __name__ == "__main__":
    main()
