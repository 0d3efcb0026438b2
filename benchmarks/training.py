"""How close a training step comes to the machine's limit, for R3D-18/34/50, in one run.

For each depth and clip shape, with the project's own training loop (ssv2.engine.train_one_epoch,
so bf16 autocast where native, channels-last-3d, fused optimiser, normalisation on the device):

- model only: clips/s training on synthetic uint8 clips already on the device;
- end to end: clips/s training from a clip store through the DataLoader the train stage builds
  (train.workers from params.yaml, pinned memory on CUDA), and its ratio to the model-only rate;
  with --decode-on device (a jpeg store), the loader workers only read each clip's JPEG bytes and the
  batch is decoded on the device (train.decode_on: device, nvJPEG on CUDA);
- the FLOPs of one training step per clip (forward and backward, counted by PyTorch's
  FlopCounterMode), the achieved FLOP/s, and its share of a matrix-multiply peak measured in
  the same run (square matmuls in the training precision);
- peak memory: allocated GPU memory on CUDA; on a CPU the peak resident set size of the process
  while the model-only steps run.

Every rate is the median of --repeats timed passes of --steps batches, after one untimed pass; the
end-to-end passes go on drawing from one loader, so its workers start (and fill their queue) only once.
Without --store it builds a synthetic sample store (short side 128) in a temporary folder.

    python benchmarks/training.py                                     # 18/34/50 at 8x112x112 and 16x112x112
    python benchmarks/training.py --shapes 8x56 --batch 4 --steps 3   # a few minutes on 2 CPU cores
    python benchmarks/training.py --depths 18 --width 16 --shapes 8x80 --batch 8 --precisions float32 bf16
                                            # params.yaml's model on a CPU, float32 against bf16 autocast
    python benchmarks/training.py --depths 18 --width 16 --shapes 8x80 --batch 8 --compile false true
                                            # eager against torch.compile (train.compile); compiling is not timed
    python benchmarks/training.py --depths 18 --width 16 --shapes 8x80 8x112 8x128 --batch 8 --stem-pool false true
                                            # model.stem_pool: larger clips at the cost of smaller ones
    python benchmarks/training.py --codec jpeg --decode-on loader device --workers 4
                                            # a jpeg store decoded by the loader workers or on the GPU (train.decode_on)
"""

from __future__ import annotations

import argparse
import itertools
import json
import statistics
import tempfile
import threading
import time
from pathlib import Path

import psutil
import torch
from torch import nn
from torch.utils.data import DataLoader, RandomSampler
from torch.utils.flop_counter import FlopCounterMode

from ssv2 import config
from ssv2.annotations import parse_dataset
from ssv2.data import ClipDataset, DecodeOnDevice, collate_encoded
from ssv2.engine import (
    bf16_native,
    build_optimizer,
    build_scheduler,
    clips_to_device,
    configure_backends,
    prepare_model,
    train_one_epoch,
)
from ssv2.models import build_model
from ssv2.sample import make_sample
from ssv2.store import ClipStore, materialise

FORMATS = {"channels_last_3d": torch.channels_last_3d, "contiguous": torch.contiguous_format}
PRECISIONS = {"float32": False, "bf16": True}  # bf16 autocast off or on


def parse_shape(text: str) -> tuple[int, int]:
    """'16x112' or '16x112x112' -> (frames, crop)."""
    parts = [int(p) for p in text.lower().split("x")]
    if len(parts) not in (2, 3) or (len(parts) == 3 and parts[1] != parts[2]):
        raise argparse.ArgumentTypeError(f"shape must be FRAMESxCROP or FRAMESxCROPxCROP, got {text!r}")
    return parts[0], parts[1]


def synchronize(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def matmul_peak(device: torch.device, dtype: torch.dtype, size: int, repeats: int) -> float:
    """FLOP/s of `size` x `size` matrix multiplies in `dtype`: the best of `repeats` timed batches."""
    a, b = (torch.randn(size, size, device=device, dtype=dtype) for _ in range(2))
    count = 10 if device.type == "cuda" else 2
    best = 0.0
    for _ in range(repeats + 1):  # the first batch warms up
        synchronize(device)
        start = time.perf_counter()
        for _ in range(count):
            a @ b
        synchronize(device)
        best = max(best, 2 * size**3 * count / (time.perf_counter() - start))
    return best


def step_flops(model: nn.Module, clips: torch.Tensor, target: torch.Tensor, amp: bool) -> int:
    """FLOPs of one forward and backward pass on `clips` (the optimiser's elementwise update is not counted)."""
    with FlopCounterMode(display=False) as counter:
        with torch.autocast(clips.device.type, dtype=torch.bfloat16, enabled=amp):
            loss = nn.functional.cross_entropy(model(clips), target)
        loss.backward()
    model.zero_grad(set_to_none=True)
    return counter.get_total_flops()


class PeakRSS:
    """Peak resident set size of this process while inside the block, sampled every 10 ms."""

    def __enter__(self) -> PeakRSS:
        self.peak, self._stop = psutil.Process().memory_info().rss, threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()
        return self

    def _sample(self) -> None:
        process = psutil.Process()
        while not self._stop.wait(0.01):
            self.peak = max(self.peak, process.memory_info().rss)

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()


class Continuing:
    """`steps` batches a pass, every pass drawn from one iterator over `batches`: the loader's workers start and
    fill their queue once, in the untimed pass, so the timed passes see the loader's steady state."""

    def __init__(self, batches, steps: int):
        self.batches, self.steps = iter(batches), steps

    def __len__(self) -> int:
        return self.steps

    def __iter__(self):
        return itertools.islice(self.batches, self.steps)


def timed_passes(model: nn.Module, loader, device: torch.device, amp: bool, repeats: int) -> float:
    """Median clips/s of `repeats` passes of train_one_epoch over `loader`, after one untimed pass."""
    optimizer = build_optimizer(model, "adamw", lr=1e-4, momentum=0.9, weight_decay=0.05)
    scheduler = build_scheduler(optimizer, repeats + 1, len(loader), 0)
    rates = []
    for epoch in range(repeats + 1):
        metrics = train_one_epoch(
            model, nn.CrossEntropyLoss(), optimizer, scheduler, loader, device, epoch, amp=amp, progress=False
        )
        rates.append(metrics["clips_per_s"])
    return statistics.median(rates[1:])


def sample_store(folder: Path, per_class: int, workers: int, codec: str) -> Path:
    """A clip store of the synthetic sample at short side 128 (enough for 112-pixel crops); jpeg at quality 75,
    the README's store for the real dataset."""
    params = config.load_params()
    sample = config.from_dict(
        config.SampleConfig,
        {**params["sample"], "train_per_class": per_class, "validation_per_class": 1, "test_per_class": 0, "broken": 0},
        "sample",
    )
    make_sample(folder / "sample", sample, workers)
    data = config.from_dict(config.DataConfig, {**params["data"], "root": str(folder / "sample")}, "data")
    _, tables = parse_dataset(data)
    materialise(
        {"train": tables["train"]},
        folder / "store",
        codec=codec,
        short_side=128,
        max_frames=96,
        min_frames=8,
        quality=75,
        workers=workers,
    )
    return folder / "store"


def bench(
    depth: int,
    frames: int,
    crop: int,
    args,
    device: torch.device,
    store: ClipStore,
    workers: int,
    memory_format: torch.memory_format,
    amp: bool,
    compiled: bool,
    stem_pool: bool,
    decode_on: list[str],
) -> list[dict]:
    """One row per decode_on mode, each with its end-to-end rate beside the one model-only measurement."""
    torch.manual_seed(0)
    model = prepare_model(
        build_model(depth, args.classes, width=args.width, stem_pool=stem_pool), device, memory_format
    )
    # As the train stage compiles: the wrapper shares the model's parameters. Its first (untimed) pass compiles.
    run = torch.compile(model) if compiled else model
    clips = torch.randint(0, 256, (args.batch, 3, frames, crop, crop), dtype=torch.uint8, device=device)
    target = torch.randint(0, args.classes, (args.batch,), device=device)
    flops = step_flops(model, clips_to_device(clips, device, memory_format), target, amp) / args.batch

    if device.type == "cuda":
        torch.cuda.reset_peak_memory_stats(device)
    with PeakRSS() as rss:
        model_rate = timed_passes(run, [(clips, target)] * args.steps, device, amp, args.repeats)
    memory = torch.cuda.max_memory_allocated(device) if device.type == "cuda" else rss.peak
    common = {
        "depth": depth,
        "frames": frames,
        "crop": crop,
        "batch": args.batch,
        "layout": "cl3d" if memory_format == torch.channels_last_3d else "contig",
        "precision": "bf16" if amp else "float32",
        "compiled": compiled,
        "stem_pool": stem_pool,
        "model_clips_per_s": model_rate,
        "gflop_per_clip": flops / 1e9,
        "achieved_flops": flops * model_rate,
        "peak_memory_bytes": memory,
    }

    rows = []
    for mode in decode_on:
        # As the train stage's loader: with decode_on device the workers read bytes and the batch decodes on the device.
        dataset = ClipDataset(store, frames, crop, train=True, encoded=mode == "device")
        loader = DataLoader(
            dataset,
            batch_size=args.batch,
            num_workers=workers,
            pin_memory=device.type == "cuda",
            persistent_workers=workers > 0,
            drop_last=True,
            sampler=RandomSampler(dataset, replacement=True, num_samples=args.batch * args.steps * (args.repeats + 1)),
            collate_fn=collate_encoded if dataset.encoded else None,
        )
        batches = Continuing(DecodeOnDevice(loader, device) if dataset.encoded else loader, args.steps)
        rate = timed_passes(run, batches, device, amp, args.repeats)
        rows.append({**common, "decode_on": mode, "end_to_end_clips_per_s": rate})
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--depths", type=int, nargs="+", default=[18, 34, 50])
    parser.add_argument("--width", type=int, default=64, help="the stem's channels (model.width; 64: torchvision's)")
    parser.add_argument(
        "--shapes", type=parse_shape, nargs="+", default=[(8, 112), (16, 112)], help="clip shapes, FRAMESxCROP[xCROP]"
    )
    parser.add_argument("--batch", type=int, default=16, help="clips per training step")
    parser.add_argument("--steps", type=int, default=10, help="training steps per timed pass")
    parser.add_argument("--repeats", type=int, default=3, help="timed passes; medians are printed")
    parser.add_argument("--classes", type=int, default=174)
    parser.add_argument(
        "--formats",
        nargs="+",
        choices=list(FORMATS),
        default=["channels_last_3d"],
        help="memory layouts to compare (the training uses channels_last_3d)",
    )
    parser.add_argument(
        "--precisions",
        nargs="+",
        choices=list(PRECISIONS),
        help="precisions to compare (default: the training's, bf16 autocast where native, else float32)",
    )
    parser.add_argument(
        "--compile",
        nargs="+",
        choices=["false", "true"],
        default=["false"],
        help="torch.compile the model or not, or compare both (train.compile; the first pass, which compiles, is untimed)",
    )
    parser.add_argument(
        "--stem-pool",
        nargs="+",
        choices=["false", "true"],
        default=["false"],
        help="a max-pool after the stem or not, or compare both (model.stem_pool)",
    )
    parser.add_argument(
        "--store",
        type=Path,
        help="a clip store folder (its train split is read); default: "
        "a synthetic sample store built in a temporary folder",
    )
    parser.add_argument("--per-class", type=int, default=4, help="sample videos per class for the built store")
    parser.add_argument(
        "--codec", choices=["raw", "jpeg"], default="raw", help="the built store's codec (jpeg: quality 75)"
    )
    parser.add_argument(
        "--decode-on",
        nargs="+",
        choices=["loader", "device"],
        default=["loader"],
        help="where end-to-end batches are decoded, or compare both (train.decode_on; device needs a jpeg store)",
    )
    parser.add_argument("--workers", type=int, help="DataLoader workers; default: train.workers of params.yaml")
    parser.add_argument(
        "--matmul-size", type=int, help="side of the peak's square matmuls (default 8192 on CUDA, 2048 on a CPU)"
    )
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    parser.add_argument("--json", type=Path, help="also write the rows here")
    args = parser.parse_args()
    if "device" in args.decode_on and not args.store and args.codec != "jpeg":
        parser.error("--decode-on device decodes a jpeg store: add --codec jpeg")

    device = torch.device(args.device)
    configure_backends(device)
    workers = args.workers if args.workers is not None else config.load(config.TrainConfig, "train").workers
    precisions = args.precisions or ["bf16" if bf16_native(device) else "float32"]
    size = args.matmul_size or (8192 if device.type == "cuda" else 2048)
    peaks = {
        p: matmul_peak(device, torch.bfloat16 if PRECISIONS[p] else torch.float32, size, args.repeats)
        for p in precisions
    }
    name = torch.cuda.get_device_name(device) if device.type == "cuda" else f"CPU, {torch.get_num_threads()} threads"
    print(
        f"{name}; matmul peaks ({size}x{size}) "
        + ", ".join(f"{p} {peak / 1e12:.3f} TFLOP/s" for p, peak in peaks.items())
        + f"; model width {args.width}; batch {args.batch}, {args.steps} steps x {args.repeats} passes (medians); "
        f"{workers} loader workers"
    )

    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        store = ClipStore((args.store or sample_store(Path(tmp), args.per_class, workers or 1, args.codec)) / "train")
        print(f"store: {len(store)} videos, {store.codec}\n")
        print(
            "| depth | clip | layout | precision | compiled | stem pool | decode on | model-only clips/s "
            "| model-only / the first row's "
            "| end-to-end clips/s | end-to-end / model | GFLOP/clip (fwd+bwd) | achieved TFLOP/s | % of matmul peak "
            "| peak memory GiB |"
        )
        print("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
        first = None
        axes = (args.depths, args.shapes, args.formats, precisions, args.compile, args.stem_pool)
        for depth, (frames, crop), layout, precision, compiled, pool in itertools.product(*axes):
            for row in bench(
                depth,
                frames,
                crop,
                args,
                device,
                store,
                workers,
                FORMATS[layout],
                PRECISIONS[precision],
                compiled == "true",
                pool == "true",
                args.decode_on,
            ):
                row["matmul_peak_flops"] = peak = peaks[precision]
                rows.append(row)
                first = first or row["model_clips_per_s"]
                print(
                    f"| {depth} | {frames}x{crop}x{crop} | {row['layout']} | {precision} | {compiled} | {pool} "
                    f"| {row['decode_on']} | {row['model_clips_per_s']:.2f} | {row['model_clips_per_s'] / first:.2f} "
                    f"| {row['end_to_end_clips_per_s']:.2f} "
                    f"| {row['end_to_end_clips_per_s'] / row['model_clips_per_s']:.2f} "
                    f"| {row['gflop_per_clip']:.1f} | {row['achieved_flops'] / 1e12:.3f} "
                    f"| {100 * row['achieved_flops'] / peak:.0f}% | {row['peak_memory_bytes'] / 2**30:.2f} |",
                    flush=True,
                )
    if args.json:
        args.json.write_text(json.dumps({"device": name, "rows": rows}, indent=2) + "\n")


if __name__ == "__main__":
    main()
