"""Typed views of the sections of params.yaml, loaded once per stage."""

from __future__ import annotations

import dataclasses
import types
import typing
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import yaml

PARAMS_FILE = "params.yaml"
SAMPLE_ROOT = "data/sample"


class ParamsError(ValueError):
    """A params file that is missing, malformed, or holds a value of the wrong type."""


@dataclass(frozen=True)
class DataConfig:
    root: str
    labels: str
    train: str
    validation: str
    test: str
    videos: str

    def path(self, name: str) -> Path:
        """Path of one of the annotation files or the video folder, under root."""
        return Path(self.root) / getattr(self, name)

    @property
    def is_sample(self) -> bool:
        return Path(self.root) == Path(SAMPLE_ROOT)


@dataclass(frozen=True)
class SampleConfig:
    seed: int
    train_per_class: int
    validation_per_class: int
    test_per_class: int
    broken: int


@dataclass(frozen=True)
class StoreConfig:
    codec: str
    short_side: int
    max_frames: int
    min_frames: int
    quality: int
    workers: int
    shard_videos: int


@dataclass(frozen=True)
class ModelConfig:
    depth: int
    pretrained: str | None


@dataclass(frozen=True)
class TrainConfig:
    seed: int
    frames: int
    crop: int
    flip: bool
    epochs: int
    batch_size: int
    optimizer: str
    lr: float
    momentum: float
    weight_decay: float
    warmup_epochs: float
    label_smoothing: float
    workers: int


@dataclass(frozen=True)
class EvaluateConfig:
    clips: int
    crops: int
    batch_size: int


@dataclass(frozen=True)
class TuneConfig:
    study: str
    storage: str
    n_trials: int | None
    timeout: float | None
    epochs: int
    seed: int
    lr: list[float]
    frames: list[int]
    depths: list[int]
    pruner: str
    startup_trials: int
    min_epochs: int
    reduction_factor: int
    heartbeat: int
    grace: int
    out: str


T = TypeVar("T")

# Checks beyond the type: each returns an error message or None.
_CHECKS: dict[tuple[str, str], typing.Callable[[Any], str | None]] = {
    ("model", "depth"): lambda v: None if v in (18, 34, 50) else "must be 18, 34 or 50",
    ("train", "crop"): lambda v: None if v > 0 else "must be positive",
    ("train", "optimizer"): lambda v: None if v in ("sgd", "adamw") else "must be sgd or adamw",
    ("store", "codec"): lambda v: None if v in ("raw", "jpeg") else "must be raw or jpeg",
    ("store", "shard_videos"): lambda v: None if v > 0 else "must be positive",
    ("evaluate", "crops"): lambda v: None if v in (1, 3) else "must be 1 or 3",
    ("tune", "lr"): lambda v: None if len(v) == 2 and 0 < v[0] < v[1] else "must be [low, high] with 0 < low < high",
    ("tune", "frames"): lambda v: None if v and min(v) > 0 else "must be a non-empty list of positive frame counts",
    ("tune", "depths"): lambda v: None if v and set(v) <= {18, 34, 50} else "must be a non-empty list of 18, 34, 50",
    ("tune", "pruner"): lambda v: None if v in ("median", "hyperband", "none") else "must be median, hyperband or none",
    ("tune", "n_trials"): lambda v: None if v is None or v > 0 else "must be positive or null",
    ("tune", "timeout"): lambda v: None if v is None or v > 0 else "must be positive or null",
    ("tune", "epochs"): lambda v: None if v > 0 else "must be positive",
    ("tune", "min_epochs"): lambda v: None if v > 0 else "must be positive",
    ("tune", "startup_trials"): lambda v: None if v >= 0 else "must not be negative",
    ("tune", "reduction_factor"): lambda v: None if v > 1 else "must be at least 2",
    ("tune", "heartbeat"): lambda v: None if v > 0 else "must be positive",
}


def _check_tune(values: dict[str, Any]) -> str | None:
    if values["n_trials"] is None and values["timeout"] is None:
        return "tune.n_trials and tune.timeout are both null; the search would never end"
    if values["grace"] <= values["heartbeat"]:
        return f"tune.grace must exceed tune.heartbeat, got {values['grace']!r}"
    return None


# Checks across the keys of a section, once each key is valid on its own: an error message or None.
_SECTION_CHECKS: dict[str, typing.Callable[[dict[str, Any]], str | None]] = {"tune": _check_tune}


def _check_type(value: Any, annotation: Any) -> bool:
    if isinstance(annotation, types.UnionType) or typing.get_origin(annotation) is typing.Union:
        return any(_check_type(value, a) for a in typing.get_args(annotation))
    if annotation is type(None):
        return value is None
    if annotation is float:  # YAML writes 1 for 1.0; bools are ints in Python but not here
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if annotation is int:
        return isinstance(value, int) and not isinstance(value, bool)
    if typing.get_origin(annotation) is list:
        (item,) = typing.get_args(annotation)
        return isinstance(value, list) and all(_check_type(v, item) for v in value)
    return isinstance(value, annotation)


def from_dict(cls: type[T], values: Any, section: str, source: str = PARAMS_FILE) -> T:
    """Build the dataclass `cls` from a dict, naming the file and key of any bad value."""
    if not isinstance(values, dict):
        raise ParamsError(f"{source}: section '{section}' must be a mapping, got {values!r}")
    hints = typing.get_type_hints(cls)
    names = [f.name for f in dataclasses.fields(cls)]
    unknown = sorted(set(values) - set(names))
    missing = [n for n in names if n not in values]
    if unknown:
        raise ParamsError(f"{source}: unknown key(s) {', '.join(f'{section}.{k}' for k in unknown)}")
    if missing:
        raise ParamsError(f"{source}: missing key(s) {', '.join(f'{section}.{k}' for k in missing)}")
    for name in names:
        value, annotation = values[name], hints[name]
        if not _check_type(value, annotation):
            expected = annotation.__name__ if isinstance(annotation, type) else str(annotation)
            raise ParamsError(
                f"{source}: {section}.{name} must be {expected}, got {type(value).__name__} {value!r}"
            )
        check = _CHECKS.get((section, name))
        if check and (message := check(value)):
            raise ParamsError(f"{source}: {section}.{name} {message}, got {value!r}")
    check = _SECTION_CHECKS.get(section)
    if check and (message := check(values)):
        raise ParamsError(f"{source}: {message}")
    return cls(**{n: _convert(values[n], hints[n]) for n in names})


def _convert(value: Any, annotation: Any) -> Any:
    """YAML's ints as floats where a float is expected, also inside lists."""
    if typing.get_origin(annotation) is list:
        return [_convert(v, typing.get_args(annotation)[0]) for v in value]
    if isinstance(value, int) and float in (annotation, *typing.get_args(annotation)):
        return float(value)
    return value


def load_params(path: str | Path = PARAMS_FILE) -> dict[str, Any]:
    """The whole params file as a dict."""
    path = Path(path)
    try:
        params = yaml.safe_load(path.read_text())
    except FileNotFoundError:
        raise ParamsError(f"{path}: not found (run from the repository root)") from None
    except yaml.YAMLError as e:
        raise ParamsError(f"{path}: not valid YAML: {e}") from None
    if not isinstance(params, dict):
        raise ParamsError(f"{path}: must be a mapping of sections")
    return params


def load(cls: type[T], section: str, path: str | Path = PARAMS_FILE) -> T:
    """Load one section of the params file into its dataclass."""
    params = load_params(path)
    if section not in params:
        raise ParamsError(f"{path}: missing section '{section}'")
    return from_dict(cls, params[section], section, str(path))
