"""DVC stage: train a ResNet3D on the clip store; runs as is or under `torchrun --nproc_per_node N`."""

import csv
import json
from pathlib import Path

from ssv2 import config
from ssv2.distributed import cleanup, is_main_process
from ssv2.training import fit

STORE = Path("data/store")
CLASSES = Path("data/parsed/classes.json")
CHECKPOINTS = Path("models")
PLOTS = Path("plots/train.csv")
METRICS = Path("metrics/train.json")


def write_history(history: list[dict], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(history[0]))
        writer.writeheader()
        writer.writerows(history)


def main() -> None:
    model_cfg = config.load(config.ModelConfig, "model")
    train_cfg = config.load(config.TrainConfig, "train")
    class_names = json.loads(CLASSES.read_text(encoding="utf-8"))
    history = fit(model_cfg, train_cfg, STORE, class_names, checkpoints=CHECKPOINTS)
    if is_main_process():
        write_history(history, PLOTS)
        best = max(history, key=lambda m: m["val_top1"])
        METRICS.parent.mkdir(parents=True, exist_ok=True)
        METRICS.write_text(json.dumps({"best_epoch": best["epoch"], "best_val_top1": best["val_top1"],
                                       "final_train_loss": history[-1]["train_loss"]}, indent=2) + "\n")
        print(f"best validation top-1 {best['val_top1']:.1f}% at epoch {best['epoch']}; model in {CHECKPOINTS}/best.pt")
    cleanup()


if __name__ == "__main__":
    main()
