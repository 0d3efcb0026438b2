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

import matplotlib
import optuna

from ssv2 import config
from ssv2.config import ParamsError, TuneConfig
from ssv2.tune.best import apply_best
from ssv2.tune.search import load_inputs
from ssv2.tune.study import run_study


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m ssv2.tune",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description=__doc__,
        epilog="Defaults come from the tune section of params.yaml; the options override them for this run.\n"
        "MLflow logs to its default tracking URI (./mlflow.db), or to MLFLOW_TRACKING_URI.",
    )
    parser.add_argument("--n-trials", type=int, help="trials the study should have in all, over every worker")
    parser.add_argument("--timeout", type=float, help="seconds after which this worker starts no new trial")
    parser.add_argument("--study", help="study name")
    parser.add_argument("--storage", help="database URL, e.g. postgresql://user@host/db (password in PGPASSWORD)")
    commands = parser.add_subparsers(dest="command", title="commands")
    commands.add_parser(
        "apply",
        help="write the best params found (tune.out) into params.yaml, then exit",
        description="Write the best trial's params from tune.out into params.yaml, keeping its "
        "comments, so that the next `dvc repro` trains that configuration.",
    )
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
        inputs = load_inputs()
    except (ParamsError, FileNotFoundError) as e:
        raise SystemExit(f"error: {e}") from None
    overrides = {"n_trials": args.n_trials, "timeout": args.timeout, "study": args.study, "storage": args.storage}
    tune = dataclasses.replace(inputs.tune, **{k: v for k, v in overrides.items() if v is not None})
    matplotlib.use("Agg")  # the study's plots go to files only; servers have no display
    optuna.logging.set_verbosity(optuna.logging.INFO)
    try:
        run_study(dataclasses.replace(inputs, tune=tune))
    except ParamsError as e:  # a study resumed under other conditions
        raise SystemExit(f"error: {e}") from None


if __name__ == "__main__":
    main()
