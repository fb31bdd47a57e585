"""Metadata of real drone and camera photos, checked against ExifTool's dumps of the same files."""

from __future__ import annotations

import os
import re
import warnings
from datetime import datetime, timedelta, timezone
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from dronecheck.errors import BadInputError
from dronecheck.geo.georef import georeference
from dronecheck.ingest import discover, load_pixels, read_frame
from dronecheck.ingest.cameras import focal_px
from dronecheck.ingest.exif import Exif, read_exif
from dronecheck.types import Detections

DATA = Path(__file__).parent / "data"
GPS_DJI = ["DJI_H20T", "DJI_XT2", "DJI_XTR", "DJI_XTS"]
HALF_HUNDREDTH_ARCSEC = 0.005 / 3600  # ExifTool prints seconds to 0.01"


def exiftool(dump: Path) -> dict[str, str]:
    """ExifTool's text dump (UTF-16 or UTF-8) as {tag name: value}; the first value wins when a tag repeats."""
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
    d, m, s, ref = re.fullmatch(r"(\d+) deg (\d+)' ([\d.]+)\" ([NSEW])", text).groups()
    value = int(d) + int(m) / 60 + float(s) / 3600
    return -value if ref in "SW" else value


def metres(text: str) -> float:
    """ExifTool's `29.4 m Below Sea Level` to signed metres."""
    value = float(text.split()[0])
    return -value if "Below" in text else value


def jpeg(path: Path, ifd0: dict | None = None, sub: dict | None = None, gps: dict | None = None,
         xmp: bytes | None = None, size: tuple[int, int] = (64, 48)) -> Path:
    """A small JPEG with the given EXIF tags (IFD0, Exif IFD, GPS IFD) and XMP packet."""
    exif = Image.Exif()
    exif.update(ifd0 or {})
    exif.get_ifd(0x8769).update(sub or {})
    exif.get_ifd(0x8825).update(gps or {})
    Image.new("RGB", size, (200, 100, 50)).save(path, "JPEG", exif=exif, xmp=xmp or b"")
    return path


def dji_xmp(body: str) -> bytes:
    return (f'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
            f'<rdf:Description xmlns:drone-dji="http://www.dji.com/drone-dji/1.0/" {body}</rdf:Description>'
            f"</rdf:RDF></x:xmpmeta>").encode()


@pytest.mark.parametrize("name", GPS_DJI)
def test_dji_metadata_matches_exiftool(name: str) -> None:
    truth = exiftool(DATA / "dji" / f"{name}.txt")
    frame = read_frame(DATA / "dji" / f"{name}.jpg")
    pose, camera = frame.pose, frame.camera
    assert pose.lat == pytest.approx(dms(truth["GPS Latitude"]), abs=HALF_HUNDREDTH_ARCSEC)
    assert pose.lon == pytest.approx(dms(truth["GPS Longitude"]), abs=HALF_HUNDREDTH_ARCSEC)
    with Image.open(frame.path) as image:
        assert read_exif(image).altitude_m == pytest.approx(metres(truth["GPS Altitude"]), abs=0.05)
    for tag, value in [("Relative Altitude", pose.altitude_rel_m), ("Absolute Altitude", pose.altitude_abs_m),
                       ("Gimbal Yaw Degree", pose.gimbal_yaw_deg), ("Gimbal Pitch Degree", pose.gimbal_pitch_deg),
                       ("Gimbal Roll Degree", pose.gimbal_roll_deg), ("Flight Yaw Degree", pose.flight_yaw_deg),
                       ("Flight Pitch Degree", pose.flight_pitch_deg), ("Flight Roll Degree", pose.flight_roll_deg)]:
        assert value == pytest.approx(float(truth[tag])), tag
    assert camera.make == truth["Make"] and camera.model == truth["Camera Model Name"]
    assert camera.focal_mm == pytest.approx(float(truth["Focal Length"].split()[0]))
    assert camera.focal_35mm == (float(truth["Focal Length In 35mm Format"].split()[0])
                                 if "Focal Length In 35mm Format" in truth else None)
    assert (camera.width, camera.height) == (int(truth["Image Width"]), int(truth["Image Height"]))
    assert frame.time == datetime.strptime(truth["Date/Time Original"][:19], "%Y:%m:%d %H:%M:%S")
    assert pose.has_position and len(frame.sha256) == 64


def test_both_xmp_prefixes_are_read() -> None:
    assert b"drone-dji:GimbalYawDegree" in (DATA / "dji" / "DJI_H20T.jpg").read_bytes()
    assert b"DJI:GimbalYawDegree" in (DATA / "dji" / "DJI_XTS.jpg").read_bytes()
    xts = read_frame(DATA / "dji" / "DJI_XTS.jpg")
    assert xts.pose.gimbal_yaw_deg == pytest.approx(91.3)
    assert any("not well-formed" in note for note in xts.notes)  # it declares xmlns:DJI twice
    assert read_frame(DATA / "dji" / "DJI_H20T.jpg").notes == ()


def test_unsigned_and_signed_values_parse_alike() -> None:
    assert read_frame(DATA / "dji" / "DJI_XT2.jpg").pose.altitude_rel_m == pytest.approx(1.9)  # "1.900000"
    assert read_frame(DATA / "dji" / "DJI_H20T.jpg").pose.altitude_rel_m == pytest.approx(16.508)  # "+16.508"


def test_below_sea_level_is_negative() -> None:
    assert exiftool(DATA / "dji" / "DJI_XTS.txt")["GPS Altitude Ref"] == "Below Sea Level"
    assert read_frame(DATA / "dji" / "DJI_XTS.jpg").pose.altitude_abs_m == pytest.approx(-29.44)  # XMP wins


def test_dji_photo_without_gps_says_so() -> None:
    frame = read_frame(DATA / "dji" / "M2EA_DJI_0001_R.JPG")
    assert "GPS Latitude" not in exiftool(DATA / "dji" / "M2EA_DJI_0001_R.txt")
    assert frame.pose.lat is None and frame.pose.lon is None and not frame.pose.has_position
    assert "no GPS position in EXIF" in frame.notes
    assert any("no focal length" in note for note in frame.notes)
    assert load_pixels(frame).shape == (frame.camera.height, frame.camera.width, 3)


def test_truncated_file_reads_metadata_but_not_pixels() -> None:
    frame = read_frame(DATA / "dji" / "DJI_XTS.jpg")
    assert frame.pose.has_position
    with pytest.raises(BadInputError, match="truncated image"):
        load_pixels(frame)


def test_nikon_photo_has_gps_but_no_drone_metadata() -> None:
    truth = exiftool(DATA / "nikon" / "DSCN0010.txt")
    frame = read_frame(DATA / "nikon" / "DSCN0010.jpg")
    assert frame.pose.lat == pytest.approx(dms(truth["GPS Latitude"]), abs=HALF_HUNDREDTH_ARCSEC)
    assert frame.pose.lon == pytest.approx(dms(truth["GPS Longitude"]), abs=HALF_HUNDREDTH_ARCSEC)
    assert frame.camera.make == truth["Make"] and frame.camera.model == truth["Camera Model Name"]
    assert frame.time == datetime.strptime(truth["Date/Time Original"], "%Y:%m:%d %H:%M:%S")
    assert frame.pose.gimbal_pitch_deg is None and frame.pose.altitude_rel_m is None
    assert any("no DJI XMP" in note for note in frame.notes)
    assert frame.camera.focal_source == "35mm-equivalent"  # the P6000 states no focal-plane resolution
    assert load_pixels(DATA / "nikon" / "DSCN0010.jpg").shape == (480, 640, 3)  # a path works too


@pytest.mark.parametrize(("name", "source", "focal"), [
    ("dji/DJI_H20T.jpg", "sensor-table", 13.5 * 640 / 7.68),  # ZH20T thermal, 640x512 at 12 µm
    ("dji/DJI_XT2.jpg", "sensor-table", 19 * 640 / 10.88),  # Model "FLIR", 640x512 at 17 µm
    ("dji/DJI_XTS.jpg", "sensor-table", 19 * 640 / 10.88),
    ("nikon/DSCN0010.jpg", "35mm-equivalent", 112 * 800 / 43.2666),
    ("dji/M2EA_DJI_0001_R.JPG", None, None),  # no focal length at all
])
def test_focal_length_of_real_photos(name: str, source: str | None, focal: float | None) -> None:
    camera = read_frame(DATA / name).camera
    assert camera.focal_source == source
    assert camera.focal_px == (pytest.approx(focal) if focal else None)


@pytest.mark.parametrize(("exif", "xmp", "source", "focal"), [
    (Exif(model="FC6310", focal_mm=8.8, focal_35mm=24, focal_plane_px_per_mm=400), {"CalibratedFocalLength": 3666.7},
     "xmp-calibrated", 3666.7),
    (Exif(model="FC6310", focal_mm=8.8, focal_35mm=24, focal_plane_px_per_mm=400), {}, "exif-focal-plane", 3520),
    (Exif(model="FC6310", focal_mm=8.8, focal_35mm=24, focal_plane_px_per_mm=400, exif_width=5472), {},
     "exif-focal-plane", 3520 * 1280 / 5472),  # the resolution is at the EXIF width, not this image's
    (Exif(model="FC6310", focal_mm=8.8, focal_35mm=24), {}, "sensor-table", 8.8 * 1280 / 13.2),
    (Exif(model="unknown", focal_mm=8.8, focal_35mm=24), {}, "35mm-equivalent", 24 * 1600 / 43.2666),
    (Exif(model="unknown", focal_mm=8.8), {}, None, None),
])
def test_focal_length_sources_in_order_of_trust(exif: Exif, xmp: dict, source: str | None,
                                                focal: float | None) -> None:
    found = focal_px(exif, xmp, 1280, 960)
    assert found.source == source
    assert found.px == (pytest.approx(focal) if focal else None)


@pytest.mark.parametrize(("unit", "resolution", "px"), [(2, 254.0, 88), (3, 100.0, 88), (4, 10.0, 88), (5, 0.01, 88)])
def test_focal_plane_resolution_units(tmp_path: Path, unit: int, resolution: float, px: float) -> None:
    """8.8 mm at 10 px/mm, whether stated per inch, cm, mm or µm."""
    path = jpeg(tmp_path / "a.jpg", sub={37386: 8.8, 41486: resolution, 41488: unit})
    camera = read_frame(path).camera
    assert camera.focal_source == "exif-focal-plane" and camera.focal_px == pytest.approx(px)


def test_synthetic_dji_photo_with_calibration_and_offset(tmp_path: Path) -> None:
    xmp = dji_xmp('drone-dji:CalibratedFocalLength="3666.666504" drone-dji:RelativeAltitude="+50.10">'
                  "<drone-dji:GimbalPitchDegree>-90.0</drone-dji:GimbalPitchDegree>"
                  "<drone-dji:GimbalYawDegree>+12.3</drone-dji:GimbalYawDegree>")
    path = jpeg(tmp_path / "dji.jpg", ifd0={271: "DJI", 272: "FC6310"},
                sub={37386: 8.8, 36867: "2024:01:02 03:04:05", 36881: "+02:00", 40962: 5472},
                gps={1: "S", 2: (33.0, 51.0, 54.0), 3: "W", 4: (151.0, 12.0, 36.0), 5: b"\x01", 6: 12.5}, xmp=xmp)
    frame = read_frame(path)
    assert (frame.pose.lat, frame.pose.lon) == (pytest.approx(-33.865), pytest.approx(-151.21))
    assert frame.pose.altitude_abs_m == -12.5  # GPS altitude, below sea level, when XMP has none
    assert (frame.pose.altitude_rel_m, frame.pose.gimbal_pitch_deg, frame.pose.gimbal_yaw_deg) == (50.1, -90, 12.3)
    assert frame.camera.focal_source == "xmp-calibrated" and frame.camera.focal_px == pytest.approx(3666.666504)
    assert frame.camera.sensor_width_mm == 13.2 and (frame.camera.width, frame.camera.height) == (64, 48)
    assert frame.time == datetime(2024, 1, 2, 3, 4, 5, tzinfo=timezone(timedelta(hours=2)))
    assert frame.pose.flight_yaw_deg is None and frame.notes == ()


@pytest.mark.parametrize(("content", "reason"), [
    (b"", "empty file (0 bytes)"),
    (b"hello, not a photo\n", "not a JPEG or TIFF image"),
])
def test_bad_files_raise_one_clear_reason(tmp_path: Path, content: bytes, reason: str) -> None:
    path = tmp_path / "bad.jpg"
    path.write_bytes(content)
    with pytest.raises(BadInputError, match=re.escape(reason)) as info:
        read_frame(path)
    assert info.value.path == path and "\n" not in str(info.value)


def test_missing_file_is_bad_input(tmp_path: Path) -> None:
    with pytest.raises(BadInputError, match="cannot read"):
        read_frame(tmp_path / "gone.jpg")
    with pytest.raises(BadInputError, match="not a regular file but a folder"):
        read_frame(tmp_path)


def test_garbage_exif_and_xmp_are_notes_not_failures(tmp_path: Path) -> None:
    data = (DATA / "nikon" / "DSCN0010.jpg").read_bytes()
    start = data.find(b"Exif\x00\x00") + 6
    broken = data[:start + 8] + b"\xff" * 64 + data[start + 72:]  # the IFD entries become garbage
    xmp = b"<x:xmpmeta><rdf:Description xmlns:drone-dji=\"http://www.dji.com/drone-dji/1.0/\" " \
          b"drone-dji:RelativeAltitude=\"high\"/></x:xmpmeta>"
    path = tmp_path / "odd.jpg"
    path.write_bytes(broken[:2] + b"\xff\xe1" + (len(xmp) + 31).to_bytes(2, "big") +
                     b"http://ns.adobe.com/xap/1.0/\x00" + xmp + broken[2:])
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # Pillow's warnings about the EXIF must become notes, not leak
        frame = read_frame(path)
        pixels = load_pixels(frame)
    assert frame.pose.altitude_rel_m is None
    assert any("RelativeAltitude" in note for note in frame.notes)
    assert any("EXIF partly corrupt" in note for note in frame.notes)
    assert any("not well-formed" in note for note in frame.notes)  # unbound prefixes x: and rdf:
    assert pixels.shape == (480, 640, 3)


@pytest.mark.parametrize(("mode", "value"), [("L", 77), ("RGBA", (10, 20, 30, 0)), ("P", 3)])
def test_pixels_are_rgb_uint8_whatever_the_mode(tmp_path: Path, mode: str, value: object) -> None:
    path = tmp_path / "a.tif"
    Image.new(mode, (5, 4), value).save(path)
    pixels = load_pixels(path)
    assert pixels.shape == (4, 5, 3) and pixels.dtype == np.uint8


def test_16_bit_tiff_is_stretched_to_8_bits(tmp_path: Path) -> None:
    path = tmp_path / "thermal.tif"
    Image.fromarray(np.array([[1000, 1500], [2000, 3000]], dtype=np.uint16)).save(path)
    pixels = load_pixels(path)
    assert pixels.dtype == np.uint8 and pixels[..., 0].tolist() == [[0, 64], [128, 255]]
    assert (pixels[..., 0] == pixels[..., 2]).all()


def test_discover_walks_folders_and_sets_aside_what_is_not_a_photo(tmp_path: Path) -> None:
    for name in ("a.JPG", "b.jpeg", "sub/c.tif", "sub/deeper/d.TIFF", "notes.txt", "clip.SRT", "map.png",
                 ".hidden.jpg", ".thumbs/e.jpg", "sub/.cache/f.jpg"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_bytes(b"x")
    found = discover(tmp_path)
    assert [p.relative_to(tmp_path).as_posix() for p in found.photos] == [
        "a.JPG", "b.jpeg", "sub/c.tif", "sub/deeper/d.TIFF"]
    assert sorted(p.name for p in found.ignored) == ["clip.SRT", "map.png", "notes.txt"]
    assert discover(tmp_path / "a.JPG").photos == [tmp_path / "a.JPG"]
    assert discover(tmp_path / "notes.txt").ignored == [tmp_path / "notes.txt"]
    with pytest.raises(BadInputError, match="no such file or folder"):
        discover(tmp_path / "nowhere")


def test_a_100_megapixel_photo_decodes_once_into_rgb_with_no_corrupt_exif_note(tmp_path: Path) -> None:
    big = tmp_path / "big.jpg"
    Image.new("RGB", (12000, 8400), (40, 90, 160)).save(big, quality=50)  # over Pillow's 89 MP warning
    frame = read_frame(big)
    assert not any("corrupt" in note for note in frame.notes)
    pixels = load_pixels(frame)
    assert pixels.shape == (8400, 12000, 3) and pixels.flags.c_contiguous
    assert tuple(int(v) for v in pixels[4200, 6000]) == pytest.approx((40, 90, 160), abs=4)  # JPEG colour loss


@pytest.mark.parametrize("value", ["nan", "inf", "-inf", "NaN"])
def test_nan_and_infinite_gimbal_angles_are_missing_with_a_note(tmp_path: Path, value: str) -> None:
    xmp = dji_xmp(f'drone-dji:RelativeAltitude="+50.10" drone-dji:GimbalPitchDegree="{value}" '
                  f'drone-dji:GimbalYawDegree="{value}">')
    path = jpeg(tmp_path / "dji.jpg", sub={37386: 8.8}, gps={1: "N", 2: (52.0, 0.0, 0.0), 3: "E", 4: (5.0, 0.0, 0.0)},
                xmp=xmp)
    frame = read_frame(path)
    assert frame.pose.gimbal_pitch_deg is None and frame.pose.gimbal_yaw_deg is None
    assert any(f"GimbalPitchDegree='{value}' is not a finite number" in note for note in frame.notes)
    [finding] = georeference(frame, Detections([[10, 10, 20, 20]], [0.9], [0]), ["crack"], ["f1"])
    assert finding.method == "camera-position" and "no gimbal pitch" in finding.note


def test_a_fifo_named_like_a_photo_is_refused_without_opening_it(tmp_path: Path) -> None:
    fifo = tmp_path / "DJI_0001.JPG"
    os.mkfifo(fifo)  # opening it to read would block for ever: nothing writes to it
    with pytest.raises(BadInputError, match="not a regular file but a FIFO"):
        read_frame(fifo)
    with pytest.raises(BadInputError, match="not a regular file but a FIFO"):
        load_pixels(fifo)
    assert discover(tmp_path).photos == [fifo]  # found by its name, refused when read
