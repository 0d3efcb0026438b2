import pytest

from ssv2 import config
from ssv2.config import ParamsError, StoreConfig, TrainConfig


def test_repository_params_load(tmp_path):
    from conftest import REPO
    params = config.load_params(REPO / "params.yaml")
    for cls, section in [(config.DataConfig, "data"), (config.SampleConfig, "sample"), (StoreConfig, "store"),
                         (config.ModelConfig, "model"), (TrainConfig, "train"), (config.EvaluateConfig, "evaluate")]:
        assert isinstance(config.from_dict(cls, params[section], section), cls)


def _store(**overrides):
    return {"codec": "raw", "short_side": 64, "max_frames": 96, "min_frames": 8, "quality": 90, "workers": 0,
            "shard_videos": 128, **overrides}


def test_ints_are_accepted_for_floats_but_not_bools_for_ints():
    assert config.from_dict(StoreConfig, _store(), "store").short_side == 64
    with pytest.raises(ParamsError, match=r"store.short_side must be int, got bool True"):
        config.from_dict(StoreConfig, _store(short_side=True), "store")


@pytest.mark.parametrize("overrides, message", [
    ({"short_side": "64"}, r"params.yaml: store.short_side must be int, got str '64'"),
    ({"codec": "png"}, r"store.codec must be raw or jpeg"),
    ({"extra": 1}, r"unknown key\(s\) store.extra"),
])
def test_bad_values_name_the_key(overrides, message):
    with pytest.raises(ParamsError, match=message):
        config.from_dict(StoreConfig, _store(**overrides), "store")


def test_yaml_exponent_without_dot_is_a_clear_type_error(tmp_path):
    path = tmp_path / "params.yaml"
    path.write_text("evaluate: {clips: 1, crops: 1, batch_size: 1e3}\n")
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
