import numpy as np
import pandas as pd
import pytest
import torch

from ssv2.data import ClipDataset, crop_origins, segment_indices
from ssv2.store import materialise


def test_eval_indices_are_segment_centres():
    assert segment_indices(16, 4).tolist() == [2, 6, 10, 14]
    assert segment_indices(10, 4).tolist() == [1, 3, 6, 8]
    assert segment_indices(3, 6).tolist() == [0, 0, 1, 1, 2, 2]  # short videos repeat frames in order
    assert segment_indices(16, 4, offset=0.0).tolist() == [0, 4, 8, 12]


def test_train_indices_stay_in_their_segments():
    rng = np.random.default_rng(0)
    draws = np.stack([segment_indices(40, 8, rng) for _ in range(500)])
    for k in range(8):
        assert set(draws[:, k]) == set(range(5 * k, 5 * k + 5))


def test_crop_origins():
    assert crop_origins(32, 48, 32, 1) == [(0, 8)]
    assert crop_origins(32, 48, 32, 3) == [(0, 0), (0, 8), (0, 16)]
    assert crop_origins(48, 32, 32, 3) == [(0, 0), (8, 0), (16, 0)]


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    from conftest import moving_square
    from ssv2.video import write_video
    root = tmp_path_factory.mktemp("store")
    for i in range(3):
        write_video(root / f"{i}.webm", moving_square(20 + 4 * i, 48, 64, seed=i))
    table = pd.DataFrame({"id": ["0", "1", "2"], "label": [0, 1, 2], "video": [str(root / f"{i}.webm") for i in range(3)]})
    materialise({"train": table}, root / "store", codec="raw", short_side=32, max_frames=64, min_frames=8, workers=1)
    return root / "store" / "train"


@pytest.mark.parametrize("frames, crop", [(4, 32), (8, 24), (16, 16)])
def test_train_clip_shape(store, frames, crop):
    clip, label = ClipDataset(store, frames, crop, train=True)[1]
    assert clip.shape == (3, frames, crop, crop) and clip.dtype == torch.uint8 and label == 1


@pytest.mark.parametrize("clips, crops", [(1, 1), (2, 3)])
def test_eval_views_shape(store, clips, crops):
    views, _ = ClipDataset(store, 8, 32, train=False, clips=clips, crops=crops)[0]
    assert views.shape == (clips * crops, 3, 8, 32, 32)


def test_eval_clip_is_the_centre_crop_of_the_segment_centres(store):
    ds = ClipDataset(store, 4, 24, train=False)
    video = ds.store.video(0)  # 20 frames of 32 x 43
    expected = video[segment_indices(20, 4)][:, 4:28, 9:33]
    np.testing.assert_array_equal(ds[0][0][0].permute(1, 2, 3, 0).numpy(), expected)


def test_train_randomness_depends_on_seed_epoch_and_index_only(store):
    ds = ClipDataset(store, 8, 24, train=True, seed=3)
    first = ds[2][0]
    assert torch.equal(ClipDataset(store, 8, 24, train=True, seed=3)[2][0], first)
    ds.set_epoch(1)
    assert not torch.equal(ds[2][0], first)


def test_flip_mirrors_and_swaps_the_label(store):
    flip = [1, 0, 2]
    plain = ClipDataset(store, 8, 24, train=True)
    flipped = ClipDataset(store, 8, 24, train=True, flip_map=flip)
    outcomes = set()
    for epoch in range(12):
        plain.set_epoch(epoch), flipped.set_epoch(epoch)
        (a, la), (b, lb) = plain[0], flipped[0]
        if lb == la:
            assert torch.equal(a, b)
        else:
            assert lb == flip[la] and torch.equal(a.flip(-1), b)
        outcomes.add(lb == la)
    assert outcomes == {True, False}


def test_float_clips_and_oversized_crop(store):
    clip, _ = ClipDataset(store, 4, 32, train=True, dtype=torch.float32)[0]
    assert clip.dtype == torch.float32 and 0 <= clip.min() and clip.max() <= 1
    with pytest.raises(ValueError, match="crop 40 is larger than the store's smallest frame side 32"):
        ClipDataset(store, 4, 40, train=True)
