import pytest
import yaml

from ssv2 import config
from ssv2.config import ParamsError, StoreConfig, TrainConfig


def test_repository_params_load(tmp_path):
    from conftest import REPO

    params = config.load_params(REPO / "params.yaml")
    for cls, section in [
        (config.DataConfig, "data"),
        (config.SampleConfig, "sample"),
        (StoreConfig, "store"),
        (config.ModelConfig, "model"),
        (TrainConfig, "train"),
        (config.EvaluateConfig, "evaluate"),
    ]:
        assert isinstance(config.from_dict(cls, params[section], section), cls)


def _store(**overrides):
    return {
        "codec": "raw",
        "short_side": 64,
        "max_frames": 96,
        "min_frames": 8,
        "quality": 90,
        "workers": 0,
        "shard_videos": 128,
        **overrides,
    }


def test_ints_are_accepted_for_floats_but_not_bools_for_ints():
    assert config.from_dict(StoreConfig, _store(), "store").short_side == 64
    with pytest.raises(ParamsError, match=r"store.short_side must be int, got bool True"):
        config.from_dict(StoreConfig, _store(short_side=True), "store")


@pytest.mark.parametrize(
    "overrides, message",
    [
        ({"short_side": "64"}, r"params.yaml: store.short_side must be int, got str '64'"),
        ({"codec": "png"}, r"store.codec must be one of raw, jpeg, got 'png'"),
        ({"extra": 1}, r"unknown key\(s\) store.extra"),
    ],
)
def test_bad_values_name_the_key(overrides, message):
    with pytest.raises(ParamsError, match=message):
        config.from_dict(StoreConfig, _store(**overrides), "store")


def test_yaml_exponent_without_dot_is_a_clear_type_error(tmp_path):
    path = tmp_path / "params.yaml"
    path.write_text("evaluate: {clips: 1, crops: 1, reverse: false, batch_size: 1e3}\n")
    with pytest.raises(ParamsError, match=r"evaluate.batch_size must be int, got str '1e3'"):
        config.load(config.EvaluateConfig, "evaluate", path)


def test_missing_file_section_and_key(tmp_path):
    with pytest.raises(ParamsError, match="not found"):
        config.load(StoreConfig, "store", tmp_path / "nope.yaml")
    path = tmp_path / "params.yaml"
    path.write_text("store: {codec: raw}\n")
    with pytest.raises(ParamsError, match="missing section 'model'"):
        config.load(config.ModelConfig, "model", path)
    with pytest.raises(ParamsError, match=r"missing key\(s\) store.short_side"):
        config.load(StoreConfig, "store", path)
    path.write_text("store: [\n")
    with pytest.raises(ParamsError, match="not valid YAML"):
        config.load(StoreConfig, "store", path)


# The out-of-range values a user tried (issue 11): each stops the load of its section, naming the key.
@pytest.mark.parametrize(
    "section, key, value, message",
    [
        ("train", "frames", 0, "train.frames must be positive, got 0"),
        ("train", "batch_size", 0, "train.batch_size must be positive, got 0"),
        ("train", "lr", -1, r"train.lr must be in \(0, 10\], got -1"),
        ("train", "label_smoothing", 5, r"train.label_smoothing must be in \[0, 1\), got 5"),
        ("train", "epochs", 0, "train.epochs must be positive, got 0"),
        ("train", "momentum", 1.5, r"train.momentum must be in \[0, 1\)"),
        ("store", "short_side", 0, "store.short_side must be at least 16, got 0"),
        ("store", "quality", 0, r"store.quality must be in \[1, 100\]"),
        ("evaluate", "clips", 0, "evaluate.clips must be positive, got 0"),
        ("evaluate", "batch_size", -4, "evaluate.batch_size must be positive, got -4"),
    ],
)
def test_out_of_range_values_name_the_key(tmp_path, section, key, value, message):
    from conftest import REPO

    params = config.load_params(REPO / "params.yaml")
    params[section][key] = value
    path = tmp_path / "params.yaml"
    path.write_text(yaml.safe_dump(params))
    with pytest.raises(ParamsError, match=message):
        config.load(config.SECTIONS[section], section, path)


@pytest.mark.parametrize(
    "changes, section, message",
    [
        (
            {"train.crop": 96, "store.short_side": 80},
            "train",
            r"train.crop's shorter side must be at most store.short_side .*got train.crop=96, store.short_side=80",
        ),
        (
            {"train.crop": 96, "store.short_side": 80},
            "store",
            r"train.crop's shorter side must be at most store.short_side",
        ),
        ({"train.crop": [96, 120], "store.short_side": 80}, "store", r"train.crop's shorter side must be at most"),
        (
            {"train.progressive": [64, [96, 160]], "train.crop": 80, "store.short_side": 80},
            "train",
            r"train.progressive's shorter sides must be at most store.short_side .*got train.progressive=\[64, \[96, 160\]\]",
        ),
        ({"model.scene": True, "model.centre": False}, "model", "model.scene needs model.centre true"),
        ({"model.still": 0.2, "model.centre": False}, "model", "model.still needs model.centre true"),
        (
            {"model.scene": True, "model.centre": True, "model.pretrained": "r3d.pth", "model.width": 64},
            "model",
            "model.scene needs model.pretrained null",
        ),
        ({"store.min_frames": 200}, "store", "store.min_frames must be at most store.max_frames"),
        ({"pretrain.crop": 96, "store.short_side": 80}, "pretrain", r"pretrain.crop's shorter side must be at most"),
        (
            {"pretrain.videos_per_class": 120, "model.pretrained": "r3d.pth"},
            "model",
            "set pretrain.videos_per_class: 0 to start from model.pretrained",
        ),
        ({"tune.n_trials": None, "tune.timeout": None}, "tune", "both null"),
    ],
)
def test_cross_key_rules(tmp_path, changes, section, message):
    from conftest import REPO

    params = config.load_params(REPO / "params.yaml")
    for key, value in changes.items():
        s, k = key.split(".")
        params[s][k] = value
    path = tmp_path / "params.yaml"
    path.write_text(yaml.safe_dump(params))
    with pytest.raises(ParamsError, match=message):
        config.load(config.SECTIONS[section], section, path)


def test_a_stage_stops_on_a_bad_value_before_any_work(tmp_path):
    import subprocess
    import sys

    from conftest import REPO

    params = config.load_params(REPO / "params.yaml")
    params["train"]["frames"] = 0
    (tmp_path / "params.yaml").write_text(yaml.safe_dump(params))
    result = subprocess.run(
        [sys.executable, str(REPO / "stages" / "train.py")], cwd=tmp_path, capture_output=True, text=True, timeout=120
    )
    assert result.returncode != 0 and "train.frames must be positive, got 0" in result.stderr
    assert not (tmp_path / "models").exists() and not (tmp_path / "mlflow.db").exists()


@pytest.mark.parametrize(
    "key, value, error",
    [
        ("crop", 80, None),
        ("crop", [64, 100], None),
        ("crop", [64], "train.crop must be a side"),
        ("crop", [64, 100, 3], "train.crop must be a side"),
        ("crop", [4, 100], "train.crop must be a side"),
        ("crop", "80", "train.crop must be int | list"),
        ("progressive", None, None),
        ("progressive", [64, 96], None),
        ("progressive", [[64, 100], 96], None),
        ("progressive", [4, 96], "train.progressive must be null or a list of crops"),
        ("progressive", [[64]], "train.progressive must be null or a list of crops"),
        ("progressive", 64, "train.progressive must be list"),
    ],
)
def test_crops_are_a_side_or_height_and_width(key, value, error):
    """train.crop, and each of train.progressive's smaller crops."""
    from conftest import REPO

    train = {**config.load_params(REPO / "params.yaml")["train"], key: value}
    if error is None:
        assert getattr(config.from_dict(TrainConfig, train, "train"), key) == value
    else:
        with pytest.raises(ParamsError, match=error):
            config.from_dict(TrainConfig, train, "train")
