"""A GeoTIFF DEM (any CRS rasterio reads, e.g. AHN in EPSG:28992 or a DEM in EPSG:4326) read window by window.

The file is opened once per scan; for each frame only the window around its camera is read,
never the whole raster. A window comes back as a `Terrain`: the heights as stored (no data as
NaN) and one affine map from local east/north metres around the camera to the window's cells,
fitted to the DEM's CRS. rasterio is imported here only, and only when a DEM is opened.
"""

from __future__ import annotations

import math
from pathlib import Path
from types import TracebackType
from typing import Any

import numpy as np
import pyproj

from dronecheck.errors import BadInputError
from dronecheck.types import Terrain

# A window holds at most this many cells (32 MB of float64); a larger one is read averaged to fit.
MAX_CELLS = 4_000_000
# The affine map is fitted on a FIT x FIT grid of points across the window.
FIT = 5


class Dem:
    """An open DEM; use as a context manager, or call `close`."""

    def __init__(self, path: Path) -> None:
        import rasterio
        from rasterio.errors import RasterioError

        self.path = Path(path)
        try:
            self._ds = rasterio.open(self.path)
        except (RasterioError, OSError) as exc:
            raise BadInputError(self.path, f"cannot read the DEM ({exc})") from None
        problem = self._problem()
        if problem:
            self._ds.close()
            raise BadInputError(self.path, problem)
        crs = pyproj.CRS.from_wkt(self._ds.crs.to_wkt())
        self._to_dem = pyproj.Transformer.from_crs("EPSG:4326", crs.to_2d(), always_xy=True)
        self._geod = pyproj.Geod(ellps="WGS84")

    def _problem(self) -> str | None:
        ds = self._ds
        if ds.count < 1:
            return "the DEM has no raster band"
        if ds.crs is None:
            return "the DEM has no CRS (a GeoTIFF DEM must say which CRS its cells are in)"
        if ds.transform.is_identity:
            return "the DEM has no georeferencing (no geotransform)"
        return None

    @property
    def name(self) -> str:
        return self.path.name

    def close(self) -> None:
        self._ds.close()

    def __enter__(self) -> Dem:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self.close()

    def around(self, lon: float, lat: float, radius_m: float) -> tuple[Terrain | None, str | None]:
        """The DEM within `radius_m` of (lon, lat), or None and why (outside the DEM, unreadable)."""
        east, north = np.meshgrid(np.linspace(-radius_m, radius_m, FIT), np.linspace(-radius_m, radius_m, FIT))
        east, north = east.ravel(), north.ravel()
        p_lon, p_lat, _ = self._geod.fwd(np.full(east.size, lon), np.full(east.size, lat),
                                         np.degrees(np.arctan2(east, north)), np.hypot(east, north))
        x, y = self._to_dem.transform(p_lon, p_lat)
        if not (np.isfinite(x).all() and np.isfinite(y).all()):
            return None, f"the DEM's CRS does not reach ({lon:.6f}, {lat:.6f})"
        inv = ~self._ds.transform
        x, y = np.asarray(x), np.asarray(y)
        col, row = inv.a * x + inv.b * y + inv.c, inv.d * x + inv.e * y + inv.f  # continuous cell coordinates
        window = self._window(col, row)
        if window is None:
            return None, f"({lon:.6f}, {lat:.6f}) is outside the DEM"
        try:
            heights, scale = self._read(window)
        except Exception as exc:  # rasterio raises several kinds on a damaged block; the frame goes flat
            return None, f"the DEM window could not be read ({type(exc).__name__}: {exc})"
        (c0, r0), (sx, sy) = window[0], scale
        # Cell (j, i) of what was read has its centre at continuous (c0 + (j + 0.5) sx, r0 + (i + 0.5) sy).
        targets = np.column_stack([(col - c0) / sx - 0.5, (row - r0) / sy - 0.5])
        design = np.column_stack([east, north, np.ones(east.size)])
        to_grid = np.linalg.lstsq(design, targets, rcond=None)[0].T
        steps = np.linalg.inv(to_grid[:, :2])  # columns: the east/north metres of one cell step
        cell = float(np.hypot(steps[0], steps[1]).min())
        return Terrain(lon0=lon, lat0=lat, heights=heights, to_grid=to_grid, cell_m=cell, source=self.name), None

    def _window(self, col: np.ndarray, row: np.ndarray) -> tuple[tuple[int, int], tuple[int, int]] | None:
        """((col_off, row_off), (width, height)) around the points, a cell wider on each side for
        interpolation, cut to the raster; None when less than 2 x 2 cells are left."""
        c0 = max(math.floor(col.min()) - 1, 0)
        r0 = max(math.floor(row.min()) - 1, 0)
        c1 = min(math.ceil(col.max()) + 1, self._ds.width)
        r1 = min(math.ceil(row.max()) + 1, self._ds.height)
        if c1 - c0 < 2 or r1 - r0 < 2:
            return None
        return (c0, r0), (c1 - c0, r1 - r0)

    def _read(self, window: tuple[tuple[int, int], tuple[int, int]]) -> tuple[np.ndarray, tuple[float, float]]:
        """The window's heights (no data as NaN), averaged down when it has over MAX_CELLS cells, and the
        size of a cell read in cells of the file."""
        from rasterio.enums import Resampling
        from rasterio.windows import Window

        (c0, r0), (w, h) = window
        k = max(1, math.ceil(math.sqrt(w * h / MAX_CELLS)))
        shape = (max(2, math.ceil(h / k)), max(2, math.ceil(w / k)))
        options: dict[str, Any] = {"out_shape": shape, "resampling": Resampling.average} if k > 1 else {}
        data = self._ds.read(1, window=Window(c0, r0, w, h), masked=True, **options)
        heights = np.ma.filled(data.astype(np.float64), np.nan)
        heights[~np.isfinite(heights)] = np.nan
        return heights, (w / shape[1], h / shape[0])
