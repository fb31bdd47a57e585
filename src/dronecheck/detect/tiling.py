"""Tiled detection for photos much larger than the model's input: a thin crack in a 20 MP
photo disappears when the photo is shrunk to 640 pixels.

Tiles are views into the decoded photo (no copies); the tiles of all photos of a batch go
through the model together, in chunks of `batch`. Boxes come back to photo coordinates and
are merged across tile borders by the caller's `merge` (class-wise NMS).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from dronecheck.types import Detections

Predict = Callable[[list[np.ndarray]], list[Detections]]
Merge = Callable[[Detections], Detections]


def _starts(length: int, size: int, step: int) -> list[int]:
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
    step = max(1, int(size * (1 - overlap)))
    return np.array([[x, y, min(x + size, width), min(y + size, height)]
                     for y in _starts(height, size, step) for x in _starts(width, size, step)])


def detect_tiled(images: list[np.ndarray], predict: Predict, merge: Merge, *, size: int, overlap: float,
                 batch: int) -> list[Detections]:
    """Detections of each image, found tile by tile and merged."""
    tiles = [(i, w) for i, im in enumerate(images) for w in tile_windows(im.shape[1], im.shape[0], size, overlap)]
    found: list[list[Detections]] = [[] for _ in images]
    for start in range(0, len(tiles), batch):
        chunk = tiles[start:start + batch]
        views = [images[i][y0:y1, x0:x1] for i, (x0, y0, x1, y1) in chunk]
        for (i, (x0, y0, _, _)), dets in zip(chunk, predict(views), strict=True):
            shifted = dets.xyxy + np.array([x0, y0, x0, y0], dtype=np.float64)
            found[i].append(Detections(shifted, dets.confidence, dets.class_id))
    return [merge(concat(parts)) for parts in found]


def concat(parts: list[Detections]) -> Detections:
    if not parts:
        return Detections.empty()
    return Detections(np.concatenate([d.xyxy for d in parts]), np.concatenate([d.confidence for d in parts]),
                      np.concatenate([d.class_id for d in parts]))
