"""Pretrain params.yaml's network on many videos of the sample's own generator, for `model.pretrained`.

The other generators (benchmarks/foreign.py, tabletop.py, desk.py, kitchen.py, floor.py, shelf.py)
were written apart from the sample's (ssv2/sample.py) and share none of its drawing code, so weights
learnt here from a large draw of the sample's generator are a prior on hand-object motion, not on
their videos: the synthetic stand-in for starting from Kinetics weights on real SSv2 (where they
would be the wrong start: use Kinetics'). The benchmark's variants drawn by the sample's own
generator (small-objects, wide-frames, ...) are no test of such weights. The draw uses a
generator seed that no variant or sample uses, params.yaml's sample knobs and classes otherwise,
and params.yaml's store, model and train sections, but `--epochs`. Writes the trained network's
state dict without its classifier (whose class count is the user's), in bf16 to halve the file.

    python benchmarks/pretrain.py                                   # the defaults below
    python benchmarks/pretrain.py --train-per-class 40 --epochs 2   # a quick look
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import torch
from generalisation import Progress, prepare

from ssv2 import config
from ssv2.checkpoint import MODEL, load_model
from ssv2.training import fit

SEED = 1000  # the sample is seed 0, the benchmark's variants 1-8 and their fresh draws 100-108


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--train-per-class", type=int, default=120, help="training videos a class")
    parser.add_argument("--epochs", type=int, default=15, help="epochs of the pretraining's schedule")
    parser.add_argument("--seed", type=int, default=SEED, help="the generator's seed")
    parser.add_argument("--work", type=Path, default=Path("data/pretrain"), help="dataset, store and checkpoints")
    parser.add_argument("--out", type=Path, default=Path("weights/sample-r3d.pth"), help="the state dict written")
    args = parser.parse_args()

    params = config.load_params()
    knobs = {"seed": args.seed, "train_per_class": args.train_per_class, "validation_per_class": 4}
    class_names, tables, store = prepare("sample-large", knobs, params, args.work)
    model_cfg = config.from_dict(config.ModelConfig, {**params["model"], "pretrained": None}, "model")
    train_cfg = config.from_dict(config.TrainConfig, {**params["train"], "epochs": args.epochs}, "train")
    train = tables["train"]
    print(f"pretraining on {len(train)} videos of {train['label'].nunique()} classes for {args.epochs} epochs")
    start = time.perf_counter()
    history = fit(
        model_cfg, train_cfg, store, class_names, checkpoints=args.work / "models", listeners=[Progress("pretrain")]
    )
    model, _ = load_model(args.work / "models" / MODEL)
    state = {
        k: v.to(torch.bfloat16) if v.is_floating_point() else v
        for k, v in model.state_dict().items()
        if not k.startswith("fc.")
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    torch.save(state, args.out)
    last = history[-1]
    print(
        f"{args.out}: {sum(v.numel() for v in state.values())} values; {time.perf_counter() - start:.0f} s, "
        f"train top-1 {last['train_top1']:.1f}%, val top-1 {last['val_top1']:.1f}% "
        f"(R3D-{model_cfg.depth}, width {model_cfg.width})"
    )


if __name__ == "__main__":
    main()
