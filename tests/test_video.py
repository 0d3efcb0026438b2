"""decode_video on videos as real recorders write them: browsers (live webm, no duration), phones
(rotation, 30/60 fps, variable frame rate), long ones, and what is not a video at all."""

import io

import av
import numpy as np
import pytest
import torch
from torchvision.io import encode_png

from conftest import encode, moving_square
from ssv2.video import VideoError, decode_video


def reason(data: bytes, **kwargs) -> str:
    with pytest.raises(VideoError) as e:
        decode_video(data, name="upload", **kwargs)
    assert str(e.value).startswith("upload: ")
    return e.value.reason


def test_a_live_webm_without_duration_decodes_like_any_other():
    video = moving_square(24, 48, 64)
    live = encode(video, streamed=True)
    with av.open(io.BytesIO(live)) as container:
        assert container.duration is None  # what MediaRecorder uploads: no duration, no cues
    decoded = decode_video(live)
    assert decoded.shape == video.shape
    np.testing.assert_allclose(decoded.astype(float).mean(), video.astype(float).mean(), atol=3)
    assert np.array_equal(decoded, decode_video(encode(video)))  # the same frames as a seekable webm


def test_a_cut_live_webm_is_truncated_when_the_cut_is_inside_a_frame():
    live = encode(moving_square(48, 48, 64), streamed=True)
    reasons = []
    for k in range(4, 10):
        try:
            decode_video(live[: len(live) * k // 10])
            reasons.append("decoded")
        except VideoError as e:
            reasons.append(e.reason.split(":")[0])
    assert "truncated" in reasons and set(reasons) <= {"truncated", "decoded"}, reasons


def test_still_image_and_audio_only_are_not_videos():
    png = encode_png(torch.from_numpy(moving_square(1, 48, 64)[0]).permute(2, 0, 1)).numpy().tobytes()
    assert reason(png) == "not a video: a still image (png)"
    audio = io.BytesIO()
    with av.open(audio, "w", format="webm") as container:
        stream = container.add_stream("libopus", rate=48000)
        frame = av.AudioFrame.from_ndarray(np.zeros((1, 9600), np.float32), format="flt", layout="mono")
        frame.sample_rate, frame.pts = 48000, 0
        for packet in [*stream.encode(frame), *stream.encode(None)]:
            container.mux(packet)
    assert reason(audio.getvalue()) == "not a video: no video stream (audio)"


def test_too_short_and_too_small():
    assert reason(encode(moving_square(1, 48, 64)), min_frames=4) == "too short: 1 frames, fewer than 4"
    assert reason(encode(moving_square(24, 16, 16)), min_side=32).startswith("too small: 16x16 frames")


@pytest.mark.parametrize("fmt", ["webm", "mp4"])
@pytest.mark.parametrize("fps", [12, 30, 60])
def test_any_frame_rate_gives_twelve_frames_a_second(fmt, fps):
    video = moving_square(2 * fps, 48, 64)  # two seconds
    decoded = decode_video(encode(video, fmt, fps))
    assert abs(len(decoded) - 24) <= 1, len(decoded)


def test_variable_frame_rate_is_sampled_by_time():
    # a phone's frame rate drops from 60 to 12 fps when the light does: one second of each
    times = [i / 60 for i in range(60)] + [1 + i / 12 for i in range(12)]
    decoded = decode_video(encode(moving_square(72, 48, 64), "mp4", 60, times=times))
    assert abs(len(decoded) - 24) <= 1, len(decoded)


@pytest.mark.parametrize("fmt", ["mp4", "webm"])
def test_a_portrait_phone_video_is_upright(fmt):
    upright = np.zeros((12, 64, 48, 3), np.uint8)
    upright[:, :16] = 255  # white at the top
    stored = np.ascontiguousarray(np.rot90(upright, -1, axes=(1, 2)))  # the sensor's landscape frames
    decoded = decode_video(encode(stored, fmt, rotation=90))
    assert decoded.shape == upright.shape
    assert decoded[:, :16].mean() > 200 and decoded[:, 20:].mean() < 50


def test_a_long_video_is_sampled_over_its_whole_duration_within_the_bound():
    video = moving_square(600, 48, 64)  # 50 s; the square crosses the frame once
    decoded = decode_video(encode(video), max_decoded=40)
    assert 20 <= len(decoded) <= 40
    red = (decoded[..., 0] > 150) & (decoded[..., 1] < 100)
    columns = [np.nonzero(mask)[1].mean() for mask in red]  # where the square is
    assert np.all(np.diff(columns) > -1) and columns[0] < 10 and columns[-1] > 50, columns


def test_decoding_has_a_time_bound():
    assert reason(encode(moving_square(240, 48, 64)), timeout=0).startswith("too slow: not decoded within 0 s")
