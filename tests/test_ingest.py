"""Metadata of real drone and camera photos, checked against ExifTool's dumps of the same files."""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path

import pytest

from dronecheck.errors import BadInputError
from dronecheck.ingest import discover, load_pixels, read_frame

DATA = Path(__file__).parent / "data"
GPS_DJI = ["DJI_H20T", "DJI_XT2", "DJI_XTR", "DJI_XTS"]


def exiftool(dump: Path) -> dict[str, str]:
    """ExifTool's text dump as {tag name: value}; the first value wins when a tag repeats."""
    raw = dump.read_bytes()
    text = raw.decode("utf-16") if raw[:2] in (b"\xff\xfe", b"\xfe\xff") else raw.decode()
    tags: dict[str, str] = {}
    for line in text.splitlines():
        key, sep, value = line.partition(":")
        if sep:
            tags.setdefault(key.strip(), value.strip())
    return tags


def dms(text: str) -> float:
    """ExifTool's `9 deg 58' 19.77" N` to signed degrees."""
    d, m, s, ref = re.match(r"(\d+) deg (\d+)' ([\d.]+)\" ([NSEW])", text).groups()
    value = int(d) + int(m) / 60 + float(s) / 3600
    return -value if ref in "SW" else value


@pytest.mark.parametrize("name", GPS_DJI)
def test_dji_metadata_matches_exiftool(name: str) -> None:
    truth = exiftool(DATA / "dji" / f"{name}.txt")
    frame = read_frame(DATA / "dji" / f"{name}.jpg")
    pose, camera = frame.pose, frame.camera
    assert pose.lat == pytest.approx(dms(truth["GPS Latitude"]), abs=2e-6)  # the dump rounds to 0.01"
    assert pose.lon == pytest.approx(dms(truth["GPS Longitude"]), abs=2e-6)
    for tag, value in [("Relative Altitude", pose.altitude_rel_m), ("Absolute Altitude", pose.altitude_abs_m),
                       ("Gimbal Yaw Degree", pose.gimbal_yaw_deg), ("Gimbal Pitch Degree", pose.gimbal_pitch_deg),
                       ("Gimbal Roll Degree", pose.gimbal_roll_deg), ("Flight Yaw Degree", pose.flight_yaw_deg),
                       ("Flight Pitch Degree", pose.flight_pitch_deg), ("Flight Roll Degree", pose.flight_roll_deg)]:
        assert value == pytest.approx(float(truth[tag])), tag
    assert camera.make == truth["Make"] and camera.model == truth["Camera Model Name"]
    assert camera.focal_mm == pytest.approx(float(truth["Focal Length"].split()[0]))
    assert (camera.width, camera.height) == (int(truth["Image Width"]), int(truth["Image Height"]))
    assert frame.time == datetime.strptime(truth["Date/Time Original"][:19], "%Y:%m:%d %H:%M:%S")
    assert len(frame.sha256) == 64


def test_both_xmp_prefixes_are_read() -> None:
    assert b"drone-dji:" in (DATA / "dji" / "DJI_H20T.jpg").read_bytes()
    assert b"DJI:GimbalYawDegree" in (DATA / "dji" / "DJI_XTS.jpg").read_bytes()
    assert read_frame(DATA / "dji" / "DJI_XTS.jpg").pose.gimbal_yaw_deg == pytest.approx(91.3)
    assert read_frame(DATA / "dji" / "DJI_H20T.jpg").pose.gimbal_yaw_deg == pytest.approx(32.5)


def test_unsigned_and_signed_values_parse_alike() -> None:
    assert read_frame(DATA / "dji" / "DJI_XT2.jpg").pose.altitude_rel_m == pytest.approx(1.9)  # "1.900000"
    assert read_frame(DATA / "dji" / "DJI_H20T.jpg").pose.altitude_rel_m == pytest.approx(16.508)  # "+16.508"


def test_photo_without_gps_says_so() -> None:
    frame = read_frame(DATA / "dji" / "M2EA_DJI_0001_R.JPG")
    assert "GPS Latitude" not in exiftool(DATA / "dji" / "M2EA_DJI_0001_R.txt")
    assert frame.pose.lat is None and frame.pose.lon is None
    assert any("no GPS" in note for note in frame.notes)
    assert load_pixels(frame).shape == (frame.camera.height, frame.camera.width, 3)


def test_truncated_file_reads_metadata_but_not_pixels() -> None:
    frame = read_frame(DATA / "dji" / "DJI_XTS.jpg")
    with pytest.raises(BadInputError, match="truncated"):
        load_pixels(frame)


def test_nikon_photo_has_gps_but_no_drone_metadata() -> None:
    truth = exiftool(DATA / "nikon" / "DSCN0010.txt")
    frame = read_frame(DATA / "nikon" / "DSCN0010.jpg")
    assert frame.pose.lat == pytest.approx(dms(truth["GPS Latitude"]), abs=2e-6)
    assert frame.pose.lon == pytest.approx(dms(truth["GPS Longitude"]), abs=2e-6)
    assert frame.camera.make == truth["Make"] and frame.camera.model == truth["Camera Model Name"]
    assert frame.pose.gimbal_pitch_deg is None and frame.pose.altitude_rel_m is None
    assert any("no DJI XMP" in note for note in frame.notes)
    assert frame.camera.focal_source == "35mm-equivalent"  # the P6000 states no focal-plane resolution


def test_focal_length_sources_in_order_of_trust() -> None:
    demo = sorted((DATA.parents[1] / "datasets" / "sample-flight").glob("*.JPG"))[0]
    camera = read_frame(demo).camera
    assert camera.focal_source == "sensor-table"  # FC6310: 8.8 mm on a 13.2 mm wide sensor
    assert camera.focal_px == pytest.approx(8.8 * 1280 / 13.2)


@pytest.mark.parametrize(("content", "reason"), [
    (b"", "empty file"),
    (b"hello, not a photo\n", "not a JPEG or TIFF"),
])
def test_bad_files_raise_one_clear_reason(tmp_path: Path, content: bytes, reason: str) -> None:
    path = tmp_path / "bad.jpg"
    path.write_bytes(content)
    with pytest.raises(BadInputError, match=reason) as info:
        read_frame(path)
    assert str(path) in str(info.value) and "\n" not in str(info.value)


def test_garbage_exif_and_xmp_are_notes_not_failures(tmp_path: Path) -> None:
    data = (DATA / "nikon" / "DSCN0010.jpg").read_bytes()
    start = data.find(b"Exif\x00\x00") + 6
    broken = data[:start + 8] + b"\xff" * 64 + data[start + 72:]  # the IFD entries become garbage
    xmp = b"<x:xmpmeta><rdf:Description xmlns:drone-dji=\"http://www.dji.com/drone-dji/1.0/\" " \
          b"drone-dji:RelativeAltitude=\"high\"/></x:xmpmeta>"
    path = tmp_path / "odd.jpg"
    path.write_bytes(broken[:2] + b"\xff\xe1" + (len(xmp) + 31).to_bytes(2, "big") +
                     b"http://ns.adobe.com/xap/1.0/\x00" + xmp + broken[2:])
    frame = read_frame(path)
    assert frame.pose.altitude_rel_m is None
    assert any("RelativeAltitude" in note for note in frame.notes)
    assert any("EXIF partly corrupt" in note for note in frame.notes)
    assert load_pixels(frame).shape == (480, 640, 3)


def test_discover_walks_folders_and_sets_aside_what_is_not_a_photo(tmp_path: Path) -> None:
    for name in ("a.JPG", "b.jpeg", "sub/c.tif", "sub/deeper/d.TIFF", "notes.txt", "clip.SRT", ".hidden.jpg",
                 ".thumbs/e.jpg"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_bytes(b"x")
    found = discover(tmp_path)
    assert [p.relative_to(tmp_path).as_posix() for p in found.photos] == [
        "a.JPG", "b.jpeg", "sub/c.tif", "sub/deeper/d.TIFF"]
    assert sorted(p.name for p in found.ignored) == ["clip.SRT", "notes.txt"]
    assert discover(tmp_path / "a.JPG").photos == [tmp_path / "a.JPG"]
