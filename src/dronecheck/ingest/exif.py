"""EXIF as dronecheck needs it: GPS, time, camera and lens, read with Pillow."""

from __future__ import annotations

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


@dataclass(frozen=True)
class Exif:
    make: str | None = None
    model: str | None = None
    time: datetime | None = None
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
    except (TypeError, ValueError, ZeroDivisionError):
        return None
    return number if number == number else None  # NaN from a 0/0 rational


def _degrees(dms: Any, ref: Any) -> float | None:
    """Degrees, minutes, seconds and N/S/E/W to signed decimal degrees.

    >>> _degrees((52, 29, 55.9392), "N"), _degrees((5, 28, 56.334), "W")
    (52.498872, -5.482315)
    """
    try:
        d, m, s = (float(v) for v in dms)
    except (TypeError, ValueError, ZeroDivisionError):
        return None
    value = d + m / 60 + s / 3600
    return round(-value if _text(ref) in ("S", "W") else value, 9)


def _time(stamp: Any, offset: Any) -> datetime | None:
    text = _text(stamp)
    if not text:
        return None
    try:
        parsed = datetime.strptime(text[:19], "%Y:%m:%d %H:%M:%S")
    except ValueError:
        return None
    zone = _text(offset)
    if zone:
        try:
            return datetime.fromisoformat(parsed.isoformat() + zone)
        except ValueError:
            pass
    return parsed


def read_exif(image: Image.Image) -> Exif:
    """The EXIF fields of an opened image; absent tags are None."""
    exif = image.getexif()
    gps, sub = exif.get_ifd(GPS_IFD), exif.get_ifd(EXIF_IFD)
    lat, lon = _degrees(gps.get(2), gps.get(1)), _degrees(gps.get(4), gps.get(3))
    altitude = _number(gps.get(6))
    if altitude is not None and gps.get(5) in (1, b"\x01"):
        altitude = -altitude
    plane = _number(sub.get(FOCAL_PLANE_X))
    unit = MM_PER_UNIT.get(int(sub.get(FOCAL_PLANE_UNIT, 2) or 2))
    return Exif(
        make=_text(exif.get(MAKE)), model=_text(exif.get(MODEL)),
        time=_time(sub.get(DATETIME_ORIGINAL) or exif.get(DATETIME), sub.get(OFFSET_TIME_ORIGINAL)),
        lat=lat, lon=lon, altitude_m=altitude, focal_mm=_number(sub.get(FOCAL_LENGTH)) or None,
        focal_35mm=_number(sub.get(FOCAL_35MM)) or None,
        focal_plane_px_per_mm=plane / unit if plane and unit else None,
        exif_width=int(sub[EXIF_WIDTH]) if sub.get(EXIF_WIDTH) else None)
