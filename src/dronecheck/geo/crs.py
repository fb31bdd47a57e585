"""Coordinate reference systems: local ENU offsets to WGS84, WGS84 to RD New.

pyproj objects are made on first use (and cached), never at import.
"""

from __future__ import annotations

import functools

import numpy as np
import pyproj

# Decimals of a WGS84 degree kept in positions and files: RFC 7946 advises 6-7; 7 is about 1 cm.
DECIMALS = 7


@functools.cache
def _geod() -> pyproj.Geod:
    return pyproj.Geod(ellps="WGS84")


@functools.cache
def _to_rd() -> pyproj.Transformer:
    return pyproj.Transformer.from_crs("EPSG:4326", "EPSG:28992", always_xy=True)


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
    return _to_rd().transform(lon, lat)
