"""The clip store at SSv2's scale: bytes, materialisation speed and loader speed per codec, extrapolated.

Measured on the calibration videos of benchmarks/calibration.py (SSv2's format and average
bytes) and on real footage transcoded to that format, at SSv2's training shape: clips of
16 x 112 x 112 from a store at short side 128. Every speed is per core (one process, one
thread, timed in CPU seconds of the process, so work sharing the machine does not count) and
every ratio compares two figures measured in the same run, interleaved round by round.
Figures are medians over --rounds rounds; PSNR is each JPEG store's against the raw store. Then: what the full SSv2 (220,847 videos, about 19 GB) would need.

    python benchmarks/store.py [--synthetic 16] [--rounds 3]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from calibration import GRAIN, SSV2_BYTES, SSV2_MEAN_BYTES, SSV2_VIDEOS, calibrated_videos, real_videos
from torchcodec.decoders import VideoDecoder
from torchcodec.transforms import Resize

from ssv2.data import ClipDataset, decode_batch, resize_view, segment_indices
from ssv2.store import ClipStore, materialise
from ssv2.video import decode_video, resized_shape

FRAMES, CROP, SHORT_SIDE = 16, 112, 128
CODECS = {"raw": ("raw", 90), "jpeg q90": ("jpeg", 90), "jpeg q75": ("jpeg", 75), "jpeg q60": ("jpeg", 60)}
SETS = ("calibrated", "real")
LOADER_TARGET = 1000  # clips/s, about what one modern GPU trains R3D-18 at on 16 x 112 x 112


def _view(frames: np.ndarray | torch.Tensor) -> torch.Tensor:
    """The training clip the loader makes of its frames at this benchmark's settings (ClipDataset's
    defaults: the whole frame squeezed into CROP x CROP, antialiased), so every method does the same work
    after decoding."""
    return resize_view(frames, (0, 0, frames.shape[1], frames.shape[2]), CROP)


def pyav_clip(path: str, i: int) -> torch.Tensor:
    """The per-sample baseline, as PyTorchVideo does it: decode the video, take 16 frames, make the clip."""
    rng = np.random.default_rng(i)
    video = decode_video(path, SHORT_SIDE)
    return _view(video[segment_indices(len(video), FRAMES, rng)])


def torchcodec_clip(path: str, i: int) -> torch.Tensor:
    """The per-sample baseline with torchcodec: decode only up to the frames the clip needs, resized."""
    rng = np.random.default_rng(i)
    probe = VideoDecoder(path, seek_mode="approximate")
    size = resized_shape(probe.metadata.height, probe.metadata.width, SHORT_SIDE)
    decoder = VideoDecoder(path, dimension_order="NHWC", transforms=[Resize(size)])
    return _view(decoder.get_frames_at(segment_indices(len(decoder), FRAMES, rng).tolist()).data)


def torchvision_clip(store: ClipStore, i: int) -> torch.Tensor:
    """The store's JPEG frames decoded by torchvision (decode_batch, the GPU path, run on the CPU)."""
    rng = np.random.default_rng(i)
    frames = decode_batch(store.encoded(i, segment_indices(int(store.counts[i]), FRAMES, rng)), "cpu")
    return _view(torch.stack(frames).permute(0, 2, 3, 1))


def rate(items: int, work) -> float:
    """Items per CPU second of `work()`, run in this process on one thread: a per-core rate."""
    start = time.process_time()
    work()
    return items / (time.process_time() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--synthetic", type=int, default=16, help="calibrated videos to generate")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds; medians are printed")
    parser.add_argument(
        "--seed", type=int, default=1, help="of the calibrated videos (the grain was bisected on seed 0)"
    )
    args = parser.parse_args()
    torch.set_num_threads(1)

    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        sets = {
            "calibrated": calibrated_videos(tmp / "calibrated", args.synthetic, seed=args.seed, grain=GRAIN),
            "real": real_videos(tmp / "real"),
        }
        tables = {
            name: pd.DataFrame({"id": [p.stem for p in paths], "label": 0, "video": [str(p) for p in paths]})
            for name, paths in sets.items()
        }
        every = [str(p) for paths in sets.values() for p in paths]
        source = {name: np.mean([p.stat().st_size for p in paths]) for name, paths in sets.items()}
        print(
            f"videos: {len(sets['calibrated'])} calibrated, {source['calibrated'] / 1e3:.1f} kB each on average; "
            f"{len(sets['real'])} of real footage, {source['real'] / 1e3:.1f} kB; "
            f"real SSv2: {SSV2_MEAN_BYTES / 1e3:.1f} kB"
        )
        print(
            f"clips of {FRAMES}x{CROP}x{CROP} from short side {SHORT_SIDE}; per core; medians of {args.rounds} "
            f"interleaved rounds\n"
        )

        build = {codec: [] for codec in CODECS} | {"bare decode": []}
        summaries = {}
        loader = {name: {} for name in SETS}
        for r in range(args.rounds):
            build["bare decode"].append(rate(len(every), lambda: [decode_video(p) for p in every]))
            for codec, (kind, quality) in CODECS.items():
                out = tmp / f"store-{codec.replace(' ', '-')}"
                build[codec].append(
                    rate(
                        len(every),
                        lambda: summaries.__setitem__(
                            codec,
                            materialise(
                                tables,
                                out,
                                codec=kind,
                                short_side=SHORT_SIDE,
                                max_frames=96,
                                min_frames=8,
                                quality=quality,
                                workers=1,
                            ),
                        ),
                    )
                )
            for name, paths in sets.items():
                methods = {
                    "PyAV per sample": lambda: [pyav_clip(str(p), i) for i, p in enumerate(paths)],
                    "torchcodec per sample": lambda: [torchcodec_clip(str(p), i) for i, p in enumerate(paths)],
                }
                for codec in CODECS:
                    data = ClipDataset(
                        ClipStore(tmp / f"store-{codec.replace(' ', '-')}" / name), FRAMES, CROP, train=True
                    )
                    passes = 10  # the store is fast: several passes for a measurable time
                    methods[f"store, {codec}"] = lambda d=data: [d[i] for _ in range(passes) for i in range(len(d))]
                    if codec.startswith("jpeg"):
                        store = data.store
                        methods[f"store, {codec}, torchvision decode"] = lambda s=store: [
                            torchvision_clip(s, i) for _ in range(passes) for i in range(len(s))
                        ]
                for method, work in methods.items():
                    count = len(paths) * (passes if method.startswith("store") else 1)
                    loader[name].setdefault(method, []).append(rate(count, work))

        psnr = {
            codec: {
                name: store_psnr(tmp / "store-raw" / name, tmp / f"store-{codec.replace(' ', '-')}" / name)
                for name in SETS
            }
            for codec in CODECS
            if codec != "raw"
        }
        report(source, summaries, build, loader, psnr)


def store_psnr(raw: Path, other: Path) -> float:
    """PSNR (dB) of every frame of a lossy store against the raw store of the same videos."""
    a, b = ClipStore(raw), ClipStore(other)
    errors = [np.mean((a.video(i).astype(np.float32) - b.video(i).astype(np.float32)) ** 2) for i in range(len(a))]
    return float(10 * np.log10(255**2 / np.mean(errors)))


def report(source, summaries, build, loader, psnr) -> None:
    median = statistics.median
    print(
        "| codec | bytes/video, calibrated | vs source | bytes/video, real | vs source | PSNR cal./real | "
        "materialise videos/s/core | vs bare decode |"
    )
    print("|---|---|---|---|---|---|---|---|")
    bare = median(build["bare decode"])
    ratios = {}
    for codec in CODECS:
        cells = []
        for name in SETS:
            s = summaries[codec]["splits"][name]
            ratios[(codec, name)] = s["bytes"] / s["source_bytes"]
            cells += [f"{s['bytes'] / s['videos'] / 1e3:,.0f} kB", f"{ratios[(codec, name)]:.2f}x"]
        build_rate = median(build[codec])
        quality = " / ".join(f"{psnr[codec][name]:.1f} dB" for name in SETS) if codec in psnr else "lossless"
        print(f"| {codec} | {' | '.join(cells)} | {quality} | {build_rate:.2f} | {build_rate / bare:.2f}x |")
    print(
        f"| source webm | {source['calibrated'] / 1e3:.0f} kB | 1x | {source['real'] / 1e3:.0f} kB | 1x | - | "
        f"{bare:.2f} (bare decode) | 1x |"
    )

    print("\n| loader, clips/s per core | calibrated | vs PyAV | real | vs PyAV |")
    print("|---|---|---|---|---|")
    base = {name: median(loader[name]["PyAV per sample"]) for name in SETS}
    for method in loader["calibrated"]:
        cells = [
            f"{median(loader[name][method]):,.1f} | {median(loader[name][method]) / base[name]:.1f}x" for name in SETS
        ]
        print(f"| {method} | {' | '.join(cells)} |")

    print(
        f"\nFull SSv2 ({SSV2_VIDEOS:,} videos, {SSV2_BYTES / 1e9:.0f} GB of webm), from the calibrated figures "
        "(store size: the byte ratio times 19 GB; hours: videos over per-core rate times cores, assuming "
        "linear scaling; cores: 1,000 clips/s over the per-core rate):"
    )
    print("| codec | store size | materialise, 16 cores | 64 cores | loader cores for 1,000 clips/s |")
    print("|---|---|---|---|---|")
    for codec in CODECS:
        per_core = median(build[codec])
        clips = median(loader["calibrated"][f"store, {codec}"])
        print(
            f"| {codec} | {ratios[(codec, 'calibrated')] * SSV2_BYTES / 1e9:,.0f} GB "
            f"(real footage's ratio: {ratios[(codec, 'real')] * SSV2_BYTES / 1e9:,.0f} GB) | "
            f"{SSV2_VIDEOS / per_core / 16 / 3600:.1f} h | {SSV2_VIDEOS / per_core / 64 / 3600:.1f} h | "
            f"{LOADER_TARGET / clips:.1f} |"
        )
    for method in ("PyAV per sample", "torchcodec per sample"):
        print(f"| ({method}) | - | - | - | {LOADER_TARGET / median(loader['calibrated'][method]):.0f} |")


if __name__ == "__main__":
    main()
