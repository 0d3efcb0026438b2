"""Benchmark serving latency: one video through `mlflow models serve` vs in-process prediction, in one run.

Loads the registered model (default: the champion of params.yaml's register.name) in this
process, serves the same model with `mlflow models serve --env-manager local` on loopback, and
times, in turn, the in-process predict on one video's bytes (on the main thread, and on a worker
thread as the server runs it) and a POST of the same video (base64 in `dataframe_split`, one
request at a time, keep-alive), so that all see the same machine load. Prints p50 and p95 of
each and the server's p50 over the faster in-process p50; the target is at most 1.5x.

    python benchmarks/serving.py [--model-uri models:/ssv2-r3d@champion] [--video PATH] [--requests 50]

Run from the repository root after `make repro` (the default video is the first validation video).
"""

from __future__ import annotations

import argparse
import base64
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import mlflow
import numpy as np
import pandas as pd
import requests

from ssv2 import config, paths, tracking
from ssv2.annotations import read_table

TARGET = 1.5


def timed(calls: dict[str, Callable[[], object]], repeats: int, warmup: int = 3) -> dict[str, np.ndarray]:
    """Seconds per call of each of `calls`, taken in turn so that both see the same machine load."""
    for _ in range(warmup):
        for call in calls.values():
            call()
    times: dict[str, list[float]] = {name: [] for name in calls}
    for _ in range(repeats):
        for name, call in calls.items():
            start = time.perf_counter()
            call()
            times[name].append(time.perf_counter() - start)
    return {name: np.array(t) for name, t in times.items()}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(model_uri: str, port: int, log: Path, cwd: Path | None = None) -> subprocess.Popen:
    """`mlflow models serve` from this environment (in `cwd`), its output in `log`; returns once /ping
    answers, and raises RuntimeError with the log if the server exits or never answers.

    A file, not a pipe: nobody reads the output while requests run, and a full pipe would block the
    server at its next log line.
    """
    bin_dir = Path(sys.executable).parent
    env = {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}"}
    with open(log, "w") as out:  # the server writes through its own copy of the descriptor
        process = subprocess.Popen(
            [
                str(bin_dir / "mlflow"),
                "models",
                "serve",
                "-m",
                model_uri,
                "--env-manager",
                "local",
                "-h",
                "127.0.0.1",
                "-p",
                str(port),
            ],
            cwd=cwd,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    deadline = time.monotonic() + 600  # minutes, when other jobs hold the cores while torch and MLflow import
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"mlflow models serve exited:\n{log.read_text()}")
        try:
            if requests.get(f"http://127.0.0.1:{port}/ping", timeout=1).ok:
                return process
        except requests.ConnectionError:
            time.sleep(0.3)
    os.killpg(process.pid, signal.SIGTERM)
    raise RuntimeError(f"mlflow models serve did not answer /ping within 600 s:\n{log.read_text()}")


def summary(times: np.ndarray) -> tuple[float, float]:
    """(p50, p95) in milliseconds."""
    return float(np.percentile(times, 50) * 1000), float(np.percentile(times, 95) * 1000)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model-uri", help="model to serve (default: models:/<register.name>@champion)")
    parser.add_argument("--video", type=Path, help="video to classify (default: the first validation video)")
    parser.add_argument("--requests", type=int, default=50, help="timed predictions of each kind (default: 50)")
    args = parser.parse_args()

    model_uri = args.model_uri or f"models:/{config.load(tracking.RegisterConfig, 'register').name}@champion"
    video = args.video or Path(read_table(paths.VALIDATION)["video"][0])
    data = video.read_bytes()
    print(
        f"{model_uri} on {video} ({len(data) / 1024:.0f} KiB), {args.requests} predictions each, "
        f"tracking URI {mlflow.get_tracking_uri()}"
    )

    model = mlflow.pyfunc.load_model(model_uri)
    frame = pd.DataFrame({"video": [data]})
    payload = {"dataframe_split": {"columns": ["video"], "data": [[base64.b64encode(data).decode("ascii")]]}}
    port = free_port()
    log = Path(tempfile.mkdtemp()) / "server.log"
    server = start_server(model_uri, port, log)
    try:
        session = requests.Session()

        def post() -> dict:
            response = session.post(f"http://127.0.0.1:{port}/invocations", json=payload, timeout=60)
            response.raise_for_status()
            return response.json()

        if post()["predictions"][0]["classes"] != list(model.predict(frame)["classes"][0]):
            sys.exit("the server and the in-process model disagree on the video's classes")
        # The server predicts on a worker thread (asyncio.to_thread); torch's speed can differ between
        # the main thread and others on a loaded machine, so in-process is timed on both.
        with ThreadPoolExecutor(1) as worker:
            times = timed(
                {
                    "in-process, main thread": lambda: model.predict(frame),
                    "in-process, worker thread": lambda: worker.submit(model.predict, frame).result(),
                    "server": post,
                },
                args.requests,
            )
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)

    p50s = {name: summary(t)[0] for name, t in times.items()}
    print(f"{'':28}{'p50 ms':>9}{'p95 ms':>9}")
    for name, t in times.items():
        print(f"{name:28}{summary(t)[0]:9.1f}{summary(t)[1]:9.1f}")
    ratio = p50s["server"] / min(p50s["in-process, main thread"], p50s["in-process, worker thread"])
    print(
        f"server p50 / faster in-process p50: {ratio:.2f}x "
        f"(target <= {TARGET}x: {'met' if ratio <= TARGET else 'missed'})"
    )


if __name__ == "__main__":
    main()
