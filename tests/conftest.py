import dataclasses
import json
from pathlib import Path

import numpy as np
import pytest

from ssv2.config import SampleConfig, load
from ssv2.sample import real_class_names
from ssv2.video import write_video

REPO = Path(__file__).parent.parent


@pytest.fixture(scope="session")
def ssv2_names() -> list[str]:
    """The 174 real class names in index order."""
    return real_class_names()


def sample_config(**changes) -> SampleConfig:
    """params.yaml's sample section with `changes`: the embedded sample's look at other sizes."""
    return dataclasses.replace(load(SampleConfig, "sample", REPO / "params.yaml"), **changes)


def moving_square(frames: int = 24, height: int = 48, width: int = 64, seed: int = 0) -> np.ndarray:
    """A bright square crossing a noisy background: a small real video with motion."""
    rng = np.random.default_rng(seed)
    video = np.repeat(rng.integers(40, 90, (1, height, width, 3), dtype=np.uint8), frames, axis=0)
    for t in range(frames):
        x = int(t * (width - 12) / max(frames - 1, 1))
        video[t, height // 3: height // 3 + 12, x: x + 12] = (230, 40, 40)
    return video


def write_dataset(root: Path, labels: dict[str, str], splits: dict[str, list[dict]]) -> Path:
    """Write SSv2-format annotation files under root/labels."""
    (root / "labels").mkdir(parents=True, exist_ok=True)
    (root / "labels" / "something-something-v2-labels.json").write_text(json.dumps(labels), encoding="utf-8")
    for split, entries in splits.items():
        (root / "labels" / f"something-something-v2-{split}.json").write_text(
            json.dumps(entries, ensure_ascii=False), encoding="utf-8")
    return root


@pytest.fixture
def make_video():
    def make(path: Path, frames: int = 24, height: int = 48, width: int = 64, seed: int = 0) -> np.ndarray:
        video = moving_square(frames, height, width, seed)
        write_video(path, video)
        return video
    return make
