"""The registered model: an MLflow pyfunc that classifies raw webm or mp4 bytes.

Input: a DataFrame with a binary `video` column (over HTTP, MLflow's convention: base64 text
in `dataframe_split` or `dataframe_records`). Output: one row per video with the top-5
`classes` and their `probabilities`. Two artifacts travel with the model: the checkpoint, with
the weights, class names, frames, crop, short side and normalisation, and settings.json, with
the evaluation views and the bounds on each request's decoding. (Not MLflow's model_config:
log_model also logs that as run params, which are write-once, and registration reuses the
training's run.)
"""

from __future__ import annotations

import json
import tempfile
from importlib.metadata import version
from pathlib import Path

import mlflow
import pandas as pd
from mlflow.exceptions import MlflowException
from mlflow.models import ModelSignature
from mlflow.models.model import ModelInfo
from mlflow.types import ColSpec, DataType, Schema
from mlflow.types.schema import Array

from ssv2.inference import MAX_DECODED, MAX_PIXELS, Classifier
from ssv2.video import VideoError

COLUMN = "video"
TOP = 5
MAX_VIDEOS = 16  # per request: with the per-video bounds, this bounds a request's decoding

SIGNATURE = ModelSignature(
    inputs=Schema([ColSpec(DataType.binary, COLUMN)]),
    outputs=Schema([ColSpec(Array(DataType.string), "classes"), ColSpec(Array(DataType.double), "probabilities")]),
)

# Pinned to this environment; `--env-manager local` serves from it, where ssv2 itself is installed.
REQUIREMENTS = [f"{package}=={version(package)}" for package in ("mlflow", "torch", "torchvision", "av", "numpy", "pandas")]


def _bad_input(message: str) -> MlflowException:
    # INVALID_PARAMETER_VALUE: the scoring server answers 400 with this message and keeps serving.
    return MlflowException.invalid_parameter_value(message)


class VideoClassifier(mlflow.pyfunc.PythonModel):
    """Top-5 classes of each video in the `video` column, as the evaluate stage would rank them."""

    def load_context(self, context) -> None:
        settings = json.loads(Path(context.artifacts["settings"]).read_text())
        self.max_videos = settings["max_videos"]
        self.classifier = Classifier(
            context.artifacts["checkpoint"], clips=settings["clips"], crops=settings["crops"],
            max_decoded=settings["max_decoded"], max_pixels=settings["max_pixels"],
        )

    def predict(self, context, model_input: pd.DataFrame, params=None) -> pd.DataFrame:
        if not isinstance(model_input, pd.DataFrame) or COLUMN not in model_input.columns:
            raise _bad_input(f"missing column '{COLUMN}': send the videos' bytes, base64-encoded, in a "
                             f"'{COLUMN}' column")
        if len(model_input) > self.max_videos:
            raise _bad_input(f"{len(model_input)} videos in one request; at most {self.max_videos}")
        classes, probabilities = [], []
        for row, data in enumerate(model_input[COLUMN]):
            if not isinstance(data, (bytes, bytearray)):
                raise _bad_input(f"video {row}: expected base64-encoded bytes, got {type(data).__name__}")
            try:
                top = self.classifier.top(bytes(data), TOP, name=f"video {row}")
            except VideoError as e:
                raise _bad_input(f"{e} (a webm or mp4 file's bytes, base64-encoded, are expected)") from None
            classes.append([name for name, _ in top])
            probabilities.append([p for _, p in top])
        return pd.DataFrame({"classes": classes, "probabilities": probabilities})


def log_model(
    checkpoint: str | Path,
    example: bytes,
    *,
    clips: int = 1,
    crops: int = 1,
    registered_model_name: str | None = None,
) -> ModelInfo:
    """Log the checkpoint as a pyfunc model named "model" in the active run, optionally registering it.

    `clips` and `crops` are the evaluation's views; `example` is one video's bytes, stored as the
    input example (it shows the request format).
    """
    settings = {"clips": clips, "crops": crops, "max_decoded": MAX_DECODED, "max_pixels": MAX_PIXELS,
                "max_videos": MAX_VIDEOS}
    with tempfile.TemporaryDirectory() as tmp:
        settings_file = Path(tmp) / "settings.json"
        settings_file.write_text(json.dumps(settings, indent=2) + "\n")
        return mlflow.pyfunc.log_model(
            name="model",
            python_model=Path(__file__),  # models from code: this file travels with the model, no pickle
            artifacts={"checkpoint": str(checkpoint), "settings": str(settings_file)},
            signature=SIGNATURE,
            input_example=pd.DataFrame({COLUMN: [example]}),
            pip_requirements=REQUIREMENTS,
            registered_model_name=registered_model_name,
        )


# Loading the logged model runs this file, which names its model here.
mlflow.models.set_model(VideoClassifier())
