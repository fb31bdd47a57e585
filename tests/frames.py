"""Small synthetic frames with named poses, for tests of georeferencing, tiling and tracks.

The named poses share one place (5.0 E, 52.0 N), 50 m above take-off, and a camera of
1000 x 800 pixels with a focal length of 1000 pixels, so 1 pixel at nadir is 5 cm.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from dronecheck.types import Camera, Frame, Pose

CAMERA = Camera(width=1000, height=800, make="Test", model="Pinhole", focal_px=1000.0, focal_source="test")
NADIR = Pose(lat=52.0, lon=5.0, altitude_rel_m=50.0, gimbal_yaw_deg=0.0, gimbal_pitch_deg=-90.0,
             gimbal_roll_deg=0.0)
OBLIQUE = replace(NADIR, gimbal_pitch_deg=-45.0)
HORIZON = replace(NADIR, gimbal_pitch_deg=0.0)
NO_GPS = replace(NADIR, lat=None, lon=None)


def make_frame(pose: Pose = NADIR, camera: Camera = CAMERA, name: str = "test.jpg") -> Frame:
    """A Frame with `pose` and `camera` and no file behind it."""
    return Frame(path=Path(name), sha256="0" * 64, camera=camera, pose=pose)
