"""Do trainings that differ only in their seed err alike? An ensemble of them, on each variant's fresh draw.

Scores only: the members are benchmarks/generalisation.py's finished trainings of the same params
(run it first with the same --seeds, --set and --work). For each variant, each member (the last
epoch's weights) and the average of the members' probabilities are scored on the fresh draw as the
evaluate stage scores a model (with the evaluate section's views). Rows are found by run key and place,
so give the thread count the trainings ran with: `generalisation.py --jobs 2` on 2 cores trains with one thread each.
With --mistakes, also the ensemble's most frequent confusions, for tuning variants only: a held-out
variant whose confusions have been read has informed the recipe.

    python benchmarks/ensemble.py --only tabletop floor --seeds 0 1 2 3
    python benchmarks/ensemble.py --only shelf --seeds 0 1 --mistakes 6
"""

from __future__ import annotations

import argparse
import statistics
import sys
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).parent))
from generalisation import (  # noqa: E402
    HELD_OUT,
    TUNE,
    checkpoint_folder,
    finished,
    parse_changes,
    prepare,
    probabilities,
    views,
    with_changes,
)

from ssv2 import config  # noqa: E402
from ssv2.checkpoint import MODEL  # noqa: E402
from ssv2.report import confused_pairs, evaluation_metrics  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", nargs="+", required=True, metavar="VARIANT", choices=[*TUNE, *HELD_OUT])
    parser.add_argument("--seeds", nargs="+", type=int, required=True, metavar="SEED", help="the members' train.seed")
    parser.add_argument("--set", nargs="+", default=[], metavar="KEY=VALUE", help="the members' params.yaml overrides")
    parser.add_argument("--threads", type=int, default=1, help="the thread count the members trained with")
    parser.add_argument("--mistakes", type=int, default=0, metavar="N", help="print the ensemble's N top confusions")
    parser.add_argument("--work", type=Path, default=Path("data/generalisation"), help="generalisation.py's --work")
    args = parser.parse_args()
    if args.mistakes and (held_out := [name for name in args.only if name in HELD_OUT]):
        parser.error(f"--mistakes reads confusions, which only tuning variants may show: not {', '.join(held_out)}")
    torch.set_num_threads(args.threads)
    params = with_changes(config.load_params(), parse_changes(args.set))
    variants, work = {**TUNE, **HELD_OUT}, args.work.resolve()

    print(
        "| variant | members | fresh top-1 % of each | mean | ensemble | ensemble minus mean | ensemble reversal pairs % |"
    )
    print("|---|---|---|---|---|---|---|")
    mistakes = {}
    for name in args.only:
        class_names, _, store = prepare(name, variants[name], params, work)
        fresh = prepare(name, variants[name], params, work, fresh=True)[2]
        folders = [
            checkpoint_folder(name, with_changes(params, {"train.seed": seed}), store, class_names, work)
            for seed in args.seeds
        ]
        if missing := [str(f) for f in folders if not finished(f)]:
            raise SystemExit(f"{name}: no finished training in {', '.join(missing)}: run generalisation.py first")
        members = [probabilities(folder / MODEL, fresh, views(params, class_names, store)) for folder in folders]
        targets = members[0][1]
        top1 = [evaluation_metrics(probs, targets, class_names)["top1"] for probs, _ in members]
        ensemble = evaluation_metrics(torch.stack([probs for probs, _ in members]).mean(0), targets, class_names)
        mean = statistics.mean(top1)
        print(
            f"| {name} | {len(members)} | {', '.join(f'{t:.1f}' for t in top1)} | {mean:.1f} | {ensemble['top1']:.1f} "
            f"| {ensemble['top1'] - mean:+.1f} | {ensemble['reversal_top1']:.1f} |",
            flush=True,
        )
        mistakes[name] = confused_pairs(ensemble["confusion"], class_names, args.mistakes)
    for name, pairs in mistakes.items():
        if pairs:
            print(f"\n{name}: the ensemble's most frequent mistakes on the fresh draw")
            for pair in pairs:
                print(f"  {pair['actual']} -> {pair['predicted']}: {pair['count']} ({pair['share']:.0f}%)")


if __name__ == "__main__":
    main()
