"""3D ResNets (R3D-18/34/50) built from torchvision's VideoResNet parts, as `r3d_18` builds them."""

from __future__ import annotations

from pathlib import Path

import torch
from torch import Tensor
from torchvision.models.video import R3D_18_Weights
from torchvision.models.video.resnet import BasicBlock, BasicStem, Bottleneck, Conv3DSimple, VideoResNet

# Kinetics-400 statistics, used by torchvision's video models and their pretrained weights.
MEAN = (0.43216, 0.394666, 0.37645)
STD = (0.22803, 0.22145, 0.216989)

# depth -> (block, blocks per stage), the layouts of the 2D ResNets of the same depth.
ARCHITECTURES: dict[int, tuple[type[BasicBlock | Bottleneck], list[int]]] = {
    18: (BasicBlock, [2, 2, 2, 2]),
    34: (BasicBlock, [3, 4, 6, 3]),
    50: (Bottleneck, [3, 4, 6, 3]),
}


def build_model(depth: int, num_classes: int, pretrained: str | Path | None = None) -> VideoResNet:
    """An R3D of the given depth with `num_classes` outputs.

    `pretrained` is a path to torchvision's r3d_18 Kinetics-400 state dict; every weight but
    the classifier (whose class count differs) is loaded from it.
    """
    if depth not in ARCHITECTURES:
        raise ValueError(f"unknown depth {depth!r}: must be one of {sorted(ARCHITECTURES)}")
    if pretrained is not None and depth != 18:
        raise ValueError(f"pretrained weights exist for depth 18 only (torchvision's r3d_18), got depth {depth}")
    block, layers = ARCHITECTURES[depth]
    model = VideoResNet(block, [Conv3DSimple] * 4, layers, BasicStem, num_classes=num_classes)
    if pretrained is not None:
        load_pretrained(model, pretrained)
    return model


def load_pretrained(model: VideoResNet, path: str | Path) -> None:
    """Load a torchvision r3d_18 state dict into `model`, all but the `fc` layer."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(
            f"{path}: pretrained weights not found. Download torchvision's R3D_18_Weights.KINETICS400_V1 "
            f"from {R3D_18_Weights.KINETICS400_V1.url} and set model.pretrained to its path"
        )
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as e:  # torch raises several types for a file that is not a state dict
        raise ValueError(f"{path}: not a loadable PyTorch state dict: {e}") from e
    if not isinstance(state, dict) or not all(isinstance(v, Tensor) for v in state.values()):
        raise ValueError(f"{path}: expected a state dict (a mapping of names to tensors)")

    state = {k: v for k, v in state.items() if not k.startswith("fc.")}
    own = {k: v for k, v in model.state_dict().items() if not k.startswith("fc.")}
    problems = []
    if missing := sorted(own.keys() - state.keys()):
        problems.append(f"missing {missing[:5]}{' ...' if len(missing) > 5 else ''}")
    if unexpected := sorted(state.keys() - own.keys()):
        problems.append(f"unexpected {unexpected[:5]}{' ...' if len(unexpected) > 5 else ''}")
    if mismatched := sorted(k for k in own.keys() & state.keys() if own[k].shape != state[k].shape):
        shapes = [f"{k} {tuple(state[k].shape)} vs {tuple(own[k].shape)}" for k in mismatched[:5]]
        problems.append(f"shape mismatch {shapes}")
    if problems:
        raise ValueError(f"{path}: does not match an r3d_18 state dict: {'; '.join(problems)}")
    model.load_state_dict(state, strict=False)


def normalize(clips: Tensor) -> Tensor:
    """uint8 clips (..., C, T, H, W) in [0, 255] -> float32 normalised with MEAN and STD."""
    if clips.dtype != torch.uint8:
        raise TypeError(f"normalize expects uint8 clips, got {clips.dtype}")
    if clips.ndim < 4 or clips.shape[-4] != 3:
        raise ValueError(f"normalize expects clips shaped (..., 3, T, H, W), got {tuple(clips.shape)}")
    mean = torch.tensor(MEAN, device=clips.device).view(3, 1, 1, 1)
    std = torch.tensor(STD, device=clips.device).view(3, 1, 1, 1)
    return (clips.float() / 255 - mean) / std
