"""MLflow tracking for the pipeline: one run per training, continued by evaluation and registration.

The pure helpers (flattening params, git and DVC provenance, the champion rule) need no
MLflow; the rest logs to the tracking URI MLflow resolves itself: MLFLOW_TRACKING_URI, else
MLflow's own default (sqlite:///mlflow.db in the working directory, the repository root).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import signal
import subprocess
import warnings
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import mlflow
import pandas as pd
import yaml
from mlflow import MlflowClient
from mlflow.entities.model_registry import ModelVersion
from mlflow.exceptions import MlflowException

from ssv2.training import best_epoch

RUN_FILE = "mlflow_run.json"  # beside the checkpoints: which run the training logs to
CHAMPION = "champion"
EXPERIMENT = "ssv2-train"  # where training runs go unless MLFLOW_EXPERIMENT_NAME/_ID or `mlflow run` say otherwise
TOP1_TAG = "val_top1"  # on every registered version: the validation top-1 that the champion rule compares
SET_TAG = "val_set"  # ... and a fingerprint of the videos it was scored on: only top-1s on the same set compare
# The experiment tag from which MLflow 3's UI picks an experiment's view, and its value for model training.
EXPERIMENT_KIND, MODEL_TRAINING = "mlflow.experimentKind", "custom_model_development"


@dataclass(frozen=True)
class RegisterConfig:
    """The register section of params.yaml."""

    name: str


class TrackingError(RuntimeError):
    """A run or model version that the pipeline cannot continue from."""


# ---------------------------------------------------------------- pure helpers


def flatten(params: Mapping[str, Any], prefix: str = "") -> dict[str, str]:
    """Nested params -> {"train.lr": "0.05", ...}, values as MLflow stores them (strings)."""
    flat: dict[str, str] = {}
    for key, value in params.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping):
            flat.update(flatten(value, f"{name}."))
        else:
            flat[name] = str(value)
    return flat


def is_rank_zero() -> bool:
    """True unless this is a torchrun process other than rank 0 (known before the process group exists)."""
    return int(os.environ.get("RANK", "0")) == 0


def git_tags(cwd: str | Path = ".") -> dict[str, str]:
    """git_commit and git_dirty (any change but dvc.lock, which `dvc repro` rewrites as it goes)."""

    def git(*args: str) -> str:
        return subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, check=True).stdout

    try:
        commit = git("rev-parse", "HEAD").strip()
        changes = [line[3:] for line in git("status", "--porcelain").splitlines()]
    except (OSError, subprocess.CalledProcessError):
        return {"git_commit": "unknown", "git_dirty": "unknown"}
    return {"git_commit": commit, "git_dirty": str(any(path != "dvc.lock" for path in changes)).lower()}


def _under(path: str, roots: list[str]) -> bool:
    parts = Path(path).parts
    return any(parts[: len(Path(root).parts)] == Path(root).parts for root in roots)


def data_hashes(lock: Mapping[str, Any], roots: list[str]) -> dict[str, str]:
    """{"dvc/<path>": md5} for each dep and out recorded in dvc.lock that lies under one of `roots`."""
    hashes = {}
    for stage in (lock.get("stages") or {}).values():
        for entry in [*(stage.get("deps") or []), *(stage.get("outs") or [])]:
            if "md5" in entry and _under(entry["path"], roots):
                # Tag keys allow letters, digits and _ - . / space, and no "..", "." or leading "/".
                parts = [part for part in Path(entry["path"]).parts if part not in ("/", ".", "..")]
                hashes["dvc/" + re.sub(r"[^\w./ -]", "_", "/".join(parts))] = entry["md5"]
    return dict(sorted(hashes.items()))


def read_lock(path: str | Path = "dvc.lock") -> dict:
    """dvc.lock as a dict; empty where the pipeline has not run through DVC yet."""
    path = Path(path)
    if not path.is_file():
        return {}
    return yaml.safe_load(path.read_text()) or {}


def video_set(labelled: Iterable[tuple[str, str]]) -> str:
    """A fingerprint of a set of videos, such as a validation split, from its (video id, class name) pairs.

    In any order; class names rather than label indices, which depend on labels.json; "<videos> videos, <classes>
    classes, <hash>" so that a mismatch reads at a glance in an error or in the registry's tags.
    """
    pairs = sorted(set(labelled))
    digest = hashlib.sha256("".join(f"{ident}\t{name}\n" for ident, name in pairs).encode()).hexdigest()
    return f"{len(pairs)} videos, {len({name for _, name in pairs})} classes, sha256 {digest[:12]}"


def champion_decision(candidate: float, champion: float | None) -> bool:
    """Whether a new version takes the champion alias: only a strictly higher validation top-1 wins."""
    return champion is None or candidate > champion


# ---------------------------------------------------------------- runs


def ensure_experiment_id(name: str) -> str:
    """The id of experiment `name`, created if need be.

    Unlike mlflow.set_experiment this leaves MLFLOW_EXPERIMENT_ID alone, which child processes
    would inherit even when they log to another tracking store. The experiment is tagged as
    model training, so that MLflow 3's UI opens it on its runs, not on the GenAI (traces) view.
    """
    client = MlflowClient()
    if (found := client.get_experiment_by_name(name)) is None:
        try:
            return client.create_experiment(name, tags={EXPERIMENT_KIND: MODEL_TRAINING})
        except MlflowException:  # another process created it meanwhile
            found = client.get_experiment_by_name(name)
    if EXPERIMENT_KIND not in found.tags:  # an experiment made before this tag, or by hand; a user's choice stays
        client.set_experiment_tag(found.experiment_id, EXPERIMENT_KIND, MODEL_TRAINING)
    return found.experiment_id


def _run_exists(client: MlflowClient, run_id: str) -> bool:
    try:
        return client.get_run(run_id).info.lifecycle_stage == "active"
    except MlflowException:
        return False


def resumable_run(run_file: Path, key: str, checkpoint: Path) -> str | None:
    """The run id of an interrupted training that `fit` will resume, if that run still exists.

    Only a run whose training did not end, whose fingerprint `key` matches and whose checkpoint
    is still there: `fit` resumes exactly such a training; anything else starts afresh.
    """
    if not (run_file.is_file() and checkpoint.is_file()):
        return None
    recorded = json.loads(run_file.read_text())
    same_store = recorded.get("tracking_uri") == mlflow.get_tracking_uri()
    if recorded.get("trained") or recorded.get("key") != key or not same_store:
        return None
    return recorded["run_id"] if _run_exists(MlflowClient(), recorded["run_id"]) else None


def log_new_params(params: Mapping[str, str]) -> None:
    """Log the params the active run does not hold yet: MLflow params are write-once."""
    run = mlflow.active_run()
    logged = mlflow.get_run(run.info.run_id).data.params
    new = {k: v for k, v in params.items() if k not in logged}
    if new:
        mlflow.log_params(new)


def log_datasets(store: Path, class_names: list[str], source: str) -> None:
    """Log each split that trained or validated the model (the clip store's videos) as a run input."""
    for split, context in (("train", "training"), ("validation", "validation")):
        videos = pd.read_csv(store / split / "videos.csv", dtype={"id": str})
        videos["class_name"] = [class_names[label] for label in videos["label"]]
        with warnings.catch_warnings():  # MLflow's hints on ambiguous sources and integer columns: noise here
            warnings.filterwarnings("ignore", "The specified dataset source", UserWarning)
            warnings.filterwarnings("ignore", "Hint: Inferred schema contains integer", UserWarning)
            dataset = mlflow.data.from_pandas(videos, source=source, targets="label", name=f"ssv2-{split}")
            mlflow.log_input(dataset, context=context)  # the schema, and its hint, are computed here


def _exit_on_signal(signum: int, frame) -> None:
    raise SystemExit(128 + signum)


@contextmanager
def training_run(
    params: Mapping[str, Any],
    folder: Path,
    key: str,
    *,
    data_roots: list[str],
    store: Path,
    class_names: list[str],
) -> Iterator[mlflow.ActiveRun | None]:
    """The MLflow run of a training: a new one, or the interrupted one that `fit` resumes.

    Logs the flattened params, git and data-version tags, the datasets and, every
    MLFLOW_SYSTEM_METRICS_SAMPLING_INTERVAL seconds (10 by default), the system metrics; records the
    run id in `folder`/mlflow_run.json for evaluation and registration. Yields None on
    torchrun ranks other than 0, which log nothing. An exception ends the run as FAILED.
    """
    if not is_rank_zero():
        yield None
        return
    # `kill` (SIGTERM) then ends the run as FAILED instead of leaving it RUNNING.
    signal.signal(signal.SIGTERM, _exit_on_signal)
    run_file = folder / RUN_FILE
    run_id = resumable_run(run_file, key, folder / "last.pt")
    experiment_id = None
    if run_id is None and not {"MLFLOW_RUN_ID", "MLFLOW_EXPERIMENT_ID", "MLFLOW_EXPERIMENT_NAME"} & set(os.environ):
        experiment_id = ensure_experiment_id(EXPERIMENT)
    # System metrics (CPU, memory, GPU utilisation and memory of this node) show a starved GPU in `mlflow ui`.
    with mlflow.start_run(run_id=run_id, experiment_id=experiment_id, log_system_metrics=True) as run:
        record = {"run_id": run.info.run_id, "key": key, "tracking_uri": mlflow.get_tracking_uri(), "trained": False}
        folder.mkdir(parents=True, exist_ok=True)
        run_file.write_text(json.dumps(record, indent=2) + "\n")
        log_new_params(flatten(params))
        mlflow.set_tags({**git_tags(), **data_hashes(read_lock(), data_roots)})
        if run_id is None:
            log_datasets(store, class_names, source=data_roots[0])
        else:
            print(f"continuing MLflow run {run.info.run_id}")
        yield run
        run_file.write_text(json.dumps({**record, "trained": True}, indent=2) + "\n")


def log_epoch(epoch: int, metrics: Mapping[str, float]) -> None:
    """Every metric of one epoch, at step = epoch."""
    mlflow.log_metrics({k: float(v) for k, v in metrics.items() if k != "epoch"}, step=epoch)


def log_history(history: list[Mapping[str, float]]) -> None:
    """Log the epochs of `history` that the active run lacks.

    fit's checkpoints are written before the other listeners hear of an epoch, so a training killed in
    between resumes after an epoch whose metrics never reached MLflow: they come from the checkpoint's history.
    """
    run_id = mlflow.active_run().info.run_id
    logged = {m.step for m in MlflowClient().get_metric_history(run_id, "train_loss")}  # every epoch has one
    for metrics in history:
        if metrics["epoch"] not in logged:
            log_epoch(int(metrics["epoch"]), metrics)


class MlflowLogger:
    """fit's listener for the training's run (the active one; rank 0 only): each epoch's metrics at
    step = epoch; at the end, the epochs a killed run never logged, best_val_top1 and best_epoch (of the
    epochs at the model's clip size: see training.best_epoch)."""

    def on_epoch_end(self, epoch: int, metrics: Mapping[str, float]) -> None:
        log_epoch(epoch, metrics)

    def on_train_end(self, history: list[Mapping[str, float]]) -> None:
        log_history(history)
        best = best_epoch(history)
        mlflow.log_metrics({"best_val_top1": best["val_top1"], "best_epoch": best["epoch"]})


@contextmanager
def continue_run(folder: Path) -> Iterator[mlflow.ActiveRun]:
    """Reopen the training's run recorded in `folder`/mlflow_run.json (evaluation, registration)."""
    run_file = folder / RUN_FILE
    if not run_file.is_file():
        raise TrackingError(f"{run_file}: not found; run the train stage first")
    recorded = json.loads(run_file.read_text())
    uri = mlflow.get_tracking_uri()
    if recorded["tracking_uri"] != uri:
        raise TrackingError(
            f"{run_file}: run {recorded['run_id']} was logged to {recorded['tracking_uri']}, but the "
            f"tracking URI is now {uri}; set MLFLOW_TRACKING_URI as it was for training, or retrain"
        )
    if not _run_exists(MlflowClient(), recorded["run_id"]):
        raise TrackingError(f"{run_file}: run {recorded['run_id']} is not in {uri} (deleted?); retrain")
    with mlflow.start_run(run_id=recorded["run_id"]) as run:
        yield run


# ---------------------------------------------------------------- registry


def champion_to_beat(client: MlflowClient, name: str, val_set: str) -> ModelVersion | None:
    """The version of `name` holding @champion, or None; raises TrackingError unless a model scored on
    `val_set` can be compared with it.

    A top-1 on another validation set (the sample's, when data.root now names the real dataset) says
    nothing about which model is better, so it is refused rather than compared. A champion registered
    before versions recorded their set has no val_set tag and is compared on its top-1 alone.
    """
    try:
        version = client.get_registered_model(name).aliases.get(CHAMPION)
    except MlflowException as error:
        if error.error_code == "RESOURCE_DOES_NOT_EXIST":  # the first registration creates the model
            return None
        raise
    if version is None:
        return None
    champion = client.get_model_version(name, version)
    if TOP1_TAG not in champion.tags:
        raise TrackingError(
            f"model {name} version {version} holds @{CHAMPION} but has no {TOP1_TAG} tag to compare "
            f"with; tag it (mlflow's MlflowClient.set_model_version_tag) or move the alias by hand"
        )
    theirs = champion.tags.get(SET_TAG, val_set)
    if theirs != val_set:
        raise TrackingError(
            f"model {name} version {version} holds @{CHAMPION} with a top-1 on another validation set "
            f"({theirs}) than this model's ({val_set}), so the two do not compare. Register this model "
            f"under a name of its own, e.g. `dvc exp run -S register.name={name}-<dataset>` (reruns the "
            f"register stage only), or move @{CHAMPION} by hand (MlflowClient.set_registered_model_alias)"
        )
    return champion


def promote_if_better(client: MlflowClient, name: str, version: str, top1: float, val_set: str) -> dict[str, str]:
    """Apply the champion rule to a new version of `name`, scored `top1` on `val_set`, and record the
    decision on it as tags.

    Tags: val_top1 and val_set (this version's), champion_val_top1 and champion_version (the champion
    it was compared with, "none" for the first), and decision. Returns the tags. Raises TrackingError,
    tagging nothing, where the champion's top-1 does not compare (`champion_to_beat`).
    """
    current = champion_to_beat(client, name, val_set)
    current_top1 = None if current is None else float(current.tags[TOP1_TAG])
    promote = champion_decision(top1, current_top1)
    if current is None:
        decision = "promoted: the first version"
    elif promote:
        decision = f"promoted: {top1:g} beats version {current.version}'s {current_top1:g}"
    else:
        decision = f"kept version {current.version}: {top1:g} does not beat its {current_top1:g}"
    tags = {
        TOP1_TAG: repr(top1),
        SET_TAG: val_set,
        "champion_val_top1": "none" if current_top1 is None else repr(current_top1),
        "champion_version": "none" if current is None else str(current.version),
        "decision": decision,
    }
    for key, value in tags.items():
        client.set_model_version_tag(name, version, key, value)
    if promote:
        client.set_registered_model_alias(name, CHAMPION, version)
    return tags
