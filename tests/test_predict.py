"""Inference on raw videos: the evaluation's views and probabilities, decoding bounds, and the predict CLI."""

import os
import random
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
from torch.utils.data import DataLoader

from conftest import moving_square, train_config
from ssv2.checkpoint import PREPROCESSING, TRAIN_VIDEOS, CheckpointError, load_checkpoint, save_checkpoint
from ssv2.classes import reverse_map
from ssv2.config import ModelConfig
from ssv2.data import ClipDataset, Preprocessing
from ssv2.engine import predict
from ssv2.inference import Classifier, top_k, video_views
from ssv2.models import build_model
from ssv2.predict import main
from ssv2.store import ClipStore, materialise
from ssv2.training import inference_state
from ssv2.video import VideoError, write_video

TRAIN = train_config(
    frames=4,
    crop=[24, 40],  # [height, width]: serving and the CLI take a non-square model too
    flip=False,
    reverse=False,
    colour=0.0,
    epochs=1,
    batch_size=2,
    optimizer="sgd",
    lr=0.01,
    weight_decay=0.0,
    warmup_epochs=0,
    label_smoothing=0.0,
    workers=0,
)
SHORT_SIDE = 40


def write_checkpoint(path: Path, class_names: list[str], train_videos: list[int] | None = None) -> Path:
    """A checkpoint as training writes it, with random weights, trained on `train_videos` a class (default 2)."""
    torch.manual_seed(0)
    model = build_model(18, len(class_names), width=16, centre=True, pool="max").eval()
    save_checkpoint(
        path,
        inference_state(
            model,
            ModelConfig(18, 16, "max", True, None),
            class_names,
            Preprocessing(TRAIN.frames, TRAIN.crop, SHORT_SIDE),
            train_videos or [2] * len(class_names),
        ),
    )
    return path


@pytest.fixture(scope="module")
def names(ssv2_names) -> list[str]:
    """Seven real classes, with one time-reversal pair for evaluate.reverse's backward views."""
    return [*ssv2_names[1:6], "Moving something up", "Moving something down"]


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory, names) -> Path:
    return write_checkpoint(tmp_path_factory.mktemp("model") / "model.pt", names)


@pytest.fixture(scope="module")
def classifier(checkpoint) -> Classifier:
    return Classifier(checkpoint)


@pytest.fixture(scope="module")
def videos(tmp_path_factory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("videos")
    paths = {"webm": folder / "a.webm", "mp4": folder / "b.mp4", "portrait": folder / "c.webm"}
    write_video(paths["webm"], moving_square(20, 48, 64, seed=1))
    write_video(paths["mp4"], moving_square(30, 60, 80, seed=2))
    write_video(paths["portrait"], moving_square(15, 80, 48, seed=3))
    return paths


@pytest.mark.parametrize("clips", [1, 2])
@pytest.mark.parametrize("crops", [1, 3])
@pytest.mark.parametrize("shape", [(40, 60), (60, 40), (40, 40)])
@pytest.mark.parametrize("crop, size", [(32, (32, 32)), ([24, 40], (24, 40))])
def test_video_views_shape(clips, crops, shape, crop, size):
    video = np.zeros((10, *shape, 3), dtype=np.uint8)
    assert video_views(video, Preprocessing(4, crop, 40, clips, crops)).shape == (clips * crops, 3, 4, *size)


def test_video_views_too_small():
    with pytest.raises(ValueError, match="smaller than the crop's shorter side, 32 pixels"):
        video_views(np.zeros((5, 20, 60, 3), dtype=np.uint8), Preprocessing(4, 32, 40))


@pytest.mark.parametrize("clips, crops, reverse", [(1, 1, False), (2, 3, False), (2, 1, True)])
def test_classifier_matches_the_evaluation(tmp_path, checkpoint, videos, names, clips, crops, reverse):
    """The same probabilities as the evaluate stage's loop over the clip store, for webm and mp4."""
    table = pd.DataFrame({"id": list(videos), "label": [0, 1, 2], "video": [str(p) for p in videos.values()]})
    materialise(
        {"validation": table},
        tmp_path / "store",
        codec="raw",
        short_side=SHORT_SIDE,
        max_frames=96,
        min_frames=1,
        workers=1,
    )
    classifier = Classifier(checkpoint, clips=clips, crops=crops, reverse=reverse)
    assert classifier.preprocessing == Preprocessing(TRAIN.frames, TRAIN.crop, SHORT_SIDE, clips, crops, reverse)
    views = ClipDataset.evaluation(ClipStore(tmp_path / "store/validation"), classifier.preprocessing)
    partner = reverse_map(names) if reverse else None
    assert partner in (None, [0, 1, 2, 3, 4, 6, 5])
    loader = DataLoader(views, batch_size=3)
    expected, _ = predict(classifier.model, loader, "cpu", partner=partner, progress=False)
    if reverse:  # the backward views count: without them the scores differ
        assert not torch.allclose(predict(classifier.model, loader, "cpu", progress=False)[0], expected)
    actual = torch.stack([classifier.probabilities(path) for path in videos.values()])
    torch.testing.assert_close(actual, expected, rtol=1e-4, atol=1e-6)


def test_reverse_auto_plays_backwards_only_where_every_class_learnt_has_a_partner(tmp_path, checkpoint, names):
    """evaluate.reverse: auto. The fixture's classes 5 and 6 are "Moving something up" and "down"."""
    assert Classifier(checkpoint, reverse="auto").partner is None  # trained on partnerless classes too
    pair_only = write_checkpoint(tmp_path / "pair.pt", names, [0, 0, 0, 0, 0, 3, 4])
    assert Classifier(pair_only, reverse="auto").partner == [0, 1, 2, 3, 4, 6, 5]
    assert Classifier(pair_only, reverse=False).partner is None
    state = load_checkpoint(pair_only)
    del state[TRAIN_VIDEOS]  # a checkpoint of an older version: which classes it learnt is unknown
    save_checkpoint(tmp_path / "old.pt", state)
    assert Classifier(tmp_path / "old.pt", reverse="auto").partner is None
    assert Classifier(tmp_path / "old.pt", reverse=True).partner == [0, 1, 2, 3, 4, 6, 5]


def test_checkpoint_without_preprocessing_or_with_bad_views(tmp_path, checkpoint):
    state = load_checkpoint(checkpoint)
    del state[PREPROCESSING]
    save_checkpoint(tmp_path / "old.pt", {**state, "frames": 4, "crop": 32, "short_side": 40})  # the former keys
    with pytest.raises(CheckpointError, match=f"old.pt: lacks the preprocessing .*no '{PREPROCESSING}' key"):
        Classifier(tmp_path / "old.pt")
    save_checkpoint(tmp_path / "bad.pt", {**state, PREPROCESSING: {"frames": 4, "crop": 32}})
    with pytest.raises(CheckpointError, match=r"bad.pt: bad 'preprocessing'.*\['short_side'\]"):
        Classifier(tmp_path / "bad.pt")
    with pytest.raises(ValueError, match="crops 1 or 3, got clips=1, crops=2"):
        Classifier(checkpoint, crops=2)


def test_top_k():
    probs = torch.tensor([0.1, 0.5, 0.15, 0.25])
    assert top_k(probs, list("abcd"), 2) == [("b", 0.5), ("d", 0.25)]
    assert [name for name, _ in top_k(probs, list("abcd"), 5)] == ["b", "d", "c", "a"]


def test_decoding_is_bounded(checkpoint, videos):
    # 30 frames held in at most 7: every other one dropped as the bound is reached, so the
    # frames kept still span the whole video
    whole = Classifier(checkpoint).decode(videos["mp4"])
    bounded = Classifier(checkpoint, max_decoded=7).decode(videos["mp4"])
    assert len(whole) == 30 and 4 <= len(bounded) <= 7
    kept = [next(i for i, frame in enumerate(whole) if np.array_equal(frame, b)) for b in bounded]
    assert kept == sorted(kept) and kept[0] == 0 and kept[-1] >= 20, kept
    with pytest.raises(VideoError, match="too large"):
        Classifier(checkpoint, max_pixels=64 * 48 - 1).top(videos["webm"])


@pytest.mark.parametrize("data, reason", [(b"", "empty"), (b"\x1aE\xdf\xa3 not really a webm", "unreadable")])
def test_bad_bytes(classifier, data, reason):
    with pytest.raises(VideoError, match=f"upload: {reason}"):
        classifier.top(data, name="upload")


def test_cli_prints_top5_for_webm_and_mp4(tmp_path, checkpoint, videos, names):
    garbage = tmp_path / "garbage.webm"
    # Seeded: FFmpeg probed one of 300 random 2000-byte files as a subtitle file ("not a video", CI, round 58).
    garbage.write_bytes(random.Random(0).randbytes(2000))
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "ssv2.predict",
            str(videos["webm"]),
            str(garbage),
            str(videos["mp4"]),
            "--checkpoint",
            str(checkpoint),
        ],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 1  # one video failed; the others are still classified
    assert f"{garbage}: unreadable" in result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == str(videos["webm"]) and lines[6] == str(videos["mp4"]) and len(lines) == 12
    for block in (lines[1:6], lines[7:12]):
        percents = [float(line.split("%")[0]) for line in block]
        assert percents == sorted(percents, reverse=True) and 0 < sum(percents) <= 100.01
        assert all(line.split("%  ")[1] in names for line in block)


def test_cli_views_and_errors(tmp_path, monkeypatch, capsys, checkpoint, videos):
    monkeypatch.chdir(tmp_path)  # no params.yaml here: one centre view unless told
    assert main([str(videos["portrait"]), "--checkpoint", str(checkpoint), "--top", "2", "--crops", "3"]) == 0
    assert len(capsys.readouterr().out.splitlines()) == 3
    printed = {}
    for flag in ("--reverse", "--no-reverse"):  # the backward views change the probabilities
        assert main([str(videos["webm"]), "--checkpoint", str(checkpoint), "--clips", "2", flag]) == 0
        printed[flag] = capsys.readouterr().out
    assert len(printed["--reverse"].splitlines()) == 6 and printed["--reverse"] != printed["--no-reverse"]
    assert main([str(videos["webm"]), "--checkpoint", str(tmp_path / "none.pt")]) == 2
    assert "checkpoint not found" in capsys.readouterr().err
