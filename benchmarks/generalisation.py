"""Does the default recipe learn SSv2-format data it was not tuned on? One training per dataset variant.

Each variant is a dataset in the official layout (labels.json with all 174 classes, the splits
using a subset), made by the sample generator with other knobs and seeds, or by one of two
generators written apart from it and from each other: benchmarks/foreign.py (shapes, textures and
motion profiles of its own) and benchmarks/tabletop.py (written later, by someone who read neither). Each is parsed, materialised and
trained with params.yaml's store, model and train sections unchanged, then the best checkpoint
is scored on the validation split as the evaluate stage scores it. Prints, per variant:
validation top-1, accuracy on the time-reversal pairs, the share predicted as the reversed
partner, and the training seconds.

The recipe was chosen on the TUNE variants; the HELD_OUT ones were run only to report.
`foreign` was held out until its 61% showed the recipe overfitting; it was then used to tune,
and `tabletop` took its place as the dataset no one had looked at.

    python benchmarks/generalisation.py                       # every variant
    python benchmarks/generalisation.py --only wide-frames    # some of them
    python benchmarks/generalisation.py --set train.lr=0.001  # try a recipe change (tuning variants only!)
"""

from __future__ import annotations

import argparse
import dataclasses
import importlib
import json
import sys
import time
from pathlib import Path

import torch
import yaml
from torch.utils.data import DataLoader

from ssv2 import config
from ssv2.annotations import parse_dataset
from ssv2.checkpoint import load_model, read_preprocessing
from ssv2.data import ClipDataset
from ssv2.engine import predict
from ssv2.report import evaluation_metrics
from ssv2.sample import LAYOUT, make_sample
from ssv2.store import materialise
from ssv2.training import fit

# The four reversal pairs of the issue that asked for this benchmark.
PAIRS8 = [
    "Pushing something from left to right",
    "Pushing something from right to left",
    "Moving something up",
    "Moving something down",
    "Moving something and something closer to each other",
    "Moving something and something away from each other",
    "Approaching something with your camera",
    "Moving away from something with your camera",
]
# name -> sample knobs that differ from params.yaml's, each with its own seed, or the name of another generator.
TUNE = {
    "sample-seed-1": {"seed": 1},
    "foreign": "foreign",
    "pairs8-wide-small": {
        "seed": 2,
        "classes": PAIRS8,
        "widths": [320, 360, 400, 427, 480],
        "object_size": [0.12, 0.2],
        "clutter": [3, 8],
    },
}
HELD_OUT = {
    "small-objects": {"seed": 3, "classes": PAIRS8, "object_size": [0.08, 0.12]},
    "large-objects": {"seed": 4, "classes": PAIRS8, "object_size": [0.25, 0.4]},
    "narrow-frames": {"seed": 5, "classes": PAIRS8, "widths": [136, 180, 240]},
    "wide-frames": {"seed": 6, "classes": PAIRS8, "widths": [427, 480]},
    "heavy-clutter": {"seed": 7, "classes": PAIRS8, "clutter": [8, 14], "texture": [12, 24], "noise": 5.0},
    "light-clutter": {
        "seed": 8,
        "classes": PAIRS8,
        "clutter": [0, 1],
        "texture": [0, 3],
        "noise": 0.0,
        "shake": [0.0, 0.5],
    },
    "tabletop": "tabletop",
}
GENERATOR_SEED = 9


def build_dataset(knobs: dict | str, params: dict, root: Path) -> None:
    if (root / LAYOUT["labels"]).is_file():
        return  # built by an earlier run of this benchmark
    if isinstance(knobs, str):
        sys.path.insert(0, str(Path(__file__).parent))
        generator = importlib.import_module(knobs)
        getattr(generator, f"make_{knobs}")(
            root, GENERATOR_SEED, Path(__file__).parent.parent / "ssv2" / "ssv2-labels.txt"
        )
        return
    sample = config.from_dict(
        config.SampleConfig, {**params["sample"], "broken": 0, "test_per_class": 0, **knobs}, "sample"
    )
    make_sample(root, sample)


class Progress:
    """fit's listener that prints each epoch's losses and top-1 of one variant."""

    def __init__(self, name: str):
        self.name = name

    def on_epoch_end(self, epoch: int, m: dict) -> None:
        print(
            f"  {self.name} epoch {epoch}: train loss {m['train_loss']:.3f} top-1 {m['train_top1']:.1f}%, "
            f"val loss {m['val_loss']:.3f} top-1 {m['val_top1']:.1f}%",
            flush=True,
        )

    def on_train_end(self, history: list[dict]) -> None:
        pass


def run_variant(name: str, knobs: dict | str, params: dict, work: Path) -> dict:
    root, store = work / name / "data", work / name / "store"
    build_dataset(knobs, params, root)
    data = config.from_dict(config.DataConfig, {**params["data"], "root": str(root)}, "data")
    class_names, tables = parse_dataset(data)
    store_cfg = config.from_dict(config.StoreConfig, params["store"], "store")
    if (
        not (store / "summary.json").is_file()
        or json.loads((store / "summary.json").read_text())["short_side"] != store_cfg.short_side
    ):
        materialise(tables, store, **dataclasses.asdict(store_cfg))
    model_cfg = config.from_dict(config.ModelConfig, params["model"], "model")
    train_cfg = config.from_dict(config.TrainConfig, params["train"], "train")
    checkpoints = work / name / "models"
    for old in checkpoints.glob("*.pt"):
        old.unlink()

    start = time.perf_counter()
    history = fit(
        model_cfg, train_cfg, store, class_names, checkpoints=checkpoints, listeners=[Progress(name)], progress=False
    )
    seconds = time.perf_counter() - start
    model, checkpoint = load_model(checkpoints / "best.pt")
    views = ClipDataset.evaluation(store / "validation", read_preprocessing(checkpoint, checkpoints / "best.pt"))
    probs, targets = predict(model, DataLoader(views, batch_size=16, num_workers=2), "cpu", progress=False)
    metrics = evaluation_metrics(probs, targets, class_names)
    return {
        "variant": name,
        "classes": len(set(targets.tolist())),
        "train": len(tables["train"]),
        "val_top1": metrics["top1"],
        "last_epoch_val_top1": history[-1]["val_top1"],
        "reversal_top1": metrics["reversal_top1"],
        "partner": metrics["reversal_confused_with_partner"],
        "train_top1": history[-1]["train_top1"],
        "seconds": seconds,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", nargs="+", metavar="VARIANT", choices=[*TUNE, *HELD_OUT], help="variants to run")
    parser.add_argument(
        "--set", nargs="+", default=[], metavar="KEY=VALUE", help="override params.yaml, e.g. train.lr=0.001"
    )
    parser.add_argument(
        "--work",
        type=Path,
        default=Path("data/generalisation"),
        help="where the variants' datasets and stores are kept between runs (default: %(default)s)",
    )
    args = parser.parse_args()
    params = config.load_params()
    for item in args.set:
        key, value = item.split("=", 1)
        section, field = key.split(".")
        params[section][field] = yaml.safe_load(value)
    torch.set_num_threads(torch.get_num_threads())
    rows = []
    for name, knobs in {**TUNE, **HELD_OUT}.items():
        if args.only and name not in args.only:
            continue
        rows.append(run_variant(name, knobs, params, args.work))
        print(json.dumps(rows[-1]), flush=True)
    print(
        "\n| variant | set | classes | train videos | val top-1 % | last-epoch val top-1 % | reversal pairs % "
        "| predicted as partner % | final train top-1 % | training s |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        print(
            f"| {r['variant']} | {'tune' if r['variant'] in TUNE else 'held out'} | {r['classes']} | {r['train']} "
            f"| {r['val_top1']:.1f} | {r['last_epoch_val_top1']:.1f} | {r['reversal_top1']:.1f} | {r['partner']:.1f} "
            f"| {r['train_top1']:.1f} | {r['seconds']:.0f} |"
        )


if __name__ == "__main__":
    main()
