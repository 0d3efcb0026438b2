"""DVC stage: evaluate the trained model on the validation split and predict the test split.

Adds the metrics and plots to the training's MLflow run.
"""

import csv
import dataclasses
import json
import math

import mlflow
import pandas as pd
from torch.utils.data import DataLoader

from ssv2 import config, tracking
from ssv2.checkpoint import TRAIN_VIDEOS, evaluation_preprocessing, load_model
from ssv2.data import ClipDataset
from ssv2.engine import predict
from ssv2.explain import explain_clip, gallery_picks, save_grid
from ssv2.paths import EVAL as OUT
from ssv2.paths import EVAL_CONFUSION, STORE
from ssv2.paths import MODEL as CHECKPOINT
from ssv2.report import (
    confused_pairs,
    confusion_classes,
    evaluation_metrics,
    per_class_table,
    plot_confusion,
    plot_per_class,
)
from ssv2.store import ClipStore
from ssv2.temporal import ORDERS, Reordered, temporal_metrics
from ssv2.training import default_device


def main() -> None:
    cfg = config.load(config.EvaluateConfig, "evaluate")
    with tracking.continue_run(CHECKPOINT.parent):
        summary, views = evaluate(cfg)
        mlflow.log_metrics({f"eval_{k}": v for k, v in summary.items() if not math.isnan(v)})
        # Params are write-once and were logged by training; this tag says which views these metrics used
        # (evaluate.reverse "auto" as it turned out for this model).
        mlflow.set_tag("evaluated_with", json.dumps({**dataclasses.asdict(cfg), **views}))
        mlflow.log_artifacts(str(OUT), "evaluation")
        mlflow.log_table(pd.read_csv(OUT / "confused_pairs.csv"), "evaluation/confused_pairs.json")


def evaluate(cfg: config.EvaluateConfig) -> tuple[dict[str, float], dict]:
    """Write the metrics, tables and plots to OUT; returns the summary metrics and the views they were
    computed with (cfg.views(), "auto" resolved)."""
    device = default_device()
    model, checkpoint = load_model(CHECKPOINT, device)
    names = checkpoint["class_names"]
    preprocessing, partner = evaluation_preprocessing(checkpoint, CHECKPOINT, cfg.views())
    loaders = {}
    for split in ("validation", "test"):
        store = ClipStore(STORE / split)
        views = ClipDataset.evaluation(store, preprocessing)
        loaders[split] = (store, DataLoader(views, batch_size=cfg.batch_size, num_workers=2))

    store, loader = loaders["validation"]
    probs, targets = predict(model, loader, device, partner=partner)
    metrics = evaluation_metrics(probs, targets, names)
    # The same views with their frames reversed and shuffled: does the network use time? (Without
    # evaluate.reverse, whose backward views would make a reversed clip's scores its partner's by design.)
    reordered = {
        order: predict(
            model, DataLoader(Reordered(loader.dataset, order), batch_size=cfg.batch_size, num_workers=2), device
        )[0]
        for order in ORDERS
    }
    metrics.update(temporal_metrics(reordered["reversed"], reordered["shuffled"], targets, names))
    OUT.mkdir(exist_ok=True)
    summary = {k: v for k, v in metrics.items() if k not in ("per_class", "confusion")}
    (OUT / "metrics.json").write_text(json.dumps(summary, indent=2) + "\n")
    with open(OUT / "per_class.csv", "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["class", "train_videos", "samples", "top1"])
        writer.writerows(
            per_class_table(metrics["per_class"], checkpoint[TRAIN_VIDEOS], metrics["confusion"].sum(1).tolist(), names)
        )
    pairs = confused_pairs(metrics["confusion"], names)
    pd.DataFrame(pairs, columns=["actual", "predicted", "count", "share"]).to_csv(
        OUT / "confused_pairs.csv", index=False
    )
    with open(EVAL_CONFUSION, "w", newline="") as f:  # one row per video, as `dvc plots` wants
        writer = csv.writer(f)
        writer.writerow(["id", "actual", "predicted"])
        writer.writerows(
            (i, names[t], names[p]) for i, t, p in zip(store.ids, targets.tolist(), probs.argmax(1).tolist())
        )
    plot_confusion(metrics["confusion"], names, OUT / "confusion.png", confusion_classes(metrics["confusion"]))
    plot_per_class(metrics["per_class"], names, OUT / "per_class.png")
    # Where the model looks, for a few classes: a video it gets right and one it confuses.
    (OUT / "gallery").mkdir(exist_ok=True)
    for old in (OUT / "gallery").glob("*.png"):
        old.unlink()
    for i, kind in gallery_picks(probs.argmax(1), targets, names):
        clip, label = loader.dataset[i]
        explanation = explain_clip(model, clip[0], names, actual=label)
        save_grid(explanation, OUT / "gallery" / f"{names[label].replace('/', '-')} - {kind} - {store.ids[i]}.png")

    store, loader = loaders["test"]
    with open(OUT / "test_predictions.csv", "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["id", "top1", "top2", "top3", "top4", "top5"])
        if len(store):
            probs, _ = predict(model, loader, device, partner=partner)
            for ident, top in zip(store.ids, probs.topk(min(5, len(names)), 1).indices.tolist()):
                writer.writerow([ident, *(names[k] for k in top)])
    print(
        f"validation top-1 {metrics['top1']:.1f}%, top-5 {metrics['top5']:.1f}%, "
        f"time-reversal pairs {metrics['reversal_top1']:.1f}%; shuffled frames top-1 {metrics['shuffled_top1']:.1f}%, "
        f"reversed pair clips named as their partner {metrics['reversed_pairs_as_partner']:.1f}% -> {OUT}/"
    )
    return summary, {k: getattr(preprocessing, k) for k in cfg.views()}


if __name__ == "__main__":
    main()
