"""Training and evaluation loops in the style of torchvision's video classification reference."""

from __future__ import annotations

import math
import time
from collections.abc import Iterable, Sequence
from contextlib import nullcontext

import torch
import torch.distributed as dist
from torch import Tensor, nn
from torch.optim.swa_utils import AveragedModel
from torchvision import tv_tensors
from torchvision.transforms import v2
from tqdm import tqdm

from ssv2.config import PRECISIONS
from ssv2.distributed import is_distributed, is_main_process

Batch = tuple[Tensor, Tensor]


def accuracy(output: Tensor, target: Tensor, topk: Sequence[int] = (1,)) -> list[float]:
    """Top-k accuracies in percent of `output` (N, K) scores against `target` (N,) labels."""
    with torch.inference_mode():
        # With fewer than k classes every sample is top-k correct.
        maxk = min(max(topk), output.shape[1])
        _, pred = output.topk(maxk, 1, True, True)
        correct = pred.t().eq(target[None])
        return [correct[:k].sum().item() * 100.0 / target.shape[0] for k in topk]


def build_optimizer(
    model: nn.Module, name: str, lr: float, momentum: float, weight_decay: float
) -> torch.optim.Optimizer:
    """SGD with momentum or AdamW; biases and norm-layer weights (the 1-d parameters) get no weight decay.

    On CUDA and CPU the update is fused: one kernel for all parameters instead of one per tensor.
    """
    params = [p for p in model.parameters() if p.requires_grad]
    groups = [
        {"params": [p for p in params if p.ndim > 1], "weight_decay": weight_decay},
        {"params": [p for p in params if p.ndim <= 1], "weight_decay": 0.0},
    ]
    fused = True if params and params[0].device.type in ("cuda", "cpu") else None
    if name == "sgd":
        return torch.optim.SGD(groups, lr=lr, momentum=momentum, nesterov=False, fused=fused)
    if name == "adamw":
        return torch.optim.AdamW(groups, lr=lr, fused=fused)
    raise ValueError(f"unknown optimizer {name!r}: must be sgd or adamw")


def build_scheduler(
    optimizer: torch.optim.Optimizer, epochs: int, steps_per_epoch: int, warmup_epochs: float
) -> torch.optim.lr_scheduler.LambdaLR:
    """Per-iteration schedule: linear warm-up from lr/100 to lr, then cosine decay to zero."""
    if epochs < 1 or steps_per_epoch < 1:
        raise ValueError(f"epochs and steps_per_epoch must be positive, got {epochs} and {steps_per_epoch}")
    if not 0 <= warmup_epochs <= epochs:
        raise ValueError(f"warmup_epochs must be between 0 and epochs ({epochs}), got {warmup_epochs}")
    total = epochs * steps_per_epoch
    warmup = round(warmup_epochs * steps_per_epoch)

    def factor(step: int) -> float:
        if step < warmup:
            return 0.01 + 0.99 * step / warmup
        return 0.5 * (1 + math.cos(math.pi * min(step - warmup, total - warmup) / max(1, total - warmup)))

    return torch.optim.lr_scheduler.LambdaLR(optimizer, factor)


def bf16_native(device: torch.device | str) -> bool:
    """Whether autocast in bf16 is the default on `device`: CUDA GPUs with native bf16 (Ampere on),
    and CPUs with AVX-512 BF16 or AMX.

    Other CPUs stay in float32: without native bf16 (AVX2 only) autocast emulates it, about 30x
    slower for R3D-18 training. With AVX-512 BF16 and no AMX (the AMD EPYCs of these sessions) a
    step of today's model takes 0.68x float32's, once `models.Conv3D` steps round the oneDNN kernel
    that turned 6 of 20 such trainings NaN within the first epoch; with AMX (Intel Xeons) 0.7x
    (README, rounds 44 and 48).
    """
    device = torch.device(device)
    if device.type == "cpu":
        return torch.cpu._is_avx512_bf16_supported() or torch.cpu._is_amx_tile_supported()
    return device.type == "cuda" and torch.cuda.is_bf16_supported(including_emulation=False)


def use_bf16(precision: str, device: torch.device | str) -> bool:
    """Whether train.precision asks for bf16 autocast on `device`: auto where it is native (bf16_native)."""
    if precision not in PRECISIONS:
        raise ValueError(f"precision must be one of {', '.join(PRECISIONS)}, got {precision!r}")
    return bf16_native(device) if precision == "auto" else precision == "bf16"


def configure_backends(device: torch.device | str) -> None:
    """Process-wide settings for fast steps on `device`: cuDNN autotuning and TF32 matmuls on CUDA."""
    if torch.device(device).type == "cuda":
        # Clip shapes are fixed, so autotuning each convolution once pays off from the first epoch.
        torch.backends.cudnn.benchmark = True
        torch.set_float32_matmul_precision("high")


def prepare_model(
    model: nn.Module, device: torch.device | str, memory_format: torch.memory_format = torch.channels_last_3d
) -> nn.Module:
    """Move the model to `device`, by default in channels-last-3d layout (faster 3D convolutions in
    cuDNN, and in oneDNN on CPUs); the loops give the input the layout of the model's weights."""
    return model.to(device=torch.device(device), memory_format=memory_format)


def input_format(model: nn.Module) -> torch.memory_format:
    """channels_last_3d if the model's first 3D convolution weight is laid out so, else contiguous."""
    for p in model.parameters():
        if p.ndim == 5:
            cl = p.is_contiguous(memory_format=torch.channels_last_3d) and not p.is_contiguous()
            return torch.channels_last_3d if cl else torch.contiguous_format
    return torch.contiguous_format


def clips_to_device(
    clips: Tensor, device: torch.device | str, memory_format: torch.memory_format = torch.contiguous_format
) -> Tensor:
    """uint8 clips (B, C, T, H, W) on `device`, in `memory_format`.

    The uint8 clips travel (4x smaller than float; non-blocking from pinned memory) and the
    model normalises them on the device.
    """
    return clips.to(device, non_blocking=True).contiguous(memory_format=memory_format)


def _autocast(device: torch.device, amp: bool | None) -> torch.autocast:
    # bf16 needs no gradient scaling. None: wherever the device has native bf16.
    enabled = bf16_native(device) if amp is None else amp
    return torch.autocast(device.type, dtype=torch.bfloat16, enabled=enabled)


def _sum_across_processes(sums: Tensor, count: int) -> list[float]:
    """[*sums, count] summed over all processes, as Python floats."""
    totals = torch.cat([sums, sums.new_tensor([count])])
    if is_distributed():
        dist.all_reduce(totals)
    return totals.tolist()


def _progress(loader: Iterable, desc: str, progress: bool) -> tqdm:
    return tqdm(loader, desc=desc, disable=not (progress and is_main_process()), dynamic_ncols=True)


def train_one_epoch(
    model: nn.Module,
    criterion: nn.Module,
    optimizer: torch.optim.Optimizer,
    scheduler: torch.optim.lr_scheduler.LRScheduler,
    loader: Iterable[Batch],
    device: torch.device | str,
    epoch: int,
    *,
    amp: bool | None = None,
    accumulate: int = 1,
    mixup: v2.MixUp | None = None,
    ema: AveragedModel | None = None,
    progress: bool = True,
) -> dict[str, float]:
    """One pass over `loader`, stepping the optimiser and the scheduler every `accumulate` batches.

    Gradients of `accumulate` consecutive batches (fewer at the end of the epoch) are averaged
    before each step, as if they were one batch; under DDP only the last of them synchronises.
    `amp`: bf16 autocast; None uses it where the device has native bf16. `mixup` blends each
    batch on the device with itself rolled by one clip, and the labels alike (`criterion` must
    take class probabilities); top-1 and top-5 then count the larger share of each blend. `ema`
    averages the weights after every optimiser step.

    Returns loss, top1, top5 (percent) averaged over every clip of every process, lr (the
    learning rate of the epoch's last step) and clips_per_s (all processes, loading included).
    """
    if accumulate < 1:
        raise ValueError(f"accumulate must be at least 1, got {accumulate}")
    device = torch.device(device)
    model.train()
    # Sums stay on the device so that no step waits for a host sync: loss x clips, top-1 and top-5 hits.
    sums = torch.zeros(3, dtype=torch.float64, device=device)
    count = 0
    batches = len(loader)
    layout = input_format(model)
    lr = optimizer.param_groups[0]["lr"]
    optimizer.zero_grad(set_to_none=True)
    start = time.perf_counter()
    bar = _progress(loader, f"epoch {epoch}", progress)
    for step, (clips, target) in enumerate(bar):
        first = step - step % accumulate
        group = min(accumulate, batches - first)  # batches in this step's group
        last = step == first + group - 1
        clips, target = clips_to_device(clips, device, layout), target.to(device, non_blocking=True)
        if mixup is not None:
            # On the device, so that the blend works for decode_on device too; back to uint8, which the
            # model takes, at the cost of rounding to a grey level.
            clips, target = mixup(tv_tensors.Video(clips.float()), target)
            clips = clips.as_subclass(Tensor).round().to(torch.uint8).contiguous(memory_format=layout)
        # DDP's no_sync (reached through a torch.compile wrapper too) skips the all-reduce until the last batch.
        no_sync = getattr(model, "no_sync", None)
        sync = no_sync() if no_sync is not None and not last else nullcontext()
        with sync:
            with _autocast(device, amp):
                output = model(clips)
                loss = criterion(output, target)
            (loss / group).backward()
        if last:
            optimizer.step()
            if ema is not None:
                ema.update_parameters(model)
            optimizer.zero_grad(set_to_none=True)
            lr = optimizer.param_groups[0]["lr"]
            scheduler.step()

        n = target.shape[0]
        sums += torch.stack([loss.detach().double() * n, *_correct(output.detach(), target)])
        count += n
        if not bar.disable and step % 10 == 0:
            bar.set_postfix(loss=f"{sums[0].item() / count:.4f}", lr=f"{lr:.3g}")

    if device.type == "cuda":
        torch.cuda.synchronize(device)
    elapsed = time.perf_counter() - start
    loss_sum, top1, top5, count = _sum_across_processes(sums, count)
    if count == 0:
        raise ValueError("train_one_epoch: the loader yielded no batches")
    return {
        "loss": loss_sum / count,
        "top1": 100.0 * top1 / count,
        "top5": 100.0 * top5 / count,
        "lr": lr,
        "clips_per_s": count / elapsed,
    }


def _correct(scores: Tensor, target: Tensor) -> tuple[Tensor, Tensor]:
    """Number of top-1 and top-5 hits, as float64 tensors on the scores' device; a target of class
    probabilities (a mixup blend) counts its most likely class, as torchvision's references do."""
    if target.ndim == 2:
        target = target.argmax(1)
    pred = scores.topk(min(5, scores.shape[1]), 1).indices
    hits = pred.eq(target[:, None])
    return hits[:, :1].sum().double(), hits.sum().double()


def view_log_probs(
    model: nn.Module,
    clips: Tensor,
    device: torch.device | str,
    *,
    partner: Sequence[int] | None = None,
    amp: bool | None = None,
) -> Tensor:
    """Log of the softmax averaged over views: clips (B, V, C, T, H, W) or (B, C, T, H, W) -> (B, K).

    With `partner` (classes.reverse_map), each view also plays backwards and its probabilities are
    relabelled, class k's taken from partner[k]: the view of "Moving something up" played backwards
    votes for "Moving something down" as what the forward clip shows.
    """
    device = torch.device(device)
    if clips.ndim == 5:
        clips = clips[:, None]
    if clips.ndim != 6:
        raise ValueError(f"expected clips (B, C, T, H, W) or (B, V, C, T, H, W), got {tuple(clips.shape)}")
    if partner is not None:
        clips = torch.cat([clips, clips.flip(3)], 1)
    b, v = clips.shape[:2]
    with _autocast(device, amp):
        logits = model(clips_to_device(clips.flatten(0, 1), device, input_format(model)))
    log_probs = logits.float().log_softmax(-1).view(b, v, -1)
    if partner is not None:
        backwards = log_probs[:, v // 2 :, torch.as_tensor(partner, device=log_probs.device)]
        log_probs = torch.cat([log_probs[:, : v // 2], backwards], 1)
    # log(mean_v p_v), computed without leaving log space so confident views cannot underflow to log(0).
    return log_probs.logsumexp(1) - math.log(v)


def evaluate(
    model: nn.Module,
    criterion: nn.Module,
    loader: Iterable[Batch],
    device: torch.device | str,
    *,
    partner: Sequence[int] | None = None,
    amp: bool | None = None,
    progress: bool = True,
) -> dict[str, float]:
    """loss, top1, top5 (percent) of the view-averaged predictions (see view_log_probs), over every clip of
    every process.

    The loss is `criterion` (a mean-reduced cross-entropy) applied to the log of the averaged
    probabilities; with one view that is exactly the loss of the logits. Under DDP the totals are
    summed, so the result is exact provided the sampler neither pads nor repeats samples.
    """
    device = torch.device(device)
    model.eval()
    sums = torch.zeros(3, dtype=torch.float64, device=device)
    count = 0
    with torch.inference_mode():
        for clips, target in _progress(loader, "evaluate", progress):
            log_probs = view_log_probs(model, clips, device, partner=partner, amp=amp)
            target = target.to(device, non_blocking=True)
            n = target.shape[0]
            loss = criterion(log_probs, target)  # cross-entropy's log_softmax leaves log-probabilities unchanged
            sums += torch.stack([loss.double() * n, *_correct(log_probs, target)])
            count += n
    loss_sum, top1, top5, count = _sum_across_processes(sums, count)
    if count == 0:
        raise ValueError("evaluate: the loader yielded no batches")
    return {"loss": loss_sum / count, "top1": 100.0 * top1 / count, "top5": 100.0 * top5 / count}


def predict(
    model: nn.Module,
    loader: Iterable[Batch],
    device: torch.device | str,
    *,
    partner: Sequence[int] | None = None,
    amp: bool | None = None,
    progress: bool = True,
) -> tuple[Tensor, Tensor]:
    """(probabilities (N, K) averaged over views (see view_log_probs), targets (N,)) on the CPU, in the
    loader's order."""
    device = torch.device(device)
    model.eval()
    probs, targets = [], []
    with torch.inference_mode():
        for clips, target in _progress(loader, "predict", progress):
            probs.append(view_log_probs(model, clips, device, partner=partner, amp=amp).exp().cpu())
            targets.append(target.cpu())
    if not probs:
        raise ValueError("predict: the loader yielded no batches")
    return torch.cat(probs), torch.cat(targets)


def confusion_matrix(pred: Tensor, target: Tensor, num_classes: int) -> Tensor:
    """(K, K) int64 counts; row = true class, column = predicted class."""
    pred, target = pred.long().flatten(), target.long().flatten()
    if pred.shape != target.shape:
        raise ValueError(f"pred and target differ in length: {pred.numel()} vs {target.numel()}")
    for name, labels in (("pred", pred), ("target", target)):
        if labels.numel() and (labels.min() < 0 or labels.max() >= num_classes):
            raise ValueError(f"{name} holds labels outside [0, {num_classes}): {labels.min()}..{labels.max()}")
    return torch.bincount(target * num_classes + pred, minlength=num_classes**2).view(num_classes, num_classes)


def per_class_accuracy(confusion: Tensor) -> Tensor:
    """(K,) float64 percent of each true class predicted right; NaN for classes with no samples."""
    confusion = confusion.double()
    return 100.0 * confusion.diagonal() / confusion.sum(1)  # 0/0 gives NaN for absent classes


def mean_class_accuracy(confusion: Tensor) -> float:
    """Per-class accuracy (percent) averaged over the classes present in the targets."""
    return per_class_accuracy(confusion).nanmean().item()


def pair_accuracy(pred: Tensor, target: Tensor, pairs: Sequence[tuple[int, int]]) -> dict[str, float]:
    """Accuracy on the samples whose true class belongs to one of `pairs` (e.g. left/right twins).

    Returns top1 (percent right), partner (percent predicted as the other class of their pair)
    and samples (how many); both percentages are NaN when there are no such samples.
    """
    partner: dict[int, int] = {}
    for a, b in pairs:
        if a == b or a in partner or b in partner:
            raise ValueError(f"pairs must be disjoint pairs of distinct classes, got {list(pairs)}")
        partner[a], partner[b] = b, a
    pred, target = pred.long().flatten().cpu(), target.long().flatten().cpu()
    if pred.shape != target.shape:
        raise ValueError(f"pred and target differ in length: {pred.numel()} vs {target.numel()}")
    other = torch.tensor([partner.get(t, -1) for t in target.tolist()], dtype=torch.long)
    mask = other >= 0
    samples = int(mask.sum())
    if samples == 0:
        return {"top1": math.nan, "partner": math.nan, "samples": 0}
    return {
        "top1": 100.0 * (pred[mask] == target[mask]).double().mean().item(),
        "partner": 100.0 * (pred[mask] == other[mask]).double().mean().item(),
        "samples": samples,
    }
