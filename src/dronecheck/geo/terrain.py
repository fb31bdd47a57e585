"""Cast pixel rays onto a terrain model: the first place each ray meets the ground.

Pure math on a `Terrain` (a DEM window in a local east/north frame, see ingest.dem). Heights
are absolute, in the DEM's vertical datum (NAP for AHN): the camera is at the take-off ground
height plus the drone's relative altitude. Between cell centres the ground is bilinear, so a
sloping plane in the DEM is a plane here and a step is a ramp one cell wide.
"""

from __future__ import annotations

import math

import numpy as np

from dronecheck.types import Pose, Terrain

# The DEM under the flight's first photo is taken as the take-off height unless the drone's own
# absolute altitude minus its relative altitude says otherwise by more than this: about twice the
# vertical error of a GNSS altitude without RTK, and more than the ground rises or falls between
# a take-off spot and the first photo of most flights.
TAKEOFF_TOLERANCE_M = 5.0
# 1-sigma errors of the take-off height (assumptions, as in georef): a lidar DEM such as AHN is good
# to a decimetre, but the take-off spot is not exactly under the first photo; a GNSS altitude without
# RTK is good to a few metres.
DEM_SIGMA_M = 0.5
GNSS_VERTICAL_SIGMA_M = 3.0
# Bisection stops when the crossing is pinned to this length along the ray (within 1 cm, with margin).
BISECT_M = 0.004

# Why a ray has no ground point on the terrain (0: it has one).
HIT, LEFT, NODATA, ABOVE, BELOW = 0, 1, 2, 3, 4
MISSES = {LEFT: "leaves the DEM window", NODATA: "meets a gap (no data) in the DEM",
          ABOVE: "never comes down to the DEM", BELOW: "starts below the DEM surface (camera under the ground?)"}


def takeoff_height(dem_m: float | None, pose: Pose) -> tuple[float | None, float, str]:
    """The ground height at take-off in the DEM's datum, its 1-sigma error, and how it was found.

    `dem_m` is the DEM under the flight's first photo, `pose` that photo's pose. The drone's
    relative altitude is above its take-off point, and a drone usually climbs straight up to its
    first photo, so the DEM there stands for the take-off height. Its absolute altitude minus the
    relative one is the same height as the drone knows it: when the two disagree by more than
    TAKEOFF_TOLERANCE_M, the first photo was not above the take-off point (or the DEM is of another
    place), and the drone's own figure is used.

    >>> takeoff_height(3.2, Pose(altitude_abs_m=49.0, altitude_rel_m=45.0))[:2]
    (3.2, 0.5)
    >>> takeoff_height(3.2, Pose(altitude_abs_m=60.0, altitude_rel_m=45.0))[:2]
    (15.0, 3.0)
    """
    rel, absolute = pose.altitude_rel_m, pose.altitude_abs_m
    own = None if rel is None or absolute is None else absolute - rel
    if dem_m is None or not math.isfinite(dem_m):
        if own is None:
            return None, 0.0, "no DEM height under the first photo and no absolute altitude: DEM not used"
        return own, GNSS_VERTICAL_SIGMA_M, (f"take-off height {own:.2f} m from the drone's absolute altitude "
                                            "(no DEM height under the first photo)")
    if own is None:
        return dem_m, DEM_SIGMA_M, f"take-off height {dem_m:.2f} m from the DEM under the first photo (unchecked)"
    gap = own - dem_m
    if abs(gap) > TAKEOFF_TOLERANCE_M:
        return own, GNSS_VERTICAL_SIGMA_M, (
            f"take-off height {own:.2f} m from the drone's absolute altitude: the DEM under the first photo "
            f"({dem_m:.2f} m) differs by {gap:+.1f} m (more than {TAKEOFF_TOLERANCE_M:g} m)")
    return dem_m, DEM_SIGMA_M, (f"take-off height {dem_m:.2f} m from the DEM under the first photo "
                                f"(absolute altitude agrees to {gap:+.1f} m)")


def _grid(terrain: Terrain, east: np.ndarray, north: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    a = terrain.to_grid
    return a[0, 0] * east + a[0, 1] * north + a[0, 2], a[1, 0] * east + a[1, 1] * north + a[1, 2]


def inside(terrain: Terrain, east: np.ndarray, north: np.ndarray) -> np.ndarray:
    """Whether each point lies between the window's outer cell centres (where heights can be interpolated)."""
    col, row = _grid(terrain, np.asarray(east, dtype=np.float64), np.asarray(north, dtype=np.float64))
    rows, cols = terrain.heights.shape
    return (col >= 0) & (col <= cols - 1) & (row >= 0) & (row <= rows - 1)


def heights_at(terrain: Terrain, east: np.ndarray | float, north: np.ndarray | float) -> np.ndarray:
    """Bilinear ground heights at local (east, north); NaN outside the window or next to a no-data cell.

    >>> t = Terrain(5.0, 52.0, np.array([[0.0, 1.0], [2.0, 3.0]]), np.array([[1.0, 0, 0.5], [0, -1.0, 0.5]]), 1.0)
    >>> heights_at(t, [0.0, 0.5, 9.0], [0.0, 0.5, 0.0]).tolist()
    [1.5, 1.0, nan]
    """
    e, n = np.broadcast_arrays(np.asarray(east, dtype=np.float64), np.asarray(north, dtype=np.float64))
    col, row = _grid(terrain, e, n)
    h = terrain.heights
    rows, cols = h.shape
    c0 = np.clip(np.floor(np.where(np.isfinite(col), col, 0.0)), 0, cols - 2).astype(np.intp)
    r0 = np.clip(np.floor(np.where(np.isfinite(row), row, 0.0)), 0, rows - 2).astype(np.intp)
    fc, fr = col - c0, row - r0
    z = ((1 - fr) * ((1 - fc) * h[r0, c0] + fc * h[r0, c0 + 1])
         + fr * ((1 - fc) * h[r0 + 1, c0] + fc * h[r0 + 1, c0 + 1]))
    return np.where(inside(terrain, e, n), z, np.nan)


def _reach(terrain: Terrain) -> float:
    """The farthest horizontal distance from the camera to a corner of the window's interpolable part."""
    rows, cols = terrain.heights.shape
    a = terrain.to_grid
    corners = np.array([[0, 0], [cols - 1, 0], [0, rows - 1], [cols - 1, rows - 1]], dtype=np.float64)
    enu = np.linalg.solve(a[:, :2], (corners - a[:, 2]).T).T
    return float(np.hypot(enu[:, 0], enu[:, 1]).max())


def march(terrain: Terrain, camera_z: float, rays: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """East/north (n, 2) where each ENU ray (n, 3) from the camera first meets the terrain, and why not.

    The camera is at (0, 0, `camera_z`) in the terrain's frame and datum. Each ray is sampled in
    steps of at most one DEM cell, from where it comes down to the window's highest height to where
    it passes below its lowest or leaves the window; the first step that ends below the ground is
    refined by bisection to BISECT_M along the ray. The second array gives, per ray, HIT or the
    reason in MISSES (its row of the first array is then NaN): a gap or the window's edge before
    the first crossing is a miss, as is a camera already under the ground.
    """
    d = np.asarray(rays, dtype=np.float64).reshape(-1, 3)
    d = d / np.linalg.norm(d, axis=1, keepdims=True)
    out, why = np.full((len(d), 2), np.nan), np.full(len(d), ABOVE)
    valid = terrain.heights[np.isfinite(terrain.heights)]
    if not valid.size:
        why[:] = NODATA
        return out, why
    top, bottom, step = float(valid.max()), float(valid.min()), terrain.cell_m
    ground_here = float(heights_at(terrain, 0.0, 0.0))
    if ground_here > camera_z:
        why[:] = BELOW
        return out, why
    horizontal = np.hypot(d[:, 0], d[:, 1])
    with np.errstate(divide="ignore", invalid="ignore"):
        t_edge = np.where(horizontal > 0, (_reach(terrain) + step) / horizontal, np.inf)
        t_top = np.where(d[:, 2] < 0, (camera_z - top) / -d[:, 2], 0.0)
        t_bottom = np.where(d[:, 2] < 0, (camera_z - bottom) / -d[:, 2], np.inf)
    t0 = np.maximum(t_top - step, 0.0)
    t1 = np.minimum(t_bottom + step, t_edge)
    todo = np.flatnonzero(((top > camera_z) | (d[:, 2] < 0)) & np.isfinite(t1))
    if todo.size:
        out[todo], why[todo] = _march_many(terrain, camera_z, d[todo], t0[todo], t1[todo], step)
    return out, why


def _height_above(terrain: Terrain, camera_z: float, d: np.ndarray, t: np.ndarray) -> np.ndarray:
    """The height above the ground of rays `d` (n, 3) at lengths `t` (n, m) along them."""
    return camera_z + t * d[:, 2:3] - heights_at(terrain, t * d[:, 0:1], t * d[:, 1:2])


def _march_many(terrain: Terrain, camera_z: float, d: np.ndarray, t0: np.ndarray, t1: np.ndarray,
                step: float) -> tuple[np.ndarray, np.ndarray]:
    """`march` for rays that can meet the ground, all at once: samples (rays x steps), then bisection."""
    counts = np.maximum(2, np.ceil(np.maximum(t1 - t0, 0.0) / step).astype(np.intp) + 1)
    i = np.arange(int(counts.max()))
    t = t0[:, None] + (t1 - t0)[:, None] * np.minimum(i / (counts - 1)[:, None], 1.0)
    above = _height_above(terrain, camera_z, d, t)
    down = ~(above > 0) & (i < counts[:, None])  # at or below the ground, or no height there
    k = np.where(down.any(axis=1), down.argmax(axis=1), -1)
    rows = np.arange(len(d))
    why = np.full(len(d), LEFT)
    found = k >= 0
    at = t[rows, np.maximum(k, 0)]
    finite = np.isfinite(above[rows, np.maximum(k, 0)])
    gone = ~inside(terrain, at * d[:, 0], at * d[:, 1])
    why[found & ~finite] = np.where(gone, LEFT, NODATA)[found & ~finite]
    hit = found & finite
    why[hit] = HIT
    lo = np.where(hit & (k > 0), t[rows, np.maximum(k - 1, 0)], at)  # k == 0: the camera is on the ground
    hi = at.copy()
    while np.any(hi[hit] - lo[hit] > BISECT_M):
        mid = 0.5 * (lo + hi)
        up = _height_above(terrain, camera_z, d, mid[:, None])[:, 0] > 0
        lo, hi = np.where(up, mid, lo), np.where(up, hi, mid)
    t_hit = 0.5 * (lo + hi)
    out = np.where(hit[:, None], np.column_stack([t_hit * d[:, 0], t_hit * d[:, 1]]), np.nan)
    return out, why
