"""Orthomosaics: georeferenced GeoTIFFs (OpenDroneMap, Pix4D) read window by window, never whole.

A `.tif` with a CRS and a geotransform is a map, not a photo: `open_mosaic` says so and what
its grid is. `read_windows` reads the windows the caller planned (`MosaicWindow`: where in the
raster, and at how many pixels to hand on), each resampled by GDAL as it is read (overviews
used where the file has them), and yields each as a `Frame` whose `grid` places its pixels on
the map. Windows with no valid pixel (nodata, alpha 0, outside the mosaic's footprint) are
passed over. GDAL's block cache is capped (CACHE_MB), so memory stays flat however large the file.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import rasterio
from rasterio.enums import Resampling
from rasterio.errors import NotGeoreferencedWarning, RasterioError
from rasterio.windows import Window

from dronecheck.errors import BadInputError
from dronecheck.ingest.discover import not_regular, utf8_name
from dronecheck.ingest.video import frame_sha256
from dronecheck.types import Camera, Frame, MapGrid, Pose

MOSAIC_SUFFIXES = {".tif", ".tiff"}
IDENTITY = (1.0, 0.0, 0.0, 0.0, 1.0, 0.0)  # the transform GDAL gives a raster without one
CACHE_MB = 64  # GDAL's block cache (its default is 5% of the machine's memory, which a large mosaic fills)


@dataclass(frozen=True)
class Mosaic:
    """What a georeferenced raster is: its size in pixels and its grid on the map."""

    path: Path
    width: int
    height: int
    grid: MapGrid  # of the whole raster
    dtype: str  # of its bands: "uint8", or one that is stretched to 8 bits


@dataclass(frozen=True)
class MosaicWindow:
    """One window to read: raster pixels (col, row, width, height), handed on as out_width x out_height.

    `keep` (x0, y0, x1, y1 in the handed-on pixels, infinite at the raster's borders) is the part of the
    window whose detections are its own: where windows overlap, the rest belongs to the neighbour.
    """

    index: int
    col: int
    row: int
    width: int
    height: int
    out_width: int
    out_height: int
    keep: tuple[float, float, float, float]


def _crs_text(crs: rasterio.crs.CRS) -> str:
    epsg = crs.to_epsg()
    return f"EPSG:{epsg}" if epsg else crs.to_wkt()


def open_mosaic(path: Path) -> Mosaic | None:
    """The raster at `path` when it is a georeferenced TIFF (a CRS and a geotransform), else None.

    None too for what GDAL cannot open, a special file or a name that is not UTF-8: the photo
    reader then scans it, or says why it cannot.
    """
    if path.suffix.lower() not in MOSAIC_SUFFIXES or not_regular(path) or not utf8_name(path):
        return None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", NotGeoreferencedWarning)
            with rasterio.Env(GDAL_CACHEMAX=CACHE_MB), rasterio.open(path) as ds:
                if ds.crs is None or tuple(ds.transform)[:6] == IDENTITY:
                    return None
                grid = MapGrid(tuple(ds.transform)[:6], _crs_text(ds.crs))
                return Mosaic(path, ds.width, ds.height, grid, ds.dtypes[0])
    except (RasterioError, OSError):
        return None


def split_mosaics(photos: Iterable[Path]) -> tuple[list[Path], list[Path]]:
    """The files found as photos split into photos and orthomosaics (georeferenced TIFFs)."""
    found: tuple[list[Path], list[Path]] = ([], [])
    for path in photos:
        found[open_mosaic(path) is not None].append(path)
    return found


def _rgb(ds: rasterio.DatasetReader) -> list[int]:
    """Bands 1-3 (R, G, B) of a colour raster, band 1 three times of a grey one; alpha is read as the mask."""
    return [1, 2, 3] if ds.count >= 3 else [1, 1, 1]


def _to_uint8(data: np.ndarray, valid: np.ndarray) -> np.ndarray:
    """(bands, H, W) of any type to (H, W, 3) uint8; 16-bit and float stretched from the window's valid minimum
    to its maximum, as photos.load_pixels does a photo (NaN and nodata left out, and made 0)."""
    if data.dtype == np.uint8:
        return np.moveaxis(data, 0, -1).copy()
    out = np.zeros((*data.shape[1:], 3), np.uint8)
    inside = data[:, valid]
    finite = inside[np.isfinite(inside)] if inside.dtype.kind == "f" else inside
    if not finite.size:
        return out
    low, high = float(finite.min()), float(finite.max())
    factor = 255.0 / ((high - low) or 1.0)
    for band in range(3):  # one band at a time: a float copy of the whole window would be 4x its bytes
        stretched = (data[band].astype(np.float32) - low) * factor
        out[..., band] = np.nan_to_num(np.clip(np.round(stretched), 0, 255))
    return out


def _read(ds: rasterio.DatasetReader, w: MosaicWindow) -> np.ndarray | None:
    """The window's RGB pixels at its out size, or None when none of them is valid."""
    window = Window(w.col, w.row, w.width, w.height)
    shape = (w.out_height, w.out_width)
    valid = ds.dataset_mask(window=window, out_shape=shape) > 0
    if not valid.any():
        return None
    shrink = w.out_width < w.width
    resampling = Resampling.average if shrink else Resampling.bilinear if w.out_width > w.width else Resampling.nearest
    data = ds.read(_rgb(ds), window=window, out_shape=(3, *shape), resampling=resampling)
    pixels = _to_uint8(data, valid)
    pixels[~valid] = 0
    return pixels


def window_frame(mosaic: Mosaic, mosaic_sha256: str, w: MosaicWindow) -> Frame:
    """The `Frame` of window `w` (before its pixels are read): its grid is the raster's moved to the window
    and scaled to the out size; its sha256 is the mosaic's and the window's number, as a video frame's."""
    a, b, c, d, e, f = mosaic.grid.transform
    sx, sy = w.width / w.out_width, w.height / w.out_height
    window = (a * sx, b * sy, a * w.col + b * w.row + c, d * sx, e * sy, d * w.col + e * w.row + f)
    notes = () if mosaic.dtype == "uint8" else (f"{mosaic.dtype} orthomosaic: window stretched to 8 bits from its "
                                                "own minimum to its maximum",)
    return Frame(path=mosaic.path, sha256=frame_sha256(mosaic_sha256, w.index),
                 camera=Camera(w.out_width, w.out_height), pose=Pose(), frame_index=w.index, notes=notes,
                 grid=MapGrid(window, mosaic.grid.crs))


def read_windows(mosaic: Mosaic, sha256: str, windows: Iterable[MosaicWindow],
                 skip: frozenset[str] = frozenset()) -> Iterator[tuple[MosaicWindow, Frame, np.ndarray]]:
    """(window, Frame, RGB pixels) of each window with valid pixels, read lazily in order; windows whose frame
    sha256 is in `skip` (done before a kill) are not read at all. BadInputError when GDAL cannot read one."""
    try:
        with rasterio.Env(GDAL_CACHEMAX=CACHE_MB), rasterio.open(mosaic.path) as ds:
            for w in windows:
                frame = window_frame(mosaic, sha256, w)
                if frame.sha256 in skip:
                    continue
                pixels = _read(ds, w)
                if pixels is not None:
                    yield w, frame, pixels
    except (RasterioError, OSError) as exc:
        raise BadInputError(mosaic.path, f"cannot read the orthomosaic ({exc})") from None
