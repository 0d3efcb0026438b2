import numpy as np
import pandas as pd
import pytest
import torch
import torch.nn.functional as F
from torch.utils.data import DataLoader

from ssv2.config import crop_size
from ssv2.data import (
    ClipDataset,
    DecodeOnDevice,
    Preprocessing,
    collate_encoded,
    eval_boxes,
    jitter_colour,
    random_box,
    resize_view,
    segment_indices,
)
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


def test_eval_boxes():
    assert eval_boxes(32, 48, 1) == [(0, 0, 32, 48)]
    assert eval_boxes(32, 48, 3) == [(0, 0, 32, 32), (0, 8, 32, 32), (0, 16, 32, 32)]
    assert eval_boxes(48, 32, 3) == [(0, 0, 32, 32), (8, 0, 32, 32), (16, 0, 32, 32)]


@pytest.mark.parametrize("scale", [(0.5, 1.0), (1.0, 1.0), (0.2, 0.3)])
def test_random_boxes_stay_inside_within_the_scale(scale):
    rng = np.random.default_rng(0)
    for _ in range(200):
        top, left, h, w = random_box(rng, 40, 90, scale)
        assert 0 <= top and top + h <= 40 and 0 <= left and left + w <= 90
        assert round(40 * scale[0]) <= h <= round(40 * scale[1]) and round(90 * scale[0]) <= w <= round(90 * scale[1])


def test_random_boxes_over_one_hold_the_whole_frame_at_random_places():
    rng = np.random.default_rng(0)
    boxes = [random_box(rng, 40, 90, (1.0, 1.5)) for _ in range(200)]
    for top, left, h, w in boxes:
        assert top <= 0 <= 40 <= top + h <= 60 and left <= 0 <= 90 <= left + w <= 135
    assert len({(top, left) for top, left, _, _ in boxes}) > 100


def test_resize_view_zooms_out_into_a_black_margin():
    frames = np.full((2, 40, 80, 3), 200, np.uint8)
    view = resize_view(frames, (-40, 0, 80, 160), 20)  # the frame in the square's bottom-left quarter
    assert (view[:, :, 11:, :9] == 200).all()  # the filter blends the pixels either side of the edge
    assert (view[:, :, :9] == 0).all() and (view[..., 11:] == 0).all()
    assert torch.equal(resize_view(torch.from_numpy(frames), (-40, 0, 80, 160), 20), view)


def test_colour_jitter_is_one_change_for_the_whole_clip():
    frame = torch.randint(0, 256, (3, 1, 8, 8), dtype=torch.uint8)
    clip = frame.expand(3, 4, 8, 8)
    assert torch.equal(jitter_colour(clip, np.random.default_rng(0), 0.0), clip)
    jittered = jitter_colour(clip, np.random.default_rng(0), 1.0)
    assert jittered.dtype == torch.uint8 and jittered.shape == clip.shape
    assert not torch.equal(jittered, clip)
    assert all(torch.equal(jittered[:, t], jittered[:, 0]) for t in range(4))  # frames of a clip change alike


def test_colour_jitter_keeps_grey_grey_and_moves_hues():
    grey = torch.full((3, 2, 4, 4), 120, dtype=torch.uint8)
    out = jitter_colour(grey, np.random.default_rng(1), 1.0)
    assert (out.max(0).values.int() - out.min(0).values.int()).max() <= 1  # hue and saturation leave grey alone
    red = torch.zeros((3, 2, 4, 4), dtype=torch.uint8)
    red[0] = 200
    hues = {tuple(jitter_colour(red, np.random.default_rng(k), 1.0)[:, 0, 0, 0].tolist()) for k in range(20)}
    assert len(hues) > 10


def test_resize_view_squeezes_the_box_into_the_square():
    frames = np.zeros((2, 40, 80, 3), np.uint8)
    frames[:, :, 40:] = 200  # right half bright
    view = resize_view(frames, (0, 0, 40, 80), 20)
    assert view.shape == (3, 2, 20, 20) and view.dtype == torch.uint8
    assert (view[..., :9] == 0).all() and (view[..., 11:] == 200).all()
    assert torch.equal(
        resize_view(frames, (0, 30, 20, 20), 20), torch.from_numpy(frames[:, :20, 30:50]).permute(3, 0, 1, 2)
    )


def test_resize_view_is_the_antialiased_bilinear_filter_within_a_grey_level():
    frames = np.random.default_rng(0).integers(0, 256, (4, 50, 90, 3), dtype=np.uint8)
    x = torch.from_numpy(frames[:, 5:45, 10:80]).permute(0, 3, 1, 2).float()
    for size in (32, 64):  # down and up
        exact = F.interpolate(x, size=(size, size), mode="bilinear", antialias=True, align_corners=False)
        exact = exact.round().clamp(0, 255).permute(1, 0, 2, 3)
        assert (resize_view(frames, (5, 10, 40, 70), size).int() - exact.int()).abs().max() <= 1


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    from conftest import moving_square
    from ssv2.video import write_video

    root = tmp_path_factory.mktemp("store")
    for i in range(3):
        write_video(root / f"{i}.webm", moving_square(20 + 4 * i, 48, 64, seed=i))
    table = pd.DataFrame(
        {"id": ["0", "1", "2"], "label": [0, 1, 2], "video": [str(root / f"{i}.webm") for i in range(3)]}
    )
    materialise({"train": table}, root / "store", codec="raw", short_side=32, max_frames=64, min_frames=8, workers=1)
    materialise({"train": table}, root / "jpeg", codec="jpeg", short_side=32, max_frames=64, min_frames=8, workers=1)
    return root / "store" / "train"


@pytest.mark.parametrize("workers, scale", [(0, (0.5, 1.0)), (2, (0.5, 1.0)), (0, (1.0, 1.25))])
def test_clips_decoded_on_the_device_are_the_loaders_clips(store, workers, scale):
    """train.decode_on: device, here on the CPU: loader workers read bytes, the batch is decoded and
    rendered after them, into the clips and labels that the loader itself would have made."""
    jpeg = store.parent.parent / "jpeg" / "train"
    options = dict(scale=scale, colour=0.5, flip_map=[1, 0, 2], reverse_map=[0, 2, 1], seed=4)
    plain = ClipDataset(jpeg, 8, 24, train=True, **options)
    encoded = ClipDataset(jpeg, 8, 24, train=True, encoded=True, **options)
    loader = DecodeOnDevice(DataLoader(encoded, batch_size=2, num_workers=workers, collate_fn=collate_encoded), "cpu")
    assert len(loader) == 2
    for epoch in range(3):
        plain.set_epoch(epoch), encoded.set_epoch(epoch)
        clips, labels = map(torch.cat, zip(*loader))
        expected = [plain[i] for i in range(3)]
        assert torch.equal(clips, torch.stack([clip for clip, _ in expected]))
        assert labels.tolist() == [label for _, label in expected]


def test_only_training_clips_of_a_jpeg_store_decode_on_the_device(store):
    with pytest.raises(ValueError, match="store/train: decoding on the device needs .*not a raw store"):
        ClipDataset(store, 8, 24, train=True, encoded=True)
    with pytest.raises(ValueError, match="not evaluation views"):
        ClipDataset(store.parent.parent / "jpeg" / "train", 8, 24, train=False, encoded=True)


@pytest.mark.parametrize(
    "frames, crop, size", [(4, 32, (32, 32)), (8, 24, (24, 24)), (16, 16, (16, 16)), (4, [24, 40], (24, 40))]
)
def test_train_clip_shape(store, frames, crop, size):
    clip, label = ClipDataset(store, frames, crop, train=True)[1]
    assert clip.shape == (3, frames, *size) and clip.dtype == torch.uint8 and label == 1


@pytest.mark.parametrize("clips, crops", [(1, 1), (2, 3)])
@pytest.mark.parametrize("crop, size", [(32, (32, 32)), ([24, 40], (24, 40))])
def test_eval_views_shape(store, clips, crops, crop, size):
    views, _ = ClipDataset(store, 8, crop, train=False, clips=clips, crops=crops)[0]
    assert views.shape == (clips * crops, 3, 8, *size)


def test_eval_clip_is_the_whole_frame_of_the_segment_centres(store):
    ds = ClipDataset(store, 4, 24, train=False)
    video = ds.store.video(0)  # 20 frames of 32 x 43
    expected = resize_view(video[segment_indices(20, 4)], (0, 0, 32, 43), 24)
    assert torch.equal(ds[0][0][0], expected)


def test_train_randomness_depends_on_seed_epoch_and_index_only(store):
    ds = ClipDataset(store, 8, 24, train=True, seed=3)
    first = ds[2][0]
    assert torch.equal(ClipDataset(store, 8, 24, train=True, seed=3)[2][0], first)
    ds.set_epoch(1)
    assert not torch.equal(ds[2][0], first)


@pytest.mark.parametrize("context", ["fork", "spawn"])
def test_persistent_workers_see_each_new_epoch(store, context):
    """set_epoch reaches DataLoader workers that outlive an epoch: else every epoch repeats the first one's clips."""
    ds = ClipDataset(store, 4, 16, train=True, scale=(0.5, 1.0))
    loader = DataLoader(ds, batch_size=3, num_workers=2, persistent_workers=True, multiprocessing_context=context)
    epochs, expected = [], []
    for epoch in range(2):
        ds.set_epoch(epoch)
        epochs.append(torch.cat([clips for clips, _ in loader]))
        expected.append(torch.stack([ds[i][0] for i in range(len(ds))]))  # drawn in this process
    assert torch.equal(epochs[0], expected[0]) and torch.equal(epochs[1], expected[1])
    assert not torch.equal(epochs[0], epochs[1])


@pytest.mark.parametrize("context", ["fork", "spawn"])
def test_persistent_workers_take_each_epochs_crop(store, context):
    """Progressive resizing: the crop set with an epoch reaches workers that outlive it, and the clips are
    the ones this process draws at that size."""
    ds = ClipDataset(store, 4, 24, train=True)
    loader = DataLoader(ds, batch_size=3, num_workers=2, persistent_workers=True, multiprocessing_context=context)
    for epoch, crop in enumerate([16, [16, 20], 24]):
        ds.set_epoch(epoch, crop)
        clips = torch.cat([clips for clips, _ in loader])
        assert clips.shape[-2:] == crop_size(crop)
        assert torch.equal(clips, torch.stack([ds[i][0] for i in range(len(ds))]))


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


def test_float_clips(store):
    clip, _ = ClipDataset(store, 4, 32, train=True, dtype=torch.float32)[0]
    assert clip.dtype == torch.float32 and 0 <= clip.min() and clip.max() <= 1


def test_reverse_plays_pair_classes_backwards_and_relabels(store):
    partner = [1, 0, 2]  # classes 0 and 1 are each other's reversal; 2 has none
    plain = ClipDataset(store, 8, 24, train=True)
    reversed_ = ClipDataset(store, 8, 24, train=True, reverse_map=partner)
    outcomes = set()
    for epoch in range(12):
        plain.set_epoch(epoch), reversed_.set_epoch(epoch)
        (a, la), (b, lb) = plain[0], reversed_[0]
        if lb == la:
            assert torch.equal(a, b)
        else:
            assert lb == partner[la] and torch.equal(a.flip(1), b)
        outcomes.add(lb == la)
        assert reversed_[2][1] == 2  # no partner: never reversed
    assert outcomes == {True, False}


def test_preprocessing_round_trip_and_errors():
    spec = Preprocessing(frames=16, crop=64, short_side=128, clips=2, crops=3)
    assert Preprocessing.from_dict(spec.to_dict()) == spec
    assert Preprocessing.from_dict({"frames": 8, "crop": 32, "short_side": 40}) == Preprocessing(8, 32, 40, 1, 1)
    with pytest.raises(ValueError, match=r"lacks \['short_side'\] and has unknown keys \['mean'\]"):
        Preprocessing.from_dict({"frames": 8, "crop": 32, "mean": 0.5})
    with pytest.raises(ValueError, match="crops 1 or 3"):
        Preprocessing(8, 32, 40, crops=2)
    with pytest.raises(ValueError, match="positive"):
        Preprocessing(0, 32, 40)
    wide = Preprocessing(frames=8, crop=[24, 40], short_side=40)  # [height, width], as params.yaml writes it
    assert Preprocessing.from_dict(wide.to_dict()) == wide and crop_size(wide.crop) == (24, 40)
    with pytest.raises(ValueError, match="positive"):
        Preprocessing(8, [0, 40], 40)


def test_evaluation_views_follow_the_preprocessing(store):
    views, _ = ClipDataset.evaluation(store, Preprocessing(4, 24, 32, clips=2, crops=3))[0]
    expected, _ = ClipDataset(store, 4, 24, train=False, clips=2, crops=3)[0]
    assert torch.equal(views, expected) and views.shape == (6, 3, 4, 24, 24)
