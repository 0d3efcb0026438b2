"""Video decoding and encoding with PyAV: the only module that touches compressed video."""

from __future__ import annotations

import io
import math
import multiprocessing
import time
from pathlib import Path
from typing import BinaryIO

import av
import numpy as np

FPS = 12  # SSv2 videos are 12 frames per second

# Frames ending this far (seconds, or fraction of the stated duration, whichever is larger)
# before the container's stated duration mean a truncated file.
TRUNCATED_SECONDS = 2 / FPS
TRUNCATED_FRACTION = 0.05
# Seconds one video may take to decode: a pathological file cannot hang a worker or a request.
DECODE_SECONDS = 60.0
# A live-written webm's last block has a 4-byte header; a longer tail is a block cut short.
LIVE_TAIL_BYTES = 8


class VideoError(ValueError):
    """A video that cannot be used; the message names the video and the reason."""

    def __init__(self, name: str, reason: str):
        super().__init__(f"{name}: {reason}")
        self.name = name
        self.reason = reason


def resized_shape(height: int, width: int, short_side: int) -> tuple[int, int]:
    """(height, width) scaled so the shorter side is `short_side`, keeping the aspect ratio."""
    scale = short_side / min(height, width)
    return max(short_side, round(height * scale)), max(short_side, round(width * scale))


def uniform_indices(num_frames: int, count: int) -> np.ndarray:
    """`count` frame indices spread evenly over `num_frames` frames (all of them if fewer)."""
    if num_frames <= count:
        return np.arange(num_frames)
    return np.linspace(0, num_frames - 1, count).round().astype(np.int64)


def decode_video(
    source: str | Path | bytes | BinaryIO,
    short_side: int | None = None,
    *,
    max_frames: int | None = None,
    max_decoded: int | None = None,
    max_pixels: int | None = None,
    min_frames: int = 1,
    min_side: int = 1,
    fps: float | None = FPS,
    timeout: float = DECODE_SECONDS,
    name: str | None = None,
    threads: bool = False,
) -> np.ndarray:
    """Decode a video as uint8 RGB frames, shaped (T, H, W, 3), upright and at `fps` frames a second.

    Frames are taken on a grid of `fps` frames a second by their timestamps (None: every frame),
    so 30 and 60 fps or variable-rate videos give what a 12 fps one gives; they are turned
    upright as the rotation metadata says (phones), resized so their shorter side is
    `short_side` (None keeps the size) and, past `max_frames`, uniformly subsampled.
    Untrusted input has bounded cost: at most `max_decoded` frames are held (when full, every
    other one is dropped and the grid's step doubles, so a long video is still sampled over
    its whole duration), frames over `max_pixels` are refused and decoding stops with an error
    after `timeout` seconds. Raises VideoError naming the video for a missing, empty,
    unreadable, truncated, too small or too short file and for what is not a video (a still
    image, audio only); nothing is ever padded.
    """
    if name is None:
        name = str(source) if isinstance(source, (str, Path)) else "video"
    if isinstance(source, (str, Path)):
        path = Path(source)
        if not path.is_file():
            raise VideoError(name, "missing: no such file")
        if path.stat().st_size == 0:
            raise VideoError(name, "empty: the file has no bytes")
    elif isinstance(source, (bytes, bytearray)):
        if not source:
            raise VideoError(name, "empty: no bytes")
        source = io.BytesIO(source)

    start = time.monotonic()
    try:
        # The timeout interrupts a read that blocks; the loop below bounds the whole decoding.
        container = av.open(source, mode="r", timeout=timeout)
    except (av.error.FFmpegError, OSError, UnicodeDecodeError, ValueError) as e:
        raise VideoError(name, f"unreadable: not a video container ({e})") from None
    with container:
        if not container.streams.video:
            kinds = sorted({s.type for s in container.streams})
            raise VideoError(name, f"not a video: no video stream ({', '.join(kinds) or 'no streams'})")
        if container.format.name == "image2" or container.format.name.endswith("_pipe"):
            raise VideoError(name, f"not a video: a still image ({container.format.name.removesuffix('_pipe')})")
        stream = container.streams.video[0]
        ctx = stream.codec_context
        if ctx is None:  # FFmpeg found no decoder; the stream then has no codec attributes to name either
            raise VideoError(name, "unreadable: no decoder for its video stream")
        # Frame threads add latency per video; a process pool already uses every core.
        stream.thread_type = "AUTO" if threads else "SLICE"
        if max_pixels is not None and ctx.width * ctx.height > max_pixels:
            raise VideoError(name, f"too large: {ctx.width}x{ctx.height} frames exceed {max_pixels} pixels")

        frames: list[np.ndarray] = []
        step = 1 / fps if fps else 0.0
        next_time = -math.inf  # the next grid time a frame is taken at
        size: tuple[int, int] | None = None  # (height, width) of the output, before rotation
        turns = 0  # quarter turns counter-clockwise that make a frame upright
        last_time, decoded = 0.0, 0
        end = 0  # where the last packet's bytes end in the file
        try:
            for packet in container.demux(stream):
                if packet.size and packet.pos is not None and packet.pos >= 0:
                    end = max(end, packet.pos + packet.size)
                if time.monotonic() - start > timeout:
                    raise VideoError(name, f"too slow: not decoded within {timeout:g} s ({decoded} frames)")
                for frame in packet.decode():
                    decoded += 1
                    if max_pixels is not None and frame.width * frame.height > max_pixels:
                        raise VideoError(
                            name, f"too large: {frame.width}x{frame.height} frames exceed {max_pixels} pixels"
                        )
                    t = frame.time if frame.time is not None else decoded / (fps or FPS)
                    last_time = max(last_time, t)
                    if t < next_time:
                        continue
                    # A quarter of a step of slack absorbs timestamps rounded to the container's tick.
                    next_time = max(next_time + step, t + step * 3 / 4)
                    if size is None:  # one output size for the whole video, from its first frame
                        if min(frame.height, frame.width) < min_side:
                            raise VideoError(
                                name,
                                f"too small: {frame.width}x{frame.height} frames, the shorter "
                                f"side under {min_side} pixels",
                            )
                        turns = round((frame.rotation or 0) / 90) % 4
                        size = (frame.height, frame.width)
                        if short_side is not None:
                            upright = size[::-1] if turns % 2 else size
                            size = resized_shape(*upright, short_side)
                            size = size[::-1] if turns % 2 else size
                    image = frame.to_ndarray(format="rgb24", width=size[1], height=size[0], interpolation="AREA")
                    frames.append(np.rot90(image, turns) if turns else image)
                    if max_decoded is not None and len(frames) >= max_decoded:
                        frames = frames[::2]  # keep the whole duration: half the frames at twice the step
                        step = 2 * (step or 1 / FPS)
                        next_time = t + step * 3 / 4
        except av.error.FFmpegError as e:
            if not frames:
                raise VideoError(name, f"unreadable: {e}") from None
            raise VideoError(name, f"truncated: decoding failed after {decoded} frames ({e})") from None
        stated = container.duration / av.time_base if container.duration else None
        # A webm written live (a browser's MediaRecorder) states no duration and ends with its last
        # block: bytes past that block's 4-byte header are a block the cut left incomplete.
        live_tail = _size(source) - end if stated is None and "matroska" in container.format.name else 0

    if not frames:
        raise VideoError(name, "empty: no frames could be decoded")
    if live_tail > LIVE_TAIL_BYTES:
        raise VideoError(name, f"truncated: the file ends inside a frame, {live_tail} bytes after the last whole one")
    if stated is not None:
        missing = stated - (last_time + 1 / (fps or FPS))
        if missing > max(TRUNCATED_SECONDS, TRUNCATED_FRACTION * stated):
            raise VideoError(name, f"truncated: frames end at {last_time:.2f}s of the stated {stated:.2f}s")
    if len(frames) < min_frames:
        raise VideoError(name, f"too short: {len(frames)} frames, fewer than {min_frames}")
    video = np.ascontiguousarray(np.stack(frames))
    if max_frames is not None:
        video = video[uniform_indices(len(video), max_frames)]
    return video


def _size(source: str | Path | BinaryIO) -> int:
    """Bytes in a file or seekable stream (0 when unknown)."""
    if isinstance(source, (str, Path)):
        return Path(source).stat().st_size
    try:
        return source.seek(0, io.SEEK_END)
    except (AttributeError, OSError, ValueError):
        return 0


def encode_video(frames: np.ndarray, fps: int = FPS, fmt: str = "webm", crf: int = 32) -> bytes:
    """Encode uint8 RGB frames (T, H, W, 3) as a WebM (VP9) or MP4 (H.264) file's bytes."""
    codec = {"webm": "libvpx-vp9", "mp4": "libx264"}[fmt]
    frames = np.asarray(frames, dtype=np.uint8)
    height, width = frames.shape[1:3]
    buffer = io.BytesIO()
    # bitexact: no random ids in the container, so the same frames give the same bytes
    with av.open(buffer, mode="w", format=fmt, options={"fflags": "+bitexact"}) as container:
        stream = container.add_stream(codec, rate=fps)
        # VP9 codes odd sides (SSv2's 427 px widths); H.264's yuv420p needs even ones.
        even = codec == "libx264"
        stream.width, stream.height = width - width % 2 * even, height - height % 2 * even
        stream.pix_fmt = "yuv420p"
        if codec == "libvpx-vp9":
            stream.options = {"deadline": "realtime", "cpu-used": "8", "crf": str(crf), "b:v": "0"}
        else:
            stream.options = {"preset": "veryfast", "crf": str(crf)}
        for array in frames:
            frame = av.VideoFrame.from_ndarray(array[: stream.height, : stream.width], format="rgb24")
            container.mux(stream.encode(frame))
        container.mux(stream.encode())
    return buffer.getvalue()


def write_video(path: str | Path, frames: np.ndarray, fps: int = FPS) -> None:
    """Write frames to `path`, the format taken from its suffix (.webm or .mp4)."""
    path = Path(path)
    data = encode_video(frames, fps=fps, fmt=path.suffix.lstrip(".").lower())
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


def process_context() -> multiprocessing.context.BaseContext:
    """Where decoding pools start their workers: a fresh server process, not a fork of the caller.

    Forking a process that already runs threads (MLflow's, a notebook's, pytest's) can copy a
    held lock into the child, which then waits forever; forkserver and spawn never do.
    """
    return multiprocessing.get_context(
        "forkserver" if "forkserver" in multiprocessing.get_all_start_methods() else "spawn"
    )
