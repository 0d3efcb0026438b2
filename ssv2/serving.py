"""The registered model: an MLflow pyfunc that classifies raw webm or mp4 bytes.

Input: a DataFrame with a binary `video` column (over HTTP, MLflow's convention: base64 text
in `dataframe_split` or `dataframe_records`). Output: one row per video with the top-5
`classes` and their `probabilities`. Two artifacts travel with the model: the checkpoint, with
the weights, class names and preprocessing (frames, crop, short side; the model normalises its
input itself), and settings.json, with the evaluation views and the bounds on each request's
decoding. (Not MLflow's model_config:
log_model also logs that as run params, which are write-once, and registration reuses the
training's run.)
"""

from __future__ import annotations

import base64
import json
import logging
import re
import tempfile
import uuid
from importlib.metadata import version
from pathlib import Path

import mlflow
import pandas as pd
from mlflow.exceptions import MlflowException
from mlflow.models import ModelSignature
from mlflow.models.model import ModelInfo
from mlflow.protos.databricks_pb2 import INTERNAL_ERROR, INVALID_PARAMETER_VALUE
from mlflow.types import ColSpec, DataType, Schema
from mlflow.types.schema import Array

from ssv2.inference import MAX_DECODED, MAX_PIXELS, MAX_SECONDS, Classifier
from ssv2.video import VideoError

COLUMN = "video"
TOP = 5
MAX_VIDEOS = 16  # per request: with the per-video bounds, this bounds a request's decoding
MAX_BYTES = 32 * 2**20  # per video; a phone's minute of 1080p is about 100 MB, SSv2's videos about 90 kB

SIGNATURE = ModelSignature(
    inputs=Schema([ColSpec(DataType.binary, COLUMN)]),
    outputs=Schema([ColSpec(Array(DataType.string), "classes"), ColSpec(Array(DataType.double), "probabilities")]),
)

# Pinned to this environment; `--env-manager local` serves from it, where ssv2 itself is installed.
REQUIREMENTS = [
    f"{package}=={version(package)}" for package in ("mlflow", "torch", "torchvision", "av", "numpy", "pandas")
]


FORMATS = (
    f'dataframe_split ({{"columns": ["{COLUMN}"], "data": [["<base64>"]]}}), dataframe_records '
    f'([{{"{COLUMN}": "<base64>"}}]), instances ([{{"{COLUMN}": "<base64>"}}]) or inputs '
    f'({{"{COLUMN}": ["<base64>"]}})'
)

_BASE64 = re.compile(rb"(?:[A-Za-z0-9+/]{4})+(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?")

_log = logging.getLogger(__name__)


class RequestError(MlflowException):
    """A refused request: the scoring server answers it with this status and message alone.

    The server rewrites a prediction error's message to start with the whole input's text (a
    request's videos, megabytes of base64); the message set here is the one the client gets.
    """

    def __init__(self, message: str, error_code: int = INVALID_PARAMETER_VALUE):
        super().__init__(message, error_code=error_code)

    @property
    def message(self) -> str:
        return self._message

    @message.setter
    def message(self, value: str) -> None:
        if not hasattr(self, "_message"):
            self._message = value


def _bad_input(message: str) -> RequestError:
    # INVALID_PARAMETER_VALUE: the scoring server answers 400 with this message and keeps serving.
    return RequestError(message)


def videos_of(model_input, max_videos: int, max_bytes: int) -> list[bytes]:
    """Each video's bytes from any of the request formats, or a RequestError saying what is wrong.

    MLflow decodes the base64 of dataframe_split and dataframe_records, but hands on that of
    instances and inputs as text: a value made only of base64 characters is that text (a video
    file's headers always hold other bytes), and is decoded here.
    """
    if not isinstance(model_input, pd.DataFrame) or COLUMN not in model_input.columns:
        raise _bad_input(f"no '{COLUMN}' column: send each video's bytes, base64-encoded, as {FORMATS}")
    if len(model_input) > max_videos:
        raise _bad_input(f"{len(model_input)} videos in one request; at most {max_videos}")
    videos = []
    for row, value in enumerate(model_input[COLUMN]):
        if isinstance(value, (bytes, bytearray)) and _BASE64.fullmatch(value):
            value = base64.b64decode(value)
        if not isinstance(value, (bytes, bytearray)):
            raise _bad_input(f"video {row}: expected base64-encoded bytes, got {type(value).__name__}")
        if len(value) > max_bytes:
            raise _bad_input(f"video {row}: {len(value)} bytes; at most {max_bytes}")
        videos.append(bytes(value))
    return videos


class VideoClassifier(mlflow.pyfunc.PythonModel):
    """Top-5 classes of each video in the `video` column, as the evaluate stage would rank them."""

    def load_context(self, context) -> None:
        settings = json.loads(Path(context.artifacts["settings"]).read_text())
        self.max_videos = settings["max_videos"]
        self.max_bytes = settings.get("max_bytes", MAX_BYTES)
        self.classifier = Classifier(
            context.artifacts["checkpoint"],
            clips=settings["clips"],
            crops=settings["crops"],
            reverse=settings.get("reverse", False),
            max_decoded=settings["max_decoded"],
            max_pixels=settings["max_pixels"],
            max_seconds=settings.get("max_seconds", MAX_SECONDS),
        )

    def predict(self, context, model_input, params=None) -> pd.DataFrame:
        try:
            classes, probabilities = [], []
            for row, data in enumerate(videos_of(model_input, self.max_videos, self.max_bytes)):
                try:
                    top = self.classifier.top(data, TOP, name=f"video {row}")
                except VideoError as e:
                    raise _bad_input(f"{e} (a video file's bytes, base64-encoded, are expected)") from None
                classes.append([name for name, _ in top])
                probabilities.append([p for _, p in top])
            return pd.DataFrame({"classes": classes, "probabilities": probabilities})
        except RequestError:
            raise
        except Exception:  # noqa: BLE001 - the client gets an id to quote; the trace stays in the server's log
            incident = uuid.uuid4().hex[:12]
            _log.exception("internal error %s", incident)
            raise RequestError(f"internal error {incident}: the server's log has the details", INTERNAL_ERROR) from None


def log_model(
    checkpoint: str | Path,
    example: bytes,
    *,
    clips: int = 1,
    crops: int = 1,
    reverse: bool | str = False,
    registered_model_name: str | None = None,
) -> ModelInfo:
    """Log the checkpoint as a pyfunc model named "model" in the active run, optionally registering it.

    `clips`, `crops` and `reverse` are the evaluation's views; `example` is one video's bytes, stored as the
    input example (it shows the request format).
    """
    settings = {
        "clips": clips,
        "crops": crops,
        "reverse": reverse,
        "max_decoded": MAX_DECODED,
        "max_pixels": MAX_PIXELS,
        "max_seconds": MAX_SECONDS,
        "max_videos": MAX_VIDEOS,
        "max_bytes": MAX_BYTES,
    }
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
