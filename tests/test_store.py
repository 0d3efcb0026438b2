import os
import pickle
import resource
import signal
import subprocess
import sys
import time

import numpy as np
import pandas as pd
import pytest

from conftest import REPO, encode, moving_square
from ssv2.data import decode_batch
from ssv2.store import SKIPPED_FILE, ClipStore, StoreError, materialise
from ssv2.video import decode_video, encode_video


def table(videos: dict[str, str], label: int = 0) -> pd.DataFrame:
    return pd.DataFrame({"id": list(videos), "label": label, "video": list(videos.values())})


def build(tmp_path, tables, codec="raw", workers=1):
    return materialise(
        tables, tmp_path / "store", codec=codec, short_side=32, max_frames=40, min_frames=8, quality=90, workers=workers
    )


def test_raw_store_round_trip_is_bit_exact(tmp_path, make_video):
    make_video(tmp_path / "1.webm", frames=24, height=48, width=64)
    make_video(tmp_path / "2.webm", frames=30, height=64, width=48, seed=1)  # portrait
    build(tmp_path, {"train": table({"1": tmp_path / "1.webm", "2": tmp_path / "2.webm"})})
    store = ClipStore(tmp_path / "store" / "train")
    assert store.ids == ["1", "2"] and store.counts.tolist() == [24, 30]
    assert store.shapes.tolist() == [[32, 43], [43, 32]]
    for i, ident in enumerate(store.ids):
        decoded = decode_video(tmp_path / f"{ident}.webm", 32)
        np.testing.assert_array_equal(store.video(i), decoded)
        np.testing.assert_array_equal(store.frames(i, [5, 0, 5]), decoded[[5, 0, 5]])


@pytest.mark.parametrize("codec", ["raw", "jpeg"])
def test_a_mediarecorder_webm_is_materialised_like_any_other(tmp_path, codec):
    video = moving_square(24, 48, 64)
    (tmp_path / "live.webm").write_bytes(encode(video, streamed=True))  # no duration, no cues
    (tmp_path / "seekable.webm").write_bytes(encode(video))
    build(tmp_path, {"train": table({"live": tmp_path / "live.webm", "seekable": tmp_path / "seekable.webm"})}, codec)
    store = ClipStore(tmp_path / "store" / "train")
    assert store.ids == ["live", "seekable"] and store.counts.tolist() == [24, 24]
    np.testing.assert_array_equal(store.video(0), store.video(1))


def test_jpeg_store_is_close_and_smaller(tmp_path, make_video):
    make_video(tmp_path / "1.webm", frames=24)
    raw = build(tmp_path / "raw", {"train": table({"1": tmp_path / "1.webm"})})
    jpeg = build(tmp_path / "jpeg", {"train": table({"1": tmp_path / "1.webm"})}, codec="jpeg")
    assert jpeg["splits"]["train"]["bytes"] < raw["splits"]["train"]["bytes"] / 2
    stored = ClipStore(tmp_path / "jpeg" / "store" / "train").video(0).astype(float)
    decoded = decode_video(tmp_path / "1.webm", 32).astype(float)
    psnr = 10 * np.log10(255**2 / np.mean((stored - decoded) ** 2))
    assert psnr > 30


def test_bad_videos_are_skipped_and_reported(tmp_path, make_video):
    good = make_video(tmp_path / "good.webm", frames=24)
    (tmp_path / "empty.webm").write_bytes(b"")
    (tmp_path / "garbage.webm").write_bytes(b"\x1aE\xdf\xa3 not really a webm" * 50)
    whole = encode_video(good)
    (tmp_path / "truncated.webm").write_bytes(whole[: len(whole) // 2])
    make_video(tmp_path / "short.webm", frames=4)
    videos = {name: tmp_path / f"{name}.webm" for name in ["good", "missing", "empty", "garbage", "truncated", "short"]}
    summary = build(tmp_path, {"train": table(videos)}, workers=2)
    assert summary["splits"]["train"]["videos"] == 1 and summary["splits"]["train"]["skipped"] == 5
    report = pd.read_csv(tmp_path / "store" / SKIPPED_FILE).set_index("id")["reason"]
    assert report["missing"].startswith("missing")
    assert report["empty"].startswith("empty")
    assert report["garbage"].startswith("unreadable")
    assert report["truncated"].startswith("truncated")
    assert report["short"] == "too short: 4 frames, fewer than 8"
    assert ClipStore(tmp_path / "store" / "train").ids == ["good"]


def test_an_empty_split_fails_and_keeps_the_previous_store(tmp_path, make_video):
    make_video(tmp_path / "1.webm")
    build(tmp_path, {"train": table({"1": tmp_path / "1.webm"})})
    with pytest.raises(StoreError, match=r"no usable video in split\(s\) validation; the reasons are in .*skipped.csv"):
        build(tmp_path, {"train": table({"1": tmp_path / "1.webm"}), "validation": table({"2": tmp_path / "2.webm"})})
    assert ClipStore(tmp_path / "store" / "train").ids == ["1"]  # the old store is untouched


def test_long_videos_are_subsampled_to_max_frames(tmp_path, make_video):
    make_video(tmp_path / "1.webm", frames=60)
    build(tmp_path, {"train": table({"1": tmp_path / "1.webm"})})
    assert ClipStore(tmp_path / "store" / "train").counts.tolist() == [40]


def test_not_a_store(tmp_path):
    with pytest.raises(StoreError, match="not a clip store split"):
        ClipStore(tmp_path)


# Resumable materialisation: the store is built in shards of `shard_videos` videos, each committed whole.

SHARDED = dict(codec="jpeg", short_side=32, max_frames=40, min_frames=8, quality=90, workers=1, shard_videos=2)


@pytest.fixture
def videos(tmp_path, make_video) -> dict[str, pd.DataFrame]:
    """Two splits of tiny videos, with a broken one in the first shard."""
    folder = tmp_path / "videos"
    for i in range(16):
        make_video(folder / f"{i}.webm", frames=24 + i, seed=i)
    (folder / "1.webm").write_bytes(b"")
    return {
        "train": table({str(i): folder / f"{i}.webm" for i in range(12)}),
        "validation": table({str(i): folder / f"{i}.webm" for i in range(12, 16)}, label=1),
    }


def assert_same_store(a, b) -> None:
    """Same videos, same stored bytes, same summary and skipped report."""
    assert (a / "summary.json").read_text() == (b / "summary.json").read_text()
    assert (a / SKIPPED_FILE).read_text() == (b / SKIPPED_FILE).read_text()
    for split in ("train", "validation"):
        left, right = ClipStore(a / split), ClipStore(b / split)
        assert left.ids == right.ids and left.labels.tolist() == right.labels.tolist()
        assert left.counts.tolist() == right.counts.tolist() and left.shapes.tolist() == right.shapes.tolist()
        for i in range(len(left)):
            every = np.arange(left.counts[i])
            assert [bytes(f) for f in left.encoded(i, every)] == [bytes(f) for f in right.encoded(i, every)]


def start_build(tables: dict[str, pd.DataFrame], out, params: dict, preexec=None) -> subprocess.Popen:
    """materialise in a separate Python process, so that it can be killed or limited."""
    script = (
        "import sys, pickle; from ssv2.store import materialise\n"
        "tables, out, params = pickle.load(sys.stdin.buffer)\n"
        "materialise(tables, out, **params)\n"
    )
    process = subprocess.Popen(
        [sys.executable, "-c", script],
        stdin=subprocess.PIPE,
        stderr=subprocess.PIPE,
        preexec_fn=preexec,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )
    process.stdin.write(pickle.dumps((tables, str(out), params)))
    process.stdin.close()
    return process


def shard_folders(store) -> list:
    return sorted(p for p in store.glob("*/shards/*") if not p.name.endswith(".partial"))


def test_a_build_killed_by_sigkill_resumes_and_equals_a_clean_build(tmp_path, videos, capsys):
    out = tmp_path / "store"
    partial = tmp_path / "store.partial"
    process = start_build(videos, out, SHARDED)
    while not shard_folders(partial) and process.poll() is None:
        time.sleep(0.005)
    process.send_signal(signal.SIGKILL)
    process.wait()
    assert process.returncode == -signal.SIGKILL, process.stderr.read().decode()
    kept = shard_folders(partial)
    assert 1 <= len(kept) < 8 and not out.exists()  # killed mid-build: some shards are done, not all
    for folder in kept:
        (folder / "marker").touch()  # gone if the shard is rebuilt

    materialise(videos, out, **SHARDED)
    assert f"{len(kept)} of 8 shards" in capsys.readouterr().out
    assert all((out / p.relative_to(partial) / "marker").is_file() for p in kept)  # kept, not rebuilt
    for folder in kept:
        (out / folder.relative_to(partial) / "marker").unlink()
    assert not partial.exists()
    materialise(videos, tmp_path / "clean" / "store", **SHARDED)
    assert_same_store(out, tmp_path / "clean" / "store")
    assert pd.read_csv(out / SKIPPED_FILE, dtype={"id": str})["id"].tolist() == [
        "1"
    ]  # from a shard built before the kill


def limit_file_size(limit: int):
    def limit_it():
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails with EFBIG, as on a full disk
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    return limit_it


def fail_mid_build(videos, tmp_path, clean) -> list:
    """Build until a shard's frames.bin outgrows the first shard's size: a write fails, as on a full disk."""
    limit = (clean / "train/shards/00000/frames.bin").stat().st_size
    process = start_build(videos, tmp_path / "store", SHARDED, preexec=limit_file_size(limit))
    assert process.wait() == 1
    assert "File too large" in process.stderr.read().decode()
    return shard_folders(tmp_path / "store.partial")


def test_a_shard_that_fails_to_write_is_not_visible_and_is_rebuilt(tmp_path, videos):
    clean = tmp_path / "clean" / "store"
    materialise(videos, clean, **SHARDED)
    kept = fail_mid_build(videos, tmp_path, clean)
    partial = tmp_path / "store.partial"
    assert [p.relative_to(partial).as_posix() for p in kept] == ["train/shards/00000"]
    assert (partial / "train/shards/00001.partial").is_dir()  # the failed write: never renamed, so never read
    assert not (tmp_path / "store").exists()
    (kept[0] / "marker").touch()

    materialise(videos, tmp_path / "store", **SHARDED)
    (tmp_path / "store/train/shards/00000/marker").unlink()  # kept, not rebuilt
    assert not list((tmp_path / "store").glob("*/shards/*.partial"))
    assert_same_store(tmp_path / "store", clean)


def test_changed_params_start_afresh(tmp_path, videos):
    clean = tmp_path / "clean" / "store"
    materialise(videos, clean, **SHARDED)
    kept = fail_mid_build(videos, tmp_path, clean)
    (kept[0] / "marker").touch()

    smaller = {**SHARDED, "short_side": 24}
    materialise(videos, tmp_path / "store", **smaller)
    assert not (tmp_path / "store/train/shards/00000/marker").exists()  # rebuilt
    assert ClipStore(tmp_path / "store" / "train").shapes.min() == 24
    materialise(videos, tmp_path / "clean24" / "store", **smaller)
    assert_same_store(tmp_path / "store", tmp_path / "clean24" / "store")


def test_batch_decoding_on_a_device_gives_the_stores_pixels(tmp_path, make_video):
    """decode_batch is what runs on CUDA (nvJPEG) so loader workers only read bytes; here on the CPU."""
    make_video(tmp_path / "1.webm", frames=24)
    make_video(tmp_path / "2.webm", frames=30, height=64, width=48, seed=1)
    build(tmp_path, {"train": table({"1": tmp_path / "1.webm", "2": tmp_path / "2.webm"})}, codec="jpeg")
    store = ClipStore(tmp_path / "store" / "train")
    buffers = store.encoded(0, [0, 7, 7]) + store.encoded(1, [3])  # frames of different sizes, in one batch
    decoded = [t.permute(1, 2, 0).numpy() for t in decode_batch(buffers, "cpu")]
    np.testing.assert_array_equal(np.stack(decoded[:3]), store.frames(0, [0, 7, 7]))
    np.testing.assert_array_equal(decoded[3], store.frames(1, [3])[0])
