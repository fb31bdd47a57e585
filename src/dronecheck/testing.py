"""Helpers for tests: small synthetic frames with named poses, and a ground-distance assert.

The named poses share one place (5.0 E, 52.0 N), 50 m above take-off, and a camera of
1000 x 800 pixels with a focal length of 1000 pixels, so 1 pixel at nadir is 5 cm.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from dronecheck.geo.crs import ground_distance
from dronecheck.types import Camera, Frame, Pose

CAMERA = Camera(width=1000, height=800, make="Test", model="Pinhole", focal_px=1000.0, focal_source="test")
NADIR = Pose(lat=52.0, lon=5.0, altitude_rel_m=50.0, gimbal_yaw_deg=0.0, gimbal_pitch_deg=-90.0,
             gimbal_roll_deg=0.0)
OBLIQUE = replace(NADIR, gimbal_pitch_deg=-45.0)
HORIZON = replace(NADIR, gimbal_pitch_deg=0.0)
NO_GPS = replace(NADIR, lat=None, lon=None)


def make_frame(pose: Pose = NADIR, camera: Camera = CAMERA, name: str = "test.jpg") -> Frame:
    """A Frame with `pose` and `camera` and no file behind it.

    >>> make_frame(OBLIQUE).pose.gimbal_pitch_deg
    -45.0
    """
    return Frame(path=Path(name), sha256="0" * 64, camera=camera, pose=pose)


def assert_ground_close(a: tuple[float, float] | None, b: tuple[float, float] | None, tol_m: float = 0.01) -> None:
    """Assert WGS84 points `a` and `b` (lon, lat) lie within `tol_m` metres on the ellipsoid.

    >>> assert_ground_close((5.0, 52.0), (5.0, 52.00000005))
    >>> assert_ground_close((5.0, 52.0), (5.0, 52.00001))
    Traceback (most recent call last):
    AssertionError: (5.0, 52.0) and (5.0, 52.00001) are 1.11 m apart (tolerance 0.01 m)
    """
    if a is None or b is None:
        raise AssertionError(f"expected two points, got {a} and {b}")
    d = ground_distance(a[0], a[1], b[0], b[1])
    if not d <= tol_m:
        raise AssertionError(f"{a} and {b} are {d:.2f} m apart (tolerance {tol_m:g} m)")
