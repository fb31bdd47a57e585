"""Place detections on the ground: one `Finding` per detection box.

The camera ray through a pixel is turned by the gimbal angles and cut with a flat
plane at the take-off height (`Pose.altitude_rel_m` below the camera), with a plane
through the target of the camera's laser range finder when the photo has a valid one,
or with a terrain model (`Terrain`, from a DEM) when one is given. What the
metadata lacks is never invented: the finding falls back to the camera position
("camera-position") or to no geometry at all ("none") and its note says why.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np

from dronecheck.geo.camera import Intrinsics, intrinsics
from dronecheck.geo.crs import enu_to_lonlat, ground_distance, rounded
from dronecheck.geo.grid import grid_gsd, place_on_grid
from dronecheck.geo.pose import camera_to_enu
from dronecheck.geo.project import box_corners, pixel_rays, pixels_to_ground, rays_to_ground, signed_area
from dronecheck.geo.terrain import HIT, MISSES, march
from dronecheck.types import Detections, Finding, Frame, Pose, Terrain

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
# - laser range finder: DJI gives +-(0.2 m + 0.15 % of the range) for the H20/H30 series.
LRF_SIGMA_M, LRF_SIGMA_FRACTION = 0.2, 0.0015
# Within this many degrees of straight down the method is called "nadir".
NADIR_TOLERANCE_DEG = 2.0
# The DEM window read around a camera reaches as far as the image corners do down to a plane this much
# below the take-off height (ground lower than take-off), and never further than MAX_WINDOW_M.
LOW_GROUND_M = 20.0
MAX_WINDOW_M = 500.0


@dataclass(frozen=True)
class FrameView:
    """Everything needed to cast a frame's pixels onto the ground: a plane, or a terrain and a plane.

    `notes` are the assumptions made to fill gaps (e.g. flight yaw used for gimbal yaw).
    The plane is at the take-off height, or through the laser range finder's target
    (`plane` "lrf"); with a `terrain` rays are cast on it, and the plane takes those that miss it.
    """

    lon: float
    lat: float
    intr: Intrinsics
    height_m: float  # camera height above the ground plane
    yaw_deg: float
    pitch_deg: float
    roll_deg: float
    notes: tuple[str, ...] = ()
    plane: str = "take-off"  # what the plane is at: "take-off" or "lrf" (through the laser-measured target)
    height_sigma_m: float = ALT_SIGMA_M  # 1-sigma error of height_m
    terrain: Terrain | None = None
    camera_z_m: float | None = None  # the camera's height in the terrain's datum
    terrain_sigma_m: float = 0.0  # 1-sigma error of camera_z_m above the terrain

    @property
    def method(self) -> str:
        """The method on the plane: "lrf-plane", or nadir within NADIR_TOLERANCE_DEG of straight down."""
        if self.plane == "lrf":
            return "lrf-plane"
        return "nadir" if abs(self.pitch_deg + 90.0) <= NADIR_TOLERANCE_DEG else "oblique-flat-ground"

    @property
    def plane_name(self) -> str:
        return "the plane through the LRF target" if self.plane == "lrf" else "flat ground at take-off height"

    @property
    def rotation(self) -> np.ndarray:
        return camera_to_enu(self.yaw_deg, self.pitch_deg, self.roll_deg)

    def cast(self, pixels: np.ndarray, R: np.ndarray | None = None, rise_m: float = 0.0
             ) -> tuple[np.ndarray, np.ndarray]:
        """East/north metres (n, 2) from the point below the camera, and per row HIT or why the terrain
        was missed (see geo.terrain.MISSES; always HIT without a terrain). Rows that miss the terrain
        are on the plane; NaN rows miss that too. `R` and `rise_m` (the camera raised) perturb the view."""
        R = self.rotation if R is None else R
        return self.cast_rays(pixel_rays(np.asarray(pixels, dtype=np.float64), self.intr) @ R.T, rise_m)

    def cast_rays(self, rays: np.ndarray, rise_m: float = 0.0) -> tuple[np.ndarray, np.ndarray]:
        """`cast` for ENU rays (n, 3) from the camera."""
        flat = rays_to_ground(rays, self.height_m + rise_m)
        if self.terrain is None or self.camera_z_m is None:
            return flat, np.full(len(rays), HIT)
        enu, why = march(self.terrain, self.camera_z_m + rise_m, rays)
        missed = why != HIT
        enu[missed] = flat[missed]
        return enu, why

    def to_enu(self, pixels: np.ndarray) -> np.ndarray:
        """East/north metres (n, 2) from the point below the camera; NaN rows miss."""
        return self.cast(pixels)[0]

    def to_lonlat(self, pixels: np.ndarray) -> np.ndarray:
        """WGS84 (lon, lat) rows (n, 2) of the ground seen at `pixels`; NaN rows miss."""
        enu = self.to_enu(pixels)
        lon, lat = enu_to_lonlat(self.lon, self.lat, enu[:, 0], enu[:, 1])
        return np.column_stack([lon, lat])


def frame_view(frame: Frame, terrain: Terrain | None = None) -> tuple[FrameView | None, tuple[str, ...]]:
    """The projection of `frame`, or None and the reasons it cannot be projected.

    Gaps that are filled rather than refused (their notes come back with the view):
    gimbal yaw missing -> the flight yaw (gimbals on most drones follow the heading);
    gimbal roll missing -> 0, since the gimbal holds the image level and roll hardly
    matters near nadir (about the optical axis it never moves the image centre).

    A valid laser range finder (`Pose.lrf_*`) puts the plane through its target (see
    `_lrf_plane`); a `terrain` around the camera, with its take-off height, is cast on
    first. With a range finder target, a note gives the gap between it and the ground
    seen at the image centre: a check of the pose, the plane or the terrain.

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
                     pitch_deg=pose.gimbal_pitch_deg, roll_deg=roll)
    plane, note = _lrf_plane(pose)
    if plane is not None:
        view = replace(view, plane="lrf", height_m=plane[0], height_sigma_m=plane[1])
    if terrain is not None:
        view, terrain_note = _on_terrain(view, pose, terrain)
        notes.extend([terrain_note] if terrain_note else [])
    notes.extend([note] if note else [])
    if pose.lrf_lat is not None and pose.lrf_lon is not None:
        notes.append(_lrf_gap(view, pose.lrf_lon, pose.lrf_lat))
    view = replace(view, notes=tuple(notes))
    return view, view.notes


def _lrf_plane(pose: Pose) -> tuple[tuple[float, float] | None, str | None]:
    """(height of the camera above the LRF target, its 1-sigma error), or None and why not.

    The range finder measures along the optical axis to whatever is at the image centre; its
    target's height above take-off (or above sea level) gives the ground height there, and the
    photo's points are put on a horizontal plane through it. The height below the camera cannot
    be more than the range measured: a target that says so is not used.

    >>> _lrf_plane(Pose(altitude_rel_m=50.0, lrf_distance_m=60.0, lrf_alt_rel_m=2.0))
    ((48.0, 0.29), None)
    >>> _lrf_plane(Pose(altitude_rel_m=50.0, lrf_distance_m=30.0, lrf_alt_rel_m=2.0))[1]
    'LRF target 48.00 m below the camera at a range of 30.00 m: not used'
    """
    distance = pose.lrf_distance_m
    if distance is None:
        return None, None
    if pose.lrf_alt_rel_m is not None and pose.altitude_rel_m is not None:
        below = pose.altitude_rel_m - pose.lrf_alt_rel_m
    elif pose.lrf_alt_abs_m is not None and pose.altitude_abs_m is not None:
        below = pose.altitude_abs_m - pose.lrf_alt_abs_m
    else:
        return None, "LRF range without a target height: not used"
    if not 0 < below <= distance * 1.01 + LRF_SIGMA_M:
        return None, f"LRF target {below:.2f} m below the camera at a range of {distance:.2f} m: not used"
    return (below, round(LRF_SIGMA_M + LRF_SIGMA_FRACTION * distance, 6)), None


def _on_terrain(view: FrameView, pose: Pose, terrain: Terrain) -> tuple[FrameView, str | None]:
    """`view` cast on `terrain` first: the camera at the take-off height plus its relative altitude."""
    if (terrain.lon0, terrain.lat0) != (pose.lon, pose.lat):
        raise ValueError(f"terrain around ({terrain.lon0}, {terrain.lat0}), camera at ({pose.lon}, {pose.lat})")
    if terrain.takeoff_m is None or pose.altitude_rel_m is None:
        return view, f"DEM {terrain.source} not used: no take-off height on it"
    return replace(view, terrain=terrain, camera_z_m=terrain.takeoff_m + pose.altitude_rel_m,
                   terrain_sigma_m=math.hypot(ALT_SIGMA_M, terrain.takeoff_sigma_m)), None


def _lrf_gap(view: FrameView, lon: float, lat: float) -> str:
    """The note that checks the view against the LRF target: how far it is from the image centre's ground."""
    centre = view.to_lonlat(np.array([[view.intr.cx, view.intr.cy]]))[0]
    if not np.isfinite(centre).all():
        return "LRF target given, but the image centre sees no ground"
    gap = ground_distance(float(centre[0]), float(centre[1]), lon, lat)
    return f"LRF check: the target is {gap:.2f} m from the image centre's ground point"


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
    return rounded(lon, lat)


def _gsd(view: FrameView, u: float, v: float) -> float | None:
    p = view.to_enu(np.array([[u, v], [u + 1.0, v], [u, v + 1.0]]))
    if not np.isfinite(p).all():
        return None
    dx, dy = np.hypot(*(p[1] - p[0])), np.hypot(*(p[2] - p[0]))
    return float(math.sqrt(dx * dy))


@dataclass(frozen=True)
class FrameGround:
    """Where a whole frame lies on the ground: its corners as a closed counter-clockwise ring and the ground
    point of its centre, each None where it cannot be projected, with the reason in `note`."""

    method: str
    ring: tuple[tuple[float, float], ...] | None = None
    centre: tuple[float, float] | None = None
    note: str | None = None


def frame_ground(frame: Frame) -> FrameGround:
    """The ground footprint of `frame` (its four image corners) and the ground point of its centre.

    >>> from pathlib import Path
    >>> from dronecheck.types import Camera, Pose
    >>> pose = Pose(lat=52.0, lon=5.0, altitude_rel_m=50.0, gimbal_pitch_deg=-90.0, gimbal_yaw_deg=0.0)
    >>> g = frame_ground(Frame(Path("a.jpg"), "0", Camera(1000, 800, focal_px=1000.0), pose))
    >>> g.method, g.centre, len(g.ring)
    ('nadir', (5.0, 52.0), 5)
    """
    view, reasons = frame_view(frame)
    if view is None:
        return FrameGround("none", note="; ".join(reasons))
    w, h = frame.camera.width, frame.camera.height
    points = view.to_lonlat(np.array([[0, 0], [w, 0], [w, h], [0, h], [w / 2, h / 2]], dtype=np.float64))
    centre = rounded(*points[4]) if np.isfinite(points[4]).all() else None
    if not np.isfinite(points[:4]).all():
        return FrameGround(view.method, centre=centre, note="part of the image is above the horizon; no footprint")
    corners = points[:4] if signed_area(points[:4]) >= 0 else points[3::-1]  # RFC 7946: counter-clockwise
    ring = tuple(rounded(x, y) for x, y in corners)
    return FrameGround(view.method, (*ring, ring[0]), centre)


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
    if frame.grid is not None:  # a window of an orthomosaic
        return grid_gsd(frame.grid, frame.camera.width / 2, frame.camera.height / 2)
    view, _ = frame_view(frame)
    return None if view is None else _gsd(view, frame.camera.width / 2, frame.camera.height / 2)


def _uncertainty(view: FrameView, u: float, v: float, on_terrain: bool = False) -> float | None:
    """1-sigma horizontal error of the ground point at (u, v), in metres.

    Root-sum-square of GNSS_SIGMA_M, the shift when the camera is raised by its height's
    error, and the shift when it turns by ANGLE_SIGMA_DEG about each of its own axes (x:
    tilt up/down, y: pan, z: roll), by central differences through the same projection.
    The camera axes rather than the DJI yaw/pitch/roll are perturbed because at nadir yaw
    and roll are the same rotation (gimbal lock): perturbing them would miss any sideways
    tilt error. None when a turned ray misses the ground: the error is then unbounded.

    The height's error is that of the plane (`height_sigma_m`: the barometric ALT_SIGMA_M
    at take-off height, the range finder's for its plane), which says nothing of ground that
    is not flat. On a terrain (`on_terrain`) the ground's shape is known and the rays are cast
    on it; its error is `terrain_sigma_m`, the barometer's and the take-off height's together.
    """
    R = view.rotation
    ray = pixel_rays(np.array([[u, v]]), view.intr)[0]
    sigma = view.terrain_sigma_m if on_terrain else view.height_sigma_m
    rise = min(sigma, 0.5 * view.height_m)  # never so far down that the camera is under the plane
    terms = [GNSS_SIGMA_M]
    if rise > 0:
        up, down = (view.cast_rays((R @ ray)[None], sign * rise)[0][0] for sign in (1.0, -1.0))
        terms.append(float(np.hypot(*(up - down))) / 2.0 * sigma / rise)
    turned = np.array([R @ _axis_rotation(axis, sign * ANGLE_SIGMA_DEG) @ ray
                       for axis in range(3) for sign in (1.0, -1.0)])
    ends = view.cast_rays(turned)[0]  # plus and minus about each axis in turn
    if not np.isfinite(ends).all():
        return None
    terms.extend(float(np.hypot(*(ends[2 * axis] - ends[2 * axis + 1]))) / 2.0 for axis in range(3))
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
        return _Placed("camera-position", point=rounded(pose.lon, pose.lat),
                       notes=(*reasons, "point is the camera position"))
    camera_point = rounded(view.lon, view.lat)
    u, v = (box[0] + box[2]) / 2.0, (box[1] + box[3]) / 2.0
    centre_enu, why = view.cast(np.array([[u, v]]))
    notes = list(view.notes)
    if view.terrain is not None and why[0] != HIT:
        notes.append(f"ray through the box centre {MISSES[int(why[0])]}; placed on {view.plane_name}")
    if not np.isfinite(centre_enu).all():
        return _Placed("camera-position", point=camera_point,
                       notes=(*notes, "ray through the box centre is above the horizon; no ground point"))
    on_terrain = view.terrain is not None and why[0] == HIT
    centre = np.concatenate(enu_to_lonlat(view.lon, view.lat, centre_enu[:, 0], centre_enu[:, 1]))
    footprint = width = length = None
    corners, corner_why = view.cast(box_corners(box))
    if on_terrain and (corner_why != HIT).any():
        notes.append(f"a corner of the box {MISSES[int(corner_why[corner_why != HIT][0])]}; it is on "
                     f"{view.plane_name}")
    if np.isfinite(corners).all():
        # Sides 0-1 and 3-2 run along the image rows, 1-2 and 0-3 along the columns.
        sides = np.hypot(*(corners[[0, 3, 1, 0]] - corners[[1, 2, 2, 3]]).T)
        across, down = float(sides[:2].mean()), float(sides[2:].mean())
        width, length = min(across, down), max(across, down)
        if signed_area(corners) < 0:  # RFC 7946: exterior rings counter-clockwise
            corners = corners[::-1]
        lon, lat = enu_to_lonlat(view.lon, view.lat, corners[:, 0], corners[:, 1])
        ring = [rounded(x, y) for x, y in zip(lon, lat, strict=True)]
        footprint = (*ring, ring[0])
    else:
        notes.append("part of the box is above the horizon; no footprint")
    uncertainty = _uncertainty(view, u, v, on_terrain)
    if uncertainty is None:
        notes.append(f"ray within {ANGLE_SIGMA_DEG:g} degree of the horizon; uncertainty unbounded")
    return _Placed("dem" if on_terrain else view.method, point=rounded(*centre), footprint=footprint,
                   gsd_m=_gsd(view, u, v), width_m=width, length_m=length, uncertainty_m=uncertainty,
                   notes=tuple(notes))


def window_radius(frame: Frame) -> float | None:
    """How far from the camera the ground seen in `frame` can be, in metres: the DEM window to read.

    The reach of the image corners down to LOW_GROUND_M below the take-off height (or the LRF
    target), at most MAX_WINDOW_M; None when the frame cannot be projected.

    >>> from pathlib import Path
    >>> from dronecheck.types import Camera, Pose
    >>> pose = Pose(lat=52.0, lon=5.0, altitude_rel_m=30.0, gimbal_pitch_deg=-90.0, gimbal_yaw_deg=0.0)
    >>> round(window_radius(Frame(Path("a.jpg"), "0", Camera(1000, 800, focal_px=1000.0), pose)), 2)
    32.02
    """
    view, _ = frame_view(frame)
    if view is None:
        return None
    w, h = view.intr.width, view.intr.height
    depth = max(view.height_m, frame.pose.altitude_rel_m or 0.0) + LOW_GROUND_M
    corners = pixels_to_ground(np.array([[0, 0], [w, 0], [w, h], [0, h]], dtype=np.float64), view.intr,
                               view.rotation, depth)
    if not np.isfinite(corners).all():
        return MAX_WINDOW_M
    return min(float(np.hypot(corners[:, 0], corners[:, 1]).max()), MAX_WINDOW_M)


def georeference(frame: Frame, detections: Detections, class_names: Sequence[str],
                 finding_ids: Sequence[str], terrain: Terrain | None = None) -> list[Finding]:
    """One `Finding` per detection of `frame`, placed on the ground.

    The point is the ground point of the box *centre*. The objects looked for here
    (cracks, road damage, vessels seen from above) lie flat on the ground or water
    plane, so the middle of their box is the middle of the object. (For upright objects
    seen obliquely, people or poles, the bottom centre would be the foot point instead.)

    Method: "nadir" within 2 degrees of straight down, "oblique-flat-ground" otherwise,
    both on a flat plane at the take-off height; "lrf-plane" on the horizontal plane through
    the target of a valid laser range finder; "dem" when the centre ray meets `terrain`
    (a DEM window around the camera, see `frame_view`), rays that miss it (the window's
    edge, no data) going to the plane with a note. "camera-position" when the frame has a
    position but cannot be projected (no focal length in pixels, relative altitude,
    gimbal pitch, or any yaw) or the centre ray is above the horizon: the point is then
    the camera's and `uncertainty_m` is None (unknown). "none" without a position.
    Gaps that are filled: see `frame_view` (flight yaw for gimbal yaw, roll 0).

    `footprint` is the box's four corners on the ground (closed, counter-clockwise), or
    None when any corner misses the ground. `gsd_m` is the geometric mean of the ground
    steps of one pixel right and one pixel down at the centre; `width_m`/`length_m` are
    the mean ground lengths of the box's opposite sides, shorter and longer.
    `uncertainty_m` adds GNSS_SIGMA_M and the effects of the camera height's error and of
    turning the camera ANGLE_SIGMA_DEG about each of its axes in quadrature (see
    `_uncertainty`). On a plane, ground that is not on it is not counted; with "dem" the
    ground's shape is the DEM's, and the height error is the take-off height's and the
    barometer's together. On a terrain the footprint joins the corners' ground points by
    straight lines.

    >>> from pathlib import Path
    >>> from dronecheck.types import Camera, Pose
    >>> pose = Pose(lat=52.0, lon=5.0, altitude_rel_m=50.0, gimbal_pitch_deg=-90.0, gimbal_yaw_deg=0.0,
    ...             gimbal_roll_deg=0.0)
    >>> frame = Frame(Path("a.jpg"), "0", Camera(1000, 800, focal_px=1000.0), pose)
    >>> [f] = georeference(frame, Detections([[450, 380, 550, 420]], [0.9], [0]), ["crack"], ["f1"])
    >>> f.method, f.point, round(f.gsd_m, 6), round(f.width_m, 6), round(f.length_m, 6)
    ('nadir', (5.0, 52.0), 0.05, 2.0, 5.0)
    """
    if frame.grid is not None:  # a window of an orthomosaic: placed through its map grid (method "orthomosaic")
        return place_on_grid(frame, detections, class_names, finding_ids)
    view, reasons = frame_view(frame, terrain)
    findings = []
    for fid, box, score, cid, name in detections.named(class_names, finding_ids):
        placed = _place(frame, view, reasons, box)
        findings.append(Finding(
            id=fid, frame=frame, class_id=cid, class_name=name, score=score,
            box_px=(float(box[0]), float(box[1]), float(box[2]), float(box[3])), method=placed.method,
            point=placed.point, footprint=placed.footprint, gsd_m=placed.gsd_m, width_m=placed.width_m,
            length_m=placed.length_m, uncertainty_m=placed.uncertainty_m,
            note="; ".join(placed.notes) or None))
    return findings
