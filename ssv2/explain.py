"""Grad-CAM for video: where and when the model looked for a class.

`python -m ssv2.explain VIDEO [VIDEO ...] --checkpoint PATH` writes, for each video, an
animated GIF of its frames under the heat map and a PNG grid of the frames above their heat
maps, titled with the top-5 classes. Grad-CAM is captum's LayerGradCam: the gradients of the
class score average over time and space into one weight per channel of a layer, and the
weighted channels, upsampled over time and space, are the map.
"""

from __future__ import annotations

import argparse
import difflib
import sys
from dataclasses import dataclass
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only; no display on servers
import matplotlib.pyplot as plt
import numpy as np
import torch
from captum.attr import LayerAttribution, LayerGradCam
from PIL import Image
from torch import Tensor, nn

from ssv2 import paths
from ssv2.checkpoint import CheckpointError
from ssv2.classes import reversal_pairs
from ssv2.inference import Classifier, top_k, video_views
from ssv2.video import VideoError

# R3D halves time in layer2, 3 and 4: with 8 frames layer4 keeps one time step and so says nothing
# about when; layer3 keeps a quarter of the frames at an eighth of the crop.
LAYERS = ("layer1", "layer2", "layer3", "layer4")
DEFAULT_LAYER = "layer3"


@dataclass(frozen=True)
class Explanation:
    """One clip's Grad-CAM: frames (T, H, W, 3) uint8, heat (T, H, W) in [0, 1], the explained class, the top-5
    and, where known, the true class."""

    frames: np.ndarray
    heat: np.ndarray
    target: str
    top: list[tuple[str, float]]
    actual: str | None = None


def grad_cam(model: nn.Module, clip: Tensor, target: int, layer: str = DEFAULT_LAYER) -> Tensor:
    """Grad-CAM of class `target` for one uint8 clip (3, T, H, W): (T, H, W) in [0, 1], 1 where it matters most.

    Positive evidence only (ReLU), upsampled trilinearly to the clip; all zeros when nothing
    in the layer speaks for the class.
    """
    if layer not in LAYERS:
        raise ValueError(f"unknown layer {layer!r}: must be one of {', '.join(LAYERS)}")
    model.eval()
    inputs = clip[None].to(next(model.parameters()).device)  # uint8: the model normalises it
    cam = LayerGradCam(model, getattr(model, layer)).attribute(inputs, target=target, relu_attributions=True)
    cam = LayerAttribution.interpolate(cam, tuple(clip.shape[1:]), interpolate_mode="trilinear")[0, 0].detach()
    peak = cam.max()
    return (cam / peak if peak > 0 else cam).cpu()


def explain_clip(
    model: nn.Module,
    clip: Tensor,
    class_names: list[str],
    target: int | None = None,
    layer: str = DEFAULT_LAYER,
    actual: int | None = None,
) -> Explanation:
    """Grad-CAM of one uint8 clip (3, T, H, W) for `target` (default: the top class), with the top-5
    and the true class `actual` if known."""
    with torch.no_grad():
        probs = model(clip[None].to(next(model.parameters()).device)).float().softmax(-1)[0].cpu()
    target = int(probs.argmax()) if target is None else target
    heat = grad_cam(model, clip, target, layer)
    return Explanation(
        clip.permute(1, 2, 3, 0).numpy(),
        heat.numpy(),
        class_names[target],
        top_k(probs, class_names, 5),
        None if actual is None else class_names[actual],
    )


def gallery_picks(pred: Tensor, targets: Tensor, class_names: list[str], classes: int = 4) -> list[tuple[int, str]]:
    """(index, "correct" | "confused") of the videos a small Grad-CAM gallery shows.

    For up to `classes` classes of the targets, time-reversal pairs first, the first video
    predicted right and the first predicted wrong (where there is one).
    """
    paired = [c for pair in reversal_pairs(class_names) for c in pair]
    order = paired + [c for c in range(len(class_names)) if c not in paired]
    pred, targets = pred.tolist(), targets.tolist()
    picks: list[tuple[int, str]] = []
    shown = 0
    for c in order:
        if shown == classes:
            break
        videos = [i for i, t in enumerate(targets) if t == c]
        correct = next((i for i in videos if pred[i] == c), None)
        confused = next((i for i in videos if pred[i] != c), None)
        found = [(i, kind) for i, kind in ((correct, "correct"), (confused, "confused")) if i is not None]
        picks += found
        shown += bool(found)
    return picks


def overlay(frames: np.ndarray, heat: np.ndarray, alpha: float = 0.5) -> np.ndarray:
    """Frames (T, H, W, 3) uint8 blended with the heat map (T, H, W) in [0, 1] drawn in the jet colours."""
    colours = matplotlib.colormaps["jet"](heat)[..., :3] * 255
    return ((1 - alpha) * frames + alpha * colours).round().astype(np.uint8)


def title(explanation: Explanation) -> str:
    top = ", ".join(f"{name} {100 * p:.0f}%" for name, p in explanation.top)
    actual = "" if explanation.actual is None else f" (true class: {explanation.actual})"
    return f"Grad-CAM for: {explanation.target}{actual}\ntop-5: {top}"


def save_grid(explanation: Explanation, path: str | Path) -> None:
    """A PNG of the frames (top row) above their heat maps (bottom row), titled with the class and the top-5."""
    frames = explanation.frames
    t = len(frames)
    fig, axes = plt.subplots(2, t, figsize=(1.6 * t, 3.9), squeeze=False)
    for i, (frame, heated) in enumerate(zip(frames, overlay(frames, explanation.heat))):
        for row, image in enumerate((frame, heated)):
            axes[row, i].imshow(image)
            axes[row, i].set_axis_off()
        axes[0, i].set_title(f"frame {i + 1}", fontsize=7)
    fig.suptitle(title(explanation), fontsize=7, wrap=True)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def save_gif(explanation: Explanation, path: str | Path, size: int = 224, fps: float = 4) -> None:
    """An animated GIF of the heat-mapped frames, side by side with the plain ones, `size` pixels high, looping."""
    images = []
    for frame, heated in zip(explanation.frames, overlay(explanation.frames, explanation.heat)):
        image = Image.fromarray(np.concatenate([frame, heated], axis=1))
        images.append(image.resize((round(size * image.width / image.height), size), Image.Resampling.BILINEAR))
    images[0].save(path, save_all=True, append_images=images[1:], duration=round(1000 / fps), loop=0)


def class_index(name: str, class_names: list[str]) -> int:
    """The index of a class given by its name or index; a clear error with the closest names otherwise."""
    if name.isdigit() and int(name) < len(class_names):
        return int(name)
    if name in class_names:
        return class_names.index(name)
    close = difflib.get_close_matches(name, class_names, n=3, cutoff=0.4)
    hint = f"; did you mean {' or '.join(repr(c) for c in close)}?" if close else ""
    raise ValueError(f"unknown class {name!r}: not one of the checkpoint's {len(class_names)} classes{hint}")


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m ssv2.explain",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Show where and when a trained model looked: Grad-CAM heat maps over a video's frames\n"
        "(the centre clip the evaluate stage sees), as DIR/<video>.gif and a frame grid DIR/<video>.png.",
        epilog="example:\n  python -m ssv2.explain clip.webm --checkpoint models/model.pt\n"
        "  python -m ssv2.explain clip.webm --class 'Moving something down' --out cams/",
    )
    p.add_argument("videos", nargs="+", type=Path, metavar="VIDEO", help="video files to explain")
    p.add_argument(
        "--checkpoint",
        type=Path,
        default=paths.MODEL,
        help="checkpoint written by the train stage (default: %(default)s)",
    )
    p.add_argument(
        "--class",
        dest="target",
        metavar="NAME",
        help="class to explain, by name or index (default: each video's top class)",
    )
    p.add_argument(
        "--layer",
        choices=LAYERS,
        default=DEFAULT_LAYER,
        help="layer whose activations are weighted; deeper is coarser in time (default: %(default)s)",
    )
    p.add_argument(
        "--out", type=Path, default=Path("explain"), metavar="DIR", help="output folder (default: %(default)s)"
    )
    p.add_argument("--device", default="cpu", help="torch device (default: %(default)s)")
    return p


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        classifier = Classifier(args.checkpoint, clips=1, crops=1, device=args.device)  # the centre clip
        target = None if args.target is None else class_index(args.target, classifier.class_names)
    except (FileNotFoundError, CheckpointError, ValueError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    args.out.mkdir(parents=True, exist_ok=True)
    failed = 0
    for path in args.videos:
        try:
            clip = video_views(classifier.decode(path), classifier.preprocessing)[0]
        except (VideoError, ValueError) as e:  # report it and go on with the other videos
            print(f"error: {e}", file=sys.stderr)
            failed += 1
            continue
        explanation = explain_clip(classifier.model, clip, classifier.class_names, target, args.layer)
        save_gif(explanation, args.out / f"{path.stem}.gif")
        save_grid(explanation, args.out / f"{path.stem}.png")
        print(f"{path}: {explanation.target} -> {args.out / path.stem}.gif, .png")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
