"""Fuzzing decode_video with real files: truncations, flipped bits, overwritten headers, concatenations
and runs of zeros of real webm (seekable and live) and mp4 files. Each mutant is decoded in a worker
process under a time limit: it must decode or be refused with a VideoError; any other exception, a
crash of the worker or a hang fails the test."""

import traceback

import numpy as np
import pytest

from conftest import encode, moving_square
from ssv2.video import VideoError, decode_video, process_context

LIMIT = 20.0  # seconds per file, far above the few milliseconds one takes: only a hang reaches it


def mutants(files: dict[str, bytes], seed: int = 0):
    """(name, bytes) of every mutation of every file."""
    rng = np.random.default_rng(seed)
    for name, data in files.items():
        n = len(data)
        for cut in np.unique(np.linspace(1, n - 1, 30).astype(int)):
            yield f"{name} cut at {cut}", data[:cut]
        for i in range(30):
            mutant = bytearray(data)
            for position in rng.integers(0, n, rng.integers(1, 9)):
                mutant[position] ^= 1 << int(rng.integers(8))
            yield f"{name} bit flips {i}", bytes(mutant)
        for size in (4, 16, 64, 256):
            for kind, fill in (
                ("random", rng.integers(0, 256, size, dtype=np.uint8).tobytes()),
                ("zeros", bytes(size)),
            ):
                yield f"{name} header overwritten ({size} {kind} bytes)", fill + data[size:]
        for i in range(15):
            start = int(rng.integers(0, n))
            length = int(rng.integers(1, max(2, n // 8)))
            yield (
                f"{name} zero run {i} at {start}",
                data[:start] + bytes(min(length, n - start)) + data[start + length :],
            )
        for other, tail in files.items():
            yield f"{name} + {other}", data + tail
        yield f"{name} + garbage", data + rng.integers(0, 256, 4096, dtype=np.uint8).tobytes()
        yield f"garbage + {name}", rng.integers(0, 256, 64, dtype=np.uint8).tobytes() + data


def _worker(connection) -> None:
    while (item := connection.recv()) is not None:
        try:
            video = decode_video(item, 32, max_decoded=120, max_pixels=1920 * 1080, timeout=10)
            connection.send(("decoded", video.shape))
        except VideoError as e:
            connection.send(("refused", e.reason))
        except Exception:  # noqa: BLE001 - reported as a crash
            connection.send(("crashed", traceback.format_exc()))


@pytest.mark.slow
def test_every_mutant_decodes_or_is_refused_with_a_reason(capsys):
    files = {
        "webm": encode(moving_square(12, 48, 64, seed=1)),
        "live webm": encode(moving_square(12, 48, 64, seed=2), streamed=True),
        "mp4": encode(moving_square(15, 60, 80, seed=3), "mp4", 30),
    }
    ctx = process_context()
    outcomes: dict[str, list[str]] = {"decoded": [], "refused": []}
    failures = []
    parent, child = ctx.Pipe()
    worker = ctx.Process(target=_worker, args=(child,), daemon=True)
    worker.start()
    try:
        for name, data in mutants(files):
            parent.send(data)
            if not parent.poll(LIMIT):
                failures.append(f"{name}: no answer within {LIMIT:g} s (hang)")
                break
            try:
                outcome, detail = parent.recv()
            except EOFError:
                failures.append(f"{name}: the decoding process died (exit code {worker.join(5) or worker.exitcode})")
                break
            if outcome == "crashed":
                failures.append(f"{name}: {detail}")
            else:
                assert outcome == "decoded" or detail, name  # a refusal always says why
                outcomes[outcome].append(name)
        parent.send(None)
    finally:
        worker.join(10)
        if worker.is_alive():
            worker.kill()
    total = sum(len(v) for v in outcomes.values()) + len(failures)
    with capsys.disabled():
        print(
            f"\nfuzz: {total} mutated files: {len(outcomes['decoded'])} decoded, {len(outcomes['refused'])} "
            f"refused with a reason, {len(failures)} crashes or hangs"
        )
    assert not failures, "\n".join(failures)
    assert total > 250 and outcomes["decoded"] and outcomes["refused"]
