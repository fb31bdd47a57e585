"""Tiling: windows cover the photo, boxes come back to photo coordinates, one box per object.

The first tests use a plain brightness threshold as the detector, so that they are about
tiling and merging, not about a model. The last ones run the shipped cracks model on real
road photos.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import cv2
import numpy as np
import pytest
from PIL import Image

from conftest import CRACKS_WEIGHTS, FLIGHT
from dronecheck.detect import yolo
from dronecheck.detect.tiling import detect_tiled, pairwise, tile_windows
from dronecheck.errors import ProfileError
from dronecheck.pipeline.tiles import tile_size_of
from dronecheck.profiles import load_profile
from dronecheck.types import Detections
from frames import NADIR, NO_GPS, make_frame

ROAD = FLIGHT / "DJI_20260615101210_0004.JPG"
CRACK = (618, 699, 669, 950)  # a longitudinal crack in ROAD, from annotations.json
PIECE = (320, 960, 512, 1152)  # y0, y1, x0, x1: a tile-sized piece of ROAD around the crack


def bright_blobs(image: np.ndarray) -> Detections:
    """One box per connected patch of bright pixels."""
    n, _, stats, _ = cv2.connectedComponentsWithStats((image[..., 0] > 200).astype(np.uint8))
    x, y, w, h = stats[1:, :4].T
    return Detections(np.column_stack([x, y, x + w, y + h]), np.full(n - 1, 0.9), np.zeros(n - 1))


def threshold_predict(tiles: list[np.ndarray], size: int = 0) -> list[Detections]:
    return [bright_blobs(t) for t in tiles]


def tiled(photos: list[np.ndarray], *, batch: int = 4, overlap: float = 0.2, **kwargs: object) -> list[Detections]:
    return detect_tiled(photos, threshold_predict, sizes=[640] * len(photos), overlap=overlap, batch=batch, iou=0.5,
                        **kwargs)  # type: ignore[arg-type]


def iou(a: np.ndarray, b: tuple[float, ...]) -> float:
    inter, area = pairwise(np.array([a, b], dtype=np.float64))
    return float(inter[0, 1] / (area[0] + area[1] - inter[0, 1]))


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
    [dets] = tiled([photo])
    assert dets.xyxy.tolist() == [[560, 100, 600, 140]]


@pytest.mark.parametrize("overlap", [0.2, 0.0])
def test_a_bar_cut_by_tile_borders_comes_out_once_whole(overlap: float) -> None:
    photo = np.zeros((960, 1280, 3), np.uint8)
    photo[300:310, 100:1200] = 255  # a long thin crack across all three tile columns
    [dets] = tiled([photo], overlap=overlap)
    assert dets.xyxy.tolist() == [[100, 300, 1200, 310]]


def test_two_bars_end_to_end_across_a_border_stay_two() -> None:
    photo = np.zeros((640, 1280, 3), np.uint8)
    photo[300:310, 300:630] = 255  # ends 10 px before the first tile's right border
    photo[300:310, 660:1000] = 255  # starts 20 px after it
    [dets] = tiled([photo])
    assert sorted(dets.xyxy.tolist()) == [[300, 300, 630, 310], [660, 300, 1000, 310]]


def test_the_whole_photo_pass_is_merged_in() -> None:
    photo = np.zeros((960, 1280, 3), np.uint8)
    photo[200:800, 300:1000] = 255  # bigger than a tile: only the whole-photo pass sees it whole
    [dets] = tiled([photo], whole=lambda photos: [bright_blobs(p) for p in photos])
    assert dets.xyxy.tolist() == [[300, 200, 1000, 800]]


def test_batch_size_does_not_change_the_result() -> None:
    photos = [np.zeros((960, 1280, 3), np.uint8) for _ in range(3)]
    photos[0][10:20, 10:30] = 255
    photos[2][900:950, 1200:1270] = 255
    results = [tiled(photos, batch=b) for b in (1, 5, 64)]
    for other in results[1:]:
        assert [d.xyxy.tolist() for d in other] == [d.xyxy.tolist() for d in results[0]]
    assert [len(d) for d in results[0]] == [1, 0, 1]


def test_tiles_are_views_not_copies_and_go_in_chunks_of_one_shape() -> None:
    photos = [np.zeros((960, 1280, 3), np.uint8), np.zeros((700, 700, 3), np.uint8)]
    calls: list[list[np.ndarray]] = []
    detect_tiled(photos, lambda tiles, size: calls.append(tiles) or [Detections.empty() for _ in tiles],
                 sizes=[640, 640], overlap=0.2, batch=4, iou=0.5)
    seen = [t for call in calls for t in call]
    assert len(seen) == 6 + 4 and all(any(np.shares_memory(t, p) for p in photos) for t in seen)
    assert all(len(call) <= 4 and len({t.shape for t in call}) == 1 for call in calls)


@pytest.mark.parametrize(("text", "message"), [("full_pass = 'yes'", "full_pass = 'yes' must be true or false"),
                                               ("target_gsd_cm = 0", "target_gsd_cm = 0.0 is out of range"),
                                               ("target_gsd_cm = 'fine'", "bad value")])
def test_profile_tiling_keys_are_checked(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "p.toml"
    path.write_text(f"name = 'p'\nweights = '{CRACKS_WEIGHTS}'\nclasses = ['crack']\ntile_size = 640\n{text}\n")
    with pytest.raises(ProfileError, match=message):
        load_profile(str(path))


def test_profile_tiling_keys_load(tmp_path: Path) -> None:
    path = tmp_path / "p.toml"
    path.write_text(f"name = 'p'\nweights = '{CRACKS_WEIGHTS}'\nclasses = ['crack']\ntile_size = 640\n"
                    "target_gsd_cm = 0.8\nfull_pass = true\n")
    profile = load_profile(str(path))
    assert (profile.target_gsd_cm, profile.full_pass) == (0.8, True)


# The real model on real photos.


@pytest.fixture(scope="module")
def cracks() -> yolo.Detector:
    return yolo.load(CRACKS_WEIGHTS, device="cpu", imgsz=640, tile_size=640, tile_overlap=0.2)


@pytest.fixture(scope="module")
def road() -> np.ndarray:
    return np.asarray(Image.open(ROAD).convert("RGB"))


def asphalt_with(road: np.ndarray, height: int, width: int, y: int, x: int) -> np.ndarray:
    """A canvas of the road's median colour with the piece of road around CRACK pasted at (x, y)."""
    y0, y1, x0, x1 = PIECE
    canvas = np.empty((height, width, 3), np.uint8)
    canvas[:] = np.median(road[y0:y1, x0:x1].reshape(-1, 3), axis=0)
    canvas[y:y + y1 - y0, x:x + x1 - x0] = road[y0:y1, x0:x1]
    return canvas


def moved(box: tuple[int, ...], y: int, x: int) -> tuple[int, ...]:
    dx, dy = x - PIECE[2], y - PIECE[0]
    return (box[0] + dx, box[1] + dy, box[2] + dx, box[3] + dy)


@pytest.mark.slow
def test_tiles_find_a_crack_that_the_resized_photo_loses(cracks: yolo.Detector, road: np.ndarray) -> None:
    canvas = asphalt_with(road, 1920, 2560, 512, 1024)  # resized to 640 px the crack is 13 px wide
    crack = moved(CRACK, 512, 1024)
    [whole] = replace(cracks, tile_size=0).detect([canvas], 4)
    [tiles] = cracks.detect([canvas], 4)
    assert not any(iou(b, crack) > 0.1 for b in whole.xyxy)
    assert sum(iou(b, crack) >= 0.5 for b in tiles.xyxy) == 1


@pytest.mark.slow
def test_a_crack_cut_by_a_tile_border_comes_out_once_whole(cracks: yolo.Detector, road: np.ndarray) -> None:
    canvas = asphalt_with(road, 1216, 640, 104, 0)  # tiles y 0-640 and 576-1216 both see the crack in part
    crack = moved(CRACK, 104, 0)
    assert crack[1] < 576 and crack[3] > 640
    detector = replace(cracks, tile_overlap=0.1)
    top, bottom = detector.predict_tiles([canvas[:640], canvas[576:]], 640)
    assert any(b[3] >= 630 and iou(b, crack) > 0.3 for b in top.xyxy)  # a piece cut by the top tile's border
    assert any(b[1] <= 10 and iou(b + [0, 576, 0, 576], crack) > 0.3 for b in bottom.xyxy)
    [dets] = detector.detect([canvas], 4)
    on_crack = [b for b in dets.xyxy if iou(b, crack) > 0.1]
    assert len(on_crack) == 1 and on_crack[0][1] < 576 and on_crack[0][3] > 640
    assert iou(on_crack[0], crack) >= 0.7


@pytest.mark.slow
def test_batched_tiles_give_the_boxes_of_tiles_one_at_a_time(cracks: yolo.Detector, road: np.ndarray) -> None:
    photos = [road, np.asarray(Image.open(FLIGHT / "DJI_20260615101206_0002.JPG").convert("RGB"))]
    one, eight = cracks.detect(photos, 1), cracks.detect(photos, 8)
    assert [len(d) for d in one] == [len(d) for d in eight] and sum(len(d) for d in one) >= 4
    for a, b in zip(one, eight, strict=True):
        np.testing.assert_allclose(a.xyxy, b.xyxy, atol=1e-2)
        np.testing.assert_allclose(a.confidence, b.confidence, atol=1e-4)


# How a photo goes to the model, from its ground resolution (the test camera: 1000 px wide, focal 1000 px).


@pytest.mark.parametrize(("height_m", "expected"), [
    (100.0, 0),  # 10 cm/px: a 6 m boat is 60 px, 38 px once shrunk to 640: whole
    (235.0, 0),  # 23.5 cm/px: 16.3 px at the model, just enough
    (300.0, 640),  # 30 cm/px: 12.8 px at the model, too small: tiles
])
def test_a_photo_goes_whole_when_its_smallest_objects_survive_the_resize(height_m: float, expected: int) -> None:
    ships = load_profile("ships")
    assert (ships.imgsz, ships.min_object_m, ships.tile_size) == (640, 6.0, 640)
    frame = make_frame(replace(NADIR, altitude_rel_m=height_m))
    assert tile_size_of(ships, frame) == expected


def test_tile_size_from_the_target_ground_resolution_and_the_profile_without_one(tmp_path: Path) -> None:
    path = tmp_path / "p.toml"
    path.write_text(f"name = 'p'\nweights = '{CRACKS_WEIGHTS}'\nclasses = ['crack']\nimgsz = 640\ntile_size = 512\n"
                    "target_gsd_cm = 1.0\n")
    profile = load_profile(str(path))
    assert tile_size_of(profile, make_frame(replace(NADIR, altitude_rel_m=5.0))) == 1280  # 0.5 cm/px
    assert tile_size_of(profile, make_frame(replace(NADIR, altitude_rel_m=20.0))) == 320  # 2 cm/px
    assert tile_size_of(profile, make_frame(NO_GPS)) == 512  # no ground resolution: the profile's tiles


def test_batch_auto_on_a_cpu_is_the_measured_cpu_batch() -> None:
    assert yolo.auto_batch("cpu", 640) == yolo.CPU_BATCH
