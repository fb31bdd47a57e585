"""Place detections on the ground: one `Finding` per detection box.

The camera ray through a pixel is turned by the gimbal angles and cut with a flat
plane at the take-off height (`Pose.altitude_rel_m` below the camera). What the
metadata lacks is never invented: the finding falls back to the camera position
("camera-position") or to no geometry at all ("none") and its note says why.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from dronecheck.geo.camera import Intrinsics, intrinsics
from dronecheck.geo.crs import DECIMALS, enu_to_lonlat
from dronecheck.geo.pose import camera_to_enu
from dronecheck.geo.project import pixels_to_ground
from dronecheck.types import Detections, Finding, Frame

# 1-sigma errors of the metadata, used for `Finding.uncertainty_m`. They are assumptions,
# not measurements of a particular drone:
# - GNSS: consumer drones without RTK are typically good to 1.5-3 m horizontally
#   (DJI specs quote +-1.5 m with GNSS positioning); 2 m is the middle of that range.
GNSS_SIGMA_M = 2.0
# - relative altitude is barometric, differenced against the take-off reading; drift over
#   one flight is around half a metre. (Ground that is not at take-off height is a
#   model error on top of this and is not counted.)
ALT_SIGMA_M = 0.5
# - camera attitude: the gimbal IMU reports tilt to a fraction of a degree, but yaw rests
#   on the compass, which is rarely better than a degree; 1 degree about each camera axis.
ANGLE_SIGMA_DEG = 1.0
# Within this many degrees of straight down the method is called "nadir".
NADIR_TOLERANCE_DEG = 2.0


@dataclass(frozen=True)
class FrameView:
    """Everything needed to cast a frame's pixels onto the ground plane.

    `notes` are the assumptions made to fill gaps (e.g. flight yaw used for gimbal yaw).
    """

    lon: float
    lat: float
    intr: Intrinsics
    height_m: float  # camera height above the ground plane
    yaw_deg: float
    pitch_deg: float
    roll_deg: float
    notes: tuple[str, ...] = ()

    @property
    def method(self) -> str:
        """The georeferencing method: nadir within NADIR_TOLERANCE_DEG of straight down."""
        return "nadir" if abs(self.pitch_deg + 90.0) <= NADIR_TOLERANCE_DEG else "oblique-flat-ground"

    def to_enu(self, pixels: np.ndarray) -> np.ndarray:
        """East/north metres (n, 2) from the point below the camera; NaN rows miss."""
        R = camera_to_enu(self.yaw_deg, self.pitch_deg, self.roll_deg)
        return pixels_to_ground(np.asarray(pixels, dtype=np.float64).reshape(-1, 2), self.intr, R, self.height_m)

    def to_lonlat(self, pixels: np.ndarray) -> np.ndarray:
        """WGS84 (lon, lat) rows (n, 2) of the ground seen at `pixels`; NaN rows miss."""
        enu = self.to_enu(pixels)
        lon, lat = enu_to_lonlat(self.lon, self.lat, enu[:, 0], enu[:, 1])
        return np.column_stack([lon, lat])


def frame_view(frame: Frame) -> tuple[FrameView | None, tuple[str, ...]]:
    """The projection of `frame`, or None and the reasons it cannot be projected.

    Gaps that are filled rather than refused (their notes come back with the view):
    gimbal yaw missing -> the flight yaw (gimbals on most drones follow the heading);
    gimbal roll missing -> 0, since the gimbal holds the image level and roll hardly
    matters near nadir (about the optical axis it never moves the image centre).

    >>> from pathlib import Path
    >>> from dronecheck.types import Camera, Pose
    >>> pose = Pose(lat=52.0, lon=5.0, altitude_rel_m=50.0, gimbal_pitch_deg=-90.0, flight_yaw_deg=0.0)
    >>> view, notes = frame_view(Frame(Path("a.jpg"), "0", Camera(1000, 800, focal_px=1000.0), pose))
    >>> view.method, notes
    ('nadir', ('no gimbal yaw; used the flight yaw', 'no gimbal roll; assumed 0'))
    >>> frame_view(Frame(Path("a.jpg"), "0", Camera(1000, 800), Pose(lat=52.0, lon=5.0)))[1]
    ('no focal length in pixels', 'no relative altitude', 'no gimbal pitch', 'no gimbal or flight yaw')
    """
    pose = frame.pose
    if not pose.has_position:
        return None, ("no GPS position in the metadata",)
    intr = intrinsics(frame.camera)
    missing = []
    if intr is None:
        missing.append("no focal length in pixels")
    if pose.altitude_rel_m is None:
        missing.append("no relative altitude")
    elif pose.altitude_rel_m <= 0:
        missing.append(f"relative altitude {pose.altitude_rel_m:g} m: camera not above the take-off height")
    if pose.gimbal_pitch_deg is None:
        missing.append("no gimbal pitch")
    if pose.gimbal_yaw_deg is None and pose.flight_yaw_deg is None:
        missing.append("no gimbal or flight yaw")
    if missing:
        return None, tuple(missing)
    assert intr is not None and pose.lat is not None and pose.lon is not None
    assert pose.altitude_rel_m is not None and pose.gimbal_pitch_deg is not None
    notes = []
    yaw = pose.gimbal_yaw_deg
    if yaw is None:
        yaw = pose.flight_yaw_deg
        notes.append("no gimbal yaw; used the flight yaw")
    roll = pose.gimbal_roll_deg
    if roll is None:
        roll = 0.0
        notes.append("no gimbal roll; assumed 0")
    assert yaw is not None
    view = FrameView(lon=pose.lon, lat=pose.lat, intr=intr, height_m=pose.altitude_rel_m, yaw_deg=yaw,
                     pitch_deg=pose.gimbal_pitch_deg, roll_deg=roll, notes=tuple(notes))
    return view, view.notes


def ground_point(frame: Frame, u: float, v: float) -> tuple[float, float] | None:
    """WGS84 (lon, lat) of the ground seen at pixel (u, v) of `frame`, or None.

    None when the frame cannot be projected (see `frame_view`) or the ray misses the
    ground. (u, v) are continuous image coordinates: (width/2, height/2) is the centre.

    >>> from pathlib import Path
    >>> from dronecheck.types import Camera, Pose
    >>> pose = Pose(lat=52.0, lon=5.0, altitude_rel_m=50.0, gimbal_pitch_deg=-90.0, gimbal_yaw_deg=0.0)
    >>> ground_point(Frame(Path("a.jpg"), "0", Camera(1000, 800, focal_px=1000.0), pose), 500, 400)
    (5.0, 52.0)
    """
    view, _ = frame_view(frame)
    if view is None:
        return None
    lon, lat = view.to_lonlat(np.array([[u, v]]))[0]
    if not (math.isfinite(lon) and math.isfinite(lat)):
        return None
    return _rounded(lon, lat)


def _rounded(lon: float, lat: float) -> tuple[float, float]:
    return round(float(lon), DECIMALS), round(float(lat), DECIMALS)


def _box_corners(box: np.ndarray) -> np.ndarray:
    x0, y0, x1, y1 = box
    # A straight image line stays straight on a plane (perspective maps lines to lines), so
    # the four corners describe the ground quadrilateral exactly; edge midpoints add nothing.
    return np.array([[x0, y0], [x1, y0], [x1, y1], [x0, y1]], dtype=np.float64)


def _signed_area(ring: np.ndarray) -> float:
    x, y = ring[:, 0], ring[:, 1]
    return 0.5 * float(np.sum(x * np.roll(y, -1) - np.roll(x, -1) * y))


def _gsd(view: FrameView, u: float, v: float) -> float | None:
    p = view.to_enu(np.array([[u, v], [u + 1.0, v], [u, v + 1.0]]))
    if not np.isfinite(p).all():
        return None
    dx, dy = np.hypot(*(p[1] - p[0])), np.hypot(*(p[2] - p[0]))
    return float(math.sqrt(dx * dy))


def _axis_rotation(axis: int, angle_deg: float) -> np.ndarray:
    c, s = math.cos(math.radians(angle_deg)), math.sin(math.radians(angle_deg))
    i, j = [(1, 2), (2, 0), (0, 1)][axis]
    m = np.eye(3)
    m[i, i], m[i, j], m[j, i], m[j, j] = c, -s, s, c
    return m


def centre_gsd(frame: Frame) -> float | None:
    """Ground metres per pixel at the centre of `frame`, or None when it cannot be projected.

    >>> from pathlib import Path
    >>> from dronecheck.types import Camera, Pose
    >>> pose = Pose(lat=52.0, lon=5.0, altitude_rel_m=50.0, gimbal_pitch_deg=-90.0, gimbal_yaw_deg=0.0)
    >>> round(centre_gsd(Frame(Path("a.jpg"), "0", Camera(1000, 800, focal_px=1000.0), pose)), 6)
    0.05
    """
    view, _ = frame_view(frame)
    return None if view is None else _gsd(view, frame.camera.width / 2, frame.camera.height / 2)


def _uncertainty(view: FrameView, u: float, v: float) -> float | None:
    """1-sigma horizontal error of the ground point at (u, v), in metres.

    Root-sum-square of GNSS_SIGMA_M, the shift from ALT_SIGMA_M, and the shift when the
    camera turns by ANGLE_SIGMA_DEG about each of its own axes (x: tilt up/down, y: pan,
    z: roll), by central differences through the same projection. The camera axes rather
    than the DJI yaw/pitch/roll are perturbed because at nadir yaw and roll are the same
    rotation (gimbal lock): perturbing them would miss any sideways tilt error. None when
    a turned ray misses the ground: the error is then unbounded.
    """
    pixel = np.array([[u, v]])
    R = camera_to_enu(view.yaw_deg, view.pitch_deg, view.roll_deg)
    base = pixels_to_ground(pixel, view.intr, R, view.height_m)[0]
    # The offset scales linearly with the height of the camera above the plane.
    terms = [GNSS_SIGMA_M, float(np.hypot(*base)) * ALT_SIGMA_M / view.height_m]
    for axis in range(3):
        plus, minus = (pixels_to_ground(pixel, view.intr, R @ _axis_rotation(axis, sign * ANGLE_SIGMA_DEG),
                                        view.height_m)[0] for sign in (1.0, -1.0))
        if not (np.isfinite(plus).all() and np.isfinite(minus).all()):
            return None
        terms.append(float(np.hypot(*(plus - minus))) / 2.0)
    return float(math.sqrt(sum(t * t for t in terms)))


@dataclass(frozen=True)
class _Placed:
    method: str
    point: tuple[float, float] | None = None
    footprint: tuple[tuple[float, float], ...] | None = None
    gsd_m: float | None = None
    width_m: float | None = None
    length_m: float | None = None
    uncertainty_m: float | None = None
    notes: tuple[str, ...] = ()


def _place(frame: Frame, view: FrameView | None, reasons: tuple[str, ...], box: np.ndarray) -> _Placed:
    pose = frame.pose
    if view is None:
        if pose.lat is None or pose.lon is None:
            return _Placed("none", notes=reasons)
        return _Placed("camera-position", point=_rounded(pose.lon, pose.lat),
                       notes=(*reasons, "point is the camera position"))
    camera_point = _rounded(view.lon, view.lat)
    u, v = (box[0] + box[2]) / 2.0, (box[1] + box[3]) / 2.0
    centre = view.to_lonlat(np.array([[u, v]]))[0]
    if not np.isfinite(centre).all():
        return _Placed("camera-position", point=camera_point,
                       notes=(*view.notes, "ray through the box centre is above the horizon; no ground point"))
    notes = list(view.notes)
    footprint = width = length = None
    corners = view.to_enu(_box_corners(box))
    if np.isfinite(corners).all():
        # Sides 0-1 and 3-2 run along the image rows, 1-2 and 0-3 along the columns.
        sides = np.hypot(*(corners[[0, 3, 1, 0]] - corners[[1, 2, 2, 3]]).T)
        across, down = float(sides[:2].mean()), float(sides[2:].mean())
        width, length = min(across, down), max(across, down)
        if _signed_area(corners) < 0:  # RFC 7946: exterior rings counter-clockwise
            corners = corners[::-1]
        lon, lat = enu_to_lonlat(view.lon, view.lat, corners[:, 0], corners[:, 1])
        ring = [_rounded(x, y) for x, y in zip(lon, lat, strict=True)]
        footprint = (*ring, ring[0])
    else:
        notes.append("part of the box is above the horizon; no footprint")
    uncertainty = _uncertainty(view, u, v)
    if uncertainty is None:
        notes.append(f"ray within {ANGLE_SIGMA_DEG:g} degree of the horizon; uncertainty unbounded")
    return _Placed(view.method, point=_rounded(*centre), footprint=footprint, gsd_m=_gsd(view, u, v),
                   width_m=width, length_m=length, uncertainty_m=uncertainty, notes=tuple(notes))


def georeference(frame: Frame, detections: Detections, class_names: Sequence[str],
                 finding_ids: Sequence[str]) -> list[Finding]:
    """One `Finding` per detection of `frame`, placed on the ground.

    The point is the ground point of the box *centre*. The objects looked for here
    (cracks, road damage, vessels seen from above) lie flat on the ground or water
    plane, so the middle of their box is the middle of the object. (For upright objects
    seen obliquely, people or poles, the bottom centre would be the foot point instead.)

    Method: "nadir" within 2 degrees of straight down, "oblique-flat-ground" otherwise,
    both on a flat plane at the take-off height. "camera-position" when the frame has a
    position but cannot be projected (no focal length in pixels, relative altitude,
    gimbal pitch, or any yaw) or the centre ray is above the horizon: the point is then
    the camera's and `uncertainty_m` is None (unknown). "none" without a position.
    Gaps that are filled: see `frame_view` (flight yaw for gimbal yaw, roll 0).

    `footprint` is the box's four corners on the ground (closed, counter-clockwise), or
    None when any corner misses the ground. `gsd_m` is the geometric mean of the ground
    steps of one pixel right and one pixel down at the centre; `width_m`/`length_m` are
    the mean ground lengths of the box's opposite sides, shorter and longer.
    `uncertainty_m` adds GNSS_SIGMA_M and the effects of ALT_SIGMA_M and of turning the
    camera ANGLE_SIGMA_DEG about each of its axes in quadrature; terrain that is not at
    take-off height is not counted.

    >>> from pathlib import Path
    >>> from dronecheck.types import Camera, Pose
    >>> pose = Pose(lat=52.0, lon=5.0, altitude_rel_m=50.0, gimbal_pitch_deg=-90.0, gimbal_yaw_deg=0.0,
    ...             gimbal_roll_deg=0.0)
    >>> frame = Frame(Path("a.jpg"), "0", Camera(1000, 800, focal_px=1000.0), pose)
    >>> [f] = georeference(frame, Detections([[450, 380, 550, 420]], [0.9], [0]), ["crack"], ["f1"])
    >>> f.method, f.point, round(f.gsd_m, 6), round(f.width_m, 6), round(f.length_m, 6)
    ('nadir', (5.0, 52.0), 0.05, 2.0, 5.0)
    """
    if len(finding_ids) != len(detections):
        raise ValueError(f"{len(finding_ids)} finding ids for {len(detections)} detections")
    view, reasons = frame_view(frame)
    findings = []
    for fid, box, score, cid in zip(finding_ids, detections.xyxy, detections.confidence, detections.class_id,
                                    strict=True):
        cid = int(cid)
        if not 0 <= cid < len(class_names):
            raise ValueError(f"class id {cid} outside the {len(class_names)} class names")
        placed = _place(frame, view, reasons, box)
        findings.append(Finding(
            id=fid, frame=frame, class_id=cid, class_name=class_names[cid], score=float(score),
            box_px=(float(box[0]), float(box[1]), float(box[2]), float(box[3])), method=placed.method,
            point=placed.point, footprint=placed.footprint, gsd_m=placed.gsd_m, width_m=placed.width_m,
            length_m=placed.length_m, uncertainty_m=placed.uncertainty_m,
            note="; ".join(placed.notes) or None))
    return findings
