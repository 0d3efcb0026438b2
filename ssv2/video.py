"""Video decoding and encoding with PyAV: the only module that touches compressed video."""

from __future__ import annotations

import io
import multiprocessing
from pathlib import Path
from typing import BinaryIO

import av
import numpy as np

FPS = 12  # SSv2 videos are 12 frames per second

# Frames ending this far (seconds, or fraction of the stated duration, whichever is larger)
# before the container's stated duration mean a truncated file.
TRUNCATED_SECONDS = 2 / FPS
TRUNCATED_FRACTION = 0.05


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
    name: str | None = None,
    threads: bool = False,
) -> np.ndarray:
    """Decode every frame of a video as uint8 RGB, shaped (T, H, W, 3).

    Frames are resized so their shorter side is `short_side` (None keeps the size) and,
    past `max_frames`, uniformly subsampled. `max_decoded` stops decoding after that many
    frames and `max_pixels` refuses larger frames, so untrusted input has bounded cost.
    Raises VideoError naming the video for a missing, empty, unreadable, truncated or
    too-short file; nothing is ever padded.
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

    try:
        container = av.open(source, mode="r")
    except (av.error.FFmpegError, UnicodeDecodeError, ValueError) as e:
        raise VideoError(name, f"unreadable: not a video container ({e})") from None
    with container:
        if not container.streams.video:
            raise VideoError(name, "unreadable: no video stream")
        stream = container.streams.video[0]
        # Frame threads add latency per video; a process pool already uses every core.
        stream.thread_type = "AUTO" if threads else "SLICE"
        ctx = stream.codec_context
        if max_pixels is not None and ctx.width * ctx.height > max_pixels:
            raise VideoError(name, f"too large: {ctx.width}x{ctx.height} frames exceed {max_pixels} pixels")

        frames: list[np.ndarray] = []
        size: tuple[int, int] | None = None
        last_time = 0.0
        try:
            for frame in container.decode(stream):
                if max_pixels is not None and frame.width * frame.height > max_pixels:
                    raise VideoError(name, f"too large: {frame.width}x{frame.height} frames exceed {max_pixels} pixels")
                if size is None:  # one output size for the whole video, from its first frame
                    size = (frame.height, frame.width)
                    if short_side is not None:
                        size = resized_shape(frame.height, frame.width, short_side)
                frames.append(
                    frame.to_ndarray(format="rgb24", width=size[1], height=size[0], interpolation="AREA")
                )
                if frame.time is not None:
                    last_time = frame.time
                if max_decoded is not None and len(frames) >= max_decoded:
                    break
        except av.error.FFmpegError as e:
            if not frames:
                raise VideoError(name, f"unreadable: {e}") from None
            raise VideoError(name, f"truncated: decoding failed after {len(frames)} frames ({e})") from None
        stated = container.duration / av.time_base if container.duration else None

    if not frames:
        raise VideoError(name, "empty: no frames could be decoded")
    complete = max_decoded is not None and len(frames) >= max_decoded
    missing = stated - (last_time + 1 / FPS) if stated else 0.0
    if not complete and missing > max(TRUNCATED_SECONDS, TRUNCATED_FRACTION * stated):
        raise VideoError(
            name, f"truncated: frames end at {last_time:.2f}s of the stated {stated:.2f}s"
        )
    if len(frames) < min_frames:
        raise VideoError(name, f"too short: {len(frames)} frames, fewer than {min_frames}")
    video = np.stack(frames)
    if max_frames is not None:
        video = video[uniform_indices(len(video), max_frames)]
    return video


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
    return multiprocessing.get_context("forkserver" if "forkserver" in multiprocessing.get_all_start_methods()
                                       else "spawn")
