"""What a study searches: the space, one trial's training and the pruner that stops it early."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import optuna

from ssv2 import config, paths
from ssv2.config import ModelConfig, ParamsError, TrainConfig, TuneConfig
from ssv2.store import SUMMARY_FILE, ClipStore
from ssv2.tracking import flatten, video_set
from ssv2.training import Listener, fit

# Where each searched value lives in params.yaml.
PARAM_KEYS = {"lr": "train.lr", "frames": "train.frames", "depth": "model.depth"}
SPEED_ONLY = ("train.workers", "train.compile")  # keys a worker may set for its machine without changing a trial


@dataclass(frozen=True)
class SweepInputs:
    """What every trial of a study shares: params.yaml's configs, the tune section and the data."""

    model: ModelConfig
    train: TrainConfig
    tune: TuneConfig
    store: Path
    class_names: list[str]


def load_inputs(
    params_file: str | Path = config.PARAMS_FILE, store: Path = paths.STORE, classes: Path = paths.CLASSES
) -> SweepInputs:
    """The sweep's inputs from params.yaml and the pipeline's data, checked before any trial starts."""
    inputs = SweepInputs(
        config.load(ModelConfig, "model", params_file),
        config.load(TrainConfig, "train", params_file),
        config.load(TuneConfig, "tune", params_file),
        store,
        [],
    )
    if inputs.model.pretrained is not None and len(set(inputs.tune.depths)) != 1:
        raise ParamsError(
            f"{params_file}: model.pretrained holds weights of one depth, so tune.depths must name "
            f"that one depth, got {inputs.tune.depths}"
        )
    for path in (store / "summary.json", classes):
        if not path.is_file():
            raise FileNotFoundError(f"{path}: not found; build the clip store first with `dvc repro materialise`")
    return dataclasses.replace(inputs, class_names=json.loads(classes.read_text(encoding="utf-8")))


def conditions(inputs: SweepInputs) -> dict[str, str]:
    """What a trial's top-1 depends on besides its searched values, flattened as MLflow logs params:
    the model and train sections (train.epochs being tune.epochs), the store's codec and short side,
    and the videos trained and validated on. Only trials run under the same conditions compare."""
    fixed = flatten(
        {
            "model": dataclasses.asdict(inputs.model),
            "train": {**dataclasses.asdict(inputs.train), "epochs": inputs.tune.epochs},
        }
    )
    for key in (*PARAM_KEYS.values(), *SPEED_ONLY):
        del fixed[key]
    summary = json.loads((inputs.store / SUMMARY_FILE).read_text())
    for key in ("codec", "short_side"):
        fixed[f"store.{key}"] = str(summary[key])
    for split in ("train", "validation"):
        store = ClipStore(inputs.store / split)
        fixed[f"videos.{split}"] = video_set(zip(store.ids, (inputs.class_names[label] for label in store.labels)))
    return fixed


def suggest(trial: optuna.Trial, tune: TuneConfig) -> dict[str, Any]:
    """The trial's learning rate, frame count and depth, drawn from the tune section's search space."""
    return {
        "lr": trial.suggest_float("lr", *tune.lr, log=True),
        "frames": trial.suggest_categorical("frames", tune.frames),
        "depth": trial.suggest_categorical("depth", tune.depths),
    }


def describe(values: dict[str, Any]) -> str:
    return f"lr {values['lr']:.2g}, {values['frames']} frames, depth {values['depth']}"


def trial_configs(inputs: SweepInputs, values: dict[str, Any]) -> tuple[ModelConfig, TrainConfig]:
    """params.yaml's model and train configs with the trial's values and the tune section's epochs."""
    return (
        dataclasses.replace(inputs.model, depth=values["depth"]),
        # Every epoch validated: the pruner compares trials epoch by epoch.
        dataclasses.replace(
            inputs.train, lr=values["lr"], frames=values["frames"], epochs=inputs.tune.epochs, validate_every=1
        ),
    )


class Pruning:
    """fit's listener for a trial: reports validation top-1 after each epoch and raises optuna.TrialPruned
    when the pruner says the trial is hopeless (never after the last epoch: there is nothing left to save)."""

    def __init__(self, trial: optuna.Trial, epochs: int):
        self.trial, self.epochs = trial, epochs

    def on_epoch_end(self, epoch: int, metrics: dict[str, float]) -> None:
        self.trial.report(metrics["val_top1"], epoch)
        if epoch < self.epochs and self.trial.should_prune():
            raise optuna.TrialPruned(f"validation top-1 {metrics['val_top1']:.1f}% after epoch {epoch}")

    def on_train_end(self, history: list[dict[str, float]]) -> None:
        pass


def objective(trial: optuna.Trial, inputs: SweepInputs, listeners: Sequence[Listener] = ()) -> float:
    """Train one trial and return its validation top-1 (%) after the last epoch, whose weights a training
    keeps; raises optuna.TrialPruned when told to stop.

    `listeners` hear of each epoch before the pruner decides."""
    model_cfg, train_cfg = trial_configs(inputs, suggest(trial, inputs.tune))
    pruning = Pruning(trial, train_cfg.epochs)
    history = fit(
        model_cfg, train_cfg, inputs.store, inputs.class_names, listeners=[*listeners, pruning], progress=False
    )
    return history[-1]["val_top1"]


def make_pruner(tune: TuneConfig) -> optuna.pruners.BasePruner:
    if tune.pruner == "median":
        return optuna.pruners.MedianPruner(n_startup_trials=tune.startup_trials, n_warmup_steps=tune.min_epochs)
    if tune.pruner == "hyperband":
        return optuna.pruners.HyperbandPruner(
            min_resource=tune.min_epochs, max_resource=tune.epochs, reduction_factor=tune.reduction_factor
        )
    return optuna.pruners.NopPruner()
