"""Tiling: windows cover the photo, boxes come back to photo coordinates, duplicates merge.

The detector here is a plain brightness threshold, so that the test is about tiling, not
about a model.
"""

from __future__ import annotations

import numpy as np
import pytest

from dronecheck.detect.tiling import detect_tiled, tile_windows
from dronecheck.detect.yolo import Detector
from dronecheck.types import Detections


def bright_box(tile: np.ndarray) -> Detections:
    ys, xs = np.nonzero(tile[..., 0] > 200)
    if len(xs) == 0:
        return Detections.empty()
    return Detections([[xs.min(), ys.min(), xs.max() + 1, ys.max() + 1]], [0.9], [0])


def threshold_predict(tiles: list[np.ndarray]) -> list[Detections]:
    return [bright_box(t) for t in tiles]


def merger(iou: float = 0.5) -> Detector:
    return Detector(weights=None, sha256="", device="cpu", class_names=("thing",), conf=0.25, iou=iou,  # type: ignore[arg-type]
                    imgsz=640, model=None)


@pytest.mark.parametrize(("width", "height", "size", "overlap"), [(1280, 960, 640, 0.2), (5472, 3648, 640, 0.25),
                                                                    (500, 300, 640, 0.2), (641, 640, 640, 0.0)])
def test_windows_cover_the_photo(width: int, height: int, size: int, overlap: float) -> None:
    windows = tile_windows(width, height, size, overlap)
    covered = np.zeros((height, width), bool)
    for x0, y0, x1, y1 in windows:
        assert x1 - x0 <= size and y1 - y0 <= size
        covered[y0:y1, x0:x1] = True
    assert covered.all()


def test_object_in_the_overlap_comes_out_once_in_photo_coordinates() -> None:
    photo = np.zeros((960, 1280, 3), np.uint8)
    photo[100:140, 560:600] = 255  # inside the overlap of the first two tile columns, whole in both
    [dets] = detect_tiled([photo], threshold_predict, merger().merge, size=640, overlap=0.2, batch=4)
    assert dets.xyxy.tolist() == [[560, 100, 600, 140]]


def test_batch_size_does_not_change_the_result() -> None:
    photos = [np.zeros((960, 1280, 3), np.uint8) for _ in range(3)]
    photos[0][10:20, 10:30] = 255
    photos[2][900:950, 1200:1270] = 255
    results = [detect_tiled(photos, threshold_predict, merger().merge, size=640, overlap=0.2, batch=b)
               for b in (1, 5, 64)]
    for other in results[1:]:
        assert [d.xyxy.tolist() for d in other] == [d.xyxy.tolist() for d in results[0]]
    assert [len(d) for d in results[0]] == [1, 0, 1]


def test_tiles_are_views_not_copies() -> None:
    photo = np.zeros((960, 1280, 3), np.uint8)
    seen = []
    detect_tiled([photo], lambda tiles: seen.extend(tiles) or [Detections.empty() for _ in tiles],
                 merger().merge, size=640, overlap=0.2, batch=8)
    assert len(seen) == 6 and all(np.shares_memory(t, photo) for t in seen)
