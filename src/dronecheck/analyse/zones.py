"""Zones: named areas on the water (closed areas, fishing grounds, ports) with their rule parameters.

A zones file is a GeoJSON FeatureCollection (RFC 7946: WGS84 lon/lat) of Polygon or
MultiPolygon features. Each feature's properties name it and say what kind of zone it is;
the rules in a profile pick zones by kind. Optional properties a rule reads:

* ``allowed_hours``: "HH:MM-HH:MM" local time, e.g. "06:00-18:00"; "22:00-04:00" runs over midnight;
* ``timezone``: the IANA zone of those hours, default "Europe/Amsterdam";
* ``speed_limit_kn``: a positive number of knots.

They are checked when the file is loaded, so a bad zone fails before a scan starts.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass, field
from datetime import datetime, time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import numpy as np
import shapely
from shapely.geometry import MultiPolygon, Polygon, shape

from dronecheck.errors import BadInputError

DEFAULT_TIMEZONE = "Europe/Amsterdam"
GEOMETRY_TYPES = ("Polygon", "MultiPolygon")


@dataclass(frozen=True)
class Hours:
    """A daily window of local time [start, end); end before start runs over midnight."""

    start: time
    end: time

    def contains(self, t: time) -> bool:
        """Whether local time-of-day `t` falls in the window.

        >>> h = Hours(time(22), time(4))
        >>> h.contains(time(23, 30)), h.contains(time(3)), h.contains(time(4)), h.contains(time(12))
        (True, True, False, False)
        """
        if self.start <= self.end:
            return self.start <= t < self.end
        return t >= self.start or t < self.end

    def __str__(self) -> str:
        return f"{self.start:%H:%M}-{self.end:%H:%M}"


@dataclass(frozen=True)
class Zone:
    """One named area and the parameters its rules read."""

    name: str
    kind: str
    geometry: Polygon | MultiPolygon
    allowed_hours: Hours | None = None
    timezone: ZoneInfo = field(default_factory=lambda: ZoneInfo(DEFAULT_TIMEZONE))
    speed_limit_kn: float | None = None
    properties: dict[str, Any] = field(default_factory=dict, compare=False)

    def contains(self, lon: np.ndarray | float, lat: np.ndarray | float) -> np.ndarray:
        """Whether each (lon, lat) lies in the zone, its boundary included.

        >>> z = Zone("a", "closed", Polygon([(4, 52), (5, 52), (5, 53), (4, 53)]))
        >>> z.contains([4.5, 5.0, 5.5], [52.5, 52.5, 52.5]).tolist()
        [True, True, False]
        """
        return np.asarray(shapely.intersects_xy(self.geometry, lon, lat), dtype=bool)

    def local_time(self, t: datetime) -> datetime:
        """`t` on the zone's local clock; a time without an offset is taken to be on it already.

        Drone cameras write their clock's local time and often no offset, so a naive time
        is read as local time where the drone flew.
        """
        return t.replace(tzinfo=self.timezone) if t.tzinfo is None else t.astimezone(self.timezone)


def load_zones(path: Path) -> list[Zone]:
    """The zones of a GeoJSON file; BadInputError naming the file and the feature when it is not usable."""
    try:
        doc = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise BadInputError(path, f"cannot read zones file ({exc})") from exc
    except (ValueError, RecursionError) as exc:  # JSONDecodeError; a number of over 4300 digits; nesting too deep
        raise BadInputError(path, f"not valid JSON ({exc})") from exc
    if not isinstance(doc, dict) or doc.get("type") != "FeatureCollection" or not isinstance(doc.get("features"),
                                                                                             list):
        raise BadInputError(path, "expected a GeoJSON FeatureCollection with a list of features")
    zones = []
    for i, feature in enumerate(doc["features"]):
        try:
            zones.append(zone_from_feature(feature))
        except ValueError as exc:
            raise BadInputError(path, f"feature {i}: {exc}") from exc
    if not zones:
        raise BadInputError(path, "no zones in the file")
    return zones


def zone_from_feature(feature: Any) -> Zone:
    """A Zone from one GeoJSON feature; ValueError saying what is wrong."""
    if not isinstance(feature, dict) or feature.get("type") != "Feature":
        raise ValueError("not a GeoJSON Feature")
    props = feature.get("properties") or {}
    if not isinstance(props, dict):
        raise ValueError(f"properties is {type(props).__name__}, expected an object")
    name, kind = props.get("name"), props.get("kind")
    if not isinstance(name, str) or not name.strip():
        raise ValueError("property 'name' missing or not a text")
    if not isinstance(kind, str) or not kind.strip():
        raise ValueError(f"zone {name!r}: property 'kind' missing or not a text (e.g. 'closed', 'fishing', 'port')")
    try:
        return Zone(name=name, kind=kind, geometry=_geometry(feature.get("geometry")),
                    allowed_hours=_hours(props.get("allowed_hours")), timezone=_timezone(props.get("timezone")),
                    speed_limit_kn=_speed_limit(props.get("speed_limit_kn")), properties=dict(props))
    except ValueError as exc:
        raise ValueError(f"zone {name!r}: {exc}") from exc


def _geometry(raw: Any) -> Polygon | MultiPolygon:
    kind = raw.get("type") if isinstance(raw, dict) else None
    if kind not in GEOMETRY_TYPES:
        raise ValueError(f"geometry is {kind or 'missing'}, expected one of {', '.join(GEOMETRY_TYPES)}")
    try:
        geom = shape(raw)
    except (TypeError, ValueError, IndexError, KeyError, AttributeError, OverflowError,
            shapely.errors.ShapelyError) as exc:
        raise ValueError(f"malformed {kind} coordinates ({exc})") from exc
    if geom.is_empty:
        raise ValueError(f"empty {kind}")
    x0, y0, x1, y1 = geom.bounds
    if not (-180 <= x0 and x1 <= 180 and -90 <= y0 and y1 <= 90):
        raise ValueError(f"coordinates ({x0:g}, {y0:g}) .. ({x1:g}, {y1:g}) are not WGS84 lon/lat; GeoJSON must "
                         "be in WGS84 (RFC 7946): reproject it, e.g. from RD New (EPSG:28992)")
    if not geom.is_valid:
        raise ValueError(f"invalid {kind}: {shapely.is_valid_reason(geom)}")
    shapely.prepare(geom)
    return geom


def _hours(raw: Any) -> Hours | None:
    if raw is None:
        return None
    try:
        start, end = (time.fromisoformat(part.strip()) for part in str(raw).split("-"))
    except ValueError as exc:
        raise ValueError(f"allowed_hours {raw!r}: expected \"HH:MM-HH:MM\", e.g. \"06:00-18:00\"") from exc
    if start == end:
        raise ValueError(f"allowed_hours {raw!r}: start and end are the same; leave it out to allow all hours")
    return Hours(start, end)


def _timezone(raw: Any) -> ZoneInfo:
    try:
        return ZoneInfo(DEFAULT_TIMEZONE if raw is None else str(raw))
    except (ZoneInfoNotFoundError, ValueError, OSError) as exc:  # OSError: a name too long for a file name
        raise ValueError(f"timezone {raw!r}: not an IANA time zone such as \"Europe/Amsterdam\"") from exc


def _speed_limit(raw: Any) -> float | None:
    if raw is None:
        return None
    if isinstance(raw, bool) or not isinstance(raw, int | float) or not 0 < raw <= sys.float_info.max:  # not NaN, inf
        raise ValueError(f"speed_limit_kn {raw!r}: expected a positive number of knots")
    return float(raw)
