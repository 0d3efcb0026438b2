"""The study in MLflow: a parent run per study, a nested run per trial, the best result and Optuna's plots."""

from __future__ import annotations

import dataclasses
import os
import socket
import time
import warnings

import matplotlib.pyplot as plt
import mlflow
import optuna
from optuna.visualization import matplotlib as optuna_plots
from sqlalchemy.engine import make_url

from ssv2.config import TuneConfig
from ssv2.tracking import log_epoch
from ssv2.tune.best import BestTrial
from ssv2.tune.search import SweepInputs, describe, objective, suggest

EXPERIMENT = "ssv2-tune"
PARENT_ATTR = "mlflow_parent_run_id"  # study user attr: the study's MLflow parent run
RUN_ATTR = "mlflow_run_id"  # trial user attr: the trial's nested run
PLOTS = {
    "optimization_history": optuna_plots.plot_optimization_history,
    "param_importances": optuna_plots.plot_param_importances,
    "parallel_coordinate": optuna_plots.plot_parallel_coordinate,
}


class TrialLog:
    """fit's listener for a trial's nested run (the active one): each epoch's metrics, and a line on stdout."""

    def __init__(self, number: int, values: dict, epochs: int):
        self.number, self.values, self.epochs = number, values, epochs

    def on_epoch_end(self, epoch: int, metrics: dict[str, float]) -> None:
        log_epoch(epoch, metrics)
        print(
            f"trial {self.number} epoch {epoch}/{self.epochs}: validation top-1 "
            f"{metrics['val_top1']:.1f}% ({describe(self.values)})",
            flush=True,
        )

    def on_train_end(self, history: list[dict[str, float]]) -> None:
        pass


def tracked_objective(trial: optuna.Trial, inputs: SweepInputs, experiment_id: str) -> float:
    """`objective` inside a nested MLflow run: the trial's params, per-epoch metrics and final state as a tag."""
    values = suggest(trial, inputs.tune)  # the same values objective() gets: Optuna returns a name's value again
    run = mlflow.start_run(
        run_name=f"trial {trial.number}",
        experiment_id=experiment_id,
        nested=True,
        tags={
            "optuna.study": trial.study.study_name,
            "optuna.role": "trial",
            "optuna.trial": str(trial.number),
            "state": "running",
        },
    )
    trial.set_user_attr(RUN_ATTR, run.info.run_id)
    trial.set_user_attr("worker", f"{socket.gethostname()}:{os.getpid()}")
    mlflow.log_params({**values, "epochs": inputs.tune.epochs})

    state = "failed"
    try:
        value = objective(trial, inputs, listeners=[TrialLog(trial.number, values, inputs.tune.epochs)])
        mlflow.log_metric("best_val_top1", value)
        state = "complete"
        return value
    except optuna.TrialPruned:
        state = "pruned"
        raise
    finally:
        mlflow.set_tag("state", state)
        mlflow.end_run("FAILED" if state == "failed" else "FINISHED")


def mark_killed(trial: optuna.trial.FrozenTrial) -> None:
    """Close the MLflow run of a trial whose worker died mid-trial."""
    if run_id := trial.user_attrs.get(RUN_ATTR):
        client = mlflow.MlflowClient()
        try:
            client.set_tag(run_id, "state", "failed")
            client.set_terminated(run_id, "KILLED")
        except mlflow.exceptions.MlflowException as e:  # the run lives in another worker's tracking store
            print(f"could not mark MLflow run {run_id} of trial {trial.number} failed: {e}", flush=True)


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
    run = client.create_run(
        experiment_id,
        run_name=f"study {study.study_name}",
        tags={"optuna.study": study.study_name, "optuna.role": "study", "optuna.storage": storage},
    )
    params = [
        mlflow.entities.Param(k, str(v))
        for k, v in dataclasses.asdict(tune).items()
        if k not in ("study", "storage", "out")
    ]
    client.log_batch(run.info.run_id, params=params)
    study.set_user_attr(PARENT_ATTR, run.info.run_id)
    return run.info.run_id


def log_best(best: BestTrial, trials: int) -> None:
    """The best value and params so far on the active (parent) run, after `trials` trials."""
    mlflow.log_metric("best_val_top1", best.val_top1, step=trials)
    mlflow.set_tags({"best_trial": best.trial, **{f"best.{k}": v for k, v in best.params.items()}})


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
