"""The whole training run, shared by the train stage and the Optuna trials.

`fit` trains from the clip store with the params of a TrainConfig and ModelConfig, checks
the validation split after every epoch and tells its listeners; given a checkpoint folder, a
Checkpoints listener writes a full checkpoint after every epoch plus the best model, and resumes
a killed run where it stopped. MLflow, Optuna and the DVC files listen from outside this module.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Protocol

import numpy as np
import torch
from torch import nn
from torch.nn.parallel import DistributedDataParallel
from torch.optim.swa_utils import AveragedModel, get_ema_multi_avg_fn
from torch.utils.data import DataLoader, DistributedSampler
from torchvision.transforms import v2

from ssv2.checkpoint import PREPROCESSING, TRAIN_VIDEOS, Checkpoints
from ssv2.classes import flip_map, reverse_map
from ssv2.config import Crop, ModelConfig, TrainConfig, crop_size
from ssv2.data import ClipDataset, DecodeOnDevice, Preprocessing, collate_encoded
from ssv2.distributed import init_distributed
from ssv2.engine import (
    build_optimizer,
    build_scheduler,
    configure_backends,
    evaluate,
    prepare_model,
    train_one_epoch,
    use_bf16,
)
from ssv2.models import build_model
from ssv2.store import SUMMARY_FILE, ClipStore


class Listener(Protocol):
    """What fit tells the integrations around the loop (checkpoints, MLflow, Optuna, the DVC files).

    `on_epoch_end` gets each epoch's metrics (a row of the history; epoch counts from 1) and may raise
    to stop the training (Optuna's pruning); `on_train_end` gets the whole history, resumed epochs included.
    """

    def on_epoch_end(self, epoch: int, metrics: dict[str, float]) -> None: ...

    def on_train_end(self, history: list[dict[str, float]]) -> None: ...


def default_device() -> torch.device:
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


def micro_batch(batch_size: int, processes: int, accumulate: int) -> int:
    """Clips per forward pass: `batch_size` clips per optimiser step are split over processes and accumulation.

    The params then say what is trained whatever the number of GPUs: one process, or eight
    with the same global batch, see the same batches in the same order.
    """
    micro, rest = divmod(batch_size, processes * accumulate)
    if micro == 0 or rest:
        raise ValueError(
            f"train.batch_size {batch_size} must be a multiple of processes ({processes}) x "
            f"train.accumulate ({accumulate})"
        )
    return micro


def epoch_crop(epoch: int, epochs: int, crop: Crop, progressive: Sequence[Crop] | None) -> Crop:
    """The training clips' size in `epoch` (from 0) of `epochs`: progressive resizing, as multigrid training does.

    The epochs fall into len(progressive) + 1 parts, as equal as whole epochs allow; the first train on
    clips of the `progressive` sizes in turn, the last, never the shortest, on `crop`, the size the model
    is used at. Smaller clips cost less a step (on a CPU, 64 x 64 about a third of 128 x 128); fit validates
    each epoch at its own size.
    """
    sizes = [*(progressive or []), crop]
    return sizes[-1 - (epochs - 1 - epoch) * len(sizes) // epochs]  # parts counted from the end


def run_key(model_cfg: ModelConfig, train_cfg: TrainConfig, store_dir: Path, class_names: list[str]) -> str:
    """Fingerprint of everything a checkpoint depends on: a resume only continues the same run.

    Fields left at their dataclass default are not part of it, so that a param added with a default
    that changes nothing keeps the keys of the runs before it.
    """
    digest = hashlib.sha256()
    digest.update(json.dumps([_set_fields(model_cfg), _set_fields(train_cfg), class_names]).encode())
    for name in (SUMMARY_FILE, "train/videos.csv", "validation/videos.csv"):
        digest.update((store_dir / name).read_bytes())
    if model_cfg.pretrained is not None and Path(model_cfg.pretrained).is_file():
        # The weights, not only their path: a file replaced at the same path is another start.
        digest.update(Path(model_cfg.pretrained).read_bytes())
    return digest.hexdigest()


def _set_fields(cfg: ModelConfig | TrainConfig) -> dict:
    """The config's fields that have no default or differ from it."""
    return {
        f.name: getattr(cfg, f.name)
        for f in dataclasses.fields(cfg)
        if f.default is dataclasses.MISSING or getattr(cfg, f.name) != f.default
    }


def inference_state(
    model: nn.Module,
    model_cfg: ModelConfig,
    class_names: list[str],
    preprocessing: Preprocessing,
    train_videos: list[int],
) -> dict:
    """What serving needs to rebuild the model and preprocess a video the way evaluation does, and the
    training split's videos per class (which classes the model learnt: see evaluation_preprocessing)."""
    return {
        "model": model.state_dict(),
        "depth": model_cfg.depth,
        "width": model_cfg.width,
        "centre": model_cfg.centre,
        "scene": model_cfg.scene,
        "still": model_cfg.still,
        "pool": model_cfg.pool,
        "stem_pool": model_cfg.stem_pool,
        "non_local": model_cfg.non_local,
        "class_names": class_names,
        PREPROCESSING: preprocessing.to_dict(),
        TRAIN_VIDEOS: train_videos,
    }


def epoch_metrics(epoch: int, crop: Crop, train: dict[str, float], val: dict[str, float]) -> dict[str, float]:
    """One row of the history: train_* and val_* metrics, then the learning rate, throughput and the
    epoch's clip size (progressive resizing), at which it was both trained and validated."""
    height, width = crop_size(crop)
    return {
        "epoch": epoch,
        **{f"train_{k}": v for k, v in train.items() if k not in ("lr", "clips_per_s")},
        **{f"val_{k}": v for k, v in val.items()},
        "lr": train["lr"],
        "clips_per_s": train["clips_per_s"],
        "crop_height": height,
        "crop_width": width,
    }


def validated(epoch: int, epochs: int, every: int) -> bool:
    """Whether epoch `epoch` (from 1) of `epochs` is validated: the first, every `every`-th and the last."""
    return epoch == 1 or epoch % every == 0 or epoch == epochs


def best_epoch(history: Sequence[dict[str, float]]) -> dict[str, float]:
    """The validated epoch of best validation top-1 among those at the last epoch's clip size, the model's.

    With progressive resizing each epoch is validated at its own size, and a smaller part's figure is
    not the model's: scored at train.crop, a 96-px epoch's 90.6% was 82.8% (tabletop, round 56).
    """

    def size(m: dict[str, float]) -> tuple:
        return m.get("crop_height"), m.get("crop_width")  # None in a history resumed from before round 57

    return max((m for m in history if "val_top1" in m and size(m) == size(history[-1])), key=lambda m: m["val_top1"])


def fit(
    model_cfg: ModelConfig,
    train_cfg: TrainConfig,
    store_dir: str | Path,
    class_names: list[str],
    *,
    checkpoints: str | Path | None = None,
    listeners: Sequence[Listener] = (),
    device: torch.device | None = None,
    progress: bool = True,
) -> list[dict[str, float]]:
    """Train every epoch, validate as `train_cfg.validate_every` says (see validated); returns the history
    of per-epoch metrics (val_* only in the validated epochs' rows).

    Runs as one of several processes when launched by torchrun (DDP: each process trains on
    its shard of every batch, rank 0 writes the files); `train_cfg.batch_size` is the batch
    of all of them together (see micro_batch). With `checkpoints`, a folder, writes `last.pt`
    (everything needed to resume) after every epoch and `model.pt` (the trained model) after the
    last, and resumes an unfinished run of the same params and data from `last.pt`
    (see Checkpoints). Every process tells `listeners`, in order, after the checkpoints.
    """
    store_dir = Path(store_dir)
    rank, world, local_rank = init_distributed()
    if device is None:
        device = torch.device("cuda", local_rank) if torch.cuda.is_available() else torch.device("cpu")
    configure_backends(device)
    amp = use_bf16(train_cfg.precision, device)
    torch.manual_seed(train_cfg.seed)
    micro = micro_batch(train_cfg.batch_size, world, train_cfg.accumulate)
    short_side = json.loads((store_dir / SUMMARY_FILE).read_text())["short_side"]
    preprocessing = Preprocessing(train_cfg.frames, train_cfg.crop, short_side)

    train_set = ClipDataset(
        ClipStore(store_dir / "train"),
        train_cfg.frames,
        train_cfg.crop,
        train=True,
        scale=train_cfg.scale,
        colour=train_cfg.colour,
        flip_map=flip_map(class_names) if train_cfg.flip else None,
        reverse_map=reverse_map(class_names) if train_cfg.reverse else None,
        seed=train_cfg.seed,
        encoded=train_cfg.decode_on == "device",
    )
    val_set = ClipDataset.evaluation(ClipStore(store_dir / "validation"), preprocessing)
    train_videos = np.bincount(train_set.store.labels, minlength=len(class_names)).tolist()
    # One sampler for one process or many: it reshuffles deterministically from (seed, epoch) and
    # deals the permutation out in turn, so the processes' micro-batches make up the single process's batch.
    sampler = DistributedSampler(train_set, num_replicas=world, rank=rank, shuffle=True, seed=train_cfg.seed)
    # Workers live as long as the run (no restart each epoch); pinned uint8 batches copy to the GPU asynchronously.
    loader_args = {
        "batch_size": micro,
        "num_workers": train_cfg.workers,
        "pin_memory": device.type == "cuda",
        "persistent_workers": train_cfg.workers > 0,
    }
    train_loader = DataLoader(
        train_set,
        sampler=sampler,
        drop_last=len(train_set) >= train_cfg.batch_size,
        collate_fn=collate_encoded if train_set.encoded else None,
        **loader_args,
    )
    if train_set.encoded:
        train_loader = DecodeOnDevice(train_loader, device)
    # Validation shards without padding, so the summed metrics are exact; without gradients to keep,
    # a process's whole share of a step fits at once.
    val_loader = DataLoader(
        val_set,
        sampler=range(rank, len(val_set), world),
        **{**loader_args, "batch_size": train_cfg.batch_size // world},
    )

    model = prepare_model(
        build_model(num_classes=len(class_names), **dataclasses.asdict(model_cfg)),
        device,
    )
    criterion = nn.CrossEntropyLoss(label_smoothing=train_cfg.label_smoothing)
    mixup = v2.MixUp(alpha=train_cfg.mixup, num_classes=len(class_names)) if train_cfg.mixup else None
    optimizer = build_optimizer(model, train_cfg.optimizer, train_cfg.lr, train_cfg.momentum, train_cfg.weight_decay)
    steps_per_epoch = -(-len(train_loader) // train_cfg.accumulate)
    scheduler = build_scheduler(optimizer, train_cfg.epochs, steps_per_epoch, train_cfg.warmup_epochs)
    ema = None
    if train_cfg.ema:
        # Per step, so that the average spans about train_cfg.ema epochs whatever the data and batch size.
        decay = 1 - 1 / max(1.0, train_cfg.ema * steps_per_epoch)
        ema = AveragedModel(model, multi_avg_fn=get_ema_multi_avg_fn(decay), use_buffers=True)
    # What is validated and kept: the average where there is one.
    kept = model if ema is None else ema.module

    history: list[dict[str, float]] = []
    if checkpoints is not None:
        saver = Checkpoints(
            checkpoints,
            run_key(model_cfg, train_cfg, store_dir, class_names),
            train_cfg.epochs,
            model=model,
            optimizer=optimizer,
            scheduler=scheduler,
            inference=lambda: inference_state(kept, model_cfg, class_names, preprocessing, train_videos),
            averaged=ema,
            params={"model": dataclasses.asdict(model_cfg), "train": dataclasses.asdict(train_cfg)},
            rank=rank,
        )
        history = saver.resume()
        listeners = [saver, *listeners]
    train_model = DistributedDataParallel(model) if world > 1 else model
    eval_model = kept
    if train_cfg.compile:
        # The wrappers share the parameters of `model` and `kept`, which the checkpoints save (keys without a prefix).
        train_model, eval_model = torch.compile(train_model), torch.compile(kept)

    for epoch in range(len(history), train_cfg.epochs):
        sampler.set_epoch(epoch)
        crop = epoch_crop(epoch, train_cfg.epochs, train_cfg.crop, train_cfg.progressive)
        train_set.set_epoch(epoch, crop)
        # Validated at the size it trains at, as fastai's progressive resizing does: a smaller part's model is
        # judged on what it has learnt, not on clips it has yet to see, at a fraction of the cost.
        val_set.set_epoch(epoch, crop)
        train = train_one_epoch(
            train_model,
            criterion,
            optimizer,
            scheduler,
            train_loader,
            device,
            epoch + 1,
            amp=amp,
            accumulate=train_cfg.accumulate,
            mixup=mixup,
            ema=ema,
            progress=progress,
        )
        if not math.isfinite(train["loss"]):
            # Before the listeners, so that no checkpoint keeps the broken weights.
            raise FloatingPointError(
                f"training diverged: the mean training loss of epoch {epoch + 1} is {train['loss']}; "
                f"lower train.lr (now {train_cfg.lr}) or lengthen train.warmup_epochs"
                + (", or train in float32 (train.precision: float32; bf16 autocast is on)" if amp else "")
            )
        val = {}
        if validated(epoch + 1, train_cfg.epochs, train_cfg.validate_every):
            val = evaluate(eval_model, criterion, val_loader, device, amp=amp, progress=progress)
        history.append(epoch_metrics(epoch + 1, crop, train, val))
        for listener in listeners:
            listener.on_epoch_end(epoch + 1, history[-1])
    for listener in listeners:
        listener.on_train_end(history)
    return history
