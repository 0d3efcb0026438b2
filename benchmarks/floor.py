"""Held-out synthetic Something-Something V2 set: objects on a floor filmed by a hand-held phone.

Scene
    Someone standing or crouching films a floor (carpet, a patterned rug, wooden planks,
    stone or ceramic tiles, lino) from 30-60 degrees above the horizontal. The floor is
    ray-cast through a pinhole camera, so farther things are smaller and higher in the
    frame, and a wall with a skirting board closes the room where it comes into view.
    Still clutter lies around: toys, shoes, books, balls, remotes, cushions, chair or table
    legs, a sofa. A hand and arm (random skin tone and sleeve) does the manipulation.
    Every video has hand-held shake, drifting exposure and white balance, a drifting soft
    shadow, sensor noise, motion blur and idle time of random length before and after the
    action; the action's speed varies, the acting object starts at 10-25% of the frame
    height and all colours are random, never tied to the class.

Classes (real SSv2 names, four time-reversal pairs)
    Pushing something from left to right / ... from right to left
    Moving something up / Moving something down
    Moving something and something closer to each other / ... away from each other
    Approaching something with your camera / Moving away from something with your camera
    The second class of each pair is a fresh random draw of the first class's kind of
    video, rendered forwards and written with its frames in reverse order, so only frame
    order tells the two classes of a pair apart.

Layout (the official download's)
    ROOT/labels/something-something-v2-labels.json       all classes of --labels-file
    ROOT/labels/something-something-v2-{train,validation}.json   id, label, template, placeholders
    ROOT/labels/something-something-v2-test.json          ids only
    ROOT/20bn-something-something-v2/<id>.webm            VP9, yuv420p, 12 fps, 240 px high,
                                                           320-480 px wide (mostly 427), 2-5 s
    Ids are unique random integers in SSv2's range; classes and splits are interleaved.
    Each video is drawn by its own generator seeded with (seed, id), so the output does not
    depend on the number of workers.

Command line
    python benchmarks/floor.py ROOT [--seed 0] [--labels-file ssv2/ssv2-labels.txt]
        [--train-per-class 24] [--validation-per-class 8] [--test-per-class 2] [--workers 2]
"""

from __future__ import annotations

import argparse
import colorsys
import json
import math
import multiprocessing as mp
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import av
import numpy as np
from PIL import Image, ImageDraw, ImageFilter

FPS = 12
HEIGHT = 240
MAX_ID = 220_847  # SSv2's ids run from 1 up to the size of the full set
LABELS_DIR = "labels"
VIDEOS_DIR = "20bn-something-something-v2"
PREFIX = "something-something-v2"
PAIRS = (  # (forward class, its time reversal, kind of video drawn)
    ("Pushing something from left to right", "Pushing something from right to left", "push"),
    ("Moving something up", "Moving something down", "lift"),
    (
        "Moving something and something closer to each other",
        "Moving something and something away from each other",
        "closer",
    ),
    ("Approaching something with your camera", "Moving away from something with your camera", "approach"),
)
NAMES = {
    "ball": ["ball", "rubber ball", "tennis ball", "football", "small ball", "bouncy ball"],
    "box": ["box", "cardboard box", "small box", "tissue box", "gift box", "shoebox"],
    "cup": ["cup", "mug", "plastic cup", "can", "tin"],
    "shoe": ["shoe", "sneaker", "slipper", "boot", "kid's shoe"],
    "book": ["book", "notebook", "magazine", "paperback", "comic book"],
    "car": ["toy car", "car", "toy truck", "little car"],
    "remote": ["remote", "remote control", "tv remote", "controller"],
    "plush": ["teddy bear", "stuffed animal", "plush toy", "soft toy"],
    "brick": ["lego brick", "toy block", "building block", "duplo"],
    "bottle": ["bottle", "water bottle", "plastic bottle", "empty bottle"],
    "cushion": ["cushion", "pillow"],
}
ACTING = [k for k in NAMES if k != "cushion"]

Colour = tuple[int, int, int]


# ---------------------------------------------------------------- small helpers
def _tone(c: Colour, k: float) -> Colour:
    return tuple(int(min(255.0, max(0.0, v * k))) for v in c)  # type: ignore[return-value]


def _colour(rng: np.random.Generator, sat: tuple = (0.15, 0.95), val: tuple = (0.25, 0.95)) -> tuple[Colour, str]:
    """A random colour and the word a person would use for it."""
    h, s, v = rng.random(), rng.uniform(*sat), rng.uniform(*val)
    rgb = tuple(int(255 * c) for c in colorsys.hsv_to_rgb(h, s, v))
    if s < 0.25:
        name = "white" if v > 0.8 else "black" if v < 0.35 else "grey"
    else:
        hues = [(0.04, "red"), (0.11, "orange"), (0.19, "yellow"), (0.45, "green"), (0.7, "blue"), (0.83, "purple")]
        name = next((n for lim, n in hues if h < lim), "pink" if h < 0.95 else "red")
    return rgb, name  # type: ignore[return-value]


def _placeholder(kind: str, colour: str, rng: np.random.Generator) -> str:
    """Free text the way crowd workers typed it: mostly plain, sometimes with articles, commas, quotes."""
    name = str(rng.choice(NAMES[kind]))
    r = rng.random()
    if r < 0.35:
        return f"{colour} {name}"
    if r < 0.5:
        return str(rng.choice(["a ", "the ", "my "])) + name
    if r < 0.58:
        return str(rng.choice([f'"{name}"', f"{name}, {colour}", f"{name} ({colour})", f"{name} – {colour}"]))
    return name


def _ease(u: np.ndarray, g: float = 1.0) -> np.ndarray:
    return 0.5 - 0.5 * np.cos(np.pi * np.clip(u, 0.0, 1.0) ** g)


def _wobble(rng: np.random.Generator, n: int, amp: float, period: float) -> np.ndarray:
    """Smooth random signal: cosine-interpolated knots every `period` frames."""
    knots = rng.normal(0.0, amp, int(n / period) + 3)
    x = np.arange(n) / period + rng.random()
    i = np.floor(x).astype(int)
    w = 0.5 - 0.5 * np.cos(np.pi * (x - i))
    return knots[i] * (1 - w) + knots[i + 1] * w


def _blotch(rng: np.random.Generator, shape: tuple[int, int], cell: int) -> np.ndarray:
    """Low-frequency noise in [0, 1] with features about `cell` pixels wide."""
    h, w = shape
    small = rng.random((h // cell + 2, w // cell + 2)).astype(np.float32)
    return np.asarray(Image.fromarray(small, "F").resize((w, h), Image.BICUBIC))


def _smear(img: np.ndarray, dx: float, dy: float) -> np.ndarray:
    """Motion blur: the mean of copies shifted along (dx, dy), edges padded."""
    n = min(int(max(abs(dx), abs(dy))) + 1, 8)
    if n < 2:
        return img
    m = int(max(abs(dx), abs(dy)) / 2) + 1
    pad = np.pad(img, ((m, m), (m, m), (0, 0)), mode="edge")
    acc = np.zeros_like(img)
    h, w = img.shape[:2]
    for k in range(n):
        s = k / (n - 1) - 0.5
        oy, ox = m + round(s * dy), m + round(s * dx)
        acc += pad[oy : oy + h, ox : ox + w]
    return acc / n


def _shade(img: Image.Image, axis: int, lo: float = 0.62, amp: float = 0.5) -> Image.Image:
    """Cylinder-like light across one axis of a sprite."""
    a = np.asarray(img).astype(np.float32)
    n = a.shape[1 - axis]
    prof = lo + amp * np.sin(np.pi * (np.arange(n) + 0.5) / n) ** 0.7
    prof = prof[None, :, None] if axis == 0 else prof[:, None, None]
    a[..., :3] *= prof
    return Image.fromarray(np.clip(a, 0, 255).astype(np.uint8), "RGBA")


def _grain(img: Image.Image, rng: np.random.Generator, k: float) -> Image.Image:
    a = np.asarray(img).astype(np.float32)
    a[..., :3] *= 1 + k * rng.standard_normal(a.shape[:2] + (1,)).astype(np.float32)
    return Image.fromarray(np.clip(a, 0, 255).astype(np.uint8), "RGBA")


# ---------------------------------------------------------------- object sprites
def _prism(d: ImageDraw.ImageDraw, x: float, y: float, wf: float, hf: float, dx: float, dy: float, top, front, side):
    """A box seen obliquely from above: front face at (x, y)-(x+wf, y+hf), top receding by (dx, -dy)."""
    d.polygon([(x, y), (x + wf, y), (x + wf + dx, y - dy), (x + dx, y - dy)], fill=top)
    sx = x + wf if dx > 0 else x
    d.polygon([(sx, y), (sx + dx, y - dy), (sx + dx, y - dy + hf), (sx, y + hf)], fill=side)
    d.rectangle([x, y, x + wf, y + hf], fill=front)


def _ball(rng: np.random.Generator, col: Colour, col2: Colour) -> Image.Image:
    dia = 100
    yy, xx = (np.mgrid[0:dia, 0:dia] + 0.5 - dia / 2) / (dia / 2)
    rr = np.sqrt(xx**2 + yy**2)
    nz = np.sqrt(np.clip(1 - rr**2, 0, 1))
    lam = np.clip(-0.35 * xx - 0.55 * yy + 0.76 * nz, 0, 1)
    c, s = math.cos(a := rng.uniform(0, math.pi)), math.sin(a)
    pattern = rng.integers(3)
    band = xx * c + yy * s
    second = np.abs(band) < 0.2 if pattern == 0 else band > 0.1 if pattern == 1 else np.zeros_like(rr, bool)
    base = np.where(second[..., None], np.array(col2, np.float32), np.array(col, np.float32))
    rgb = base * (0.3 + 0.8 * lam[..., None]) + 90 * lam[..., None] ** 25
    alpha = np.clip((1 - rr) * dia / 2, 0, 1) * 255
    out = np.zeros((dia + 8, dia, 4), np.float32)
    out[:dia, :, :3], out[:dia, :, 3] = rgb, alpha
    return Image.fromarray(np.clip(out, 0, 255).astype(np.uint8), "RGBA")


def _sprite(kind: str, rng: np.random.Generator, col: Colour) -> tuple[Image.Image, float]:
    """One object as seen obliquely from above; returns RGBA and the height fraction of its floor contact."""
    col2, _ = _colour(rng)
    if kind == "ball":
        return _ball(rng, col, col2), 0.9
    sign = 1 if rng.random() < 0.5 else -1
    if kind in ("box", "book", "remote", "brick"):
        wf, hf, dy, dx = {
            "box": (rng.integers(60, 100), rng.integers(35, 80), rng.integers(18, 40), rng.integers(8, 25)),
            "book": (rng.integers(85, 110), rng.integers(8, 15), rng.integers(45, 65), rng.integers(5, 20)),
            "remote": (rng.integers(100, 125), rng.integers(6, 10), rng.integers(16, 24), rng.integers(3, 10)),
            "brick": (rng.integers(60, 90), rng.integers(30, 45), rng.integers(22, 30), rng.integers(6, 14)),
        }[kind]
        dx *= sign
        im = Image.new("RGBA", (int(wf + abs(dx) + 6), int(hf + dy + 14)), col + (0,))
        d = ImageDraw.Draw(im)
        x, y = 3 + max(0, -dx), 11 + dy

        def at(a: float, b: float) -> tuple[float, float]:  # point on the top face
            return x + a * wf + b * dx, y - b * dy

        if kind == "book":
            _prism(d, x, y, wf, hf, dx, dy, col, (232, 228, 214), (215, 210, 196))
            for k in range(2, hf, 3):
                d.line([(x, y + k), (x + wf, y + k)], fill=(190, 186, 175))
            d.polygon([at(0, 0), at(0.08, 0), at(0.08, 1), at(0, 1)], fill=_tone(col, 0.7))
            d.polygon([at(0.3, 0.55), at(0.8, 0.55), at(0.8, 0.75), at(0.3, 0.75)], fill=col2)
        else:
            _prism(d, x, y, wf, hf, dx, dy, _tone(col, 1.12), _tone(col, 0.86), _tone(col, 0.62))
        if kind == "box":
            tape = (190, 160, 110) if rng.random() < 0.6 else col2
            d.polygon([at(0.45, 0), at(0.55, 0), at(0.55, 1), at(0.45, 1)], fill=tape)
            if rng.random() < 0.5:
                d.rectangle([x + wf * 0.2, y + hf * 0.3, x + wf * 0.6, y + hf * 0.7], fill=col2)
        elif kind == "remote":
            for a in np.linspace(0.2, 0.9, 6):
                for b in (0.33, 0.66):
                    px, py = at(a, b)
                    d.ellipse([px - 2.5, py - 1.5, px + 2.5, py + 1.5], fill=_tone(col2, 0.9))
            px, py = at(0.08, 0.5)
            d.ellipse([px - 3, py - 2, px + 3, py + 2], fill=(200, 30, 30))
        elif kind == "brick":
            for a in (0.2, 0.4, 0.6, 0.8) if wf > 72 else (0.3, 0.7):
                for b in (0.3, 0.7):
                    px, py = at(a, b)
                    d.rectangle([px - 6, py - 6, px + 6, py], fill=_tone(col, 0.85))
                    d.ellipse([px - 6, py - 9, px + 6, py - 3], fill=_tone(col, 1.2))
        return _grain(im, rng, 0.03), (y + hf - dy / 2) / im.height
    if kind == "cup":
        a, b = int(rng.integers(55, 80)), int(rng.integers(50, 90))
        e = int(a * 0.38)
        im = Image.new("RGBA", (a + 30, b + e + 4), col + (0,))
        d = ImageDraw.Draw(im)
        d.ellipse([4, b, 4 + a, b + e], fill=col)
        d.rectangle([4, e // 2, 4 + a, b + e // 2], fill=col)
        if rng.random() < 0.5:
            d.arc([a - 6, e + 4, a + 24, e + b * 0.6], -90, 90, fill=_tone(col, 0.8), width=7)
        im = _shade(im, 0)
        d = ImageDraw.Draw(im)
        metal = rng.random() < 0.4
        d.ellipse([4, 0, 4 + a, e], fill=(205, 205, 210) if metal else _tone(col, 1.15))
        d.ellipse([9, 3, a - 1, e - 3], fill=(150, 150, 155) if metal else _tone(col, 0.35))
        return _grain(im, rng, 0.03), (b + e / 2) / im.height
    if kind == "bottle":
        im = Image.new("RGBA", (140, 52), col + (0,))
        d = ImageDraw.Draw(im)
        d.rounded_rectangle([4, 8, 100, 46], radius=13, fill=col)
        d.rectangle([98, 18, 118, 36], fill=_tone(col, 0.9))
        d.rectangle([116, 15, 132, 39], fill=col2)
        if rng.random() < 0.6:
            d.rectangle([30, 8, 72, 46], fill=_tone(col2, 1.1))
        im = _shade(im, 1)
        return (im.transpose(Image.FLIP_LEFT_RIGHT) if sign < 0 else im), 0.82
    if kind == "cushion":
        im = Image.new("RGBA", (150, 95), col + (0,))
        d = ImageDraw.Draw(im)
        d.rounded_rectangle([4, 4, 146, 91], radius=28, fill=col, outline=_tone(col, 0.7), width=4)
        if rng.random() < 0.5:
            d.rectangle([50, 8, 100, 87], fill=col2)
            d.rounded_rectangle([4, 4, 146, 91], radius=28, outline=_tone(col, 0.7), width=4)
        a = np.asarray(im).astype(np.float32)
        yy, xx = np.mgrid[0:95, 0:150]
        a[..., :3] *= (0.75 + 0.35 * (1 - ((xx - 75) / 75) ** 2 * ((yy - 40) / 55) ** 2 - ((yy - 40) / 55) ** 2))[
            ..., None
        ]
        return _grain(Image.fromarray(np.clip(a, 0, 255).astype(np.uint8), "RGBA"), rng, 0.08), 0.7
    if kind == "shoe":
        im = Image.new("RGBA", (150, 80), col + (0,))
        d = ImageDraw.Draw(im)
        sole = [(240, 240, 235), (40, 40, 40), (150, 100, 60)][rng.integers(3)]
        d.rounded_rectangle([6, 58, 148, 72], radius=7, fill=sole)
        upper = [(12, 62), (10, 30), (22, 16), (45, 20), (70, 32), (110, 38), (136, 45), (147, 57), (147, 64)]
        d.polygon(upper, fill=col)
        d.polygon([(12, 62), (10, 30), (22, 16), (30, 30), (28, 62)], fill=_tone(col, 0.8))
        d.ellipse([16, 14, 52, 28], fill=_tone(col, 0.3))
        for k in range(4):
            d.line([(58 + 11 * k, 28 + 3 * k), (66 + 11 * k, 22 + 3 * k)], fill=_tone(col2, 1.3), width=3)
        d.line([(40, 50), (80, 42), (120, 52)], fill=col2, width=4)
        im = _grain(im, rng, 0.04)
        return (im.transpose(Image.FLIP_LEFT_RIGHT) if sign < 0 else im), 0.85
    if kind == "car":
        im = Image.new("RGBA", (130, 76), col + (0,))
        d = ImageDraw.Draw(im)
        d.polygon([(36, 30), (46, 10), (92, 10), (106, 30)], fill=_tone(col, 0.95))
        d.polygon([(44, 29), (51, 14), (68, 14), (68, 29)], fill=(150, 170, 190))
        d.polygon([(72, 29), (72, 14), (89, 14), (98, 29)], fill=(140, 160, 185))
        d.rounded_rectangle([6, 28, 124, 60], radius=10, fill=col)
        d.rectangle([112, 36, 122, 42], fill=(250, 230, 140))
        for cx in (30, 100):
            d.ellipse([cx - 12, 48, cx + 12, 72], fill=(25, 25, 25))
            d.ellipse([cx - 5, 55, cx + 5, 65], fill=(170, 170, 175))
        im = _shade(im, 1, 0.75, 0.35)
        return (im.transpose(Image.FLIP_LEFT_RIGHT) if sign < 0 else im), 0.88
    # plush toy
    im = Image.new("RGBA", (100, 122), col + (0,))
    d = ImageDraw.Draw(im)
    d.ellipse([14, 92, 44, 118], fill=_tone(col, 0.85))
    d.ellipse([56, 92, 86, 118], fill=_tone(col, 0.85))
    d.ellipse([20, 48, 80, 112], fill=col)
    d.ellipse([4, 56, 28, 90], fill=_tone(col, 0.9))
    d.ellipse([72, 56, 96, 90], fill=_tone(col, 0.9))
    for ex in (16, 64):
        d.ellipse([ex, 2, ex + 22, 24], fill=_tone(col, 0.9))
    d.ellipse([22, 8, 78, 62], fill=col)
    d.ellipse([38, 34, 62, 52], fill=_tone(col, 1.35))
    for ex in (37, 58):
        d.ellipse([ex, 24, ex + 6, 30], fill=(15, 15, 15))
    d.ellipse([46, 36, 54, 42], fill=(30, 20, 20))
    return _grain(im, rng, 0.12), 0.92


# ---------------------------------------------------------------- floor textures (world space, 0..1 floats)
def _wood(rng: np.random.Generator, u: np.ndarray, v: np.ndarray, fine: np.ndarray) -> np.ndarray:
    pw, bl = rng.uniform(0.07, 0.2), rng.uniform(0.5, 1.5)
    row = np.floor(v / pw).astype(int) % 256
    along = u + rng.random(256)[row] * bl
    board = np.floor(along / bl).astype(int) % 64
    tone = rng.normal(0, 0.09, (256, 64)).astype(np.float32)[row, board]
    phase = rng.random((256, 64)).astype(np.float32)[row, board]
    grain = np.sin(
        2 * np.pi * (v / pw * rng.uniform(3, 9) + 0.6 * np.sin(2 * np.pi * along / rng.uniform(0.3, 0.9)) + phase)
    )
    seam = ((v / pw) % 1 * pw < 0.004) | (along % bl < 0.004)
    base, _ = _colour(rng, (0.25, 0.7), (0.35, 0.85))
    hue_wood = colorsys.hsv_to_rgb(rng.uniform(0.05, 0.11), rng.uniform(0.3, 0.7), rng.uniform(0.35, 0.85))
    c = np.array(hue_wood if rng.random() < 0.85 else np.array(base) / 255, np.float32)
    k = (1 + tone) * (1 + 0.07 * grain) * (1 + 0.03 * fine) * np.where(seam, 0.55, 1.0)
    return c * k[..., None]


def _tiles(rng: np.random.Generator, u: np.ndarray, v: np.ndarray, fine: np.ndarray, blot: np.ndarray) -> np.ndarray:
    su = rng.uniform(0.2, 0.6)
    sv = su * (1 if rng.random() < 0.7 else rng.uniform(0.4, 0.6))
    i, j = np.floor(u / su), np.floor(v / sv)
    gw = rng.uniform(0.003, 0.008)
    grout = (u - i * su < gw) | (v - j * sv < gw)
    tone = rng.normal(0, 0.05, (64, 64)).astype(np.float32)[i.astype(int) % 64, j.astype(int) % 64]
    c1, _ = _colour(rng, (0.0, 0.4), (0.45, 0.95))
    c2, _ = _colour(rng, (0.0, 0.4), (0.2, 0.9))
    check = ((i + j) % 2 == 1) & (rng.random() < 0.3)
    col = np.where(check[..., None], np.array(c2, np.float32), np.array(c1, np.float32)) / 255
    veins = np.abs(np.sin(2 * np.pi * (u * 0.7 + 1.5 * blot))) ** 40 * (rng.random() < 0.35)
    k = (1 + tone) * (1 - 0.1 * veins) * (1 + 0.02 * fine)
    g, _ = _colour(rng, (0.0, 0.2), (0.3, 0.9))
    return np.where(grout[..., None], np.array(g, np.float32) / 255, col * k[..., None])


def _textile(rng: np.random.Generator, fine: np.ndarray, blot: np.ndarray) -> np.ndarray:
    c, _ = _colour(rng, (0.05, 0.5), (0.25, 0.8))
    return np.array(c, np.float32) / 255 * ((1 + 0.13 * fine) * (0.92 + 0.16 * blot))[..., None]


def _floor_texture(rng: np.random.Generator, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Floor colours at world points (x, y): carpet, rug, planks, tiles or lino, maybe a patch of sun."""
    ang = rng.uniform(0, np.pi)
    u, v = x * math.cos(ang) + y * math.sin(ang), -x * math.sin(ang) + y * math.cos(ang)
    fine = rng.standard_normal(x.shape, dtype=np.float32)
    blot = _blotch(rng, x.shape, 60)
    kind = rng.choice(["carpet", "rug", "wood", "tiles", "lino"], p=[0.2, 0.2, 0.25, 0.2, 0.15])
    under = rng.choice(["wood", "tiles", "lino"]) if kind == "rug" else kind
    if under == "wood":
        tex = _wood(rng, u, v, fine)
    elif under == "tiles":
        tex = _tiles(rng, u, v, fine, blot)
    elif under == "carpet":
        tex = _textile(rng, fine, blot)
    else:
        c, _ = _colour(rng, (0.05, 0.6), (0.35, 0.9))
        speck = (rng.random(x.shape) < 0.015) * rng.choice([-0.25, 0.25])
        tex = np.array(c, np.float32) / 255 * ((0.94 + 0.12 * blot + speck) * (1 + 0.015 * fine))[..., None]
    if kind == "rug":
        ru, rv = u - rng.uniform(-0.6, 0.6), v - rng.uniform(-0.5, 0.8)
        a, b, bw = rng.uniform(0.6, 1.5), rng.uniform(0.4, 1.1), rng.uniform(0.04, 0.15)
        inside = (np.abs(ru) < a) & (np.abs(rv) < b)
        border = inside & ((a - np.abs(ru) < bw) | (b - np.abs(rv) < bw))
        p, motif = rng.uniform(0.08, 0.3), rng.integers(4)
        if motif == 0:
            alt = np.sin(2 * np.pi * ru / p) > 0
        elif motif == 1:
            alt = np.abs((ru / p) % 1 - 0.5) + np.abs((rv / p) % 1 - 0.5) < 0.3
        elif motif == 2:
            alt = (np.floor(ru / p) + np.floor(rv / p)) % 2 == 0
        else:
            alt = np.sin(2 * np.pi * np.sqrt((ru / a) ** 2 + (rv / b) ** 2) * rng.uniform(2, 5)) > 0.3
        cols = [np.array(_colour(rng, (0.2, 0.8), (0.2, 0.85))[0], np.float32) / 255 for _ in range(3)]
        rug = np.where(border[..., None], cols[2], np.where(alt[..., None], cols[1], cols[0]))
        rug = rug * ((1 + 0.15 * fine) * (0.93 + 0.14 * blot))[..., None]
        tex = np.where(inside[..., None], rug, tex)
    if rng.random() < 0.3:  # sunlight through a window
        a2 = ang + rng.uniform(-0.6, 0.6)
        pu = x * math.cos(a2) + y * math.sin(a2) - rng.uniform(-1, 1)
        pv = -x * math.sin(a2) + y * math.cos(a2) - rng.uniform(-0.5, 1.5) + 0.4 * pu
        m = np.clip((rng.uniform(0.3, 0.8) - np.abs(pu)) / 0.03, 0, 1) * np.clip((0.5 - np.abs(pv)) / 0.03, 0, 1)
        tex = tex * (1 + rng.uniform(0.25, 0.6) * m[..., None] * np.array([1.05, 1.0, 0.9], np.float32))
    return tex


# ---------------------------------------------------------------- camera
@dataclass
class _Cam:
    pos: np.ndarray
    r: np.ndarray
    u: np.ndarray
    d: np.ndarray
    f: float
    w: int
    h: int

    def project(self, p: np.ndarray) -> tuple[float, float, float]:
        q = p - self.pos
        z = max(float(q @ self.d), 0.05)
        return self.w / 2 + self.f * float(q @ self.r) / z, self.h / 2 - self.f * float(q @ self.u) / z, z

    def floor_point(self, px: float, py: float) -> np.ndarray:
        ray = self.d + self.r * (px - self.w / 2) / self.f - self.u * (py - self.h / 2) / self.f
        return self.pos - self.pos[2] / min(ray[2], -1e-3) * ray

    def rays(self, s: float) -> np.ndarray:
        """M with ray = M @ (X, Y, 1) for pixel (X, Y) of an s-times supersampled frame."""
        f = self.f * s
        c = self.d - self.r * (self.w * s / 2) / f + self.u * (self.h * s / 2) / f
        return np.stack([self.r / f, -self.u / f, c], axis=1)


def _look(pos: np.ndarray, target: np.ndarray, shake: np.ndarray, f: float, w: int, h: int) -> _Cam:
    v = target - pos
    a = math.atan2(v[0], v[1]) + shake[0]
    p = math.atan2(-v[2], math.hypot(v[0], v[1])) + shake[1]
    fwd, right, up = np.array([math.sin(a), math.cos(a), 0.0]), np.array([math.cos(a), -math.sin(a), 0.0]), np.eye(3)[2]
    d = math.cos(p) * fwd - math.sin(p) * up
    u = math.sin(p) * fwd + math.cos(p) * up
    cr, sr = math.cos(shake[2]), math.sin(shake[2])
    return _Cam(pos, cr * right + sr * u, -sr * right + cr * u, d, f, w, h)


# ---------------------------------------------------------------- scene
@dataclass
class _Obj:
    sprite: Image.Image
    anchor: float  # height fraction of the sprite where it touches the floor
    size: float  # world height of the sprite, metres
    track: np.ndarray  # (T, 3) floor-contact point per frame
    rot: np.ndarray  # (T,) degrees

    @property
    def radius(self) -> float:
        return 0.5 * self.size * self.sprite.width / self.sprite.height


@dataclass
class _Hand:
    obj: int
    grip: bool  # grasps from above; else pushes from the side
    reach: np.ndarray  # (T,) 0 = out of frame, 1 = at the object
    a: np.ndarray  # unit direction of the forearm towards the fingers, frame pixels
    right: bool
    jitter: np.ndarray  # (T, 2) pixels


SS = 1.5  # supersampling of the floor and wall
SKIN = np.array([(245, 208, 180), (226, 182, 150), (198, 148, 112), (165, 115, 80), (120, 80, 55), (85, 57, 40)])


class _Video:
    """One random floor video of a given kind, drawn forwards."""

    def __init__(self, kind: str, rng: np.random.Generator) -> None:
        self.rng = rng
        self.h, n = HEIGHT, int(rng.integers(24, 61))
        self.w = 427 if rng.random() < 0.7 else 2 * int(rng.integers(160, 241))
        self.n = n
        self.f = self.h / 2 / math.tan(math.radians(rng.uniform(40, 52)) / 2)
        self.pitch = math.radians(rng.uniform(30, 60))
        self.dist = rng.uniform(0.75, 1.9)  # crouching close or standing farther back
        self.cpos = np.tile([0.0, -self.dist * math.cos(self.pitch), self.dist * math.sin(self.pitch)], (n, 1))
        self.ctarget = np.zeros((n, 3))
        self.base = _look(self.cpos[0], self.ctarget[0], np.zeros(3), self.f, self.w, self.h)
        self.wall = rng.uniform(1.0, 4.0)
        self.objects: list[_Obj] = []
        self.hands: list[_Hand] = []
        self.boxes: list[tuple] = []
        self.names: list[str] = []
        wts = rng.uniform([0.05, 0.12, 0.25, 0.1, 0.05], [0.3, 0.22, 0.5, 0.2, 0.3])
        if kind == "approach":
            wts[[1, 3]] = 0
        self.edges = np.concatenate([[0], np.cumsum(wts) / wts.sum() * n])
        self.t = np.arange(n, dtype=float)
        self.act = self._ramp(2, 3, rng.uniform(0.7, 1.4))
        sk = rng.uniform(0, len(SKIN) - 1)
        i = int(sk)
        self.skin: Colour = tuple(int(c) for c in SKIN[i] + (SKIN[min(i + 1, 5)] - SKIN[i]) * (sk - i))  # type: ignore[assignment]
        self.sleeve, _ = _colour(rng, (0.0, 0.8), (0.1, 0.9))
        self.cuff = [rng.uniform(0.15, 0.35), rng.uniform(1.2, 2.2), 99.0][rng.choice(3, p=[0.55, 0.25, 0.2])]
        self.hand_scale = rng.uniform(0.9, 1.15)
        getattr(self, f"_{kind}")()
        self._furniture()
        self._clutter()
        self._camera()
        self._lighting()
        self._room()

    # -- timing
    def _ramp(self, a: int, b: int, g: float = 1.0, shift: float = 0.0) -> np.ndarray:
        e0, e1 = self.edges[a] + shift, self.edges[b] + shift
        return _ease((self.t - e0) / max(e1 - e0, 1.0), g)

    def _hand(self, obj: int, grip: bool, side: int, leave: bool, shift: float = 0.0) -> None:
        """A hand coming in from the lower left (side -1) or lower right (+1) to the object's near side."""
        rng = self.rng
        reach = self._ramp(1, 2, shift=shift) - (self._ramp(3, 4, shift=shift) if leave else 0.0)
        jit = np.stack([_wobble(rng, self.n, 1.2, 5) for _ in range(2)], 1)
        a = np.array([-side, -rng.uniform(0.4, 1.6)])
        right = (side > 0) == (rng.random() < 0.85)
        self.hands.append(_Hand(obj, grip, reach, a / np.linalg.norm(a), right, jit))

    # -- objects
    def _object(self, px: float, py: float, kinds: list[str] = ACTING, frac: tuple = (0.10, 0.25)) -> _Obj:
        rng = self.rng
        kind = str(rng.choice(kinds))
        col, cname = _colour(rng)
        spr, anchor = _sprite(kind, rng, col)
        p = self.base.floor_point(px * self.w, py * self.h)
        z = self.base.project(p)[2]
        size = rng.uniform(*frac) * self.h * z / self.f
        size = min(size, 0.4 * self.w * z / self.f * spr.height / spr.width)
        obj = _Obj(spr, anchor, size, np.tile(p, (self.n, 1)), np.zeros(self.n))
        self.objects.append(obj)
        self.names.append(_placeholder(kind, cname, rng))
        return obj

    def _push(self) -> None:
        rng = self.rng
        py, x0 = rng.uniform(0.45, 0.75), rng.uniform(0.15, 0.4)
        obj = self._object(x0, py)
        end = self.base.floor_point(
            min(x0 + rng.uniform(0.25, 0.5), 0.85) * self.w, (py + rng.uniform(-0.06, 0.06)) * self.h
        )
        obj.track = obj.track + self.act[:, None] * (end - obj.track[0])
        obj.rot = self.act * rng.uniform(-15, 15)
        self._hand(0, False, -1, rng.random() < 0.8)

    def _lift(self) -> None:
        rng = self.rng
        px, py = rng.uniform(0.3, 0.7), rng.uniform(0.55, 0.78)
        obj = self._object(px, py)
        z = self.base.project(obj.track[0])[2]
        rise = min(rng.uniform(0.18, 0.35) * self.h * z / (self.f * math.cos(self.pitch)), 0.6 * self.cpos[0, 2])
        held = self.act > 0
        obj.track[:, 2] = self.act * rise + held * _wobble(rng, self.n, 0.01, 6)
        obj.track[:, 0] += self.act * rng.uniform(-0.1, 0.1) * self.w * z / self.f
        obj.rot = self.act * rng.uniform(-12, 12) + held * _wobble(rng, self.n, 3, 6)
        self._hand(0, True, 1 if rng.random() < 0.65 else -1, False)

    def _closer(self) -> None:
        rng = self.rng
        py = rng.uniform(0.45, 0.75)
        a = self._object(rng.uniform(0.1, 0.3), py)
        b = self._object(rng.uniform(0.7, 0.9), py + rng.uniform(-0.1, 0.1))
        gap = b.track[0] - a.track[0]
        length = float(np.hypot(gap[0], gap[1]))
        move = max(length - a.radius - b.radius - rng.uniform(0.01, 0.08), 0.0) * gap / length
        mode = rng.integers(3)  # a moves, b moves, or both
        lam = 1.0 if mode == 0 else 0.0 if mode == 1 else rng.uniform(0.3, 0.7)
        a.track = a.track + self.act[:, None] * move * lam
        b.track = b.track - self.act[:, None] * move * (1 - lam)
        a.rot, b.rot = self.act * lam * rng.uniform(-10, 10), self.act * (1 - lam) * rng.uniform(-10, 10)
        leave = rng.random() < 0.75
        if mode == 0:
            self._hand(0, True, -1, leave)  # from the far side of the other object, the arm never crosses it
        elif mode == 1:
            self._hand(1, True, 1, leave)
        else:
            self._hand(0, True, -1, leave, rng.uniform(-2, 2))
            self._hand(1, True, 1, leave, rng.uniform(-2, 2))

    def _approach(self) -> None:
        rng = self.rng
        obj = self._object(rng.uniform(0.35, 0.65), rng.uniform(0.4, 0.65))
        p = obj.track[0]
        self.cpos = self.cpos + self.act[:, None] * rng.uniform(0.35, 0.6) * (p - self.cpos[0])
        self.ctarget = self.ctarget + self.act[:, None] * rng.uniform(0.5, 1.0) * (p - self.ctarget[0])

    def _clear(self, p: np.ndarray, r: float) -> bool:
        for o in self.objects:
            if np.min(np.hypot(o.track[:, 0] - p[0], o.track[:, 1] - p[1])) < r + o.radius + 0.05:
                return False
        return all(not (b[0] - r < p[0] < b[1] + r and b[2] - r < p[1] < b[3] + r) for b in self.boxes)

    def _furniture(self) -> None:
        """A sofa against the wall or at a side, chair or table legs near the border."""
        rng = self.rng
        if rng.random() < 0.45:
            fabric, _ = _colour(rng, (0.05, 0.6), (0.25, 0.8))
            if rng.random() < 0.5 and self.wall < 3.0:
                x0 = rng.uniform(-2.5, 0.3)
                fp = [x0, x0 + rng.uniform(1.6, 2.4), self.wall - rng.uniform(0.8, 1.0), self.wall]
            else:
                side = rng.uniform(0.82, 0.97) if rng.random() < 0.5 else rng.uniform(0.03, 0.18)
                x = float(self.base.floor_point(side * self.w, self.h / 2)[0])
                y0 = rng.uniform(self.cpos[0, 1] + 0.4, 0.6)
                fp = [x, x + 2.0, y0, y0 + 0.9] if side > 0.5 else [x - 2.0, x, y0, y0 + 0.9]
            if all(self._clear(np.array([x, y, 0]), 0.05) for x in fp[:2] for y in fp[2:]) and self._clear(
                np.array([(fp[0] + fp[1]) / 2, (fp[2] + fp[3]) / 2, 0]), min(fp[1] - fp[0], fp[3] - fp[2]) / 2
            ):
                self.boxes.append((fp[0] + 0.05, fp[1] - 0.05, fp[2] + 0.05, fp[3] - 0.05, 0.0, 0.05, (25, 22, 20)))
                self.boxes.append((*fp, 0.05, rng.uniform(0.38, 0.45), fabric))
                if fp[3] >= self.wall - 0.01:
                    self.boxes.append((fp[0], fp[1], fp[3] - 0.22, fp[3], 0.4, 0.85, _tone(fabric, 0.9)))
        if rng.random() < 0.5:
            wood = _colour(rng, (0.3, 0.7), (0.2, 0.6))[0] if rng.random() < 0.7 else (60, 60, 64)
            px = rng.uniform(0.0, 0.14) if rng.random() < 0.5 else rng.uniform(0.86, 1.0)
            p = self.base.floor_point(px * self.w, rng.uniform(0.2, 0.7) * self.h)
            t, hz = rng.uniform(0.03, 0.06), rng.uniform(0.45, 0.75)
            for k in range(int(rng.integers(1, 3))):
                q = p + [0, k * rng.uniform(0.4, 0.8), 0]
                if q[1] < self.wall - 0.1 and self._clear(q, t):
                    self.boxes.append((q[0] - t / 2, q[0] + t / 2, q[1] - t / 2, q[1] + t / 2, 0.0, hz, wood))
        self.boxes.sort(key=lambda b: -b[2])  # far first

    def _clutter(self) -> None:
        rng = self.rng
        for _ in range(int(rng.integers(2, 8))):
            for _try in range(10):
                px, py = rng.uniform(-0.05, 1.05), rng.uniform(0.2, 1.05)
                p = self.base.floor_point(px * self.w, py * self.h)
                z = self.base.project(p)[2]
                size = rng.uniform(0.06, 0.18) * self.h * z / self.f
                if p[1] < self.wall - 0.3 and self._clear(p, size * 0.8):
                    kind = str(rng.choice(list(NAMES)))
                    spr, anchor = _sprite(kind, rng, _colour(rng)[0])
                    self.objects.append(
                        _Obj(spr, anchor, size, np.tile(p, (self.n, 1)), np.full(self.n, rng.uniform(-8, 8)))
                    )
                    break

    # -- camera and light
    def _camera(self) -> None:
        rng, n = self.rng, self.n
        amp, per = math.radians(rng.uniform(0.15, 0.9)), rng.uniform(3, 8)
        self.shake = np.stack([_wobble(rng, n, amp * k, per) + rng.normal(0, amp * 0.12, n) for k in (1, 1, 1.5)], 1)
        if rng.random() < 0.3:  # a jerk of the wrist
            self.shake[:, :2] += _ease((self.t - rng.uniform(0, n)) / rng.uniform(2, 4))[:, None] * np.radians(
                rng.uniform(-2.5, 2.5, 2)
            )
        self.cpos = self.cpos + np.stack([_wobble(rng, n, 0.008 * self.dist, 10) for _ in range(3)], 1)
        self.cams = [_look(self.cpos[t], self.ctarget[t], self.shake[t], self.f, self.w, self.h) for t in range(n)]

    def _lighting(self) -> None:
        rng, n, h, w = self.rng, self.n, self.h, self.w
        self.gain = rng.uniform(0.85, 1.15) * np.exp(_wobble(rng, n, rng.uniform(0.02, 0.08), rng.uniform(8, 20)))
        if rng.random() < 0.2:  # a cloud or a lamp
            self.gain *= 1 + rng.uniform(-0.25, 0.25) * _ease((self.t - rng.uniform(0, n)) / rng.uniform(2, 6))
        self.wb = np.exp(rng.normal(0, 0.06, 3))[None] * np.exp(
            np.stack([_wobble(rng, n, 0.02, 15) for _ in range(3)], 1)
        )
        yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
        self.vignette = 1 - rng.uniform(0.1, 0.35) * ((xx - w / 2) ** 2 + (yy - h / 2) ** 2) / (
            (w / 2) ** 2 + (h / 2) ** 2
        )
        self.drift = None
        if rng.random() < 0.6:  # somebody's shadow or a cloud edge crossing the floor
            c0, c1 = rng.uniform([-0.3, -0.3], [1.3, 1.3], (2, 2)) * [w, h]
            self.drift = (
                c0,
                c1,
                rng.uniform(0.3, 0.7) * w,
                rng.uniform(0.12, 0.35),
                rng.integers(2),
                rng.uniform(0, np.pi),
            )
        self.noise = rng.uniform(0.008, 0.03)
        self.curve = (np.linspace(0, 1, 1024) ** rng.uniform(0.9, 1.1) * 255 + 0.5).astype(np.uint8)
        self.shutter, self.sat = rng.uniform(0.3, 0.8), rng.uniform(0.85, 1.15)
        self.shadow_dir = rng.uniform(-0.15, 0.15, 2)

    def _room(self) -> None:
        rng = self.rng
        ymin, ymax = min(self.cpos[:, 1].min(), -0.2) - 0.3, self.wall + 0.05
        xext = min(0.9 * (ymax - ymin) + 0.5, 5.0)
        ppm = min(1.3 * self.f / self.dist, math.sqrt(1.4e6 / (2 * xext * (ymax - ymin))))
        xs = (-xext + np.arange(int(2 * xext * ppm)) / ppm).astype(np.float32)
        ys = (ymax - np.arange(int((ymax - ymin) * ppm)) / ppm).astype(np.float32)
        tex = np.clip(_floor_texture(rng, *np.meshgrid(xs, ys)) * 255, 0, 255).astype(np.uint8)
        self.tex, self.tex_origin = Image.fromarray(tex), (-xext, ymax, ppm)
        self.fill = tuple(int(c) for c in tex.reshape(-1, 3).mean(0))
        self.wall_rgb = _colour(rng, (0.02, 0.25), (0.6, 0.95))[0]
        skirts = [(235, 235, 230), _colour(rng, (0.3, 0.6), (0.3, 0.7))[0], _tone(self.wall_rgb, 0.8)]
        self.skirt_rgb, self.skirt_h = skirts[rng.integers(3)], rng.uniform(0.05, 0.12)

    # -- rendering
    def render(self) -> list[np.ndarray]:
        """All frames in forward order, RGB uint8."""
        self._last: dict[int, np.ndarray] = {}
        return [self._post(self._frame(t), t) for t in range(self.n)]

    def _frame(self, t: int) -> np.ndarray:
        cam = self.cams[t]
        img = self._background(cam)
        self._hands(img, t, self._objects(img, cam, t))
        return np.asarray(img, np.float32) / 255

    def _background(self, cam: _Cam) -> Image.Image:
        """Floor and wall ray-cast at SS times the size (against aliasing), furniture on top, then shrunk."""
        w2, h2 = int(self.w * SS), int(self.h * SS)
        m, c = cam.rays(SS), cam.pos
        x0, y1, ppm = self.tex_origin
        nx = ppm * ((c[0] - x0) * m[2] - c[2] * m[0])
        ny = ppm * ((y1 - c[1]) * m[2] + c[2] * m[1])
        coef = np.concatenate([nx, ny, m[2, :2]]) / m[2, 2]
        img = self.tex.transform((w2, h2), Image.PERSPECTIVE, tuple(coef.tolist()), Image.BILINEAR, fillcolor=self.fill)
        # On the wall plane, height z is above or below zs on either side of one image line.
        d = ImageDraw.Draw(img)
        for zs, col in ((0.0, self.skirt_rgb), (self.skirt_h, self.wall_rgb)):
            line = (c[2] - zs) * m[1] + (self.wall - c[1]) * m[2]
            poly = _half_plane(line, w2, h2)
            if len(poly) > 2:
                d.polygon(poly, fill=col)
                if zs > 0:
                    d.line(poly + poly[:1], fill=_tone(col, 0.75), width=2)
        for b in self.boxes:
            self._box(d, cam, b)
        return img.resize((self.w, self.h), Image.BOX)

    def _box(self, d: ImageDraw.ImageDraw, cam: _Cam, b: tuple) -> None:
        x0, x1, y0, y1, z0, z1, col = b
        c = cam.pos

        def pts(*corners: tuple[float, float, float]) -> list[tuple[float, float]]:
            return [tuple(SS * v for v in cam.project(np.array(p))[:2]) for p in corners]  # type: ignore[misc]

        if c[1] < y0:
            d.polygon(pts((x0, y0, z0), (x1, y0, z0), (x1, y0, z1), (x0, y0, z1)), fill=_tone(col, 0.85))
        for x, vis in ((x0, c[0] < x0), (x1, c[0] > x1)):
            if vis:
                d.polygon(pts((x, y0, z0), (x, y1, z0), (x, y1, z1), (x, y0, z1)), fill=_tone(col, 0.7))
        if c[2] > z1:
            d.polygon(pts((x0, y0, z1), (x1, y0, z1), (x1, y1, z1), (x0, y1, z1)), fill=_tone(col, 1.1))

    def _objects(self, img: Image.Image, cam: _Cam, t: int) -> list[tuple[float, ...]]:
        """Soft contact shadows, then sprites far to near; returns each object's box (x0, y0, x1, y1, depth)."""
        items, boxes = [], []
        q = 4  # shadows are soft: draw them small and blur cheaply
        shade = Image.new("L", (self.w // q + 1, self.h // q + 1), 255)
        d = ImageDraw.Draw(shade)
        for o in self.objects:
            bx, by, z = cam.project(o.track[t])
            hp = o.size * self.f / z
            wp = hp * o.sprite.width / o.sprite.height
            boxes.append((bx - wp / 2, by - o.anchor * hp, bx + wp / 2, by + (1 - o.anchor) * hp, z))
            items.append((z, o, bx, by, hp, wp))
            lift = float(o.track[t, 2])
            fx, fy, _ = cam.project(o.track[t] * [1, 1, 0])
            sw = wp * (1.05 + 2 * lift)
            sh = min(sw * (0.2 + 0.25 * math.sin(self.pitch)), 0.6 * hp)
            fx, fy = fx + self.shadow_dir[0] * sw, fy + self.shadow_dir[1] * sh
            d.ellipse(
                [(fx - sw / 2) / q, (fy - sh / 2) / q, (fx + sw / 2) / q, (fy + sh / 2) / q],
                fill=int(255 * (1 - 0.42 * math.exp(-lift / 0.15))),
            )
        shade = shade.filter(ImageFilter.GaussianBlur(0.7)).resize((self.w + q, self.h + q), Image.BILINEAR)
        shade = np.asarray(shade, np.float32)[: self.h, : self.w, None] / 255
        img.paste(Image.fromarray((np.asarray(img) * shade).astype(np.uint8)))
        for z, o, bx, by, hp, wp in sorted(items, key=lambda it: -it[0]):
            sp = o.sprite.resize((max(2, round(wp)), max(2, round(hp))), Image.BILINEAR)
            if abs(o.rot[t]) > 0.3:
                sp = sp.rotate(float(o.rot[t]), Image.BICUBIC, expand=True)
            if t > 0:
                px, py, _ = cam.project(o.track[t - 1])
                vx, vy = (bx - px) * self.shutter, (by - py) * self.shutter
                if math.hypot(vx, vy) > 1.5:
                    sp = _smear_rgba(sp, vx, vy)
            img.paste(sp, (round(bx - sp.width / 2), round(by - o.anchor * hp - (sp.height - hp) / 2)), sp)
        return boxes

    def _hand_pose(self, hd: _Hand, t: int, box: tuple[float, ...]) -> tuple[np.ndarray, np.ndarray, float]:
        x0, y0, x1, y1, z = box
        e = float(hd.reach[t])
        s = 0.21 * self.f / z * self.hand_scale * (1 + 0.3 * (1 - e))  # nearer the camera while reaching
        a = hd.a
        if hd.grip:  # fingers over the near third of the object, the rest of it in view
            into = min(0.35 * (x1 - x0), 0.35 * s)
            tip, back = np.array([x1 - into if a[0] < 0 else x0 + into, y0 + 0.55 * (y1 - y0)]), 0.78
        else:  # fingertips against the object's side
            tip, back = np.array([x0 + 0.12 * (x1 - x0), y0 + 0.6 * (y1 - y0)]), 0.92
        at = tip - a * back * s
        home = at - a * (self.w + self.h) * 0.8
        return home + (at - home) * e + hd.jitter[t] * e, a, s

    def _hands(self, img: Image.Image, t: int, boxes: list[tuple[float, ...]]) -> None:
        """Draws the hands at twice the size (smooth edges), blurred along their motion when fast."""
        live = [(k, hd) for k, hd in enumerate(self.hands) if hd.reach[t] > 0.01]
        if not live:
            return
        layer = Image.new("RGBA", (2 * self.w, 2 * self.h), self.skin + (0,))
        d = ImageDraw.Draw(layer)
        vel = np.zeros(2)
        for k, hd in live:
            wrist, a, s = self._hand_pose(hd, t, boxes[hd.obj])
            if k in self._last and np.hypot(*(wrist - self._last[k])) > np.hypot(*vel):
                vel = wrist - self._last[k]
            self._last[k] = wrist
            _draw_hand(
                d, 2 * wrist, a, 2 * s, hd.right, hd.grip, self.skin, self.sleeve, self.cuff, 2.0 * (self.w + self.h)
            )
        layer = layer.reduce(2)
        if np.hypot(*vel) * self.shutter > 1.5:
            rgba = np.asarray(layer, np.float32) / 255
            rgba[..., :3] *= rgba[..., 3:]
            rgba = _smear(rgba, *(vel * self.shutter))
            rgba[..., :3] /= np.maximum(rgba[..., 3:], 1e-3)
            layer = Image.fromarray((np.clip(rgba, 0, 1) * 255 + 0.5).astype(np.uint8), "RGBA")
        img.paste(layer, (0, 0), layer)

    def _post(self, arr: np.ndarray, t: int) -> np.ndarray:
        """What the phone adds: light drift, auto exposure, white balance, shake blur, noise, tone curve."""
        rng, h, w = self.rng, self.h, self.w
        light = self.vignette * self.gain[t]
        if self.drift is not None:
            c0, c1, r, dark, edge, ang = self.drift
            cx, cy = c0 + (c1 - c0) * t / self.n
            xs, ys = np.arange(w, dtype=np.float32)[None] - cx, np.arange(h, dtype=np.float32)[:, None] - cy
            if edge:
                q = np.clip((xs * math.cos(ang) + ys * math.sin(ang)) / (0.15 * r), -30, 30)
                light = light * (1 - dark / (1 + np.exp(-q)))
            else:
                light = light * (1 - dark * np.exp(-(xs**2) / r**2) * np.exp(-(ys**2) / r**2))
        arr = arr * light[..., None] * self.wb[t]
        mean = float(arr.mean()) + 1e-3
        if t == 0:
            self.ae_ref, self.ae = mean, 1.0
        self.ae += 0.3 * (math.sqrt(self.ae_ref / mean) - self.ae)  # the phone's auto exposure lags and under-corrects
        arr *= self.ae
        if t > 0:
            dx, dy = (self.shake[t, :2] - self.shake[t - 1, :2]) * self.f * self.shutter
            if math.hypot(dx, dy) > 1.2:
                arr = _smear(arr, -dx, dy)
        lum = arr.mean(-1, keepdims=True)
        arr = lum + (arr - lum) * self.sat
        noise = rng.standard_normal((h, w, 1), dtype=np.float32) * self.noise
        chroma = rng.standard_normal((h // 2 + 1, w // 2 + 1, 3), dtype=np.float32) * self.noise * 0.6
        arr = arr + (noise + chroma.repeat(2, 0).repeat(2, 1)[:h, :w]) * np.sqrt(np.clip(lum, 0.05, 1))
        return self.curve[(np.clip(arr, 0, 1) * 1023 + 0.5).astype(np.int16)]


def _half_plane(g: np.ndarray, w: int, h: int) -> list[tuple[float, float]]:
    """The part of the frame where g @ (x, y, 1) > 0, as a polygon (one clip of the frame's rectangle)."""
    rect = [(0.0, 0.0), (float(w), 0.0), (float(w), float(h)), (0.0, float(h))]
    val = [g[0] * x + g[1] * y + g[2] for x, y in rect]
    out = []
    for k in range(4):
        (p, vp), (q, vq) = (rect[k], val[k]), (rect[(k + 1) % 4], val[(k + 1) % 4])
        if vp > 0:
            out.append(p)
        if (vp > 0) != (vq > 0):
            u = vp / (vp - vq)
            out.append((p[0] + u * (q[0] - p[0]), p[1] + u * (q[1] - p[1])))
    return out


def _smear_rgba(sp: Image.Image, vx: float, vy: float) -> Image.Image:
    """Motion blur of a sprite along its on-screen velocity, in premultiplied alpha."""
    m = int(max(abs(vx), abs(vy))) // 2 + 2
    a = np.pad(np.asarray(sp, np.float32) / 255, ((m, m), (m, m), (0, 0)))
    a[..., :3] *= a[..., 3:]
    a = _smear(a, vx, vy)
    a[..., :3] /= np.maximum(a[..., 3:], 1e-3)
    return Image.fromarray((np.clip(a, 0, 1) * 255 + 0.5).astype(np.uint8), "RGBA")


def _draw_hand(
    d: ImageDraw.ImageDraw,
    wrist: np.ndarray,
    a: np.ndarray,
    s: float,
    right: bool,
    grip: bool,
    skin: Colour,
    sleeve: Colour,
    cuff: float,
    length: float,
) -> None:
    """Back of a hand seen from above, fingers along `a`, the forearm running back out of frame."""
    n = np.array([-a[1], a[0]])
    side = -1.0 if right else 1.0  # the thumb's side, fingers pointing away from the camera
    dark = _tone(skin, 0.68)

    def quad(p: np.ndarray, q: np.ndarray, wp: float, wq: float, off: float = 0.0) -> list[tuple[float, float]]:
        return [
            tuple(p + n * (off + wp / 2)),
            tuple(q + n * (off + wq / 2)),
            tuple(q + n * (off - wq / 2)),
            tuple(p + n * (off - wp / 2)),
        ]

    def rot(v: np.ndarray, ang: float) -> np.ndarray:
        return np.array([v[0] * math.cos(ang) - v[1] * math.sin(ang), v[0] * math.sin(ang) + v[1] * math.cos(ang)])

    ww, end = 0.42 * s, wrist - a * length
    we = ww * (1 + 0.5 * length / (4 * s))  # the arm widens towards the camera
    d.polygon(quad(wrist + a * 0.05 * s, end, ww, we), fill=_tone(skin, 0.85))
    d.polygon(quad(wrist + a * 0.05 * s, end, ww * 0.45, we * 0.45, side * 0.07 * s), fill=skin)
    if cuff * s < length:
        q = wrist - a * cuff * s
        d.polygon(quad(q, end, ww * 1.3, we * 1.25), fill=_tone(sleeve, 0.8))
        d.polygon(quad(q, end, ww * 0.6, we * 0.6, side * 0.08 * s), fill=sleeve)
        d.line(
            [tuple(q + n * ww * 0.65), tuple(q - n * ww * 0.65)], fill=_tone(sleeve, 0.6), width=max(1, int(0.05 * s))
        )
    c = wrist + a * 0.3 * s
    ang = np.linspace(0, 2 * np.pi, 24, endpoint=False)
    for k, col in ((1.08, dark), (1.0, skin)):
        ring = [tuple(c + a * math.cos(q) * 0.3 * s * k + n * math.sin(q) * 0.24 * s * k) for q in ang]
        d.polygon(ring, fill=col)
    fw = max(2, int(0.11 * s))
    for i, ln in enumerate((0.36, 0.41, 0.39, 0.3)):
        k = 1.5 - i
        base = c + a * 0.2 * s + n * side * k * 0.105 * s
        tip = base + rot(a, side * k * (0.03 if grip else 0.09)) * ln * s * (0.7 if grip else 1.0)
        for col, wd in ((dark, fw + 2), (skin, fw)):
            d.line([tuple(base), tuple(tip)], fill=col, width=wd)
            d.ellipse([tip[0] - wd / 2, tip[1] - wd / 2, tip[0] + wd / 2, tip[1] + wd / 2], fill=col)
    base = wrist + a * 0.18 * s + n * side * 0.16 * s
    tip = base + rot(a, side * (0.35 if grip else 0.6)) * 0.3 * s
    for col, wd in ((dark, int(0.12 * s) + 2), (skin, int(0.12 * s))):
        d.line([tuple(base), tuple(tip)], fill=col, width=max(wd, 2))
        d.ellipse([tip[0] - wd / 2, tip[1] - wd / 2, tip[0] + wd / 2, tip[1] + wd / 2], fill=col)


# ---------------------------------------------------------------- files
def _write_webm(path: Path, frames: list[np.ndarray]) -> None:
    h, w = frames[0].shape[:2]
    # bitexact: no random container UIDs, so a seed gives byte-identical files
    with av.open(str(path), "w", format="webm", options={"fflags": "+bitexact"}) as out:
        st = out.add_stream("libvpx-vp9", rate=FPS)
        st.width, st.height, st.pix_fmt = w, h, "yuv420p"
        # realtime speed 7: a seventh of the time of "good" at a similar size, about SSv2's 86 kB a video
        st.options = {"crf": "37", "b": "0", "deadline": "realtime", "cpu-used": "7", "row-mt": "0"}
        st.codec_context.thread_count = 1  # the pool gives the parallelism
        for arr in frames:
            out.mux(st.encode(av.VideoFrame.from_ndarray(arr, format="rgb24")))
        out.mux(st.encode())


def _one(task: tuple) -> dict:
    """Draws, writes and annotates one video; runs in a worker."""
    seed, vid, cls, kind, reverse, split, videos = task
    video = _Video(kind, np.random.default_rng([seed, vid]))
    frames = video.render()
    _write_webm(Path(videos) / f"{vid}.webm", frames[::-1] if reverse else frames)
    if split == "test":
        return {"id": str(vid)}
    template = cls.replace("something", "[something]")
    label = template
    for name in video.names:
        label = label.replace("[something]", name, 1)
    return {"id": str(vid), "label": label[0].lower() + label[1:], "template": template, "placeholders": video.names}


def make_floor(
    root: Path,
    seed: int,
    labels_file: Path,
    train_per_class: int = 24,
    validation_per_class: int = 8,
    test_per_class: int = 2,
    workers: int = 2,
) -> None:
    """Writes the floor dataset to `root` in the official SSv2 layout (see the module docstring)."""
    root = Path(root)
    names = [ln.strip() for ln in Path(labels_file).read_text(encoding="utf-8").splitlines() if ln.strip()]
    index = {name: str(i) for i, name in enumerate(names)}
    missing = [c for pair in PAIRS for c in pair[:2] if c not in index]
    if missing:
        raise ValueError(f"{labels_file} lacks the classes {missing}")
    labels_dir, videos = root / LABELS_DIR, root / VIDEOS_DIR
    labels_dir.mkdir(parents=True, exist_ok=True)
    videos.mkdir(parents=True, exist_ok=True)
    counts = {"train": train_per_class, "validation": validation_per_class, "test": test_per_class}
    jobs = [
        (cls, kind, rev, split)
        for *pair, kind in PAIRS
        for rev, cls in enumerate(pair)
        for split, count in counts.items()
        for _ in range(count)
    ]
    rng = np.random.default_rng(seed)
    order = rng.permutation(len(jobs))  # interleaves classes and splits
    ids = rng.choice(MAX_ID, size=len(jobs), replace=False) + 1
    tasks = [(seed, int(i), *jobs[k], str(videos)) for i, k in zip(ids, order)]
    start = time.monotonic()
    if workers <= 1:
        entries = [_one(t) for t in tasks]
    else:
        # fork works however this module was loaded; spawn would have to re-import it by name
        methods = mp.get_all_start_methods()
        ctx = mp.get_context("fork" if "fork" in methods else methods[0])
        with ProcessPoolExecutor(workers, mp_context=ctx) as pool:
            entries = list(pool.map(_one, tasks, chunksize=1))
    splits: dict[str, list[dict]] = {s: [] for s in counts}
    for task, entry in zip(tasks, entries):
        splits[task[5]].append(entry)
    files = {"labels": index, **splits}
    for part, content in files.items():
        with open(labels_dir / f"{PREFIX}-{part}.json", "w", encoding="utf-8") as fh:
            json.dump(content, fh, ensure_ascii=False)
    print(f"floor: {len(tasks)} videos in {root} ({time.monotonic() - start:.0f} s)", file=sys.stderr)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("root", type=Path, help="folder to write the dataset to (created)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the whole set; same seed, same files")
    parser.add_argument(
        "--labels-file",
        type=Path,
        default=Path(__file__).parent.parent / "ssv2" / "ssv2-labels.txt",
        help="the 174 SSv2 class names, one per line in index order (default: the repository's)",
    )
    parser.add_argument("--train-per-class", type=int, default=24, help="training videos per class")
    parser.add_argument("--validation-per-class", type=int, default=8, help="validation videos per class")
    parser.add_argument("--test-per-class", type=int, default=2, help="test videos per class (ids only in the json)")
    parser.add_argument("--workers", type=int, default=2, help="worker processes; the output does not depend on it")
    args = parser.parse_args()
    make_floor(
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
