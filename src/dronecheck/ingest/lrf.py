"""The laser range finder of DJI H20/H20N/H30/H30T/M30T cameras, from their XMP.

    drone-dji:LRFStatus="Normal" drone-dji:LRFTargetDistance="+52.123" drone-dji:LRFTargetLat="+52.0004"
    drone-dji:LRFTargetLon="+5.0001" drone-dji:LRFTargetAlt="+1.500" drone-dji:LRFTargetAbsAlt="+44.400"

Values come signed ("+52.123") or not ("52.123"). Only a "Normal" status is a measurement
("Invalid", "TooClose", "TooFar" are not). Even then a camera writes zeros when it hit nothing
(an M3T photo of ../shared/data/dji-thermal-photos says Normal with a range of 0.000 and a target
at 0, 0), so each value is checked; what is broken is missing, and a note says so.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

from dronecheck.ingest.position import gps_problem

# XMP name -> (Pose field, lowest, highest); the H30's range finder reaches 3 km.
FIELDS = {"LRFTargetDistance": ("lrf_distance_m", 0.0, 10_000.0), "LRFTargetLat": ("lrf_lat", -90.0, 90.0),
          "LRFTargetLon": ("lrf_lon", -180.0, 180.0), "LRFTargetAlt": ("lrf_alt_rel_m", -20_000.0, 20_000.0),
          "LRFTargetAbsAlt": ("lrf_alt_abs_m", -20_000.0, 20_000.0)}


def _number(name: str, text: str, low: float, high: float, notes: list[str]) -> float | None:
    try:
        value = float(text)  # takes "+52.123" and "52.123" alike
    except ValueError:
        notes.append(f"XMP {name}={text!r} is not a number: treated as missing")
        return None
    if not math.isfinite(value):
        notes.append(f"XMP {name}={text!r} is not a finite number: treated as missing")
        return None
    if not low <= value <= high:
        notes.append(f"XMP {name}={text!r} is out of range {low:g}..{high:g}: treated as missing")
        return None
    return value


def laser_range(fields: Mapping[str, str], notes: list[str]) -> dict[str, float]:
    """The Pose fields (`lrf_*`) of a valid range finder measurement in DJI XMP `fields`; {} without one.

    >>> laser_range({"LRFStatus": "Normal", "LRFTargetDistance": "+52.123", "LRFTargetAlt": "1.5"}, [])
    {'lrf_distance_m': 52.123, 'lrf_alt_rel_m': 1.5}
    >>> notes = []
    >>> laser_range({"LRFStatus": "TooFar", "LRFTargetDistance": "0.000"}, notes), notes
    ({}, ["laser range finder status 'TooFar': not used"])
    """
    present = [name for name in FIELDS if name in fields]
    status = fields.get("LRFStatus")
    if status is None:
        if present:
            notes.append("LRF values without an LRFStatus: not used")
        return {}
    if status.strip().lower() != "normal":
        notes.append(f"laser range finder status {status!r}: not used")
        return {}
    values = {}
    for name in present:
        key, low, high = FIELDS[name]
        value = _number(name, fields[name], low, high, notes)
        if value is not None:
            values[key] = value
    return _checked(values, notes)


def _checked(values: dict[str, float], notes: list[str]) -> dict[str, float]:
    """`values` without a range of 0 (nothing hit) and without a target position that is no position."""
    if values.get("lrf_distance_m", 1.0) <= 0:
        notes.append("laser range finder status Normal but a range of 0 m: not used")
        return {}
    if "lrf_distance_m" not in values:
        notes.append("laser range finder status Normal but no range: not used")
        return {}
    lat, lon = values.pop("lrf_lat", None), values.pop("lrf_lon", None)
    if lat is not None or lon is not None:
        problem = gps_problem(lat, lon)
        if problem:
            notes.append(f"LRF target {problem} ({lat}, {lon}): its position is not used")
        else:
            values.update(lrf_lat=lat, lrf_lon=lon)
    return values
