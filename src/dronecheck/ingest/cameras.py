"""Focal length in pixels from whatever the photo states, best source first."""

from __future__ import annotations

import math
import tomllib
from functools import cache
from importlib import resources

from dronecheck.ingest.exif import Exif

FULL_FRAME_DIAGONAL_MM = 43.2666  # 36 x 24 mm: the 35 mm equivalent is defined on the diagonal


@cache
def sensor_table() -> dict[str, dict[str, float]]:
    """Sensor sizes of common drone cameras by EXIF Model (data/cameras.toml)."""
    return tomllib.loads((resources.files("dronecheck") / "data" / "cameras.toml").read_text())


def focal_px(exif: Exif, xmp: dict[str, float], width: int, height: int) -> tuple[float | None, str | None,
                                                                                   float | None, float | None]:
    """(focal length in pixels, its source, sensor width mm, sensor height mm).

    Sources in order: DJI's CalibratedFocalLength (pixels), EXIF focal length with the
    focal-plane resolution, focal length with the sensor-size table, the 35 mm equivalent.

    >>> focal_px(Exif(model="FC6310", focal_mm=8.8), {}, 1280, 960)[:2]
    (853.3333333333334, 'sensor-table')
    """
    sensor = sensor_table().get(exif.model or "", {})
    sw, sh = sensor.get("sensor_width_mm"), sensor.get("sensor_height_mm")
    if xmp.get("CalibratedFocalLength"):
        return xmp["CalibratedFocalLength"], "xmp-calibrated", sw, sh
    if exif.focal_mm and exif.focal_plane_px_per_mm:
        scale = width / exif.exif_width if exif.exif_width else 1.0
        return exif.focal_mm * exif.focal_plane_px_per_mm * scale, "exif-focal-plane", sw, sh
    if exif.focal_mm and sw:
        return exif.focal_mm * width / sw, "sensor-table", sw, sh
    if exif.focal_35mm:
        return exif.focal_35mm * math.hypot(width, height) / FULL_FRAME_DIAGONAL_MM, "35mm-equivalent", sw, sh
    return None, None, sw, sh
