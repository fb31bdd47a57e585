"""The laser range finder of DJI H20N/H30T/M30T photos: read from XMP, and its plane used for georeferencing.

The photos are the real H20T photo of tests/data/dji with its XMP packet rewritten: the pose of a
nadir-ish flight (45 m above take-off, gimbal 60 degrees down) and the range finder fields as the
H20N (signed, "+54.270") and the H30T and M30T (unsigned, "54.270") write them.
"""

from __future__ import annotations

import math
import re
import struct
from pathlib import Path

import numpy as np
import pyproj
import pytest

from dronecheck.geo.georef import frame_view, georeference
from dronecheck.geo.testing import assert_ground_close
from dronecheck.ingest.photos import read_frame
from dronecheck.types import Detections, Frame

H20T = Path(__file__).parent / "data" / "dji" / "DJI_H20T.jpg"
XMP_HEADER = b"http://ns.adobe.com/xap/1.0/\x00"
GEOD = pyproj.Geod(ellps="WGS84")
LAT, LON, ABS, REL, YAW, PITCH = 40.563781083, -79.764962806, 221.404, 45.0, 32.5, -60.0
GROUND_REL = -2.0  # the target is 2 m below the take-off point
BELOW = REL - GROUND_REL
DISTANCE = BELOW / math.sin(math.radians(-PITCH))
TARGET_LON, TARGET_LAT, _ = GEOD.fwd(LON, LAT, YAW, BELOW / math.tan(math.radians(-PITCH)))
CM = 0.01


def lrf_fields(signed: bool, status: str = "Normal", distance: float = DISTANCE, lat: float = TARGET_LAT,
               lon: float = TARGET_LON) -> dict[str, str]:
    sign = "+" if signed else ""

    def fmt(value: float, decimals: int) -> str:
        return f"{sign if value >= 0 else ''}{value:.{decimals}f}"

    return {"LRFStatus": status, "LRFTargetDistance": fmt(distance, 3), "LRFTargetLon": fmt(lon, 7),
            "LRFTargetLat": fmt(lat, 7), "LRFTargetAlt": fmt(GROUND_REL, 3), "LRFTargetAbsAlt": fmt(ABS - BELOW, 3)}


def with_xmp(dest: Path, fields: dict[str, str], model: str = "ZH20T") -> Path:
    """A copy of the H20T photo whose XMP has the pose above, `fields` added and `model` as tiff:Model; the JPEG
    APP1 segment that holds the packet is rewritten with its new length."""
    data = H20T.read_bytes()
    start = data.index(XMP_HEADER) - 4  # the APP1 marker and its length
    (length,) = struct.unpack(">H", data[start + 2:start + 4])
    packet = data[start + 4 + len(XMP_HEADER):start + 2 + length].decode()
    for name, value in {"RelativeAltitude": f"+{REL:.3f}", "GimbalPitchDegree": f"{PITCH:+.2f}",
                        "GimbalYawDegree": f"{YAW:+.2f}"}.items():
        packet = re.sub(rf'drone-dji:{name}="[^"]*"', f'drone-dji:{name}="{value}"', packet)
    packet = packet.replace('tiff:Model="ZH20T"', f'tiff:Model="{model}"')
    extra = "".join(f'\n   drone-dji:{k}="{v}"' for k, v in fields.items())
    packet = packet.replace('\n   drone-dji:SelfData=""', f'\n   drone-dji:SelfData=""{extra}')
    body = XMP_HEADER + packet.encode()
    dest.write_bytes(data[:start] + b"\xff\xe1" + struct.pack(">H", len(body) + 2) + body
                     + data[start + 2 + length:])
    return dest


def centre_finding(frame: Frame):
    w, h = frame.camera.width, frame.camera.height
    box = np.array([[w / 2 - 10, h / 2 - 10, w / 2 + 10, h / 2 + 10]])
    return georeference(frame, Detections(box, np.array([0.9]), np.array([0])), ["crack"], ["f0"])[0]


@pytest.mark.parametrize(("model", "signed"), [("ZH20N", True), ("H30T", False), ("M30T", False)])
def test_lrf_fields_are_read_as_each_camera_writes_them(tmp_path: Path, model: str, signed: bool) -> None:
    fields = lrf_fields(signed)
    assert fields["LRFTargetDistance"].startswith("+") == signed
    frame = read_frame(with_xmp(tmp_path / f"{model}.jpg", fields, model))
    pose = frame.pose
    assert frame.notes == ()
    assert pose.lrf_distance_m == pytest.approx(DISTANCE, abs=1e-3)
    assert (pose.lrf_lat, pose.lrf_lon) == pytest.approx((TARGET_LAT, TARGET_LON), abs=1e-7)
    assert pose.lrf_alt_rel_m == GROUND_REL and pose.lrf_alt_abs_m == pytest.approx(ABS - BELOW, abs=1e-3)


@pytest.mark.parametrize("signed", [True, False])
def test_the_image_centre_lands_on_the_target(tmp_path: Path, signed: bool) -> None:
    frame = read_frame(with_xmp(tmp_path / "lrf.jpg", lrf_fields(signed)))
    f = centre_finding(frame)
    assert f.method == "lrf-plane"
    assert_ground_close(f.point, (TARGET_LON, TARGET_LAT), 2 * CM)  # the point is rounded to 1e-7 degree
    view, _ = frame_view(frame)
    centre = view.to_lonlat(np.array([[view.intr.cx, view.intr.cy]]))[0]
    assert_ground_close(tuple(centre), (TARGET_LON, TARGET_LAT), CM)
    assert "LRF check: the target is 0.00 m from the image centre's ground point" in f.note
    # Flat ground at take-off height is 2 m too high: it puts the centre short of the target.
    flat = centre_finding(read_frame(with_xmp(tmp_path / "plain.jpg", {})))
    assert flat.method == "oblique-flat-ground"
    short = GEOD.inv(*flat.point, TARGET_LON, TARGET_LAT)[2]
    assert short == pytest.approx(-GROUND_REL / math.tan(math.radians(-PITCH)), abs=2 * CM)  # rounded points
    # The plane's height error is the range finder's, +-(0.2 m + 0.15 % of the range), not the barometer's.
    assert view.height_sigma_m == pytest.approx(0.2 + 0.0015 * DISTANCE, abs=1e-6)


def test_a_target_off_the_centre_ray_is_within_the_uncertainty(tmp_path: Path) -> None:
    # The drone's own target 1.5 m to the side of where our pose puts the centre: the gap says so.
    lon, lat, _ = GEOD.fwd(TARGET_LON, TARGET_LAT, YAW + 90, 1.5)
    f = centre_finding(read_frame(with_xmp(tmp_path / "off.jpg", lrf_fields(True, lat=lat, lon=lon))))
    gap = GEOD.inv(*f.point, lon, lat)[2]
    assert gap == pytest.approx(1.5, abs=0.02) and gap < f.uncertainty_m
    assert "LRF check: the target is 1.50 m" in f.note


@pytest.mark.parametrize(("change", "note"), [
    ({"LRFStatus": "Invalid"}, "laser range finder status 'Invalid': not used"),
    ({"LRFStatus": "TooClose"}, "laser range finder status 'TooClose': not used"),
    ({"LRFStatus": "TooFar"}, "laser range finder status 'TooFar': not used"),
    ({"LRFTargetDistance": "0.000", "LRFTargetLat": "0.0000000", "LRFTargetLon": "0.0000000",
      "LRFTargetAlt": "0.000", "LRFTargetAbsAlt": "0.000"}, "range of 0 m: not used"),  # as the real M3T photo has
    ({"LRFTargetDistance": "nan"}, "not a finite number: treated as missing"),
    ({"LRFTargetDistance": "+inf"}, "not a finite number: treated as missing"),
    ({"LRFTargetDistance": "+99999.000"}, "out of range"),
    ({"LRFTargetDistance": "far"}, "not a number"),
])
def test_a_failed_or_broken_lrf_changes_nothing(tmp_path: Path, change: dict[str, str], note: str) -> None:
    plain = centre_finding(read_frame(with_xmp(tmp_path / "plain.jpg", {})))
    frame = read_frame(with_xmp(tmp_path / "failed.jpg", {**lrf_fields(True), **change}))
    assert any(note in n for n in frame.notes), frame.notes
    assert frame.pose.lrf_distance_m is None
    f = centre_finding(frame)
    assert (f.method, f.point, f.uncertainty_m, f.footprint) == (plain.method, plain.point, plain.uncertainty_m,
                                                                 plain.footprint)


def test_a_missing_lrf_changes_nothing(tmp_path: Path) -> None:
    frame = read_frame(with_xmp(tmp_path / "plain.jpg", {}))
    assert frame.notes == () and frame.pose.lrf_distance_m is None
    assert read_frame(H20T).pose.lrf_distance_m is None  # the real H20T photo carries no LRF fields
    assert centre_finding(frame).note is None


def test_a_target_position_without_a_fix_keeps_the_plane(tmp_path: Path) -> None:
    frame = read_frame(with_xmp(tmp_path / "nofix.jpg", lrf_fields(False, lat=0.0, lon=0.0)))
    assert any("LRF target at position 0,0" in n for n in frame.notes)
    f = centre_finding(frame)
    assert f.method == "lrf-plane" and "LRF check" not in (f.note or "")
    assert_ground_close(f.point, (TARGET_LON, TARGET_LAT), 2 * CM)
