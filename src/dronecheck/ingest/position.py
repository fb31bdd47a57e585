"""Whether a GPS position read from a file (EXIF, SRT) is one: the one check for photos and videos."""

from __future__ import annotations

import math


def gps_problem(lat: float | None, lon: float | None) -> str | None:
    """Why (lat, lon) is not a usable GPS position, or None when it is one.

    >>> gps_problem(52.1, 5.2) is None
    True
    >>> gps_problem(float("nan"), 5.2), gps_problem(0.0, 0.0), gps_problem(91.0, 5.2)
    ('without a GPS position', 'at position 0,0 (no satellite fix)', 'with a position out of range')
    """
    if lat is None or lon is None or not (math.isfinite(lat) and math.isfinite(lon)):
        return "without a GPS position"
    if lat == 0 and lon == 0:
        return "at position 0,0 (no satellite fix)"
    if abs(lat) > 90 or abs(lon) > 180:
        return "with a position out of range"
    return None
