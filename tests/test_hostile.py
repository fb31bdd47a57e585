"""A folder of hostile files, as a card, a share or a disk can hold them, scanned in one run: every file is
scanned or listed with its reason, the scan ends in time with exit code 3, the JSON is strict and markup
from names and metadata stays text in the report.

The corpus is made by `hostile_folder` from one real demo photo and files drawn here; `HOSTILE` lists
what each file is and how the scan must take it.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import piexif
import pytest
from PIL import Image

from conftest import ROOT, photos

pytestmark = pytest.mark.slow  # the scan runs the model

MARKUP_NAME = "<img src=x onerror=alert(1)>.JPG"
MARKUP_EXIF = '<script>alert("make")</script>'
NON_UTF8 = os.fsdecode(b"\xff\xfe caf\xe9.JPG")
TIME_BOUND_S = 240  # the whole corpus on 2 CPU cores; it takes about a minute

# name -> what the scan must say of it: a reason it was skipped for, or None for "scanned".
HOSTILE: dict[str, str | None] = {
    "good.JPG": None,
    "below-ground.JPG": None,  # relative altitude -6.5 m
    "looking-up.JPG": None,  # gimbal pitch +30
    "nan-angles.JPG": None,  # XMP gimbal pitch nan, yaw inf, altitude 1e400, flight pitch 999
    "zero-rationals.JPG": None,  # EXIF GPS and focal length as 0/0 rationals
    "markup-exif.JPG": None,  # EXIF Make and Model are markup, an XMP number is "<b" (escaped in the XML)
    "entities.JPG": None,  # XMP with nested entities (billion laughs) and an external entity
    MARKUP_NAME: None,
    NON_UTF8: None,
    "cmyk.jpg": None,
    "grey16.tif": None,
    "float-nan.tif": None,
    "pages.tif": None,  # three pages: the first is scanned
    "one-pixel.jpg": None,
    "strip-20000x8.jpg": None,
    "pipe.JPG": "not a regular file but a FIFO",
    "loop.jpg": "Too many levels of symbolic links",
    "dangling.JPG": "No such file or directory",
    "folder.JPG": "not a regular file but a folder",
    "empty.jpg": "empty file",
    "notes.jpg": "not a JPEG or TIFF",
    "cut.JPG": "truncated",
    "bomb.jpg": "could be decompression bomb",  # a 16-pixel JPEG whose header claims 60000 x 60000
    "DJI_0009.MP4": "",  # garbage bytes beside a plausible SRT: any reason, but skipped
}

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE x:xmpmeta [
 <!ENTITY a "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa">
 <!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">
 <!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">
 <!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;">
 <!ENTITY e "&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;">
 <!ENTITY f "&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;">
 <!ENTITY secret SYSTEM "file:///etc/passwd">
]>
<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
<rdf:Description xmlns:drone-dji="http://www.dji.com/drone-dji/1.0/" drone-dji:GimbalPitchDegree="-90.0"
 drone-dji:GimbalYawDegree="&f;" drone-dji:RelativeAltitude="&secret;"/></rdf:RDF></x:xmpmeta>"""


def with_xmp(jpeg: bytes, packet: bytes) -> bytes:
    """`jpeg` with an XMP APP1 segment right after its start marker."""
    body = b"http://ns.adobe.com/xap/1.0/\x00" + packet
    return jpeg[:2] + b"\xff\xe1" + (len(body) + 2).to_bytes(2, "big") + body + jpeg[2:]


def jpeg_of(image: Image.Image, **params: Any) -> bytes:
    buf = io.BytesIO()
    image.save(buf, format="JPEG", **params)
    return buf.getvalue()


def edited(data: bytes, old: bytes, new: bytes) -> bytes:
    assert data.count(old) == 1 and len(old) == len(new), old  # same length: the segment sizes stay right
    return data.replace(old, new)


def write_real_variants(folder: Path) -> None:
    """The real demo photo as it is and with its pose or metadata made hostile."""
    source = photos()[7]  # clear cracks: the model finds some, so the pose's effect shows in findings
    data = source.read_bytes()
    (folder / "good.JPG").write_bytes(data)
    (folder / "below-ground.JPG").write_bytes(edited(data, b'RelativeAltitude="+6.50"', b'RelativeAltitude="-6.50"'))
    (folder / "looking-up.JPG").write_bytes(edited(data, b'GimbalPitchDegree="-90.00"', b'GimbalPitchDegree="+30.00"'))
    nan = edited(data, b'GimbalPitchDegree="-90.00"', b'GimbalPitchDegree="nan   "')
    nan = edited(nan, b'GimbalYawDegree="+35.00"', b'GimbalYawDegree="inf   "')
    nan = edited(nan, b'FlightPitchDegree="-2.40"', b'FlightPitchDegree="+999."')  # out of range
    (folder / "nan-angles.JPG").write_bytes(edited(nan, b'RelativeAltitude="+6.50"', b'RelativeAltitude="1e400"'))
    exif = piexif.load(data)
    exif["GPS"][piexif.GPSIFD.GPSLatitude] = ((0, 0), (0, 0), (0, 0))
    exif["Exif"][piexif.ExifIFD.FocalLength] = (0, 0)
    out = io.BytesIO()
    piexif.insert(piexif.dump(exif), data, out)
    (folder / "zero-rationals.JPG").write_bytes(out.getvalue())
    exif = piexif.load(data)
    exif["0th"][piexif.ImageIFD.Make] = MARKUP_EXIF.encode()
    exif["0th"][piexif.ImageIFD.Model] = b"<b onmouseover=alert(2)>FC6310"
    out = io.BytesIO()
    piexif.insert(piexif.dump(exif), data, out)
    markup = edited(out.getvalue(), b'FlightRollDegree="+1.20"', b'FlightRollDegree="&lt;b"')  # the value: "<b"
    (folder / "markup-exif.JPG").write_bytes(markup)
    shutil.copy(source, folder / MARKUP_NAME)
    shutil.copy(source, folder / NON_UTF8)


def write_odd_images(folder: Path) -> None:
    """Pixel formats and shapes that are no ordinary 8-bit RGB photo."""
    rng = np.random.default_rng(0)
    tiny = Image.fromarray(rng.integers(0, 255, (32, 32, 3), dtype=np.uint8))
    (folder / "entities.JPG").write_bytes(with_xmp(jpeg_of(tiny), BILLION_LAUGHS))
    Image.new("CMYK", (64, 48), (10, 200, 30, 5)).save(folder / "cmyk.jpg")
    Image.fromarray(rng.integers(0, 65535, (48, 64), dtype=np.uint16)).save(folder / "grey16.tif")
    floats = rng.random((48, 64), dtype=np.float32)
    floats[:4] = np.nan  # no-data rows
    Image.fromarray(floats, mode="F").save(folder / "float-nan.tif")
    pages = [Image.new("RGB", (40, 30), colour) for colour in ("red", "green", "blue")]
    pages[0].save(folder / "pages.tif", save_all=True, append_images=pages[1:])
    Image.new("RGB", (1, 1), "grey").save(folder / "one-pixel.jpg")
    Image.fromarray(rng.integers(0, 255, (8, 20000, 3), dtype=np.uint8)).save(folder / "strip-20000x8.jpg")


def write_broken_files(folder: Path) -> None:
    """What no decoder can take, and what is no file at all."""
    os.mkfifo(folder / "pipe.JPG")
    os.symlink("loop.jpg", folder / "loop.jpg")
    os.symlink("nowhere.jpg", folder / "dangling.JPG")
    os.symlink(".", folder / "again")  # a folder link loop: not followed
    (folder / "folder.JPG").mkdir()
    (folder / "empty.jpg").write_bytes(b"")
    (folder / "notes.jpg").write_text("this is not a photo\n")
    data = photos(1)[0].read_bytes()
    (folder / "cut.JPG").write_bytes(data[: len(data) // 2])
    bomb = bytearray(jpeg_of(Image.new("RGB", (16, 16))))
    start = bomb.find(b"\xff\xc0")  # SOF0: length, precision, then height and width
    bomb[start + 5:start + 9] = (60000).to_bytes(2, "big") * 2
    (folder / "bomb.jpg").write_bytes(bomb)
    (folder / "DJI_0009.MP4").write_bytes(np.random.default_rng(1).bytes(200_000))
    shutil.copy(ROOT / "datasets" / "sample-vessels" / "DJI_0001.SRT", folder / "DJI_0009.SRT")


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> tuple[subprocess.CompletedProcess[str], Path, float]:
    """The corpus scanned once in a process of its own: (the process, its run folder, seconds taken)."""
    root = tmp_path_factory.mktemp("hostile")
    folder = root / "card"
    folder.mkdir()
    write_real_variants(folder)
    write_odd_images(folder)
    write_broken_files(folder)
    assert {os.fsdecode(n) for n in os.listdir(os.fsencode(folder))} == {*HOSTILE, "DJI_0009.SRT", "again"}
    started = time.monotonic()
    done = subprocess.run([sys.executable, "-m", "dronecheck", "scan", str(folder), "--out", str(root / "out")],
                          capture_output=True, text=True, errors="backslashreplace", timeout=TIME_BOUND_S, cwd=ROOT)
    [run_dir] = [p.parent for p in (root / "out").glob("*/*/run.json")]
    return done, run_dir, time.monotonic() - started


def strict_json(path: Path) -> Any:
    """The file read as RFC 8259 JSON: UTF-8, and no NaN or Infinity (which Python would write and accept)."""

    def refuse(constant: str) -> None:
        raise AssertionError(f"{path.name} holds {constant}")

    return json.loads(path.read_text(encoding="utf-8"), parse_constant=refuse)


def test_every_file_is_scanned_or_listed_with_its_reason_and_the_run_ends_with_3(hostile) -> None:  # noqa: ANN001
    done, run_dir, seconds = hostile
    assert done.returncode == 3, done.stderr[-3000:]
    assert "Traceback" not in done.stderr and seconds < TIME_BOUND_S
    record = strict_json(run_dir / "run.json")
    skipped = {s["path"]: s["reason"] for s in record["skipped"]}
    scanned = {f["image"] for f in record["frames"]}
    expected_skipped = {name for name, reason in HOSTILE.items() if reason is not None}
    assert set(skipped) == expected_skipped
    assert scanned == {name for name, reason in HOSTILE.items() if reason is None}
    for name in expected_skipped:
        assert HOSTILE[name] in skipped[name], (name, skipped[name])
        assert name in done.stderr, f"{name} has no warning line"


def test_outputs_are_strict_json_and_markup_stays_text_in_the_report(hostile) -> None:  # noqa: ANN001
    _, run_dir, _ = hostile
    for path in run_dir.glob("*.geojson"):
        strict_json(path)
    html = (run_dir / "report.html").read_text(encoding="utf-8")
    for raw in ("<img src=x", "<script>alert", "<b onmouseover", "'<b'"):
        assert raw not in html, raw
    assert "&lt;img src=x onerror=alert(1)&gt;.JPG" in html


def test_an_impossible_pose_places_findings_at_the_camera_with_a_note(hostile) -> None:  # noqa: ANN001
    _, run_dir, _ = hostile
    by_image: dict[str, list[dict[str, Any]]] = {}
    for f in strict_json(run_dir / "findings.geojson")["features"]:
        by_image.setdefault(f["properties"]["image"], []).append(f["properties"])
    assert {p["georef_method"] for p in by_image["good.JPG"]} == {"nadir"}
    expected = {"below-ground.JPG": "camera not above the take-off height", "looking-up.JPG": "above the horizon",
                "nan-angles.JPG": "no gimbal pitch"}
    for name, note in expected.items():
        assert by_image[name], f"{name}: the model found nothing, the test shows nothing"
        for props in by_image[name]:
            assert props["georef_method"] == "camera-position" and note in props["note"], (name, props)
            assert props["uncertainty_m"] is None
    for props in by_image["zero-rationals.JPG"]:  # no latitude: no place at all
        assert props["georef_method"] == "none"


def test_metadata_notes_name_what_was_refused(hostile) -> None:  # noqa: ANN001
    _, run_dir, _ = hostile
    notes = {f["image"]: " ".join(f.get("notes", [])) for f in strict_json(run_dir / "run.json")["frames"]}
    assert "not a finite number" in notes["nan-angles.JPG"] and "out of range" in notes["nan-angles.JPG"]
    assert "3 pages (a multi-page TIFF): only the first is scanned" in notes["pages.tif"]
    assert "no GPS position" in notes["zero-rationals.JPG"]
    assert len(notes["entities.JPG"]) < 1000, "the entities were expanded"
    assert "root:" not in json.dumps(notes), "the external entity was read"
