import json
import re
import runpy
from pathlib import Path

import numpy as np
import pytest
import yaml

import ssv2.sample as sample
from conftest import sample_config
from ssv2.annotations import parse_dataset
from ssv2.config import DataConfig, ParamsError
from ssv2.sample import (
    DRAWABLE,
    FORWARD,
    LAYOUT,
    REVERSED,
    draw_video,
    drawn_dataset,
    fill,
    make_sample,
    plan_sample,
    read_drawn,
    real_class_names,
    template,
    video_rng,
)
from ssv2.video import VideoError, decode_video

REPO = Path(__file__).parent.parent
stage_main = runpy.run_path(str(REPO / "stages" / "sample.py"))["main"]  # stages/ is no package
SEED = 3
PER_CLASS = {"train": 1, "validation": 1, "test": 1}
BROKEN = 4  # one of each kind
CFG = sample_config(seed=SEED, train_per_class=1, validation_per_class=1, test_per_class=1, broken=BROKEN)
CLASSES = CFG.classes
REASONS = {"missing": "missing", "truncated": "truncated", "empty": "empty", "garbage": "unreadable"}


@pytest.fixture(scope="module")
def root(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("sample") / "ssv2"
    root.mkdir()
    (root / "stale.txt").write_text("from an older run")
    make_sample(root, CFG, workers=2)
    return root


def read(root: Path, key: str):
    return json.loads((root / LAYOUT[key]).read_text(encoding="utf-8"))


def files(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def test_classes_are_real_ssv2_names(ssv2_names):
    assert len(ssv2_names) == 174 and len(DRAWABLE) == 13 and set(DRAWABLE) <= set(ssv2_names)
    assert set(CLASSES) <= set(DRAWABLE)
    assert set(REVERSED.values()) <= set(FORWARD) and not set(REVERSED) & set(FORWARD)


def test_template_and_label():
    assert template("Covering something with something") == "Covering [something] with [something]"
    assert template("Moving away from something with your camera") == "Moving away from [something] with your camera"
    assert (
        fill("Covering [something] with [something]", ('a "red" cup, small', "日本茶の缶"))
        == 'covering a "red" cup, small with 日本茶の缶'
    )


def test_layout_and_schema(root, ssv2_names):
    assert not (root / "stale.txt").exists()
    assert not list(root.parent.glob(".ssv2.*")), "temporary build folders left behind"
    labels = read(root, "labels")
    assert all(isinstance(v, str) for v in labels.values())
    assert list(labels) == ssv2_names, "the real labels.json: all 174 classes, the splits use a subset"
    assert [int(v) for v in labels.values()] == list(range(174))

    ids = []
    for split in ("train", "validation"):
        entries = read(root, split)
        counts = {name: 0 for name in CLASSES}
        for e in entries:
            assert set(e) == {"id", "label", "template", "placeholders"}
            brackets = re.findall(r"\[[^\]]*\]", e["template"])
            assert brackets and all(b == "[something]" for b in brackets)
            assert len(e["placeholders"]) == len(brackets) and all(isinstance(p, str) for p in e["placeholders"])
            counts[e["template"].replace("[", "").replace("]", "")] += 1
            assert e["label"] == fill(e["template"], tuple(e["placeholders"]))
            assert e["label"][0].islower()
        assert min(counts.values()) == PER_CLASS[split]
        assert len(entries) == PER_CLASS[split] * len(CLASSES) + (BROKEN if split == "train" else 0)
        ids += [e["id"] for e in entries]
    test = read(root, "test")
    assert all(set(e) == {"id"} for e in test) and len(test) == PER_CLASS["test"] * len(CLASSES)
    ids += [e["id"] for e in test]
    assert len(ids) == len(set(ids)) == len(CLASSES) * 3 + BROKEN
    assert all(isinstance(i, str) and i.isdigit() and not i.startswith("0") for i in ids)

    train_text = (root / LAYOUT["train"]).read_text(encoding="utf-8")
    assert not train_text.isascii(), "JSON must keep non-ASCII text as is"
    missing = {v.id for v in plan_sample(SEED, CLASSES, PER_CLASS, BROKEN)["train"] if v.kind == "missing"}
    assert {p.stem for p in (root / LAYOUT["videos"]).iterdir()} == set(ids) - missing
    assert all(p.suffix == ".webm" for p in (root / LAYOUT["videos"]).iterdir())


def test_plan_matches_files(root):
    plan = plan_sample(SEED, CLASSES, PER_CLASS, BROKEN)
    for split in ("train", "validation", "test"):
        assert [e["id"] for e in read(root, split)] == [v.id for v in plan[split]]
    for split in ("train", "validation"):
        assert [e["template"] for e in read(root, split)] == [template(v.name) for v in plan[split]]
        indices = [v.index for v in plan[split]]
        assert indices != sorted(indices), "entries are shuffled"
    assert sorted(v.kind for v in plan["train"]) == sorted(["ok"] * len(CLASSES) + list(REASONS))


def test_valid_videos_decode(root):
    plan = plan_sample(SEED, CLASSES, PER_CLASS, BROKEN)
    shapes = set()
    for v in (v for videos in plan.values() for v in videos if v.kind == "ok"):
        video = decode_video(root / LAYOUT["videos"] / f"{v.id}.webm")
        assert video.shape[1] == 240 and video.shape[2] in CFG.widths and 24 <= len(video) <= 60
        shapes.add(video.shape[2])
    assert len(shapes) > 1, "widths vary between videos"


def test_broken_entries_fail_for_their_reason(root):
    broken = [v for v in plan_sample(SEED, CLASSES, PER_CLASS, BROKEN)["train"] if v.kind != "ok"]
    assert sorted(v.kind for v in broken) == sorted(REASONS)
    for v in broken:
        with pytest.raises(VideoError) as error:
            decode_video(root / LAYOUT["videos"] / f"{v.id}.webm")
        assert error.value.reason.startswith(REASONS[v.kind]), (v.kind, error.value.reason)


@pytest.mark.parametrize("short_side", [None, 64])
def test_read_drawn_is_the_webm_without_its_codec(root, short_side):
    """The pretraining's store reader gives the frames decode_video gives for make_sample's file of the
    same planned video: same shape and order, within the codec's loss (the resize filters agree too)."""
    for v in plan_sample(SEED, CLASSES, PER_CLASS, BROKEN)["validation"][:4]:
        decoded = decode_video(root / LAYOUT["videos"] / f"{v.id}.webm", short_side, max_frames=20)
        drawn = read_drawn(v, short_side, cfg=CFG, max_frames=20)
        assert drawn.shape == decoded.shape and drawn.dtype == np.uint8
        assert np.abs(drawn.astype(int) - decoded).mean() < 4, v


def test_read_drawn_refuses_what_decode_video_refuses():
    plan = plan_sample(SEED, CLASSES, PER_CLASS, BROKEN)["train"]
    broken = next(v for v in plan if v.kind != "ok")
    with pytest.raises(VideoError, match=broken.kind):
        read_drawn(broken, cfg=CFG)
    with pytest.raises(VideoError, match="too short"):
        read_drawn(next(v for v in plan if v.kind == "ok"), cfg=CFG, min_frames=61, name="x")


def test_drawn_dataset_is_what_parse_dataset_reads_from_the_files(root):
    class_names, parsed = parse_dataset(DataConfig(root=str(root), **LAYOUT))
    names, tables = drawn_dataset(CFG)
    assert names == class_names == real_class_names() and sorted(tables) == ["train", "validation"]
    for split, table in tables.items():
        assert list(table["id"]) == list(parsed[split]["id"])
        assert list(table["label"]) == list(parsed[split]["label"])


def test_deterministic_whatever_the_workers(root, tmp_path):
    make_sample(tmp_path / "again", CFG, workers=1)
    assert files(tmp_path / "again") == files(root)
    make_sample(
        tmp_path / "other",
        sample_config(seed=SEED + 1, train_per_class=1, validation_per_class=0, test_per_class=0, broken=0),
        workers=1,
    )
    other = files(tmp_path / "other")
    assert other[LAYOUT["train"]] != files(root)[LAYOUT["train"]]
    videos = {k: v for k, v in files(root).items() if k.endswith(".webm")}
    assert not set(videos.values()) & {v for k, v in other.items() if k.endswith(".webm")}


@pytest.mark.parametrize("partner", sorted(REVERSED))
def test_partner_is_forward_reversed(root, partner):
    """The partner's decoded frames match a fresh forward draw from its RNG played backwards."""
    (video,) = [v for v in plan_sample(SEED, CLASSES, PER_CLASS, BROKEN)["validation"] if v.name == partner]
    decoded = decode_video(root / LAYOUT["videos"] / f"{video.id}.webm").astype(np.float32)
    forward = draw_video(REVERSED[partner], video_rng(SEED, "validation", video.index), CFG).astype(np.float32)
    assert decoded.shape == forward.shape
    backwards = np.abs(decoded - forward[::-1]).mean()
    assert backwards < 4, backwards  # VP9 loss only
    assert np.abs(decoded - forward).mean() > 1.5 * backwards  # sensor noise narrows the gap


def foreground(video: np.ndarray) -> np.ndarray:
    """(T, H, W) mask of the pixels that differ from their median over time: the moving objects."""
    return np.abs(video.astype(np.int16) - np.median(video, axis=0)).sum(-1) > 60


def centroids(video: np.ndarray) -> np.ndarray:
    """(T, 2) centre (row, column) of the moving objects in each frame."""
    return np.array([np.mean(np.nonzero(m), axis=1) for m in foreground(video)])


def spread(video: np.ndarray) -> np.ndarray:
    """(T,) RMS distance of the moving objects' pixels from their centre: half the gap between two."""
    return np.array([np.sqrt(np.nonzero(m)[0].var() + np.nonzero(m)[1].var()) for m in foreground(video)])


def pan_shift(video: np.ndarray) -> float:
    """Total horizontal scene motion in pixels, from the best integer shift between neighbouring frames."""
    gray = video.astype(np.float32).mean(-1)
    width, total = gray.shape[2], 0
    for a, b in zip(gray[:-1], gray[1:]):
        errors = {d: np.abs(b[:, 20 + d : width - 20 + d] - a[:, 20 : width - 20]).mean() for d in range(-20, 21)}
        total += min(errors, key=errors.get)
    return total


# The geometry of each motion, seen without clutter, shake, light drift or noise.
CLEAN = sample_config(clutter=[0, 0], noise=0.0, shake=[0.0, 0.0], light=0.0, texture=[0.0, 2.0], still_partner=0.0)


@pytest.mark.parametrize("index", range(4))
def test_forward_motions_go_the_right_way(index):
    up = centroids(draw_video("Moving something up", video_rng(7, "train", index), CLEAN))
    assert up[0, 0] - up[-1, 0] > 25  # rows count downwards
    right = centroids(draw_video("Pushing something from left to right", video_rng(7, "train", index), CLEAN))
    assert right[-1, 1] - right[0, 1] > 25
    down = centroids(draw_video("Moving something down", video_rng(7, "train", index), CLEAN))
    assert down[-1, 0] - down[0, 0] > 25
    closer = spread(
        draw_video("Moving something and something closer to each other", video_rng(7, "train", index), CLEAN)
    )
    assert closer[0] - closer[-1] > 5
    # Turning the camera left slides the scene to the right.
    assert (
        pan_shift(draw_video("Turning the camera left while filming something", video_rng(7, "train", index), CLEAN))
        > 40
    )


def test_failed_build_keeps_the_old_dataset(tmp_path, monkeypatch):
    root = tmp_path / "ssv2"
    root.mkdir()
    (root / "old.txt").write_text("keep me")

    def fail(task):
        raise RuntimeError("killed")

    monkeypatch.setattr(sample, "_write", fail)
    with pytest.raises(RuntimeError, match="killed"):
        make_sample(root, CFG, workers=1)
    assert [p.name for p in tmp_path.iterdir()] == ["ssv2"] and (root / "old.txt").read_text() == "keep me"


def test_bad_counts_are_refused():
    with pytest.raises(ValueError, match="per_class"):
        plan_sample(0, CLASSES, {"train": 1, "validation": 1}, 0)
    with pytest.raises(ValueError, match="broken"):
        plan_sample(0, CLASSES, PER_CLASS, -1)
    with pytest.raises(ParamsError, match="sample.classes"):
        plan_sample(0, ["Holding something", "Dropping something"], PER_CLASS, 0)


def write_params(directory: Path, **data) -> None:
    params = yaml.safe_load((REPO / "params.yaml").read_text())
    params["data"].update(data)
    (directory / "params.yaml").write_text(yaml.safe_dump(params))


def test_stage_skips_a_real_dataset(tmp_path, monkeypatch, capsys):
    write_params(tmp_path, root="/datasets/ssv2")
    (tmp_path / "data" / "sample" / "20bn-something-something-v2").mkdir(parents=True)
    (tmp_path / "data" / "sample" / "20bn-something-something-v2" / "1.webm").write_bytes(b"old")
    monkeypatch.chdir(tmp_path)
    stage_main()
    assert [p.name for p in (tmp_path / "data" / "sample").iterdir()] == ["SKIPPED.txt"]
    note = (tmp_path / "data" / "sample" / "SKIPPED.txt").read_text()
    assert "/datasets/ssv2" in note and "skipped" in note
    assert "/datasets/ssv2" in capsys.readouterr().out


def test_stage_refuses_a_renamed_sample_layout(tmp_path, monkeypatch):
    write_params(tmp_path, videos="videos")
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ParamsError, match="data.videos"):
        stage_main()
    assert not (tmp_path / "data").exists()


@pytest.mark.parametrize("still_partner", [0.0, 1.0])
def test_closer_slides_one_object_to_a_still_one(monkeypatch, still_partner):
    """With sample.still_partner 1 one object of "closer" stands still while the other is slid to it; with 0 both move."""
    filmed = []
    monkeypatch.setattr(sample, "_film", lambda rng, cfg, scene, shapes, centres, *view: filmed.append(centres))
    cfg = sample_config(shake=[0.0, 0.0], still_partner=still_partner)
    for index in range(6):
        draw_video("Moving something and something closer to each other", video_rng(7, "train", index), cfg)
    assert len(filmed) == 6
    for centres in filmed:  # (T, 2 objects, 2)
        travel = np.abs(centres - centres[0]).max(axis=(0, 2))
        gap = np.linalg.norm(centres[:, 0] - centres[:, 1], axis=1)
        assert gap[0] - gap[-1] > 20
        if still_partner:
            assert sorted(travel)[0] < 1e-6 and sorted(travel)[1] > 20, travel
        else:
            assert min(travel) > 5, travel
