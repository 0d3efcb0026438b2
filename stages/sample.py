"""DVC stage: write the synthetic sample dataset, or note that params name a real dataset instead."""

import shutil
from pathlib import Path

from ssv2 import config
from ssv2.sample import LAYOUT, make_sample


def main() -> None:
    data = config.load(config.DataConfig, "data")
    sample = config.load(config.SampleConfig, "sample")
    if not data.is_sample:
        out = Path(config.SAMPLE_ROOT)
        # The stage's output must still exist for DVC; a note says why it holds no dataset.
        shutil.rmtree(out, ignore_errors=True)
        out.mkdir(parents=True)
        message = f"data.root names {data.root}, so the sample is skipped"
        (out / "SKIPPED.txt").write_text(message + "\n", encoding="utf-8")
        print(message)
        return
    for key, path in LAYOUT.items():
        if getattr(data, key) != path:
            raise config.ParamsError(
                f"{config.PARAMS_FILE}: data.{key} is {getattr(data, key)!r}, but the sample at "
                f"{data.root} is written in the official layout: {path!r}"
            )
    make_sample(Path(data.root), sample)


if __name__ == "__main__":
    main()
