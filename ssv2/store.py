"""The clip store: every video decoded once, so training epochs and tuning trials never decode again.

Layout, one folder per split, each split cut into shards of consecutive videos:
    summary.json                 codec, short side and per-split counts; written last, it marks a finished store
    skipped.csv                  split, id, reason of every video left out
    <split>/videos.csv           id, label, shard, first, count, height, width
    <split>/shards/NNNNN/        frames.bin (every frame of the shard's videos, one after another, each raw RGB
                                 or JPEG), offsets.npy (int64: frame f is frames.bin[offsets[f]:offsets[f + 1]]),
                                 videos.csv and skipped.csv (that shard's part of the files above)
A video is frames first..first+count-1 of its shard; a clip reads only its own frames through a memory map.

The store is built in `<store>.partial` beside its final place. Each shard is written in its own
`.partial` folder and renamed when complete, so a killed build leaves only whole shards; a
rerun with the same params and videos (`manifest.json`) keeps them and builds the rest.

No PyTorch here: each decoding worker (a fresh process: video.process_context) imports this module,
and `import torch, torchvision` costs each process about 10 s and 0.9 GB of resident memory (2-core CPU, round 57).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import simplejpeg
from tqdm import tqdm

from ssv2.video import VideoError, decode_video, process_context

CODECS = ("raw", "jpeg")
SKIPPED_FILE = "skipped.csv"
SUMMARY_FILE = "summary.json"
MANIFEST_FILE = "manifest.json"
SHARD_VIDEOS = (
    128  # videos per shard: a kill loses at most this many per shard in flight (about 25 MB of JPEG at SSv2's shape)
)
FORMAT = 2  # bumped when the layout changes, so an old partial build is not resumed
_VIDEO_COLUMNS = ["id", "label", "first", "count", "height", "width"]
_SKIP_COLUMNS = ["id", "reason"]


class StoreError(RuntimeError):
    """A store that cannot be built or read."""


def encode_frames(video: np.ndarray, codec: str, quality: int = 90) -> list[bytes]:
    """Encode each frame of a (T, H, W, 3) uint8 video for the store (JPEG: 4:2:0, libjpeg-turbo)."""
    if codec == "raw":
        return [frame.tobytes() for frame in video]
    return [
        simplejpeg.encode_jpeg(np.ascontiguousarray(frame), quality=quality, colorsubsampling="420") for frame in video
    ]


def decode_frames(buffers: list[np.ndarray], codec: str, height: int, width: int) -> np.ndarray:
    """Decode stored frames back into a (T, H, W, 3) uint8 array, on the CPU."""
    if codec == "raw":
        return np.stack([b.reshape(height, width, 3) for b in buffers])
    # simplejpeg writes HWC directly: about twice as fast here as torchvision's CHW output transposed back
    return np.stack([simplejpeg.decode_jpeg(b) for b in buffers])


# What turns a table's `video` entry into the frames to store: decode_video for a file's path. A module-level
# function (or a partial of one) of a module without PyTorch: the decoding workers import its module.
Reader = Callable[..., np.ndarray]


@dataclass(frozen=True)
class _Job:
    codec: str
    quality: int
    short_side: int
    max_frames: int
    min_frames: int


def _decode_one(job: _Job, read: Reader, ident: str, source: object) -> tuple[str, list[bytes] | str, tuple[int, int]]:
    """Worker: (id, encoded frames, (height, width)), or (id, reason, (0, 0)) for a bad video."""
    try:
        video = read(source, job.short_side, max_frames=job.max_frames, min_frames=job.min_frames, name=ident)
    except VideoError as e:
        return ident, e.reason, (0, 0)
    except Exception as e:  # noqa: BLE001 - one bad video must never stop the build; its type says what broke
        return ident, f"unexpected error: {type(e).__name__}: {e}", (0, 0)
    return ident, encode_frames(video, job.codec, job.quality), video.shape[1:3]


def _decode_star(args):
    return _decode_one(*args)


def _shard_dir(split_dir: Path, shard: int) -> Path:
    return split_dir / "shards" / f"{shard:05d}"


def write_shard(final: Path, results: list[tuple], labels: dict[str, int]) -> None:
    """Write one shard's decoded videos to `final` atomically: into `final.partial`, then renamed.

    `results` are the workers' (id, frames or reason, (height, width)) in the shard's order.
    A write that fails, or a process killed mid-write, leaves no folder named `final`.
    """
    tmp = final.with_name(final.name + ".partial")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    rows, skipped, offsets = [], [], [0]
    with open(tmp / "frames.bin", "wb") as f:
        for ident, frames, (height, width) in results:
            if isinstance(frames, str):
                skipped.append({"id": ident, "reason": frames})
                continue
            rows.append(
                {
                    "id": ident,
                    "label": labels[ident],
                    "first": len(offsets) - 1,
                    "count": len(frames),
                    "height": height,
                    "width": width,
                }
            )
            for data in frames:
                f.write(data)
                offsets.append(offsets[-1] + len(data))
    np.save(tmp / "offsets.npy", np.asarray(offsets, dtype=np.int64))
    pd.DataFrame(rows, columns=_VIDEO_COLUMNS).to_csv(tmp / "videos.csv", index=False)
    pd.DataFrame(skipped, columns=_SKIP_COLUMNS).to_csv(tmp / SKIPPED_FILE, index=False)
    os.replace(tmp, final)


def _size(path: object) -> int:
    if not isinstance(path, (str, os.PathLike)):
        return 0  # a source that is not a file (read by another Reader)
    try:
        return os.path.getsize(path)
    except OSError:
        return 0


def build_key(job: _Job, tables: dict[str, pd.DataFrame], shard_videos: int) -> str:
    """What a partial build must match to be resumed: the store params, the shard size and the videos."""
    digest = hashlib.sha256(
        json.dumps({"format": FORMAT, "shard_videos": shard_videos, **asdict(job)}, sort_keys=True).encode()
    )
    for split, table in tables.items():
        digest.update(split.encode())
        digest.update(table[["id", "label", "video"]].astype(str).to_csv(index=False).encode())
    return digest.hexdigest()


def _open_build(partial: Path, key: str) -> None:
    """Keep a partial build made with the same key; otherwise start afresh."""
    manifest = partial / MANIFEST_FILE
    try:
        same = json.loads(manifest.read_text())["key"] == key
    except (OSError, ValueError, KeyError):
        same = False
    if same:
        return
    shutil.rmtree(partial, ignore_errors=True)
    partial.mkdir(parents=True)
    tmp = manifest.with_suffix(".tmp")
    tmp.write_text(json.dumps({"key": key}) + "\n")
    os.replace(tmp, manifest)


def _finish_split(split_dir: Path, shards: int) -> tuple[pd.DataFrame, pd.DataFrame, int]:
    """The split's index from its shards: (videos, skipped, stored bytes)."""
    videos, skipped, size = [], [], 0
    for shard in range(shards):
        folder = _shard_dir(split_dir, shard)
        videos.append(pd.read_csv(folder / "videos.csv", dtype={"id": str}).assign(shard=shard))
        skipped.append(pd.read_csv(folder / SKIPPED_FILE, dtype={"id": str}))
        size += (folder / "frames.bin").stat().st_size
    columns = ["id", "label", "shard", "first", "count", "height", "width"]
    videos = pd.concat(videos, ignore_index=True)[columns] if videos else pd.DataFrame(columns=columns)
    skipped = pd.concat(skipped, ignore_index=True) if skipped else pd.DataFrame(columns=_SKIP_COLUMNS)
    return videos, skipped, size


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
    shard_videos: int = SHARD_VIDEOS,
    read: Reader = decode_video,
) -> dict:
    """Decode every video of `tables` (split -> parsed table) once into a store at `out`.

    Each table's `video` column is what `read` takes (decode_video's arguments; it raises VideoError
    for a bad video): a file's path by default.

    Resumable: shards finished by an earlier, killed run with the same params and videos are
    kept, so a kill loses only the shard being written. Bad videos are skipped and listed,
    with the reason, in `out/skipped.csv`. The finished store replaces `out` only at the end,
    so until then the previous store stays readable. Raises StoreError if a split ends up empty.
    """
    if codec not in CODECS:
        raise StoreError(f"unknown codec {codec!r}; expected one of {CODECS}")
    out = Path(out)
    partial = out.with_name(out.name + ".partial")
    job = _Job(codec, quality, short_side, max_frames, min_frames)
    _open_build(partial, build_key(job, tables, shard_videos))

    plan = [
        (split, shard, table.iloc[start : start + shard_videos])
        for split, table in tables.items()
        for shard, start in enumerate(range(0, len(table), shard_videos))
    ]
    todo = [(split, shard, rows) for split, shard, rows in plan if not _shard_dir(partial / split, shard).is_dir()]
    total = sum(len(t) for t in tables.values())
    done = total - sum(len(rows) for _, _, rows in todo)
    if done:
        print(
            f"resuming {partial}: kept {len(plan) - len(todo)} of {len(plan)} shards ({done} of {total} videos), "
            f"building the rest"
        )

    workers = workers or os.cpu_count() or 1
    tasks = [(job, read, ident, source) for _, _, rows in todo for ident, source in zip(rows["id"], rows["video"])]
    with process_context().Pool(workers) if workers > 1 else _nullpool() as pool:
        results = pool.imap(_decode_star, tasks, chunksize=2) if pool else map(_decode_star, tasks)
        with tqdm(total=total, initial=done, desc="materialise", unit="video") as bar:
            for split, shard, rows in todo:
                shard_results = [next(results) for _ in range(len(rows))]
                write_shard(_shard_dir(partial / split, shard), shard_results, dict(zip(rows["id"], rows["label"])))
                bar.update(len(rows))

    summary, skipped = {"codec": codec, "short_side": short_side, "splits": {}}, []
    for split, table in tables.items():
        videos, split_skipped, size = _finish_split(partial / split, -(-len(table) // shard_videos))
        (partial / split).mkdir(exist_ok=True)
        videos.to_csv(partial / split / "videos.csv", index=False)
        skipped.append(split_skipped.assign(split=split))
        summary["splits"][split] = {
            "videos": len(videos),
            "skipped": len(split_skipped),
            "frames": int(videos["count"].sum()),
            "bytes": size,
            "source_bytes": int(sum(_size(p) for p in table["video"])),
        }
    skipped = pd.concat(skipped, ignore_index=True) if skipped else pd.DataFrame(columns=["split", *_SKIP_COLUMNS])
    skipped[["split", *_SKIP_COLUMNS]].to_csv(partial / SKIPPED_FILE, index=False)
    empty = [s for s, v in summary["splits"].items() if v["videos"] == 0 and len(tables[s])]
    if empty:
        raise StoreError(f"no usable video in split(s) {', '.join(empty)}; the reasons are in {partial / SKIPPED_FILE}")
    (partial / SUMMARY_FILE).write_text(json.dumps(summary, indent=2) + "\n")
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
        self.shard = videos["shard"].to_numpy(np.int64)
        self.first = videos["first"].to_numpy(np.int64)
        self.counts = videos["count"].to_numpy(np.int64)
        self.shapes = videos[["height", "width"]].to_numpy(np.int64)
        shards = int(self.shard.max()) + 1 if len(videos) else 0
        self.offsets = [np.load(_shard_dir(self.dir, s) / "offsets.npy") for s in range(shards)]
        self._maps: dict[int, np.ndarray] = {}

    def __len__(self) -> int:
        return len(self.ids)

    def __getstate__(self):
        return {**self.__dict__, "_maps": {}}  # each process maps the files itself

    def encoded(self, i: int, indices: np.ndarray | list[int]) -> list[np.ndarray]:
        """The stored bytes of frames `indices` of video `i`, one read-only array a frame."""
        shard = int(self.shard[i])
        if shard not in self._maps:
            self._maps[shard] = np.memmap(_shard_dir(self.dir, shard) / "frames.bin", dtype=np.uint8, mode="r")
        frames, offsets = self._maps[shard], self.offsets[shard]
        return [frames[offsets[f] : offsets[f + 1]] for f in self.first[i] + np.asarray(indices)]

    def frames(self, i: int, indices: np.ndarray | list[int]) -> np.ndarray:
        """Frames `indices` of video `i` as (len(indices), H, W, 3) uint8."""
        height, width = self.shapes[i]
        return decode_frames(self.encoded(i, indices), self.codec, int(height), int(width))

    def video(self, i: int) -> np.ndarray:
        """Every stored frame of video `i`."""
        return self.frames(i, np.arange(self.counts[i]))
