"""Typed views of the sections of params.yaml, loaded once per stage."""

from __future__ import annotations

import dataclasses
import types
import typing
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import yaml

PARAMS_FILE = "params.yaml"
SAMPLE_ROOT = "data/sample"
PRECISIONS = ("auto", "bf16", "float32")  # train.precision: auto is bf16 where the device has it natively


class ParamsError(ValueError):
    """A params file that is missing, malformed, or holds a value of the wrong type."""


Rule = tuple[typing.Callable[[Any], bool], str]  # (test of a value, what is allowed)


def _rule(test: typing.Callable[[Any], bool], allowed: str, default: Any = dataclasses.MISSING) -> Any:
    """A dataclass field whose value `from_dict` checks with `test` (null, where allowed, is not tested)."""
    return field(default=default, metadata={"rule": (test, allowed)})


Crop = int | Sequence[int]  # the model's input (train.crop): one side (a square) or [height, width]


def crop_size(crop: Crop) -> tuple[int, int]:
    """(height, width) of a crop given as one side or as [height, width]."""
    if isinstance(crop, int):
        return crop, crop
    height, width = crop
    return int(height), int(width)


def is_crop(value: Any) -> bool:
    """Whether a crop param is one side (a square) or [height, width], each at least 8."""
    return (isinstance(value, int) or len(value) == 2) and min(crop_size(value)) >= 8


def at_least(low: float) -> Any:
    return _rule(lambda v: v >= low, f"at least {low}")


def positive() -> Any:
    return _rule(lambda v: v > 0, "positive")


def within(low: float, high: float, *, high_open: bool = False) -> Any:
    if high_open:
        return _rule(lambda v: low <= v < high, f"in [{low}, {high})")
    return _rule(lambda v: low <= v <= high, f"in [{low}, {high}]")


def one_of(*choices: Any) -> Any:
    return _rule(lambda v: v in choices, "one of " + ", ".join(map(str, choices)))


def non_empty() -> Any:
    return _rule(lambda v: bool(v.strip()), "a non-empty string")


def span(low: float, high: float) -> Any:
    """A [a, b] range with low <= a <= b <= high."""
    return _rule(lambda v: len(v) == 2 and low <= v[0] <= v[1] <= high, f"[a, b] with {low} <= a <= b <= {high}")


@dataclass(frozen=True)
class DataConfig:
    root: str = non_empty()
    labels: str = non_empty()
    train: str = non_empty()
    validation: str = non_empty()
    test: str = non_empty()
    videos: str = non_empty()

    def path(self, name: str) -> Path:
        """Path of one of the annotation files or the video folder, under root."""
        return Path(self.root) / getattr(self, name)

    @property
    def is_sample(self) -> bool:
        return Path(self.root) == Path(SAMPLE_ROOT)


@dataclass(frozen=True)
class SampleConfig:
    seed: int = at_least(0)
    classes: list[str] = _rule(lambda v: bool(v) and len(set(v)) == len(v), "a non-empty list of distinct class names")
    train_per_class: int = positive()
    validation_per_class: int = positive()
    test_per_class: int = at_least(0)
    broken: int = at_least(0)
    widths: list[int] = _rule(lambda v: bool(v) and min(v) >= 16, "a non-empty list of widths of at least 16")
    object_size: list[float] = span(0.01, 0.9)
    clutter: list[int] = span(0, 50)
    texture: list[float] = span(0, 100)
    noise: float = within(0, 50)
    shake: list[float] = span(0, 30)
    light: float = within(0, 1, high_open=True)
    still_partner: float = within(0, 1)


@dataclass(frozen=True)
class StoreConfig:
    codec: str = one_of("raw", "jpeg")
    short_side: int = at_least(16)
    max_frames: int = positive()
    min_frames: int = positive()
    quality: int = within(1, 100)
    workers: int = at_least(0)
    shard_videos: int = positive()


@dataclass(frozen=True)
class ModelConfig:
    depth: int = one_of(18, 34, 50)
    width: int = _rule(lambda v: v >= 8 and v % 8 == 0, "a positive multiple of 8 (64: torchvision's R3D)")
    pool: str = one_of("max", "avg")
    centre: bool
    pretrained: str | None = non_empty()
    scene: bool = False
    dropout: float = _rule(lambda v: 0 <= v < 1, "in [0, 1)", default=0.0)
    still: float = _rule(lambda v: 0 <= v < 1, "in [0, 1)", default=0.0)
    stem_pool: bool = False
    non_local: bool = False


@dataclass(frozen=True)
class TrainConfig:
    seed: int = at_least(0)
    frames: int = positive()
    crop: int | list[int] = _rule(is_crop, "a side (a square) or [height, width], each at least 8")
    scale: list[float] = span(0.05, 2)
    flip: bool
    reverse: bool
    colour: float = within(0, 1)
    epochs: int = positive()
    batch_size: int = positive()
    optimizer: str = one_of("sgd", "adamw")
    lr: float = _rule(lambda v: 0 < v <= 10, "in (0, 10]")
    momentum: float = within(0, 1, high_open=True)
    weight_decay: float = at_least(0)
    warmup_epochs: float = at_least(0)
    label_smoothing: float = within(0, 1, high_open=True)
    workers: int = at_least(0)
    # The defaults below serve configs built in code; params.yaml must still name every key.
    processes: int | str = _rule(
        lambda v: v == "auto" or (isinstance(v, int) and v >= 1), "auto or a positive count", default=1
    )
    accumulate: int = _rule(lambda v: v >= 1, "at least 1", default=1)
    compile: bool = False
    decode_on: str = _rule(lambda v: v in ("loader", "device"), "one of loader, device", default="loader")
    mixup: float = _rule(lambda v: v >= 0, "at least 0 (0: off)", default=0.0)
    ema: float = _rule(lambda v: v >= 0, "at least 0 (0: off)", default=0.0)
    precision: str = _rule(lambda v: v in PRECISIONS, "one of " + ", ".join(PRECISIONS), default="auto")
    progressive: list[int | list[int]] | None = _rule(
        lambda v: all(map(is_crop, v)),
        "null or a list of crops (sides, or [height, width]), each at least 8",
        default=None,
    )
    validate_every: int = _rule(lambda v: v >= 1, "at least 1", default=1)


@dataclass(frozen=True)
class PretrainConfig:
    videos_per_class: int = at_least(0)  # 0: no pretraining
    epochs: int = positive()
    crop: int | list[int] = _rule(is_crop, "a side (a square) or [height, width], each at least 8")
    seed: int = at_least(0)


@dataclass(frozen=True)
class EvaluateConfig:
    clips: int = positive()
    crops: int = one_of(1, 3)
    # auto: where every class trained on has a time-reversal partner (classes.reversible)
    reverse: bool | str = _rule(lambda v: isinstance(v, bool) or v == "auto", "true, false or auto")
    batch_size: int = positive()

    def views(self) -> dict[str, Any]:
        """The evaluation's views, as the Preprocessing fields they replace (clips, crops, reverse)."""
        return {"clips": self.clips, "crops": self.crops, "reverse": self.reverse}


@dataclass(frozen=True)
class TuneConfig:
    study: str = non_empty()
    storage: str = non_empty()
    n_trials: int | None = positive()
    timeout: float | None = positive()
    epochs: int = positive()
    seed: int = at_least(0)
    lr: list[float] = _rule(lambda v: len(v) == 2 and 0 < v[0] < v[1], "[low, high] with 0 < low < high")
    frames: list[int] = _rule(lambda v: bool(v) and min(v) > 0, "a non-empty list of positive frame counts")
    depths: list[int] = _rule(lambda v: bool(v) and set(v) <= {18, 34, 50}, "a non-empty list of 18, 34, 50")
    pruner: str = one_of("median", "hyperband", "none")
    startup_trials: int = at_least(0)
    min_epochs: int = positive()
    reduction_factor: int = at_least(2)
    heartbeat: int = positive()
    grace: int = positive()
    out: str = non_empty()


T = TypeVar("T")

# Rules across keys, checked once each key is valid on its own: (keys, test of the loaded sections,
# what is allowed). A stage that loads any of the keys' sections checks the rule before any work.
CROSS_CHECKS: list[tuple[tuple[str, ...], typing.Callable[[dict[str, Any]], bool], str]] = [
    (
        ("store.min_frames", "store.max_frames"),
        lambda p: p["store"].min_frames <= p["store"].max_frames,
        "store.min_frames must be at most store.max_frames",
    ),
    (
        ("train.crop", "store.short_side"),
        lambda p: min(crop_size(p["train"].crop)) <= p["store"].short_side,
        "train.crop's shorter side must be at most store.short_side (the store's frames are no smaller)",
    ),
    (
        ("train.progressive", "store.short_side"),
        lambda p: all(min(crop_size(c)) <= p["store"].short_side for c in p["train"].progressive or []),
        "train.progressive's shorter sides must be at most store.short_side (the store's frames are no smaller)",
    ),
    (
        ("model.scene", "model.centre"),
        lambda p: not p["model"].scene or p["model"].centre,
        "model.scene needs model.centre true (it adds back the still scene that centring removes)",
    ),
    (
        ("model.still", "model.centre"),
        lambda p: not p["model"].still or p["model"].centre,
        "model.still needs model.centre true (it is the share of the still scene that centring leaves; "
        "set model.still: 0 with centre false)",
    ),
    (
        ("model.scene", "model.pretrained"),
        lambda p: not p["model"].scene or p["model"].pretrained is None,
        "model.scene needs model.pretrained null (pretrained weights take 3 input channels, scene gives 6)",
    ),
    (
        ("pretrain.crop", "store.short_side"),
        lambda p: not p["pretrain"].videos_per_class or min(crop_size(p["pretrain"].crop)) <= p["store"].short_side,
        "pretrain.crop's shorter side must be at most store.short_side (the store's frames are no smaller)",
    ),
    (
        ("pretrain.videos_per_class", "model.pretrained"),
        lambda p: not p["pretrain"].videos_per_class or p["model"].pretrained is None,
        "pretrain.videos_per_class and model.pretrained are two starts for one training: set "
        "pretrain.videos_per_class: 0 to start from model.pretrained",
    ),
    (
        ("train.warmup_epochs", "train.epochs"),
        lambda p: p["train"].warmup_epochs <= p["train"].epochs,
        "train.warmup_epochs must be at most train.epochs",
    ),
    (
        ("tune.n_trials", "tune.timeout"),
        lambda p: p["tune"].n_trials is not None or p["tune"].timeout is not None,
        "tune.n_trials and tune.timeout are both null; the search would never end",
    ),
    (
        ("tune.grace", "tune.heartbeat"),
        lambda p: p["tune"].grace > p["tune"].heartbeat,
        "tune.grace must exceed tune.heartbeat",
    ),
    (
        ("tune.min_epochs", "tune.epochs"),
        lambda p: p["tune"].min_epochs <= p["tune"].epochs,
        "tune.min_epochs must be at most tune.epochs",
    ),
]


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
    fields = {f.name: f for f in dataclasses.fields(cls)}
    names = list(fields)
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
            raise ParamsError(f"{source}: {section}.{name} must be {expected}, got {type(value).__name__} {value!r}")
        test, allowed = fields[name].metadata.get("rule", (None, None))
        if test is not None and value is not None and not test(value):
            raise ParamsError(f"{source}: {section}.{name} must be {allowed}, got {value!r}")
    loaded = cls(**{n: _convert(values[n], hints[n]) for n in names})
    for keys, test, message in CROSS_CHECKS:
        if {k.split(".")[0] for k in keys} == {section} and not test({section: loaded}):
            raise ParamsError(
                f"{source}: {message}, got " + ", ".join(f"{k}={values[k.split('.')[1]]!r}" for k in keys)
            )
    return loaded


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


SECTIONS: dict[str, type] = {
    "data": DataConfig,
    "sample": SampleConfig,
    "store": StoreConfig,
    "model": ModelConfig,
    "train": TrainConfig,
    "pretrain": PretrainConfig,
    "evaluate": EvaluateConfig,
    "tune": TuneConfig,
}


def _section(params: dict[str, Any], cls: type[T], section: str, path: str | Path) -> T:
    if section not in params:
        raise ParamsError(f"{path}: missing section '{section}'")
    return from_dict(cls, params[section], section, str(path))


def load(cls: type[T], section: str, path: str | Path = PARAMS_FILE) -> T:
    """Load one section of the params file into its dataclass, checking every key's type and range
    and the rules across keys that involve this section (loading the other sections they name)."""
    params = load_params(path)
    loaded = _section(params, cls, section, path)
    for keys, test, message in CROSS_CHECKS:
        sections = {k.split(".")[0] for k in keys}
        if section in sections and len(sections) > 1:
            others = {s: _section(params, SECTIONS[s], s, path) for s in sections - {section}}
            if not test({section: loaded, **others}):
                got = ", ".join(
                    f"{k}={getattr({section: loaded, **others}[k.split('.')[0]], k.split('.')[1])!r}" for k in keys
                )
                raise ParamsError(f"{path}: {message}, got {got}")
    return loaded
