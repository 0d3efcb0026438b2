"""DVC stage: log the trained model as an MLflow pyfunc model in the training's run, register it as a
new version of register.name, and move @champion to it only if its validation top-1, on the same
validation videos, is higher. A champion scored on other videos (another dataset) registers nothing."""

import csv
import json
from pathlib import Path

from mlflow import MlflowClient

from ssv2 import config, serving, tracking
from ssv2.annotations import read_table
from ssv2.paths import EVAL_CONFUSION, EVAL_METRICS, VALIDATION
from ssv2.paths import MODEL as CHECKPOINT
from ssv2.paths import REGISTERED as OUT
from ssv2.video import VideoError, decode_video


def example_video(table_path: Path) -> bytes:
    """The bytes of the first validation video that decodes: the model's input example."""
    for path in read_table(table_path)["video"]:
        try:
            decode_video(path, 32)  # whole, so that a truncated file is passed over
        except VideoError:
            continue
        return Path(path).read_bytes()
    raise VideoError(str(table_path), "no decodable validation video for the input example")


def main() -> None:
    register = config.load(tracking.RegisterConfig, "register")
    evaluate = config.load(config.EvaluateConfig, "evaluate")
    top1 = json.loads(EVAL_METRICS.read_text())["top1"]
    with open(EVAL_CONFUSION, newline="") as f:
        val_set = tracking.video_set((row["id"], row["actual"]) for row in csv.DictReader(f))
    client = MlflowClient()
    tracking.champion_to_beat(client, register.name, val_set)  # before logging: a refusal registers nothing
    with tracking.continue_run(CHECKPOINT.parent):
        info = serving.log_model(
            CHECKPOINT,
            example_video(VALIDATION),
            **evaluate.views(),
            registered_model_name=register.name,
        )
        version = str(info.registered_model_version)
        tags = tracking.promote_if_better(client, register.name, version, top1, val_set)
    OUT.write_text(json.dumps({"name": register.name, "version": version, **tags}, indent=2) + "\n")
    print(f"registered {register.name} version {version}: {tags['decision']}")


if __name__ == "__main__":
    main()
