"""Draw "tabletop", a synthetic SSv2-style dataset made to look like hand-held phone footage.

Eight classes, four pairs that differ only in the order of their frames (each reversed class's
video is a forward draw played backwards):
- Pushing something from left to right / from right to left
- Moving something up / Moving something down
- Moving something and something closer to each other / away from each other
- Approaching something with your camera / Moving away from something with your camera

Every video is a tilted table top (wood, cloth, paper, cutting mat, marble or laminate, now and
then with a wall behind it) seen in perspective, with 3-8 static everyday objects (mugs, boxes,
bottles, balls, books, phones, cans) drawn with shading and soft shadows. A skin-toned arm in a
sleeve reaches in from a frame edge, grasps or pushes the acting object and moves with it, then
withdraws; the action may take only part of the clip. The camera is hand-held (shake, a little
roll, auto-exposure and white-balance drift, lens vignetting, sensor noise), fast motion is
blurred, and the camera classes zoom and roll towards an object while near clutter in the
foreground moves faster than the table (parallax).

It writes the official SSv2 layout: labels/something-something-v2-{labels,train,validation,test}.json
(labels.json lists all 174 classes) and 20bn-something-something-v2/<id>.webm (VP9, 12 fps,
240 px high, 320-480 px wide, 2-5 s). The same --seed gives the same dataset.

    python benchmarks/tabletop.py ROOT [--seed 0] [--train-per-class 24] [--workers 2]
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

HEIGHT = 240
WIDTHS = (320, 480)  # inclusive range; only even widths are drawn
SECONDS = (2.0, 5.0)
MARGIN = 16  # canvas pixels around the view, so camera shake and roll never show an edge
CAMERA_RES = 1.9  # canvas pixels per view pixel for the camera classes, so zooming in stays sharp
SUPERSAMPLE = 2  # actor layers are drawn at this scale and averaged down (anti-aliasing)

# class name -> (action drawn, whether the forward draw is played backwards)
CLASSES: dict[str, tuple[str, bool]] = {
    "Pushing something from left to right": ("push", False),
    "Pushing something from right to left": ("push", True),
    "Moving something up": ("lift", False),
    "Moving something down": ("lift", True),
    "Moving something and something closer to each other": ("closer", False),
    "Moving something and something away from each other": ("closer", True),
    "Approaching something with your camera": ("approach", False),
    "Moving away from something with your camera": ("approach", True),
}
TEMPLATES = {name: name.replace("something", "[something]") for name in CLASSES}
ACTORS = {"push": 1, "lift": 1, "closer": 2, "approach": 1}

COLOURS: dict[str, tuple[int, int, int]] = {
    "red": (186, 38, 40),
    "blue": (38, 84, 176),
    "green": (48, 134, 72),
    "yellow": (228, 186, 42),
    "white": (232, 232, 226),
    "black": (34, 34, 38),
    "orange": (226, 116, 32),
    "pink": (226, 136, 166),
    "purple": (104, 60, 146),
    "grey": (136, 138, 142),
    "brown": (128, 84, 50),
    "silver": (176, 178, 184),
}
# kind -> (names a crowd worker might type, colours it comes in, width / height of its sprite)
OBJECTS: dict[str, tuple[tuple[str, ...], tuple[str, ...], float]] = {
    "mug": (("mug", "coffee mug", "cup", "tea cup"), tuple(c for c in COLOURS if c != "silver"), 1.05),
    "box": (("box", "cardboard box", "small box", "tissue box"), ("brown", "brown", "white", "red", "blue"), 1.15),
    "bottle": (("bottle", "water bottle", "plastic bottle", "shampoo bottle"), tuple(COLOURS), 0.42),
    "ball": (("ball", "tennis ball", "rubber ball", "toy ball"), tuple(COLOURS), 1.0),
    "book": (("book", "notebook", "paperback", "diary"), tuple(COLOURS), 1.6),
    "phone": (("phone", "mobile phone", "cell phone", "smartphone"), ("black", "black", "white", "grey", "blue"), 1.25),
    "can": (("can", "soda can", "tin can"), ("red", "silver", "green", "blue", "yellow"), 0.62),
}
ACTING_KINDS = ("mug", "box", "bottle", "ball", "book", "phone")

SKIN = ((244, 204, 178), (232, 184, 150), (214, 160, 120), (190, 134, 96), (160, 106, 72), (122, 80, 54), (88, 58, 40))
SLEEVES = ((40, 44, 52), (60, 90, 150), (200, 200, 196), (150, 40, 44), (90, 110, 80), (120, 120, 126), (30, 60, 90))


@dataclass
class Job:
    """One video to draw: what the worker needs, all decided by the main process's seed."""

    path: Path
    action: str
    reverse: bool
    seed: int
    width: int
    frames: int
    actors: list[tuple[str, str]]  # (kind, colour) of each acting object


# ---------------------------------------------------------------- small helpers


def smoothstep(x: np.ndarray | float) -> np.ndarray | float:
    """0 -> 1 with zero speed at both ends: hands start and stop gently."""
    x = np.clip(x, 0.0, 1.0)
    return x * x * (3 - 2 * x)


def wander(rng: np.random.Generator, times: np.ndarray, freq: tuple[float, float], parts: int = 3) -> np.ndarray:
    """A smooth random signal over `times` (seconds), about -1..1: drift, shake, exposure."""
    out = np.zeros_like(times)
    for _ in range(parts):
        out += np.sin(2 * np.pi * rng.uniform(*freq) * times + rng.uniform(0, 2 * np.pi))
    return out / math.sqrt(parts / 2)


def smooth_noise(rng: np.random.Generator, height: int, width: int, cell: float) -> np.ndarray:
    """Value noise in 0..1 with features about `cell` pixels across (bicubic upsampling)."""
    small = rng.random((max(2, int(height / cell) + 2), max(2, int(width / cell) + 2)))
    image = Image.fromarray((small * 255).astype(np.uint8)).resize((width, height), Image.BICUBIC)
    return np.asarray(image, dtype=np.float32) / 255


def fbm(rng: np.random.Generator, height: int, width: int, cell: float, octaves: int = 4) -> np.ndarray:
    """Fractal noise: value noise over several scales, normalised to 0..1."""
    out = np.zeros((height, width), np.float32)
    for i in range(octaves):
        out += smooth_noise(rng, height, width, max(2.0, cell / 2**i)) / 2**i
    return (out - out.min()) / max(1e-6, float(np.ptp(out)))


def jitter(rng: np.random.Generator, colour: tuple[int, int, int], amount: float = 14) -> np.ndarray:
    """A colour varied a little, so two red mugs are not the same red."""
    return np.clip(np.asarray(colour, np.float32) + rng.normal(0, amount, 3), 0, 255)


def mix(a: np.ndarray, b: np.ndarray, t: np.ndarray) -> np.ndarray:
    """Per-pixel blend of two colours by a 0..1 map."""
    return a * (1 - t[..., None]) + b * t[..., None]


def rgb(colour: np.ndarray | tuple, gain: float = 1.0) -> tuple[int, int, int]:
    """A colour as PIL wants it, brightened or darkened by `gain`."""
    c = np.clip(np.asarray(colour, np.float32) * gain, 0, 255)
    return int(c[0]), int(c[1]), int(c[2])


# ---------------------------------------------------------------- table tops


def wood(rng: np.random.Generator, h: int, w: int) -> np.ndarray:
    """Planks with warped grain and streaks."""
    light, dark = [((200, 156, 104), (156, 106, 62)), ((120, 78, 50), (78, 48, 30)), ((218, 180, 128), (182, 136, 86))][
        rng.integers(3)
    ]
    y = np.arange(h, dtype=np.float32)[:, None]
    warp = fbm(rng, h, w, 90) * rng.uniform(3, 7)
    grain = 0.5 + 0.5 * np.sin(2 * np.pi * (y / rng.uniform(7, 14) + warp))
    streak = np.asarray(Image.fromarray((rng.random((h, max(2, w // 24))) * 255).astype(np.uint8)).resize((w, h)))
    t = 0.55 * grain**2 + 0.3 * streak / 255 + 0.15 * fbm(rng, h, w, 40)
    out = mix(np.asarray(light, np.float32), np.asarray(dark, np.float32), t)
    plank = rng.uniform(40, 80)
    seam = (y % plank) < 1.5
    offsets = rng.normal(1, 0.06, int(h / plank) + 2)[(y // plank).astype(int)]
    return out * offsets[..., None] * np.where(seam, 0.6, 1.0)[..., None]


def cloth(rng: np.random.Generator, h: int, w: int) -> np.ndarray:
    """A gingham or plain woven table cloth with soft wrinkles."""
    y, x = np.mgrid[0:h, 0:w].astype(np.float32)
    base = jitter(rng, COLOURS[str(rng.choice(["red", "blue", "green", "grey", "yellow", "purple"]))], 20)
    white = np.array([236, 232, 224], np.float32)
    if rng.random() < 0.6:
        check = rng.uniform(10, 22)
        t = (((x // check) % 2) + ((y // check) % 2)) / 2
        out = mix(white, base, t.astype(np.float32))
    else:
        out = np.broadcast_to(base * rng.uniform(0.8, 1.3), (h, w, 3)).copy()
    weave = 1 + 0.05 * np.sin(x * 2.1) * np.sin(y * 2.1)
    wrinkles = 0.85 + 0.3 * fbm(rng, h, w, 70, 3)
    return out * (weave * wrinkles)[..., None]


def paper(rng: np.random.Generator, h: int, w: int) -> np.ndarray:
    """Mottled white or kraft paper, or a green cutting mat with its grid."""
    mottle = fbm(rng, h, w, 30)
    kind = rng.integers(3)
    if kind == 2:
        y, x = np.mgrid[0:h, 0:w].astype(np.float32)
        step = rng.uniform(14, 22)
        grid = ((x % step) < 1.2) | ((y % step) < 1.2)
        out = mix(jitter(rng, (44, 112, 84), 10), np.array([200, 220, 200], np.float32), grid * 0.55)
        return out * (0.95 + 0.1 * mottle)[..., None]
    colour = jitter(rng, ((238, 234, 222), (176, 136, 96))[kind], 8)
    fibres = np.asarray(Image.fromarray((rng.random((h // 3 + 1, w)) * 255).astype(np.uint8)).resize((w, h))) / 255
    return colour * (0.9 + 0.12 * mottle + 0.04 * fibres)[..., None]


def marble(rng: np.random.Generator, h: int, w: int) -> np.ndarray:
    """White or grey marble with dark winding veins."""
    y, x = np.mgrid[0:h, 0:w].astype(np.float32)
    turbulence = fbm(rng, h, w, 120, 5)
    angle = rng.uniform(0, np.pi)
    v = np.abs(np.sin((x * math.cos(angle) + y * math.sin(angle)) / rng.uniform(40, 90) + 6 * turbulence))
    veins = np.exp(-v / 0.07)
    base = jitter(rng, ((232, 230, 226), (150, 150, 154), (220, 208, 196))[rng.integers(3)], 6)
    out = base * (0.93 + 0.07 * fbm(rng, h, w, 25))[..., None]
    return mix(out, base * 0.45, veins * rng.uniform(0.4, 0.8))


def laminate(rng: np.random.Generator, h: int, w: int) -> np.ndarray:
    """A plain office desk: one colour, fine speckle, a wide sheen."""
    base = jitter(rng, ((226, 226, 222), (90, 92, 96), (44, 44, 48), (200, 186, 160))[rng.integers(4)], 8)
    speckle = rng.normal(0, 0.02, (h, w)).astype(np.float32)
    return base * (1 + speckle + 0.08 * fbm(rng, h, w, 150, 2))[..., None]


TEXTURES = (wood, wood, cloth, paper, marble, laminate)


# ---------------------------------------------------------------- the scene


@dataclass
class Scene:
    """A table seen by a tilted camera: its size, perspective, light and canvas resolution."""

    width: int
    height: int
    res: float  # canvas pixels per view pixel
    far: float  # how much smaller things are at the top of the canvas than at its bottom
    wall: float  # canvas y (view pixels) where the table meets the wall; <= 0: no wall
    light: np.ndarray  # unit vector, the direction shadows fall
    shadow: float  # how dark shadows are
    canvas: tuple[int, int] = field(init=False)  # (width, height) in canvas pixels

    def __post_init__(self) -> None:
        self.canvas = (round((self.width + 2 * MARGIN) * self.res), round((self.height + 2 * MARGIN) * self.res))

    def scale(self, y: float) -> float:
        """Size of a thing whose base is at canvas y (view pixels), relative to the canvas bottom."""
        return self.far + (1 - self.far) * float(np.clip(y / (self.height + 2 * MARGIN), 0, 1))


def table(rng: np.random.Generator, scene: Scene) -> np.ndarray:
    """The table top warped into perspective, lit unevenly, with the wall behind it (float RGB)."""
    w, h = scene.width + 2 * MARGIN, scene.height + 2 * MARGIN
    tw = int(w / scene.far)
    flat = TEXTURES[rng.integers(len(TEXTURES))](rng, h, tw)
    image = Image.fromarray(np.clip(flat, 0, 255).astype(np.uint8))
    # The top of the view sees a wider stretch of the table than the bottom.
    quad = (0, 0, (tw - w) / 2, h, (tw + w) / 2, h, tw, 0)
    out = np.asarray(image.transform((w, h), Image.QUAD, quad, Image.BICUBIC), np.float32)
    y, x = np.mgrid[0:h, 0:w].astype(np.float32)
    lamp = np.array([rng.uniform(-0.3, 1.3) * w, rng.uniform(-0.5, 0.6) * h])
    falloff = np.hypot(x - lamp[0], y - lamp[1]) / math.hypot(w, h)
    out = out * (1.12 - rng.uniform(0.2, 0.45) * falloff)[..., None]
    if scene.wall > 0:
        wall = jitter(rng, ((214, 210, 198), (180, 190, 196), (140, 150, 130), (226, 222, 214))[rng.integers(4)], 10)
        wall_image = wall * (0.8 + 0.2 * (y / scene.wall) + 0.03 * fbm(rng, h, w, 60))[..., None]
        edge = np.clip((y - scene.wall) / 1.5, 0, 1)[..., None]
        lip = (np.abs(y - scene.wall - 2) < 2.5)[..., None]  # the table's front edge catches the light
        out = np.where(lip, out * 1.15, out)
        out = wall_image * (1 - edge) + out * edge
    if scene.res != 1:
        image = Image.fromarray(np.clip(out, 0, 255).astype(np.uint8)).resize(scene.canvas, Image.BICUBIC)
        out = np.asarray(image, np.float32)
    return out


# ---------------------------------------------------------------- objects


class Painter:
    """Draws one object at a supersampled size, shading each part; gives a premultiplied sprite."""

    def __init__(self, width: int, height: int, scale: int = 3):
        self.s = scale
        self.size = (width * scale, height * scale)
        self.colour = np.zeros((self.size[1], self.size[0], 3), np.float32)
        self.alpha = np.zeros((self.size[1], self.size[0]), np.float32)
        self.y, self.x = np.mgrid[0 : self.size[1], 0 : self.size[0]].astype(np.float32) / scale

    def mask(self, shape: str, *args, **kwargs) -> np.ndarray:
        """A 0/1 mask of one ImageDraw shape, given in sprite pixels."""
        image = Image.new("L", self.size, 0)
        draw = ImageDraw.Draw(image)
        scaled = [tuple(v * self.s for v in a) if isinstance(a, (tuple, list)) else a for a in args]
        if "width" in kwargs:
            kwargs["width"] = max(1, round(kwargs["width"] * self.s))
        if "radius" in kwargs:
            kwargs["radius"] = kwargs["radius"] * self.s
        if shape == "polygon":
            scaled = [[(x * self.s, y * self.s) for x, y in args[0]]]
        getattr(draw, shape)(*scaled, fill=255, **kwargs)
        return np.asarray(image, np.float32) / 255

    def fill(self, m: np.ndarray, colour: np.ndarray, shade: np.ndarray | float = 1.0) -> None:
        """Paint a mask with a colour times a shading map, over what is already there."""
        c = np.clip(np.asarray(colour, np.float32) * np.asarray(shade, np.float32)[..., None], 0, 255)
        self.colour = self.colour * (1 - m[..., None]) + c * m[..., None]
        self.alpha = np.maximum(self.alpha, m)

    def cylinder(self, left: float, right: float, light: float) -> np.ndarray:
        """Shading across a vertical cylinder, brightest off-centre towards the light."""
        u = np.clip((self.x - left) / max(1e-3, right - left), 0, 1) * 2 - 1
        lit = np.cos(np.clip(u - 0.35 * light, -1.5, 1.5) * 1.1)
        spec = np.exp(-(((u + 0.45 * light) / 0.12) ** 2)) * 0.35
        return 0.55 + 0.5 * lit + spec

    def sprite(self) -> tuple[Image.Image, Image.Image]:
        """(straight RGB, alpha) downsampled; colours bleed past the edge so resizing leaves no fringe."""
        size = (self.size[0] // self.s, self.size[1] // self.s)
        premult = Image.fromarray(np.clip(self.colour * self.alpha[..., None], 0, 255).astype(np.uint8))
        alpha = Image.fromarray((self.alpha * 255).astype(np.uint8))
        premult, alpha = premult.resize(size, Image.BOX), alpha.resize(size, Image.BOX)
        p = np.asarray(premult, np.float32)
        a = np.asarray(alpha, np.float32)[..., None] / 255
        bp = np.asarray(premult.filter(ImageFilter.BoxBlur(4)), np.float32)
        ba = np.asarray(alpha.filter(ImageFilter.BoxBlur(4)), np.float32)[..., None] / 255
        mean = p.reshape(-1, 3).sum(0) / max(1e-3, float(a.sum()))
        bled = np.where(ba > 0.01, bp / np.maximum(ba, 0.01), mean)
        straight = np.where(a > 0.02, p / np.maximum(a, 0.02), bled)
        return Image.fromarray(np.clip(straight, 0, 255).astype(np.uint8)), alpha


def draw_object(rng: np.random.Generator, kind: str, colour: str, height: float) -> tuple[Image.Image, Image.Image]:
    """An everyday object `height` pixels high, standing on its base (the sprite's bottom edge)."""
    aspect = OBJECTS[kind][2] * rng.uniform(0.9, 1.1)
    h = max(6, round(height))
    w = max(6, round(h * aspect))
    p = Painter(w, h)
    body = jitter(rng, COLOURS[colour])
    light = rng.uniform(-1, 1)
    {"mug": _mug, "box": _box, "bottle": _bottle, "ball": _ball, "book": _book, "phone": _phone, "can": _can}[kind](
        rng, p, w, h, body, light
    )
    return p.sprite()


def _mug(rng: np.random.Generator, p: Painter, w: int, h: int, body: np.ndarray, light: float) -> None:
    right = rng.random() < 0.5
    bw = w * 0.74
    x0 = w - bw if not right else 0.0
    x0 = float(x0)
    rim = h * 0.13
    handle_x = x0 - bw * 0.3 if not right else x0 + bw * 0.7
    p.fill(p.mask("ellipse", (handle_x, h * 0.3, handle_x + bw * 0.6, h * 0.78), width=bw * 0.13), body, 0.8)
    m = p.mask("rectangle", (x0, rim / 2, x0 + bw, h - rim / 2)) + p.mask("ellipse", (x0, h - rim, x0 + bw, h))
    p.fill(np.clip(m, 0, 1), body, p.cylinder(x0, x0 + bw, light))
    p.fill(p.mask("ellipse", (x0, 0, x0 + bw, rim)), body, 1.1)
    p.fill(p.mask("ellipse", (x0 + bw * 0.07, rim * 0.15, x0 + bw * 0.93, rim * 0.9)), body, 0.45)


def _box(rng: np.random.Generator, p: Painter, w: int, h: int, body: np.ndarray, light: float) -> None:
    depth = h * rng.uniform(0.2, 0.3)
    side = w * rng.uniform(0.12, 0.22)
    front = (0, depth, w - side, h)
    p.fill(p.mask("polygon", [(w - side, depth), (w, 0), (w, h - depth), (w - side, h)]), body, 0.72 + 0.1 * light)
    p.fill(p.mask("polygon", [(0, depth), (side, 0), (w, 0), (w - side, depth)]), body, 1.18)
    shade = 0.95 - 0.1 * (p.y / h)
    p.fill(p.mask("rectangle", front), body, shade)
    if rng.random() < 0.6:  # packing tape across the top and down the front
        tape = jitter(rng, (200, 170, 120), 10)
        cx = (w - side) / 2
        p.fill(p.mask("polygon", [(cx - w * 0.06, depth), (cx + side - w * 0.06, 0), (cx + side + w * 0.06, 0),
                                  (cx + w * 0.06, depth)]), tape, 1.1)  # fmt: skip
        p.fill(p.mask("rectangle", (cx - w * 0.06, depth, cx + w * 0.06, depth + (h - depth) * 0.3)), tape, 0.95)


def _bottle(rng: np.random.Generator, p: Painter, w: int, h: int, body: np.ndarray, light: float) -> None:
    neck = w * 0.36
    shoulder = h * rng.uniform(0.3, 0.4)
    shade = p.cylinder(0, w, light)
    p.fill(p.mask("rounded_rectangle", (0, shoulder, w, h), radius=w * 0.25), body, shade)
    p.fill(p.mask("ellipse", (0, shoulder - w * 0.45, w, shoulder + w * 0.45)), body, shade)
    p.fill(p.mask("rectangle", ((w - neck) / 2, h * 0.08, (w + neck) / 2, shoulder)), body, shade)
    cap = jitter(rng, COLOURS[str(rng.choice(["white", "blue", "red", "black"]))], 10)
    p.fill(p.mask("rectangle", ((w - neck) / 2 - 0.5, 0, (w + neck) / 2 + 0.5, h * 0.12)), cap, shade)
    label = jitter(rng, COLOURS[str(rng.choice(["white", "yellow", "green", "orange"]))], 10)
    p.fill(p.mask("rectangle", (0, h * 0.55, w, h * 0.8)), label, shade)


def _ball(rng: np.random.Generator, p: Painter, w: int, h: int, body: np.ndarray, light: float) -> None:
    r = min(w, h) / 2
    cx, cy = w / 2, h - r
    d = np.hypot(p.x - (cx - 0.35 * r * light), p.y - (cy - 0.4 * r))
    shade = 1.25 - 0.75 * np.clip(d / (1.6 * r), 0, 1) + 0.4 * np.exp(-((d / (0.22 * r)) ** 2))
    p.fill(p.mask("ellipse", (cx - r, cy - r, cx + r, cy + r)), body, shade)
    if rng.random() < 0.5:  # a seam, like a tennis or beach ball
        p.fill(p.mask("arc", (cx - r * 1.6, cy - r * 0.7, cx + r * 0.4, cy + r * 1.3), 290, 40, width=r * 0.1),
               np.array([240, 240, 236]), shade)  # fmt: skip


def _book(rng: np.random.Generator, p: Painter, w: int, h: int, body: np.ndarray, light: float) -> None:
    thick = h * rng.uniform(0.18, 0.3)
    slant = w * 0.12
    top = [(slant, 0), (w, 0), (w - slant, h - thick), (0, h - thick)]
    p.fill(p.mask("polygon", [(0, h - thick), (w - slant, h - thick), (w - slant, h), (0, h)]),
           np.array([236, 228, 206]), 0.85 + 0.08 * np.sin(p.y * 5))  # fmt: skip
    p.fill(p.mask("polygon", [(w - slant, h - thick), (w, 0), (w, thick), (w - slant, h)]), body, 0.7)
    p.fill(p.mask("polygon", top), body, 1.05 - 0.15 * p.x / w + 0.05 * light)
    title = jitter(rng, COLOURS[str(rng.choice(["white", "yellow", "black"]))], 10)
    p.fill(p.mask("rectangle", (w * 0.35, (h - thick) * 0.3, w * 0.7, (h - thick) * 0.45)), title, 1.0)


def _phone(rng: np.random.Generator, p: Painter, w: int, h: int, body: np.ndarray, light: float) -> None:
    edge = h * 0.16
    slant = w * 0.08
    p.fill(p.mask("polygon", [(0, h - edge), (w, h - edge), (w - slant * 0.3, h), (slant * 0.3, h)]), body, 0.6)
    p.fill(p.mask("polygon", [(slant, 0), (w - slant, 0), (w, h - edge), (0, h - edge)]), body, 1.0)
    screen = [(slant + w * 0.07, h * 0.08), (w - slant - w * 0.07, h * 0.08), (w - w * 0.08, h - edge - h * 0.07),
              (w * 0.08, h - edge - h * 0.07)]  # fmt: skip
    sheen = 0.35 + 0.5 * np.clip(1 - np.abs((p.x / w + p.y / h) - 0.9 - 0.3 * light) * 3, 0, 1)
    p.fill(p.mask("polygon", screen), np.array([46, 52, 66]), sheen + 0.5)


def _can(rng: np.random.Generator, p: Painter, w: int, h: int, body: np.ndarray, light: float) -> None:
    rim = h * 0.12
    shade = p.cylinder(0, w, light)
    m = p.mask("rectangle", (0, rim / 2, w, h - rim / 2)) + p.mask("ellipse", (0, h - rim, w, h))
    p.fill(np.clip(m, 0, 1), body, shade)
    p.fill(p.mask("rectangle", (0, h * 0.4, w, h * 0.6)), np.array([236, 236, 232]), shade)
    p.fill(p.mask("ellipse", (0, 0, w, rim)), np.array([190, 192, 198]), 1.05)


# ---------------------------------------------------------------- drawing actors


def capsule(draw: ImageDraw.ImageDraw, a: np.ndarray, b: np.ndarray, width: float, fill) -> None:
    """A thick line with round ends: a finger, a forearm, a sleeve."""
    r = width / 2
    draw.line([tuple(a), tuple(b)], fill=fill, width=max(1, round(width)))
    for c in (a, b):
        draw.ellipse((c[0] - r, c[1] - r, c[0] + r, c[1] + r), fill=fill)


def oval(centre: np.ndarray, along: np.ndarray, length: float, width: float, n: int = 20) -> list[tuple]:
    """An ellipse turned to lie along a direction, as a polygon (ImageDraw cannot rotate ellipses)."""
    across = np.array([-along[1], along[0]])
    t = np.linspace(0, 2 * np.pi, n, endpoint=False)
    pts = centre + np.outer(np.cos(t) * length / 2, along) + np.outer(np.sin(t) * width / 2, across)
    return [tuple(q) for q in pts]


@dataclass
class Arm:
    """One person's arm: skin, sleeve and size, fixed for a video."""

    skin: np.ndarray
    sleeve: np.ndarray
    width: float  # forearm width in view pixels
    grip: bool  # fingers curled round the object (lift) or flat against it (push)

    def hand_parts(self, tip: np.ndarray, direction: np.ndarray, k: float) -> tuple[np.ndarray, list]:
        """The wrist point and the hand's pieces ((kind, points, width) in canvas pixels) for a fingertip point."""
        w = self.width * k
        length = w * 1.7
        across = np.array([-direction[1], direction[0]])
        wrist = tip - direction * length
        palm = wrist + direction * length * 0.42
        parts: list = [("oval", oval(palm, direction, length * 0.75, w * 1.25), 0)]
        reach = 0.35 if self.grip else 0.55
        for i, f in enumerate((-0.38, -0.13, 0.12, 0.36)):
            base = palm + direction * length * 0.25 + across * f * w * 1.15
            end = base + direction * length * reach * (0.85 if i in (0, 3) else 1.0)
            if self.grip:
                end = end + across * f * w * 0.2
            parts.append(("capsule", (base, end), w * 0.27))
        side = 1 if self.grip else -1
        thumb = palm + across * side * w * 0.55
        parts.append(("capsule", (thumb, thumb + (direction * 0.6 + across * side * 0.5) * length * 0.35), w * 0.3))
        return wrist, parts

    def draw(self, draw: ImageDraw.ImageDraw, shoulder: np.ndarray, tip: np.ndarray, k: float, light: np.ndarray):
        """Sleeve, forearm and hand; the outline drawn first and wider gives the limbs a rounded look."""
        direction = tip - shoulder
        direction = direction / max(1e-6, np.linalg.norm(direction))
        wrist, parts = self.hand_parts(tip, direction, k)
        w = self.width * k
        cuff = wrist - direction * w * 2.4
        across = np.array([-direction[1], direction[0]])
        glint = across * np.sign(np.dot(across, -light) or 1) * w * 0.2
        capsule(draw, shoulder, wrist, w * 1.04, rgb(self.skin, 0.72))
        capsule(draw, shoulder, wrist, w * 0.8, rgb(self.skin))
        capsule(draw, shoulder + glint, wrist + glint, w * 0.25, rgb(self.skin, 1.1))
        for grow, gain in ((1.12, 0.72), (1.0, 1.0)):
            for kind, pts, width in parts:
                if kind == "oval":
                    centre = np.mean(pts, axis=0)
                    draw.polygon(
                        [tuple(centre + (np.array(q) - centre) * grow) for q in pts], fill=rgb(self.skin, gain)
                    )
                else:
                    capsule(draw, pts[0], pts[1], width * grow, rgb(self.skin, gain * 0.97))
        if np.dot(cuff - shoulder, direction) > 0:
            capsule(draw, shoulder - direction * w * 4, cuff, w * 1.45, rgb(self.sleeve, 0.7))
            capsule(draw, shoulder - direction * w * 4, cuff, w * 1.25, rgb(self.sleeve))

    def shadow(self, draw: ImageDraw.ImageDraw, shoulder: np.ndarray, tip: np.ndarray, k: float, offset: np.ndarray):
        """The arm's silhouette cast on the table, shifted away from the light."""
        direction = (tip - shoulder) / max(1e-6, np.linalg.norm(tip - shoulder))
        wrist, _ = self.hand_parts(tip, direction, k)
        capsule(draw, shoulder + offset * 1.6, wrist + offset, self.width * k * 1.1, 255)
        hand = oval(
            wrist + direction * self.width * k * 1.2 + offset, direction, self.width * k * 2.4, self.width * k * 1.3
        )
        draw.polygon(hand, fill=255)


# ---------------------------------------------------------------- motions


@dataclass
class Actor:
    """An acting object: its sprite, where its base is in each frame, and the arm that moves it."""

    colour: Image.Image
    alpha: Image.Image
    base: np.ndarray  # (T, 2) base-centre position, view pixels on the canvas
    size: np.ndarray  # (T,) drawn height, view pixels
    lift: np.ndarray  # (T,) how far above the table, view pixels (its shadow stays on the table)
    arm: Arm | None = None
    tip: np.ndarray | None = None  # (T, 2) fingertip position, view pixels
    shoulder: np.ndarray | None = None  # (T, 2)
    aspect: float = 1.0


def phases(rng: np.random.Generator, frames: int) -> tuple[np.ndarray, np.ndarray]:
    """Per frame: the hand's reach (0 away .. 1 touching) and the motion's progress (0 .. 1).

    Some clips idle before or after the action, so the action fills only part of them.
    """
    t = np.arange(frames, dtype=np.float32) / max(1, frames - 1)
    start = rng.uniform(0.05, 0.3) if rng.random() < 0.4 else 0.0
    end = 1 - (rng.uniform(0.05, 0.3) if rng.random() < 0.4 else 0.0)
    u = (t - start) / (end - start)
    reach_in, reach_out = rng.uniform(0.15, 0.3), rng.uniform(0.15, 0.3)
    reach = np.minimum(smoothstep(u / reach_in), smoothstep((1 - u) / reach_out))
    move = smoothstep((u - reach_in - 0.03) / (1 - reach_in - reach_out - 0.06))
    return np.asarray(reach), np.asarray(move)


def make_arm(rng: np.random.Generator, scene: Scene, y: float, grip: bool) -> Arm:
    """A random person's arm reaching to canvas row y; hands are big next to most household things."""
    return Arm(
        skin=jitter(rng, SKIN[rng.integers(len(SKIN))], 8),
        sleeve=jitter(rng, SLEEVES[rng.integers(len(SLEEVES))], 12),
        width=scene.height * rng.uniform(0.075, 0.1) * scene.scale(y) / scene.scale(scene.height),
        grip=grip,
    )


def shoulder_from(rng: np.random.Generator, scene: Scene, contact: np.ndarray, side: int) -> np.ndarray:
    """Where an arm comes from: below the view and to one side (-1 left, 1 right), off the canvas."""
    h = scene.height + 2 * MARGIN
    return np.array([contact[0] + side * rng.uniform(0.3, 1.1) * h, h + rng.uniform(0.35, 0.8) * h])


def hand_track(contact: np.ndarray, shoulder: np.ndarray, reach: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Fingertip and shoulder paths: the hand slides in along the arm to the contact and back out."""
    direction = (contact - shoulder) / np.linalg.norm(contact - shoulder, axis=-1, keepdims=True)
    away = np.linalg.norm(contact - shoulder, axis=-1, keepdims=True) * 0.75
    tip = contact - direction * away * (1 - reach[:, None])
    return tip, shoulder + (tip - contact) * 0.3


def push(rng: np.random.Generator, scene: Scene, actors: list[tuple[str, str]], frames: int) -> list[Actor]:
    """A hand slides an object from left to right along the table."""
    reach, move = phases(rng, frames)
    w, h = scene.width, scene.height
    height = h * rng.uniform(0.12, 0.2)
    distance = w * rng.uniform(0.28, 0.45)
    y = MARGIN + h * rng.uniform(0.55, 0.85)
    x0 = MARGIN + rng.uniform(0.12, 0.5) * w
    x0 = min(x0, MARGIN + w * 0.92 - distance)
    base = np.stack([x0 + distance * move + rng.normal(0, 0.2, frames), y + h * 0.03 * rng.normal() * move], 1)
    actor = object_actor(rng, scene, actors[0], base, height)
    actor.arm = make_arm(rng, scene, y, grip=False)
    contact = base + np.array([-actor.aspect * height * 0.45, -height * 0.35])
    shoulder0 = shoulder_from(rng, scene, contact[0], -1)
    shoulder = shoulder0 + (base - base[0]) * 0.7
    actor.tip, actor.shoulder = hand_track(contact, shoulder, reach)
    return [actor]


def lift(rng: np.random.Generator, scene: Scene, actors: list[tuple[str, str]], frames: int) -> list[Actor]:
    """A hand grasps an object and lifts it off the table; it grows a little as it nears the camera."""
    reach, move = phases(rng, frames)
    w, h = scene.width, scene.height
    height = h * rng.uniform(0.12, 0.18)
    rise = h * rng.uniform(0.22, 0.38)
    y = MARGIN + h * rng.uniform(0.7, 0.9)
    x = MARGIN + w * rng.uniform(0.25, 0.75)
    base = np.stack([np.full(frames, x) + rng.normal(0, 0.3) * move * 6, np.full(frames, y)], 1)
    actor = object_actor(rng, scene, actors[0], base, height)
    actor.lift = rise * move
    actor.size = actor.size * (1 + 0.1 * move)
    side = -1 if rng.random() < 0.5 else 1
    actor.arm = make_arm(rng, scene, y, grip=True)
    lifted = base - np.stack([np.zeros(frames), actor.lift], 1)
    contact = lifted + np.array([side * actor.aspect * height * 0.25, -height * 0.45])
    shoulder = shoulder_from(rng, scene, contact[0], side) - np.stack([np.zeros(frames), actor.lift * 0.5], 1)
    actor.tip, actor.shoulder = hand_track(contact, shoulder, reach)
    return [actor]


def closer(rng: np.random.Generator, scene: Scene, actors: list[tuple[str, str]], frames: int) -> list[Actor]:
    """Two objects end up side by side: one or both are slid towards the other by a hand."""
    w, h = scene.width, scene.height
    heights = h * rng.uniform(0.12, 0.2, 2)
    y = MARGIN + h * rng.uniform(0.6, 0.85) + h * rng.uniform(-0.04, 0.04, 2)
    gap0, gap1 = w * rng.uniform(0.35, 0.55), w * rng.uniform(0.005, 0.04)
    widths = heights * np.array([OBJECTS[k][2] for k, _ in actors])
    centre = MARGIN + w * rng.uniform(0.4, 0.6)
    moving = [[True, True], [True, False], [False, True]][rng.integers(3)]
    share = 0.5 if all(moving) else 1.0
    out = []
    for i, side in enumerate((-1, 1)):
        reach, move = phases(np.random.default_rng(rng.integers(2**32)), frames)
        start = centre + side * (gap0 / 2 + widths[i] / 2) if all(moving) else None
        if not all(moving):  # the still object sits near the centre, the other comes to it
            start = centre + side * (widths[i] / 2 + (gap0 if moving[i] else gap1) / 2)
        end = start - side * (gap0 - gap1) * share if moving[i] else start
        x = start + (end - start) * move
        base = np.stack([x, np.full(frames, y[i])], 1)
        actor = object_actor(rng, scene, actors[i], base, heights[i])
        if moving[i]:
            actor.arm = make_arm(rng, scene, y[i], grip=rng.random() < 0.5)
            contact = base + np.array([side * actor.aspect * heights[i] * 0.45, -heights[i] * 0.4])
            shoulder = shoulder_from(rng, scene, contact[0], side) + (base - base[0]) * 0.7
            actor.tip, actor.shoulder = hand_track(contact, shoulder, reach)
        out.append(actor)
    return out


def object_actor(rng: np.random.Generator, scene: Scene, actor: tuple[str, str], base: np.ndarray, height: float):
    """An acting object sprite, drawn large enough for its biggest frame at supersampled canvas size."""
    kind, colour = actor
    colour_image, alpha = draw_object(rng, kind, colour, height * scene.res * SUPERSAMPLE * 1.15)
    size = np.full(len(base), height) * np.array([scene.scale(y) / scene.scale(base[0, 1]) for y in base[:, 1]])
    return Actor(colour_image, alpha, base, size, np.zeros(len(base)), aspect=alpha.width / alpha.height)


# ---------------------------------------------------------------- static clutter


def clutter(rng: np.random.Generator, scene: Scene, keep_clear: list[tuple[float, float, float, float]], count: int):
    """Place and draw `count` static objects, far ones first, away from where the action happens.

    Returns (sprites, positions): the straight-colour and alpha images and the base-centre of each,
    in view pixels on the canvas.
    """
    w, h = scene.width + 2 * MARGIN, scene.height + 2 * MARGIN
    top = max(scene.wall + 4, 0) + 8
    placed: list[tuple[float, float, float, float]] = []
    items = []
    for _ in range(count * 8):
        if len(items) == count:
            break
        y = rng.uniform(top, h - MARGIN + 10)
        kind = str(rng.choice(list(OBJECTS)))
        height = scene.height * rng.uniform(0.1, 0.24) * scene.scale(y) / scene.scale(h * 0.75)
        ow = height * OBJECTS[kind][2]
        x = rng.uniform(MARGIN - ow * 0.3, w - MARGIN + ow * 0.3)
        box = (x - ow / 2 - 3, y - height - 3, x + ow / 2 + 3, y + 3)
        if any(_overlap(box, b) for b in keep_clear + placed):
            continue
        placed.append(box)
        colour = str(rng.choice(OBJECTS[kind][1]))
        items.append((y, kind, colour, x, height))
    sprites = []
    for y, kind, colour, x, height in sorted(items):
        sprites.append((draw_object(rng, kind, colour, height * scene.res), np.array([x, y]), height))
    return sprites


def _overlap(a: tuple, b: tuple) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def shadow_shape(draw: ImageDraw.ImageDraw, base: np.ndarray, width: float, height: float, scene: Scene, k: float):
    """A contact shadow under an object and a shorter cast shadow away from the light (canvas pixels)."""
    bx, by = base * k
    ow, oh = width * k, height * k
    draw.ellipse((bx - ow * 0.55, by - ow * 0.14, bx + ow * 0.55, by + ow * 0.1), fill=255)
    d = scene.light * oh * 0.55
    d[1] *= 0.5  # the table is tilted away: cast shadows are foreshortened vertically
    draw.polygon([(bx - ow * 0.45, by), (bx + ow * 0.45, by), (bx + ow * 0.35 + d[0], by + d[1]),
                  (bx - ow * 0.35 + d[0], by + d[1])], fill=180)  # fmt: skip


def paste(colour_layer: Image.Image, alpha_layer: Image.Image, sprite: tuple[Image.Image, Image.Image], xy: tuple):
    """Put a sprite on premultiplied layers: colour over what is there, coverage added."""
    xy = (round(xy[0]), round(xy[1]))
    colour_layer.paste(sprite[0], xy, sprite[1])
    alpha_layer.paste(255, xy, sprite[1])


def background(rng: np.random.Generator, scene: Scene, keep_clear: list, count: int) -> np.ndarray:
    """The table with its static clutter and their shadows, as float RGB canvas pixels."""
    floor = table(rng, scene)
    k = scene.res
    items = clutter(rng, scene, keep_clear, count)
    shadows = Image.new("L", scene.canvas, 0)
    sd = ImageDraw.Draw(shadows)
    for (colour, alpha), base, height in items:
        shadow_shape(sd, base, alpha.width / alpha.height * height, height, scene, k)
    shadows = shadows.filter(ImageFilter.GaussianBlur(2.5 * k))
    floor = floor * (1 - scene.shadow * np.asarray(shadows, np.float32)[..., None] / 255)
    colour_layer = Image.new("RGB", scene.canvas, 0)
    alpha_layer = Image.new("L", scene.canvas, 0)
    for sprite, base, _ in items:
        paste(colour_layer, alpha_layer, sprite, (base[0] * k - sprite[1].width / 2, base[1] * k - sprite[1].height))
    return composite(floor, np.asarray(colour_layer, np.float32), np.asarray(alpha_layer, np.float32) / 255)


def composite(under: np.ndarray, colour: np.ndarray, alpha: np.ndarray) -> np.ndarray:
    """Premultiplied 'over'."""
    return under * (1 - alpha[..., None]) + colour


# ---------------------------------------------------------------- frames


def motion_blur(colour: np.ndarray, alpha: np.ndarray, velocity: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Smear a premultiplied layer along its motion over half a frame's time (the shutter)."""
    steps = min(8, int(np.abs(velocity).max() / 2) + 1)
    if steps < 2:
        return colour, alpha
    out_c, out_a = np.zeros_like(colour), np.zeros_like(alpha)
    for i in range(steps):
        dx, dy = (-velocity * 0.5 * i / (steps - 1)).round().astype(int)
        out_c += shift(colour, dx, dy)
        out_a += shift(alpha, dx, dy)
    return out_c / steps, out_a / steps


def shift(a: np.ndarray, dx: int, dy: int) -> np.ndarray:
    """Translate an image by whole pixels, filling with zeros (np.roll would wrap the arm around)."""
    out = np.zeros_like(a)
    h, w = a.shape[:2]
    out[max(0, dy) : h + min(0, dy), max(0, dx) : w + min(0, dx)] = a[
        max(0, -dy) : h - max(0, dy), max(0, -dx) : w - max(0, dx)
    ]
    return out


def actor_layer(actors: list[Actor], i: int, scene: Scene) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Frame i's shadows (0..1), and premultiplied colour and alpha of the objects and arms, on the canvas."""
    k, s = scene.res, SUPERSAMPLE
    big = (scene.canvas[0] * s, scene.canvas[1] * s)
    colour, alpha = Image.new("RGB", big, 0), Image.new("L", big, 0)
    shadows = Image.new("L", scene.canvas, 0)
    sd, cd, ad = ImageDraw.Draw(shadows), ImageDraw.Draw(colour), ImageDraw.Draw(alpha)
    for a in actors:
        height = a.size[i]
        # A lifted object's shadow spreads and fades; the contact shadow is gone.
        fade = 1 / (1 + a.lift[i] / (0.5 * height))
        shadow_shape(
            sd, a.base[i] + scene.light * a.lift[i] * 0.3, a.aspect * height / fade**0.3, height * fade, scene, k
        )
        if a.arm is not None:
            a.arm.shadow(sd, a.shoulder[i] * k, a.tip[i] * k, k, scene.light * height * k * 0.9)
    for a in actors:
        h = a.size[i] * k * s
        sprite = (a.colour.resize((max(1, round(h * a.aspect)), max(1, round(h))), Image.LANCZOS),)
        sprite += (a.alpha.resize(sprite[0].size, Image.LANCZOS),)
        x, y = a.base[i][0] * k * s - sprite[0].width / 2, (a.base[i][1] - a.lift[i]) * k * s - sprite[0].height
        paste(colour, alpha, sprite, (x, y))
    for a in actors:
        if a.arm is not None:
            for draw, fill in ((cd, None), (ad, 255)):
                target = draw if fill is None else _Solid(draw, fill)
                a.arm.draw(target, a.shoulder[i] * k * s, a.tip[i] * k * s, k * s, scene.light)
    colour, alpha = colour.reduce(s), alpha.reduce(s)
    shadow_map = np.asarray(shadows.filter(ImageFilter.GaussianBlur(3 * k)), np.float32) / 255
    return shadow_map, np.asarray(colour, np.float32), np.asarray(alpha, np.float32) / 255


class _Solid:
    """An ImageDraw stand-in that paints every shape in one fill: the arm's coverage for the alpha layer."""

    def __init__(self, draw: ImageDraw.ImageDraw, fill: int):
        self.draw, self.value = draw, fill

    def line(self, xy, fill=None, width=1):
        self.draw.line(xy, fill=self.value, width=width)

    def ellipse(self, xy, fill=None):
        self.draw.ellipse(xy, fill=self.value)

    def polygon(self, xy, fill=None):
        self.draw.polygon(xy, fill=self.value)


@dataclass
class Camera:
    """Per-frame view of the canvas: centre (view pixels on the canvas), zoom and roll (radians)."""

    centre: np.ndarray  # (T, 2)
    zoom: np.ndarray  # (T,)
    roll: np.ndarray  # (T,)

    def affine(self, i: int, scene: Scene, zoom_power: float = 1.0, pivot: np.ndarray | None = None) -> tuple:
        """PIL's AFFINE coefficients mapping a view pixel to the canvas pixel it sees.

        With zoom_power > 1 the zoom is stronger about the view's pivot: near things grow faster.
        """
        z = self.zoom[i] ** zoom_power
        c, s = math.cos(self.roll[i]), math.sin(self.roll[i])
        k = scene.res
        a, b, d, e = k * c / z, -k * s / z, k * s / z, k * c / z
        centre = self.centre[i]
        if pivot is not None:  # a near layer: seen from the same point, magnified more about it
            centre = pivot + (self.centre[i] - pivot) * self.zoom[i] ** (zoom_power - 1)
        w, h = scene.width / 2, scene.height / 2
        return (a, b, centre[0] * k - a * w - b * h, d, e, centre[1] * k - d * w - e * h)


def handheld(rng: np.random.Generator, scene: Scene, frames: int) -> Camera:
    """A phone held in the hand: slow drift, a little shake and roll; sometimes almost still."""
    t = np.arange(frames) / FPS
    amp = rng.uniform(0.2, 0.6) if rng.random() < 0.2 else rng.uniform(1.5, 5)
    centre = np.array([scene.width / 2 + MARGIN, scene.height / 2 + MARGIN])
    drift = np.stack([wander(rng, t, (0.1, 0.5)), wander(rng, t, (0.1, 0.5))], 1) * amp
    shake = np.stack([wander(rng, t, (2, 5)), wander(rng, t, (2, 5))], 1) * amp * 0.25
    roll = np.radians(wander(rng, t, (0.1, 0.8)) * amp * 0.15)
    zoom = 1 + 0.01 * amp * (1 + wander(rng, t, (0.05, 0.3)) * 0.5)
    return Camera(centre + drift + shake, zoom, roll)


def approach(rng: np.random.Generator, scene: Scene, actors: list[tuple[str, str]], frames: int):
    """The camera moves in on an object: zoom with a turn of roll, walking bob and near-clutter parallax."""
    _, move = phases(rng, frames)
    w, h = scene.width, scene.height
    height = h * rng.uniform(0.12, 0.2)
    target = np.array([MARGIN + w * rng.uniform(0.3, 0.7), MARGIN + h * rng.uniform(0.45, 0.75)])
    actor = object_actor(rng, scene, actors[0], np.tile(target, (frames, 1)), height)
    camera = handheld(rng, scene, frames)
    zoom_to = rng.uniform(1.5, CAMERA_RES)
    camera.zoom = camera.zoom * (1 + (zoom_to - 1) * move)
    aim = target - np.array([0, height / 2])
    camera.centre = camera.centre + (aim - camera.centre[0]) * move[:, None] * rng.uniform(0.7, 0.95)
    camera.roll = camera.roll + np.radians(rng.uniform(2, 7) * rng.choice([-1, 1])) * move
    bob = np.sin(2 * np.pi * rng.uniform(1.2, 2) * np.arange(frames) / FPS) * move * (1 - move) * 6
    camera.centre[:, 1] += bob
    return [actor], camera


def near_layer(rng: np.random.Generator, scene: Scene) -> tuple[np.ndarray, np.ndarray]:
    """One or two big objects at the bottom of the view, closer to the camera than the table (premultiplied)."""
    colour, alpha = Image.new("RGB", scene.canvas, 0), Image.new("L", scene.canvas, 0)
    k = scene.res
    for side in rng.permutation([-1, 1])[: rng.integers(1, 3)]:
        kind = str(rng.choice(list(OBJECTS)))
        height = scene.height * rng.uniform(0.3, 0.45)
        sprite = draw_object(rng, kind, str(rng.choice(OBJECTS[kind][1])), height * k)
        x = MARGIN + scene.width / 2 + side * scene.width * rng.uniform(0.35, 0.5)
        y = MARGIN + scene.height + height * rng.uniform(0.2, 0.5)
        paste(colour, alpha, sprite, (x * k - sprite[0].width / 2, y * k - sprite[0].height))
    return np.asarray(colour, np.float32), np.asarray(alpha, np.float32) / 255


def finish(rng: np.random.Generator, frames: list[np.ndarray], scene: Scene) -> np.ndarray:
    """The phone's camera: vignetting, auto-exposure and white-balance drift, sensor noise."""
    h, w = scene.height, scene.width
    y, x = np.mgrid[0:h, 0:w].astype(np.float32)
    r2 = ((x - w / 2) ** 2 + (y - h / 2) ** 2) / ((w / 2) ** 2 + (h / 2) ** 2)
    vignette = (1 - rng.uniform(0.15, 0.45) * r2**1.5)[..., None]
    t = np.arange(len(frames)) / FPS
    gain = 1 + rng.uniform(0.02, 0.09) * wander(rng, t, (0.1, 0.5)) + rng.normal(0, 0.05)
    balance = 1 + rng.uniform(0.01, 0.03) * np.stack([wander(rng, t, (0.05, 0.3)) for _ in range(3)], 1)
    sigma = rng.uniform(1.0, 3.0)
    # Fresh noise for every frame costs more than the rest of the frame: crop a few fields instead.
    pad = 24
    bank = rng.standard_normal((3, h + pad, w + pad, 1), np.float32) * sigma
    bank = bank + rng.standard_normal((3, h + pad, w + pad, 3), np.float32) * sigma * 0.4
    out = np.empty((len(frames), h, w, 3), np.uint8)
    for i, frame in enumerate(frames):
        dy, dx = rng.integers(pad, size=2)
        f = frame * (vignette * (gain[i] * balance[i])) + bank[i % 3, dy : dy + h, dx : dx + w]
        out[i] = np.clip(f, 0, 255).astype(np.uint8)
    return out


def make_scene(rng: np.random.Generator, job: Job) -> Scene:
    """A random table, tilt, wall and light for one video."""
    res = CAMERA_RES if job.action == "approach" else 1.0
    wall = MARGIN + HEIGHT * rng.uniform(0.05, 0.3) if rng.random() < 0.4 else -1.0
    # Shadows mostly fall towards the camera or sideways, as under a ceiling lamp or a window.
    angle = rng.uniform(0.15 * np.pi, 0.85 * np.pi) * rng.choice([1, 1, 1, -1])
    light = np.array([math.cos(angle), math.sin(angle)])
    return Scene(job.width, HEIGHT, res, rng.uniform(0.55, 0.8), wall, light, rng.uniform(0.3, 0.5))


def table_frame(floor: np.ndarray, actors: list[Actor], i: int, scene: Scene) -> Image.Image:
    """The canvas at frame i: table, shadows, then the objects and arms, blurred along their motion."""
    shadow, colour, alpha = actor_layer(actors, i, scene)
    moving = [a for a in actors if a.arm is not None]
    if len(moving) == 1:  # two objects moving apart or together would need two blurs
        a, j = moving[0], max(0, i - 1)
        velocity = a.base[i] - a.base[j] - np.array([0, a.lift[i] - a.lift[j]])
        colour, alpha = motion_blur(colour, alpha, velocity * scene.res)
    canvas = composite(floor * (1 - scene.shadow * shadow[..., None]), colour, alpha)
    return Image.fromarray(np.clip(canvas, 0, 255).astype(np.uint8))


def render(job: Job) -> np.ndarray:
    """The forward clip of a job's action (before any reversal), uint8 (T, H, W, 3)."""
    rng = np.random.default_rng(job.seed)
    scene = make_scene(rng, job)
    if job.action == "approach":
        actors, camera = approach(rng, scene, job.actors, job.frames)
    else:
        actors = {"push": push, "lift": lift, "closer": closer}[job.action](rng, scene, job.actors, job.frames)
        camera = handheld(rng, scene, job.frames)
    floor = background(rng, scene, [path_box(a) for a in actors], int(rng.integers(3, 9)))
    size = (scene.width, scene.height)
    near = None
    if job.action == "approach":
        still = table_frame(floor, actors, 0, scene)  # nothing moves on the table: draw it once
        colour, alpha = near_layer(rng, scene)
        near = (
            Image.fromarray(np.clip(colour, 0, 255).astype(np.uint8)),
            Image.fromarray((alpha * 255).astype(np.uint8)),
        )
    frames = []
    for i in range(job.frames):
        canvas = still if near is not None else table_frame(floor, actors, i, scene)
        view = np.asarray(canvas.transform(size, Image.AFFINE, camera.affine(i, scene), Image.BILINEAR), np.float32)
        if near is not None:
            pivot = np.array([MARGIN + scene.width / 2, MARGIN + scene.height])
            coeffs = camera.affine(i, scene, 1.6, pivot)
            colour, alpha = (
                np.asarray(im.transform(size, Image.AFFINE, coeffs, Image.BILINEAR), np.float32) for im in near
            )
            view = composite(view, colour, alpha / 255)
        frames.append(view)
    return finish(rng, frames, scene)


def path_box(actor: Actor) -> tuple[float, float, float, float]:
    """The region an acting object sweeps through, padded: clutter stays out of it."""
    half = actor.aspect * actor.size.max() / 2 + 8
    top = (actor.base[:, 1] - actor.lift - actor.size).min() - 8
    return (actor.base[:, 0].min() - half, top, actor.base[:, 0].max() + half, actor.base[:, 1].max() + 10)


# ---------------------------------------------------------------- the dataset


def draw_job(job: Job) -> str:
    """Draw one video and write it; a reversed class plays the forward draw backwards."""
    frames = render(job)
    write_video(job.path, frames[::-1] if job.reverse else frames)
    return job.path.name


def video_ids(rng: np.random.Generator, count: int) -> list[str]:
    """Unique ids like SSv2's (1 to 220847): mostly five or six digits, now and then fewer."""
    digits = rng.choice(np.arange(1, 7), size=count * 2, p=[0.02, 0.03, 0.07, 0.13, 0.35, 0.4])
    ids: set[int] = set()
    for d in digits:
        ids.add(int(rng.integers(10 ** (d - 1), min(10**d, 220_848))))
        if len(ids) == count:
            break
    while len(ids) < count:  # digit draws that collided too often
        ids.add(int(rng.integers(1, 220_848)))
    out = [str(i) for i in ids]
    rng.shuffle(out)
    return out


def placeholder(rng: np.random.Generator, kind: str, colour: str) -> str:
    """What a crowd worker might type for an object: 'mug', 'red mug', 'a coffee mug'."""
    name = str(rng.choice(OBJECTS[kind][0]))
    if rng.random() < 0.5:
        name = f"{colour} {name}"
    if rng.random() < 0.15:
        name = f"a {name}"
    return name


def annotation(video_id: str, template: str, names: list[str]) -> dict:
    """A train/validation entry: the label is the template filled in, first letter lowered."""
    label = template
    for name in names:
        label = label.replace("[something]", name, 1)
    return {"id": video_id, "label": label[0].lower() + label[1:], "template": template, "placeholders": names}


def plan(rng: np.random.Generator, videos: Path, counts: dict[str, int]) -> tuple[list[Job], dict[str, list[dict]]]:
    """Every video's job and the annotation entries of each split, in a shuffled order."""
    total = len(CLASSES) * sum(counts.values())
    ids = iter(video_ids(rng, total))
    jobs: list[Job] = []
    entries: dict[str, list[dict]] = {split: [] for split in counts}
    for name, (action, reverse) in CLASSES.items():
        for split, count in counts.items():
            for _ in range(count):
                kinds = rng.choice(ACTING_KINDS, ACTORS[action], replace=False)
                actors = [(str(k), str(rng.choice(OBJECTS[str(k)][1]))) for k in kinds]
                video_id = next(ids)
                width = 2 * int(rng.integers(WIDTHS[0] // 2, WIDTHS[1] // 2 + 1))
                frames = round(rng.uniform(*SECONDS) * FPS)
                jobs.append(
                    Job(videos / f"{video_id}.webm", action, reverse, int(rng.integers(2**63)), width, frames, actors)
                )
                names = [placeholder(rng, k, c) for k, c in actors]
                entries[split].append(
                    annotation(video_id, TEMPLATES[name], names) if split != "test" else {"id": video_id}
                )
    for split in entries:
        rng.shuffle(entries[split])
    return jobs, entries


def read_classes(labels_file: Path) -> list[str]:
    """The 174 class names in index order, one a line; the eight drawn here must be among them."""
    names = [line.strip() for line in labels_file.read_text(encoding="utf-8").splitlines() if line.strip()]
    missing = [name for name in CLASSES if name not in names]
    if missing:
        raise ValueError(f"{labels_file}: the classes {missing} are not listed")
    return names


def make_tabletop(
    root: Path,
    seed: int,
    labels_file: Path,
    train_per_class: int = 24,
    validation_per_class: int = 8,
    test_per_class: int = 2,
    workers: int = 2,
) -> None:
    """Draw the tabletop dataset into `root` in the official SSv2 layout (see the module docstring)."""
    root = Path(root)
    classes = read_classes(Path(labels_file))
    rng = np.random.default_rng(seed)
    counts = {"train": train_per_class, "validation": validation_per_class, "test": test_per_class}
    jobs, entries = plan(rng, root / "20bn-something-something-v2", counts)
    labels = root / "labels"
    labels.mkdir(parents=True, exist_ok=True)
    (root / "20bn-something-something-v2").mkdir(parents=True, exist_ok=True)
    (labels / "something-something-v2-labels.json").write_text(
        json.dumps({name: str(i) for i, name in enumerate(classes)}, indent=1) + "\n", encoding="utf-8"
    )
    for split, items in entries.items():
        (labels / f"something-something-v2-{split}.json").write_text(
            json.dumps(items, indent=1, ensure_ascii=False) + "\n", encoding="utf-8"
        )
    progress = tqdm(total=len(jobs), desc="tabletop", unit="video")
    if workers <= 1:
        for job in jobs:
            draw_job(job)
            progress.update()
    else:
        with ProcessPoolExecutor(workers, mp_context=process_context()) as pool:
            for _ in pool.map(draw_job, jobs):
                progress.update()
    progress.close()


def main() -> None:
    parser = argparse.ArgumentParser(
        description="Draw 'tabletop', a synthetic SSv2-style dataset of 8 classes (4 time-reversal pairs) "
        "that looks like hand-held phone footage of hands moving things on a table.",
    )
    parser.add_argument("root", type=Path, help="folder to write labels/ and 20bn-something-something-v2/ into")
    parser.add_argument("--seed", type=int, default=0, help="the same seed draws the same dataset (default 0)")
    parser.add_argument(
        "--labels-file",
        type=Path,
        default=Path(__file__).parent.parent / "ssv2" / "ssv2-labels.txt",
        help="the 174 SSv2 class names in index order, one a line (default: the package's copy)",
    )
    parser.add_argument("--train-per-class", type=int, default=24, help="training videos per class (default 24)")
    parser.add_argument("--validation-per-class", type=int, default=8, help="validation videos per class (default 8)")
    parser.add_argument("--test-per-class", type=int, default=2, help="test videos per class, ids only (default 2)")
    parser.add_argument("--workers", type=int, default=2, help="processes drawing videos (default 2)")
    args = parser.parse_args()
    make_tabletop(
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
