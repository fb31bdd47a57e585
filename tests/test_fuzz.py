"""Hostile input never ends a run: property-based tests (Hypothesis) of every parser of outside files.

Arbitrary bytes and text, and real samples with bytes flipped, inserted or deleted, must give a
value or the project's own error (a DronecheckError subclass), never another exception, and each
within a second. Numbers that are NaN, infinite or out of range must come out missing.

The examples are derandomized and no example database is kept, so every run tries the same ones.
"""

from __future__ import annotations

import json
import math
import struct
import time
import tracemalloc
from collections.abc import Callable
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from PIL import Image
from PIL.TiffImagePlugin import IFDRational

from dronecheck.analyse.zones import Zone, load_zones
from dronecheck.config import Config, load_config
from dronecheck.errors import BadInputError, ConfigError, ProfileError
from dronecheck.ingest.exif import _degrees, _number, _time
from dronecheck.ingest.photos import read_frame
from dronecheck.ingest.srt import Telemetry, read_srt
from dronecheck.ingest.xmp import dji_fields, packet
from dronecheck.profiles import Profile, load_profile

DATA = Path(__file__).parent / "data"
PHOTOS = sorted(p for p in (DATA / "dji").iterdir() if p.suffix.lower() == ".jpg") + [DATA / "nikon" / "DSCN0010.jpg"]
XMP_PHOTOS = [p for p in PHOTOS if packet(p.read_bytes())]
SRTS = sorted(p for p in (DATA / "srt").iterdir() if p.suffix.lower() == ".srt" and p.stat().st_size > 2)
ZONES = DATA / "zones" / "test-zones.geojson"
SECOND = 1.0

FUZZ = settings(max_examples=60, deadline=1000, database=None, derandomize=True,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                       HealthCheck.data_too_large, HealthCheck.large_base_example])
QUICK = settings(FUZZ, max_examples=100)  # pure functions of a value, no files: cheap examples


@st.composite
def mutated(draw: st.DrawFn, data: bytes, start: int = 0, end: int | None = None) -> bytes:
    """`data` with 1 to 8 bytes flipped, overwritten, inserted or deleted within [start, end)."""
    out = bytearray(data)
    end = len(data) if end is None else end
    for _ in range(draw(st.integers(1, 8))):
        at = draw(st.integers(start, max(start, min(end, len(out)) - 1)))
        op = draw(st.sampled_from(["flip", "overwrite", "insert", "delete"]))
        if op == "flip" and at < len(out):
            out[at] ^= 1 << draw(st.integers(0, 7))
        elif op == "overwrite" and at < len(out):
            out[at] = draw(st.sampled_from([0, 0xFF, ord("<"), ord('"'), ord(":"), ord("-"), ord("9")])
                           | st.integers(0, 255))
        elif op == "insert":
            out[at:at] = draw(st.binary(min_size=1, max_size=16))
        else:
            del out[at:at + draw(st.integers(1, 16))]
    return bytes(out)


def within_a_second(call: Any, *args: Any) -> Any:
    """`call(*args)`, failing the test when it takes more than a second (a check besides Hypothesis'
    deadline, for the hand-made worst cases that are not run through @given)."""
    start = time.perf_counter()
    result = call(*args)
    assert time.perf_counter() - start < SECOND, f"{call.__name__} took more than {SECOND} s"
    return result


# --- photos: EXIF and DJI XMP ---------------------------------------------------------------------------------


def exif_segment(data: bytes) -> tuple[int, int]:
    """[start, end) of the APP1 segment holding EXIF."""
    start = data.find(b"Exif\x00\x00") - 4
    (length,) = struct.unpack(">H", data[start + 2:start + 4])
    return start, start + 2 + length


def check_frame(path: Path) -> None:
    """read_frame gives a Frame whose notes are text and whose numbers are finite and in range, or BadInputError."""
    try:
        frame = read_frame(path)
    except BadInputError:
        return
    assert all(isinstance(note, str) for note in frame.notes)
    pose = frame.pose
    assert (pose.lat is None) == (pose.lon is None)
    if pose.lat is not None:
        assert abs(pose.lat) <= 90 and abs(pose.lon) <= 180
    for altitude in (pose.altitude_abs_m, pose.altitude_rel_m):
        assert altitude is None or abs(altitude) <= 20_000
    for angle in (pose.gimbal_yaw_deg, pose.gimbal_pitch_deg, pose.gimbal_roll_deg, pose.flight_yaw_deg,
                  pose.flight_pitch_deg, pose.flight_roll_deg):
        assert angle is None or abs(angle) <= 360
    focal = frame.camera.focal_px
    assert focal is None or (math.isfinite(focal) and focal > 0)


@pytest.mark.parametrize("photo", PHOTOS, ids=lambda p: p.name)
@FUZZ
@given(data=st.data())
def test_photo_with_mutated_exif(photo: Path, data: st.DataObject, tmp_path: Path) -> None:
    original = photo.read_bytes()
    path = tmp_path / photo.name
    path.write_bytes(data.draw(mutated(original, *exif_segment(original))))
    check_frame(path)


@pytest.mark.parametrize("photo", XMP_PHOTOS, ids=lambda p: p.name)
@FUZZ
@given(data=st.data())
def test_photo_with_mutated_xmp(photo: Path, data: st.DataObject, tmp_path: Path) -> None:
    original = photo.read_bytes()
    start = original.find(b"<x:xmpmeta")
    path = tmp_path / photo.name
    path.write_bytes(data.draw(mutated(original, start, original.find(b"</x:xmpmeta>") + 12)))
    check_frame(path)


@FUZZ
@given(head=st.sampled_from([b"", b"\xff\xd8", b"\xff\xd8\xff\xe1", b"II*\x00", b"MM\x00*"]), body=st.binary())
def test_photo_of_arbitrary_bytes(head: bytes, body: bytes, tmp_path: Path) -> None:
    path = tmp_path / "photo.jpg"
    path.write_bytes(head + body)
    check_frame(path)


NUMBER_TEXT = st.one_of(st.floats().map(repr), st.sampled_from(["nan", "-inf", "1e999", "95", "400", "-400", "1e30",
                                                                 "", " ", "+16.508", "0x10", "1_000"]), st.text())


@QUICK
@given(pitch=NUMBER_TEXT, altitude=NUMBER_TEXT, focal=NUMBER_TEXT)
def test_xmp_numbers_out_of_range_are_missing(pitch: str, altitude: str, focal: str, tmp_path: Path) -> None:
    """Whatever a DJI XMP number says, the pose has it in range or not at all."""
    xmp = (f'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
           f'<rdf:Description xmlns:drone-dji="http://www.dji.com/drone-dji/1.0/">'
           f"<drone-dji:GimbalPitchDegree>{pitch}</drone-dji:GimbalPitchDegree>"
           f"<drone-dji:RelativeAltitude>{altitude}</drone-dji:RelativeAltitude>"
           f"<drone-dji:CalibratedFocalLength>{focal}</drone-dji:CalibratedFocalLength>"
           f"</rdf:Description></rdf:RDF></x:xmpmeta>")
    path = tmp_path / "xmp.jpg"
    Image.new("RGB", (32, 24)).save(path, "JPEG", xmp=xmp.encode("utf-8", "surrogatepass"))
    check_frame(path)


def test_out_of_range_photo_values_are_missing_with_a_note(tmp_path: Path) -> None:
    exif = Image.Exif()
    exif.get_ifd(0x8825).update({1: "N", 2: (95.0, 0.0, 0.0), 3: "E", 4: (5.0, 0.0, 0.0), 6: 4e9})  # 32-bit rationals
    xmp = (b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:Description xmlns:d="http://www.dji.com/drone-dji/1.0/" '
           b'xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" d:GimbalPitchDegree="400" '
           b'd:RelativeAltitude="-1e30" d:GimbalYawDegree="12.5"/></x:xmpmeta>')
    path = tmp_path / "range.jpg"
    Image.new("RGB", (32, 24)).save(path, "JPEG", exif=exif, xmp=xmp)
    frame = read_frame(path)
    pose = frame.pose
    assert (pose.lat, pose.lon, pose.altitude_abs_m, pose.altitude_rel_m, pose.gimbal_pitch_deg) == (None,) * 5
    assert pose.gimbal_yaw_deg == 12.5
    notes = " | ".join(frame.notes)
    assert "position out of range" in notes
    assert "GimbalPitchDegree='400' is out of range" in notes and "RelativeAltitude='-1e30' is out of range" in notes
    assert "GPS altitude 4e+09 m is out of range" in notes
    assert "not well-formed" not in notes


EXIF_VALUES = st.one_of(
    st.none(), st.floats(), st.integers(), st.integers(min_value=10**300, max_value=10**400), st.text(), st.binary(),
    st.fractions(), st.builds(Fraction, st.integers(min_value=10**320), st.integers(1, 3)),
    st.builds(IFDRational, st.integers(-(2**31), 2**32), st.sampled_from([0, 0, 1, 3, 2**32 - 1])))


@QUICK
@given(value=EXIF_VALUES | st.tuples(EXIF_VALUES, EXIF_VALUES, EXIF_VALUES) | st.lists(EXIF_VALUES, max_size=4),
       ref=st.sampled_from(["N", "S", "E", "W", b"S\x00", None, 1]))
def test_exif_numbers_are_finite_or_missing(value: Any, ref: Any) -> None:
    for number in (_number(value), _degrees(value, ref)):
        assert number is None or (isinstance(number, float) and math.isfinite(number))


@QUICK
@given(stamp=st.one_of(st.text(), st.binary(), st.none(), st.integers(), st.from_regex(
    r"\d{4}[:-]\d\d[:-]\d\d[ T]\d\d:\d\d:\d\d.*", fullmatch=True)), offset=st.one_of(st.text(), st.binary(), st.none(),
    st.from_regex(r"[+-]\d\d:\d\d", fullmatch=True)))
def test_exif_times_parse_or_are_missing(stamp: Any, offset: Any) -> None:
    result = _time(stamp, offset)
    assert result is None or result.year >= 1


# --- DJI XMP packets ------------------------------------------------------------------------------------------


def check_fields(data: bytes) -> None:
    fields, note = dji_fields(data)
    assert all(isinstance(k, str) and isinstance(v, str) for k, v in fields.items())
    assert note is None or isinstance(note, str)


@QUICK
@given(body=st.binary() | st.text().map(str.encode), wrap=st.booleans())
def test_xmp_of_arbitrary_bytes(body: bytes, wrap: bool) -> None:
    check_fields(b"<x:xmpmeta " + body + b"</x:xmpmeta>" if wrap else body)


@pytest.mark.parametrize("photo", XMP_PHOTOS, ids=lambda p: p.name)
@FUZZ
@given(data=st.data())
def test_xmp_of_mutated_real_packets(photo: Path, data: st.DataObject) -> None:
    check_fields(data.draw(mutated(packet(photo.read_bytes()))))


BILLION_LAUGHS = ('<?xml version="1.0"?><!DOCTYPE x:xmpmeta [<!ENTITY a0 "lol">'
                  + "".join(f'<!ENTITY a{i} "{f"&a{i - 1};" * 10}">' for i in range(1, 10)) + "]>")
EXTERNAL = '<!DOCTYPE x:xmpmeta [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
ENTITY_PACKETS = {
    "billion laughs": BILLION_LAUGHS + '<x:xmpmeta xmlns:x="adobe:ns:meta/" xmlns:d="http://www.dji.com/" '
                                       'd:GimbalYawDegree="&a9;"><d:RtkFlag>&a9;</d:RtkFlag></x:xmpmeta>',
    "external entity": EXTERNAL + '<x:xmpmeta xmlns:x="adobe:ns:meta/" xmlns:d="http://www.dji.com/" '
                                  'd:GimbalYawDegree="&x;"><d:RtkFlag>&x;</d:RtkFlag></x:xmpmeta>',
    "declarations inside the packet": '<x:xmpmeta xmlns:x="adobe:ns:meta/" xmlns:d="http://www.dji.com/">'
                                      + BILLION_LAUGHS + EXTERNAL + "<d:RtkFlag>&a9;&x;</d:RtkFlag></x:xmpmeta>",
}


@pytest.mark.parametrize("xml", ENTITY_PACKETS.values(), ids=ENTITY_PACKETS.keys())
def test_xmp_entities_are_not_expanded(xml: str) -> None:
    """The packet is cut at `<x:xmpmeta`, after any DOCTYPE, and XML allows none inside an element: entities stay
    undefined, so nothing is expanded and no file is read, whether expat would limit it or not."""
    tracemalloc.start()
    try:
        fields, note = within_a_second(dji_fields, xml.encode())
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 10_000_000
    assert not any("lol" in value or "root:" in value for value in fields.values())
    assert note is not None and "not well-formed" in note


# --- SRT telemetry --------------------------------------------------------------------------------------------


def check_telemetry(path: Path) -> None:
    try:
        telemetry = read_srt(path)
    except BadInputError:
        return
    assert isinstance(telemetry, Telemetry) and telemetry.samples
    assert all(isinstance(note, str) for note in telemetry.notes)
    for s in telemetry.samples:
        assert abs(s.lat) <= 90 and abs(s.lon) <= 180 and math.isfinite(s.offset_s)
        for altitude in (s.rel_alt_m, s.abs_alt_m):
            assert altitude is None or abs(altitude) <= 20_000
        for angle in (s.gimbal_yaw_deg, s.gimbal_pitch_deg, s.gimbal_roll_deg):
            assert angle is None or abs(angle) <= 360
        for value in (s.focal_35mm, s.digital_zoom):
            assert value is None or (math.isfinite(value) and value > 0)


SRT_LINES = st.sampled_from([
    "1", "", "00:00:01,000 --> 00:00:02,000", "2017.08.05 14:11:51", "GPS(149.0251,-20.2533,16) BAROMETER:1.9",
    "[latitude: 95.5] [longitude: 2.16] [rel_alt: 1e30 abs_alt: 132.8]", "[gb_yaw: 400 gb_pitch: -1e999 gb_roll: 0]",
    "GPS (4.1, 52.3, 12), H 85.80m, G.PRY (-24.4°, 0.0°, 9e99°)", "[focal_len: 0] [dzoom_ratio: -5]",
    f"[latitude: {'9' * 400}.5] [longitude: 2.16] [altitude: {'1' * 5000}]", f"{'9' * 5000}:00:01,000 --> 0:0:0,0",
])


@FUZZ
@given(lines=st.lists(SRT_LINES | st.text(max_size=80), max_size=30))
def test_srt_of_arbitrary_text(lines: list[str], tmp_path: Path) -> None:
    path = tmp_path / "video.SRT"
    path.write_text("\n".join(lines), encoding="utf-8", errors="surrogatepass")
    check_telemetry(path)


@FUZZ
@given(data=st.binary())
def test_srt_of_arbitrary_bytes(data: bytes, tmp_path: Path) -> None:
    path = tmp_path / "video.SRT"
    path.write_bytes(data)
    check_telemetry(path)


@pytest.mark.parametrize("srt", SRTS, ids=lambda p: p.name)
@settings(FUZZ, max_examples=15)
@given(data=st.data())
def test_srt_of_mutated_real_files(srt: Path, data: st.DataObject, tmp_path: Path) -> None:
    path = tmp_path / srt.name
    path.write_bytes(data.draw(mutated(srt.read_bytes())))
    check_telemetry(path)


LONG = 30_000
WORST_LINES = {  # each took seconds to minutes where a pattern backtracked over a long line
    "digits": "1" * LONG, "word and bracket": "a" * LONG + "(", "colon, long value, colon": "a:" + "b" * LONG + ":",
    "colon chain": "a:b" * (LONG // 3), "open font tags": "<font" * (LONG // 5), "spaces in a pair": "a" + " " * LONG
    + "x y", "long key": "a" * LONG + ": 1", "bracket chain": "[a: " * (LONG // 4),
}


@pytest.mark.parametrize("line", WORST_LINES.values(), ids=WORST_LINES.keys())
def test_srt_long_lines_are_read_fast(line: str, tmp_path: Path) -> None:
    path = tmp_path / "long.SRT"
    path.write_text(f"1\n00:00:01,000 --> 00:00:02,000\n{line}\n[latitude: 52.1] [longitude: 4.3]\n")
    assert within_a_second(read_srt, path).samples[0].lat == 52.1


def test_srt_out_of_range_values_are_missing_with_a_note(tmp_path: Path) -> None:
    path = tmp_path / "range.SRT"
    path.write_text("1\n00:00:01,000 --> 00:00:02,000\n[latitude: 52.1] [longitude: 4.3] [rel_alt: 1e30 abs_alt: 3] "
                    f"[gb_yaw: 400 gb_pitch: -45 gb_roll: 0] [focal_len: {'9' * 400}]\n")
    telemetry = read_srt(path)
    sample = telemetry.samples[0]
    assert (sample.rel_alt_m, sample.abs_alt_m, sample.gimbal_yaw_deg, sample.gimbal_pitch_deg) == (None, 3, None, -45)
    assert sample.focal_35mm is None
    assert any("out of range" in note and "gimbal_yaw_deg" in note for note in telemetry.notes)


# --- documents: a valid one with one or two keys changed ---------------------------------------------------
# Arbitrary documents almost all fail at their first key; changing one or two keys of a valid document
# reaches every later check too.

MISSING = object()


@st.composite
def changed(draw: st.DrawFn, base: dict[str, Any], values: dict[str, st.SearchStrategy[Any]]) -> dict[str, Any]:
    """`base` (values, or strategies to draw them from) with none, one or two of the keys of `values` set to a value
    drawn from it, or left out."""
    doc = {key: draw(v) if isinstance(v, st.SearchStrategy) else v for key, v in base.items()}
    for key in draw(st.lists(st.sampled_from(sorted(values)), max_size=2, unique=True)):
        value = draw(values[key] | st.just(MISSING))
        if value is MISSING:
            doc.pop(key, None)
        else:
            doc[key] = value
    return doc


# --- zones ----------------------------------------------------------------------------------------------------

JSON = st.recursive(st.none() | st.booleans() | st.floats() | st.integers() | st.integers(10**300, 10**400)
                    | st.text(max_size=20), lambda inner: st.lists(inner, max_size=5)
                    | st.dictionaries(st.text(max_size=10), inner, max_size=5), max_leaves=25)
SQUARE = [[[4.0, 52.0], [5.0, 52.0], [5.0, 53.0], [4.0, 53.0], [4.0, 52.0]]]
RING = st.lists(st.tuples(st.floats(-200, 200) | st.sampled_from([math.nan, math.inf, 10**400]), st.floats(-100, 100)),
                max_size=6).map(lambda ring: [list(p) for p in ring + ring[:1]])
GEOMETRY = changed({"type": "Polygon", "coordinates": SQUARE}, {
    "type": st.sampled_from(["MultiPolygon", "Point", "Feature", "GeometryCollection"]) | JSON,
    "coordinates": st.lists(RING, max_size=2) | st.lists(st.lists(RING, max_size=2), max_size=2) | JSON})
PROPERTIES = changed({"name": "Closed area 1", "kind": "closed", "allowed_hours": "06:00-18:00",
                      "timezone": "Europe/Amsterdam", "speed_limit_kn": 6}, {
    "name": st.sampled_from(["", " "]) | JSON, "kind": st.sampled_from(["", "fishing"]) | JSON,
    "allowed_hours": st.sampled_from(["22:00-04:00", "06:00-06:00", "25:00-1:00", "-", "a-b-c"]) | JSON,
    "timezone": st.sampled_from(["UTC", "Europe", "../../etc/passwd", "a" * 300, "\x00", "zone.tab", "",
                                 "/etc/localtime"]) | JSON,
    "speed_limit_kn": st.sampled_from([0, -1, math.nan, math.inf, True, 10**400]) | JSON})
FEATURE = changed({"type": "Feature", "properties": PROPERTIES, "geometry": GEOMETRY},
                  {"type": JSON, "properties": JSON, "geometry": JSON})
ZONES_DOC = changed({"type": "FeatureCollection", "features": st.lists(FEATURE, min_size=1, max_size=3)},
                    {"type": JSON, "features": JSON})


def check_zones(path: Path) -> None:
    try:
        zones = load_zones(path)
    except BadInputError:
        return
    assert zones and all(isinstance(z, Zone) for z in zones)
    assert all(z.speed_limit_kn is None or (math.isfinite(z.speed_limit_kn) and z.speed_limit_kn > 0) for z in zones)


@settings(FUZZ, max_examples=150)
@given(doc=ZONES_DOC)
@example(doc={"type": "FeatureCollection", "features": [{"type": "Feature", "properties": [1]}]})
@example(doc={"type": "FeatureCollection", "features": [
    {"type": "Feature", "properties": {"name": "a", "kind": "closed", "timezone": "a" * 300},
     "geometry": {"type": "Polygon"}}]})
def test_zones_of_arbitrary_json(doc: Any, tmp_path: Path) -> None:
    path = tmp_path / "zones.geojson"
    path.write_text(json.dumps(doc), encoding="utf-8", errors="surrogatepass")
    check_zones(path)


@FUZZ
@given(data=st.binary() | st.sampled_from([b"[" * 100_000, b'{"a":' * 100_000, b"1" * 5000]))
def test_zones_of_arbitrary_bytes(data: bytes, tmp_path: Path) -> None:
    path = tmp_path / "zones.geojson"
    path.write_bytes(data)
    check_zones(path)


@FUZZ
@given(data=st.data())
def test_zones_of_mutated_real_file(data: st.DataObject, tmp_path: Path) -> None:
    path = tmp_path / "zones.geojson"
    path.write_bytes(data.draw(mutated(ZONES.read_bytes())))
    check_zones(path)


# --- TOML: profiles and dronecheck.toml -----------------------------------------------------------------------


def toml_string(text: str) -> str:
    """A TOML basic string: JSON's escapes, but no surrogate pairs (TOML refuses them) and DEL escaped."""
    return json.dumps(text, ensure_ascii=False).replace("\x7f", "\\u007f")


def toml_value(value: Any) -> str:
    """A value as TOML (dicts become inline tables)."""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, float) and not math.isfinite(value):
        return "nan" if math.isnan(value) else ("inf" if value > 0 else "-inf")
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return toml_string(value)
    if isinstance(value, list):
        return "[" + ", ".join(map(toml_value, value)) + "]"
    return "{" + ", ".join(f"{toml_string(k)} = {toml_value(v)}" for k, v in value.items()) + "}"


def toml_document(doc: dict[str, Any], tables: dict[str, list[dict[str, Any]]]) -> str:
    """Top-level keys, then each list of `tables` as an array of tables ([[name]])."""
    lines = [f"{toml_string(k)} = {toml_value(v)}" for k, v in doc.items()]
    for name, entries in tables.items():
        for entry in entries:
            lines += [f"[[{name}]]"] + [f"{toml_string(k)} = {toml_value(v)}" for k, v in entry.items()]
    return "\n".join(lines) + "\n"


TOML = st.recursive(st.booleans() | st.integers() | st.integers(2**63, 10**400) | st.floats() | st.text(max_size=20),
                    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
                    max_leaves=10)
NUMBERS = st.sampled_from([0, 1, -1, 0.5, 32, 640, 1e30, math.nan, math.inf, -math.inf, 2**63, 10**400]) | TOML
PATHS = st.sampled_from(["~nosuchuser-dronecheck/w.pt", "~/w.pt", "/" + "a" * 5000, "a\x00b", "", "/", ".."]) | TOML
PROFILE = changed(
    {"name": "p", "weights": "w.pt", "classes": ["crack", "spall"], "conf": 0.25, "imgsz": 640, "tile_size": 640,
     "target_gsd_cm": 1.0, "min_object_m": 0.5, "track": False, "trace": ["crack"], "width_classes_mm": [0.2, 0.5]},
    {"name": TOML, "weights": PATHS, "classes": TOML, "description": TOML, "conf": NUMBERS, "iou": NUMBERS,
     "imgsz": NUMBERS, "tile_size": NUMBERS, "tile_overlap": NUMBERS, "target_gsd_cm": NUMBERS, "full_pass": TOML,
     "min_object_m": NUMBERS, "track": TOML, "codes": TOML, "trace": TOML,
     "width_classes_mm": st.lists(NUMBERS, max_size=3) | TOML, "rules": TOML, "unknown_key": TOML})
RULE = changed({"kind": "trawling_in_closed_area", "zone_kind": "closed", "min_speed_kn": 2, "max_speed_kn": 5,
                "classes": ["crack"], "min_duration_s": 60, "min_observations": 2}, {
    "kind": st.sampled_from(["speed_limit", "gear_in_closed_area", "outside_allowed_hours"]) | TOML,
    "zone_kind": TOML, "classes": TOML, "min_speed_kn": NUMBERS, "max_speed_kn": NUMBERS, "min_duration_s": NUMBERS,
    "min_observations": NUMBERS, "tolerance_kn": NUMBERS})


def check_profile(path: Path) -> None:
    try:
        profile = load_profile(str(path), require_weights=False)
    except ProfileError:
        return
    assert isinstance(profile, Profile)
    assert 0 <= profile.conf <= 1 and 0 < profile.iou <= 1 and 0 <= profile.tile_overlap < 0.9
    assert all(math.isfinite(b) and b > 0 for b in profile.width_classes_mm)


@settings(FUZZ, max_examples=150)
@given(doc=PROFILE)
@example(doc={"name": "p", "weights": "w.pt", "classes": ["crack"], "imgsz": math.inf})
@example(doc={"name": "p", "weights": "~nosuchuser-dronecheck/w.pt", "classes": ["crack"], "conf": 10**400})
def test_profile_of_arbitrary_toml(doc: dict[str, Any], tmp_path: Path) -> None:
    path = tmp_path / "profile.toml"
    path.write_text(toml_document(doc, {}), encoding="utf-8", errors="surrogatepass")
    check_profile(path)


@settings(FUZZ, max_examples=100, report_multiple_bugs=False)
@given(rules=st.lists(RULE, min_size=1, max_size=2))
@example(rules=[{"kind": ["speed_limit"], "zone_kind": "closed"}])
@example(rules=[{"kind": "speed_limit", "zone_kind": "closed", "tolerance_kn": 10**400}])
@example(rules=[{"kind": "speed_limit", "zone_kind": "closed", "tolerance_kn": math.nan}])
def test_profile_rules_of_arbitrary_toml(rules: list[dict[str, Any]], tmp_path: Path) -> None:
    """A valid profile but for its [[rules]], so that each example reaches the rule checks."""
    path = tmp_path / "profile.toml"
    path.write_text(toml_document({"name": "p", "weights": "w.pt", "classes": ["crack"]}, {"rules": rules}),
                    encoding="utf-8", errors="surrogatepass")
    try:
        profile = load_profile(str(path), require_weights=False)
    except ProfileError:
        return
    for rule in profile.rules:
        for value in (rule.min_speed_kn, rule.max_speed_kn, rule.min_duration_s, rule.tolerance_kn):
            assert value is None or 0 <= value < math.inf


ARBITRARY_TOML = st.binary() | st.text().map(str.encode) | st.sampled_from([
    b"a = " + b"[" * 100_000, b"a = " + b"1" * 5000, b"\xff\xfe", b"inbox = [1, 2]", b'inbox = ["path"]'])


SETTINGS = {"profile": TOML, "weights": PATHS, "out": PATHS, "ledger": PATHS, "device": TOML, "conf": NUMBERS,
            "iou": NUMBERS, "batch": st.sampled_from(["auto", "8", "0", "-1", "x"]) | NUMBERS, "fps": NUMBERS,
            "hfov": NUMBERS, "zones": PATHS, "unknown_key": TOML,
            "crs": st.sampled_from(["EPSG:28992", "EPSG:4978", "EPSG:999999", "+proj=", "EPSG:" + "9" * 5000]) | TOML}
GOOD_SETTINGS = {"profile": "cracks", "out": "out", "device": "cpu", "conf": 0.3, "batch": 8, "fps": 2.0, "hfov": 80.0}
CONFIG = changed(GOOD_SETTINGS, {**SETTINGS, "inbox": TOML})
INBOX = changed({"path": "inbox", **GOOD_SETTINGS}, {**SETTINGS, "path": PATHS})


def check_config(path: Path) -> None:
    try:
        config = load_config(path)
    except ConfigError:
        return
    assert isinstance(config, Config)
    for settings_ in (config.defaults, *(inbox.settings for inbox in config.inboxes)):
        for value in (settings_.conf, settings_.iou, settings_.fps, settings_.hfov):
            assert value is None or math.isfinite(value)


@settings(FUZZ, max_examples=150)
@given(doc=CONFIG, inboxes=st.lists(INBOX, max_size=2))
@example(doc={"out": "~nosuchuser-dronecheck/out"}, inboxes=[])
@example(doc={"conf": 10**400}, inboxes=[])
@example(doc={"inbox": [1, "path"]}, inboxes=[])
def test_config_of_arbitrary_toml(doc: dict[str, Any], inboxes: list[dict[str, Any]], tmp_path: Path) -> None:
    path = tmp_path / "dronecheck.toml"
    path.write_text(toml_document(doc, {} if "inbox" in doc else {"inbox": inboxes}), encoding="utf-8",
                    errors="surrogatepass")
    check_config(path)


@pytest.mark.parametrize("name, check", [("profile.toml", check_profile), ("dronecheck.toml", check_config)],
                         ids=["profile", "config"])
@FUZZ
@given(data=ARBITRARY_TOML)
def test_toml_of_arbitrary_bytes(name: str, check: Callable[[Path], None], data: bytes, tmp_path: Path) -> None:
    """A profile and a config file of arbitrary bytes."""
    path = tmp_path / name
    path.write_bytes(data)
    check(path)
