"""3D ResNets (R3D-18/34/50) built from torchvision's VideoResNet parts, as `r3d_18` builds them."""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import cache
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import Tensor, nn
from torchvision.models import ResNet50_Weights
from torchvision.models.video import R3D_18_Weights
from torchvision.models.video.resnet import BasicBlock, Bottleneck, Conv3DSimple, VideoResNet

# Kinetics-400 statistics, used by torchvision's video models and their pretrained weights.
MEAN = (0.43216, 0.394666, 0.37645)
STD = (0.22803, 0.22145, 0.216989)

# depth -> (block, blocks per stage), the layouts of the 2D ResNets of the same depth.
ARCHITECTURES: dict[int, tuple[type[BasicBlock | Bottleneck], list[int]]] = {
    18: (BasicBlock, [2, 2, 2, 2]),
    34: (BasicBlock, [3, 4, 6, 3]),
    50: (Bottleneck, [3, 4, 6, 3]),
}


@cache
def _amx() -> bool:
    return torch.cpu._is_amx_tile_supported()


def _two_steps_in_float32(forward: Callable[[Tensor], Tensor], x: Tensor) -> Tensor:
    """`forward(x)`, in float32 where oneDNN's bf16 kernel for a clip two time steps deep goes wrong.

    On CPUs with AVX-512 BF16 but no AMX (the AMD EPYCs of these sessions), oneDNN's bf16
    weight-gradient kernel (`jit_bf16:avx512_core_bf16`, torch 2.12) returns NaN at random for
    convolutions three steps wide in time over a clip two steps deep (in 21-56 calls of 200 for
    `layer3` of an 8-frame R3D, and in most calls for the stem of a 2-frame one); the weights then
    turn NaN within the first epoch. No other depth did (1, 3, 4, 8: an ad-hoc sweep, round 59).
    Under CPU autocast those convolutions run in float32 there (a small share of the model's work:
    2 x 8 x 8 positions of layer3 at 128 px); the others stay in bf16, and nothing changes on GPUs
    or CPUs with AMX.
    """
    if x.shape[2] == 2 and x.device.type == "cpu" and torch.is_autocast_enabled("cpu") and not _amx():
        with torch.autocast("cpu", enabled=False):
            return forward(x.float())
    return forward(x)


class Conv3D(Conv3DSimple):
    """torchvision's 3x3x3 Conv3DSimple, in float32 for two-step clips on some CPUs (_two_steps_in_float32)."""

    def forward(self, x: Tensor) -> Tensor:
        return _two_steps_in_float32(super().forward, x)


class StemConv(nn.Conv3d):
    """BasicStem's 3x7x7 convolution (stride 2 in space), in float32 for two-frame clips on some CPUs
    (_two_steps_in_float32)."""

    def __init__(self, in_channels: int, out_channels: int):
        super().__init__(in_channels, out_channels, (3, 7, 7), stride=(1, 2, 2), padding=(1, 3, 3), bias=False)

    def forward(self, x: Tensor) -> Tensor:
        return _two_steps_in_float32(super().forward, x)


class Stem(nn.Sequential):
    """torchvision's BasicStem (its layers, names and initialisation) around a StemConv."""

    def __init__(self, in_channels: int = 3, width: int = 64):
        super().__init__(StemConv(in_channels, width), nn.BatchNorm3d(width), nn.ReLU(inplace=True))


class NonLocal(nn.Module):
    """Wang et al.'s non-local block (embedded Gaussian, 2018): every position adds what it attends to anywhere
    in the clip, so that an object that moves can relate to one that stands still far from it.

    Its output norm starts at zero, so the block starts as the identity, as the residual blocks do.
    """

    def __init__(self, channels: int):
        super().__init__()
        inner = channels // 2
        self.query, self.key, self.value = (nn.Conv3d(channels, inner, 1) for _ in range(3))
        self.out = nn.Sequential(nn.Conv3d(inner, channels, 1, bias=False), nn.BatchNorm3d(channels))
        nn.init.zeros_(self.out[1].weight)

    def forward(self, x: Tensor) -> Tensor:
        n, _, t, h, w = x.shape
        q, k, v = (f(x).flatten(2).transpose(1, 2) for f in (self.query, self.key, self.value))
        y = F.scaled_dot_product_attention(q, k, v).transpose(1, 2).reshape(n, -1, t, h, w)
        return x + self.out(y)


class R3D(VideoResNet):
    """torchvision's VideoResNet that takes uint8 clips, with `width` stem channels instead of 64.

    The model normalises its input itself (Kinetics mean and std), so training, evaluation,
    inference and serving cannot disagree on it; with `centre` it also subtracts each pixel's mean
    over the clip's frames, so that still scenery drops out and what moves stays: SSv2's classes
    are actions on any "something", and its clips are full of static clutter.

    The layers and their names are VideoResNet's own (stem, layer1..4, fc), so width 64 is exactly
    torchvision's r3d_18 layout and loads its weights; each halving of the width makes it about 4x
    cheaper. Each residual branch ends in a zero-initialised norm (Goyal et al., 2017), so every block
    starts as the identity, which makes training from scratch on little data markedly steadier.

    With `scene` (and `centre`), the clip's mean frame, the still scene that centring removes, is
    fed beside the centred clip as three more input channels: "moving something closer to
    something" needs the still something. `still` (with `centre`) leaves that share of the still
    scene in the clip instead, faint beside what moves. `dropout` zeroes a share of the pooled
    features in training, before the classifier (as TSN and TSM do on SSv2); it has no weights.
    `stem_pool` appends the 2D ResNet's spatial max-pool to the stem (no weights either, so the
    state-dict keys, and pretrained weights, are unchanged). `non_local` adds a NonLocal block after
    layer3, Wang et al.'s res4 (2 x 8 x 8 positions for 8 frames at 128 px: a small share of a step).
    """

    def __init__(
        self,
        block: type[BasicBlock | Bottleneck],
        layers: list[int],
        num_classes: int,
        width: int = 64,
        centre: bool = False,
        pool: str = "avg",
        scene: bool = False,
        dropout: float = 0.0,
        still: float = 0.0,
        stem_pool: bool = False,
        non_local: bool = False,
    ):
        if (scene or still) and not centre:
            raise ValueError("scene and still add back the still scene that centre removes: they need centre")
        super().__init__(block, [Conv3D] * 4, layers, Stem, num_classes=num_classes)
        self.centre, self.scene, self.still = centre, scene, still
        self.dropout = nn.Dropout(dropout)
        if pool == "max":  # the strongest response anywhere: a small acting object is not averaged away
            self.avgpool = nn.AdaptiveMaxPool3d((1, 1, 1))
        # Not in the state dict: constants, and torchvision's r3d_18 weights have none.
        self.register_buffer("mean", torch.tensor(MEAN).view(1, 3, 1, 1, 1), persistent=False)
        self.register_buffer("std", torch.tensor(STD).view(1, 3, 1, 1, 1), persistent=False)
        if width != 64 or scene:
            self.inplanes = width
            self.stem = Stem(6 if scene else 3, width)
            for i, stride in enumerate((1, 2, 2, 2)):
                setattr(self, f"layer{i + 1}", self._make_layer(block, Conv3D, width * 2**i, layers[i], stride))
            self.fc = nn.Linear(width * 8 * block.expansion, num_classes)
            for m in self.modules():  # VideoResNet's initialisation, for the rebuilt layers
                if isinstance(m, nn.Conv3d):
                    nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
                elif isinstance(m, nn.BatchNorm3d):
                    nn.init.ones_(m.weight)
                    nn.init.zeros_(m.bias)
                elif isinstance(m, nn.Linear):
                    nn.init.normal_(m.weight, 0, 0.01)
                    nn.init.zeros_(m.bias)
        if stem_pool:
            # The 2D ResNet's stem max-pool (and 3D-ResNets-PyTorch's, in space only here): layer1 runs at
            # a quarter of the positions, so a clip of twice the pixels costs about what one without it does.
            self.stem.append(nn.MaxPool3d(kernel_size=(1, 3, 3), stride=(1, 2, 2), padding=(0, 1, 1)))
        # After VideoResNet's initialisation, which would undo NonLocal's zero norm; Identity keeps the state dict's keys.
        self.relate = NonLocal(width * 4 * block.expansion) if non_local else nn.Identity()
        for m in self.modules():  # torchvision's zero_init_residual misses these: its video blocks have no bn3
            if isinstance(m, (BasicBlock, Bottleneck)):
                nn.init.zeros_((m.conv3 if isinstance(m, Bottleneck) else m.conv2)[1].weight)

    def normalize(self, clips: Tensor) -> Tensor:
        """uint8 clips (N, 3, T, H, W) -> float, normalised (and centred in time with `centre`)."""
        if clips.dtype != torch.uint8:
            raise TypeError(f"the model takes uint8 clips, got {clips.dtype}")
        if clips.ndim != 5 or clips.shape[1] != 3:
            raise ValueError(f"the model takes clips shaped (N, 3, T, H, W), got {tuple(clips.shape)}")
        x = (clips.float() / 255 - self.mean) / self.std
        if not self.centre:
            return x
        mean = x.mean(dim=2, keepdim=True)
        centred = x - (1 - self.still) * mean
        return torch.cat([centred, mean.expand_as(x)], 1) if self.scene else centred

    def forward(self, clips: Tensor) -> Tensor:
        x = self.stem(self.normalize(clips))
        x = self.layer4(self.relate(self.layer3(self.layer2(self.layer1(x)))))
        return self.fc(self.dropout(self.avgpool(x).flatten(1)))


def build_model(
    depth: int,
    num_classes: int,
    pretrained: str | Path | None = None,
    width: int = 64,
    centre: bool = False,
    pool: str = "avg",
    scene: bool = False,
    dropout: float = 0.0,
    still: float = 0.0,
    stem_pool: bool = False,
    non_local: bool = False,
) -> R3D:
    """An R3D of the given depth and stem width with `num_classes` outputs (see R3D for `centre`).

    `pretrained` is a path to a state dict that initialises every weight but the classifier
    (whose class count differs): see load_pretrained.
    """
    if depth not in ARCHITECTURES:
        raise ValueError(f"unknown depth {depth!r}: must be one of {sorted(ARCHITECTURES)}")
    block, layers = ARCHITECTURES[depth]
    model = R3D(block, layers, num_classes, width, centre, pool, scene, dropout, still, stem_pool, non_local)
    if pretrained is not None:
        load_pretrained(model, pretrained)
    return model


def resnet_depth(state: dict[str, Tensor]) -> int | None:
    """The depth (18, 34, 50) of a 2D ResNet or R3D state dict, from its blocks per stage; None if neither."""
    blocks = [
        1 + max((int(m.group(1)) for k in state if (m := re.match(rf"layer{i}\.(\d+)\.", k))), default=-1)
        for i in range(1, 5)
    ]
    bottleneck = any(re.match(r"layer\d+\.\d+\.conv3\.", k) for k in state)
    for depth, (block, layers) in ARCHITECTURES.items():
        if layers == blocks and (block is Bottleneck) == bottleneck:
            return depth
    return None


def _r3d_name(name: str) -> str:
    """The R3D state-dict key of a torchvision 2D ResNet key: conv1/bn1 -> stem.0/1, convN/bnN -> convN.0/1."""
    name = re.sub(r"^conv1\.", "stem.0.", name)
    name = re.sub(r"^bn1\.", "stem.1.", name)
    name = re.sub(r"^(layer\d+\.\d+)\.conv(\d)\.", r"\1.conv\2.0.", name)
    return re.sub(r"^(layer\d+\.\d+)\.bn(\d)\.", r"\1.conv\2.1.", name)


def inflate(state: dict[str, Tensor], target: dict[str, Tensor]) -> dict[str, Tensor]:
    """A torchvision 2D ResNet state dict inflated into the R3D layout of `target` (the I3D way).

    Each 2D kernel (out, in, h, w) is repeated over the temporal extent t of the target's
    kernel and divided by t, so a clip of identical frames gives every layer the 2D network's
    activations (away from the clip's temporal ends, where the 3D kernels see zero padding).
    Other tensors (batch norms) are copied; keys the target lacks are kept for the caller to report.
    """
    inflated = {}
    for name, value in state.items():
        name = _r3d_name(name)
        own = target.get(name)
        if value.ndim == 4 and own is not None and own.ndim == 5:
            t = own.shape[2]
            value = value.unsqueeze(2).expand(-1, -1, t, -1, -1) / t
        inflated[name] = value
    return inflated


def load_pretrained(model: VideoResNet, path: str | Path) -> None:
    """Initialise `model`, all but the `fc` layer, from a state dict file.

    Either torchvision's R3D layout (its r3d_18 Kinetics-400 weights, or any R3D of the
    model's depth and width, such as the pretrain stage's) or torchvision's 2D ImageNet
    ResNet-18/34/50 (`torchvision.models.resnet50` weights), inflated by `inflate`; the file's
    depth must be the model's.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(
            f"{path}: pretrained weights not found. Download torchvision's R3D_18_Weights.KINETICS400_V1 "
            f"({R3D_18_Weights.KINETICS400_V1.url}, depth 18) or an ImageNet ResNet of the model's depth "
            f"(e.g. {ResNet50_Weights.IMAGENET1K_V1.url}) and set model.pretrained to its path"
        )
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as e:  # torch raises several types for a file that is not a state dict
        raise ValueError(f"{path}: not a loadable PyTorch state dict: {e}") from e
    if not isinstance(state, dict) or not all(isinstance(v, Tensor) for v in state.values()):
        raise ValueError(f"{path}: expected a state dict (a mapping of names to tensors)")

    # The classifier's class count differs; a NonLocal block is not in any ResNet's weights and starts as the identity.
    own = {k: v for k, v in model.state_dict().items() if not k.startswith(("fc.", "relate."))}
    layout = "R3D"
    if getattr(state.get("conv1.weight"), "ndim", None) == 4:
        state, layout = inflate(state, own), "2D ResNet (inflated)"
    depth, model_depth = resnet_depth(state), resnet_depth(own)
    if depth != model_depth:
        raise ValueError(
            f"{path}: holds a {layout} of depth {depth or 'unknown'}, but the model is an R3D-{model_depth}"
        )
    state = {k: v for k, v in state.items() if not k.startswith("fc.")}
    problems = []
    if missing := sorted(own.keys() - state.keys()):
        problems.append(f"missing {missing[:5]}{' ...' if len(missing) > 5 else ''}")
    if unexpected := sorted(state.keys() - own.keys()):
        problems.append(f"unexpected {unexpected[:5]}{' ...' if len(unexpected) > 5 else ''}")
    if mismatched := sorted(k for k in own.keys() & state.keys() if own[k].shape != state[k].shape):
        shapes = [f"{k} {tuple(state[k].shape)} vs {tuple(own[k].shape)}" for k in mismatched[:5]]
        problems.append(f"shape mismatch {shapes}")
    if problems:
        raise ValueError(
            f"{path}: does not match an R3D-{model_depth} state dict ({layout} layout): {'; '.join(problems)}"
        )
    model.load_state_dict(state, strict=False)
