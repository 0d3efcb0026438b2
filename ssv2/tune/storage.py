"""The study's database, shared by workers on one machine or many, with heartbeats for killed workers."""

from __future__ import annotations

import time
import warnings
from functools import partial

import optuna
import sqlalchemy
from optuna.exceptions import ExperimentalWarning
from optuna.storages import RDBStorage, RetryHeartbeatStaleTrialCallback
from optuna.trial import FrozenTrial

from ssv2.config import ParamsError, TuneConfig
from ssv2.tune.search import make_pruner
from ssv2.tune.tracking import mark_killed

CONDITIONS_ATTR = "conditions"  # study user attr: what its trials' top-1s depend on besides their searched values


def _on_stale(study: optuna.Study, trial: FrozenTrial, retry: RetryHeartbeatStaleTrialCallback) -> None:
    """A killed worker's trial, just marked failed by Optuna: close its MLflow run and queue its params again."""
    again = "; its params run again" if not trial.system_attrs.get("retry_history") else ""  # retried once at most
    print(f"trial {trial.number} lost its worker (no heartbeat): marked failed{again}", flush=True)
    mark_killed(trial)
    retry(study, trial)


def _rdb_storage(tune: TuneConfig) -> RDBStorage:
    # SQLite allows one writer at a time: workers sharing the file wait for the lock instead of failing.
    engine_kwargs = {"connect_args": {"timeout": 60}} if tune.storage.startswith("sqlite") else {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ExperimentalWarning)
        return RDBStorage(
            tune.storage,
            engine_kwargs=engine_kwargs,
            heartbeat_interval=tune.heartbeat,
            grace_period=tune.grace,
            heartbeat_stale_trial_callback=partial(_on_stale, retry=RetryHeartbeatStaleTrialCallback(max_retry=1)),
        )


def make_storage(tune: TuneConfig, attempts: int = 5) -> RDBStorage:
    """The study's database, with heartbeats so that the trials of killed workers get failed."""
    for wait in range(1, attempts):
        try:
            return _rdb_storage(tune)
        except sqlalchemy.exc.DBAPIError as e:
            # Workers started together on an empty database race to create Optuna's tables and types, and the
            # losers fail (optuna#1092); a moment later they find them made. Other errors (no server) fail at once.
            if not (isinstance(e, sqlalchemy.exc.IntegrityError) or "already exists" in str(e.orig)):
                raise
            time.sleep(wait)
    return _rdb_storage(tune)


def check_conditions(study: optuna.Study, conditions: dict[str, str]) -> None:
    """Raise ParamsError, naming each difference, unless the study's trials ran under `conditions`.

    A top-1 on other data, or of another model or schedule, says nothing about this run's values: a
    study resumed on the real dataset after the sample would otherwise count the sample's trials as
    done and call the best of them best. A study from before conditions were recorded takes these.
    """
    recorded = study.user_attrs.get(CONDITIONS_ATTR)
    if recorded is None:
        study.set_user_attr(CONDITIONS_ATTR, conditions)
        return
    changed = [
        f"{key}: {recorded.get(key, 'unset')} -> {conditions.get(key, 'unset')}"
        for key in sorted(recorded.keys() | conditions.keys())
        if recorded.get(key) != conditions.get(key)
    ]
    if changed:
        raise ParamsError(
            f"the trials of study {study.study_name!r} ({len(study.trials)} so far) ran under other conditions, "
            f"so their top-1s do not compare with this run's:\n  " + "\n  ".join(changed) + "\n"
            "start a study of its own: python -m ssv2.tune --study <name> (or tune.study in params.yaml)"
        )


def open_study(tune: TuneConfig, conditions: dict[str, str]) -> tuple[optuna.Study, bool]:
    """Create the study, or load it if it exists and its trials ran under `conditions`; returns it and
    whether this call created it."""
    storage, pruner = make_storage(tune), make_pruner(tune)
    try:
        # constant_liar: other workers' running trials count as bad, so parallel workers spread out.
        sampler = optuna.samplers.TPESampler(seed=tune.seed, constant_liar=True)
        study = optuna.create_study(
            storage=storage, study_name=tune.study, direction="maximize", sampler=sampler, pruner=pruner
        )
        created = True
    except optuna.exceptions.DuplicatedStudyError:
        # A joining or resuming worker draws from its own seed: the study's seed would replay the first trials.
        sampler = optuna.samplers.TPESampler(constant_liar=True)
        study = optuna.load_study(study_name=tune.study, storage=storage, sampler=sampler, pruner=pruner)
        created = False
    check_conditions(study, conditions)
    return study, created


def remaining_trials(study: optuna.Study, n_trials: int | None) -> int | None:
    """Trials left to run before the study has n_trials in all, over every worker (None: no limit)."""
    return None if n_trials is None else max(n_trials - len(study.get_trials(deepcopy=False)), 0)
