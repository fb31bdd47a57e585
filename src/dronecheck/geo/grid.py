"""Place detections on a map image (a window of an orthomosaic): pixel -> the raster's CRS -> WGS84.

An orthomosaic has no camera to cast rays from: its pixels already lie on a map grid, given by
the affine transform of the window (`MapGrid`). A pixel goes through that transform into the
raster's CRS, then through pyproj into WGS84. Sizes on the ground (box width and length, the
ground sampling distance) are measured as geodesic offsets of the transformed points from the
box centre, so a geographic CRS (degrees) and a projected one (metres, feet) give metres alike.

pyproj transformers are made on first use (and cached), never at import.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence

import numpy as np
import pyproj

from dronecheck.geo.crs import lonlat_to_enu, rounded
from dronecheck.geo.project import box_corners, signed_area
from dronecheck.types import Detections, Finding, Frame, MapGrid

METHOD = "orthomosaic"
# What the mosaic's georeferencing is worth is the photogrammetry's business (ground control, RTK);
# GeoTIFFs from OpenDroneMap and Pix4D do not carry it, so no uncertainty is invented.
NOTE = "placed through the orthomosaic's georeferencing ({crs}); its accuracy is not in the file: uncertainty unknown"


@functools.cache
def _to_wgs84(crs: str) -> pyproj.Transformer:
    return pyproj.Transformer.from_crs(pyproj.CRS.from_user_input(crs), "EPSG:4326", always_xy=True)


def to_map(grid: MapGrid, pixels: np.ndarray) -> np.ndarray:
    """(x, y) rows in the grid's CRS of pixel (u, v) rows; (0, 0) is the top left corner of the top left pixel.

    >>> to_map(MapGrid((0.5, 0.0, 1000.0, 0.0, -0.5, 2000.0), "EPSG:28992"), np.array([[10.0, 4.0]])).tolist()
    [[1005.0, 1998.0]]
    """
    a, b, c, d, e, f = grid.transform
    uv = np.asarray(pixels, dtype=np.float64).reshape(-1, 2)
    return np.column_stack([a * uv[:, 0] + b * uv[:, 1] + c, d * uv[:, 0] + e * uv[:, 1] + f])


def to_lonlat(grid: MapGrid, pixels: np.ndarray) -> np.ndarray:
    """WGS84 (lon, lat) rows of pixel (u, v) rows of the grid.

    >>> grid = MapGrid((0.5, 0.0, 155000.0, 0.0, -0.5, 463000.0), "EPSG:28992")  # the Amersfoort point
    >>> to_lonlat(grid, np.array([[0.0, 0.0]])).round(3).tolist()
    [[5.387, 52.155]]
    """
    xy = to_map(grid, pixels)
    lon, lat = _to_wgs84(grid.crs).transform(xy[:, 0], xy[:, 1])
    return np.column_stack([lon, lat])


def _enu(grid: MapGrid, origin: np.ndarray, pixels: np.ndarray) -> np.ndarray:
    """East/north metres (n, 2) of the ground at `pixels` from the ground at pixel `origin`."""
    (lon0, lat0), lonlat = to_lonlat(grid, origin)[0], to_lonlat(grid, pixels)
    east, north = lonlat_to_enu(lon0, lat0, lonlat[:, 0], lonlat[:, 1])
    return np.column_stack([east, north])


def grid_gsd(grid: MapGrid, u: float, v: float) -> float:
    """Ground metres per pixel at pixel (u, v): the geometric mean of one pixel's step right and down.

    >>> round(grid_gsd(MapGrid((0.02, 0.0, 155000.0, 0.0, -0.02, 463000.0), "EPSG:28992"), 0, 0), 5)
    0.02
    >>> round(grid_gsd(MapGrid((1e-6, 0.0, 5.0, 0.0, -1e-6, 52.0), "EPSG:4326"), 0, 0), 4)  # degrees to metres
    0.0874
    """
    steps = _enu(grid, np.array([[u, v]]), np.array([[u + 1.0, v], [u, v + 1.0]]))
    return float(math.sqrt(np.hypot(*steps[0]) * np.hypot(*steps[1])))


def _footprint(grid: MapGrid, box: np.ndarray) -> tuple[tuple[tuple[float, float], ...], float, float]:
    """The box's corners on the map as a closed counter-clockwise WGS84 ring, and its width and length in metres."""
    x0, y0, x1, y1 = box
    corners = box_corners(box)
    enu = _enu(grid, np.array([[(x0 + x1) / 2, (y0 + y1) / 2]]), corners)
    sides = np.hypot(*(enu[[0, 3, 1, 0]] - enu[[1, 2, 2, 3]]).T)  # 0-1 and 3-2 along the rows, 1-2 and 0-3 down
    across, down = float(sides[:2].mean()), float(sides[2:].mean())
    if signed_area(enu) < 0:  # RFC 7946: exterior rings counter-clockwise
        corners = corners[::-1]
    ring = [rounded(lon, lat) for lon, lat in to_lonlat(grid, corners)]
    return (*ring, ring[0]), min(across, down), max(across, down)


def place_on_grid(frame: Frame, detections: Detections, class_names: Sequence[str],
                  finding_ids: Sequence[str]) -> list[Finding]:
    """One `Finding` per detection of a map-image frame (`frame.grid` set): method "orthomosaic".

    The point is the box centre through the grid, the footprint the box's corners, `gsd_m` the
    ground step of a pixel at the centre; `uncertainty_m` is None (see NOTE).

    >>> from pathlib import Path
    >>> from dronecheck.types import Camera, Pose
    >>> grid = MapGrid((0.5, 0.0, 155000.0, 0.0, -0.5, 463000.0), "EPSG:28992")
    >>> frame = Frame(Path("ortho.tif"), "0", Camera(100, 100), Pose(), frame_index=0, grid=grid)
    >>> [f] = place_on_grid(frame, Detections([[0, 0, 10, 4]], [0.9], [0]), ["crack"], ["f1"])
    >>> f.method, round(f.gsd_m, 3), round(f.width_m, 3), round(f.length_m, 3), f.uncertainty_m
    ('orthomosaic', 0.5, 2.0, 5.0, None)
    """
    if frame.grid is None:
        raise ValueError(f"{frame.name} is not a map image: it has no grid")
    grid, note = frame.grid, NOTE.format(crs=frame.grid.crs if len(frame.grid.crs) < 40 else "its CRS")
    findings = []
    for fid, box, score, cid, name in detections.named(class_names, finding_ids):
        u, v = (box[0] + box[2]) / 2.0, (box[1] + box[3]) / 2.0
        footprint, width, length = _footprint(grid, box)
        findings.append(Finding(
            id=fid, frame=frame, class_id=cid, class_name=name, score=score,
            box_px=(float(box[0]), float(box[1]), float(box[2]), float(box[3])), method=METHOD,
            point=rounded(*to_lonlat(grid, np.array([[u, v]]))[0]), footprint=footprint,
            gsd_m=grid_gsd(grid, u, v), width_m=width, length_m=length, note=note))
    return findings
