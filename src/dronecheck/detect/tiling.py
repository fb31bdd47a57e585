"""Tiled detection for photos much larger than the model's input: a thin crack in a 20 MP
photo disappears when the photo is shrunk to 640 pixels.

Tiles are views into the decoded photo (no copies). The tiles of all photos of a batch go
to the model together, in chunks of `batch` tiles of one shape, so the model can run them
as one stacked tensor. Boxes come back to photo coordinates and are merged across tile
borders: class-wise NMS for an object seen whole by two tiles, then joining of the pieces
of an object that a tile border cut in two (long thin cracks are cut often).

Nothing here knows the model: `predict` is any callable from tiles to `Detections`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from itertools import groupby

import numpy as np

from dronecheck.types import Detections

Predict = Callable[[list[np.ndarray], int], list[Detections]]
"""Detect in tiles of one shape, cut at a tile size (photo pixels); boxes in tile pixels."""
PredictWhole = Callable[[list[np.ndarray]], list[Detections]]
"""Detect in whole photos; boxes in photo pixels."""

EDGE = 0.02  # a box within this fraction of a tile's side from its border was cut by that border
JOIN_IOS = 0.5  # a cut piece inside another tile's box by this much (intersection over smaller) is that box
_OPPOSITE = [2, 3, 0, 1]  # sides are ordered left, top, right, bottom


def tile_size_for(gsd_m_per_px: float, target_gsd_cm: float, imgsz: int) -> int:
    """Tile size in photo pixels that puts the photo at the ground resolution the model was trained at.

    A tile of this size, resized to `imgsz`, has `target_gsd_cm` centimetres of ground per
    model pixel. A photo sharper than the target gets bigger tiles (shrunk to imgsz), a
    coarser one smaller tiles (enlarged).

    >>> tile_size_for(0.005, 1.0, 640)  # 0.5 cm/px photo, model trained at 1 cm/px
    1280
    >>> tile_size_for(0.02, 1.0, 640)  # 2 cm/px photo: 320 px of it hold what the model saw in 640
    320
    >>> tile_size_for(0.0082, 1.0, 640)
    780
    """
    if gsd_m_per_px <= 0 or target_gsd_cm <= 0:
        raise ValueError(f"ground sampling distances must be > 0, got {gsd_m_per_px} m/px and {target_gsd_cm} cm/px")
    return max(32, round(imgsz * target_gsd_cm / 100 / gsd_m_per_px))


def tile_step(size: int, overlap: float) -> int:
    """Pixels from one tile's start to the next's, for tiles of `size` overlapping by `overlap`."""
    return max(1, int(size * (1 - overlap)))


def tile_starts(length: int, size: int, step: int) -> list[int]:
    """Where tiles of `size` every `step` pixels start along a side of `length`; the last ends at the border."""
    if length <= size:
        return [0]
    starts = list(range(0, length - size, step))
    return starts + [length - size]  # the last tile ends at the border


def tile_windows(width: int, height: int, size: int, overlap: float) -> np.ndarray:
    """Windows (x0, y0, x1, y1) of `size` pixels that cover the image, overlapping by `overlap`.

    >>> tile_windows(1280, 960, 640, 0.2).tolist()
    [[0, 0, 640, 640], [512, 0, 1152, 640], [640, 0, 1280, 640], [0, 320, 640, 960], [512, 320, 1152, 960], \
[640, 320, 1280, 960]]
    """
    step = tile_step(size, overlap)
    return np.array([[x, y, min(x + size, width), min(y + size, height)]
                     for y in tile_starts(height, size, step) for x in tile_starts(width, size, step)])


@dataclass(frozen=True)
class Tile:
    image: int  # index of the photo in the batch
    window: tuple[int, int, int, int]  # x0, y0, x1, y1 in photo pixels
    size: int  # the tile size it was cut at

    @property
    def key(self) -> tuple[int, int, int]:
        """Tiles with one key have one shape and one scale: they stack into one model input."""
        x0, y0, x1, y1 = self.window
        return (y1 - y0, x1 - x0, self.size)


def plan_tiles(shapes: Sequence[tuple[int, ...]], sizes: Sequence[int], overlap: float) -> list[Tile]:
    """Every tile of every photo (shape (H, W, ...)), photo `i` cut at `sizes[i]` pixels."""
    return [Tile(i, (int(x0), int(y0), int(x1), int(y1)), size)
            for i, (shape, size) in enumerate(zip(shapes, sizes, strict=True))
            for x0, y0, x1, y1 in tile_windows(shape[1], shape[0], size, overlap)]


def chunks(tiles: list[Tile], batch: int) -> Iterator[list[Tile]]:
    """Runs of at most `batch` tiles of one shape and scale, in a fixed order."""
    for _, same in groupby(sorted(tiles, key=lambda t: t.key), key=lambda t: t.key):
        run = list(same)
        for start in range(0, len(run), max(1, batch)):
            yield run[start:start + max(1, batch)]


def detect_tiled(images: list[np.ndarray], predict: Predict, *, sizes: Sequence[int], overlap: float, batch: int,
                 iou: float, whole: PredictWhole | None = None) -> list[Detections]:
    """Detections of each image, found tile by tile (and in the whole photo when `whole` is given), merged."""
    found: list[list[Detections]] = [[] for _ in images]
    for chunk in chunks(plan_tiles([im.shape for im in images], sizes, overlap), batch):
        views = [images[t.image][y0:y1, x0:x1] for t in chunk for x0, y0, x1, y1 in [t.window]]
        for tile, dets in zip(chunk, predict(views, chunk[0].size), strict=True):
            found[tile.image].append(placed(dets, tile.window))
    if whole is not None:
        for start in range(0, len(images), max(1, batch)):
            part = images[start:start + max(1, batch)]
            for i, (im, dets) in enumerate(zip(part, whole(part), strict=True), start):
                found[i].append(placed(dets, (0, 0, im.shape[1], im.shape[0])))
    return [merge_tiles(concat(parts), iou) for parts in found]


def placed(dets: Detections, window: tuple[int, int, int, int]) -> Detections:
    """Boxes of a tile moved to photo coordinates, each carrying the window it was seen through."""
    x0, y0 = window[:2]
    rows = np.tile(np.asarray(window, dtype=np.float64), (len(dets), 1))
    return Detections(dets.xyxy + np.array([x0, y0, x0, y0], dtype=np.float64), dets.confidence, dets.class_id,
                      {"window": rows})


def concat(parts: list[Detections]) -> Detections:
    """One `Detections` of all parts; `data` columns are kept when every part has them."""
    if not parts:
        return Detections.empty()
    keys = set.intersection(*(set(d.data) for d in parts))
    return Detections(np.concatenate([d.xyxy for d in parts]), np.concatenate([d.confidence for d in parts]),
                      np.concatenate([d.class_id for d in parts]),
                      {k: np.concatenate([d.data[k] for d in parts]) for k in keys})


def merge_tiles(dets: Detections, iou: float) -> Detections:
    """One box per object across tile borders: boxes of one object seen through different tiles
    (duplicates at IoU > `iou`, and pieces a tile border cut) become their union, with the best score.

    `dets.data["window"]` holds the window each box was seen through. Boxes from one window
    are never merged with each other: the model's own NMS already separated them. Unlike NMS
    followed by joining, merging first cannot keep a confident cut piece and drop the whole view.
    """
    if "window" not in dets.data or len(dets) < 2:
        return Detections(dets.xyxy, dets.confidence, dets.class_id)
    return join(dets, components(same_object(dets.xyxy, dets.class_id, dets.data["window"], iou)))


def pairwise(xyxy: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Intersection areas (n, n) and areas (n,) of boxes.

    >>> inter, area = pairwise(np.array([[0, 0, 10, 10], [5, 0, 15, 10]]))
    >>> inter.tolist(), area.tolist()
    ([[100.0, 50.0], [50.0, 100.0]], [100.0, 100.0])
    """
    inter = np.clip(_overlaps(xyxy), 0, None).prod(axis=2).astype(np.float64)
    area = np.clip(xyxy[:, 2:] - xyxy[:, :2], 0, None).prod(axis=1).astype(np.float64)
    return inter, area


def _overlaps(xyxy: np.ndarray) -> np.ndarray:
    """(n, n, 2): how far boxes i and j overlap along x and along y (negative: the gap between them)."""
    return np.minimum(xyxy[:, None, 2:], xyxy[None, :, 2:]) - np.maximum(xyxy[:, None, :2], xyxy[None, :, :2])


def same_object(xyxy: np.ndarray, classes: np.ndarray, windows: np.ndarray, iou: float, *, edge: float = EDGE,
                ios: float = JOIN_IOS) -> np.ndarray:
    """(n, n) bool: same-class boxes i and j, seen through different windows, show one object.

    A box is cut at a side of its window when it reaches that side and another window sees
    past it. Boxes are one object when

    - they overlap at IoU > `iou`: both tiles saw it whole (what NMS would suppress);
    - both were cut at facing sides (the left piece at its window's right border, the right
      piece at its window's left border) and they line up: they overlap along the border and
      meet across it; the object crosses the strip both windows see; or
    - one was cut at a side the other's window sees past, and it lies mostly inside the
      other box (intersection over the smaller area >= `ios`): it is a partial view.
    """
    tol = edge * (windows[:, 2:] - windows[:, :2])  # (n, 2) pixels, along x and y
    reach = np.abs(xyxy - windows) <= np.tile(tol, 2)  # (n, 4): box touches left, top, right, bottom
    sees = np.concatenate([windows[None, :, :2] < windows[:, None, :2],
                           windows[None, :, 2:] > windows[:, None, 2:]], axis=2)  # j's window past i's side
    cut = reach[:, None, :] & sees  # (n, n, 4): i cut at a side that j's window sees past
    over = _overlaps(xyxy)
    meets = np.stack([(over[..., 0] >= -tol[:, None, 0]) & (over[..., 1] > 0),
                      (over[..., 1] >= -tol[:, None, 1]) & (over[..., 0] > 0)], axis=2)[:, :, [0, 1, 0, 1]]
    facing = (cut & cut.transpose(1, 0, 2)[:, :, _OPPOSITE] & meets).any(axis=2)
    inter, area = pairwise(xyxy)
    duplicate = inter > iou * (area[:, None] + area[None, :] - inter)
    partial = (cut.any(axis=2) | cut.any(axis=2).T) & (inter >= ios * np.minimum(area[:, None], area[None, :]))
    other = (windows[:, None, :] != windows[None, :, :]).any(axis=2)
    return (classes[:, None] == classes[None, :]) & other & (duplicate | facing | (partial & (inter > 0)))


def components(links: np.ndarray) -> np.ndarray:
    """Label (n,) of each node's connected component, labelled by its lowest member.

    >>> components(np.array([[0, 1, 0, 0], [1, 0, 0, 0], [0, 0, 0, 1], [0, 0, 1, 0]], bool)).tolist()
    [0, 0, 2, 2]
    """
    parent = list(range(len(links)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for i, j in np.argwhere(np.triu(links, 1)):
        a, b = root(int(i)), root(int(j))
        parent[max(a, b)] = min(a, b)
    return np.array([root(i) for i in range(len(links))], dtype=np.int64)


def join(dets: Detections, labels: np.ndarray) -> Detections:
    """One box per label: the union of its boxes, the best score, the class of the group."""
    groups = np.unique(labels)
    xyxy = np.array([np.concatenate([dets.xyxy[labels == g, :2].min(0), dets.xyxy[labels == g, 2:].max(0)])
                     for g in groups])
    score = np.array([dets.confidence[labels == g].max() for g in groups])
    return Detections(xyxy, score, dets.class_id[groups])
