"""Cracks measured from their pixels: centre line, length and widths against masks drawn with known sizes."""

from __future__ import annotations

from dataclasses import replace

import cv2
import numpy as np
import pytest

from dronecheck.analyse.cracks import centre_line_length, measure, trace, widths_px
from dronecheck.geo.crs import lonlat_to_enu
from dronecheck.geo.georef import georeference
from dronecheck.ledger.records import finding_from_json, finding_to_json
from dronecheck.models.scores import crack_pixel_scores
from dronecheck.types import Detections
from frames import NADIR, make_frame

START, END = (50.0, 100.0), (330.0, 220.0)  # a crack 304.6 px long
LENGTH_PX = float(np.hypot(END[0] - START[0], END[1] - START[1]))


def draw_crack(width_px: float, *, seed: int = 0, size: tuple[int, int] = (300, 400)) -> tuple[np.ndarray, np.ndarray]:
    """A grey, grainy surface with a dark straight crack of exactly `width_px`, and the crack's true mask."""
    start, end = np.array(START), np.array(END)
    along = (end - start) / np.linalg.norm(end - start)
    side = np.array([-along[1], along[0]]) * width_px / 2
    polygon = np.round(np.array([start + side, end + side, end - side, start - side]) * 16).astype(np.int32)
    image = np.full((*size, 3), 150, np.uint8)
    mask = np.zeros(size, np.uint8)
    cv2.fillPoly(image, [polygon], (60, 60, 60), shift=4)
    cv2.fillPoly(mask, [polygon], 255, shift=4)
    grain = np.random.default_rng(seed).normal(0, 6, image.shape)
    return (image + grain).clip(0, 255).astype(np.uint8), mask > 0


BOX = (40.0, 90.0, 340.0, 230.0)


@pytest.mark.parametrize("width_px", [2.0, 3.0, 4.0, 6.0, 8.0])
def test_a_drawn_crack_has_its_length_and_width(width_px: float) -> None:
    image, truth = draw_crack(width_px)
    found = trace(image, BOX)
    assert found is not None and not found.below_gsd
    assert found.length_px == pytest.approx(LENGTH_PX, rel=0.03)
    true_widths = widths_px(truth)  # the drawn mask, measured the same way (rasterised, so not quite width_px)
    assert true_widths.mean() == pytest.approx(width_px, abs=0.75)
    assert found.width_mean_px == pytest.approx(true_widths.mean(), abs=0.3)
    assert found.width_max_px == pytest.approx(true_widths.max(), abs=0.5)
    ends = found.line_px[[0, -1]]
    assert sorted(map(tuple, np.round(ends, -1))) == [(50.0, 100.0), (330.0, 220.0)]  # within a few pixels


def test_a_hair_crack_narrower_than_a_pixel_has_no_width() -> None:
    image, _ = draw_crack(1.0)
    found = trace(image, BOX)
    assert found is not None and found.below_gsd
    assert found.width_mean_px is None and found.width_max_px is None
    assert found.length_px == pytest.approx(LENGTH_PX, rel=0.03)


def test_a_side_branch_counts_in_the_length_but_the_line_is_the_longest_path() -> None:
    image, _ = draw_crack(3.0)
    cv2.line(image, (200, 165), (260, 60), (60, 60, 60), 3)  # a branch 121 px long off the middle
    found = trace(image, (40.0, 50.0, 340.0, 230.0))
    assert found is not None
    assert found.length_px == pytest.approx(LENGTH_PX + float(np.hypot(60, 105)), rel=0.04)
    assert float(np.hypot(*np.diff(found.line_px, axis=0).T).sum()) >= 0.95 * LENGTH_PX


def test_a_plain_surface_has_no_crack() -> None:
    plain = np.full((100, 100, 3), 120, np.uint8)
    assert trace(plain, (10, 10, 90, 90)) is None


def test_the_crack_is_measured_on_the_ground_and_keeps_its_width_honest() -> None:
    """A nadir frame at 50 m with a 1000 px focal length: 5 cm a pixel."""
    frame = make_frame(NADIR, name="wall.jpg")
    image, _ = draw_crack(4.0, size=(800, 1000))
    [finding] = georeference(frame, Detections([BOX], [0.9], [0]), ["crack"], ["c1"])
    measured = measure(finding, image, (100.0, 300.0))  # width classes in mm: < 100, 100-300, > 300
    assert measured.crack_length_m == pytest.approx(LENGTH_PX * 0.05, rel=0.03)
    assert measured.crack_width_mean_m == pytest.approx(4.0 * 0.05, abs=0.75 * 0.05)  # within a pixel's rasterising
    assert measured.width_class == "100-300 mm" and measured.width_below_gsd is False  # by its widest, ~5 px
    east, north = lonlat_to_enu(5.0, 52.0, *np.array(measured.line).T)
    # image x to the east and y to the south, from the centre (500, 400) of a north-up nadir photo
    expected = {(round((x - 500) * 0.05), round((400 - y) * 0.05)) for x, y in (START, END)}
    assert {(round(e), round(n)) for e, n in zip(east[[0, -1]], north[[0, -1]], strict=True)} == expected
    hair = measure(finding, draw_crack(1.0, size=(800, 1000))[0], (100.0, 300.0))
    assert hair.width_below_gsd and hair.crack_width_max_m is None
    assert hair.width_class == "< 100 mm"  # narrower than a 50 mm pixel, so surely under 100 mm


def test_a_traced_finding_survives_the_ledger() -> None:
    frame = make_frame(NADIR)
    [finding] = georeference(frame, Detections([BOX], [0.9], [0]), ["crack"], ["c1"])
    measured = measure(finding, draw_crack(3.0, size=(800, 1000))[0])
    assert measured.line and finding_from_json(finding_to_json(measured), frame) == measured


def test_pixel_scores_against_the_drawn_mask() -> None:
    image, truth = draw_crack(4.0)
    found = trace(image, BOX)
    assert found is not None
    traced = np.zeros_like(truth)
    x0, y0, x1, y1 = found.window
    traced[y0:y1, x0:x1] = found.mask
    scores = crack_pixel_scores([(truth, traced, found.length_px)])
    assert scores["recall"] > 0.95 and scores["precision"] > 0.95 and scores["length_error"] < 0.03
    assert centre_line_length(truth) == pytest.approx(LENGTH_PX, rel=0.03)
    missed = crack_pixel_scores([(truth, np.zeros_like(truth), 0.0)])
    assert missed["recall"] == 0.0 and missed["length_error"] == 1.0
    shifted = crack_pixel_scores([(truth, np.roll(traced, 12, axis=0), found.length_px)])
    assert shifted["recall"] < 0.2


def test_without_a_ground_resolution_nothing_is_invented() -> None:
    frame = make_frame(replace(NADIR, lat=None, lon=None))
    [finding] = georeference(frame, Detections([BOX], [0.9], [0]), ["crack"], ["c1"])
    assert measure(finding, draw_crack(3.0, size=(800, 1000))[0]) == finding
