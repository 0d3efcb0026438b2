"""How far a bf16 autocast training step's gradients are from exact ones, against an ideal bf16, in one run.

For params.yaml's model on this machine's CPU, one batch of smooth random clips and random labels,
the gradient of the training loss for every parameter, by four paths:

- float64: the reference;
- float32: the model as float32 trains it (channels-last-3d, as ssv2.engine lays it out);
- bf16 autocast: as train.precision bf16 runs it, through this CPU's own bf16 kernels (and
  models.Conv3D's float32 detour where it applies);
- ideal bf16: every convolution and the classifier computed exactly in float32 on operands rounded
  to bf16, their outputs and gradients rounded to bf16, as autocast would with perfect kernels.

Prints, per path, the relative error of each parameter's gradient against float64
(||g - g64|| / ||g64||): the median and mean over parameters, the whole gradient's, and the
classifier's and the stem's. bf16 autocast near ideal bf16 means this CPU's kernels lose nothing
that bf16 itself does not; far above it names a kernel that does (models.Conv3D's docstring has one).

The batch norms' weights and biases are drawn at random first: the recipe initialises each residual
branch's last norm to zero, which would leave most convolutions without a gradient to compare.

    python benchmarks/bf16_gradients.py                        # batch 8, seeds 0 1 2, 1 thread
    python benchmarks/bf16_gradients.py --batch 4 --seeds 3 --threads 2
"""

from __future__ import annotations

import argparse
import copy
import dataclasses
import statistics
from collections import defaultdict

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from ssv2 import config
from ssv2.engine import bf16_native
from ssv2.models import build_model


def bf16(x: Tensor) -> Tensor:
    """x rounded to bf16 (round to nearest even), kept in x's dtype."""
    return x.to(torch.bfloat16).to(x.dtype)


class _RoundGrad(torch.autograd.Function):
    """Identity forward; rounds the gradient flowing back through it to bf16."""

    @staticmethod
    def forward(ctx, x: Tensor) -> Tensor:
        return x.view_as(x)

    @staticmethod
    def backward(ctx, grad: Tensor) -> Tensor:
        return bf16(grad)


def _ideal(module: nn.Conv3d | nn.Linear):
    """A forward for `module` in ideal bf16: rounded operands, float32 arithmetic, rounded output and gradients."""

    def forward(x: Tensor) -> Tensor:
        weight = _RoundGrad.apply(bf16(module.weight))
        bias = None if module.bias is None else _RoundGrad.apply(bf16(module.bias))
        x = _RoundGrad.apply(bf16(x))
        if isinstance(module, nn.Linear):
            y = F.linear(x, weight, bias)
        else:
            y = F.conv3d(x, weight, bias, module.stride, module.padding, module.dilation, module.groups)
        return _RoundGrad.apply(bf16(y))

    return forward


def gradients(model: nn.Module, clips: Tensor, labels: Tensor, autocast: bool = False) -> dict[str, Tensor]:
    """Every parameter's gradient of the cross-entropy loss on one batch, in float64."""
    model.zero_grad()
    with torch.autocast("cpu", dtype=torch.bfloat16, enabled=autocast):
        loss = F.cross_entropy(model(clips), labels)
    loss.backward()
    return {name: p.grad.double() for name, p in model.named_parameters() if p.grad is not None}


def relative_errors(grads: dict[str, Tensor], reference: dict[str, Tensor]) -> dict[str, float]:
    """||g - g64|| / ||g64|| for each parameter with a non-zero reference gradient, and for all together ("all")."""
    errors = {n: float((g - reference[n]).norm() / reference[n].norm()) for n, g in grads.items() if reference[n].any()}
    flat = torch.cat([g.flatten() for g in grads.values()])
    flat64 = torch.cat([reference[n].flatten() for n in grads])
    return errors | {"all": float((flat - flat64).norm() / flat64.norm())}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--batch", type=int, default=8, help="clips in the batch (train.batch_size's default: 8)")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2], help="one batch and model draw per seed")
    parser.add_argument("--threads", type=int, default=1, help="torch threads")
    parser.add_argument("--classes", type=int, default=8, help="classifier outputs")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    model_cfg = config.load(config.ModelConfig, "model")
    train_cfg = config.load(config.TrainConfig, "train")
    frames, (height, width) = train_cfg.frames, config.crop_size(train_cfg.crop)
    print(f"CPU bf16 native: {bf16_native(torch.device('cpu'))}, AMX: {torch.cpu._is_amx_tile_supported()}")
    print(
        f"model: depth {model_cfg.depth}, width {model_cfg.width}; clips {args.batch} x 3 x {frames} x {height} x {width}"
    )
    print("| seed | path | median | mean | whole gradient | fc.weight | stem.0.weight |")
    print("|---|---|---|---|---|---|---|")
    means: dict[str, list[float]] = defaultdict(list)
    for seed in args.seeds:
        torch.manual_seed(seed)
        model = build_model(num_classes=args.classes, **dataclasses.asdict(model_cfg))
        for module in model.modules():
            if isinstance(module, nn.BatchNorm3d):
                nn.init.uniform_(module.weight, 0.5, 1.5)
                nn.init.uniform_(module.bias, -0.2, 0.2)
        model.train()
        # Smooth in space and time, as video is: coarse noise upsampled, plus a little fine noise.
        coarse = torch.rand(args.batch, 3, frames // 2, height // 8, width // 8)
        smooth = F.interpolate(coarse, size=(frames, height, width), mode="trilinear") * 200 + 20
        clips = (smooth + 10 * torch.randn_like(smooth)).clamp(0, 255).to(torch.uint8)
        labels = torch.randint(args.classes, (args.batch,))
        # Each path starts from the same weights and batch-norm statistics: a forward pass in train mode updates them.
        reference = gradients(copy.deepcopy(model).double(), clips, labels)
        fast = copy.deepcopy(model).to(memory_format=torch.channels_last_3d)
        ideal = copy.deepcopy(model)
        for module in ideal.modules():
            if isinstance(module, (nn.Conv3d, nn.Linear)):
                module.forward = _ideal(module)
        runs = {
            "float32": gradients(copy.deepcopy(fast), clips, labels),
            "bf16 autocast": gradients(fast, clips, labels, autocast=True),
            "ideal bf16": gradients(ideal, clips, labels),
        }
        for path, grads in runs.items():
            errors = relative_errors(grads, reference)
            per_param = [e for n, e in errors.items() if n != "all"]
            means[path].append(statistics.mean(per_param))
            print(
                f"| {seed} | {path} | {statistics.median(per_param):.4f} | {statistics.mean(per_param):.4f} |"
                f" {errors['all']:.4f} | {errors.get('fc.weight', float('nan')):.4f} |"
                f" {errors.get('stem.0.weight', float('nan')):.4f} |"
            )
    print(
        "mean per-parameter relative error over seeds: "
        + ", ".join(f"{p} {statistics.mean(v):.4f}" for p, v in means.items())
    )


if __name__ == "__main__":
    main()
