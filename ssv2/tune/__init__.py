"""Optuna search over learning rate, frames and depth, with pruning, every trial a nested MLflow run.

One module per concern; `python -m ssv2.tune` (``__main__``) is the command line:

- `search`: the search space, the trial objective (the train stage's loop) and the pruner;
- `tracking`: the study's MLflow parent run, one nested run per trial, the best result and Optuna's plots;
- `storage`: the study's database, shared by workers, with heartbeats that fail a killed worker's trial;
- `study`: one worker running or resuming the study;
- `best`: the best trial's params, written to tune.out and from there into params.yaml.
"""
