"""Optuna search over learning rate, frames and depth, with pruning, every trial a nested MLflow run.

    python -m ssv2.tune          # run, or resume, the study of params.yaml's tune section
    python -m ssv2.tune apply    # write the best trial's params into params.yaml

Each trial trains through `ssv2.training.fit`, the train stage's loop, on the clip store at
data/store, with the trial's values on top of params.yaml, and reports validation top-1 after
every epoch so that the pruner can stop it early. Workers started with the same study and a
PostgreSQL storage URL, on one machine or many, search together; the trial of a killed worker
is failed by the others' heartbeat check and rerun once.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import re
import socket
import time
import warnings
from collections import Counter
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")  # files only; no display on servers
import matplotlib.pyplot as plt
import mlflow
import optuna
import yaml
from optuna.exceptions import ExperimentalWarning
from optuna.storages import RDBStorage, RetryHeartbeatStaleTrialCallback
from optuna.trial import FrozenTrial, TrialState
from optuna.visualization import matplotlib as optuna_plots
from sqlalchemy.engine import make_url

from ssv2 import config
from ssv2.config import ModelConfig, ParamsError, TrainConfig, TuneConfig
from ssv2.checkpoint import atomic_write
from ssv2.tracking import experiment, log_epoch
from ssv2.training import EpochCallback, fit

STORE = Path("data/store")
CLASSES = Path("data/parsed/classes.json")
EXPERIMENT = "ssv2-tune"
PARENT_ATTR = "mlflow_parent_run_id"  # study user attr: the study's MLflow parent run
RUN_ATTR = "mlflow_run_id"  # trial user attr: the trial's nested run
# Where each searched value lives in params.yaml.
KEYS = {"lr": "train.lr", "frames": "train.frames", "depth": "model.depth"}
PLOTS = {
    "optimization_history": optuna_plots.plot_optimization_history,
    "param_importances": optuna_plots.plot_param_importances,
    "parallel_coordinate": optuna_plots.plot_parallel_coordinate,
}


@dataclass(frozen=True)
class Sweep:
    """What every trial of a study shares: params.yaml's configs, the tune section and the data."""

    model: ModelConfig
    train: TrainConfig
    tune: TuneConfig
    store: Path
    class_names: list[str]


# ---------------------------------------------------------------- one trial


def suggest(trial: optuna.Trial, tune: TuneConfig) -> dict[str, Any]:
    """The trial's learning rate, frame count and depth, drawn from the tune section's search space."""
    return {
        "lr": trial.suggest_float("lr", *tune.lr, log=True),
        "frames": trial.suggest_categorical("frames", tune.frames),
        "depth": trial.suggest_categorical("depth", tune.depths),
    }


def trial_configs(sweep: Sweep, values: dict[str, Any]) -> tuple[ModelConfig, TrainConfig]:
    """params.yaml's model and train configs with the trial's values and the tune section's epochs."""
    return (
        dataclasses.replace(sweep.model, depth=values["depth"]),
        dataclasses.replace(sweep.train, lr=values["lr"], frames=values["frames"], epochs=sweep.tune.epochs),
    )


def objective(trial: optuna.Trial, sweep: Sweep, on_epoch: EpochCallback | None = None) -> float:
    """Train one trial and return its best validation top-1 (%); raises optuna.TrialPruned when told to stop."""
    model_cfg, train_cfg = trial_configs(sweep, suggest(trial, sweep.tune))

    def report(epoch: int, metrics: dict[str, float]) -> None:
        if on_epoch is not None:
            on_epoch(epoch, metrics)
        trial.report(metrics["val_top1"], epoch)
        if epoch < train_cfg.epochs and trial.should_prune():  # after the last epoch there is nothing left to save
            raise optuna.TrialPruned(f"validation top-1 {metrics['val_top1']:.1f}% after epoch {epoch}")

    history = fit(model_cfg, train_cfg, sweep.store, sweep.class_names, on_epoch=report, progress=False)
    return max(m["val_top1"] for m in history)


def describe(values: dict[str, Any]) -> str:
    return f"lr {values['lr']:.2g}, {values['frames']} frames, depth {values['depth']}"


def tracked_objective(trial: optuna.Trial, sweep: Sweep, experiment_id: str) -> float:
    """`objective` inside a nested MLflow run: the trial's params, per-epoch metrics and final state as a tag."""
    values = suggest(trial, sweep.tune)  # the same values objective() gets: Optuna returns a name's value again
    run = mlflow.start_run(run_name=f"trial {trial.number}", experiment_id=experiment_id, nested=True, tags={
        "optuna.study": trial.study.study_name, "optuna.role": "trial", "optuna.trial": str(trial.number),
        "state": "running"})
    trial.set_user_attr(RUN_ATTR, run.info.run_id)
    trial.set_user_attr("worker", f"{socket.gethostname()}:{os.getpid()}")
    mlflow.log_params({**values, "epochs": sweep.tune.epochs})

    def report(epoch: int, metrics: dict[str, float]) -> None:
        log_epoch(epoch, metrics)
        print(f"trial {trial.number} epoch {epoch}/{sweep.tune.epochs}: validation top-1 "
              f"{metrics['val_top1']:.1f}% ({describe(values)})", flush=True)

    state = "failed"
    try:
        value = objective(trial, sweep, on_epoch=report)
        mlflow.log_metric("best_val_top1", value)
        state = "complete"
        return value
    except optuna.TrialPruned:
        state = "pruned"
        raise
    finally:
        mlflow.set_tag("state", state)
        mlflow.end_run("FAILED" if state == "failed" else "FINISHED")


# ---------------------------------------------------------------- the study


def make_pruner(tune: TuneConfig) -> optuna.pruners.BasePruner:
    if tune.pruner == "median":
        return optuna.pruners.MedianPruner(n_startup_trials=tune.startup_trials, n_warmup_steps=tune.min_epochs)
    if tune.pruner == "hyperband":
        return optuna.pruners.HyperbandPruner(min_resource=tune.min_epochs, max_resource=tune.epochs,
                                              reduction_factor=tune.reduction_factor)
    return optuna.pruners.NopPruner()


def _on_stale(study: optuna.Study, trial: FrozenTrial, retry: RetryHeartbeatStaleTrialCallback) -> None:
    """A killed worker's trial, just marked failed by Optuna: close its MLflow run and queue its params again."""
    again = "; its params run again" if not trial.system_attrs.get("retry_history") else ""  # retried once at most
    print(f"trial {trial.number} lost its worker (no heartbeat): marked failed{again}", flush=True)
    if run_id := trial.user_attrs.get(RUN_ATTR):
        client = mlflow.MlflowClient()
        try:
            client.set_tag(run_id, "state", "failed")
            client.set_terminated(run_id, "KILLED")
        except mlflow.exceptions.MlflowException as e:  # the run lives in another worker's tracking store
            print(f"could not mark MLflow run {run_id} of trial {trial.number} failed: {e}", flush=True)
    retry(study, trial)


def make_storage(tune: TuneConfig) -> RDBStorage:
    """The study's database, with heartbeats so that the trials of killed workers get failed."""
    # SQLite allows one writer at a time: workers sharing the file wait for the lock instead of failing.
    engine_kwargs = {"connect_args": {"timeout": 60}} if tune.storage.startswith("sqlite") else {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ExperimentalWarning)
        return RDBStorage(
            tune.storage, engine_kwargs=engine_kwargs, heartbeat_interval=tune.heartbeat, grace_period=tune.grace,
            heartbeat_stale_trial_callback=partial(_on_stale, retry=RetryHeartbeatStaleTrialCallback(max_retry=1)),
        )


def open_study(tune: TuneConfig) -> tuple[optuna.Study, bool]:
    """Create the study, or load it if it exists; returns it and whether this call created it."""
    storage, pruner = make_storage(tune), make_pruner(tune)
    try:
        # constant_liar: other workers' running trials count as bad, so parallel workers spread out.
        sampler = optuna.samplers.TPESampler(seed=tune.seed, constant_liar=True)
        return optuna.create_study(storage=storage, study_name=tune.study, direction="maximize", sampler=sampler,
                                   pruner=pruner), True
    except optuna.exceptions.DuplicatedStudyError:
        # A joining or resuming worker draws from its own seed: the study's seed would replay the first trials.
        sampler = optuna.samplers.TPESampler(constant_liar=True)
        return optuna.load_study(study_name=tune.study, storage=storage, sampler=sampler, pruner=pruner), False


def parent_run(study: optuna.Study, created: bool, tune: TuneConfig, experiment_id: str, wait: float = 30) -> str:
    """The study's MLflow parent run: made by the worker that created the study, found by the others."""
    client = mlflow.MlflowClient()
    deadline = time.monotonic() + (0 if created else wait)
    while PARENT_ATTR not in study.user_attrs and time.monotonic() < deadline:
        time.sleep(0.5)  # the creating worker records it moments after creating the study
    if run_id := study.user_attrs.get(PARENT_ATTR):
        try:
            client.get_run(run_id)
        except mlflow.exceptions.MlflowException:
            raise RuntimeError(
                f"study {study.study_name!r} logs to MLflow run {run_id}, which is not in the tracking store at "
                f"{mlflow.get_tracking_uri()}: point MLFLOW_TRACKING_URI at the other workers' tracking server"
            ) from None
        return run_id
    storage = make_url(tune.storage).render_as_string(hide_password=True)
    run = client.create_run(experiment_id, run_name=f"study {study.study_name}", tags={
        "optuna.study": study.study_name, "optuna.role": "study", "optuna.storage": storage})
    client.log_batch(run.info.run_id, params=[mlflow.entities.Param(k, str(v)) for k, v in dataclasses.asdict(tune).items()
                                              if k not in ("study", "storage", "out")])
    study.set_user_attr(PARENT_ATTR, run.info.run_id)
    return run.info.run_id


def best_params(trial: FrozenTrial) -> dict[str, Any]:
    """A trial's params under their params.yaml keys."""
    return {KEYS[name]: value for name, value in trial.params.items()}


def write_best(study: optuna.Study, path: Path) -> FrozenTrial | None:
    """Write the best completed trial's params to `path` (None if no trial completed yet)."""
    if not study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,)):
        return None
    best = study.best_trial
    text = (f"# Best trial of Optuna study {study.study_name!r}; `python -m ssv2.tune apply` writes these params "
            f"into params.yaml.\n") + yaml.safe_dump(
        {"study": study.study_name, "trial": best.number, "val_top1": best.value, "params": best_params(best)},
        sort_keys=False)
    atomic_write(path, lambda f: f.write(text.encode()))  # workers on one machine may write it at once
    return best


def record_best(study: optuna.Study, out: Path) -> FrozenTrial | None:
    """Write the best params file and put the best value and params on the active (parent) run."""
    if (best := write_best(study, out)) is not None:
        mlflow.log_metric("best_val_top1", best.value, step=len(study.trials))
        mlflow.set_tags({"best_trial": best.number, **{f"best.{k}": v for k, v in best_params(best).items()}})
    return best


def log_plots(study: optuna.Study) -> None:
    """Optuna's plots and the trials table as artifacts of the active (parent) run."""
    mlflow.log_text(study.trials_dataframe().to_csv(index=False), "trials.csv")
    for name, plot in PLOTS.items():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # experimental API; singular axes while every trial scores the same
            figure = plot(study).figure
        figure.set_size_inches(10, 6)
        mlflow.log_figure(figure, f"plots/{name}.png")
        plt.close(figure)


def remaining_trials(study: optuna.Study, n_trials: int | None) -> int | None:
    """Trials left to run before the study has n_trials in all (None: no limit)."""
    return None if n_trials is None else max(n_trials - len(study.get_trials(deepcopy=False)), 0)


def run_study(sweep: Sweep) -> optuna.Study:
    """Run or resume the study of `sweep.tune` until it has n_trials trials or this worker hits the timeout."""
    tune = sweep.tune
    experiment_id = experiment(EXPERIMENT)
    study, created = open_study(tune)
    parent_id = parent_run(study, created, tune, experiment_id)
    todo = remaining_trials(study, tune.n_trials)
    print(f"study {tune.study!r} at {make_url(tune.storage).render_as_string(hide_password=True)}: "
          f"{len(study.trials)} trials so far, {'no limit' if todo is None else todo} to go; "
          f"MLflow run {parent_id} in experiment {EXPERIMENT!r} at {mlflow.get_tracking_uri()}", flush=True)
    with mlflow.start_run(run_id=parent_id):
        if todo != 0:
            callbacks = [lambda study, trial: record_best(study, Path(tune.out))]  # current even if killed
            if tune.n_trials is not None:  # counts every worker's trials, running ones included
                callbacks.append(optuna.study.MaxTrialsCallback(tune.n_trials, states=None))
            study.optimize(partial(tracked_objective, sweep=sweep, experiment_id=experiment_id), n_trials=todo,
                           timeout=tune.timeout, catch=(Exception,), callbacks=callbacks)
        if (best := record_best(study, Path(tune.out))) is not None:
            log_plots(study)
    states = Counter(t.state.name.lower() for t in study.trials)
    print(f"study {tune.study!r}: {len(study.trials)} trials ({', '.join(f'{n} {s}' for s, n in states.items())})")
    if best is None:
        print("no trial has completed yet: no best params")
    else:
        print(f"best: trial {best.number}, validation top-1 {best.value:.1f}% ({describe(best.params)}) -> "
              f"{tune.out}\napply to params.yaml with: python -m ssv2.tune apply")
    return study


def load_sweep(params_file: str | Path = config.PARAMS_FILE, store: Path = STORE, classes: Path = CLASSES) -> Sweep:
    """The sweep of params.yaml, checked before any trial starts."""
    sweep = Sweep(config.load(ModelConfig, "model", params_file), config.load(TrainConfig, "train", params_file),
                  config.load(TuneConfig, "tune", params_file), store, [])
    if sweep.model.pretrained is not None and len(set(sweep.tune.depths)) != 1:
        raise ParamsError(f"{params_file}: model.pretrained holds weights of one depth, so tune.depths must name "
                          f"that one depth, got {sweep.tune.depths}")
    for path in (store / "summary.json", classes):
        if not path.is_file():
            raise FileNotFoundError(f"{path}: not found; build the clip store first with `dvc repro materialise`")
    return dataclasses.replace(sweep, class_names=json.loads(classes.read_text(encoding="utf-8")))


# ---------------------------------------------------------------- back to params.yaml


def _scalar(value: Any) -> str:
    """A value as YAML that PyYAML reads back unchanged (1e-05 is a string to it; 1.0e-05 is a float)."""
    return yaml.safe_dump(value, default_flow_style=True).removesuffix("\n...\n").strip()


def set_param(text: str, key: str, value: Any) -> str:
    """Replace the value of `section.name` in the text of a params file, leaving every other byte as it is."""
    section, name = key.split(".")
    lines = text.splitlines(keepends=True)
    inside = False
    for i, line in enumerate(lines):
        if re.match(rf"{re.escape(section)}:(\s|$)", line):
            inside = True
        elif inside and re.match(r"[^\s#]", line):
            break  # the next section
        elif inside and (match := re.match(rf"(\s+{re.escape(name)}:[ \t]*)([^#\n]*?)([ \t]*(#.*)?\n?)$", line)):
            lines[i] = match[1] + _scalar(value) + match[3]
            return "".join(lines)
    raise ParamsError(f"no key {key} in the params file")


def apply_best(best_file: str | Path, params_file: str | Path = config.PARAMS_FILE) -> dict[str, tuple[Any, Any]]:
    """Write the params of `best_file` into `params_file`, keeping its comments; returns key -> (old, new)."""
    best_file, params_file = Path(best_file), Path(params_file)
    if not best_file.is_file():
        raise FileNotFoundError(f"{best_file}: not found; run `python -m ssv2.tune` first")
    params = (yaml.safe_load(best_file.read_text()) or {}).get("params")
    if not isinstance(params, dict) or not params or set(params) - set(KEYS.values()):
        raise ParamsError(f"{best_file}: 'params' must map some of {', '.join(KEYS.values())} to values, got {params!r}")
    old = config.load_params(params_file)
    text = params_file.read_text()
    for key, value in params.items():
        try:
            text = set_param(text, key, value)
        except ParamsError as e:
            raise ParamsError(f"{params_file}: {e}") from None
    new = yaml.safe_load(text)
    for key, value in params.items():  # the edit must read back as exactly the best value
        section, name = key.split(".")
        if new[section][name] != value:
            raise ParamsError(f"{params_file}: writing {key}: {value!r} read back as {new[section][name]!r}")
    config.from_dict(ModelConfig, new["model"], "model", str(params_file))
    config.from_dict(TrainConfig, new["train"], "train", str(params_file))
    atomic_write(params_file, lambda f: f.write(text.encode()))
    return {key: (old[key.split(".")[0]][key.split(".")[1]], value) for key, value in params.items()}


# ---------------------------------------------------------------- command line


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m ssv2.tune", formatter_class=argparse.RawDescriptionHelpFormatter, description=__doc__,
        epilog="Defaults come from the tune section of params.yaml; the options override them for this run.\n"
               "MLflow logs to its default tracking URI (./mlflow.db), or to MLFLOW_TRACKING_URI.")
    parser.add_argument("--n-trials", type=int, help="trials the study should have in all, over every worker")
    parser.add_argument("--timeout", type=float, help="seconds after which this worker starts no new trial")
    parser.add_argument("--study", help="study name")
    parser.add_argument("--storage", help="database URL, e.g. postgresql://user@host/db (password in PGPASSWORD)")
    commands = parser.add_subparsers(dest="command", title="commands")
    commands.add_parser("apply", help="write the best params found (tune.out) into params.yaml, then exit",
                        description="Write the best trial's params from tune.out into params.yaml, keeping its "
                                    "comments, so that the next `dvc repro` trains that configuration.")
    args = parser.parse_args(argv)

    if args.command == "apply":
        try:
            changes = apply_best(config.load(TuneConfig, "tune").out)
        except (ParamsError, FileNotFoundError) as e:
            raise SystemExit(f"error: {e}") from None
        for key, (old, new) in changes.items():
            print(f"{config.PARAMS_FILE}: {key} {old} -> {new}")
        print("the next `dvc repro` trains this configuration")
        return
    try:
        sweep = load_sweep()
    except (ParamsError, FileNotFoundError) as e:
        raise SystemExit(f"error: {e}") from None
    overrides = {"n_trials": args.n_trials, "timeout": args.timeout, "study": args.study, "storage": args.storage}
    tune = dataclasses.replace(sweep.tune, **{k: v for k, v in overrides.items() if v is not None})
    optuna.logging.set_verbosity(optuna.logging.INFO)
    run_study(dataclasses.replace(sweep, tune=tune))


if __name__ == "__main__":
    main()
