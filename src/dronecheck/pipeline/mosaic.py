"""Orthomosaics through the scan: which windows of a mosaic to read, at what resolution, and which detections
each window keeps.

A mosaic is cut into windows of WINDOW_TILES x WINDOW_TILES of the model's tiles, read at the
resolution the model wants: a tile is `imgsz` pixels handed on, covering what `tile_size_for`
gives for the mosaic's ground resolution and the profile's `target_gsd_cm` (else the profile's
`tile_size`, else `imgsz` raster pixels as they are). Inside a window the detector tiles and
merges as it does a photo (detect/tiling.py: duplicates and the pieces of a cut object joined).
Neighbouring windows overlap by one tile overlap, as tiles do; each window keeps only the boxes
whose centre lies on its side of the middle of that overlap, so an object that one window's tile
and the next window's tile both see whole is found once. An object longer than the overlap that
crosses a window border comes out as two pieces, one from each window: the price of never holding
more than a window of the mosaic (tile borders inside a window join such pieces).
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from dronecheck.detect.tiling import tile_size_for, tile_starts, tile_step
from dronecheck.geo.grid import grid_gsd
from dronecheck.ingest.ortho import Mosaic, MosaicWindow, open_mosaic
from dronecheck.profiles import Profile
from dronecheck.types import Detections

# 3 x 3 tiles a window: at imgsz 1280 a window is 3328 pixels a side, 33 MB of RGB; a larger one
# saves few window borders and costs memory in every read-ahead slot.
WINDOW_TILES = 3


def raster_tile_px(profile: Profile, gsd_m: float) -> float:
    """Raster pixels one model tile covers: the profile's target ground resolution, else its tile size, else imgsz.

    >>> from pathlib import Path
    >>> raster_tile_px(Profile("p", "", Path("w.pt"), ("a",), imgsz=640, target_gsd_cm=1.0), 0.005)
    1280
    >>> raster_tile_px(Profile("p", "", Path("w.pt"), ("a",), imgsz=1280), 0.005)
    1280
    """
    if profile.target_gsd_cm:
        return tile_size_for(gsd_m, profile.target_gsd_cm, profile.imgsz)
    return profile.tile_size or profile.imgsz


def _spans(length: int, size: int, stride: int) -> list[tuple[int, int, float, float]]:
    """(start, end, keep from, keep to) of windows of `size` raster pixels every `stride` along one side; the
    last ends at the border. Each keeps up to the middle of its overlaps with its neighbours.

    >>> _spans(100, 40, 30)
    [(0, 40, -inf, 35.0), (30, 70, 35.0, 65.0), (60, 100, 65.0, inf)]
    """
    starts = tile_starts(length, size, stride)
    ends = [min(start + size, length) for start in starts]
    cuts = [-math.inf] + [(starts[i + 1] + ends[i]) / 2 for i in range(len(starts) - 1)] + [math.inf]
    return [(start, end, cuts[i], cuts[i + 1]) for i, (start, end) in enumerate(zip(starts, ends, strict=True))]


def plan_windows(profile: Profile, mosaic: Mosaic) -> list[MosaicWindow]:
    """The windows that cover `mosaic`, row by row, each to be read so that its tiles of `imgsz` pixels have the
    ground resolution the model wants (see the module's docstring)."""
    gsd = grid_gsd(mosaic.grid, mosaic.width / 2, mosaic.height / 2)
    scale = profile.imgsz / raster_tile_px(profile, gsd)  # pixels handed on per raster pixel
    step = tile_step(profile.imgsz, profile.tile_overlap)  # as the model's tiles step
    side = profile.imgsz + (WINDOW_TILES - 1) * step
    side_r, stride_r = max(1, round(side / scale)), max(1, round(WINDOW_TILES * step / scale))
    windows = []
    for row, row_end, keep_y0, keep_y1 in _spans(mosaic.height, side_r, stride_r):
        for col, col_end, keep_x0, keep_x1 in _spans(mosaic.width, side_r, stride_r):
            width, height = col_end - col, row_end - row
            out_w = side if width == side_r else max(1, round(width * scale))
            out_h = side if height == side_r else max(1, round(height * scale))
            sx, sy = out_w / width, out_h / height
            keep = ((keep_x0 - col) * sx, (keep_y0 - row) * sy, (keep_x1 - col) * sx, (keep_y1 - row) * sy)
            windows.append(MosaicWindow(len(windows), col, row, width, height, out_w, out_h, keep))
    return windows


def window_count(path: Path, profile: Profile) -> int | None:
    """How many windows the scan cuts the mosaic at `path` into, for the progress bar; None when it cannot tell."""
    mosaic = open_mosaic(path)
    return None if mosaic is None else len(plan_windows(profile, mosaic))


def owned(dets: Detections, keep: tuple[float, float, float, float] | None) -> Detections:
    """The detections whose box centre lies in `keep` (x0 <= x < x1, y0 <= y < y1): a window's own; all when None.

    >>> owned(Detections([[0, 0, 10, 10], [30, 0, 50, 10]], [0.9, 0.8], [0, 0]), (-math.inf, 0, 35, 100)).xyxy.tolist()
    [[0.0, 0.0, 10.0, 10.0]]
    """
    if keep is None or not len(dets):
        return dets
    cx, cy = (dets.xyxy[:, 0] + dets.xyxy[:, 2]) / 2, (dets.xyxy[:, 1] + dets.xyxy[:, 3]) / 2
    x0, y0, x1, y1 = keep
    return dets[np.flatnonzero((cx >= x0) & (cx < x1) & (cy >= y0) & (cy < y1))]
