"""Benchmark what pruning saves: the same trials with and without the pruner, in one run.

Draws --trials parameter sets (lr, frames, depth) from the tune section's search space with a
seeded sampler, and trains each of them twice through `ssv2.tune.search.objective`, the sweep's own
objective: once with no pruner, once with the tune section's pruner. Training is deterministic
given the params, so a trial the pruner lets finish reaches the same value in both sweeps and
any loss in the best value is the pruner's doing. Prints, per trial, the epochs and seconds spent
and the last epoch's validation top-1 (the trial's value, or where the pruner stopped it); per
sweep, the epochs, the seconds and the best value; then the saving. Epochs are the measure of
compute; seconds also count whatever else the machine was doing meanwhile.

It trains on the materialised clip store (`dvc repro materialise` builds it) at params.yaml's
sizes. Depth defaults to 18 alone: depths 34 and 50 cost two to three times as much per epoch
and would make the benchmark take hours on 2 cores, while the pruner decides the same way.

    python benchmarks/pruning.py [--trials 10] [--epochs N] [--pruner median|hyperband]
"""

from __future__ import annotations

import argparse
import dataclasses
import time
from pathlib import Path

import optuna
from optuna.trial import TrialState

from ssv2 import config, paths
from ssv2.config import TuneConfig
from ssv2.tune.search import SweepInputs, describe, load_inputs, make_pruner, objective, suggest


def draw_trials(tune: TuneConfig, n: int, seed: int) -> list[dict]:
    """n parameter sets from the search space, the same in every sweep that uses this seed."""
    study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=seed))
    return [suggest(study.ask(), tune) for _ in range(n)]


def sweep(base: SweepInputs, trials: list[dict], pruner: str) -> tuple[optuna.Study, float]:
    """Run `trials` in order with `pruner`; returns the study and the seconds it took."""
    tune = dataclasses.replace(base.tune, pruner=pruner)
    study = optuna.create_study(direction="maximize", pruner=make_pruner(tune))
    for values in trials:
        study.enqueue_trial(values)
    setup = dataclasses.replace(base, tune=tune)

    def done(study: optuna.Study, trial: optuna.trial.FrozenTrial) -> None:
        print(
            f"  {pruner}: trial {trial.number} ({describe(trial.params)}) {trial.state.name.lower()} after "
            f"{len(trial.intermediate_values)} epochs, top-1 {last_top1(trial):.1f}%",
            flush=True,
        )

    start = time.perf_counter()
    study.optimize(lambda trial: objective(trial, setup), n_trials=len(trials), callbacks=[done])
    return study, time.perf_counter() - start


def last_top1(trial: optuna.trial.FrozenTrial) -> float:
    """The validation top-1 of the trial's last epoch: its value if it completed, where the pruner stopped it if not."""
    return trial.intermediate_values[max(trial.intermediate_values)]


def epochs(study: optuna.Study) -> int:
    return sum(len(t.intermediate_values) for t in study.trials)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    tune = config.load(TuneConfig, "tune")
    train = config.load(config.TrainConfig, "train")
    parser.add_argument("--trials", type=int, default=10, help="parameter sets to train in each sweep (default: 10)")
    parser.add_argument("--epochs", type=int, default=tune.epochs, help="epochs per trial (default: tune.epochs)")
    parser.add_argument(
        "--pruner",
        choices=("median", "hyperband"),
        default=tune.pruner if tune.pruner != "none" else "median",
        help="the pruner to measure (default: tune.pruner)",
    )
    parser.add_argument(
        "--frames", type=int, nargs="+", default=tune.frames, help="frame counts to try (default: tune.frames)"
    )
    parser.add_argument("--depths", type=int, nargs="+", default=[18], help="depths to try (default: 18)")
    parser.add_argument("--crop", type=int, default=train.crop, help="train.crop (default: params.yaml's)")
    parser.add_argument("--seed", type=int, default=tune.seed, help="seed of the drawn trials (default: tune.seed)")
    parser.add_argument(
        "--store", type=Path, default=paths.STORE, help="the materialised clip store (default: %(default)s)"
    )
    parser.add_argument("--classes", type=Path, default=paths.CLASSES, help="its class names (default: %(default)s)")
    args = parser.parse_args()
    optuna.logging.set_verbosity(optuna.logging.WARNING)

    try:
        base = load_inputs(store=args.store, classes=args.classes)
    except (config.ParamsError, FileNotFoundError) as e:
        raise SystemExit(f"error: {e}") from None
    base = dataclasses.replace(
        base,
        train=dataclasses.replace(base.train, crop=args.crop),
        tune=dataclasses.replace(base.tune, epochs=args.epochs, frames=args.frames, depths=args.depths),
    )
    trials = draw_trials(base.tune, args.trials, args.seed)
    t = base.tune
    print(
        f"{args.trials} trials drawn with seed {args.seed} from lr {t.lr[0]:g}..{t.lr[1]:g} (log), frames "
        f"{t.frames}, depths {t.depths}; {args.epochs} epochs each, crop {args.crop}, on {args.store}\n"
        f"pruner {args.pruner}: startup_trials {t.startup_trials}, min_epochs {t.min_epochs}"
        f"{f', reduction_factor {t.reduction_factor}' if args.pruner == 'hyperband' else ''}",
        flush=True,
    )
    full, full_s = sweep(base, trials, "none")
    print(f"no pruning: {epochs(full)} epochs in {full_s:.0f} s", flush=True)
    pruned, pruned_s = sweep(base, trials, args.pruner)

    print(f"\n{'trial':>5}  {'params':34}  {'no pruning':>18}  {args.pruner + ' pruning':>28}")
    for a, b in zip(full.trials, pruned.trials, strict=True):
        seconds = (b.datetime_complete - b.datetime_start).total_seconds()
        print(
            f"{a.number:>5}  {describe(a.params):34}  {len(a.intermediate_values):2} ep {a.value:6.1f}%  "
            f"{(a.datetime_complete - a.datetime_start).total_seconds():4.0f} s  "
            f"{len(b.intermediate_values):2} ep {last_top1(b):6.1f}% "
            f"{b.state.name.lower():8} {seconds:4.0f} s"
        )
    pairs = zip(full.trials, pruned.trials, strict=True)
    same = [a.value == b.value for a, b in pairs if b.state == TrialState.COMPLETE]
    print(f"\n{'sweep':12} {'epochs':>6} {'seconds':>8} {'best top-1':>10}")
    for name, study, seconds in (("no pruning", full, full_s), (args.pruner, pruned, pruned_s)):
        print(f"{name:12} {epochs(study):6} {seconds:8.0f} {study.best_value:9.1f}%")
    print(
        f"\npruning saves {1 - epochs(pruned) / epochs(full):.0%} of the epochs and {1 - pruned_s / full_s:.0%} "
        f"of the seconds; best validation top-1 {pruned.best_value:.1f}% vs {full.best_value:.1f}% "
        f"({pruned.best_value - full.best_value:+.1f} points); {sum(same)} of {len(same)} trials that ran to the "
        f"end reached the same value in both sweeps"
    )


if __name__ == "__main__":
    main()
