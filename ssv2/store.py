"""The clip store: every video decoded once, so training epochs and tuning trials never decode again.

One folder per split:
    frames.bin   every frame of every video, one after another, each raw RGB or JPEG
    offsets.npy  int64, frame f is frames.bin[offsets[f]:offsets[f + 1]]
    videos.csv   id, label, first, count, height, width: a video is frames first..first+count-1
Frames are read by seeking into a memory map, so a clip costs only its own frames.
"""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from torchvision.io import decode_jpeg, encode_jpeg
from tqdm import tqdm

from ssv2.video import VideoError, decode_video, process_context

CODECS = ("raw", "jpeg")
SKIPPED_FILE = "skipped.csv"
SUMMARY_FILE = "summary.json"


class StoreError(RuntimeError):
    """A store that cannot be built or read."""


def encode_frames(video: np.ndarray, codec: str, quality: int = 90) -> list[bytes]:
    """Encode each frame of a (T, H, W, 3) uint8 video for the store."""
    if codec == "raw":
        return [frame.tobytes() for frame in video]
    tensors = [torch.from_numpy(frame).permute(2, 0, 1).contiguous() for frame in video]
    return [t.numpy().tobytes() for t in encode_jpeg(tensors, quality=quality)]


def decode_frames(buffers: list[np.ndarray], codec: str, height: int, width: int) -> np.ndarray:
    """Decode stored frames back into a (T, H, W, 3) uint8 array."""
    if codec == "raw":
        return np.stack([b.reshape(height, width, 3) for b in buffers])
    tensors = decode_jpeg([torch.from_numpy(b.copy()) for b in buffers])  # the memory map is read-only
    return torch.stack(tensors).permute(0, 2, 3, 1).numpy()


@dataclass(frozen=True)
class _Job:
    codec: str
    quality: int
    short_side: int
    max_frames: int
    min_frames: int


def _decode_one(job: _Job, ident: str, path: str) -> tuple[str, list[bytes] | str, tuple[int, int]]:
    """Worker: (id, encoded frames, (height, width)), or (id, reason, (0, 0)) for a bad video."""
    try:
        video = decode_video(path, job.short_side, max_frames=job.max_frames, min_frames=job.min_frames, name=ident)
    except VideoError as e:
        return ident, e.reason, (0, 0)
    except Exception as e:  # noqa: BLE001 - one bad video must never stop the build; its type says what broke
        return ident, f"unexpected error: {type(e).__name__}: {e}", (0, 0)
    return ident, encode_frames(video, job.codec, job.quality), video.shape[1:3]


def _decode_star(args):
    return _decode_one(*args)


def _init_worker() -> None:
    torch.set_num_threads(1)  # one process per core already


def build_split(
    table: pd.DataFrame, out: Path, job: _Job, pool, desc: str
) -> tuple[dict, list[dict]]:
    """Decode one split's videos into `out`; returns its summary and the skipped videos."""
    out.mkdir(parents=True)
    rows, skipped, offsets = [], [], [0]
    labels = dict(zip(table["id"], table["label"]))
    tasks = [(job, ident, path) for ident, path in zip(table["id"], table["video"])]
    with open(out / "frames.bin", "wb") as f:
        results = pool.imap(_decode_star, tasks, chunksize=2) if pool else map(_decode_star, tasks)
        for ident, frames, (height, width) in tqdm(results, total=len(tasks), desc=desc, unit="video"):
            if isinstance(frames, str):
                skipped.append({"id": ident, "reason": frames})
                continue
            rows.append({"id": ident, "label": labels[ident], "first": len(offsets) - 1,
                         "count": len(frames), "height": height, "width": width})
            for data in frames:
                f.write(data)
                offsets.append(offsets[-1] + len(data))
    np.save(out / "offsets.npy", np.asarray(offsets, dtype=np.int64))
    pd.DataFrame(rows, columns=["id", "label", "first", "count", "height", "width"]).to_csv(out / "videos.csv", index=False)
    summary = {"videos": len(rows), "skipped": len(skipped), "frames": len(offsets) - 1,
               "bytes": int(offsets[-1]), "source_bytes": int(sum(_size(p) for p in table["video"]))}
    return summary, skipped


def _size(path: str) -> int:
    try:
        return os.path.getsize(path)
    except OSError:
        return 0


def materialise(
    tables: dict[str, pd.DataFrame],
    out: str | Path,
    *,
    codec: str,
    short_side: int,
    max_frames: int,
    min_frames: int,
    quality: int = 90,
    workers: int = 0,
) -> dict:
    """Decode every video of `tables` (split -> parsed table) once into a store at `out`.

    Bad videos are skipped and listed, with the reason, in `out/skipped.csv`. The store is
    built beside `out` and moved into place at the end, so a killed run leaves no corrupt
    store. Raises StoreError if a split ends up empty.
    """
    if codec not in CODECS:
        raise StoreError(f"unknown codec {codec!r}; expected one of {CODECS}")
    out = Path(out)
    partial = out.with_name(out.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    partial.mkdir(parents=True)
    job = _Job(codec, quality, short_side, max_frames, min_frames)
    workers = workers or os.cpu_count() or 1
    summary, skipped = {"codec": codec, "short_side": short_side, "splits": {}}, []
    with process_context().Pool(workers, initializer=_init_worker) if workers > 1 else _nullpool() as pool:
        for split, table in tables.items():
            split_summary, split_skipped = build_split(table, partial / split, job, pool, desc=f"materialise {split}")
            summary["splits"][split] = split_summary
            skipped += [{"split": split, **s} for s in split_skipped]
    pd.DataFrame(skipped, columns=["split", "id", "reason"]).to_csv(partial / SKIPPED_FILE, index=False)
    (partial / SUMMARY_FILE).write_text(json.dumps(summary, indent=2) + "\n")
    empty = [s for s, v in summary["splits"].items() if v["videos"] == 0 and len(tables[s])]
    if empty:
        raise StoreError(
            f"no usable video in split(s) {', '.join(empty)}; the reasons are in {partial / SKIPPED_FILE}"
        )
    shutil.rmtree(out, ignore_errors=True)
    os.replace(partial, out)
    return summary


class _nullpool:
    def __enter__(self):
        return None

    def __exit__(self, *exc):
        return False


class ClipStore:
    """Read-only access to one split of the store; cheap to pickle into DataLoader workers."""

    def __init__(self, split_dir: str | Path):
        self.dir = Path(split_dir)
        summary_path = self.dir.parent / SUMMARY_FILE
        if not (self.dir / "videos.csv").is_file() or not summary_path.is_file():
            raise StoreError(f"{self.dir}: not a clip store split (run the materialise stage)")
        self.codec = json.loads(summary_path.read_text())["codec"]
        videos = pd.read_csv(self.dir / "videos.csv", dtype={"id": str})
        self.ids: list[str] = videos["id"].tolist()
        self.labels = videos["label"].to_numpy(np.int64)
        self.first = videos["first"].to_numpy(np.int64)
        self.counts = videos["count"].to_numpy(np.int64)
        self.shapes = videos[["height", "width"]].to_numpy(np.int64)
        self.offsets = np.load(self.dir / "offsets.npy")
        self._frames: np.ndarray | None = None

    def __len__(self) -> int:
        return len(self.ids)

    def __getstate__(self):
        return {**self.__dict__, "_frames": None}  # each process maps the file itself

    def frames(self, i: int, indices: np.ndarray | list[int]) -> np.ndarray:
        """Frames `indices` of video `i` as (len(indices), H, W, 3) uint8."""
        if self._frames is None:
            self._frames = np.memmap(self.dir / "frames.bin", dtype=np.uint8, mode="r")
        frame_ids = self.first[i] + np.asarray(indices)
        buffers = [self._frames[self.offsets[f]: self.offsets[f + 1]] for f in frame_ids]
        height, width = self.shapes[i]
        return decode_frames(buffers, self.codec, int(height), int(width))

    def video(self, i: int) -> np.ndarray:
        """Every stored frame of video `i`."""
        return self.frames(i, np.arange(self.counts[i]))
