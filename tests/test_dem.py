"""Terrain from a DEM: generated GeoTIFFs (a slope, a step, gaps) in several CRSs, against hand-computed points.

The frames are those of frames.py: 50 m above take-off at (5.0 E, 52.0 N), f = 1000 px, 1000 x 800 px.
Every DEM is written with the ground at the camera at height 0, so the take-off height is 0 and the
camera is at 50 m in the DEM's datum.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import numpy as np
import pyproj
import pytest
import rasterio
from rasterio.transform import from_origin

from conftest import copy_photos, features, run_scan
from dronecheck.errors import BadInputError
from dronecheck.geo.crs import enu_to_lonlat, lonlat_to_enu
from dronecheck.geo.georef import GNSS_SIGMA_M, frame_view, georeference
from dronecheck.geo.terrain import DEM_SIGMA_M, GNSS_VERTICAL_SIGMA_M, HIT, LEFT, NODATA, takeoff_height
from dronecheck.geo.testing import assert_ground_close
from dronecheck.ingest.dem import Dem
from dronecheck.ingest.photos import read_frame
from dronecheck.pipeline.ground import Ground
from dronecheck.types import Detections, Pose, Terrain
from frames import NADIR, OBLIQUE, make_frame

CM = 0.01
LOCAL_TM = "+proj=tmerc +lat_0=52 +lon_0=5 +k=1 +x_0=0 +y_0=0 +ellps=WGS84 +units=m +no_defs"
SLOPE = 0.2  # the ground rises 0.2 m a metre eastwards
CENTRE_BOX = [490.0, 390.0, 510.0, 410.0]
Surface = Callable[[np.ndarray, np.ndarray], np.ndarray]


def slope(east: np.ndarray, north: np.ndarray) -> np.ndarray:
    return SLOPE * east


def step(east: np.ndarray, north: np.ndarray) -> np.ndarray:
    return np.where(east < 10.0, 0.0, 5.0)


def write_dem(path: Path, crs: str, surface: Surface, half_m: float = 150.0, cell_m: float = 1.0,
              hole: tuple[float, float, float, float] | None = None, lon0: float = 5.0, lat0: float = 52.0) -> Path:
    """A GeoTIFF in `crs`, north up, around (lon0, lat0): each cell holds `surface` at its centre's local
    east/north (metres from (lon0, lat0)), and -9999 (no data) where that centre is inside `hole`
    (east0, east1, north0, north1)."""
    to_crs = pyproj.Transformer.from_crs("EPSG:4326", crs, always_xy=True)
    x0, y0 = to_crs.transform(lon0, lat0)
    if pyproj.CRS(crs).is_geographic:
        dx, dy = cell_m / (111_320.0 * np.cos(np.radians(lat0))), cell_m / 111_250.0
    else:
        dx = dy = cell_m
    n = int(2 * half_m / cell_m)
    left, top = x0 - n / 2 * dx, y0 + n / 2 * dy
    xs, ys = left + (np.arange(n) + 0.5) * dx, top - (np.arange(n) + 0.5) * dy
    x, y = np.meshgrid(xs, ys)
    lon, lat = to_crs.transform(x, y, direction="INVERSE")
    east, north = lonlat_to_enu(lon0, lat0, lon, lat)
    z = surface(east, north).astype(np.float32)
    if hole:
        z[(east >= hole[0]) & (east <= hole[1]) & (north >= hole[2]) & (north <= hole[3])] = -9999.0
    with rasterio.open(path, "w", driver="GTiff", width=n, height=n, count=1, dtype="float32", crs=crs,
                       transform=from_origin(left, top, dx, dy), nodata=-9999.0) as ds:
        ds.write(z, 1)
    return path


def terrain_at(path: Path, pose: Pose, radius: float = 120.0, takeoff_m: float = 0.0) -> Terrain:
    with Dem(path) as dem:
        terrain, problem = dem.around(pose.lon, pose.lat, radius)
    assert terrain is not None, problem
    return replace(terrain, takeoff_m=takeoff_m, takeoff_sigma_m=DEM_SIGMA_M)


def cast(path: Path, pose: Pose, pixels: list[list[float]], radius: float = 120.0) -> tuple[np.ndarray, np.ndarray]:
    view, _ = frame_view(make_frame(pose), terrain_at(path, pose, radius))
    assert view is not None
    return view.cast(np.array(pixels, dtype=float))


def place(pose: Pose, terrain: Terrain | None, box: list[float] = CENTRE_BOX):
    dets = Detections(np.array([box]), np.array([0.9]), np.array([0]))
    return georeference(make_frame(pose), dets, ["crack"], ["f0"], terrain)[0]


LOOK_EAST = replace(OBLIQUE, gimbal_yaw_deg=90.0)  # 45 degrees down, up the slope


# --- a slope, in three CRSs ----------------------------------------------------------

@pytest.mark.parametrize("crs", ["EPSG:28992", "EPSG:4326", LOCAL_TM])
def test_slope_nadir_and_oblique_rays_by_hand(tmp_path: Path, crs: str) -> None:
    dem = write_dem(tmp_path / "slope.tif", crs, slope)
    # Nadir, 100 px right of centre: the ray (0.1 t, 0, 50 - t) meets z = 0.2 * 0.1 t at t = 50 / 1.02.
    enu, why = cast(dem, NADIR, [[500, 400], [600, 400], [500, 300]])
    assert (why == HIT).all()
    assert np.allclose(enu, [[0, 0], [5 / 1.02, 0], [0, 5]], atol=CM)  # northwards the ground stays at 0
    # 45 degrees down looking east: (s, 0, 50 - s) meets z = 0.2 s at s = 50 / 1.2; looking north the ground stays at 0.
    enu, why = cast(dem, LOOK_EAST, [[500, 400]])
    assert why[0] == HIT and np.allclose(enu, [[50 / 1.2, 0]], atol=CM)
    enu, why = cast(dem, OBLIQUE, [[500, 400]])
    assert why[0] == HIT and np.allclose(enu, [[0, 50]], atol=CM)


def test_another_crs_gives_the_same_ground_points(tmp_path: Path) -> None:
    rd = write_dem(tmp_path / "rd.tif", "EPSG:28992", slope)
    wgs = write_dem(tmp_path / "wgs.tif", "EPSG:4326", slope, cell_m=0.7)
    pixels = np.array([[500, 400], [120, 370], [875, 730], [0, 800], [1000, 800]], dtype=float)
    for pose in (NADIR, LOOK_EAST, replace(OBLIQUE, gimbal_yaw_deg=37.0, gimbal_roll_deg=3.0)):
        (a, why_a), (b, why_b) = (frame_view(make_frame(pose), terrain_at(dem, pose))[0].cast(pixels)
                                  for dem in (rd, wgs))
        assert (why_a == HIT).all() and (why_b == HIT).all()
        assert np.hypot(*(a - b).T).max() < CM
        # Findings are rounded to 1e-7 degree (about 1 cm): the same method, and points within rounding.
        f, g = (place(pose, terrain_at(dem, pose)) for dem in (rd, wgs))
        assert f.method == g.method == "dem"
        assert_ground_close(f.point, g.point, 2 * CM)


# --- a step -------------------------------------------------------------------------

def test_step_by_hand(tmp_path: Path) -> None:
    # Cells of 1 m with the step on a cell edge at east = 10: the centres at 9.5 (0 m) and 10.5 (5 m) are joined
    # by a ramp, z = 5 (x - 9.5). Nadir: (a t, 0, 50 - t).
    dem = write_dem(tmp_path / "step.tif", LOCAL_TM, step)
    enu, why = cast(dem, NADIR, [[600, 400], [700, 400], [800, 400]])
    assert (why == HIT).all()
    # a = 0.1 lands at 5 m on the low side; a = 0.2 on the ramp: 50 - t = 5 (0.2 t - 9.5), t = 48.75, x = 9.75;
    # a = 0.3 on the high side: 50 - t = 5, x = 13.5 (flat ground would say 15).
    assert np.allclose(enu[:, 0], [5.0, 9.75, 13.5], atol=CM) and np.allclose(enu[:, 1], 0, atol=CM)
    enu, _ = cast(dem, LOOK_EAST, [[500, 400]])
    assert np.allclose(enu, [[45.0, 0]], atol=CM)  # 50 - s = 5 on the high side


def test_dem_method_and_its_uncertainty(tmp_path: Path) -> None:
    dem = write_dem(tmp_path / "slope.tif", "EPSG:28992", slope)
    flat, on_dem = place(LOOK_EAST, None), place(LOOK_EAST, terrain_at(dem, LOOK_EAST))
    assert flat.method == "oblique-flat-ground" and on_dem.method == "dem"
    lon, lat = enu_to_lonlat(5.0, 52.0, 50 / 1.2, 0.0)
    assert_ground_close(on_dem.point, (float(lon), float(lat)), CM)
    # Against the slope the ray is shorter: the same angle errors move the point less than on flat ground.
    assert GNSS_SIGMA_M < on_dem.uncertainty_m < flat.uncertainty_m
    assert on_dem.note is None and 0 < on_dem.gsd_m < flat.gsd_m


def test_without_terrain_nothing_changes() -> None:
    assert place(LOOK_EAST, None) == georeference(make_frame(LOOK_EAST), Detections(
        np.array([CENTRE_BOX]), np.array([0.9]), np.array([0])), ["crack"], ["f0"])[0]
    view, notes = frame_view(make_frame(NADIR))
    assert view is not None and view.terrain is None and view.method == "nadir" and notes == ()


# --- rays that miss the DEM ---------------------------------------------------------------

def test_a_ray_that_leaves_the_window_falls_back_to_flat_ground(tmp_path: Path) -> None:
    dem = write_dem(tmp_path / "small.tif", "EPSG:28992", slope, half_m=20.0)
    terrain = terrain_at(dem, LOOK_EAST)
    assert cast(dem, LOOK_EAST, [[500, 400]])[1][0] == LEFT
    f = place(LOOK_EAST, terrain)
    assert f.method == "oblique-flat-ground"
    assert "ray through the box centre leaves the DEM window; placed on flat ground at take-off height" in f.note
    assert_ground_close(f.point, place(LOOK_EAST, None).point, CM)
    # A nadir box on the DEM whose far corner is off it: the point is on the DEM, the note says which corner is not.
    g = place(NADIR, terrain, [500.0, 400.0, 990.0, 790.0])
    assert g.method == "dem" and "a corner of the box leaves the DEM window" in g.note


def test_nodata_is_a_gap_not_ground(tmp_path: Path) -> None:
    dem = write_dem(tmp_path / "gap.tif", "EPSG:28992", slope, hole=(30.0, 50.0, -10.0, 10.0))
    enu, why = cast(dem, LOOK_EAST, [[500, 400], [500, 200], [500, 700]])
    assert why[0] == NODATA and np.allclose(enu[0], [50.0, 0], atol=CM)  # the flat plane's point
    assert why[1] == NODATA  # beyond the gap: its ground there is unknown, so the ray is not trusted past it
    # Short of it: 45 degrees plus atan(0.3) down, 50 - x tan(that) = 0.2 x.
    assert why[2] == HIT and np.allclose(enu[2], [50 / (np.tan(np.radians(45) + np.arctan(0.3)) + SLOPE), 0], atol=CM)
    f = place(LOOK_EAST, terrain_at(dem, LOOK_EAST))
    assert f.method == "oblique-flat-ground" and "meets a gap (no data) in the DEM" in f.note
    under = write_dem(tmp_path / "under.tif", "EPSG:28992", slope, hole=(-5.0, 5.0, -5.0, 5.0))
    assert cast(under, NADIR, [[500, 400]])[1][0] == NODATA


def test_a_frame_off_the_dem_gets_no_terrain(tmp_path: Path) -> None:
    dem = write_dem(tmp_path / "slope.tif", "EPSG:28992", slope, half_m=20.0)
    with Dem(dem) as opened:
        terrain, problem = opened.around(5.01, 52.0, 50.0)  # 690 m east
    assert terrain is None and "outside the DEM" in problem


def test_only_the_window_is_read(tmp_path: Path) -> None:
    dem = write_dem(tmp_path / "big.tif", "EPSG:28992", slope, half_m=400.0)  # 800 x 800 cells
    terrain = terrain_at(dem, NADIR, radius=30.0)
    assert terrain.heights.shape[0] < 70 and terrain.heights.shape[1] < 70
    assert terrain.cell_m == pytest.approx(1.0, rel=1e-3)


def test_a_large_window_is_read_averaged(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("dronecheck.ingest.dem.MAX_CELLS", 10_000)
    dem = write_dem(tmp_path / "slope.tif", "EPSG:28992", slope)
    terrain = terrain_at(dem, LOOK_EAST)
    assert terrain.heights.size <= 10_000 and terrain.cell_m > 2.0
    enu, why = cast(dem, LOOK_EAST, [[500, 400]])
    assert why[0] == HIT and np.allclose(enu, [[50 / 1.2, 0]], atol=CM)  # a plane averages to itself


# --- the take-off height ----------------------------------------------------------------

def test_takeoff_height_rule() -> None:
    assert takeoff_height(2.0, Pose(altitude_abs_m=52.0, altitude_rel_m=48.0))[:2] == (2.0, DEM_SIGMA_M)
    height, sigma, note = takeoff_height(2.0, Pose(altitude_abs_m=60.0, altitude_rel_m=48.0))
    assert (height, sigma) == (12.0, GNSS_VERTICAL_SIGMA_M) and "differs by +10.0 m" in note
    assert takeoff_height(None, Pose(altitude_abs_m=60.0, altitude_rel_m=48.0))[0] == 12.0
    assert takeoff_height(2.0, Pose(altitude_rel_m=48.0))[0] == 2.0
    assert takeoff_height(None, Pose(altitude_rel_m=48.0))[0] is None


def test_ground_settles_the_takeoff_on_the_first_photo(tmp_path: Path) -> None:
    photo = copy_photos(tmp_path / "flight", 1)[0]
    pose = read_frame(photo).pose  # 49.4 m absolute, 6.5 m above take-off: 42.9 m
    for ground_m, takeoff, source in ((43.5, 43.5, "from the DEM"), (30.0, 42.9, "from the drone's absolute")):
        dem = write_dem(tmp_path / f"{ground_m}.tif", "EPSG:28992", lambda e, n, g=ground_m: g + 0 * e,
                        half_m=40.0, lon0=pose.lon, lat0=pose.lat)
        with Dem(dem) as opened:
            ground = Ground(opened)
            ground.settle([photo])
            terrain = ground.terrain(read_frame(photo))
        assert ground.takeoff_m == pytest.approx(takeoff) and source in ground.takeoff_note
        assert terrain is not None and terrain.takeoff_m == pytest.approx(takeoff)


# --- files that are no DEM ----------------------------------------------------------------

def test_a_dem_that_cannot_be_read_names_the_file(tmp_path: Path) -> None:
    text = tmp_path / "notes.tif"
    text.write_text("not a raster")
    plain = tmp_path / "plain.tif"
    with rasterio.open(plain, "w", driver="GTiff", width=4, height=4, count=1, dtype="float32") as ds:
        ds.write(np.zeros((4, 4), dtype=np.float32), 1)
    for path, why in ((tmp_path / "missing.tif", "cannot read the DEM"), (text, "cannot read the DEM"),
                      (plain, "no CRS")):
        with pytest.raises(BadInputError, match=why) as caught:
            Dem(path)
        assert str(path) in str(caught.value)


def test_scan_with_a_bad_dem_stops_before_any_photo(tmp_path: Path) -> None:
    copy_photos(tmp_path / "flight", 1)
    scan = run_scan(tmp_path / "flight", tmp_path / "out", "--dem", str(tmp_path / "nowhere.tif"))
    assert scan.exit_code == 2 and scan.run_dir is None
    assert "nowhere.tif: cannot read the DEM" in " ".join(scan.output.split())


@pytest.mark.slow
def test_scan_with_dem_places_findings_on_it(tmp_path: Path) -> None:
    photos = copy_photos(tmp_path / "flight", 2)
    pose = read_frame(photos[0]).pose
    dem = write_dem(tmp_path / "flevoland.tif", "EPSG:28992", lambda e, n: 42.9 + 0.05 * e, half_m=80.0,
                    lon0=pose.lon, lat0=pose.lat)
    scan = run_scan(tmp_path / "flight", tmp_path / "out", "--dem", str(dem))
    assert scan.exit_code == 0, scan.output
    found = features(scan.run_dir)
    assert found and {f["properties"]["georef_method"] for f in found} == {"dem"}
    record = json.loads((scan.run_dir / "run.json").read_text())
    assert record["arguments"]["dem"] == str(dem)
    assert record["ground"]["takeoff_m"] == pytest.approx(42.9)
    assert "flevoland.tif" in (scan.run_dir / "report.html").read_text()
