"""Camera orientation: DJI gimbal angles to a rotation matrix.

Frames used here:

* camera: x right in the image, y down in the image, z forward along the optical axis
  (the OpenCV convention, so a pixel's ray is ((u-cx)/fx, (v-cy)/fy, 1));
* ENU: a local east, north, up frame at the camera.

The gimbal angles are Tait-Bryan angles applied yaw, then pitch, then roll (each about
the axis as already turned), as DJI writes them in XMP (GimbalYawDegree, ...).
"""

from __future__ import annotations

import math

import numpy as np

# The camera at yaw 0, pitch 0, roll 0 looks north along the horizon with its image
# upright: image right (x) is east, image down (y) is down (-up), forward (z) is north.
# Columns are where the camera axes x, y, z land in ENU.
_LEVEL_NORTH = np.array([[1.0, 0.0, 0.0],
                         [0.0, 0.0, 1.0],
                         [0.0, -1.0, 0.0]])


def _yaw(yaw_deg: float) -> np.ndarray:
    # Clockwise seen from above (compass), hence the signs opposite to a maths rotation
    # about +up: north turns toward east for positive yaw.
    c, s = math.cos(math.radians(yaw_deg)), math.sin(math.radians(yaw_deg))
    return np.array([[c, s, 0.0], [-s, c, 0.0], [0.0, 0.0, 1.0]])


def _pitch(pitch_deg: float) -> np.ndarray:
    # About the east axis (the camera's right axis while yaw is applied last):
    # north tilts to up for positive pitch, so -90 turns the optical axis straight down
    # and turns the image's up direction to north.
    c, s = math.cos(math.radians(pitch_deg)), math.sin(math.radians(pitch_deg))
    return np.array([[1.0, 0.0, 0.0], [0.0, c, -s], [0.0, s, c]])


def _roll(roll_deg: float) -> np.ndarray:
    # About the optical axis, in camera coordinates: positive roll turns the camera's x
    # (right) toward its y (down), i.e. the right side of the image dips.
    c, s = math.cos(math.radians(roll_deg)), math.sin(math.radians(roll_deg))
    return np.array([[c, -s, 0.0], [s, c, 0.0], [0.0, 0.0, 1.0]])


def camera_to_enu(yaw_deg: float, pitch_deg: float, roll_deg: float = 0.0) -> np.ndarray:
    """3x3 rotation taking a camera-frame vector to local ENU (east, north, up).

    DJI conventions: yaw clockwise from true north (0 north, 90 east); pitch 0 at the
    horizon, -90 straight down; roll positive when the right side of the image dips,
    a rotation about the optical axis. So at pitch -90 roll and yaw both turn the image
    about the vertical (gimbal lock); roll never moves the ray of the image centre.

    At yaw 0, pitch -90 the optical axis points down, image up points north and image
    right points east:

    >>> R = camera_to_enu(0, -90, 0)
    >>> ((R @ [0, 0, 1]).round(12) + 0.0).tolist(), ((R @ [0, -1, 0]).round(12) + 0.0).tolist()
    ([0.0, 0.0, -1.0], [0.0, 1.0, 0.0])
    """
    return _yaw(yaw_deg) @ _pitch(pitch_deg) @ _LEVEL_NORTH @ _roll(roll_deg)
