"""Camera intrinsics: the pinhole model that turns a pixel into a ray."""

from __future__ import annotations

from dataclasses import dataclass

from dronecheck.types import Camera


@dataclass(frozen=True)
class Intrinsics:
    """Pinhole intrinsics in pixels; (cx, cy) in continuous image coordinates.

    Continuous coordinates put pixel (i, j) on the square [i, i+1] x [j, j+1], so its
    centre is (i + 0.5, j + 0.5) and the image centre is (width / 2, height / 2).
    """

    fx: float
    fy: float
    cx: float
    cy: float
    width: int
    height: int


def intrinsics(camera: Camera) -> Intrinsics | None:
    """Pinhole intrinsics of `camera`, or None when its focal length in pixels is unknown.

    Square pixels and the principal point at the image centre: drone photos are
    undistorted in the camera and their EXIF/XMP rarely gives a better principal point.

    >>> intrinsics(Camera(width=1000, height=800, focal_px=1000.0))
    Intrinsics(fx=1000.0, fy=1000.0, cx=500.0, cy=400.0, width=1000, height=800)
    >>> intrinsics(Camera(width=1000, height=800)) is None
    True
    """
    f = camera.focal_px
    if f is None or not f > 0 or camera.width <= 0 or camera.height <= 0:
        return None
    return Intrinsics(fx=float(f), fy=float(f), cx=camera.width / 2, cy=camera.height / 2,
                      width=camera.width, height=camera.height)
