"""The generalisation benchmark's fresh draws and comparison of candidates (benchmarks/generalisation.py)."""

import importlib
import json
import sys

import pandas as pd
import pytest

from conftest import REPO, moving_square
from ssv2 import config
from ssv2.annotations import parse_dataset
from ssv2.classes import reverse_map
from ssv2.sample import LABELS_FILE, LAYOUT, plan_sample
from ssv2.store import materialise
from ssv2.video import decode_video, write_video

sys.path.insert(0, str(REPO / "benchmarks"))
from generalisation import (  # noqa: E402
    FRESH,
    FRESH_SEED_SHIFT,
    HELD_OUT,
    PAIRS8,
    ROW_FILE,
    TUNE,
    build_dataset,
    finished,
    gap_table,
    paired_gap,
    parse_changes,
    place,
    row_file,
    trained_elsewhere,
    views,
    with_changes,
)


def test_the_gap_pairs_trainings_of_the_same_variant_and_seed():
    baseline = {("shelf", 0): 76.6, ("shelf", 1): 82.8, ("foreign", 0): 100.0}
    candidate = {("shelf", 0): 76.6, ("shelf", 1): 75.0, ("shelf", 2): 10.0}
    # shelf seed 2 has no baseline and foreign no candidate: neither counts. Gaps 0 and -7.8.
    assert paired_gap(candidate, baseline) == "-3.9 +- 3.9"


@pytest.mark.parametrize("scores, shown", [({("shelf", 0): 70.0}, "-6.6"), ({("shelf", 5): 70.0}, "-")])
def test_one_pair_has_no_standard_error_and_none_no_gap(scores, shown):
    assert paired_gap(scores, {("shelf", 0): 76.6}) == shown


def test_the_gap_table_pairs_by_seed_within_each_variant_and_over_all():
    row = lambda variant, seed, top1: {"variant": variant, "seed": seed, "fresh_top1": top1}  # noqa: E731
    ours = [row("desk", 0, 90.0), row("desk", 1, 94.0), row("floor", 0, 80.0), row("floor", 9, 1.0)]
    theirs = [row("desk", 0, 92.0), row("desk", 1, 90.0), row("floor", 0, 80.0), row("kitchen", 0, 50.0)]
    # floor seed 9 has no baseline, kitchen no new row: neither counts. Gaps: desk -2 and +4, floor 0.
    assert gap_table(ours, theirs).splitlines()[2:] == [
        "| desk | 92.0 | 91.0 | +1.0 +- 3.0 |",
        "| floor | 80.0 | 80.0 | +0.0 |",
        "| all | 88.0 | 87.3 | +0.7 +- 1.8 |",
    ]


def test_changes_are_read_as_yaml_and_split_at_the_first_equals_sign():
    assert parse_changes(["train.lr=0.001", "train.crop=[64, 100]", "model.stem_pool=false", "data.root=a=b"]) == {
        "train.lr": 0.001,
        "train.crop": [64, 100],
        "model.stem_pool": False,
        "data.root": "a=b",
    }


def test_a_fresh_draw_is_the_variant_at_another_seed_with_its_own_video_counts(tmp_path):
    params = config.load_params(REPO / "params.yaml")
    knobs = {"seed": 3, "classes": PAIRS8[:2], "widths": [96], "validation_per_class": 1}
    build_dataset(knobs, params, tmp_path, fresh=True)

    fresh = {s: json.loads((tmp_path / LAYOUT[s]).read_text()) for s in ("train", "validation", "test")}
    plan = plan_sample(3 + FRESH_SEED_SHIFT, PAIRS8[:2], {"train": 1, "validation": FRESH, "test": 0}, broken=0)
    assert {s: [v["id"] for v in videos] for s, videos in fresh.items()} == {
        s: [v.id for v in videos] for s, videos in plan.items()
    }
    assert all((tmp_path / LAYOUT["videos"] / f"{v['id']}.webm").is_file() for v in fresh["validation"])


def test_each_evaluation_of_a_training_has_a_row_of_its_own(tmp_path):
    params = config.load_params(REPO / "params.yaml")
    one = views(
        with_changes(params, {"evaluate.clips": 1, "evaluate.crops": 1, "evaluate.reverse": False}), PAIRS8, tmp_path
    )
    assert row_file(tmp_path, one) == tmp_path / ROW_FILE  # the rows scored before evaluate.reverse existed
    two = views(
        with_changes(params, {"evaluate.clips": 2, "evaluate.crops": 3, "evaluate.reverse": True}), PAIRS8, tmp_path
    )
    assert row_file(tmp_path, two) == tmp_path / "row-2x3-reverse.json"
    assert not finished(tmp_path)
    row_file(tmp_path, two).write_text("{}")
    assert finished(tmp_path)


def test_reuse_names_the_places_where_a_training_finished_that_it_cannot_take(tmp_path):
    here = tmp_path / "tabletop" / "models-0123456789-aaaaaa"
    for folder, where in [(here, place()), (here.with_name("models-0123456789-bbbbbb"), "AVX2, 99 threads")]:
        folder.mkdir(parents=True)
        (folder / ROW_FILE).write_text(json.dumps({"place": where}))
    (here.with_name("models-9999999999-cccccc")).mkdir()  # another recipe: not this training
    (here.with_name("models-9999999999-cccccc") / ROW_FILE).write_text(json.dumps({"place": "AVX512, 1 threads"}))
    assert trained_elsewhere(here) == ["AVX2, 99 threads"]


def test_reverse_auto_is_scored_as_the_classes_trained_on_turn_it_out(tmp_path):
    """Rows are named by the views they were scored with: auto as the evaluate stage resolves it."""
    names = [*PAIRS8[:2], "Holding something"]
    videos = {i: tmp_path / f"{i}.webm" for i in range(3)}
    for i, path in videos.items():
        write_video(path, moving_square(8, 32, 32, seed=i))
    table = pd.DataFrame(
        {"id": [str(i) for i in videos], "label": [0, 1, 2], "video": [str(p) for p in videos.values()]}
    )
    params = with_changes(config.load_params(REPO / "params.yaml"), {"evaluate.reverse": "auto"})
    for labels, reverse in (([0, 1, 1], True), ([0, 1, 2], False)):  # class 2, "Holding something", has no partner
        store = tmp_path / f"store-{reverse}"
        materialise(
            {"train": table.assign(label=labels)},
            store,
            codec="raw",
            short_side=32,
            max_frames=96,
            min_frames=1,
            workers=1,
        )
        assert views(params, names, store)["reverse"] is reverse


GENERATORS = sorted({knobs for knobs in {**TUNE, **HELD_OUT}.values() if isinstance(knobs, str)})


@pytest.mark.slow
@pytest.mark.parametrize("generator", GENERATORS)
def test_each_generator_writes_the_official_layout_with_time_reversal_pairs(generator, tmp_path):
    module = importlib.import_module(generator)
    getattr(module, f"make_{generator}")(
        tmp_path, 0, LABELS_FILE, train_per_class=1, validation_per_class=0, test_per_class=1
    )
    data = config.from_dict(
        config.DataConfig, {**config.load_params(REPO / "params.yaml")["data"], "root": str(tmp_path)}, "data"
    )
    class_names, tables = parse_dataset(data)
    used = sorted(tables["train"]["label"])
    assert len(class_names) == 174 and len(used) == len(set(used)) == len(tables["test"]) >= 8
    partner = reverse_map(class_names)
    assert all(partner[k] != k for k in used) and sorted(partner[k] for k in used) == used  # pairs, each drawn whole
    for path in [*tables["train"]["video"], *tables["test"]["video"]]:
        frames = decode_video(path)
        assert frames.shape[1] == 240 and len(frames) >= 16, (path, frames.shape)
