"""Coordinate reference systems: local ENU offsets to WGS84, WGS84 to RD New or any 2D EPSG CRS.

pyproj objects are made on first use (and cached), never at import.
"""

from __future__ import annotations

import functools

import numpy as np
import pyproj

# Decimals of a WGS84 degree kept in positions and files: RFC 7946 advises 6-7; 7 is about 1 cm.
DECIMALS = 7

WGS84 = 4326  # EPSG codes
RD_NEW = 28992


def rounded(lon: float, lat: float) -> tuple[float, float]:
    """(lon, lat) to DECIMALS places, as every output writes a position."""
    return round(float(lon), DECIMALS), round(float(lat), DECIMALS)


@functools.cache
def _geod() -> pyproj.Geod:
    return pyproj.Geod(ellps="WGS84")


@functools.cache
def _from_wgs84(epsg: int) -> pyproj.Transformer:
    """WGS84 lon/lat to `epsg`, x (east or lon) first whatever the CRS's own axis order."""
    return pyproj.Transformer.from_crs(f"EPSG:{WGS84}", f"EPSG:{epsg}", always_xy=True)


@functools.cache
def _crs(epsg: int) -> pyproj.CRS:
    return pyproj.CRS.from_epsg(epsg)


def epsg_code(text: str | int) -> int:
    """The EPSG code of `text` ("EPSG:28992", "epsg:28992" or "28992"): a horizontal 2D CRS, projected or
    geographic, that PROJ knows. ValueError, in one line, for anything else.

    >>> epsg_code("EPSG:28992"), epsg_code("4326")
    (28992, 4326)
    >>> epsg_code("EPSG:99999")
    Traceback (most recent call last):
    ValueError: unknown CRS 'EPSG:99999': give an EPSG code such as EPSG:28992 (RD New) or EPSG:4326 (WGS84)
    >>> epsg_code("EPSG:5709")
    Traceback (most recent call last):
    ValueError: CRS 'EPSG:5709' (NAP height) is not a 2D horizontal CRS: give a projected or geographic one
    """
    raw = str(text).strip()
    digits = raw[5:] if raw.upper().startswith("EPSG:") else raw
    unknown = ValueError(f"unknown CRS {raw!r}: give an EPSG code such as EPSG:{RD_NEW} (RD New) or "
                         f"EPSG:{WGS84} (WGS84)")
    if not digits.isascii() or not digits.isdigit():
        raise unknown
    try:
        crs = _crs(int(digits))
    except pyproj.exceptions.CRSError:
        raise unknown from None
    if len(crs.axis_info) != 2 or not (crs.is_projected or crs.is_geographic):
        raise ValueError(f"CRS {raw!r} ({crs.name}) is not a 2D horizontal CRS: give a projected or geographic one")
    return int(digits)


def crs_wkt(epsg: int) -> str:
    """The CRS as WKT, for writers that take a CRS definition (GDAL)."""
    return _crs(epsg).to_wkt()


def is_geographic(epsg: int) -> bool:
    """Whether `epsg` has degrees (lon/lat) rather than metres (x/y) as coordinates."""
    return bool(_crs(epsg).is_geographic)


def lonlat_to_crs(epsg: int, lon: np.ndarray | float, lat: np.ndarray | float) -> tuple[np.ndarray, np.ndarray]:
    """x, y in `epsg` (east first: x = lon in a geographic CRS) of WGS84 lon/lat; WGS84 itself is returned as is.

    >>> x, y = lonlat_to_crs(RD_NEW, [5.38720621], [52.15517440])
    >>> bool(abs(x[0] - 155000) < 1 and abs(y[0] - 463000) < 1)
    True
    """
    lon_a, lat_a = np.asarray(lon, dtype=np.float64), np.asarray(lat, dtype=np.float64)
    if epsg == WGS84:
        return lon_a, lat_a
    x, y = _from_wgs84(epsg).transform(lon_a, lat_a)
    return np.asarray(x), np.asarray(y)


def enu_to_lonlat(lon0: float, lat0: float, east: np.ndarray | float,
                  north: np.ndarray | float) -> tuple[np.ndarray, np.ndarray]:
    """WGS84 (lon, lat) of points `east`, `north` metres from (lon0, lat0).

    Each offset is walked as a geodesic (azimuth atan2(east, north), distance
    hypot(east, north)), exact on the ellipsoid for any distance. NaN offsets give NaN.

    >>> lon, lat = enu_to_lonlat(5.0, 52.0, [0.0, 0.0], [0.0, 111_000.0])
    >>> lon.round(7).tolist(), lat.round(3).tolist()
    ([5.0, 5.0], [52.0, 52.998])
    """
    e, n = np.broadcast_arrays(np.asarray(east, dtype=np.float64), np.asarray(north, dtype=np.float64))
    shape = e.shape
    e, n = e.ravel(), n.ravel()
    lon, lat = np.full(e.shape, np.nan), np.full(e.shape, np.nan)
    ok = np.isfinite(e) & np.isfinite(n)
    if ok.any():
        az = np.degrees(np.arctan2(e[ok], n[ok]))
        lon[ok], lat[ok], _ = _geod().fwd(np.full(ok.sum(), float(lon0)), np.full(ok.sum(), float(lat0)),
                                         az, np.hypot(e[ok], n[ok]))
    return lon.reshape(shape), lat.reshape(shape)


def lonlat_to_enu(lon0: float, lat0: float, lon: np.ndarray | float,
                  lat: np.ndarray | float) -> tuple[np.ndarray, np.ndarray]:
    """East/north metres of (lon, lat) from (lon0, lat0): the inverse of `enu_to_lonlat`.

    >>> e, n = lonlat_to_enu(5.0, 52.0, *enu_to_lonlat(5.0, 52.0, 100.0, 0.0))
    >>> round(float(e), 6), round(float(n), 6) + 0.0
    (100.0, 0.0)
    """
    lon_a, lat_a = np.broadcast_arrays(np.asarray(lon, dtype=np.float64), np.asarray(lat, dtype=np.float64))
    az, _, dist = _geod().inv(np.full(lon_a.size, float(lon0)), np.full(lon_a.size, float(lat0)),
                              lon_a.ravel(), lat_a.ravel())
    az, dist = np.radians(np.asarray(az)), np.asarray(dist)
    return (dist * np.sin(az)).reshape(lon_a.shape), (dist * np.cos(az)).reshape(lon_a.shape)


def ground_distance(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    """Geodesic distance in metres between two WGS84 points.

    >>> round(ground_distance(5.0, 52.0, 5.0, 53.0))
    111277
    """
    return float(_geod().inv(lon1, lat1, lon2, lat2)[2])


def lonlat_to_rd(lon: np.ndarray | float, lat: np.ndarray | float) -> tuple[np.ndarray | float, np.ndarray | float]:
    """RD New (EPSG:28992) x, y in metres of WGS84 lon/lat; scalars in, floats out.

    PROJ uses the grid-based RDNAPTRANS when its grid file is installed and a
    7-parameter Helmert otherwise, good to about a metre (enough for findings whose
    own uncertainty is metres). The Amersfoort reference point is (155000, 463000):

    >>> x, y = lonlat_to_rd(5.38720621, 52.15517440)
    >>> abs(x - 155000) < 1 and abs(y - 463000) < 1
    True
    """
    return _from_wgs84(RD_NEW).transform(lon, lat)
