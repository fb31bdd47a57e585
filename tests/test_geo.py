"""The geo stage against hand-computed cases: f = 1000 px, image 1000 x 800, 50 m up."""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import pyproj
import pytest
from shapely.geometry import LinearRing

from dronecheck.geo.camera import Intrinsics, intrinsics
from dronecheck.geo.crs import enu_to_lonlat, lonlat_to_enu, lonlat_to_rd
from dronecheck.geo.georef import ANGLE_SIGMA_DEG, GNSS_SIGMA_M, georeference, ground_point
from dronecheck.geo.pose import camera_to_enu
from dronecheck.geo.project import pixels_to_ground
from dronecheck.geo.testing import assert_ground_close
from dronecheck.types import Camera, Detections
from frames import CAMERA, HORIZON, NADIR, NO_GPS, OBLIQUE, make_frame

INTR = Intrinsics(fx=1000.0, fy=1000.0, cx=500.0, cy=400.0, width=1000, height=800)
H = 50.0
CM = 0.01
GEOD = pyproj.Geod(ellps="WGS84")
CENTRED_BOX = [450.0, 380.0, 550.0, 420.0]  # 100 x 40 px around the image centre


def ground(pixels: list[list[float]], yaw: float, pitch: float, roll: float = 0.0, h: float = H) -> np.ndarray:
    return pixels_to_ground(np.array(pixels, dtype=float), INTR, camera_to_enu(yaw, pitch, roll), h)


def place(pose=NADIR, boxes=(CENTRED_BOX,), camera: Camera = CAMERA):
    dets = Detections(np.array(boxes, dtype=float), np.full(len(boxes), 0.8), np.zeros(len(boxes), dtype=int))
    return georeference(make_frame(pose, camera), dets, ["crack"], [f"f{i}" for i in range(len(boxes))])


def geod_offset(a: tuple[float, float], b: tuple[float, float]) -> tuple[float, float]:
    """(azimuth degrees, distance m) from a to b."""
    az, _, dist = GEOD.inv(a[0], a[1], b[0], b[1])
    return az, dist


# --- intrinsics and rotation -------------------------------------------------------

def test_intrinsics_centre_and_missing_focal() -> None:
    assert intrinsics(CAMERA) == INTR
    assert intrinsics(replace(CAMERA, focal_px=None)) is None
    assert intrinsics(replace(CAMERA, focal_px=0.0)) is None


@pytest.mark.parametrize("angles", [(0, -90, 0), (37, -61, 4), (-120, 10, -8), (270, -5, 30)])
def test_rotation_is_proper(angles: tuple[float, float, float]) -> None:
    R = camera_to_enu(*angles)
    assert np.allclose(R @ R.T, np.eye(3)) and math.isclose(np.linalg.det(R), 1.0)


def test_optical_axis_direction() -> None:
    # yaw 30, pitch -20: forward is 30 degrees east of north, 20 degrees below the horizon.
    fwd = camera_to_enu(30, -20, 7) @ [0, 0, 1]
    c = math.cos(math.radians(20))
    assert np.allclose(fwd, [c * math.sin(math.radians(30)), c * math.cos(math.radians(30)),
                             -math.sin(math.radians(20))])


# --- projection --------------------------------------------------------------------

def test_nadir_yaw0_right_is_east_up_is_north() -> None:
    got = ground([[600, 400], [500, 200], [500, 400]], yaw=0, pitch=-90)
    assert np.allclose(got, [[5.0, 0.0], [0.0, 10.0], [0.0, 0.0]], atol=CM)


def test_nadir_yaw90_up_is_east_right_is_south() -> None:
    got = ground([[500, 200], [600, 400]], yaw=90, pitch=-90)
    assert np.allclose(got, [[10.0, 0.0], [0.0, -5.0]], atol=CM)


def test_pitch_minus45_centre_and_off_centre() -> None:
    # 100 px above the centre the ray is atan(0.1) flatter: distance h tan(45 + atan 0.1) = h 11/9.
    got = ground([[500, 400], [500, 300], [500, 500]], yaw=0, pitch=-45)
    assert np.allclose(got, [[0.0, H], [0.0, H * 11 / 9], [0.0, H * 9 / 11]], atol=CM)
    assert np.allclose(ground([[500, 400]], yaw=90, pitch=-45), [[H, 0.0]], atol=CM)


def test_horizon_and_above_miss_the_ground() -> None:
    assert np.isnan(ground([[500, 400]], yaw=0, pitch=0)).all()
    assert np.isnan(ground([[0, 0], [1000, 400], [500, 400]], yaw=0, pitch=10)).all()
    # The bottom edge at pitch +10 still looks atan(0.4) - 10 = 11.8 degrees down.
    bottom = H / math.tan(math.atan(0.4) - math.radians(10))
    assert np.allclose(ground([[500, 800]], yaw=0, pitch=10), [[0.0, bottom]], atol=CM)
    # Below the centre at pitch 0 the ray falls 1 in 10: it lands 10 h north.
    assert np.allclose(ground([[500, 500]], yaw=0, pitch=0), [[0.0, 10 * H]], atol=CM)


def test_roll_dips_the_right_side_of_the_image() -> None:
    # Pitch 0, roll +10: the ray 45 degrees right of centre (u = cx + f) is (1, 0, 1) in the
    # camera, (cos 10, 1, -sin 10) in ENU once image right dips: it meets the ground at
    # h / sin 10 north and h cos 10 / sin 10 east.
    r = math.radians(10)
    got = ground([[1500, 400], [-500, 400]], yaw=0, pitch=0, roll=10)
    assert np.allclose(got[0], [H / math.tan(r), H / math.sin(r)], atol=CM)
    assert np.isnan(got[1]).all()  # the left side rose above the horizon


def test_roll_at_nadir_turns_the_image_about_the_centre() -> None:
    # Roll is about the optical axis, so at nadir it cannot move the centre; image right
    # (east at roll 0) turns toward image down (south).
    r = math.radians(10)
    got = ground([[500, 400], [600, 400]], yaw=0, pitch=-90, roll=10)
    assert np.allclose(got, [[0.0, 0.0], [5 * math.cos(r), -5 * math.sin(r)]], atol=CM)


def test_ground_scales_with_height() -> None:
    assert np.allclose(ground([[600, 400]], yaw=0, pitch=-90, h=120), [[12.0, 0.0]], atol=CM)


# --- CRS ---------------------------------------------------------------------------

def test_enu_to_lonlat_north_is_a_degree_of_latitude() -> None:
    lon, lat = enu_to_lonlat(5.0, 52.0, 0.0, 111_300.0)
    az, dist = geod_offset((5.0, 52.0), (float(lon), float(lat)))
    assert abs(dist - 111_300.0) < CM and abs(az) < 1e-6
    assert float(lon) == pytest.approx(5.0, abs=1e-9) and float(lat) == pytest.approx(53.0, abs=0.01)


def test_enu_to_lonlat_round_trip_and_nan() -> None:
    lon, lat = enu_to_lonlat(5.0, 52.0, np.array([100.0, np.nan]), np.array([0.0, 0.0]))
    az, dist = geod_offset((5.0, 52.0), (lon[0], lat[0]))
    assert abs(dist - 100.0) < 1e-6 and abs(az - 90.0) < 1e-6
    e, n = lonlat_to_enu(5.0, 52.0, lon[0], lat[0])
    assert abs(e - 100.0) < 1e-6 and abs(n) < 1e-6
    assert np.isnan(lon[1]) and np.isnan(lat[1])


def test_lonlat_to_rd_amersfoort() -> None:
    x, y = lonlat_to_rd(5.38720621, 52.15517440)
    assert abs(x - 155_000.0) < 1.0 and abs(y - 463_000.0) < 1.0


# --- georeference ------------------------------------------------------------------

def test_nadir_centred_box_is_the_camera_position() -> None:
    [f] = place()
    assert f.method == "nadir" and f.point == (5.0, 52.0) and f.note is None
    assert (f.id, f.class_id, f.class_name, f.score, f.box_px) == ("f0", 0, "crack", 0.8, tuple(CENTRED_BOX))
    assert f.gsd_m == pytest.approx(H / 1000, abs=1e-6)
    assert f.width_m == pytest.approx(40 * H / 1000, abs=CM)
    assert f.length_m == pytest.approx(100 * H / 1000, abs=CM)


def test_nadir_footprint_closed_counter_clockwise_right_size() -> None:
    [f] = place()
    ring = f.footprint
    assert ring is not None and len(ring) == 5 and ring[0] == ring[-1]
    assert LinearRing(ring).is_ccw
    sides = sorted(round(geod_offset(a, b)[1], 2) for a, b in zip(ring[:-1], ring[1:], strict=True))
    assert sides == pytest.approx([2.0, 2.0, 5.0, 5.0], abs=CM)
    expected = sorted([(-2.5, -1.0), (-2.5, 1.0), (2.5, -1.0), (2.5, 1.0)])  # east, north
    for corner, (e, n) in zip(sorted(ring[:4]), expected, strict=True):
        lon, lat = enu_to_lonlat(5.0, 52.0, e, n)
        assert_ground_close(corner, (float(lon), float(lat)), CM)


def test_box_100px_right_is_5m_east() -> None:
    [f] = place(boxes=[[550.0, 380.0, 650.0, 420.0]])
    az, dist = geod_offset((5.0, 52.0), f.point)
    assert abs(dist - 5.0) < CM and abs(az - 90.0) < 0.2
    assert ground_point(make_frame(), 600, 400) == f.point


def test_footprint_ccw_whatever_the_yaw() -> None:
    for yaw in (0.0, 90.0, 200.0):
        [f] = place(replace(OBLIQUE, gimbal_yaw_deg=yaw), boxes=[[100.0, 500.0, 300.0, 700.0]])
        assert f.method == "oblique-flat-ground" and LinearRing(f.footprint).is_ccw


def test_oblique_centre_is_h_ahead() -> None:
    [f] = place(OBLIQUE)
    lon, lat = enu_to_lonlat(5.0, 52.0, 0.0, H)
    assert f.method == "oblique-flat-ground"
    assert_ground_close(f.point, (float(lon), float(lat)), CM)
    # At 45 degrees one pixel is sqrt(2) h/f across and 2 h/f along: gsd is their geometric mean.
    assert f.gsd_m == pytest.approx(math.sqrt(math.sqrt(2) * H / 1000 * 2 * H / 1000), rel=1e-2)


def test_nadir_tolerance() -> None:
    assert place(replace(NADIR, gimbal_pitch_deg=-88.5))[0].method == "nadir"
    assert place(replace(NADIR, gimbal_pitch_deg=-87.0))[0].method == "oblique-flat-ground"


def test_no_gps_gives_no_geometry() -> None:
    [f] = place(NO_GPS)
    assert f.method == "none" and f.point is None and f.footprint is None and f.uncertainty_m is None
    assert "GPS" in f.note


def test_horizon_gives_camera_position() -> None:
    [f] = place(HORIZON)
    assert f.method == "camera-position" and f.point == (5.0, 52.0) and f.footprint is None
    assert "above the horizon" in f.note and f.uncertainty_m is None


def test_missing_focal_and_altitude_give_camera_position() -> None:
    [f] = place(replace(NADIR, altitude_rel_m=None), camera=replace(CAMERA, focal_px=None))
    assert f.method == "camera-position" and f.point == (5.0, 52.0) and f.uncertainty_m is None
    assert "focal length" in f.note and "relative altitude" in f.note and f.gsd_m is None


def test_missing_gimbal_yaw_uses_flight_yaw() -> None:
    [f] = place(replace(NADIR, gimbal_yaw_deg=None, flight_yaw_deg=90.0), boxes=[[550.0, 380.0, 650.0, 420.0]])
    az, dist = geod_offset((5.0, 52.0), f.point)
    assert abs(dist - 5.0) < CM and abs(abs(az) - 180.0) < 0.2  # image right is south at yaw 90
    assert "flight yaw" in f.note
    [g] = place(replace(NADIR, gimbal_yaw_deg=None, flight_yaw_deg=None))
    assert g.method == "camera-position" and "yaw" in g.note


def test_missing_roll_assumed_zero() -> None:
    [f] = place(replace(NADIR, gimbal_roll_deg=None))
    assert f.method == "nadir" and f.point == (5.0, 52.0) and "roll" in f.note


def test_box_partly_above_horizon_has_point_but_no_footprint() -> None:
    # Pitch -10: the centre ray of the box (125 px above centre) is 2.9 degrees down, its
    # top edge (300 px above centre, atan 0.3 = 16.7 degrees) is above the horizon.
    [f] = place(replace(NADIR, gimbal_pitch_deg=-10.0), boxes=[[450.0, 100.0, 550.0, 450.0]])
    assert f.method == "oblique-flat-ground" and f.point is not None and f.footprint is None
    assert f.width_m is None and "no footprint" in f.note
    expected_north = H / math.tan(math.radians(10) - math.atan(0.125))
    lon, lat = enu_to_lonlat(5.0, 52.0, 0.0, expected_north)
    assert_ground_close(f.point, (float(lon), float(lat)), CM)


def test_uncertainty_at_nadir_centre() -> None:
    # The point is below the camera: altitude does not move it, roll neither; a tilt of
    # sigma along and across moves it h tan(sigma) each.
    tilt = H * math.tan(math.radians(ANGLE_SIGMA_DEG))
    [f] = place()
    assert f.uncertainty_m == pytest.approx(math.sqrt(GNSS_SIGMA_M**2 + 2 * tilt**2), abs=CM)


def test_uncertainty_grows_with_distance_and_height() -> None:
    centre, edge = place(boxes=[CENTRED_BOX, [900.0, 380.0, 1000.0, 420.0]])
    high = place(replace(NADIR, altitude_rel_m=120.0))[0]
    oblique = place(OBLIQUE)[0]
    assert centre.uncertainty_m < edge.uncertainty_m
    assert centre.uncertainty_m < high.uncertainty_m
    assert centre.uncertainty_m < oblique.uncertainty_m


def test_empty_and_mismatched_inputs() -> None:
    assert georeference(make_frame(), Detections.empty(), ["crack"], []) == []
    with pytest.raises(ValueError):
        georeference(make_frame(), Detections([CENTRED_BOX], [0.5], [0]), ["crack"], [])
    with pytest.raises(ValueError):
        georeference(make_frame(), Detections([CENTRED_BOX], [0.5], [3]), ["crack"], ["a"])
