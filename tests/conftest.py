import dataclasses
import io
import json
import os
import shutil
import subprocess
import sys
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest

from ssv2.config import SampleConfig, TrainConfig, load
from ssv2.sample import real_class_names
from ssv2.video import write_video

REPO = Path(__file__).parent.parent


def environment(**env: str) -> dict[str, str]:
    """This environment, with the venv's tools (dvc, mlflow) first on PATH."""
    return {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}", **env}


def run(args: list[str], cwd: Path, **env: str) -> str:
    """A command's stdout; the test fails with its output if it fails."""
    result = subprocess.run(args, cwd=cwd, env=environment(**env), capture_output=True, text=True)
    assert result.returncode == 0, f"{' '.join(args)} failed:\n{result.stdout}\n{result.stderr}"
    return result.stdout


def copy_repo(copy: Path) -> Path:
    """The files of this checkout that git tracks or would track, copied to `copy` (no .git)."""
    files = subprocess.run(
        ["git", "ls-files", "-co", "--exclude-standard"], cwd=REPO, capture_output=True, text=True, check=True
    ).stdout.split()
    for name in files:
        if (REPO / name).is_file():
            (copy / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(REPO / name, copy / name)
    return copy


@pytest.fixture(scope="session")
def ssv2_names() -> list[str]:
    """The 174 real class names in index order."""
    return real_class_names()


def sample_config(**changes) -> SampleConfig:
    """params.yaml's sample section with `changes`: the embedded sample's look at other sizes."""
    return dataclasses.replace(load(SampleConfig, "sample", REPO / "params.yaml"), **changes)


def train_config(**changes) -> TrainConfig:
    """params.yaml's train section with `changes`: a run small enough for a test."""
    tiny = {"progressive": None, **changes}  # every epoch at the test's own small crop
    return dataclasses.replace(load(TrainConfig, "train", REPO / "params.yaml"), **tiny)


def moving_square(frames: int = 24, height: int = 48, width: int = 64, seed: int = 0) -> np.ndarray:
    """A bright square crossing a noisy background: a small real video with motion."""
    rng = np.random.default_rng(seed)
    video = np.repeat(rng.integers(40, 90, (1, height, width, 3), dtype=np.uint8), frames, axis=0)
    for t in range(frames):
        x = int(t * (width - 12) / max(frames - 1, 1))
        video[t, height // 3 : height // 3 + 12, x : x + 12] = (230, 40, 40)
    return video


def write_dataset(root: Path, labels: dict[str, str], splits: dict[str, list[dict]]) -> Path:
    """Write SSv2-format annotation files under root/labels."""
    (root / "labels").mkdir(parents=True, exist_ok=True)
    (root / "labels" / "something-something-v2-labels.json").write_text(json.dumps(labels), encoding="utf-8")
    for split, entries in splits.items():
        (root / "labels" / f"something-something-v2-{split}.json").write_text(
            json.dumps(entries, ensure_ascii=False), encoding="utf-8"
        )
    return root


@pytest.fixture
def make_video():
    def make(path: Path, frames: int = 24, height: int = 48, width: int = 64, seed: int = 0) -> np.ndarray:
        video = moving_square(frames, height, width, seed)
        write_video(path, video)
        return video

    return make


class _Unseekable(io.RawIOBase):
    """A write-only stream, like a browser's MediaRecorder upload: the muxer cannot go back."""

    def __init__(self):
        self.data = bytearray()

    def writable(self) -> bool:
        return True

    def write(self, b) -> int:
        self.data += bytes(b)
        return len(b)


def encode(
    frames: np.ndarray,
    fmt: str = "webm",
    fps: int = 12,
    *,
    times: list[float] | None = None,
    rotation: int | None = None,
    streamed: bool = False,
) -> bytes:
    """Encode frames as real recorders write them: at `fps`, or at the given `times` (seconds, a variable
    frame rate), with rotation metadata (`rotation` degrees counter-clockwise, as phones store portrait
    video), or `streamed` to a stream that cannot seek (no duration, no cues: MediaRecorder's webm)."""
    codec = {"webm": "libvpx-vp9", "mp4": "libx264"}[fmt]
    out = _Unseekable() if streamed else io.BytesIO()
    with av.open(out, mode="w", format=fmt) as container:
        stream = container.add_stream(codec, rate=fps)
        stream.height, stream.width = frames.shape[1:3]
        stream.pix_fmt = "yuv420p"
        stream.options = {"deadline": "realtime", "cpu-used": "8"} if fmt == "webm" else {"preset": "veryfast"}
        if rotation is not None:
            stream.set_display_rotation(rotation)
        if times is not None:
            stream.codec_context.time_base = stream.time_base = Fraction(1, 1000)
        for i, array in enumerate(frames):
            frame = av.VideoFrame.from_ndarray(array, format="rgb24")
            if times is not None:
                frame.pts, frame.time_base = round(times[i] * 1000), Fraction(1, 1000)
            container.mux(stream.encode(frame))
        container.mux(stream.encode())
    return bytes(out.data) if streamed else out.getvalue()
