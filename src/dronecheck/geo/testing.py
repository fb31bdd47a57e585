"""An assertion for tests of georeferencing, ours and a user's: two ground points within a tolerance."""

from __future__ import annotations

from dronecheck.geo.crs import ground_distance


def assert_ground_close(a: tuple[float, float] | None, b: tuple[float, float] | None, tol_m: float = 0.01) -> None:
    """Assert WGS84 points `a` and `b` (lon, lat) lie within `tol_m` metres on the ellipsoid.

    >>> assert_ground_close((5.0, 52.0), (5.0, 52.00000005))
    >>> assert_ground_close((5.0, 52.0), (5.0, 52.00001))
    Traceback (most recent call last):
    AssertionError: (5.0, 52.0) and (5.0, 52.00001) are 1.11 m apart (tolerance 0.01 m)
    """
    if a is None or b is None:
        raise AssertionError(f"expected two points, got {a} and {b}")
    d = ground_distance(a[0], a[1], b[0], b[1])
    if not d <= tol_m:
        raise AssertionError(f"{a} and {b} are {d:.2f} m apart (tolerance {tol_m:g} m)")
