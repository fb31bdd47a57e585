"""Videos with their SRT: the right frames at the right times with interpolated poses; photo sequences."""

from __future__ import annotations

import math
import shutil
from datetime import UTC, datetime
from pathlib import Path

import cv2
import numpy as np
import pytest

from dronecheck.analyse.sequences import sequence_order
from dronecheck.errors import BadInputError
from dronecheck.hashing import file_sha256
from dronecheck.ingest import discover, read_video
from dronecheck.ingest.video import DEFAULT_HFOV_DEG, EQUIVALENT_WIDTH_MM, frame_sha256
from dronecheck.types import Camera, Frame, Pose

WIDTH, HEIGHT, VIDEO_FPS, SECONDS = 320, 240, 10, 5
BITS = 8  # frame n shows n in binary: eight vertical bands, white for 1, so a decoded frame tells its index
# Mavic 3 / Mini 4 layout, one cue a second for 4 s (the video runs 5 s). Yaw crosses 180° at 1.5 s.
CUE = ("{n}\n00:00:0{k},000 --> 00:00:0{k1},000\n<font size=\"28\">FrameCnt: {n}, DiffTime: 1000ms\n"
       "2024-05-01 12:00:0{k}.000\n[iso: 100] [shutter: 1/1000.0] [fnum: 2.8] [ev: 0] {focal}"
       "[latitude: {lat:.6f}] [longitude: {lon:.6f}] [rel_alt: {rel:.3f} abs_alt: {abs:.3f}] "
       "[gb_yaw: {yaw:.1f} gb_pitch: {pitch:.1f} gb_roll: 0.0] </font>\n")


def srt_text(focal: str = "[focal_len: 24.00] ") -> str:
    return "\n".join(CUE.format(n=k + 1, k=k, k1=k + 1, focal=focal, lat=52.0 + 0.001 * k, lon=5.0 + 0.002 * k,
                                rel=50.0 + 2 * k, abs=60.0 + 2 * k, yaw=(165.0 + 10 * k + 180) % 360 - 180,
                                pitch=-90.0 + 6 * k) for k in range(4))


@pytest.fixture(scope="module")
def video(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("flight") / "DJI_0001.MP4"
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), VIDEO_FPS, (WIDTH, HEIGHT))
    for n in range(VIDEO_FPS * SECONDS):
        bands = np.array([255 * (n >> bit & 1) for bit in range(BITS)], dtype=np.uint8)
        writer.write(np.repeat(np.repeat(bands, WIDTH // BITS)[None, :, None], HEIGHT, axis=0).repeat(3, axis=2))
    writer.release()
    path.with_suffix(".SRT").write_text(srt_text(), encoding="utf-8")
    return path


def index_shown(pixels: np.ndarray) -> int:
    centres = pixels[HEIGHT // 2, WIDTH // BITS // 2::WIDTH // BITS, 0]
    return sum(1 << bit for bit, value in enumerate(centres) if value > 128)


def copy_video(video: Path, folder: Path, srt: str | None) -> Path:
    folder.mkdir(exist_ok=True)
    path = Path(shutil.copy(video, folder / video.name))
    if srt is not None:
        path.with_suffix(".srt").write_text(srt, encoding="utf-8")
    return path


def test_frames_are_sampled_at_the_asked_rate_with_their_pixels(video: Path) -> None:
    frames = list(read_video(video, fps=2.0))
    assert [f.frame_index for f, _ in frames] == list(range(0, 50, 5))
    for frame, pixels in frames:
        assert pixels.shape == (HEIGHT, WIDTH, 3) and pixels.dtype == np.uint8
        assert index_shown(pixels) == frame.frame_index  # that very frame, not a neighbour
    assert [f.name for f, _ in frames[:2]] == ["DJI_0001.MP4#0", "DJI_0001.MP4#5"]


def test_pose_and_time_are_interpolated_from_the_srt(video: Path) -> None:
    frames = {f.frame_index: f for f, _ in read_video(video, fps=2.0)}
    at_1_5s = frames[15]  # halfway between the cues at 1 s and 2 s
    pose = at_1_5s.pose
    assert (pose.lat, pose.lon, pose.altitude_rel_m, pose.altitude_abs_m) == pytest.approx((52.0015, 5.003, 53.0, 63.0))
    assert (pose.gimbal_yaw_deg, pose.gimbal_pitch_deg, pose.gimbal_roll_deg) == pytest.approx((-180.0, -81.0, 0.0))
    assert at_1_5s.time == datetime(2024, 5, 1, 12, 0, 1, 500000)
    assert frames[0].pose.lat == pytest.approx(52.0) and frames[0].time == datetime(2024, 5, 1, 12, 0, 0)
    assert not any("outside" in note for note in at_1_5s.notes)


def test_a_frame_past_the_last_cue_keeps_its_pose_and_says_so(video: Path) -> None:
    last = list(read_video(video, fps=2.0))[-1][0]
    assert last.frame_index == 45 and last.pose.lat == pytest.approx(52.003)
    assert "frame at 4.50 s is outside the SRT's 0.00-4.00 s: pose of the nearest cue" in last.notes


def test_focal_length_from_the_srt_35mm_equivalent(video: Path) -> None:
    frame, _ = next(read_video(video, fps=1.0))
    assert frame.camera == Camera(width=WIDTH, height=HEIGHT, focal_35mm=24.0,
                                  focal_px=24.0 * WIDTH / EQUIVALENT_WIDTH_MM, focal_source="srt-35mm-equivalent")
    assert frame.camera.focal_px == pytest.approx(221.9, abs=0.1)


def test_focal_length_from_a_field_of_view_when_the_srt_has_none(video: Path, tmp_path: Path) -> None:
    path = copy_video(video, tmp_path, srt_text(focal=""))
    assumed, _ = next(read_video(path))
    assert assumed.camera.focal_source == "hfov-assumed"
    assert assumed.camera.focal_px == pytest.approx(WIDTH / 2 / math.tan(math.radians(DEFAULT_HFOV_DEG / 2)))
    assert any(f"field of view of {DEFAULT_HFOV_DEG:g}° assumed" in note for note in assumed.notes)
    given, _ = next(read_video(path, hfov_deg=90.0))
    assert (given.camera.focal_source, given.camera.focal_px) == ("hfov-given", pytest.approx(160.0))


def test_frame_identity_is_the_video_hash_and_the_index(video: Path) -> None:
    first = [f.sha256 for f, _ in read_video(video, fps=2.0)]
    again = [f.sha256 for f, _ in read_video(video, fps=VIDEO_FPS)]
    assert first[0] == frame_sha256(file_sha256(video), 0) and len(set(first)) == len(first)
    assert first[1] == again[5]  # frame 5, whichever rate found it


def test_frames_are_read_lazily(video: Path) -> None:
    frames = read_video(video, fps=VIDEO_FPS)
    assert next(frames)[0].frame_index == 0 and next(frames)[0].frame_index == 1


def test_a_video_without_its_srt_is_refused_before_any_frame_is_read(video: Path, tmp_path: Path) -> None:
    path = copy_video(video, tmp_path, srt=None)
    with pytest.raises(BadInputError, match=r"no telemetry sidecar DJI_0001\.SRT beside the video") as error:
        read_video(path)
    assert error.value.path == path


def test_a_video_that_cannot_be_decoded_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "clip.mp4"
    path.write_bytes(b"not a video at all" * 100)
    path.with_suffix(".SRT").write_text(srt_text(), encoding="utf-8")
    with pytest.raises(BadInputError, match="cannot open the video"):
        read_video(path)


def test_bad_rates_and_fields_of_view_are_refused(video: Path) -> None:
    with pytest.raises(ValueError, match="fps must be positive"):
        read_video(video, fps=0)
    with pytest.raises(ValueError, match="hfov_deg must be between 0 and 180"):
        read_video(video, hfov_deg=180)


def test_discover_lists_videos_apart_and_does_not_call_their_srt_ignored(tmp_path: Path) -> None:
    for name in ("a.JPG", "DJI_0001.MP4", "sub/DJI_0002.mov", "DJI_0001.SRT", "DJI_0003.SRT", "notes.txt"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_bytes(b"x")
    found = discover(tmp_path)
    assert [p.name for p in found.photos] == ["a.JPG"]
    assert [p.relative_to(tmp_path).as_posix() for p in found.videos] == ["DJI_0001.MP4", "sub/DJI_0002.mov"]
    assert [p.name for p in found.ignored] == ["DJI_0003.SRT", "notes.txt"]  # an SRT without its video


def photo(name: str, time: datetime | None) -> Frame:
    return Frame(Path(name), name, Camera(10, 10), Pose(), time=time)


def test_sequence_order_sorts_photos_by_time_and_puts_untimed_ones_last() -> None:
    frames = [photo("c.jpg", datetime(2024, 5, 1, 12, 0, 5)), photo("x.jpg", None),
              photo("a.jpg", datetime(2024, 5, 1, 12, 0, 9, tzinfo=UTC)), photo("b.jpg", datetime(2024, 5, 1, 12)),
              photo("w.jpg", None)]
    assert [f.name for f in sequence_order(frames)] == ["b.jpg", "c.jpg", "a.jpg", "w.jpg", "x.jpg"]
