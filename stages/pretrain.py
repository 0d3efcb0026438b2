"""DVC stage: pretrain the network on a large draw of the sample's generator, the train stage's start.

With pretrain.videos_per_class 0 it writes an empty state dict and a note instead (DVC needs its
outputs), and the train stage starts from model.pretrained, or from scratch.
"""

import shutil

import torch

from ssv2 import config
from ssv2.paths import PRETRAIN, PRETRAINED
from ssv2.pretrain import pretrain


def main() -> None:
    cfg = config.load(config.PretrainConfig, "pretrain")
    if not cfg.videos_per_class:
        message = f"pretrain.videos_per_class is 0: no pretraining ({PRETRAINED} is empty)"
        # DVC needs the outputs: a note where the draw would be, and an empty state dict.
        shutil.rmtree(PRETRAIN, ignore_errors=True)
        PRETRAIN.mkdir(parents=True)
        (PRETRAIN / "SKIPPED.txt").write_text(message + "\n", encoding="utf-8")
        PRETRAINED.parent.mkdir(parents=True, exist_ok=True)
        torch.save({}, PRETRAINED)
        print(message)
        return
    history = pretrain(
        config.load(config.SampleConfig, "sample"),
        config.load(config.StoreConfig, "store"),
        config.load(config.ModelConfig, "model"),
        config.load(config.TrainConfig, "train"),
        cfg,
        PRETRAIN,
        PRETRAINED,
    )
    last = history[-1]
    print(
        f"{PRETRAINED}: pretrained on {cfg.videos_per_class} videos a class for {cfg.epochs} epochs, "
        f"train top-1 {last['train_top1']:.1f}%, val top-1 {last['val_top1']:.1f}% on its own draw"
    )


if __name__ == "__main__":
    main()
