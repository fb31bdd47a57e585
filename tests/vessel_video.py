"""A synthetic DJI-style drone video of a vessel under way, with its SRT telemetry and the truth.

A vessel sails a straight line at a constant speed and course on a Dutch water (the
Westerschelde off Vlissingen by default); a drone flies its own straight line at its own
speed and course at a constant height above the water (= the take-off height), camera
straight down (gimbal pitch -90), gimbal yaw turning slowly. So the vessel's motion in the
picture is neither its motion on the ground nor fixed in direction: only georeferencing
every frame from the telemetry gives back the vessel's speed and course.

Geometry follows dronecheck's own conventions (`dronecheck.ingest.video`, `dronecheck.geo`):
the focal length in pixels is `focal_len * width / EQUIVALENT_WIDTH_MM`; at nadir with gimbal
yaw psi the image's up direction points to azimuth psi (clockwise from true north) and its
right to psi + 90; a pixel (u, v) in continuous coordinates (the image centre is
(width / 2, height / 2)) sees the ground `height / focal_px` metres per pixel from the point
below the camera. Ground coordinates are local east/north metres around the vessel's start
(`dronecheck.geo.crs`); the vessel's and the drone's paths are geodesics (pyproj).

Rendering: a ground canvas of water (mirror-tiled, so seamless) in east/north metres; each
frame is the camera's nadir view of it, cut with `cv2.warpAffine` (scale: ground sampling
distance, rotation: yaw). The vessel sprite is placed on the ground at its true position,
bow along its course, and drawn into the frame with the composed sprite -> ground -> frame
affine: the same as pasting it onto the canvas first, without copying the canvas per frame.
Its alpha gives the true pixel box and centre of the vessel in every frame.

Imagery: one aerial image of `datasets/ships` (from `../shared/data/ships-aerial`; see
datasets/ships/SOURCE.md): `images/val/boat50_png.rf.7e52d7cc23ec07ccca63ff61cd408f2d.jpg`
of the Roboflow project "ships-dataset-labeling-jkbpj" (creator2004, version 1), via the
GitHub repository AUMANSH/ships-dataset-yoloversion8, CC BY 4.0 as its export states
(imagery provenance unstated, likely Google Earth). The vessel (a white motor yacht, bow to
the left) is cut out of its label box, its alpha from its colour distance to the water;
the water is the clean region above it (rows 0-249). The image is in the *validation*
split of the ships model: not trained on, though seen in validation during training (its
val mAP50 of 0.76 against 0.43 on test shows that split is not truly unseen), and it finds
this vessel reliably at the apparent size used here (14 m from 80 m: about 78 px of a 640
px wide frame). With the defaults, every video frame of the 300 has exactly one box, on
the vessel (confidence 0.65-0.8), and none elsewhere. The video tests tracking
and georeferencing, not the model's generalisation.

    python tests/vessel_video.py OUTDIR [--speed-kn 8 --course 65 --seconds 30 ...]
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from functools import cache
from pathlib import Path

import cv2
import numpy as np
import pyproj

from dronecheck.geo.crs import lonlat_to_enu
from dronecheck.ingest.video import EQUIVALENT_WIDTH_MM

ROOT = Path(__file__).resolve().parents[1]
SOURCE = ROOT / "datasets" / "ships" / "images" / "val" / "boat50_png.rf.7e52d7cc23ec07ccca63ff61cd408f2d.jpg"
WATER_ROWS = slice(0, 250)  # rows of SOURCE with nothing but water
BOW_DEG = 270.0  # where the bow of SOURCE's vessel points, clockwise from image up: to the left
CUT_MARGIN_PX = 12  # water kept around the label box when cutting the vessel out
ALPHA_RAMP = (18.0, 40.0)  # colour distance to the water (0-255 RGB) from fully water to fully vessel
FRAME_MARGIN_PX = 4  # the vessel's box must stay this far inside every frame
KNOT_M_S = 1852.0 / 3600.0
GEOD = pyproj.Geod(ellps="WGS84")
HALF = np.array([[1.0, 0.0, 0.5], [0.0, 1.0, 0.5], [0.0, 0.0, 1.0]])  # pixel index -> continuous (its centre)
WESTERSCHELDE = (3.6050, 51.4200)  # lon, lat: open water between Vlissingen and Breskens


@dataclass(frozen=True)
class Drone:
    """How the drone flies: a straight line at constant speed and height, camera straight down.

    Directions are relative to the vessel's course, so that any course gives the same picture:
    the drone flies `course_offset_deg` to starboard of the vessel's course, and its gimbal yaw
    starts at the vessel's course plus `yaw_offset_deg` and turns by `yaw_rate_deg_s` (clockwise
    positive). Its line is placed so that it is right above the vessel halfway through the video.
    The defaults keep an 8 kn vessel in the frame for 30 s, drifting across it sideways while
    the picture turns, at an angle at which the ships model finds it reliably.
    """

    height_m: float = 80.0  # above take-off = the water
    speed_ms: float = 3.2
    course_offset_deg: float = 20.0
    yaw_offset_deg: float = 220.0  # the vessel points 140 degrees clockwise from image up at the start
    yaw_rate_deg_s: float = 0.5
    focal_35mm: float = 24.0  # the SRT's focal_len (Mavic 3: 24 mm equivalent)
    takeoff_abs_alt_m: float = 2.1  # the SRT's abs_alt is rel_alt plus this


@dataclass(frozen=True)
class DroneSample:
    """The drone's state at one video frame, as written to the SRT (before rounding)."""

    offset_s: float
    lon: float
    lat: float
    height_m: float
    yaw_deg: float  # gimbal yaw, clockwise from true north, in [-180, 180)


@dataclass(frozen=True)
class VesselVideo:
    """What was written and the truth behind it. Pixel boxes are (x0, y0, x1, y1), continuous coordinates."""

    video: Path
    srt: Path
    speed_kn: float
    course_deg: float  # true, clockwise from north
    start_lon: float  # the vessel's centre at offset 0
    start_lat: float
    start_time: datetime  # the SRT's date stamp of the first frame: naive local time
    seconds: float
    video_fps: int
    vessel_length_m: float
    drone: tuple[DroneSample, ...] = field(repr=False)  # one per video frame
    boxes_px: tuple[tuple[float, float, float, float], ...] = field(repr=False)  # the vessel's true box per frame
    centres_px: tuple[tuple[float, float], ...] = field(repr=False)  # the vessel's centre (alpha centroid) per frame

    @property
    def n_frames(self) -> int:
        return len(self.drone)

    def vessel_at(self, offset_s: float) -> tuple[float, float]:
        """(lon, lat) of the vessel's centre `offset_s` seconds into the video."""
        return _walk(self.start_lon, self.start_lat, self.course_deg, self.speed_kn * KNOT_M_S * offset_s)

    def time_at(self, offset_s: float) -> datetime:
        return self.start_time + timedelta(seconds=offset_s)


@dataclass(frozen=True)
class _Sprite:
    """The vessel cut out: RGBA pixels, its centre (alpha centroid, continuous pixels) and length in pixels."""

    rgba: np.ndarray  # float32 (h, w, 4), colours premultiplied by the alpha (0-1), so they warp right
    centre: tuple[float, float]
    length_px: float


def _walk(lon: float, lat: float, azimuth_deg: float, distance_m: float) -> tuple[float, float]:
    lon2, lat2, _ = GEOD.fwd(lon, lat, azimuth_deg, distance_m)
    return float(lon2), float(lat2)


def _label_box(image: np.ndarray) -> tuple[int, int, int, int]:
    """SOURCE's one label box (x0, y0, x1, y1) in pixels, widened by CUT_MARGIN_PX."""
    label = SOURCE.parents[2] / "labels" / SOURCE.parent.name / f"{SOURCE.stem}.txt"
    _, x, y, w, h = np.loadtxt(label)
    H, W = image.shape[:2]
    return (max(0, int((x - w / 2) * W) - CUT_MARGIN_PX), max(0, int((y - h / 2) * H) - CUT_MARGIN_PX),
            min(W, int((x + w / 2) * W) + CUT_MARGIN_PX), min(H, int((y + h / 2) * H) + CUT_MARGIN_PX))


def _alpha(cut: np.ndarray, water: np.ndarray) -> np.ndarray:
    """0-1 alpha of the vessel in `cut`: colour distance to the water's median, ramped, largest blob only."""
    distance = np.linalg.norm(cut - np.median(water.reshape(-1, 3), axis=0), axis=2)
    alpha = np.clip((distance - ALPHA_RAMP[0]) / (ALPHA_RAMP[1] - ALPHA_RAMP[0]), 0.0, 1.0)
    solid = cv2.morphologyEx((alpha > 0.5).astype(np.uint8), cv2.MORPH_CLOSE, np.ones((5, 5), np.uint8))
    n, labels, stats, _ = cv2.connectedComponentsWithStats(solid)
    largest = 1 + int(np.argmax(stats[1:n, cv2.CC_STAT_AREA]))
    keep = cv2.dilate((labels == largest).astype(np.uint8), np.ones((7, 7), np.uint8))
    return (alpha * keep).astype(np.float32)


@cache
def _source() -> tuple[_Sprite, np.ndarray]:
    """The vessel sprite and the water texture (uint8 RGB) of SOURCE."""
    image = cv2.cvtColor(cv2.imread(str(SOURCE)), cv2.COLOR_BGR2RGB).astype(np.float32)
    water = image[WATER_ROWS].astype(np.uint8)
    x0, y0, x1, y1 = _label_box(image)
    cut = image[y0:y1, x0:x1]
    alpha = _alpha(cut, water)
    ys, xs = np.indices(alpha.shape)
    total = float(alpha.sum())
    centre = (float((alpha * (xs + 0.5)).sum()) / total, float((alpha * (ys + 0.5)).sum()) / total)
    along = np.sin(math.radians(BOW_DEG)) * xs - np.cos(math.radians(BOW_DEG)) * ys  # pixels along the bow axis
    hull = along[alpha > 0.5]
    sprite = _Sprite(np.dstack([cut * alpha[..., None], alpha]), centre, float(hull.max() - hull.min() + 1))
    return sprite, water


def _to_ground(east: float, north: float, gsd: float, yaw_deg: float, cx: float, cy: float) -> np.ndarray:
    """3x3 affine from continuous pixels of a north-up-at-yaw-0 image to east/north metres.

    The image's centre (cx, cy) lies at (east, north); its up direction points to azimuth `yaw_deg`
    and each pixel is `gsd` metres: the nadir view of dronecheck's camera model.
    """
    c, s = math.cos(math.radians(yaw_deg)), math.sin(math.radians(yaw_deg))
    linear = gsd * np.array([[c, -s], [-s, -c]])
    return np.array([[*linear[0], east - linear[0] @ (cx, cy)],
                     [*linear[1], north - linear[1] @ (cx, cy)],
                     [0.0, 0.0, 1.0]])


def _index_map(dst_to_ground: np.ndarray, src_to_ground: np.ndarray) -> np.ndarray:
    """The 3x3 affine taking destination pixel indices to source pixel indices (for WARP_INVERSE_MAP: its top rows)."""
    return np.linalg.inv(HALF) @ np.linalg.inv(src_to_ground) @ dst_to_ground @ HALF


@dataclass(frozen=True)
class _Scene:
    """Everything in local east/north metres around the vessel's start."""

    size: tuple[int, int]  # frame width, height
    focal_px: float
    vessel: np.ndarray  # (n, 2) east/north of the vessel's centre per frame
    drone: np.ndarray  # (n, 2) of the camera
    yaw: np.ndarray  # (n,) gimbal yaw
    height_m: float

    def frame_to_ground(self, i: int) -> np.ndarray:
        w, h = self.size
        return _to_ground(*self.drone[i], self.height_m / self.focal_px, float(self.yaw[i]), w / 2, h / 2)

    def footprints(self) -> np.ndarray:
        """East/north of the four corners of every frame, (4n, 2)."""
        w, h = self.size
        corners = np.array([[0, 0, 1], [w, 0, 1], [w, h, 1], [0, h, 1]], dtype=np.float64).T
        return np.vstack([(self.frame_to_ground(i) @ corners)[:2].T for i in range(len(self.yaw))])


def _canvas(scene: _Scene, water: np.ndarray, resolution_m: float) -> tuple[np.ndarray, np.ndarray]:
    """Water (uint8 RGB) covering every frame's footprint, mirror-tiled, and its pixel -> ground affine."""
    corners = scene.footprints()
    (e0, n0), (e1, n1) = corners.min(axis=0) - 10.0, corners.max(axis=0) + 10.0
    cols, rows = math.ceil((e1 - e0) / resolution_m), math.ceil((n1 - n0) / resolution_m)
    row = np.hstack([water, water[:, ::-1]])
    tile = np.vstack([row, row[::-1]])
    reps = (math.ceil(rows / tile.shape[0]), math.ceil(cols / tile.shape[1]), 1)
    return np.tile(tile, reps)[:rows, :cols], _to_ground(e0, n1, resolution_m, 0.0, 0.0, 0.0)


@dataclass(frozen=True)
class _Shot:
    """One rendered frame: RGB pixels, and the vessel's true box and alpha centroid in continuous pixels."""

    rgb: np.ndarray
    box: tuple[float, float, float, float]
    centre: tuple[float, float]


def _window(points: np.ndarray, size: tuple[int, int]) -> tuple[int, int, int, int]:
    """The pixel index window (x0, y0, x1, y1) of the frame holding `points` (3, n) in continuous pixels."""
    (x0, y0), (x1, y1) = np.floor(points[:2].min(axis=1)) - 1, np.ceil(points[:2].max(axis=1)) + 1
    return max(0, int(x0)), max(0, int(y0)), min(size[0], int(x1)), min(size[1], int(y1))


def _box_and_centre(alpha: np.ndarray, x0: int, y0: int) -> tuple[tuple[float, float, float, float],
                                                                   tuple[float, float]]:
    """The true box (pixels where the vessel is at least half opaque) and alpha centroid of a window at (x0, y0)."""
    ys, xs = np.nonzero(alpha > 0.5)
    if not len(xs):
        return (math.nan,) * 4, (math.nan, math.nan)
    gy, gx = np.indices(alpha.shape)
    total = float(alpha.sum())
    centre = (x0 + float((alpha * (gx + 0.5)).sum()) / total, y0 + float((alpha * (gy + 0.5)).sum()) / total)
    return (x0 + float(xs.min()), y0 + float(ys.min()), x0 + float(xs.max() + 1), y0 + float(ys.max() + 1)), centre


def _render(scene: _Scene, sprite: _Sprite, sprite_gsd: float, course_deg: float,
            canvas: np.ndarray, canvas_to_ground: np.ndarray) -> Iterator[_Shot]:
    """Each frame: the water cut from the canvas, the vessel drawn over it (in the window it covers only)."""
    flags = cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP
    h, w = sprite.rgba.shape[:2]
    corners = np.array([[0, w, w, 0], [0, 0, h, h], [1, 1, 1, 1]], dtype=np.float64)
    for i in range(len(scene.yaw)):
        to_ground = scene.frame_to_ground(i)
        frame = cv2.warpAffine(canvas, _index_map(to_ground, canvas_to_ground)[:2], scene.size, flags=flags,
                               borderMode=cv2.BORDER_REFLECT)
        sprite_to_ground = _to_ground(*scene.vessel[i], sprite_gsd, course_deg - BOW_DEG, *sprite.centre)
        x0, y0, x1, y1 = _window(np.linalg.inv(to_ground) @ sprite_to_ground @ corners, scene.size)
        if x1 <= x0 or y1 <= y0:
            yield _Shot(frame, (math.nan,) * 4, (math.nan, math.nan))
            continue
        shift = np.array([[1.0, 0.0, x0], [0.0, 1.0, y0], [0.0, 0.0, 1.0]])
        vessel = cv2.warpAffine(sprite.rgba, (_index_map(to_ground, sprite_to_ground) @ shift)[:2], (x1 - x0, y1 - y0),
                                flags=flags, borderMode=cv2.BORDER_CONSTANT, borderValue=(0, 0, 0, 0))
        alpha = vessel[..., 3]
        under = frame[y0:y1, x0:x1].astype(np.float32)
        over = under * (1.0 - alpha[..., None]) + vessel[..., :3]  # "over", with premultiplied colours
        frame[y0:y1, x0:x1] = np.clip(over + 0.5, 0, 255).astype(np.uint8)
        yield _Shot(frame, *_box_and_centre(alpha, x0, y0))


def _record(writer: cv2.VideoWriter, shots: Iterator[_Shot], size: tuple[int, int],
            fps: int) -> tuple[list[tuple[float, float, float, float]], list[tuple[float, float]]]:
    """Write the frames; their true boxes and centres. ValueError as soon as the vessel is not wholly in a frame."""
    w, h = size
    boxes, centres = [], []
    for i, shot in enumerate(shots):
        x0, y0, x1, y1 = shot.box
        if not (x0 >= FRAME_MARGIN_PX and y0 >= FRAME_MARGIN_PX and x1 <= w - FRAME_MARGIN_PX
                and y1 <= h - FRAME_MARGIN_PX):  # also when NaN: not in the frame at all
            raise ValueError(f"the vessel leaves the frame at {i / fps:.1f} s (box {x0:.0f},{y0:.0f},{x1:.0f},"
                             f"{y1:.0f} in {w}x{h}): fly higher, slower or closer to the vessel's course")
        writer.write(cv2.cvtColor(shot.rgb, cv2.COLOR_RGB2BGR))
        boxes.append(shot.box)
        centres.append(shot.centre)
    return boxes, centres


def _cue(n: int, fps: int, sample: DroneSample, start_time: datetime, drone: Drone) -> str:
    """One Mavic 3-style SRT cue (as `dronecheck.ingest.srt` reads it) for video frame n (from 0)."""
    def stamp(ms: int) -> str:
        return f"{ms // 3_600_000:02d}:{ms // 60_000 % 60:02d}:{ms // 1000 % 60:02d},{ms % 1000:03d}"

    begin, end = round(n * 1000 / fps), round((n + 1) * 1000 / fps)
    date = (start_time + timedelta(seconds=sample.offset_s)).isoformat(sep=" ", timespec="milliseconds")
    return (f"{n + 1}\n{stamp(begin)} --> {stamp(end)}\n"
            f"<font size=\"28\">FrameCnt: {n + 1}, DiffTime: {end - begin}ms\n{date}\n"
            f"[iso: 100] [shutter: 1/1000.0] [fnum: 2.8] [ev: 0] [color_md: default] "
            f"[focal_len: {drone.focal_35mm:.2f}] [dzoom_ratio: 1.00] "
            f"[latitude: {sample.lat:.6f}] [longitude: {sample.lon:.6f}] "
            f"[rel_alt: {sample.height_m:.3f} abs_alt: {sample.height_m + drone.takeoff_abs_alt_m:.3f}] "
            f"[gb_yaw: {sample.yaw_deg:.1f} gb_pitch: -90.0 gb_roll: 0.0] </font>\n")


def _drone_path(start: tuple[float, float], speed_ms: float, course_deg: float, seconds: float,
                fps: int, drone: Drone) -> list[DroneSample]:
    """The drone at every frame: right above the vessel halfway through, flying its own straight line."""
    middle = _walk(*start, course_deg, speed_ms * seconds / 2)
    drone_course = course_deg + drone.course_offset_deg
    lon0, lat0 = _walk(*middle, drone_course + 180.0, drone.speed_ms * seconds / 2)
    samples = []
    for n in range(round(seconds * fps)):
        t = n / fps
        lon, lat = _walk(lon0, lat0, drone_course, drone.speed_ms * t)
        yaw = (course_deg + drone.yaw_offset_deg + drone.yaw_rate_deg_s * t + 180.0) % 360.0 - 180.0
        samples.append(DroneSample(t, lon, lat, drone.height_m, yaw))
    return samples


def _scene(start: tuple[float, float], course_deg: float, speed_ms: float, path: list[DroneSample],
           size: tuple[int, int], drone: Drone) -> _Scene:
    """The vessel (starting at `start`) and the drone at every frame in east/north metres around `start`."""
    vessel = [_walk(*start, course_deg, speed_ms * s.offset_s) for s in path]
    east_v, north_v = lonlat_to_enu(*start, [v[0] for v in vessel], [v[1] for v in vessel])
    east_d, north_d = lonlat_to_enu(*start, [s.lon for s in path], [s.lat for s in path])
    return _Scene(size=size, focal_px=drone.focal_35mm * size[0] / EQUIVALENT_WIDTH_MM,
                  vessel=np.column_stack([east_v, north_v]), drone=np.column_stack([east_d, north_d]),
                  yaw=np.array([s.yaw_deg for s in path]), height_m=drone.height_m)


def make_vessel_video(folder: Path, *, speed_kn: float = 8.0, course_deg: float = 65.0, seconds: float = 30.0,
                      video_fps: int = 10, vessel_length_m: float = 14.0, drone: Drone = Drone(),
                      size: tuple[int, int] = (640, 360), start: tuple[float, float] = WESTERSCHELDE,
                      start_time: datetime = datetime(2025, 6, 12, 10, 0, 0), name: str = "DJI_0001") -> VesselVideo:
    """Write `folder/<name>.MP4` (mp4v) and `folder/<name>.SRT` (one cue per frame) and return the truth.

    The vessel's centre starts at `start` (lon, lat) and sails `course_deg` (true) at `speed_kn`
    for `seconds`; `size` is the frame (width, height). Raises ValueError, and writes nothing,
    when the vessel would leave the frame (the drone's line strays too far from the vessel's).
    """
    speed_ms = speed_kn * KNOT_M_S
    path = _drone_path(start, speed_ms, course_deg, seconds, video_fps, drone)
    scene = _scene(start, course_deg, speed_ms, path, size, drone)
    sprite, water = _source()
    sprite_gsd = vessel_length_m / sprite.length_px
    canvas, canvas_to_ground = _canvas(scene, water, sprite_gsd)
    folder.mkdir(parents=True, exist_ok=True)
    video, srt = folder / f"{name}.MP4", folder / f"{name}.SRT"
    writer = cv2.VideoWriter(str(video), cv2.VideoWriter_fourcc(*"mp4v"), video_fps, size)
    if not writer.isOpened():
        raise RuntimeError(f"OpenCV cannot write an mp4v video to {video}")
    try:
        boxes, centres = _record(writer, _render(scene, sprite, sprite_gsd, course_deg, canvas, canvas_to_ground),
                                 size, video_fps)
    except BaseException:
        writer.release()
        video.unlink(missing_ok=True)
        raise
    writer.release()
    srt.write_text("\n".join(_cue(n, video_fps, s, start_time, drone) for n, s in enumerate(path)), encoding="utf-8")
    return VesselVideo(video=video, srt=srt, speed_kn=speed_kn, course_deg=course_deg, start_lon=start[0],
                       start_lat=start[1], start_time=start_time, seconds=seconds, video_fps=video_fps,
                       vessel_length_m=vessel_length_m, drone=tuple(path), boxes_px=tuple(boxes),
                       centres_px=tuple(centres))


def main(argv: list[str] | None = None) -> None:
    """Make a flight from the command line and print its truth as JSON."""
    d = Drone()
    parser = argparse.ArgumentParser(description="Write a synthetic DJI video (MP4 + SRT) of a vessel under way.")
    parser.add_argument("outdir", type=Path)
    parser.add_argument("--speed-kn", type=float, default=8.0)
    parser.add_argument("--course", type=float, default=65.0, help="vessel course, degrees true")
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--fps", type=int, default=10, help="video frames per second")
    parser.add_argument("--length-m", type=float, default=14.0, help="vessel length")
    parser.add_argument("--height-m", type=float, default=d.height_m, help="drone height above the water")
    parser.add_argument("--drone-speed", type=float, default=d.speed_ms, help="m/s")
    parser.add_argument("--drone-course-offset", type=float, default=d.course_offset_deg,
                        help="drone course minus vessel course, degrees")
    parser.add_argument("--yaw-offset", type=float, default=d.yaw_offset_deg,
                        help="gimbal yaw at the start minus vessel course, degrees")
    parser.add_argument("--yaw-rate", type=float, default=d.yaw_rate_deg_s, help="degrees per second, clockwise")
    parser.add_argument("--size", type=int, nargs=2, default=(640, 360), metavar=("WIDTH", "HEIGHT"))
    args = parser.parse_args(argv)
    drone = Drone(height_m=args.height_m, speed_ms=args.drone_speed, course_offset_deg=args.drone_course_offset,
                  yaw_offset_deg=args.yaw_offset, yaw_rate_deg_s=args.yaw_rate)
    try:
        truth = make_vessel_video(args.outdir, speed_kn=args.speed_kn, course_deg=args.course, seconds=args.seconds,
                                  video_fps=args.fps, vessel_length_m=args.length_m, drone=drone, size=tuple(args.size))
    except ValueError as exc:
        parser.error(str(exc))
    summary = {k: v for k, v in asdict(truth).items() if k not in ("drone", "boxes_px", "centres_px")}
    summary["drone_start"] = asdict(truth.drone[0])
    summary["drone_end"] = asdict(truth.drone[-1])
    json.dump(summary, sys.stdout, indent=2, default=str)
    print()


if __name__ == "__main__":
    main()
