"""End to end: the real model scans the real demo flight; outputs are checked as a GIS would."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime
from html.parser import HTMLParser
from pathlib import Path

import pyogrio
import pytest
from PIL import Image
from pyproj import Geod
from shapely.geometry import LinearRing, shape

from conftest import FLIGHT, Scan, copy_photos, run_scan
from dronecheck.report import html
from dronecheck.run import RunResult
from frames import make_frame

pytestmark = pytest.mark.slow  # these tests run the model

DOCUMENTED = {"id", "class", "class_id", "score", "status", "image", "image_sha256", "time", "profile", "model",
              "model_sha256", "run", "georef_method", "uncertainty_m", "gsd_m", "width_m", "length_m", "box_px",
              "camera_lon", "camera_lat", "height_m", "gimbal_pitch_deg", "gimbal_yaw_deg", "rd_x", "rd_y",
              "crop", "note",
              # the review (README, "Review: verdicts back into the ledger")
              "review_status", "reviewed_by", "reviewed_at", "corrected_class", "corrected_box_px", "review_comment",
              # the cracks profile traces its cracks
              "crack_length_m", "crack_width_mean_m", "crack_width_max_m", "width_below_gsd", "width_class"}


def load(scan: Scan, name: str) -> dict:
    assert scan.run_dir is not None, scan.output
    return json.loads((scan.run_dir / name).read_text())


def decimals(x: float) -> int:
    text = repr(x)
    return len(text.split(".")[1]) if "." in text else 0


def test_demo_writes_every_output(demo: Scan) -> None:
    for name in ("findings.geojson", "footprints.geojson", "report.html", "run.json"):
        assert (demo.run_dir / name).is_file(), name
    assert demo.run_dir.parent.name == "sample-flight"


def test_demo_finds_real_cracks(demo: Scan) -> None:
    """Findings must land on cracks that the dataset's own annotators boxed."""
    truth = json.loads((FLIGHT / "annotations.json").read_text())
    features = load(demo, "findings.geojson")["features"]
    assert features, "the demo found nothing"
    hits = 0
    for feat in features:
        x0, y0, x1, y1 = feat["properties"]["box_px"]
        cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
        boxes = [b["xyxy"] for b in truth[feat["properties"]["image"]]["boxes"] if "crack" in b["class"]]
        hits += any(bx0 <= cx <= bx1 and by0 <= cy <= by1 for bx0, by0, bx1, by1 in boxes)
    # the README's figure for the shipped cracks model: 21 of its 30 findings lie on annotated cracks
    assert (hits, len(features)) == (21, 30), f"{hits} of {len(features)} findings lie on an annotated crack"


def test_geojson_follows_rfc7946(demo: Scan) -> None:
    fc = load(demo, "findings.geojson")
    assert fc["type"] == "FeatureCollection" and "crs" not in fc
    for feat in fc["features"]:
        assert feat["type"] == "Feature" and set(feat["properties"]) == DOCUMENTED
        lon, lat = feat["geometry"]["coordinates"]
        assert 5.4 < lon < 5.6 and 52.4 < lat < 52.6, "coordinates must be lon, lat"
        assert decimals(lon) <= 7 and decimals(lat) <= 7
        assert feat["properties"]["georef_method"] == "nadir"
    footprints = load(demo, "footprints.geojson")["features"]
    assert len(footprints) == len(fc["features"])
    for feat in footprints:
        ring = feat["geometry"]["coordinates"][0]
        assert ring[0] == ring[-1] and LinearRing(ring).is_ccw, "exterior rings are counter-clockwise"
        assert all(decimals(c) <= 7 for p in ring for c in p)
        assert shape(feat["geometry"]).is_valid


def test_geojson_reads_back_in_a_gis_reader(demo: Scan) -> None:
    for name, geometry in (("findings.geojson", "Point"), ("footprints.geojson", "Polygon")):
        meta, _, geoms, fields = pyogrio.raw.read(demo.run_dir / name)
        assert meta["crs"] == "EPSG:4326" and meta["geometry_type"] == geometry
        assert len(geoms) == len(load(demo, name)["features"])
        assert "class" in meta["fields"] and len(fields[0]) == len(geoms)


def test_finding_point_lies_inside_its_footprint_and_sizes_agree(demo: Scan) -> None:
    points = {f["id"]: shape(f["geometry"]) for f in load(demo, "findings.geojson")["features"]}
    for feat in load(demo, "footprints.geojson")["features"]:
        poly = shape(feat["geometry"])
        assert poly.buffer(1e-7).contains(points[feat["id"]])
        props = feat["properties"]
        area_m2, perimeter_m = Geod(ellps="WGS84").geometry_area_perimeter(poly)
        # 7 decimals round each corner by up to ~1 cm: allow that much along the perimeter
        assert abs(area_m2) == pytest.approx(props["width_m"] * props["length_m"], rel=0.02, abs=0.01 * perimeter_m)


def test_run_json_records_the_run(demo: Scan) -> None:
    record = load(demo, "run.json")
    assert record["counts"]["photos_scanned"] == 10 and record["counts"]["files_skipped"] == 0
    assert set(record["timings_s"]) == {"hash", "load_model", "read", "detect", "georef", "measure", "write", "analyse"}
    assert len(record["model"]["sha256"]) == 64 and record["device"] == "cpu"
    assert record["counts"]["findings"] == len(load(demo, "findings.geojson")["features"])
    assert sorted(record["ignored"]) == ["SOURCE.md", "annotations.json", "make_flight.py"]


class _Report(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.images: list[str] = []
        self.cards: list[str] = []
        self.external: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "img":
            self.images.append(a["src"] or "")
        if "card" in (a.get("class") or "").split():
            self.cards.append(a["data-id"] or "")
        for key in ("src", "href"):
            if (a.get(key) or "").startswith(("http:", "https:", "//")):
                self.external.append(a[key] or "")


def test_report_links_a_crop_for_every_finding(demo: Scan) -> None:
    parser = _Report()
    html = (demo.run_dir / "report.html").read_text()
    parser.feed(html)
    ids = [f["id"] for f in load(demo, "findings.geojson")["features"]]
    assert sorted(parser.cards) == sorted(ids)
    assert len(parser.images) == len(ids)
    for src in parser.images:
        assert (demo.run_dir / src).is_file(), src
    assert parser.external == [], "the report must open with no network"
    record = load(demo, "run.json")
    assert record["model"]["sha256"] in html and 'id="plan"' in html
    assert f'id="n-findings">{record["counts"]["findings"]}<' in html


def test_ids_stay_the_same_when_photos_are_renamed_and_scanned_again(demo: Scan, tmp_path: Path) -> None:
    copies = copy_photos(tmp_path / "again", 3)
    for p in copies:
        p.rename(p.with_name("renamed_" + p.name))
    rescan = run_scan(tmp_path / "again", tmp_path / "out", "--batch", "2")
    assert rescan.exit_code == 0, rescan.output
    first = {f["properties"]["image_sha256"]: set() for f in load(demo, "findings.geojson")["features"]}
    for f in load(demo, "findings.geojson")["features"]:
        first[f["properties"]["image_sha256"]].add(f["id"])
    for f in load(rescan, "findings.geojson")["features"]:
        assert f["id"] in first[f["properties"]["image_sha256"]]


def test_ships_profile_finds_labelled_vessels(tmp_path: Path) -> None:
    """The ships model on held-out source images: aerial tiles without GPS, so no geometry."""
    ships = FLIGHT.parent / "ships"
    images = sorted((ships / "images" / "test").glob("*.jpg"))[::9]
    flight = tmp_path / "harbour"
    flight.mkdir()
    for image in images:
        (flight / image.name).write_bytes(image.read_bytes())
    scan = run_scan(flight, tmp_path / "out", "--profile", "ships")
    assert scan.exit_code == 0, scan.output
    hits = 0
    features = load(scan, "findings.geojson")["features"]
    for feat in features:
        assert feat["geometry"] is None and feat["properties"]["class"] == "ship"
        name = feat["properties"]["image"]
        w, h = Image.open(flight / name).size
        x0, y0, x1, y1 = feat["properties"]["box_px"]
        cx, cy = (x0 + x1) / 2 / w, (y0 + y1) / 2 / h
        rows = [list(map(float, r.split()[1:])) for r in (ships / "labels" / "test" / f"{Path(name).stem}.txt")
                .read_text().splitlines() if r.strip()]
        hits += any(abs(cx - bx) <= bw / 2 and abs(cy - by) <= bh / 2 for bx, by, bw, bh in rows)
    assert hits >= len(images) // 2, f"{hits} of {len(features)} findings on labelled ships in {len(images)} images"


def test_demo_cracks_are_traced_into_lines_with_lengths_and_widths(demo: Scan) -> None:
    findings = {f["id"]: f["properties"] for f in load(demo, "findings.geojson")["features"]}
    lines = load(demo, "crack_lines.geojson")["features"]
    assert lines and {f["id"] for f in lines} <= set(findings)
    for line in lines:
        props, finding = line["properties"], findings[line["id"]]
        assert line["geometry"]["type"] == "LineString" and len(line["geometry"]["coordinates"]) >= 2
        assert props["length_m"] == finding["crack_length_m"] > 0
        if props["width_below_gsd"]:  # narrower than a pixel: no width is made up
            assert props["width_mean_m"] is None and props["width_max_m"] is None
        else:
            assert 0 < props["width_mean_m"] <= props["width_max_m"]
            assert finding["width_class"] in {"< 0.2 mm", "0.2-0.5 mm", "> 0.5 mm"}
    html = (demo.run_dir / "report.html").read_text()
    assert 'id="f-width"' in html and "crack " in html


# The annotators' kinds as the roads profile's classes; RDD2022 has no oblique crack.
RDD_NAMES = {"Longitudinal crack": "longitudinal crack", "Transverse crack": "transverse crack",
             "Alligator crack": "alligator crack", "Pothole": "pothole", "Repair": "repair"}


def test_roads_demo_finds_damage_of_the_kind_the_annotators_saw(roads_demo: Scan) -> None:
    """A multi-class check on photos of another source (UAV-PDD2023) than the model learned from (RDD2022)."""
    truth = json.loads((FLIGHT / "annotations.json").read_text())
    features = load(roads_demo, "findings.geojson")["features"]
    on_damage = same_kind = 0
    for feat in features:
        props = feat["properties"]
        x0, y0, x1, y1 = props["box_px"]
        cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
        kinds = [b["class"] for b in truth[props["image"]]["boxes"]
                 if b["xyxy"][0] <= cx <= b["xyxy"][2] and b["xyxy"][1] <= cy <= b["xyxy"][3]]
        on_damage += bool(kinds)
        same_kind += props["class"] in {RDD_NAMES.get(k) for k in kinds}
    # the README's figures for the shipped roads model: 26 of 32 lie on annotated damage, 20 of the same kind
    assert (len(features), on_damage, same_kind) == (32, 26, 20)
    codes = {"longitudinal crack": "D00", "transverse crack": "D10", "alligator crack": "D20", "pothole": "D40",
             "repair": "Repair"}
    assert {f["properties"]["class"] for f in features} >= {"longitudinal crack", "transverse crack"}
    assert all(f["properties"]["class_code"] == codes[f["properties"]["class"]] for f in features)
    html = (roads_demo.run_dir / "report.html").read_text()
    assert "transverse crack</b> <span class=\"muted\">(D10)</span>" in html


def test_the_report_map_orders_photos_with_and_without_a_utc_offset(tmp_path: Path) -> None:
    local = replace(make_frame(name="a.jpg"), sha256="1" * 64, time=datetime(2026, 5, 1, 12, 0, 1))
    utc = replace(make_frame(name="b.jpg"), sha256="2" * 64, time=datetime(2026, 5, 1, 10, 0, 0, tzinfo=UTC))
    run = RunResult("r1", "f", tmp_path, "cracks", datetime.now(UTC), frames=[local, utc])
    data = html.map_data(run, {})  # a naive and an aware time do not compare: the order is by ISO text
    assert len(data["path"]) == 2 and [p["properties"]["image"] for p in data["photos"]] == ["b.jpg", "a.jpg"]
    plan = html._plan(run, {})
    assert plan is not None and [p["name"] for p in plan["photos"]] == ["b.jpg", "a.jpg"]
