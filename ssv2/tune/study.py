"""One worker running, or resuming, the study of params.yaml's tune section."""

from __future__ import annotations

from collections import Counter
from functools import partial

import mlflow
import optuna
from sqlalchemy.engine import make_url

from ssv2.tracking import ensure_experiment_id
from ssv2.tune.best import BestTrial, best_trial, write_best
from ssv2.tune.search import SweepInputs, conditions, describe
from ssv2.tune.storage import open_study, remaining_trials
from ssv2.tune.tracking import EXPERIMENT, log_best, log_plots, parent_run, tracked_objective


def record_best(study: optuna.Study, out: str) -> BestTrial | None:
    """The best trial so far into the best params file and onto the active (parent) run."""
    if (best := best_trial(study)) is not None:
        write_best(best, out)
        log_best(best, len(study.trials))
    return best


def run_study(inputs: SweepInputs) -> optuna.Study:
    """Run or resume the study of `inputs.tune` until it has n_trials trials or this worker hits the timeout."""
    tune = inputs.tune
    experiment_id = ensure_experiment_id(EXPERIMENT)
    study, created = open_study(tune, conditions(inputs))
    parent_id = parent_run(study, created, tune, experiment_id)
    todo = remaining_trials(study, tune.n_trials)
    print(
        f"study {tune.study!r} at {make_url(tune.storage).render_as_string(hide_password=True)}: "
        f"{len(study.trials)} trials so far, {'no limit' if todo is None else todo} to go; "
        f"MLflow run {parent_id} in experiment {EXPERIMENT!r} at {mlflow.get_tracking_uri()}",
        flush=True,
    )
    with mlflow.start_run(run_id=parent_id):
        if todo != 0:
            callbacks = [lambda study, trial: record_best(study, tune.out)]  # current even if killed
            if tune.n_trials is not None:  # counts every worker's trials, running ones included
                callbacks.append(optuna.study.MaxTrialsCallback(tune.n_trials, states=None))
            study.optimize(
                partial(tracked_objective, inputs=inputs, experiment_id=experiment_id),
                n_trials=todo,
                timeout=tune.timeout,
                catch=(Exception,),
                callbacks=callbacks,
            )
        if (best := record_best(study, tune.out)) is not None:
            log_plots(study)
    states = Counter(t.state.name.lower() for t in study.trials)
    print(f"study {tune.study!r}: {len(study.trials)} trials ({', '.join(f'{n} {s}' for s, n in states.items())})")
    if best is None:
        print("no trial has completed yet: no best params")
    else:
        print(
            f"best: trial {best.trial}, validation top-1 {best.val_top1:.1f}% ({describe(study.best_params)}) -> "
            f"{tune.out}\napply to params.yaml with: python -m ssv2.tune apply"
        )
    return study
