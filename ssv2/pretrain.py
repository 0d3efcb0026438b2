"""Pretraining: the network first learns a large draw of the sample's generator, then the user's data.

On a few hundred videos a network trained from scratch fits its training clips far better than
new ones (benchmarks/generalisation.md). Real SSv2 work starts from Kinetics weights; on the small
SSv2-format datasets the defaults are sized for, a draw of the sample's generator stands in for
them. The draw is the sample's (its classes and look knobs) at its own generator seed and size,
with no broken or test videos, drawn straight into a clip store of the user's store params, then
trained with train's recipe but for pretrain's epochs, every epoch at pretrain's crop. No webm lies
between the drawing and the store: writing and materialising the 1,612 videos as webm took 200 s on
a 2-core CPU, drawing them straight into the store 100 s (round 67, benchmarks/make-repro.md), and
the fine-tuning learns the user's own codec.

The benchmark's generators written apart from the sample's (benchmarks/tabletop.py, shelf.py, ...)
share none of its drawing code, so they test this prior; its variants drawn by the sample's own
generator (small-objects, wide-frames, ...) do not.
"""

from __future__ import annotations

import dataclasses
import shutil
from collections.abc import Sequence
from functools import partial
from pathlib import Path

import torch

from ssv2.checkpoint import MODEL, load_model
from ssv2.config import ModelConfig, PretrainConfig, SampleConfig, StoreConfig, TrainConfig
from ssv2.sample import drawn_dataset, read_drawn
from ssv2.store import materialise
from ssv2.training import Listener, fit

VALIDATION_PER_CLASS = 4  # enough to see the pretraining learn; its figures are no test of anything


def draw(sample: SampleConfig, cfg: PretrainConfig) -> SampleConfig:
    """The sample's classes and look at the pretraining's seed and size, without broken or test videos."""
    return dataclasses.replace(
        sample,
        seed=cfg.seed,
        train_per_class=cfg.videos_per_class,
        validation_per_class=VALIDATION_PER_CLASS,
        test_per_class=0,
        broken=0,
    )


def recipe(model_cfg: ModelConfig, train_cfg: TrainConfig, cfg: PretrainConfig) -> tuple[ModelConfig, TrainConfig]:
    """The pretraining's model (from scratch) and training (train's, for cfg's epochs, all at cfg's crop)."""
    return (
        dataclasses.replace(model_cfg, pretrained=None),
        dataclasses.replace(train_cfg, epochs=cfg.epochs, crop=cfg.crop, progressive=None),
    )


def backbone(model: torch.nn.Module) -> dict[str, torch.Tensor]:
    """The network's state dict without its classifier (the user's class count is another), in bf16
    (half the file; the weights are a start, not a result)."""
    return {
        k: v.to(torch.bfloat16) if v.is_floating_point() else v
        for k, v in model.state_dict().items()
        if not k.startswith("fc.")
    }


def pretrain(
    sample: SampleConfig,
    store_cfg: StoreConfig,
    model_cfg: ModelConfig,
    train_cfg: TrainConfig,
    cfg: PretrainConfig,
    work: Path,
    out: Path,
    listeners: Sequence[Listener] = (),
) -> list[dict[str, float]]:
    """Draw into a store and train in `work`, write the backbone to `out`, delete the store (raw frames
    that nothing reads again: 4.6 GB for the default draw); returns the training's history."""
    work, out = Path(work), Path(out)
    store, drawn = work / "store", draw(sample, cfg)
    class_names, tables = drawn_dataset(drawn)
    materialise(tables, store, **dataclasses.asdict(store_cfg), read=partial(read_drawn, cfg=drawn))
    model_cfg, train_cfg = recipe(model_cfg, train_cfg, cfg)
    history = fit(model_cfg, train_cfg, store, class_names, checkpoints=work / "models", listeners=listeners)
    model, _ = load_model(work / "models" / MODEL)
    out.parent.mkdir(parents=True, exist_ok=True)
    torch.save(backbone(model), out)
    shutil.rmtree(store)
    return history
