import numpy as np
import pandas as pd
import pytest

from ssv2.store import SKIPPED_FILE, ClipStore, StoreError, materialise
from ssv2.video import decode_video, encode_video


def table(videos: dict[str, str], label: int = 0) -> pd.DataFrame:
    return pd.DataFrame({"id": list(videos), "label": label, "video": list(videos.values())})


def build(tmp_path, tables, codec="raw", workers=1):
    return materialise(tables, tmp_path / "store", codec=codec, short_side=32, max_frames=40,
                       min_frames=8, quality=90, workers=workers)


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
