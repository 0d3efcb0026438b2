"""`mlflow models serve` of the registered champion, a real server on loopback: videos in, top-5 out,
and bad requests answered 4xx while the server keeps serving."""

import base64
import json
import os
import signal
import sys

import mlflow
import pytest
import requests
from mlflow import MlflowClient

from conftest import REPO, encode, moving_square
from ssv2 import serving, tracking
from ssv2.inference import Classifier
from ssv2.video import VideoError, decode_video, encode_video
from test_predict import write_checkpoint

sys.path.insert(0, str(REPO / "benchmarks"))
import soak  # noqa: E402  (the soak benchmark's clients and checks, run shorter here)
from serving import free_port, start_server  # noqa: E402  (the benchmarks' server, started the same way)

pytestmark = pytest.mark.slow

NAME = "ssv2-test"
CLASSES = [  # real SSv2 class names, one time-reversal pair among them
    "Attaching something to something",
    "Bending something so that it deforms",
    "Bending something until it breaks",
    "Burying something in something",
    "Closing something",
    "Moving something up",
    "Moving something down",
]


def truncated(data: bytes) -> bytes:
    """A cut of a video's bytes that decodes as truncated (not as empty)."""
    for keep in (4, 5, 6, 7):
        cut = data[: len(data) * keep // 8]
        try:
            decode_video(cut)
        except VideoError as e:
            if e.reason.startswith("truncated"):
                return cut
    raise AssertionError("no cut reads as truncated")


@pytest.fixture(scope="module")
def videos() -> dict[str, bytes]:
    webm = encode_video(moving_square(24, 48, 64, seed=1), fmt="webm")
    mp4 = encode_video(moving_square(30, 60, 80, seed=2), fmt="mp4")
    square = moving_square(24, 48, 64, seed=3)
    # what a browser's MediaRecorder uploads (no duration, no cues), and the same frames written seekable
    live, seekable = encode(square, streamed=True), encode(square)
    return {"webm": webm, "mp4": mp4, "truncated": truncated(webm), "live webm": live, "seekable webm": seekable}


@pytest.fixture(scope="module")
def store(tmp_path_factory, videos):
    """A tracking store with one registered version under @champion, and the checkpoint it holds."""
    root = tmp_path_factory.mktemp("serving")
    # Trained on a time-reversal pair only, so that evaluate.reverse "auto" plays the views backwards.
    checkpoint = write_checkpoint(root / "model.pt", CLASSES, [0, 0, 0, 0, 0, 3, 3])
    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(root)
        mp.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{root}/mlflow.db")
        with mlflow.start_run():
            info = serving.log_model(
                checkpoint, videos["webm"], clips=2, crops=3, reverse="auto", registered_model_name=NAME
            )
        tracking.promote_if_better(MlflowClient(), NAME, str(info.registered_model_version), 10.0, "3 videos")
        yield root, checkpoint


@pytest.fixture(scope="module")
def server(store):
    """`mlflow models serve -m models:/NAME@champion --env-manager local`, as the README runs it."""
    root, _ = store
    port = free_port()
    process = start_server(f"models:/{NAME}@champion", port, root / "server.log", cwd=root)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=30)


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def invoke(url: str, payload) -> requests.Response:
    return requests.post(f"{url}/invocations", json=payload, timeout=60)


def test_a_webm_and_an_mp4_in_one_request(server, store, videos):
    response = invoke(
        server, {"dataframe_split": {"columns": ["video"], "data": [[b64(videos["webm"])], [b64(videos["mp4"])]]}}
    )
    assert response.status_code == 200, response.text
    predictions = response.json()["predictions"]
    assert len(predictions) == 2
    classifier = Classifier(store[1], clips=2, crops=3, reverse=True)  # the same checkpoint and views, in this process
    forward = Classifier(store[1], clips=2, crops=3, reverse=False)
    for prediction, fmt in zip(predictions, ("webm", "mp4"), strict=True):
        assert len(prediction["classes"]) == 5 and set(prediction["classes"]) <= set(CLASSES)
        expected = classifier.top(videos[fmt])
        assert expected != forward.top(videos[fmt])  # "auto" became backward views in the server too
        assert prediction["classes"] == [name for name, _ in expected]
        assert prediction["probabilities"] == pytest.approx([p for _, p in expected], abs=1e-5)


def test_a_mediarecorder_webm_is_served_like_any_other(server, videos):
    response = invoke(
        server,
        {
            "dataframe_split": {
                "columns": ["video"],
                "data": [[b64(videos["live webm"])], [b64(videos["seekable webm"])]],
            }
        },
    )
    assert response.status_code == 200, response.text
    live, seekable = response.json()["predictions"]
    assert live == seekable  # the same frames decoded, so the same classes and probabilities


def test_dataframe_records(server, videos):
    response = invoke(server, {"dataframe_records": [{"video": b64(videos["mp4"])}]})
    assert response.status_code == 200, response.text
    (prediction,) = response.json()["predictions"]
    assert prediction["probabilities"] == sorted(prediction["probabilities"], reverse=True)


BAD = {
    "garbage": ({"dataframe_split": {"columns": ["video"], "data": [[b64(os.urandom(3000))]]}}, "unreadable"),
    "png": (
        {"dataframe_split": {"columns": ["video"], "data": [[b64(soak.png(moving_square(1, 48, 64)[0]))]]}},
        "not a video: a still image (png)",
    ),
    "empty": ({"dataframe_split": {"columns": ["video"], "data": [[""]]}}, "empty"),
    "truncated": (None, "truncated"),
    "missing column": ({"dataframe_split": {"columns": ["clip"], "data": [["AAAA"]]}}, "missing inputs ['video']"),
    "not base64": ({"dataframe_records": [{"video": "abc"}]}, "Incorrect padding"),
    "not json": ("{", "valid JSON"),
    "too many videos": ({"dataframe_split": {"columns": ["video"], "data": [[""]] * 17}}, "at most 16"),
    "one frame": (
        {"dataframe_split": {"columns": ["video"], "data": [[b64(encode_video(moving_square(1, 48, 64)))]]}},
        "too short: 1 frames",
    ),
    "16x16": ({"inputs": {"video": [b64(encode_video(moving_square(12, 16, 16)))]}}, "too small: 16x16"),
}


@pytest.mark.parametrize("case", list(BAD))
def test_bad_requests_get_4xx_and_the_server_keeps_serving(server, videos, case):
    payload, message = BAD[case]
    if case == "truncated":
        payload = {"dataframe_split": {"columns": ["video"], "data": [[b64(videos["truncated"])]]}}
    if isinstance(payload, str):
        response = requests.post(
            f"{server}/invocations", data=payload, timeout=60, headers={"Content-Type": "application/json"}
        )
    else:
        response = invoke(server, payload)
    assert 400 <= response.status_code < 500, response.text
    assert message in response.json()["message"]
    assert "Traceback" not in response.text and "/work" not in response.text and "site-packages" not in response.text
    assert invoke(server, {"dataframe_records": [{"video": b64(videos["webm"])}]}).status_code == 200


@pytest.mark.parametrize(
    "payload",
    [
        lambda v: {"instances": [{"video": v}]},
        lambda v: {"inputs": {"video": [v]}},
        lambda v: {"inputs": [{"video": v}]},
    ],
)
def test_instances_and_inputs_formats(server, videos, payload):
    response = invoke(server, payload(b64(videos["webm"])))
    assert response.status_code == 200, response.text
    assert len(response.json()["predictions"]) == 1


def test_a_short_soak_serves_every_good_request_and_refuses_every_bad_one(server, videos):
    good = {kind: soak.Request(soak.split(videos[kind])) for kind in ("webm", "mp4", "live webm")}
    bad = soak.bad_requests(moving_square(24, 48, 64))
    outcomes = soak.soak(server, good, bad, seconds=12, clients=3)
    assert {o.kind for o in outcomes} == {*good, *bad}
    assert [(o.kind, o.problem) for o in outcomes if o.problem is not None] == []
    assert requests.get(f"{server}/ping", timeout=10).ok
    assert invoke(server, {"dataframe_records": [{"video": b64(videos["webm"])}]}).status_code == 200


@pytest.mark.parametrize(
    "message, clear",
    [
        ("video 0: unreadable: not a video container (Invalid data found)", True),
        ("video 0: not a video: no video stream (subtitle)", True),  # random bytes FFmpeg took for a subtitle format
        ("video 0: too short: 2 frames", False),
    ],
)
def test_the_soak_takes_either_refusal_of_garbage_as_clear(message, clear):
    garbage = soak.bad_requests(moving_square(24, 48, 64))["garbage"]
    assert (soak.problem(garbage, 400, json.dumps({"message": message})) is None) == clear
