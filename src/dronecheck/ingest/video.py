"""Sequences of frames: a DJI video with its SRT sidecar, sampled at a chosen rate, and photo series.

Each sampled video frame becomes a `Frame` whose pose is interpolated from the SRT at the
frame's time. DJI's SRT gives no lens data beyond a 35 mm-equivalent focal length (and not on
every model), so the focal length in pixels comes from that, or else from a horizontal field of
view: the caller's, or `DEFAULT_HFOV_DEG`, an assumption the frame's notes state.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Iterator
from pathlib import Path

import cv2
import numpy as np

from dronecheck.errors import BadInputError
from dronecheck.hashing import file_sha256
from dronecheck.ingest.discover import not_regular, utf8_name
from dronecheck.ingest.srt import Telemetry, TelemetrySample, read_srt, sample_at
from dronecheck.types import Camera, Frame, Pose

# A 24 mm-equivalent lens (Mavic 3, Air 2S, Mini, Phantom 4 Pro) across the width of its 4:3
# sensor, which DJI's 16:9 video modes keep. DJI's advertised 82-84° is the diagonal field of view.
DEFAULT_HFOV_DEG = 71.6
# Width of a 4:3 frame with the diagonal of 35 mm film (43.27 mm): a 35 mm-equivalent focal
# length is that many millimetres per image width when the video keeps the sensor's full width.
EQUIVALENT_WIDTH_MM = 43.2666 * 0.8


def find_sidecar(video: Path) -> Path:
    """The SRT beside a video: same name, suffix .SRT or .srt in any case."""
    found = sorted(p for p in video.parent.iterdir() if p.stem == video.stem and p.suffix.lower() == ".srt")
    if not found:
        raise BadInputError(video, f"no telemetry sidecar {video.stem}.SRT beside the video: without it the "
                                   "frames have no position (turn on 'video captions' in DJI's app)")
    return found[0]


def video_file_sha256(path: Path) -> str:
    """The sha256 of the video file; BadInputError when it cannot be read."""
    try:
        return file_sha256(path)
    except OSError as exc:
        raise BadInputError(path, f"cannot read the video ({exc.strerror or exc})") from None


def frame_sha256(video_sha256: str, frame_index: int) -> str:
    """The identity of one frame of a video: stable across runs, renames and sampling rates.

    >>> frame_sha256("ab", 5) == frame_sha256("ab", 5) != frame_sha256("ab", 6)
    True
    """
    return hashlib.sha256(f"{video_sha256}#{frame_index}".encode()).hexdigest()


def _frame_rate(path: Path) -> float:
    """The video's frames per second; opening it also checks OpenCV can decode it."""
    capture = cv2.VideoCapture(str(path))
    try:
        if not capture.isOpened():
            raise BadInputError(path, "cannot open the video (OpenCV/FFmpeg cannot decode this file)")
        rate = capture.get(cv2.CAP_PROP_FPS)
    finally:
        capture.release()
    if not (math.isfinite(rate) and rate > 0):
        raise BadInputError(path, "the video states no frame rate")
    return rate


def sampled_count(path: Path, fps: float) -> int | None:
    """How many frames `read_video` gives at `fps`, from the frame count the file states; None when it
    states none or cannot be opened."""
    if not_regular(path) or not utf8_name(path):  # opening those would block or crash: read_video says why
        return None
    capture = cv2.VideoCapture(str(path))
    try:
        count, rate = int(capture.get(cv2.CAP_PROP_FRAME_COUNT)), capture.get(cv2.CAP_PROP_FPS)
    finally:
        capture.release()
    if count <= 0 or not (math.isfinite(rate) and rate > 0):
        return None
    return len({round(k * rate / fps) for k in range(math.ceil(count * fps / rate) + 1)} & set(range(count)))


def _focal(width: int, sample: TelemetrySample, hfov_deg: float | None) -> tuple[float, float | None, str, str | None]:
    """(focal_px, effective 35 mm equivalent, focal_source, note) for one frame."""
    if sample.focal_35mm:
        equivalent = sample.focal_35mm * (sample.digital_zoom or 1.0)
        return equivalent * width / EQUIVALENT_WIDTH_MM, equivalent, "srt-35mm-equivalent", None
    hfov = hfov_deg or DEFAULT_HFOV_DEG
    focal = width / 2 / math.tan(math.radians(hfov) / 2)
    if hfov_deg:
        return focal, None, "hfov-given", None
    return focal, None, "hfov-assumed", (f"no focal length in the SRT: a horizontal field of view of {hfov:g}° "
                                         "assumed (a 24 mm-equivalent DJI camera)")


def _frame(path: Path, video_sha256: str, index: int, offset_s: float, shape: tuple[int, ...],
           telemetry: Telemetry, hfov_deg: float | None) -> Frame:
    sample = sample_at(telemetry, offset_s)
    height, width = shape[:2]
    notes = list(telemetry.notes)
    first, last = telemetry.samples[0], telemetry.samples[-1]
    if not first.offset_s <= offset_s <= last.end_s:
        notes.append(f"frame at {offset_s:.2f} s is outside the SRT's {first.offset_s:.2f}-{last.end_s:.2f} s: "
                     "pose of the nearest cue")
    focal, equivalent, source, note = _focal(width, sample, hfov_deg)
    if note:
        notes.append(note)
    camera = Camera(width=width, height=height, focal_35mm=equivalent, focal_px=focal, focal_source=source)
    pose = Pose(lat=sample.lat, lon=sample.lon, altitude_abs_m=sample.abs_alt_m, altitude_rel_m=sample.rel_alt_m,
                gimbal_yaw_deg=sample.gimbal_yaw_deg, gimbal_pitch_deg=sample.gimbal_pitch_deg,
                gimbal_roll_deg=sample.gimbal_roll_deg)
    return Frame(path=path, sha256=frame_sha256(video_sha256, index), camera=camera, pose=pose, time=sample.time,
                 frame_index=index, notes=tuple(notes))


def _sampled(path: Path, video_fps: float, fps: float) -> Iterator[tuple[int, np.ndarray]]:
    """(index, RGB pixels) of the frame nearest each multiple of 1/fps seconds.

    Frames in between are only grabbed (decoded, but neither converted nor copied out): exact on
    every codec, where seeking by frame number can land on the nearest keyframe instead.
    """
    capture = cv2.VideoCapture(str(path))
    try:
        index, k = 0, 0
        while capture.grab():
            if index == round(k * video_fps / fps):
                ok, bgr = capture.retrieve()
                if not ok:
                    raise BadInputError(path, f"cannot decode frame {index} of the video")
                yield index, cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
                while round(k * video_fps / fps) <= index:
                    k += 1
            index += 1
    finally:
        capture.release()


def read_video(path: Path, *, fps: float = 1.0, hfov_deg: float | None = None,
               sha256: str | None = None) -> Iterator[tuple[Frame, np.ndarray]]:
    """Frames of a video with their RGB pixels, `fps` frames per second of video, read lazily.

    The SRT sidecar and the video are checked before this returns, so a missing sidecar or an
    unreadable file raises BadInputError here; frames are then decoded one at a time as the
    caller iterates. `hfov_deg` is the horizontal field of view to use when the SRT gives no
    focal length (default `DEFAULT_HFOV_DEG`). `sha256` is the video file's, when the caller
    has it already (hashing a long video reads all of it).
    """
    if not fps > 0:
        raise ValueError(f"fps must be positive, got {fps}")
    problem = not_regular(path)
    if problem:
        raise BadInputError(path, problem)
    if not utf8_name(path):  # OpenCV crashes the process on such a name, and reads videos only by name
        raise BadInputError(path, "the name is not valid UTF-8, which OpenCV cannot open: rename the file")
    if hfov_deg is not None and not 0 < hfov_deg < 180:
        raise ValueError(f"hfov_deg must be between 0 and 180 degrees, got {hfov_deg}")
    telemetry = read_srt(find_sidecar(path))
    video_fps = _frame_rate(path)
    digest = sha256 or video_file_sha256(path)
    return ((_frame(path, digest, index, index / video_fps, pixels.shape, telemetry, hfov_deg), pixels)
            for index, pixels in _sampled(path, video_fps, fps))
