"""DVC stage: train a ResNet3D on the clip store, as `train.processes` DDP processes.

With more than one process the stage starts them itself through torchrun's engine, each
running this script again; torchrun's PET_* variables spread them over several nodes.
Logs to MLflow (rank 0 only): params, provenance tags, datasets, per-epoch metrics, system
metrics, artifacts.
"""

import csv
import dataclasses
import json
import os
from pathlib import Path

import mlflow

from ssv2 import config, tracking
from ssv2.checkpoint import MODEL
from ssv2.distributed import cleanup, launch, needs_launch, resolve_processes
from ssv2.paths import CLASSES, PRETRAINED, STORE
from ssv2.paths import MODELS as CHECKPOINTS
from ssv2.paths import TRAIN_METRICS as METRICS
from ssv2.paths import TRAIN_PLOTS as PLOTS
from ssv2.store import SKIPPED_FILE
from ssv2.training import best_epoch, fit, run_key


class DvcFiles:
    """fit's listener for the files DVC tracks (rank 0): the per-epoch table that `dvc plots` draws and
    the summary metrics that `dvc metrics` shows."""

    def on_epoch_end(self, epoch: int, metrics: dict) -> None:
        pass

    def on_train_end(self, history: list[dict]) -> None:
        PLOTS.parent.mkdir(parents=True, exist_ok=True)
        with open(PLOTS, "w", newline="") as f:
            # Epochs left unvalidated (train.validate_every) leave the val_* cells empty: gaps the plots skip.
            writer = csv.DictWriter(f, fieldnames=list(dict.fromkeys(k for m in history for k in m)))
            writer.writeheader()
            writer.writerows(history)
        best = best_epoch(history)
        summary = {
            "best_epoch": best["epoch"],
            "best_val_top1": best["val_top1"],
            "final_val_top1": history[-1]["val_top1"],  # the trained model's: the last epoch's weights are kept
            "final_train_loss": history[-1]["train_loss"],
        }
        METRICS.parent.mkdir(parents=True, exist_ok=True)
        METRICS.write_text(json.dumps(summary, indent=2) + "\n")


def main() -> None:
    data = config.load(config.DataConfig, "data")
    model_cfg = config.load(config.ModelConfig, "model")
    train_cfg = config.load(config.TrainConfig, "train")
    params = config.load_params()
    # Every param is checked before the files: a bad value is named first.
    if config.load(config.PretrainConfig, "pretrain").videos_per_class:  # the pretrain stage's network is the start
        if not PRETRAINED.is_file():
            raise SystemExit(
                f"{PRETRAINED}: not found; `dvc repro pretrain` writes it (pretrain.videos_per_class: 0 skips it)"
            )
        model_cfg = dataclasses.replace(model_cfg, pretrained=str(PRETRAINED))
        # MLflow's params then name the start the run had, as its checkpoints do, not params.yaml's null.
        params = {**params, "model": {**params["model"], "pretrained": model_cfg.pretrained}}
    processes = resolve_processes(train_cfg.processes)
    if needs_launch(processes):
        launch(processes, Path(__file__).resolve())
        return
    class_names = json.loads(CLASSES.read_text(encoding="utf-8"))
    key = run_key(model_cfg, train_cfg, STORE, class_names)
    with tracking.training_run(
        params, CHECKPOINTS, key, data_roots=[data.root, "data"], store=STORE, class_names=class_names
    ) as run:
        if run is not None:
            mlflow.set_tag("world_size", os.environ.get("WORLD_SIZE", "1"))  # what `auto` came to, over all nodes
        # Rank 0 alone writes the files and logs; the DVC files first, then MLflow.
        listeners = [DvcFiles(), tracking.MlflowLogger()] if run is not None else []
        history = fit(model_cfg, train_cfg, STORE, class_names, checkpoints=CHECKPOINTS, listeners=listeners)
        if run is not None:
            for path in (METRICS, PLOTS):
                mlflow.log_artifact(str(path), "training")
            mlflow.log_artifact(str(STORE / SKIPPED_FILE), "data")  # the videos the store had to skip
            best, last = best_epoch(history), history[-1]
            print(
                f"validation top-1 {last['val_top1']:.1f}% after the last epoch, whose weights are the model "
                f"({CHECKPOINTS / MODEL}); the best epoch at its size was {best['epoch']} ({best['val_top1']:.1f}%)"
            )
    cleanup()


if __name__ == "__main__":
    main()
