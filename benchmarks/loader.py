"""Benchmark the clip store against decoding the webm files with PyAV, in one run.

Prints: clips/s from the store vs clips/s decoding each sample's webm at the same output
shape, and their ratio; store bytes per video vs the source webm; materialisation videos/s
vs bare PyAV decoding of the same files. Every figure is the median of --repeats runs.

    python benchmarks/loader.py [--per-class 8] [--repeats 3]
"""

from __future__ import annotations

import argparse
import dataclasses
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
import torch
from torch.utils.data import DataLoader, Dataset

from ssv2 import config
from ssv2.annotations import parse_split, read_labels
from ssv2.data import ClipDataset, segment_indices
from ssv2.sample import make_sample
from ssv2.store import ClipStore, materialise
from ssv2.video import decode_video, process_context

FRAMES, CROP, SHORT_SIDE = 8, 56, 64


class DecodeDataset(Dataset):
    """The baseline: every sample decodes its webm with PyAV, then samples and crops as the store loader does."""

    def __init__(self, videos: list[str], labels: list[int]):
        self.videos, self.labels = videos, labels

    def __len__(self) -> int:
        return len(self.videos)

    def __getitem__(self, i: int):
        rng = np.random.default_rng(i)
        video = decode_video(self.videos[i], SHORT_SIDE)
        clip = video[segment_indices(len(video), FRAMES, rng)]
        top, left = rng.integers(0, clip.shape[1] - CROP + 1), rng.integers(0, clip.shape[2] - CROP + 1)
        clip = np.ascontiguousarray(clip[:, top : top + CROP, left : left + CROP])
        return torch.from_numpy(clip).permute(3, 0, 1, 2), self.labels[i]


def clips_per_second(dataset: Dataset, workers: int, min_seconds: float = 3.0) -> float:
    """Clips/s through a DataLoader, after a first pass that starts its workers (not timed)."""
    loader = DataLoader(
        dataset,
        batch_size=8,
        shuffle=True,
        num_workers=workers,
        persistent_workers=workers > 0,
        generator=torch.Generator().manual_seed(0),
    )
    for _ in loader:
        pass
    start, count = time.perf_counter(), 0
    while time.perf_counter() - start < min_seconds:
        for clips, _ in loader:
            count += len(clips)
    return count / (time.perf_counter() - start)


def _bare_decode(path: str) -> int:
    torch.set_num_threads(1)
    return len(decode_video(path))


def bare_decode_rate(videos: list[str], workers: int) -> float:
    start = time.perf_counter()
    with process_context().Pool(workers) as pool:  # started as materialise starts its workers
        list(pool.imap(_bare_decode, videos, chunksize=2))
    return len(videos) / (time.perf_counter() - start)


def median(values: list[float]) -> float:
    return statistics.median(values)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--per-class", type=int, default=8, help="sample videos per class (13 classes)")
    parser.add_argument("--repeats", type=int, default=3, help="runs per figure; medians are printed")
    parser.add_argument("--workers", type=int, default=2, help="DataLoader workers and decoding processes")
    args = parser.parse_args()
    torch.set_num_threads(1)

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "sample"
        sample = config.load(config.SampleConfig, "sample")
        make_sample(
            root,
            dataclasses.replace(
                sample, train_per_class=args.per_class, validation_per_class=0, test_per_class=0, broken=0
            ),
        )
        names = read_labels(root / "labels/something-something-v2-labels.json")
        table = parse_split(
            root / "labels/something-something-v2-train.json", names, root / "20bn-something-something-v2"
        )
        videos = table["video"].tolist()
        print(
            f"{len(videos)} sample videos, {args.workers} workers, clips of {FRAMES}x{CROP}x{CROP}, "
            f"short side {SHORT_SIDE}, medians of {args.repeats} runs"
        )

        build, bare, stores = {}, [], {}
        for codec in ("raw", "jpeg"):
            build[codec] = []
            for r in range(args.repeats):
                out = Path(tmp) / f"store-{codec}"
                start = time.perf_counter()
                materialise(
                    {"train": table},
                    out,
                    codec=codec,
                    short_side=SHORT_SIDE,
                    max_frames=96,
                    min_frames=8,
                    workers=args.workers,
                )
                build[codec].append(len(videos) / (time.perf_counter() - start))
                stores[codec] = out
        for _ in range(args.repeats):
            bare.append(bare_decode_rate(videos, args.workers))

        source = sum(Path(v).stat().st_size for v in videos) / len(videos)
        decode_rate = median(
            [
                clips_per_second(DecodeDataset(videos, table["label"].tolist()), args.workers)
                for _ in range(args.repeats)
            ]
        )
        print(f"\nPyAV decode per sample: {decode_rate:8.1f} clips/s (baseline)")
        for codec, out in stores.items():
            store = ClipStore(out / "train")
            rate = median(
                [
                    clips_per_second(ClipDataset(store, FRAMES, CROP, train=True), args.workers)
                    for _ in range(args.repeats)
                ]
            )
            size = (out / "train" / "frames.bin").stat().st_size / len(store)
            print(
                f"store ({codec:4}):          {rate:8.1f} clips/s = {rate / decode_rate:6.1f}x the baseline; "
                f"{size / 1e3:7.1f} kB/video = {size / source:5.2f}x the webm ({source / 1e3:.1f} kB)"
            )
        bare_rate = median(bare)
        print(f"\nbare PyAV decode:       {bare_rate:8.1f} videos/s (baseline)")
        for codec, rates in build.items():
            rate = median(rates)
            print(f"materialise ({codec:4}):   {rate:8.1f} videos/s = {rate / bare_rate:5.2f}x bare decode")


if __name__ == "__main__":
    main()
