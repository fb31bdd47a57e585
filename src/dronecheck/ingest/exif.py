"""EXIF as dronecheck needs it: GPS, time, camera and lens, read with Pillow."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from PIL import Image

GPS_IFD, EXIF_IFD = 0x8825, 0x8769
MAKE, MODEL, DATETIME = 271, 272, 306
DATETIME_ORIGINAL, OFFSET_TIME_ORIGINAL = 36867, 36881
FOCAL_LENGTH, FOCAL_35MM = 37386, 41989
FOCAL_PLANE_X, FOCAL_PLANE_UNIT = 41486, 41488
EXIF_WIDTH = 40962
MM_PER_UNIT = {2: 25.4, 3: 10.0, 4: 1.0, 5: 0.001}  # FocalPlaneResolutionUnit: inch, cm, mm, µm
MAX_FOCAL_MM, MAX_PX_PER_MM, MAX_WIDTH_PX = 10_000.0, 100_000.0, 1_000_000.0  # above: a broken value
STAMP = re.compile(r"(\d{4})[:-](\d\d)[:-](\d\d)[ T](\d\d):(\d\d):(\d\d)")  # some DJI models write dashes


@dataclass(frozen=True)
class Exif:
    """The EXIF fields dronecheck uses; absent or unreadable tags are None."""

    make: str | None = None
    model: str | None = None
    time: datetime | None = None
    time_from_original: bool = True  # False when `time` is the IFD0 DateTime (no DateTimeOriginal)
    lat: float | None = None
    lon: float | None = None
    altitude_m: float | None = None
    focal_mm: float | None = None
    focal_35mm: float | None = None
    focal_plane_px_per_mm: float | None = None  # at the EXIF image width
    exif_width: int | None = None


def _text(value: Any) -> str | None:
    if isinstance(value, bytes):
        value = value.decode("ascii", "replace")
    text = str(value).strip("\x00 ") if value is not None else ""
    return text or None


def _number(value: Any) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError, ZeroDivisionError, OverflowError):
        return None
    return number if math.isfinite(number) else None  # NaN from a 0/0 rational


def _positive(value: Any, high: float) -> float | None:
    """A number in (0, high]; None otherwise (a focal length or resolution of 0 or below is not one)."""
    number = _number(value)
    return number if number is not None and 0 < number <= high else None


def _degrees(dms: Any, ref: Any) -> float | None:
    """Degrees, minutes, seconds and N/S/E/W to signed decimal degrees.

    >>> _degrees((52, 29, 55.9392), "N"), _degrees((5, 28, 56.334), "W")
    (52.498872, -5.482315)
    """
    try:
        d, m, s = (float(v) for v in dms)
    except (TypeError, ValueError, ZeroDivisionError, OverflowError):
        return None
    value = d + m / 60 + s / 3600
    if not math.isfinite(value):  # a 0/0 rational: the receiver had no fix
        return None
    return round(-value if _text(ref) in ("S", "W") else value, 9)


def _time(stamp: Any, offset: Any) -> datetime | None:
    """EXIF "YYYY:MM:DD HH:MM:SS" (and OffsetTime "+HH:MM") to a datetime, aware when the offset is known.

    >>> _time("2021:05:28 10:33:46", None), _time("2020-06-23 15:17:15", "+08:00").isoformat()
    (datetime.datetime(2021, 5, 28, 10, 33, 46), '2020-06-23T15:17:15+08:00')
    """
    match = STAMP.match(_text(stamp) or "")
    if not match:
        return None
    try:
        parsed = datetime(*(int(part) for part in match.groups()))
    except ValueError:  # "0000:00:00 00:00:00" from a camera whose clock was never set
        return None
    try:
        return datetime.fromisoformat(parsed.isoformat() + (_text(offset) or ""))
    except ValueError:
        return parsed


def _focal_plane_px_per_mm(sub: Any) -> float | None:
    resolution, unit = _number(sub.get(FOCAL_PLANE_X)), _number(sub.get(FOCAL_PLANE_UNIT, 2))
    mm = MM_PER_UNIT.get(int(unit)) if unit else None
    return _positive(resolution / mm, MAX_PX_PER_MM) if resolution and mm else None


def read_exif(image: Image.Image) -> Exif:
    """The EXIF fields of an opened image; absent tags are None."""
    exif = image.getexif()
    gps, sub = exif.get_ifd(GPS_IFD), exif.get_ifd(EXIF_IFD)
    lat, lon = _degrees(gps.get(2), gps.get(1)), _degrees(gps.get(4), gps.get(3))
    altitude = _number(gps.get(6))
    if altitude is not None and gps.get(5) in (1, b"\x01"):
        altitude = -altitude
    original = sub.get(DATETIME_ORIGINAL)
    exif_width = _positive(sub.get(EXIF_WIDTH), MAX_WIDTH_PX)
    return Exif(
        make=_text(exif.get(MAKE)), model=_text(exif.get(MODEL)),
        time=_time(original or exif.get(DATETIME), sub.get(OFFSET_TIME_ORIGINAL)),
        time_from_original=bool(original), lat=lat, lon=lon, altitude_m=altitude,
        focal_mm=_positive(sub.get(FOCAL_LENGTH), MAX_FOCAL_MM),
        focal_35mm=_positive(sub.get(FOCAL_35MM), MAX_FOCAL_MM),
        focal_plane_px_per_mm=_focal_plane_px_per_mm(sub), exif_width=int(exif_width) if exif_width else None)
