"""Shelf: a hard synthetic tuning dataset in Something-Something V2's official layout.

The project's other synthetic datasets are learnt almost perfectly; this one is meant to leave
room for recipe changes to be told apart, while staying fair to a human watcher.

Scene. Every clip is a hand-held phone filming one of three places from the front:
  - a wooden bookcase: shelves of book spines above and below the shelf where things happen,
    sometimes side panels and a few books at one end of the acting shelf;
  - a windowsill: wallpaper, a bright window (sky, trees or houses, out of focus) with its frame
    and bars, often a curtain and a radiator below; objects stand backlit on the sill;
  - a wall shelf: wallpaper, a floating wooden board on brackets, often a picture and a second
    shelf with books above.
On the acting shelf stand the acting object(s) (mugs, bottles, tins, jars, boxes, balls, candles,
vases, figurines; 8-20% of the frame height, shaded sprites with a contact shadow) and 3-10
pieces of still clutter (the same kinds plus potted plants), at least one of the same kind and
colour as an acting object; clutter in front keeps clear of the action, clutter behind may be
passed in front of. Light falls across the scene from one side. The phone shakes (slow wander,
tremor, roll, zoom jitter), its exposure and white balance drift slowly, the lens vignettes and
may be slightly out of focus, and sensor noise is added to every frame. The action (an arm
reaching in, moving things and withdrawing; or the zoom) fills 40-80% of the clip, with idle time
before and after it (after a lift, the hand holds the object up).

Classes: eight real SSv2 classes, four pairs that differ only by the direction of time.
  - "Pushing something from left to right": an arm comes in from the left, a fingertip (or the
    whole hand) pushes the object 12-35% of the frame width to the right, and leaves.
  - "Moving something up": a hand comes in from below or the side, grips the object and lifts
    it 10-30% of the frame height, then holds it there, trembling, until the end.
  - "Moving something and something closer to each other": two objects far apart; in half the
    clips one hand slides one of them towards the other, which stays still, in the rest two
    hands slide both; they end close but apart. Both stay in view throughout.
  - "Approaching something with your camera": no hand; the view closes in (1.5-2.2x) on one
    object on the shelf while shaking.
The second class of each pair ("... from right to left", "Moving something down", "... away
from each other", "Moving away from something with your camera") is a fresh draw of the first,
rendered forwards and written with its frames in reverse order: no single frame tells a pair
apart, only frame order. Scenes, kinds, colours, sizes and clutter are drawn the same way for
every class, so they never tell the class. Labels name the objects ("pushing red mug from left to
right"), sometimes with their colour; some names carry commas, quotes or accents, as SSv2's do.

Layout (the official one; see shared/ssv2-format.md):
  ROOT/labels/something-something-v2-labels.json      all 174 class names -> index as a string
  ROOT/labels/something-something-v2-train.json       [{id, label, template, placeholders}, ...]
  ROOT/labels/something-something-v2-validation.json  the same schema
  ROOT/labels/something-something-v2-test.json        [{"id": ...}, ...]
  ROOT/20bn-something-something-v2/<id>.webm          VP9, yuv420p, 12 fps, 240 px high
Widths are drawn from (427, 427, 427, 320, 480, 360), durations from 2-5 s. Ids are unique random
integers in SSv2's range (1..220847), classes and splits interleaved. Every video is drawn by its
own generator seeded by (seed, id), so the output depends on the seed, not on the workers.

    PYTHONPATH=. python benchmarks/shelf.py ROOT [--seed 0] [--train-per-class 24] \
        [--validation-per-class 8] [--test-per-class 2] [--workers 2]
"""

from __future__ import annotations

import argparse
import json
import math
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFilter
from tqdm import tqdm

from ssv2.video import FPS, process_context, write_video

Rng = np.random.Generator
Span = tuple[float, float]

HEIGHT = 240
WIDTHS = (427, 427, 427, 320, 480, 360)
SECONDS = (2.0, 5.0)
ID_MAX = 220_847  # SSv2's ids run 1..220847
SCALE = 2  # canvas pixels per output pixel at the base framing: zooming in stays sharp
VH = SCALE * HEIGHT  # the base view's height in canvas pixels
MARGIN = 0.1  # canvas beyond the base view on every side, as a share of it: room for shake and arms
LABELS_FILE = Path(__file__).resolve().parent.parent / "ssv2" / "ssv2-labels.txt"

# (class, its time reversal, the motion drawn forwards)
PAIRS = (
    ("Pushing something from left to right", "Pushing something from right to left", "push"),
    ("Moving something up", "Moving something down", "lift"),
    ("Moving something and something closer to each other", "Moving something and something away from each other", "closer"),
    ("Approaching something with your camera", "Moving away from something with your camera", "approach"),
)  # fmt: skip
CLASSES = tuple(name for pair in PAIRS for name in pair[:2])
MOTION = {name: motion for fwd, rev, motion in PAIRS for name in (fwd, rev)}
REVERSED = frozenset(rev for _, rev, _ in PAIRS)


def hexes(text: str) -> tuple[tuple[int, int, int], ...]:
    """Colours written as hex triplets."""
    return tuple(tuple(bytes.fromhex(h)) for h in text.split())


NAMES = "red blue green yellow white black orange purple pink grey brown teal"
COLOURS = dict(
    zip(NAMES.split(), hexes("b92828 2850af 32873c e1be2d e4e2dc 26262a e67823 733c91 e687a5 808086 784e2d 1e8787"))
)
WALLS = hexes("e1d7be b4c8d7 afbea0 bebeb9 d7b9b4 e8e6e1 d2b478 466455 3c4664")
WOODS = hexes("966941 b99164 6e4628 cdaf82 553723")
BOOKS = hexes("781e23 1e3264 285032 966e3c c8bea0 1e1e1e 5a285a aa4628 3c6e82 d2aa3c e6e1d2 646469")
SKINS = hexes("eac0a5 e0ac8c c68c69 a06e50 785037 5a3c2d")
SLEEVES = hexes("282d3c 961e28 c8c8c3 3c5a3c 6e6e78 1e1e1e aa8c5a")
# kind: (width / height range, names). Crowd-typed placeholders carry commas, quotes and accents.
KINDS = {
    "mug": ((0.95, 1.25), ("mug", "cup", "coffee mug", "café cup")),
    "bottle": ((0.3, 0.42), ("bottle", "water bottle", "glass bottle", "shampoo bottle")),
    "can": ((0.55, 0.72), ("can", "tin", "soda can", 'tin of "Earl Grey" tea')),
    "jar": ((0.7, 1.0), ("jar", "jam jar", "spice jar", "crème jar")),
    "box": ((0.6, 1.5), ("box", "tea box", "matchbox", "box, small")),
    "ball": ((1.0, 1.0), ("ball", "rubber ball", "toy ball", "ball of yarn")),
    "candle": ((0.3, 0.45), ("candle", "pillar candle", "white-wax candle")),
    "vase": ((0.45, 0.7), ("vase", "small vase", "flower vase")),
    "figurine": ((0.45, 0.62), ("figurine", "toy", '"lucky" cat', "small statue")),
    "plant": ((1.0, 1.3), ("plant",)),  # clutter only
}
ACTING = tuple(k for k in KINDS if k != "plant")
GLOSSY = {"mug", "bottle", "can", "jar", "vase", "ball"}


def pick(rng: Rng, options):
    """One of `options`, uniformly."""
    return options[rng.integers(len(options))]


def rgb(c) -> tuple[int, int, int]:
    """A colour as PIL wants it: three ints in 0..255."""
    return tuple(int(v) for v in np.clip(np.round(np.asarray(c, np.float64)), 0, 255))


def wave(n: int, knots: int, rng: Rng) -> np.ndarray:
    """A smooth random curve in [-1, 1] over n samples through `knots` random values."""
    knots = max(2, knots)
    k = rng.uniform(-1, 1, knots)
    x = np.linspace(0, knots - 1, n)
    i = np.minimum(x.astype(int), knots - 2)
    t = (1 - np.cos(np.pi * (x - i))) / 2
    return k[i] * (1 - t) + k[i + 1] * t


def noise2d(h: int, w: int, cell: int, rng: Rng) -> np.ndarray:
    """Smooth value noise, about 0..1, with features about `cell` pixels across."""
    grid = rng.random((h // cell + 2, w // cell + 2), dtype=np.float32)
    return np.asarray(Image.fromarray(grid).resize((w, h), Image.Resampling.BICUBIC))


def phase(s: np.ndarray, p0: float, p1: float) -> np.ndarray:
    """Eased (smoothstep) progress through the part [p0, p1] of the action: hands start and stop at rest."""
    t = np.clip((s - p0) / max(p1 - p0, 1e-6), 0, 1)
    return t * t * (3 - 2 * t)


def capsule(p: np.ndarray, q: np.ndarray, r: float, n: int = 8) -> list[float]:
    """Polygon of a segment p-q with round ends of radius r (a finger, an arm)."""
    ang = math.atan2(q[1] - p[1], q[0] - p[0])
    a1, a2 = np.linspace(ang + np.pi / 2, ang + 3 * np.pi / 2, n), np.linspace(ang - np.pi / 2, ang + np.pi / 2, n)
    pts = np.concatenate([p + r * np.stack([np.cos(a1), np.sin(a1)], 1), q + r * np.stack([np.cos(a2), np.sin(a2)], 1)])
    return pts.ravel().tolist()


def oval(c: np.ndarray, a: float, b: float, ang: float, n: int = 20) -> list[float]:
    """Polygon of an ellipse with half axes a (along angle `ang`) and b."""
    t = np.linspace(0, 2 * np.pi, n, endpoint=False)
    x, y, cos, sin = a * np.cos(t), b * np.sin(t), math.cos(ang), math.sin(ang)
    return np.stack([c[0] + x * cos - y * sin, c[1] + x * sin + y * cos], 1).ravel().tolist()


@dataclass
class Thing:
    """An object on the shelf: a shaded sprite (RGBA, canvas pixels) and its contact shadow."""

    kind: str
    colour: str
    name: str
    sprite: Image.Image
    shadow: Image.Image  # L mask, pasted as black: darkens the surface under the object
    w = property(lambda self: self.sprite.width)
    h = property(lambda self: self.sprite.height)


def draw_sprite(kind: str, base: np.ndarray, w: int, h: int, light: float, rng: Rng) -> Image.Image:
    """An object of `kind` drawn w x h, lit from the side `light` (-1 left .. 1 right)."""
    s = 3  # supersampled, then box-filtered: smooth edges
    W, H = w * s, h * s
    col, alpha = Image.new("RGB", (W, H), rgb(base)), Image.new("L", (W, H), 0)
    dc, da = ImageDraw.Draw(col), ImageDraw.Draw(alpha)

    def paint(shape: str, xy, fill, **kw) -> None:
        key = "outline" if kw.get("width") else "fill"
        getattr(dc, shape)(xy, **{key: rgb(fill)}, **kw)
        getattr(da, shape)(xy, **{key: 255}, **kw)

    dark, metal, paper = base * 0.4, (190, 190, 196), (232, 228, 215)
    accent = pick(rng, list(COLOURS.values()))
    body = (0.0, float(W))  # columns the cylindrical shading spans
    if kind == "mug":
        body = (0.0, W * 0.78)
        paint("ellipse", [W * 0.47, H * 0.2, W - 1, H * 0.72], base, width=max(2, int(W * 0.08)))  # handle
        paint("rounded_rectangle", [0, H * 0.07, body[1], H - 1], base, radius=W * 0.06)
        paint("ellipse", [0, 0, body[1], H * 0.14], dark)
    elif kind == "bottle":
        paint("rounded_rectangle", [0, H * 0.36, W - 1, H - 1], base, radius=W * 0.18)
        paint("polygon", [(0, H * 0.45), (W - 1, H * 0.45), (W * 0.68, H * 0.2), (W * 0.32, H * 0.2)], base)
        paint("rectangle", [W * 0.33, H * 0.07, W * 0.67, H * 0.24], base)
        paint("rectangle", [W * 0.3, 0, W * 0.7, H * 0.09], accent)
        if rng.random() < 0.6:
            paint("rectangle", [0, H * 0.55, W - 1, H * 0.8], paper)
    elif kind == "can":
        paint("rectangle", [0, H * 0.04, W - 1, H - 1], base)
        if rng.random() < 0.5:
            paint("rectangle", [0, H * 0.3, W - 1, H * 0.62], accent)
        paint("ellipse", [0, 0, W - 1, H * 0.08], metal)
        paint("rectangle", [0, H * 0.95, W - 1, H - 1], metal)
    elif kind == "jar":
        paint("rounded_rectangle", [0, H * 0.15, W - 1, H - 1], base, radius=W * 0.15)
        paint("rounded_rectangle", [W * 0.05, 0, W * 0.95, H * 0.19], accent, radius=W * 0.04)
        if rng.random() < 0.5:
            paint("rectangle", [0, H * 0.42, W - 1, H * 0.75], paper)
    elif kind == "box":  # front face, side face and top, each shaded flat
        fw, th, body = W * 0.88, H * 0.1, None
        paint("rectangle", [0, th, fw, H - 1], base)
        paint("polygon", [(fw, th), (W - 1, 0), (W - 1, H - 1 - th), (fw, H - 1)], base * (0.8 + 0.15 * light))
        paint("polygon", [(0, th), (W - fw, 0), (W - 1, 0), (fw, th)], base * 1.15 + 10)
        if rng.random() < 0.7:
            paint("rectangle", [fw * 0.15, H * 0.35, fw * 0.85, H * 0.7], accent)
    elif kind == "ball":
        paint("ellipse", [0, 0, W - 1, H - 1], base)
    elif kind == "candle":
        paint("rounded_rectangle", [0, H * 0.06, W - 1, H - 1], base, radius=W * 0.1)
        paint("rectangle", [W * 0.45, 0, W * 0.55, H * 0.08], (30, 30, 30))
    elif kind == "vase":
        t = np.linspace(0, 1, 40)
        r = 0.5 * W * (0.38 + 0.62 * np.sin(np.pi * (0.15 + 0.8 * t)))  # narrow neck, round belly
        paint("polygon", list(zip(W / 2 - r, t * (H - 1))) + list(zip(W / 2 + r[::-1], t[::-1] * (H - 1))), base)
        paint("ellipse", [W / 2 - r[0] * 0.8, 0, W / 2 + r[0] * 0.8, H * 0.05], dark)
    elif kind == "figurine":
        paint("polygon", [(W * 0.12, H - 1), (W * 0.88, H - 1), (W * 0.7, H * 0.42), (W * 0.3, H * 0.42)], base)
        paint("ellipse", [W * 0.2, H * 0.08, W * 0.8, H * 0.5], base)
        if rng.random() < 0.6:  # ears
            paint("polygon", [(W * 0.22, H * 0.24), (W * 0.28, 0), (W * 0.45, H * 0.12)], base)
            paint("polygon", [(W * 0.78, H * 0.24), (W * 0.72, 0), (W * 0.55, H * 0.12)], base)
        if rng.random() < 0.5:
            paint("ellipse", [W * 0.35, H * 0.6, W * 0.65, H * 0.9], accent)
    elif kind == "plant":
        body = (W * 0.22, W * 0.78)
        for _ in range(rng.integers(7, 14)):
            ang, length = math.radians(rng.uniform(-155, -25)), rng.uniform(0.25, 0.5) * H
            mid = np.array([W / 2, H * 0.64]) + length / 2 * np.array([math.cos(ang), math.sin(ang)])
            leaf = oval(mid, length / 2, length * rng.uniform(0.1, 0.18), ang)
            paint("polygon", leaf, np.array([40, 110, 45]) * rng.uniform(0.6, 1.3))
        pot = pick(rng, ((180, 95, 60), (225, 222, 215), (90, 90, 95)))
        paint("polygon", [(W * 0.28, H - 1), (W * 0.72, H - 1), (W * 0.78, H * 0.62), (W * 0.22, H * 0.62)], pot)

    col = np.asarray(col.resize((w, h), Image.Resampling.BOX), np.float32)
    a = np.asarray(alpha.resize((w, h), Image.Resampling.BOX), np.float32)
    x = (np.arange(w, dtype=np.float32) + 0.5)[None, :]
    y = (np.arange(h, dtype=np.float32) + 0.5)[:, None]
    if kind == "ball":  # a lit sphere
        u, v = (x - w / 2) / (w / 2), (y - h / 2) / (h / 2)
        nz = np.sqrt(np.clip(1 - u * u - v * v, 0, 1))
        lx, ly, lz = np.array([0.5 * light, -0.6, 0.65]) / np.linalg.norm([0.5 * light, -0.6, 0.65])
        shade = 0.35 + 0.7 * np.clip(u * lx + v * ly + nz * lz, 0, 1)
        gloss = 0.5 * np.exp(-((u - 0.35 * light) ** 2 + (v + 0.4) ** 2) / 0.03)
    elif body is None:  # flat faces, already shaded
        shade, gloss = np.ones((1, w), np.float32), np.zeros((1, w), np.float32)
    else:  # a cylinder lit from the side, with a highlight when glossy
        bx0, bx1 = body[0] / s, body[1] / s
        u = np.clip((x - (bx0 + bx1) / 2) / max((bx1 - bx0) / 2, 1), -1, 1)
        shade = 0.62 + 0.33 * np.sqrt(1 - u * u) + 0.14 * light * u
        gloss = 0.45 * np.exp(-(((u - 0.45 * light) / 0.12) ** 2)) * (kind in GLOSSY)
    col = col * (shade * (0.9 + 0.1 * (1 - y / h)))[..., None]  # a little darker at the foot
    col = col + (255 - col) * np.broadcast_to(gloss, col.shape[:2])[..., None]
    col *= 1 + 0.03 * rng.standard_normal((h, w, 1), dtype=np.float32)  # surface texture
    return Image.fromarray(np.dstack([np.clip(col, 0, 255), a]).astype(np.uint8))


def make_thing(rng: Rng, light: float, height: float, kind: str | None = None, colour: str | None = None) -> Thing:
    """A new object `height` canvas pixels tall, of a random (acting) kind and colour unless given."""
    kind, colour = kind or pick(rng, ACTING), colour or pick(rng, list(COLOURS))
    aspect, nouns = KINDS[kind]
    h = max(8, round(height))
    w = max(5, round(h * rng.uniform(*aspect)))
    sprite = draw_sprite(kind, np.asarray(COLOURS[colour], np.float32) + rng.uniform(-12, 12, 3), w, h, light, rng)
    name = pick(rng, nouns)
    if rng.random() < 0.5:
        name = f"{colour} {name}"
    sw, sh = round(w * 1.3), max(3, round(0.1 * w + 0.02 * VH))  # a flat soft ellipse under the foot
    xs, ys = np.linspace(-1, 1, sw)[None, :], np.linspace(-1, 1, sh)[:, None]
    shadow = Image.fromarray((np.exp(-3 * (xs**2 + ys**2)) * 255 * rng.uniform(0.35, 0.6)).astype(np.uint8))
    return Thing(kind, colour, name, sprite, shadow)


@dataclass
class Scene:
    """The still part of a clip, in canvas pixels, and where things may stand and move."""

    w: int  # output width
    vw: float  # the base view's width in canvas pixels
    cw: int
    ch: int
    light: float  # -1 light from the left .. 1 from the right
    row: float = 0.0  # y the acting objects stand on
    back_row: float = 0.0  # y the clutter behind them stands on
    surface: float = 0.0  # y of the shelf's front edge
    top_free: float = 0.0  # lifted objects stay below this y
    room: np.ndarray | None = None  # (ch, cw, 3) float, unlit
    illum: np.ndarray | None = None  # (ch, cw) light falling on the room
    emissive: np.ndarray | None = None  # (ch, cw) bool: seen through the window, not lit by the room
    bg: Image.Image | None = None  # the lit room with its clutter

    def X(self, g: float) -> float:
        """Canvas x of a fraction of the base view's width."""
        return self.cw / 2 + (g - 0.5) * self.vw

    def Y(self, f: float) -> float:
        """Canvas y of a fraction of the base view's height."""
        return self.ch / 2 + (f - 0.5) * VH

    def light_at(self, x: float, y: float) -> float:
        return float(self.illum[int(np.clip(y, 0, self.ch - 1)), int(np.clip(x, 0, self.cw - 1))])

    def image(self) -> tuple[Image.Image, ImageDraw.ImageDraw]:
        """The room as a PIL image to draw on (put back with `self.room = np.asarray(img, np.float32)`)."""
        img = Image.fromarray(np.clip(self.room, 0, 255).astype(np.uint8))
        return img, ImageDraw.Draw(img)


def wood(h: int, w: int, base, rng: Rng, vertical: bool = False) -> np.ndarray:
    """Wood with bent grain lines along x (along y when vertical)."""
    if vertical:
        return wood(w, h, base, rng).transpose(1, 0, 2)
    y = np.arange(h, dtype=np.float32)[:, None]
    grain = np.sin(2 * np.pi * y / rng.uniform(4, 10) + rng.uniform(4, 12) * noise2d(h, w, max(8, w // 6), rng))
    tone = 1 + 0.06 * grain + 0.14 * (noise2d(h, w, 60, rng) - 0.5) + 0.08 * (noise2d(h, w, 2, rng) - 0.5)
    return np.asarray(base, np.float32) * tone[..., None]


def wallpaper(h: int, w: int, rng: Rng) -> np.ndarray:
    """Striped, patterned or plain painted wall."""
    base = np.asarray(pick(rng, WALLS), np.float32) + rng.uniform(-10, 10, 3)
    y, x = np.mgrid[0:h, 0:w].astype(np.float32)
    style, mask, other = rng.integers(3), np.zeros((h, w), bool), base
    if style == 0:  # stripes
        p = rng.uniform(0.04, 0.14) * VH
        mask, other = (x % p) < p * rng.uniform(0.3, 0.6), base * rng.uniform(0.82, 0.94)
    elif style == 1:  # a diamond motif, rows offset by half a period
        p = rng.uniform(0.05, 0.1) * VH
        xx = (x + (np.floor(y / p) % 2) * p / 2) % p - p / 2
        mask = np.abs(xx) + np.abs(y % p - p / 2) < p * rng.uniform(0.12, 0.25)
        other = base * rng.uniform(0.65, 0.85) if rng.random() < 0.6 else np.minimum(base * 1.15 + 20, 255)
    tone = 1 + 0.05 * (noise2d(h, w, 3, rng) - 0.5) + 0.08 * (noise2d(h, w, 80, rng) - 0.5)
    return np.where(mask[..., None], other, base) * tone[..., None]


def board(sc: Scene, x0: float, x1: float, y_front: float, depth: float, tb: float, base, rng: Rng) -> None:
    """A shelf board: its top seen from slightly above, then its front edge."""
    x0, x1 = int(max(0, x0)), int(min(sc.cw, x1))
    yt, yf, yb = int(max(0, y_front - depth)), int(y_front), int(min(sc.ch, y_front + tb))
    if x1 > x0 and yb > yt:
        tex = wood(yb - yt, x1 - x0, base, rng)
        tex[: yf - yt] *= 1.08  # the top catches more light than the edge
        tex[yf - yt : yf - yt + 2] *= 1.25  # the lit front corner
        sc.room[yt:yb, x0:x1] = tex


def books(draw: ImageDraw.ImageDraw, rng: Rng, x0: float, x1: float, bottom: float, max_h: float) -> None:
    """A row of book spines standing on `bottom`."""
    x = x0
    while x < x1:
        bw, bh = rng.uniform(0.02, 0.055) * VH, max_h * rng.uniform(0.55, 0.97)
        if rng.random() < 0.07:  # a gap
            x += rng.uniform(0.02, 0.08) * VH
            continue
        c, top = np.asarray(pick(rng, BOOKS)) * rng.uniform(0.8, 1.15), bottom - bh
        draw.rectangle([x, top, x + bw, bottom], fill=rgb(c), outline=rgb(c * 0.6))
        for _ in range(rng.integers(0, 3)):  # gilt bands
            yb = top + bh * rng.uniform(0.05, 0.85)
            draw.rectangle([x + 1, yb, x + bw - 1, yb + bh * rng.uniform(0.02, 0.05)], fill=(200, 170, 80))
        if rng.random() < 0.6:  # a title
            draw.rectangle(
                [x + bw * 0.3, top + bh * 0.25, x + bw * 0.7, top + bh * 0.6], fill=rgb(c * pick(rng, (0.6, 1.5)))
            )
        x += bw + rng.uniform(0, 0.004) * VH


def shadow_below(sc: Scene, y: float, x0: float = 0, x1: float | None = None, strength: float = 0.4) -> None:
    """Darken the band under a board: the board shades what is right below it."""
    x0, x1, y0 = int(max(0, x0)), int(min(sc.cw, sc.cw if x1 is None else x1)), int(max(0, y))
    if y0 < sc.ch and x1 > x0:
        d = np.arange(sc.ch - y0, dtype=np.float32)[:, None, None]
        sc.room[y0:, x0:x1] *= 1 - strength * np.exp(-d / (0.06 * VH))


def bookcase(sc: Scene, rng: Rng, y_s: float, depth: float, tb: float) -> float:
    """Bookcase; returns the y lifted things stay below (the upper shelf)."""
    tint = np.asarray(pick(rng, WOODS), np.float32)
    back = tint * 0.85 if rng.random() < 0.6 else np.asarray(pick(rng, WALLS), np.float32) * 0.85
    sc.room = wood(sc.ch, sc.cw, back, rng, vertical=True)
    y_ub = y_s - rng.uniform(0.5, 0.62) * VH  # the upper board's underside
    y_low = y_s + tb + rng.uniform(0.4, 0.55) * VH  # the shelf below, books standing on it
    xl = sc.X(rng.uniform(-0.1, 0.05)) if rng.random() < 0.5 else 0  # side panels
    xr = sc.X(rng.uniform(0.95, 1.1)) if rng.random() < 0.5 else sc.cw
    img, draw = sc.image()
    books(draw, rng, xl, xr, y_ub - tb - depth * 0.4, 0.4 * VH)
    books(draw, rng, xl, xr, y_low, y_low - (y_s + tb) - 0.03 * VH)
    if rng.random() < 0.6:  # a few books at one end of the acting shelf, away from the action
        x0, x1 = (xl, sc.X(rng.uniform(0.0, 0.08))) if rng.random() < 0.5 else (sc.X(rng.uniform(0.92, 1.0)), xr)
        books(draw, rng, x0, x1, y_s - depth * 0.8, (y_s - y_ub) * 0.85)
    sc.room = np.asarray(img, np.float32)
    board(sc, 0, sc.cw, y_ub - tb, depth, tb, tint, rng)
    board(sc, 0, sc.cw, y_s, depth, tb, tint, rng)
    shadow_below(sc, y_ub)
    shadow_below(sc, y_s + tb)
    for x0, x1 in ((0, int(xl)), (int(xr), sc.cw)):
        if x1 > x0:
            sc.room[:, x0:x1] = wood(sc.ch, x1 - x0, tint * 1.05, rng, vertical=True)
    return y_ub + 0.04 * VH


def outside(h: int, w: int, rng: Rng) -> np.ndarray:
    """The view through the window: sky, houses and trees, out of focus."""
    t = np.linspace(0, 1, h, dtype=np.float32)[:, None, None]
    top = np.array([rng.uniform(120, 170), rng.uniform(165, 205), rng.uniform(215, 245)], np.float32)
    low = np.array([225, 232, 240], np.float32) + rng.uniform(-10, 10, 3)
    img = Image.fromarray(np.clip(np.broadcast_to(top * (1 - t) + low * t, (h, w, 3)), 0, 255).astype(np.uint8))
    draw = ImageDraw.Draw(img)
    for _ in range(rng.integers(0, 4)):  # houses
        x, bw, y = rng.uniform(0, w), rng.uniform(0.1, 0.4) * w, rng.uniform(0.35, 0.75) * h
        draw.rectangle([x, y, x + bw, h], fill=rgb(np.array((150, 140, 135)) * rng.uniform(0.7, 1.3)))
    for _ in range(rng.integers(2, 9)):  # tree crowns
        x, y, r = rng.uniform(0, w), rng.uniform(0.45, 0.95) * h, rng.uniform(0.06, 0.2) * VH
        draw.ellipse([x - r, y - r, x + r, y + r * 1.5], fill=rgb(np.array((60, 110, 55)) * rng.uniform(0.6, 1.4)))
    return np.asarray(img.filter(ImageFilter.GaussianBlur(rng.uniform(3, 8))), np.float32)


def sill(sc: Scene, rng: Rng, y_s: float, depth: float, tb: float) -> float:
    """Windowsill; returns the y lifted things stay below. Marks the window's outside as unlit by the room."""
    sc.room = wallpaper(sc.ch, sc.cw, rng)
    g0 = rng.uniform(-0.05, 0.3)
    xo0, xo1 = int(max(0, sc.X(g0))), int(min(sc.cw, sc.X(g0 + rng.uniform(0.45, 0.85))))
    fb = rng.uniform(0.02, 0.035) * VH
    yo1 = int(y_s - depth - fb)
    sc.room[:yo1, xo0:xo1] = outside(yo1, xo1 - xo0, rng) * 1.25  # daylight: brighter than the room
    sc.emissive = np.zeros((sc.ch, sc.cw), bool)
    sc.emissive[:yo1, xo0:xo1] = True
    frame = np.asarray((232, 230, 224) if rng.random() < 0.6 else pick(rng, WOODS), np.float32)
    bars = [(xo0 - fb, 0, xo0, yo1 + fb), (xo1, 0, xo1 + fb, yo1 + fb), (xo0 - fb, yo1, xo1 + fb, yo1 + fb)]
    if rng.random() < 0.7:
        bars.append(((xo0 + xo1 - fb) / 2, 0, (xo0 + xo1 + fb) / 2, yo1))
    yt = sc.Y(rng.uniform(0.0, 0.3))
    bars.append((xo0, yt, xo1, yt + fb * 0.8))
    curtain = None
    if rng.random() < 0.6:  # a curtain over one edge of the window, hanging down to the sill
        xc, half = pick(rng, (xo0, xo1)), rng.uniform(0.06, 0.12) * sc.vw
        curtain = (xc - half, 0, xc + half, y_s - depth - rng.uniform(0, 0.05) * VH)
    for i, (x0, y0, x1, y1) in enumerate(bars + ([curtain] if curtain else [])):
        x0, x1, y0, y1 = int(np.clip(x0, 0, sc.cw)), int(np.clip(x1, 0, sc.cw)), int(max(0, y0)), int(min(sc.ch, y1))
        if i < len(bars):
            sc.room[y0:y1, x0:x1] = frame * (0.95 + 0.1 * rng.random())
        elif x1 > x0:
            folds = 0.7 + 0.3 * np.sin(2 * np.pi * np.arange(x1 - x0) / rng.uniform(0.03, 0.06) / VH) ** 2
            sc.room[y0:y1, x0:x1] = np.asarray(pick(rng, WALLS)) * rng.uniform(0.7, 1.05) * folds[None, :, None]
        sc.emissive[y0:y1, x0:x1] = False
    tint = frame if rng.random() < 0.5 else pick(rng, WOODS)
    board(sc, sc.X(g0 - rng.uniform(0.05, 0.2)), sc.X(g0 + 1.0), y_s, depth, tb, tint, rng)
    y0 = int(y_s + tb + 0.05 * VH)
    if rng.random() < 0.5 and y0 < sc.ch:  # a radiator under the sill
        ribs = np.where(np.arange(xo1 - xo0) % int(0.03 * VH) < int(0.022 * VH), 1.0, 0.55)
        sc.room[y0:, xo0:xo1] = np.array([225, 222, 215], np.float32) * ribs[None, :, None]
    shadow_below(sc, y_s + tb, strength=0.3)
    return sc.Y(0.05)


def wall_shelf(sc: Scene, rng: Rng, y_s: float, depth: float, tb: float) -> float:
    """Floating shelf on a papered wall; returns the y lifted things stay below."""
    sc.room = wallpaper(sc.ch, sc.cw, rng)
    tint, top_free, y_ub = pick(rng, WOODS), sc.Y(0.05), None
    img, draw = sc.image()
    if rng.random() < 0.6:  # a second shelf above, with books
        y_ub = y_s - rng.uniform(0.5, 0.62) * VH
        g = rng.uniform(-0.1, 0.5)
        books(draw, rng, sc.X(g), sc.X(g + rng.uniform(0.2, 0.6)), y_ub - tb - depth * 0.4, 0.3 * VH)
        top_free = y_ub + 0.04 * VH
    if rng.random() < 0.7:  # a framed picture on the wall behind the shelf
        ph = rng.uniform(0.15, 0.3) * VH
        pw, fw = ph * rng.uniform(0.7, 1.5), max(3, ph * 0.08)
        px = sc.X(rng.uniform(0.15, 0.85)) - pw / 2
        py = min(max(top_free, sc.Y(0.02)) + rng.uniform(0, 0.05) * VH, y_s - depth - 0.1 * VH - ph)
        draw.rectangle([px, py, px + pw, py + ph], fill=rgb(pick(rng, WOODS + ((30, 30, 30),))))
        draw.rectangle([px + fw, py + fw, px + pw - fw, py + ph - fw], fill=(220, 216, 205))
        x0, y0, x1, y1 = int(px + 2 * fw), int(py + 2 * fw), int(px + pw - 2 * fw), int(py + ph - 2 * fw)
        sc.room = np.asarray(img, np.float32)
        if x1 > x0 + 4 and y1 > y0 + 4:  # the picture: two colours blended by soft noise
            mix = noise2d(y1 - y0, x1 - x0, 12, rng)[..., None]
            sc.room[y0:y1, x0:x1] = rng.uniform(30, 230, 3) * mix + rng.uniform(30, 230, 3) * (1 - mix)
    else:
        sc.room = np.asarray(img, np.float32)
    if y_ub is not None:
        board(sc, 0, sc.cw, y_ub - tb, depth, tb, tint, rng)
        shadow_below(sc, y_ub, strength=0.3)
    x0, x1 = sc.X(rng.uniform(-0.2, 0.05)), sc.X(rng.uniform(0.95, 1.2))
    board(sc, x0, x1, y_s, depth, tb, tint, rng)
    shadow_below(sc, y_s + tb, x0, x1, strength=0.35)
    y0, y1 = int(y_s + tb), int(min(sc.ch, y_s + tb + 0.08 * VH))
    for bx in (int(x0 + 0.2 * (x1 - x0)), int(x0 + 0.8 * (x1 - x0))):  # brackets
        if 0 <= bx < sc.cw - 6:
            sc.room[y0:y1, bx : bx + 6] = (50, 50, 55)
    return top_free


def build_scene(rng: Rng, w: int) -> Scene:
    """The room of one clip (unlit: `light_room` lights it once the clutter stands in it)."""
    vw = SCALE * w
    sc = Scene(w, vw, round(vw * (1 + 2 * MARGIN)), round(VH * (1 + 2 * MARGIN)), rng.uniform(-1, 1))
    y_s = sc.Y(rng.uniform(0.6, 0.78))
    depth, tb = rng.uniform(0.03, 0.07) * VH, rng.uniform(0.035, 0.06) * VH
    sc.surface, sc.row, sc.back_row = y_s, y_s - depth * rng.uniform(0.25, 0.45), y_s - depth * 0.85
    sc.top_free = pick(rng, (bookcase, sill, wall_shelf))(sc, rng, y_s, depth, tb)
    # Light from one side, uneven; pooling on the sill in front of a window.
    yy, xx = np.mgrid[0 : sc.ch, 0 : sc.cw].astype(np.float32)
    xn, yn = (xx - sc.cw / 2) / (sc.cw / 2), (yy - sc.ch / 2) / (sc.ch / 2)
    illum = 0.9 + 0.22 * sc.light * xn - 0.1 * yn**2 + 0.2 * (noise2d(sc.ch, sc.cw, 150, rng) - 0.5)
    if sc.emissive is not None and sc.emissive.any():
        cols = np.flatnonzero(sc.emissive.any(0))
        xc, half = (cols[0] + cols[-1]) / 2, max(1, (cols[-1] - cols[0]) / 2)
        illum += 0.25 * np.exp(-(((xx - xc) / half) ** 2) - ((yy - y_s) / (0.3 * VH)) ** 2)
    sc.illum = np.clip(illum, 0.55, 1.25)
    return sc


def light_room(sc: Scene) -> None:
    """Light the room (not what is seen through the window) and keep it as a PIL image."""
    lit = sc.room * sc.illum[..., None]
    if sc.emissive is not None:
        lit = np.where(sc.emissive[..., None], sc.room, lit)
    sc.bg = Image.fromarray(np.clip(lit, 0, 255).astype(np.uint8))


def place_clutter(sc: Scene, rng: Rng, acting: list[Thing], busy: list[Span]) -> None:
    """3-10 still objects on the shelf, some of the acting objects' kind and colour.

    The front row keeps clear of where the action happens; the back row stands behind it.
    """
    taken: dict[str, list[Span]] = {"back": [], "front": []}
    pieces = []
    for i in range(rng.integers(3, 11)):
        src, r = pick(rng, acting), rng.random()
        if i == 0 or r < 0.35:  # look-alikes: colour and shape cannot single out the acting object
            kind, colour = src.kind, src.colour
        elif r < 0.5:
            kind, colour = src.kind, None
        elif r < 0.65:
            kind, colour = None, src.colour
        else:
            kind, colour = ("plant" if rng.random() < 0.2 else None), None
        row = "front" if rng.random() < 0.4 else "back"
        thing = make_thing(rng, sc.light, rng.uniform(0.07, 0.2) * VH * (1 if row == "front" else 0.9), kind, colour)
        for attempt in range(40):
            row = "back" if attempt == 20 else row  # no room left in front
            x = sc.X(rng.uniform(0.04, 0.96))
            x0, x1 = x - thing.w / 2, x + thing.w / 2
            if row == "front" and any(x0 < b1 and b0 < x1 for b0, b1 in busy):
                continue
            if any(min(x1, b1) - max(x0, b0) > 0.15 * thing.w for b0, b1 in taken[row]):
                continue
            taken[row].append((x0, x1))
            y = sc.back_row if row == "back" else sc.row + rng.uniform(-0.2, 0.2) * (sc.surface - sc.row)
            pieces.append((row == "front", y, x, thing))
            break
    img, _ = sc.image()
    for _, y, x, thing in sorted(pieces, key=lambda p: p[:2]):  # back row first
        img.paste((0, 0, 0), (round(x - thing.shadow.width / 2), round(y - thing.shadow.height / 2)), thing.shadow)
        img.paste(thing.sprite, (round(x - thing.w / 2), round(y - thing.h)), thing.sprite)
    sc.room = np.asarray(img, np.float32)


@dataclass
class Track:
    """An acting object's bottom-centre position in every frame."""

    thing: Thing
    sprite: Image.Image  # lit as where it stands
    xs: np.ndarray
    ys: np.ndarray
    rest: float  # the surface y its shadow lies on


@dataclass
class Arm:
    """A hand and forearm reaching in from outside the view along `d`."""

    pose: str  # "point": a fingertip at pos; "grip": the palm at pos, fingers across the object
    d: np.ndarray  # unit vector from the shoulder towards the hand
    size: float  # palm length
    skin: tuple
    sleeve: tuple
    cuff: float  # where the sleeve ends, back from the wrist
    wrap: float = 0.0  # grip: fingers reach towards +x (1) or -x (-1)
    reach: float = 0.0  # grip: how far the fingers reach across the object
    pos: np.ndarray = field(default_factory=lambda: np.zeros((0, 2)))  # (T, 2)
    on: np.ndarray = field(default_factory=lambda: np.zeros(0, bool))  # (T,) frames it is in


@dataclass
class Script:
    """What an action does over the clip: moving objects, arms and where the camera aims."""

    tracks: list[Track]
    arms: list[Arm]
    busy: list[Span]  # x ranges the action sweeps (kept clear of front-row clutter)
    zoom: np.ndarray  # (T,)
    aim: np.ndarray  # (T, 2) offset of the view's centre from the canvas centre, before shake


def acting_thing(sc: Scene, rng: Rng) -> Thing:
    """An acting object, 8-20% of the view high, of a colour that stands out from what is behind the shelf.

    Look-alike clutter and low light keep it hard; this keeps it fair (the choice depends on the scene only).
    """
    behind = sc.room[int(sc.row - 0.15 * VH) : int(sc.row)].reshape(-1, 3).mean(0)
    colours = [c for c, v in COLOURS.items() if np.linalg.norm(np.asarray(v) - behind) > 80]
    return make_thing(rng, sc.light, rng.uniform(0.08, 0.2) * VH, colour=pick(rng, colours))


def track(sc: Scene, thing: Thing, xs: np.ndarray, ys: np.ndarray) -> Track:
    """A moving object, its sprite lit as where it starts."""
    a = np.asarray(thing.sprite, np.float32)
    a[..., :3] *= sc.light_at(xs[0], sc.row - thing.h / 2)
    return Track(thing, Image.fromarray(np.clip(a, 0, 255).astype(np.uint8)), xs, ys, sc.row)


def shake(rng: Rng, T: int, amp: float) -> np.ndarray:
    """(T, 2) tremor of about `amp` canvas pixels, changing every frame or two."""
    return amp * np.stack([wave(T, max(2, T // 2), rng), wave(T, max(2, T // 2), rng)], 1)


def hold(sc: Scene, rng: Rng, thing: Thing, pose: str, side: float, d: np.ndarray, xs, ys) -> tuple[Arm, np.ndarray]:
    """An arm touching `thing` (bottom centre xs, ys) on its `side` (-1 left, 1 right); returns it and where it touches."""
    k = sc.light_at(xs[0], ys[0])
    size = float(np.clip(thing.h * rng.uniform(0.8, 1.15), 0.07 * VH, 0.17 * VH))  # hands scale with the things
    skin = rgb(np.asarray(pick(rng, SKINS)) * rng.uniform(0.9, 1.08) * k)
    sleeve = rgb(np.asarray(pick(rng, SLEEVES)) * k)
    arm = Arm(pose, d / np.linalg.norm(d), size, skin, sleeve, rng.uniform(0.3, 1.5) * size)
    if pose == "point":
        contact = np.stack([xs + side * (thing.w / 2 - 1), ys - thing.h * rng.uniform(0.25, 0.6)], -1)
    else:
        # The palm beside the object, fingers over 40% of its front: most of it stays in sight.
        contact = np.stack([xs + side * (thing.w / 2 + 0.38 * size), ys - thing.h * 0.5], -1)
        arm.wrap, arm.reach = -side, 0.38 * size + 0.4 * thing.w
    return arm, contact


def reach_in(sc: Scene, arm: Arm, contact: np.ndarray, s: np.ndarray, p_in: float, p_out: float | None) -> None:
    """The arm comes in along d to `contact` during s in [0, p_in] and leaves during [p_out, 1]."""

    def exit_distance(p: np.ndarray) -> float:  # from p back along d until off the canvas, hand and all
        v = -arm.d
        ts = [((sc.cw, sc.ch)[i] * (v[i] > 0) - p[i]) / v[i] for i in range(2) if abs(v[i]) > 1e-6]
        return max(0.0, min(ts)) + arm.size * 0.8 + arm.reach

    away = 1 - phase(s, 0, p_in) + (phase(s, p_out, 1) if p_out is not None else 0)
    dist = np.where(s < 0.5, exit_distance(contact[0]), exit_distance(contact[-1])) * away
    arm.pos, arm.on = contact - arm.d[None, :] * dist[:, None], away < 0.999


def script_push(sc: Scene, rng: Rng, T: int, s: np.ndarray) -> Script:
    """An arm from the left pushes an object to the right along the shelf, then leaves."""
    thing = acting_thing(sc, rng)
    hw = thing.w / 2 / sc.vw
    dist = min(rng.uniform(0.12, 0.35), 0.78 - 2 * hw)
    g0 = rng.uniform(0.1 + hw, 0.9 - hw - dist)
    p_in, p_out = rng.uniform(0.15, 0.3), 1 - rng.uniform(0.15, 0.3)
    m = phase(s, p_in, p_out)
    xs = sc.X(g0) + dist * sc.vw * m + shake(rng, T, 0.004 * VH)[:, 0] * np.sin(np.pi * m)
    ys = np.full(T, sc.row)
    ang = math.radians(rng.uniform(0, 40))
    pose = "point" if rng.random() < 0.7 else "grip"
    arm, contact = hold(sc, rng, thing, pose, -1, np.array([math.cos(ang), -math.sin(ang)]), xs, ys)
    reach_in(sc, arm, contact, s, p_in, p_out)
    busy = [(xs.min() - thing.w / 2 - arm.size, xs.max() + thing.w / 2)]
    return Script([track(sc, thing, xs, ys)], [arm], busy, np.ones(T), np.zeros((T, 2)))


def script_lift(sc: Scene, rng: Rng, T: int, s: np.ndarray) -> Script:
    """A hand grips an object from the side, lifts it and holds it up."""
    thing = acting_thing(sc, rng)
    hw = thing.w / 2 / sc.vw
    x0 = sc.X(rng.uniform(0.15 + hw, 0.85 - hw))
    room = sc.row - thing.h - sc.top_free  # below the upper shelf or the top of the view
    lift = float(np.clip(rng.uniform(0.1, 0.3) * VH, 0.06 * VH, max(0.06 * VH, room)))
    p_in = rng.uniform(0.2, 0.35)
    m = phase(s, p_in, 1)
    jit = shake(rng, T, 0.004 * VH) * np.minimum(1, 4 * m)[:, None]  # held in the air, it trembles
    xs = x0 + rng.uniform(-0.04, 0.04) * sc.vw * m + jit[:, 0]
    ys = sc.row - lift * m + jit[:, 1]
    side, ang = pick(rng, (-1.0, 1.0)), math.radians(rng.uniform(0, 70))
    arm, contact = hold(sc, rng, thing, "grip", side, np.array([-side * math.sin(ang), -math.cos(ang)]), xs, ys)
    reach_in(sc, arm, contact, s, p_in, None)
    busy = [(xs.min() - thing.w / 2 - arm.size, xs.max() + thing.w / 2 + arm.size)]
    return Script([track(sc, thing, xs, ys)], [arm], busy, np.ones(T), np.zeros((T, 2)))


def script_closer(sc: Scene, rng: Rng, T: int, s: np.ndarray) -> Script:
    """Two objects slid towards each other: by one hand (the other object still) or by two."""
    a, b = acting_thing(sc, rng), acting_thing(sc, rng)
    ha, hb = a.w / 2 / sc.vw, b.w / 2 / sc.vw
    total = rng.uniform(0.15, 0.35)  # how much closer they get; they end close, not touching
    start = ha + hb + rng.uniform(0.01, 0.06) + total  # centre to centre, as a share of the view's width
    ga = rng.uniform(0.1 + ha, 0.9 - hb - start)
    gb = ga + start
    share = pick(rng, (0.0, 1.0)) if rng.random() < 0.5 else rng.uniform(0.3, 0.7)  # a's part of the way
    tracks, arms, busy = [], [], []
    for thing, g, side, move in ((a, ga, -1.0, share * total), (b, gb, 1.0, -(1 - share) * total)):
        xs, ys = np.full(T, sc.X(g)), np.full(T, sc.row)
        if move:
            p_in, p_out = rng.uniform(0.15, 0.3), 1 - rng.uniform(0.15, 0.3)
            m = phase(s, p_in, p_out)
            xs = xs + move * sc.vw * m + shake(rng, T, 0.003 * VH)[:, 0] * np.sin(np.pi * m)
            pose = "grip" if rng.random() < 0.7 else "point"
            ang = math.radians(rng.uniform(0, 80 if pose == "grip" else 45))  # fingertips push from the side
            arm, contact = hold(sc, rng, thing, pose, side, np.array([-side * math.cos(ang), -math.sin(ang)]), xs, ys)
            reach_in(sc, arm, contact, s, p_in, p_out)
            arms.append(arm)
        tracks.append(track(sc, thing, xs, ys))
        busy.append((xs.min() - thing.w / 2 - 0.1 * VH, xs.max() + thing.w / 2 + 0.1 * VH))
    return Script(tracks, arms, busy, np.ones(T), np.zeros((T, 2)))


def script_approach(sc: Scene, rng: Rng, T: int, s: np.ndarray) -> Script:
    """The phone closes in on one object: the view zooms towards it."""
    thing = acting_thing(sc, rng)
    x, m = sc.X(rng.uniform(0.25, 0.75)), phase(s, 0, 1)
    target = np.array([x - sc.cw / 2, sc.row - thing.h / 2 - sc.ch / 2])
    zoom = 1 + (rng.uniform(1.5, 2.2) - 1) * m
    busy = [(x - thing.w / 2, x + thing.w / 2)]
    return Script([track(sc, thing, np.full(T, x), np.full(T, sc.row))], [], busy, zoom, m[:, None] * target)


SCRIPTS = {"push": script_push, "lift": script_lift, "closer": script_closer, "approach": script_approach}


def draw_arm(draw: ImageDraw.ImageDraw, arm: Arm, t: int, off: np.ndarray) -> None:
    """One frame of an arm, in the crop whose top-left corner is `off`."""
    p, d, L = arm.pos[t] - off, arm.d, arm.size
    n = np.array([-d[1], d[0]])
    up, ang = (n if n[1] < 0 else -n), math.atan2(d[1], d[0])  # up: the side of the hand that faces up

    def shape(pts: list[float], colour) -> None:
        draw.polygon(pts, fill=colour, outline=rgb(np.asarray(colour) * 0.7), width=2)

    palm = p - d * 0.96 * L if arm.pose == "point" else p
    wrist = palm - d * 0.42 * L
    root = wrist - d * 3 * VH
    shape(capsule(root, wrist, 0.3 * L), arm.skin)
    shape(capsule(root, wrist - d * arm.cuff, 0.36 * L), arm.sleeve)
    shape(oval(palm, 0.46 * L, 0.38 * L, ang), arm.skin)
    if arm.pose == "point":
        knuckle = p - d * 0.6 * L
        shape(oval(knuckle - d * 0.12 * L - up * 0.14 * L, 0.22 * L, 0.18 * L, ang), arm.skin)  # curled fingers
        shape(capsule(palm + up * 0.3 * L - d * 0.05 * L, palm + up * 0.36 * L + d * 0.28 * L, 0.09 * L), arm.skin)
        shape(capsule(knuckle - d * 0.1 * L, p - d * 0.08 * L, 0.08 * L), arm.skin)  # the index finger
    else:
        e = np.array([arm.wrap, 0.0])
        for k in (1, 0, -1):  # fingers across the front of the object
            a = palm + np.array([0.0, k * 0.14 * L])
            shape(capsule(a, a + e * (arm.reach - 0.06 * L), 0.06 * L), arm.skin)
        a = palm + np.array([0.0, -0.3 * L])
        shape(capsule(a, a + e * arm.reach * 0.55 + np.array([0.0, -0.04 * L]), 0.08 * L), arm.skin)  # thumb


def camera(sc: Scene, rng: Rng, zoom: np.ndarray, aim: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Hand-held phone: the aim plus slow wander and tremor, a little roll and zoom jitter."""
    T = len(zoom)
    wander = rng.uniform(0.01, 0.04) * VH * np.stack([wave(T, 3, rng), wave(T, 3, rng)], 1)
    tremor = shake(rng, T, rng.uniform(0.004, 0.012) * VH)
    roll = math.radians(rng.uniform(0.2, 1.2)) * wave(T, 3, rng) + math.radians(0.25) * wave(T, max(2, T // 2), rng)
    z = zoom * (1 + 0.01 * wave(T, 4, rng))
    centre = np.array([sc.cw / 2, sc.ch / 2]) + aim + (wander + tremor) / z[:, None]  # shake is angular: / zoom
    c, s = np.abs(np.cos(roll)), np.abs(np.sin(roll))
    hx, hy = (sc.vw / 2 * c + VH / 2 * s) / z + 1, (sc.vw / 2 * s + VH / 2 * c) / z + 1  # the view stays on the canvas
    centre[:, 0], centre[:, 1] = np.clip(centre[:, 0], hx, sc.cw - hx), np.clip(centre[:, 1], hy, sc.ch - hy)
    return centre, z, roll


def film(sc: Scene, rng: Rng, script: Script) -> np.ndarray:
    """Every frame (T, 240, w, 3) uint8: the room, what moves, the phone's optics and sensor."""
    T, w = len(script.zoom), sc.w
    centre, zoom, roll = camera(sc, rng, script.zoom, script.aim)
    defocus = rng.uniform(0, 0.6)  # output pixels
    yy, xx = np.mgrid[0:HEIGHT, 0:w].astype(np.float32)
    vignette = 1 - rng.uniform(0.05, 0.18) * (((xx - w / 2) / (w / 2)) ** 2 + ((yy - HEIGHT / 2) / (HEIGHT / 2)) ** 2)
    # Auto exposure and white balance drift slowly: a few knots over the whole clip.
    exposure = np.exp(rng.uniform(-0.12, 0.12) + rng.uniform(0.04, 0.14) * wave(T, 3, rng))
    drift = rng.uniform(0.015, 0.05) * np.stack([wave(T, 3, rng) for _ in range(3)], 1)
    gains = (exposure[:, None] * np.exp(rng.uniform(-0.05, 0.05, 3)[None, :] + drift)).astype(np.float32)
    contrast, read, shot = rng.uniform(0.85, 1.1), rng.uniform(1.5, 4), rng.uniform(1.5, 5)
    frames = np.empty((T, HEIGHT, w, 3), np.uint8)
    for t in range(T):
        r = SCALE / zoom[t]  # canvas pixels per output pixel
        cos, sin = math.cos(roll[t]), math.sin(roll[t])
        sigma = math.hypot(0.45 * r if r > 1 else 0.0, defocus * r)  # anti-aliasing and focus, canvas pixels
        hx = (w / 2 * abs(cos) + HEIGHT / 2 * abs(sin)) * r + 3 * sigma + 3
        hy = (w / 2 * abs(sin) + HEIGHT / 2 * abs(cos)) * r + 3 * sigma + 3
        cx, cy = centre[t]
        box = (max(0, int(cx - hx)), max(0, int(cy - hy)), min(sc.cw, int(cx + hx) + 1), min(sc.ch, int(cy + hy) + 1))
        img = sc.bg.crop(box)  # only what this frame sees is drawn on and blurred
        for tr in script.tracks:
            x, y, th = tr.xs[t] - box[0], tr.ys[t] - box[1], tr.thing
            fade = math.exp(-(tr.rest - tr.ys[t]) / (0.12 * VH))  # a lifted object's shadow fades
            shadow = th.shadow if fade > 0.99 else th.shadow.point(lambda v: int(v * fade))
            img.paste((0, 0, 0), (round(x - shadow.width / 2), round(tr.rest - box[1] - shadow.height / 2)), shadow)
            img.paste(tr.sprite, (round(x - th.w / 2), round(y - th.h)), tr.sprite)
        draw = ImageDraw.Draw(img)
        for arm in script.arms:
            if arm.on[t]:
                draw_arm(draw, arm, t, np.array(box[:2], np.float64))
        if sigma > 0.3:
            img = img.filter(ImageFilter.GaussianBlur(sigma))
        a, b, d, e = r * cos, -r * sin, r * sin, r * cos  # output pixel -> crop pixel, rotated about the centre
        coeffs = (a, b, cx - box[0] - a * w / 2 - b * HEIGHT / 2, d, e, cy - box[1] - d * w / 2 - e * HEIGHT / 2)
        out = img.transform((w, HEIGHT), Image.Transform.AFFINE, coeffs, Image.Resampling.BILINEAR)
        out = np.asarray(out, np.float32) * vignette[..., None] * gains[t]
        out = 128 + (out - 128) * contrast
        # Sensor noise: read noise plus shot noise growing with the signal; chroma noise is coarser.
        sigma_n = read + shot * np.sqrt(np.clip(out, 0, 255) / 255)
        chroma = rng.standard_normal((HEIGHT // 2, (w + 1) // 2, 3), dtype=np.float32).repeat(2, 0).repeat(2, 1)
        out += sigma_n * (rng.standard_normal((HEIGHT, w, 1), dtype=np.float32) + 0.5 * chroma[:, :w])
        frames[t] = np.clip(np.rint(out), 0, 255).astype(np.uint8)
    return frames


def render_forward(seed: int, vid: int, motion: str) -> tuple[np.ndarray, list[str]]:
    """The forward clip of video `vid` showing `motion`, and its placeholders, from its own generator."""
    rng = np.random.default_rng([seed, vid])
    w, T = pick(rng, WIDTHS), round(rng.uniform(*SECONDS) * FPS)
    sc = build_scene(rng, w)
    # The action fills 40-80% of the clip; the idle rest is split at random between before and after.
    A = round(rng.uniform(0.4, 0.8) * T)
    a0 = round(rng.uniform(0.2, 0.8) * (T - A))
    s = np.clip((np.arange(T) - a0 + 0.5) / A, 0, 1)  # progress through the action
    script = SCRIPTS[motion](sc, rng, T, s)
    place_clutter(sc, rng, [tr.thing for tr in script.tracks], script.busy)
    light_room(sc)
    return film(sc, rng, script), [tr.thing.name for tr in script.tracks]


def render_video(seed: int, vid: int, cls: str) -> tuple[np.ndarray, list[str]]:
    """The frames of video `vid` of class `cls`: a reversed class is its forward draw played backwards."""
    frames, names = render_forward(seed, vid, MOTION[cls])
    return (np.ascontiguousarray(frames[::-1]) if cls in REVERSED else frames), names


def _write(task: tuple[int, int, str, str]) -> list[str]:
    """Worker: render one video, write it, return its placeholders."""
    frames, names = render_video(*task[:3])
    write_video(task[3], frames)
    return names


def annotation(vid: int, cls: str, names: list[str]) -> dict:
    """A train/validation entry: the template has [something]s, the label fills them in."""
    template = label = cls.replace("something", "[something]")
    for name in names:
        label = label.replace("[something]", name, 1)
    return {"id": str(vid), "label": label[0].lower() + label[1:], "template": template, "placeholders": names}


def make_shelf(
    root: Path,
    seed: int,
    labels_file: Path,
    train_per_class: int = 24,
    validation_per_class: int = 8,
    test_per_class: int = 2,
    workers: int = 2,
) -> None:
    """Writes the shelf dataset to `root` in the official SSv2 layout (see the module docstring)."""
    root = Path(root)
    names = [line.strip() for line in Path(labels_file).read_text(encoding="utf-8").splitlines() if line.strip()]
    if missing := [c for c in CLASSES if c not in names]:
        raise ValueError(f"{labels_file} lacks the classes {missing}")
    counts = {"train": train_per_class, "validation": validation_per_class, "test": test_per_class}
    jobs = [(cls, split) for cls in CLASSES for split, n in counts.items() for _ in range(n)]
    rng = np.random.default_rng(seed)
    order, ids = rng.permutation(len(jobs)), rng.choice(ID_MAX, size=len(jobs), replace=False) + 1
    jobs = [(int(vid), *jobs[j]) for vid, j in zip(ids, order)]  # classes and splits interleaved
    videos = root / "20bn-something-something-v2"
    videos.mkdir(parents=True, exist_ok=True)
    tasks = [(seed, vid, cls, str(videos / f"{vid}.webm")) for vid, cls, _ in jobs]
    entries: dict[str, list[dict]] = {split: [] for split in counts}

    def collect(results) -> None:
        # The bar first: zip() then asks it for one more item, so it ends (and shows) at 100%.
        for placeholders, (vid, cls, split) in zip(tqdm(results, total=len(tasks), desc="shelf", unit="video"), jobs):
            entries[split].append({"id": str(vid)} if split == "test" else annotation(vid, cls, placeholders))

    if workers <= 1:
        collect(map(_write, tasks))
    else:
        with ProcessPoolExecutor(workers, mp_context=process_context()) as pool:
            collect(pool.map(_write, tasks))
    labels = root / "labels"
    labels.mkdir(parents=True, exist_ok=True)
    index = {name: str(i) for i, name in enumerate(names)}  # all classes, in the file's (index) order
    files = {"labels": index} | entries
    for part, data in files.items():
        text = json.dumps(data, indent=1 if part == "labels" else None, ensure_ascii=False)
        (labels / f"something-something-v2-{part}.json").write_text(text + "\n", encoding="utf-8")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description="Write the shelf dataset to ROOT: a hard synthetic tuning set in SSv2's layout (a hand-held "
        "phone filming a shelf; eight real classes in four time-reversal pairs)."
    )
    parser.add_argument("root", type=Path, help="where to write labels/ and 20bn-something-something-v2/")
    parser.add_argument("--seed", type=int, default=0, help="random seed; the same seed gives the same dataset")
    parser.add_argument("--train-per-class", type=int, default=24, help="training videos per class")
    parser.add_argument("--validation-per-class", type=int, default=8, help="validation videos per class")
    parser.add_argument("--test-per-class", type=int, default=2, help="test videos (ids only) per class")
    parser.add_argument("--workers", type=int, default=2, help="processes rendering videos")
    parser.add_argument("--labels-file", type=Path, default=LABELS_FILE, help="class names, one a line in index order")
    make_shelf(**vars(parser.parse_args(argv)))


if __name__ == "__main__":
    main()
