"""DVC stage: parse the SSv2 annotation files into one table per split."""

import json

from ssv2 import config
from ssv2.annotations import parse_dataset, write_table
from ssv2.paths import PARSED as OUT


def main() -> None:
    data = config.load(config.DataConfig, "data")
    class_names, tables = parse_dataset(data)
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "classes.json").write_text(json.dumps(class_names, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    for split, table in tables.items():
        write_table(table, OUT / f"{split}.csv")
    counts = ", ".join(f"{len(t)} {s}" for s, t in tables.items())
    print(f"parsed {data.root}: {len(class_names)} classes; {counts} -> {OUT}/")


if __name__ == "__main__":
    main()
