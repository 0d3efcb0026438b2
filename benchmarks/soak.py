"""Soak the real server: concurrent clients send good videos and bad requests for a fixed time.

Serves a model with `mlflow models serve --env-manager local` on loopback (default: params.yaml's
model, train and evaluate sections with random weights, logged to a throwaway tracking store, so
each video costs what it costs the trained model), then --clients threads post for --seconds,
each cycling through the mix: a good video (SSv2-like webm and mp4) every other request, and
between them garbage bytes, a PNG, a one-frame video, a too-short video, a JSON body of the wrong
format and an over-large video. Prints, per kind, the requests sent, those answered wrongly and
the latency p50/p95, and the server's memory (RSS summed over its process tree) before, at the
peak and after. Exits 1 if a good request failed, a bad one got anything but a 4xx with a clear
message and no stack trace or server path, or the server stopped answering.

    python benchmarks/soak.py [--seconds 60] [--clients 4] [--model-uri models:/ssv2-r3d@champion]
"""

from __future__ import annotations

import argparse
import base64
import dataclasses
import io
import itertools
import json
import math
import os
import signal
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import mlflow
import numpy as np
import psutil
import requests
from calibration import GRAIN, scene
from PIL import Image
from serving import free_port, start_server

from ssv2 import config, serving
from ssv2.checkpoint import save_checkpoint
from ssv2.data import Preprocessing
from ssv2.models import build_model
from ssv2.sample import real_class_names
from ssv2.training import inference_state
from ssv2.video import encode_video

REPO = Path(__file__).resolve().parents[1]
# In an answer, any of these means a stack trace or a path on the server leaked to the client.
LEAKS = ("Traceback", 'File "', "site-packages", str(REPO))
TIMEOUT = 120  # seconds a client waits for one answer: past the server's own 60 s limit
JSON = {"Content-Type": "application/json"}


@dataclass(frozen=True)
class Request:
    """A body to POST to /invocations and what must come back: 200 (`expect` None), or a 4xx whose
    message holds `expect` (or one of them)."""

    body: bytes
    expect: str | tuple[str, ...] | None = None


@dataclass(frozen=True)
class Outcome:
    """One request's kind, how long its answer took, and what was wrong with it."""

    kind: str
    seconds: float
    problem: str | None  # None: answered as expected


def split(*videos: bytes) -> bytes:
    """A `dataframe_split` body with one row per video."""
    rows = [[base64.b64encode(v).decode("ascii")] for v in videos]
    return json.dumps({"dataframe_split": {"columns": [serving.COLUMN], "data": rows}}).encode()


def png(frame: np.ndarray) -> bytes:
    """A still image's bytes: an RGB frame (H, W, 3) as a PNG."""
    buffer = io.BytesIO()
    Image.fromarray(frame).save(buffer, format="PNG")
    return buffer.getvalue()


def bad_requests(video: np.ndarray) -> dict[str, Request]:
    """Requests the server must refuse with a 4xx, made from `video`'s frames (T, H, W, 3)."""
    return {
        # FFmpeg probes random bytes as some format now and then (once as one with only a subtitle stream).
        "garbage": Request(split(os.urandom(3000)), ("unreadable", "not a video: no video stream")),
        "png": Request(split(png(video[0])), "not a video: a still image (png)"),
        "one frame": Request(split(encode_video(video[:1])), "too short: 1 frames"),
        "too short": Request(split(encode_video(video[:2])), "too short: 2 frames"),
        "wrong format": Request(
            json.dumps({serving.COLUMN: [base64.b64encode(encode_video(video)).decode()]}).encode(),
            "exactly one of the input fields",
        ),
        # Refused by size before any decoding; a client can still make the server parse 45 MB of JSON.
        "oversized": Request(split(os.urandom(serving.MAX_BYTES + 1)), f"at most {serving.MAX_BYTES}"),
    }


def problem(request: Request, status: int, text: str) -> str | None:
    """What is wrong with the answer (`status`, body `text`) to `request`, or None."""
    if request.expect is None:
        return None if status == 200 and len(json.loads(text)["predictions"]) == 1 else f"HTTP {status}: {text[:200]}"
    if not 400 <= status < 500:
        return f"HTTP {status}, not a 4xx: {text[:200]}"
    leaks = [leak for leak in LEAKS if leak in text]
    if leaks:
        return f"{', '.join(leaks)} in the answer: {text[:200]}"
    try:
        message = json.loads(text)["message"]
    except (ValueError, KeyError, TypeError):
        return f"no JSON message: {text[:200]}"
    expects = (request.expect,) if isinstance(request.expect, str) else request.expect
    return None if any(expect in message for expect in expects) else f"unclear message: {message[:200]}"


def check(session: requests.Session, url: str, request: Request) -> str | None:
    """Post `request`; what is wrong with the answer, or None."""
    try:
        response = session.post(f"{url}/invocations", data=request.body, headers=JSON, timeout=TIMEOUT)
    except requests.RequestException as e:
        return f"no answer: {e}"
    return problem(request, response.status_code, response.text)


def client(url: str, schedule: list[tuple[str, Request]], start: int, least: int, deadline: float) -> list[Outcome]:
    """Post `schedule`'s requests in turn, from index `start`, until `deadline` (time.monotonic) and
    at least `least` of them."""
    outcomes = []
    with requests.Session() as session:
        for i in itertools.count():
            if i >= least and time.monotonic() >= deadline:
                return outcomes
            kind, request = schedule[(start + i) % len(schedule)]
            began = time.perf_counter()
            found = check(session, url, request)
            outcomes.append(Outcome(kind, time.perf_counter() - began, found))
    return outcomes


def soak(url: str, good: dict[str, Request], bad: dict[str, Request], seconds: float, clients: int) -> list[Outcome]:
    """Every request's outcome from `clients` threads posting for `seconds`, good and bad in turn.

    Each client starts at another point of the cycle, so that different kinds overlap, and sends at
    least its share of one cycle, so that every kind is sent however slow the answers.
    """
    goods, bads = list(good.items()), list(bad.items())
    rounds = max(len(goods), len(bads))
    schedule = [kind for i in range(rounds) for kind in (goods[i % len(goods)], bads[i % len(bads)])]
    share = math.ceil(len(schedule) / clients)
    deadline = time.monotonic() + seconds
    with ThreadPoolExecutor(clients) as pool:
        runs = [pool.submit(client, url, schedule, c * share, share, deadline) for c in range(clients)]
        return [outcome for run in runs for outcome in run.result()]


def tree_rss(pid: int) -> int:
    """Resident bytes of a process and all its descendants (shared pages count once per process)."""
    process = psutil.Process(pid)
    total = 0
    for p in [process, *process.children(recursive=True)]:
        try:
            total += p.memory_info().rss
        except psutil.NoSuchProcess:
            pass
    return total


def peak_rss(pid: int, stop: threading.Event, every: float = 0.5) -> int:
    """The largest tree_rss(pid) seen every `every` seconds until `stop` is set."""
    peak = 0
    while not stop.wait(every):
        peak = max(peak, tree_rss(pid))
    return max(peak, tree_rss(pid))


def table(outcomes: list[Outcome], good: list[str], bad: list[str]) -> str:
    """Requests, wrong answers and latency per kind, then all good ones together."""
    rows = [(kind, [o for o in outcomes if o.kind == kind]) for kind in [*good, *bad]]
    rows.insert(len(good), ("good, all", [o for o in outcomes if o.kind in good]))
    lines = [f"{'kind':14}{'sent':>6}{'wrong':>7}{'p50 ms':>9}{'p95 ms':>9}"]
    for kind, done in rows:
        ms = np.array([o.seconds for o in done]) * 1000 if done else np.full(1, np.nan)
        wrong = sum(o.problem is not None for o in done)
        lines.append(f"{kind:14}{len(done):6}{wrong:7}{np.percentile(ms, 50):9.1f}{np.percentile(ms, 95):9.1f}")
    return "\n".join(lines)


def mib(n: float) -> str:
    return f"{n / 2**20:.0f} MiB"


def log_random_model(root: Path) -> str:
    """params.yaml's model with random weights, logged in a tracking store under `root`; its URI.

    The server is pointed at that store through MLFLOW_TRACKING_URI, which it inherits.
    """
    model_cfg = config.load(config.ModelConfig, "model")
    train_cfg = config.load(config.TrainConfig, "train")
    store_cfg = config.load(config.StoreConfig, "store")
    evaluate = config.load(config.EvaluateConfig, "evaluate")
    names = real_class_names()
    model = build_model(num_classes=len(names), **{**dataclasses.asdict(model_cfg), "pretrained": None})
    preprocessing = Preprocessing(train_cfg.frames, train_cfg.crop, store_cfg.short_side)
    save_checkpoint(root / "model.pt", inference_state(model.eval(), model_cfg, names, preprocessing))
    os.environ["MLFLOW_TRACKING_URI"] = f"sqlite:///{root}/mlflow.db"
    experiment = mlflow.create_experiment("soak", artifact_location=(root / "artifacts").as_uri())
    example = encode_video(scene(np.random.default_rng(0), 24, 320, GRAIN))
    with mlflow.start_run(experiment_id=experiment):
        info = serving.log_model(root / "model.pt", example, clips=evaluate.clips, crops=evaluate.crops)
    return info.model_uri


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=60, help="how long the clients post (default: 60)")
    parser.add_argument("--clients", type=int, default=4, help="concurrent clients (default: 4)")
    parser.add_argument("--model-uri", help="model to serve (default: params.yaml's, random weights)")
    args = parser.parse_args()

    rng = np.random.default_rng(0)
    videos = [scene(rng, 48, 427, GRAIN), scene(rng, 36, 320, GRAIN)]  # SSv2's 240 px high, 4 and 3 s
    good = {"webm": Request(split(encode_video(videos[0]))), "mp4": Request(split(encode_video(videos[1], fmt="mp4")))}
    bad = bad_requests(videos[0])

    with tempfile.TemporaryDirectory() as tmp:
        model_uri = args.model_uri or log_random_model(Path(tmp))
        port, log = free_port(), Path(tmp) / "server.log"
        server = start_server(model_uri, port, log)
        url = f"http://127.0.0.1:{port}"
        print(f"serving {model_uri} at {url}; {args.clients} clients post for {args.seconds:g} s", flush=True)
        try:
            session = requests.Session()
            for request in good.values():  # warm-up: the first prediction allocates what later ones reuse
                check(session, url, request)
            before = tree_rss(server.pid)
            stop = threading.Event()
            with ThreadPoolExecutor(1) as watcher:
                peak = watcher.submit(peak_rss, server.pid, stop)
                began = time.monotonic()
                try:
                    outcomes = soak(url, good, bad, args.seconds, args.clients)
                finally:
                    stop.set()
                took = time.monotonic() - began
            after = tree_rss(server.pid)
            still = check(session, url, good["webm"])
            log_bytes = log.stat().st_size
        finally:
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(timeout=30)

    print(f"{len(outcomes)} requests in {took:.0f} s (the last answers included)")
    print(table(outcomes, list(good), list(bad)))
    print(
        f"server RSS (process tree): {mib(before)} after warm-up, {mib(peak.result())} peak, {mib(after)} "
        f"after the soak, growth {mib(after - before)}; its log: {log_bytes / len(outcomes):.0f} bytes a request"
    )
    failures = [o for o in outcomes if o.problem is not None]
    for o in failures[:10]:
        print(f"  {o.kind}: {o.problem}")
    print(
        f"failed good requests: {sum(o.kind in good for o in failures)}; wrongly answered bad ones: "
        f"{sum(o.kind in bad for o in failures)}; server answering afterwards: {'yes' if still is None else still}"
    )
    if failures or still is not None:
        sys.exit(1)


if __name__ == "__main__":
    main()
