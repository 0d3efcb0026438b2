"""The pretraining: a draw of the sample's generator, trained with train's recipe at one size."""

import dataclasses

import pytest
import torch
import yaml

from conftest import REPO, sample_config, train_config
from ssv2 import config
from ssv2.checkpoint import MODEL, TRAIN_VIDEOS, load_model
from ssv2.models import build_model
from ssv2.pretrain import VALIDATION_PER_CLASS, backbone, draw, pretrain, recipe

PUSHING = ["Pushing something from left to right", "Pushing something from right to left"]


def pretrain_config(**changes) -> config.PretrainConfig:
    return dataclasses.replace(config.load(config.PretrainConfig, "pretrain", REPO / "params.yaml"), **changes)


def test_draw_keeps_the_samples_look_at_its_own_seed_and_size():
    sample = sample_config()
    drawn = draw(sample, pretrain_config(videos_per_class=7, seed=1234))
    assert (drawn.seed, drawn.train_per_class, drawn.validation_per_class) == (1234, 7, VALIDATION_PER_CLASS)
    assert drawn.test_per_class == 0 and drawn.broken == 0
    kept = ("classes", "widths", "object_size", "clutter", "texture", "noise", "shake", "light")
    assert all(getattr(drawn, k) == getattr(sample, k) for k in kept)


@pytest.mark.parametrize("crop", [64, [48, 80]])
def test_recipe_trains_from_scratch_at_one_size(crop):
    model_cfg = dataclasses.replace(config.load(config.ModelConfig, "model", REPO / "params.yaml"), pretrained="x.pth")
    train_cfg = train_config(progressive=[32, 48], epochs=90, lr=0.003)
    model, train = recipe(model_cfg, train_cfg, pretrain_config(epochs=5, crop=crop))
    assert model.pretrained is None and dataclasses.replace(model, pretrained="x.pth") == model_cfg
    assert (train.epochs, train.crop, train.progressive) == (5, crop, None)
    assert dataclasses.replace(train, epochs=90, crop=train_cfg.crop, progressive=[32, 48]) == train_cfg


def test_backbone_drops_the_classifier_in_bf16():
    state = backbone(build_model(18, 5, width=8))
    assert state and not any(k.startswith("fc.") for k in state)
    assert {v.dtype for v in state.values() if v.is_floating_point()} == {torch.bfloat16}


def test_pretrain_writes_the_start_of_a_model_with_other_classes(tmp_path):
    """Real videos drawn straight into a store and trained: the weights load into a model of 174 classes."""
    sample = sample_config(classes=PUSHING, widths=[96])
    store = dataclasses.replace(config.load(config.StoreConfig, "store", REPO / "params.yaml"), short_side=32)
    model_cfg = config.ModelConfig(depth=18, width=8, pool="max", centre=True, pretrained=None, stem_pool=True)
    train_cfg = train_config(frames=4, batch_size=4, workers=0, warmup_epochs=0)
    out = tmp_path / "pretrained.pth"
    history = pretrain(
        sample, store, model_cfg, train_cfg, pretrain_config(videos_per_class=2, epochs=2, crop=24), tmp_path, out
    )
    assert len(history) == 2 and {h["crop_height"] for h in history} == {24}
    weights = torch.load(out)
    model = build_model(18, 174, width=8, centre=True, stem_pool=True, pretrained=out)
    torch.testing.assert_close(model.stem[0].weight, weights["stem.0.weight"].float())
    # Trained on the draw's store, 2 videos of each class, which is deleted after; no webm written.
    _, trained = load_model(tmp_path / "models" / MODEL)
    names = trained["class_names"]
    assert {names[i]: n for i, n in enumerate(trained[TRAIN_VIDEOS]) if n} == dict.fromkeys(PUSHING, 2)
    assert not (tmp_path / "store").exists() and not list(tmp_path.rglob("*.webm"))


def test_the_pretrain_stage_reruns_for_every_train_param_it_trains_with():
    """dvc.yaml lists train's fields one by one, so that a new one cannot be left out unnoticed."""
    stage = yaml.safe_load((REPO / "dvc.yaml").read_text())["stages"]["pretrain"]
    listed = {p.removeprefix("train.") for p in stage["params"] if p.startswith("train.")}
    replaced = {"epochs", "crop", "progressive"}  # by recipe()
    speed = {"workers", "processes", "compile", "decode_on"}  # how fast, not what is learnt
    reported = {"validate_every"}  # what is measured, not what is learnt
    assert listed == {f.name for f in dataclasses.fields(config.TrainConfig)} - replaced - speed - reported
