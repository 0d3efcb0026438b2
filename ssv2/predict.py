"""Print the most probable classes of videos: `python -m ssv2.predict VIDEO [VIDEO ...] --checkpoint PATH`."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ssv2 import config, paths
from ssv2.checkpoint import CheckpointError
from ssv2.inference import MAX_DECODED, MAX_PIXELS, Classifier
from ssv2.video import VideoError


def evaluation_views(params: Path = Path(config.PARAMS_FILE)) -> dict:
    """clips, crops and reverse of the evaluate section of `params` if the file exists, else one centre view."""
    if not params.is_file():
        return {"clips": 1, "crops": 1, "reverse": False}
    return config.load(config.EvaluateConfig, "evaluate", params).views()


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m ssv2.predict",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Classify videos (webm, mp4, anything FFmpeg reads) with a trained checkpoint, preprocessed\n"
        "as the evaluate stage does: frames, crop and short side from the checkpoint; views from\n"
        "params.yaml's evaluate section when run where there is one.",
        epilog="example:\n  python -m ssv2.predict clip.webm clip.mp4 --checkpoint models/model.pt\n\n"
        "Prints each video's most probable classes with their probabilities. Exits 1 if a video\n"
        "could not be read (the others are still classified), 2 if the checkpoint could not.",
    )
    p.add_argument("videos", nargs="+", type=Path, metavar="VIDEO", help="video files to classify")
    p.add_argument(
        "--checkpoint",
        type=Path,
        default=paths.MODEL,
        help="checkpoint written by the train stage (default: %(default)s)",
    )
    p.add_argument(
        "--top", type=int, default=5, metavar="K", help="how many classes to print per video (default: %(default)s)"
    )
    p.add_argument(
        "--clips",
        type=int,
        metavar="N",
        help="temporal views to average (default: evaluate.clips of ./params.yaml, else 1)",
    )
    p.add_argument(
        "--crops",
        type=int,
        choices=(1, 3),
        help="spatial views: 1 centre, 3 along the long side (default: evaluate.crops, else 1)",
    )
    p.add_argument(
        "--reverse",
        action=argparse.BooleanOptionalAction,
        help="also play each view backwards, voting for its class's time-reversal partner "
        "(default: evaluate.reverse, else no; auto: where every class the checkpoint learnt has a partner)",
    )
    p.add_argument("--device", default="cpu", help="torch device (default: %(default)s)")
    p.add_argument(
        "--max-frames",
        type=int,
        default=MAX_DECODED,
        metavar="N",
        help="decode at most this many frames per video (default: %(default)s)",
    )
    p.add_argument(
        "--max-pixels",
        type=int,
        default=MAX_PIXELS,
        metavar="N",
        help="refuse videos whose frames have more pixels (default: %(default)s)",
    )
    return p


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        views = evaluation_views()
        classifier = Classifier(
            args.checkpoint,
            clips=args.clips or views["clips"],
            crops=args.crops or views["crops"],
            reverse=views["reverse"] if args.reverse is None else args.reverse,
            device=args.device,
            max_decoded=args.max_frames,
            max_pixels=args.max_pixels,
        )
    except (FileNotFoundError, CheckpointError, ValueError) as e:  # ParamsError is a ValueError
        print(f"error: {e}", file=sys.stderr)
        return 2
    failed = 0
    for path in args.videos:
        try:
            top = classifier.top(path, args.top)
        except VideoError as e:  # report it and go on with the other videos
            print(f"error: {e}", file=sys.stderr)
            failed += 1
            continue
        print(path)
        for name, prob in top:
            print(f"  {100 * prob:6.2f}%  {name}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
