"""Focal length in pixels from whatever the photo states, best source first."""

from __future__ import annotations

import math
import tomllib
from functools import cache
from importlib import resources
from typing import NamedTuple

from dronecheck.ingest.exif import Exif

FULL_FRAME_DIAGONAL_MM = 43.2666  # 36 x 24 mm: the 35 mm equivalent is defined on the diagonal


class Focal(NamedTuple):
    px: float | None
    source: str | None  # "xmp-calibrated", "exif-focal-plane", "sensor-table" or "35mm-equivalent"
    sensor_width_mm: float | None
    sensor_height_mm: float | None


@cache
def sensor_table() -> dict[str, dict]:
    """Sensor sizes of common drone cameras by EXIF Model (data/cameras.toml)."""
    return tomllib.loads((resources.files("dronecheck") / "data" / "cameras.toml").read_text(encoding="utf-8"))


def sensor_size(model: str | None, width: int, height: int) -> tuple[float | None, float | None]:
    """(width, height) in mm of the sensor of `model`, or Nones when the table does not know it.

    A payload that writes one Model for several cameras (wide, zoom, thermal) has one entry per
    image size, e.g. [ZH20T."640x512"]; an entry with the sizes at its top level fits any image.

    >>> sensor_size("ZH20T", 640, 512), sensor_size("ZH20T", 4056, 3040), sensor_size("FC6310", 5472, 3648)
    ((7.68, 6.144), (None, None), (13.2, 8.8))
    """
    entry = sensor_table().get(model or "", {})
    entry = entry.get(f"{width}x{height}", entry)
    return entry.get("sensor_width_mm"), entry.get("sensor_height_mm")


def focal_px(exif: Exif, xmp: dict[str, float], width: int, height: int) -> Focal:
    """Focal length in pixels of an image `width` x `height` pixels, and where it came from.

    Sources in order of trust: DJI's CalibratedFocalLength (already in pixels), the EXIF focal
    length with the focal-plane resolution, the focal length with the sensor-size table, and
    last the 35 mm equivalent (exact only when the sensor has the 3:2 shape of 35 mm film).

    >>> focal_px(Exif(model="FC6310", focal_mm=8.8), {}, 1280, 960)[:2]
    (853.3333333333334, 'sensor-table')
    """
    sw, sh = sensor_size(exif.model, width, height)
    if xmp.get("CalibratedFocalLength"):
        return Focal(xmp["CalibratedFocalLength"], "xmp-calibrated", sw, sh)
    if exif.focal_mm and exif.focal_plane_px_per_mm:
        scale = width / exif.exif_width if exif.exif_width else 1.0  # the resolution is at the EXIF width
        return Focal(exif.focal_mm * exif.focal_plane_px_per_mm * scale, "exif-focal-plane", sw, sh)
    if exif.focal_mm and sw:
        return Focal(exif.focal_mm * width / sw, "sensor-table", sw, sh)
    if exif.focal_35mm:
        return Focal(exif.focal_35mm * math.hypot(width, height) / FULL_FRAME_DIAGONAL_MM, "35mm-equivalent", sw, sh)
    return Focal(None, None, sw, sh)
