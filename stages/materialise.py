"""DVC stage: decode every train, validation and test video once into the clip store."""

import dataclasses

from ssv2 import config
from ssv2.annotations import SPLITS, read_table
from ssv2.paths import PARSED
from ssv2.paths import STORE as OUT
from ssv2.store import SKIPPED_FILE, materialise


def main() -> None:
    store = config.load(config.StoreConfig, "store")
    tables = {split: read_table(PARSED / f"{split}.csv") for split in SPLITS}
    # The store section's keys are materialise's own arguments.
    summary = materialise(tables, OUT, **dataclasses.asdict(store))
    for split, s in summary["splits"].items():
        ratio = s["bytes"] / max(s["source_bytes"], 1)
        print(
            f"{split}: {s['videos']} videos stored, {s['skipped']} skipped; "
            f"{s['bytes'] / 1e6:.1f} MB ({ratio:.1f}x the source webm)"
        )
    skipped = sum(s["skipped"] for s in summary["splits"].values())
    if skipped:
        print(f"skipped videos and the reasons: {OUT / SKIPPED_FILE}")


if __name__ == "__main__":
    main()
