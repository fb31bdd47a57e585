"""Orthomosaics: GeoTIFFs read window by window, detections placed through the raster's transform.

The mosaics are built here from a real drone photo of the sample flight, with known transforms
in RD New (EPSG:28992) and WGS84 (EPSG:4326); expected positions are worked out by hand from
the transform and pyproj, never through dronecheck's own functions.
"""

from __future__ import annotations

import json
import math
import signal
import tracemalloc
from functools import partial
from pathlib import Path

import numpy as np
import pyproj
import pytest
import rasterio
from PIL import Image
from rasterio.transform import from_origin

from conftest import CRACKS_WEIGHTS, dronecheck, features, ids, photos, photos_done, run_scan, signal_when
from dronecheck.geo.georef import georeference
from dronecheck.ingest.ahead import mosaic_frames
from dronecheck.ingest.ortho import open_mosaic, read_windows, split_mosaics
from dronecheck.pipeline.mosaic import owned, plan_windows
from dronecheck.pipeline.tiles import tile_size_of
from dronecheck.profiles import Profile
from dronecheck.types import Detections

PHOTO = photos(1)[0]  # 1280 x 960, a road seen from 6.5 m
RD_ORIGIN = (155000.0, 463000.0)  # top left corner, metres
GSD = 0.0076  # metres a pixel, about the photo's own


def photo_pixels(copies: tuple[int, int] = (1, 1)) -> np.ndarray:
    """The photo as (3, H, W), repeated `copies` (down, across) times."""
    rgb = np.moveaxis(np.asarray(Image.open(PHOTO).convert("RGB")), -1, 0)
    return np.tile(rgb, (1, *copies))


def write_mosaic(path: Path, bands: np.ndarray, transform: rasterio.Affine, crs: str = "EPSG:28992",
                 **options: object) -> Path:
    with rasterio.open(path, "w", driver="GTiff", width=bands.shape[2], height=bands.shape[1], count=len(bands),
                       dtype=bands.dtype, crs=crs, transform=transform, tiled=True, **options) as ds:
        ds.write(bands)
    return path


def profile(**values: object) -> Profile:
    return Profile("test", "", CRACKS_WEIGHTS, ("crack",), **values)  # type: ignore[arg-type]


def windows_of(path: Path, prof: Profile, sha: str = "0" * 64) -> list:
    mosaic = open_mosaic(path)
    assert mosaic is not None
    return list(read_windows(mosaic, sha, plan_windows(prof, mosaic)))


def by_hand(transform: rasterio.Affine, crs: str, col: float, row: float) -> tuple[float, float]:
    a, b, c, d, e, f = tuple(transform)[:6]
    x, y = a * col + b * row + c, d * col + e * row + f
    return pyproj.Transformer.from_crs(crs, "EPSG:4326", always_xy=True).transform(x, y)


@pytest.mark.parametrize("crs, transform", [
    ("EPSG:28992", from_origin(*RD_ORIGIN, GSD, GSD)),
    ("EPSG:4326", from_origin(5.3872, 52.1552, 1.1e-7, 0.7e-7)),  # about 7.5 mm a pixel, east and north
])
def test_a_detection_lands_where_the_transform_says(tmp_path: Path, crs: str, transform: rasterio.Affine) -> None:
    # 640 model pixels at 1.52 cm of ground: windows read at half the raster's resolution, the second offset.
    prof = profile(imgsz=640, target_gsd_cm=1.52)
    path = write_mosaic(tmp_path / "ortho.tif", photo_pixels((3, 4)), transform, crs)  # 5120 x 2880
    found = windows_of(path, prof)
    assert len(found) > 1
    window, frame, pixels = found[1]
    assert (window.col, window.row) != (0, 0)
    sx, sy = window.width / window.out_width, window.height / window.out_height
    assert sx == pytest.approx(2.0, rel=0.01) and pixels.shape == (window.out_height, window.out_width, 3)
    box = np.array([100.0, 200.0, 140.0, 260.0])  # window pixels
    [finding] = georeference(frame, Detections([box], [0.9], [0]), ["crack"], ["f"])
    col, row = window.col + 120.0 * sx, window.row + 230.0 * sy  # the box centre in raster pixels
    lon, lat = by_hand(transform, crs, col, row)
    assert finding.method == "orthomosaic" and finding.uncertainty_m is None and "uncertainty unknown" in finding.note
    assert finding.point == pytest.approx((lon, lat), abs=1e-7)
    corner = by_hand(transform, crs, window.col + 100.0 * sx, window.row + 200.0 * sy)
    assert corner in [pytest.approx(p, abs=1e-7) for p in finding.footprint]
    ground_px = 0.0076 if crs == "EPSG:28992" else math.sqrt(1.1e-7 * 111_300 * math.cos(math.radians(52.155))
                                                             * 0.7e-7 * 111_260)
    assert finding.gsd_m == pytest.approx(ground_px * 2, rel=0.01)  # the window's pixels: two raster pixels
    assert finding.width_m == pytest.approx(40 * finding.gsd_m, rel=0.05)


def test_windows_cover_the_raster_and_each_pixel_belongs_to_one_window(tmp_path: Path) -> None:
    for width, height, prof in [(1000, 700, profile(imgsz=64)), (5000, 3000, profile(imgsz=640, target_gsd_cm=2.0)),
                                (300, 200, profile(imgsz=1280)), (4000, 2600, profile(imgsz=640, tile_size=300))]:
        path = write_mosaic(tmp_path / f"{width}.tif", np.zeros((3, height, width), np.uint8),
                            from_origin(*RD_ORIGIN, GSD, GSD))
        mosaic = open_mosaic(path)
        assert mosaic is not None
        seen, owners = np.zeros((height, width), bool), np.zeros((height, width), int)
        cols, rows = np.meshgrid(np.arange(width) + 0.5, np.arange(height) + 0.5)
        for w in plan_windows(prof, mosaic):
            seen[w.row:w.row + w.height, w.col:w.col + w.width] = True
            sx, sy = w.out_width / w.width, w.out_height / w.height
            x0, y0, x1, y1 = w.keep
            u, v = (cols - w.col) * sx, (rows - w.row) * sy
            owners += (u >= x0) & (u < x1) & (v >= y0) & (v < y1)
        assert seen.all() and (owners == 1).all(), (width, height)


def test_a_window_tiles_at_the_model_size_and_keeps_its_own_boxes(tmp_path: Path) -> None:
    prof = profile(imgsz=640, target_gsd_cm=1.52)
    path = write_mosaic(tmp_path / "ortho.tif", photo_pixels((3, 4)), from_origin(*RD_ORIGIN, GSD, GSD))
    (w0, f0, _), (w1, f1, _) = windows_of(path, prof)[:2]
    assert tile_size_of(prof, f0) == 640
    # The overlap of windows 0 and 1 is split at its middle: a box there belongs to exactly one of them.
    middle_raster = (w1.col + w0.col + w0.width) / 2
    for offset, owner in ((-3, 0), (3, 1)):
        centre = middle_raster + offset
        kept = []
        for w in (w0, w1):
            u = (centre - w.col) * w.out_width / w.width
            kept.append(len(owned(Detections([[u - 5, 10, u + 5, 20]], [0.9], [0]), w.keep)))
        assert kept == [int(owner == 0), int(owner == 1)]


def test_nodata_and_transparent_windows_are_skipped(tmp_path: Path) -> None:
    prof = profile(imgsz=64)  # windows of 166 pixels
    bands = photo_pixels()
    nodata = bands.copy()
    nodata[:, :, :640] = 0
    path = write_mosaic(tmp_path / "nodata.tif", nodata, from_origin(*RD_ORIGIN, GSD, GSD), nodata=0)
    mosaic = open_mosaic(path)
    assert mosaic is not None
    plan = plan_windows(prof, mosaic)
    read = windows_of(path, prof)
    assert 0 < len(read) < len(plan)
    assert all(w.col + w.width > 640 for w, _, _ in read)  # every window left of the data was passed over
    alpha = np.concatenate([bands, np.full((1, *bands.shape[1:]), 255, np.uint8)])
    alpha[3, :480] = 0  # the top half transparent, as OpenDroneMap leaves outside the flight
    path = write_mosaic(tmp_path / "rgba.tif", alpha, from_origin(*RD_ORIGIN, GSD, GSD), photometric="RGB",
                        alpha="YES")
    read = windows_of(path, prof)
    assert read and all(w.row + w.height > 480 for w, _, _ in read)
    w, _, pixels = read[0]
    assert (pixels[: max(0, 480 - w.row)] == 0).all()  # what is transparent in a window is black, not alpha


def test_a_16_bit_mosaic_is_stretched_to_8_bits(tmp_path: Path) -> None:
    bands = photo_pixels().astype(np.uint16) * 200 + 1000
    path = write_mosaic(tmp_path / "u16.tif", bands, from_origin(*RD_ORIGIN, GSD, GSD))
    [(_, frame, pixels)] = windows_of(path, profile(imgsz=1280))
    assert pixels.dtype == np.uint8 and pixels.min() == 0 and pixels.max() == 255
    assert "stretched" in frame.notes[0]


def test_a_plain_tiff_photo_stays_a_photo(tmp_path: Path) -> None:
    plain = tmp_path / "photo.tif"
    Image.open(PHOTO).save(plain)
    geo = write_mosaic(tmp_path / "ortho.tif", photo_pixels(), from_origin(*RD_ORIGIN, GSD, GSD))
    broken = tmp_path / "broken.tif"
    broken.write_bytes(b"II*\x00garbage")
    assert split_mosaics([plain, geo, broken, PHOTO]) == ([plain, broken, PHOTO], [geo])


def test_reading_every_window_of_a_mosaic_stays_in_flat_memory(tmp_path: Path) -> None:
    side = 6000  # 108 MB of RGB; windows of 664 pixels, 1.3 MB each
    path = tmp_path / "big.tif"
    with rasterio.open(path, "w", driver="GTiff", width=side, height=side, count=3, dtype="uint8",
                       crs="EPSG:28992", transform=from_origin(*RD_ORIGIN, GSD, GSD), tiled=True) as ds:
        strip = photo_pixels((1, 5))[:, :, :side]
        for row in range(0, side, strip.shape[1]):
            height = min(strip.shape[1], side - row)
            ds.write(strip[:, :height], window=rasterio.windows.Window(0, row, side, height))
    prof = profile(imgsz=256)
    mosaic = open_mosaic(path)
    assert mosaic is not None
    tracemalloc.start()
    try:
        items = list(item.frame for item in mosaic_frames(path, "0" * 64, partial(plan_windows, prof))
                     if item.frame is not None)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    window_bytes = 664 * 664 * 3
    assert len(items) == len(plan_windows(prof, mosaic)) > 50
    assert peak < 6 * window_bytes, f"peak {peak / 1e6:.1f} MB for windows of {window_bytes / 1e6:.1f} MB"


def cracks_640(tmp_path: Path) -> Path:
    """The cracks model with 640-pixel tiles: a mosaic of four photos is then four windows."""
    path = tmp_path / "cracks640.toml"
    path.write_text(f'name = "cracks640"\nweights = "{CRACKS_WEIGHTS}"\nclasses = ["crack"]\nimgsz = 640\n')
    return path


@pytest.mark.slow
def test_a_mosaic_scanned_through_the_cli_is_placed_by_its_transform_and_a_rescan_has_nothing_to_do(
        tmp_path: Path) -> None:
    transform = from_origin(*RD_ORIGIN, GSD, GSD)
    (tmp_path / "flight").mkdir()
    path = write_mosaic(tmp_path / "flight" / "ortho.tif", photo_pixels(), transform)
    scan = run_scan(path, tmp_path / "out", "--profile", "cracks")
    assert scan.exit_code == 0, scan.output
    assert "orthomosaics scanned" in scan.output and scan.run_dir is not None
    found = features(scan.run_dir)
    assert found, "the photo's cracks are found in the mosaic too"
    for feature in found:
        props = feature["properties"]
        assert props["georef_method"] == "orthomosaic" and props["image"] == "ortho.tif#0"
        x0, y0, x1, y1 = props["box_px"]  # one window, at the raster's own resolution
        lon, lat = by_hand(transform, "EPSG:28992", (x0 + x1) / 2, (y0 + y1) / 2)
        assert feature["geometry"]["coordinates"] == pytest.approx([lon, lat], abs=1.5e-7)  # box_px is rounded
    record = json.loads((scan.run_dir / "run.json").read_text())
    assert record["counts"]["mosaics_scanned"] == 1 and record["counts"]["mosaic_windows_scanned"] == 1
    again = run_scan(path, tmp_path / "out", "--profile", "cracks")
    assert again.exit_code == 4, again.output


@pytest.mark.slow
def test_a_mosaic_scan_killed_halfway_resumes_with_the_findings_of_a_whole_one(tmp_path: Path) -> None:
    flight = tmp_path / "flight"
    flight.mkdir()
    path = write_mosaic(flight / "ortho.tif", photo_pixels((2, 2)), from_origin(*RD_ORIGIN, GSD, GSD))
    prof = cracks_640(tmp_path)
    whole = run_scan(path, tmp_path / "whole", "--profile", str(prof))
    assert whole.exit_code == 0, whole.output
    assert whole.run_dir is not None
    assert json.loads((whole.run_dir / "run.json").read_text())["counts"]["mosaic_windows_scanned"] == 4
    out = tmp_path / "killed"
    ledger = out / "ledger.sqlite"
    victim = dronecheck("scan", str(path), "--out", str(out), "--profile", str(prof))
    signal_when(victim, lambda: photos_done(ledger) >= 1, signal.SIGTERM, timeout_s=120)
    _, stderr = victim.communicate(timeout=120)
    assert victim.returncode == 6, stderr[-2000:]
    assert 1 <= photos_done(ledger) < 4
    resumed = run_scan(path, out, "--profile", str(prof))
    assert resumed.exit_code == 0 and "resumed" in resumed.output, resumed.output
    assert ids(resumed) == ids(whole)
