"""GIS outputs read back with GDAL (pyogrio): the styled GeoPackage, photos.geojson, findings.csv and .kml,
`export --format` and `--crs`."""

from __future__ import annotations

import csv
import json
import os
import shutil
import sqlite3
import subprocess
import xml.etree.ElementTree as ET
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pyogrio
import pyproj
import pytest
import shapely
from pyogrio.raw import read
from typer.testing import CliRunner

from conftest import FLIGHT, Scan, copy_photos, run_scan
from dronecheck.analyse.motion import Motion, Observation, Track
from dronecheck.analyse.rules import Rule, Violation
from dronecheck.cli import app
from dronecheck.config import load_config
from dronecheck.errors import ConfigError
from dronecheck.report.geojson import tracks_collection, violations_collection
from dronecheck.report.gpkg import Layer, write_gpkg

RUN_LAYERS = {"findings": "Point", "footprints": "Polygon", "crack_lines": "LineString", "photos": "Polygon",
              "flight_path": "LineString"}
GEOMETRY_TYPES = {"Point": "0", "LineString": "1", "Polygon": "2"}  # QML layerGeometryType


def geojson(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text())


def layers(path: Path) -> dict[str, str | None]:
    return {name: kind for name, kind in pyogrio.list_layers(path)}


def column(path: Path, layer: str, name: str) -> list[Any]:
    _, _, _, values = read(path, layer=layer, columns=[name], read_geometry=False)
    return list(values[0])


def lonlat_geometries(collection: dict[str, Any]) -> list[Any]:
    return [shapely.geometry.shape(f["geometry"]) if f["geometry"] else None for f in collection["features"]]


def to_crs(geoms: list[Any], epsg: int) -> list[Any]:
    t = pyproj.Transformer.from_crs(4326, epsg, always_xy=True)
    return [None if g is None else shapely.transform(g, lambda xy: np.column_stack(t.transform(xy[:, 0], xy[:, 1])))
            for g in geoms]


def assert_same_coordinates(path: Path, layer: str, expected: list[Any], tolerance_m: float = 0.001) -> None:
    _, _, wkb, _ = read(path, layer=layer, columns=[])
    got = [None if w is None else shapely.from_wkb(w) for w in wkb]
    assert len(got) == len(expected)
    for g, e in zip(got, expected, strict=True):
        assert (g is None) == (e is None)
        if g is not None:
            a, b = shapely.get_coordinates(g), shapely.get_coordinates(e)
            assert a.shape == b.shape and np.abs(a - b).max() < tolerance_m


def styles(path: Path) -> list[sqlite3.Row]:
    with sqlite3.connect(path) as db:
        db.row_factory = sqlite3.Row
        return db.execute("SELECT * FROM layer_styles").fetchall()


def assert_styled(path: Path) -> None:
    """Every layer has a default style in layer_styles, as QGIS looks it up, in valid QML whose categories cover
    every value the layer holds."""
    rows = styles(path)
    for name, kind in layers(path).items():
        if kind is None:  # layer_styles itself
            continue
        info = pyogrio.read_info(path, layer=name)
        mine = [r for r in rows if r["f_table_name"] == name]
        assert [r["useAsDefault"] for r in mine].count(1) == 1, name
        # the lookup QGIS makes, through GDAL (QgsOgrUtils::loadStoredStyle), finds the default
        where = f"f_table_schema='' AND f_table_name='{name}' AND f_geometry_column='{info['geometry_name']}'"
        _, _, _, found = read(path, layer="layer_styles", where=where, columns=["styleName", "useAsDefault"],
                              read_geometry=False)
        defaults = [n for n, d in zip(*found, strict=True) if d]
        assert defaults == [r["styleName"] for r in mine if r["useAsDefault"]], name
        for row in mine:
            assert (row["f_table_catalog"], row["f_table_schema"]) == ("", "")
            assert row["f_geometry_column"] == info["geometry_name"]
            root = ET.fromstring(row["styleQML"])
            assert root.tag == "qgis" and root.get("version", "").startswith("3.")
            assert root.findtext("layerGeometryType") == GEOMETRY_TYPES[info["geometry_type"]]
            renderer = root.find("renderer-v2")
            assert renderer is not None
            symbols = {s.get("name") for s in renderer.iter("symbol")}
            if renderer.get("type") == "categorizedSymbol":
                attr = renderer.get("attr")
                assert attr in info["fields"], (name, attr)
                cats = renderer.find("categories")
                assert cats is not None
                values = {c.get("value") for c in cats}
                assert {c.get("symbol") for c in cats} <= symbols
                present = column(path, name, attr)
                assert {str(v) for v in present if v is not None} <= values, (name, attr)
                assert "" in values  # QGIS's "all other values": NULL too
            else:
                assert renderer.get("type") == "singleSymbol"


@pytest.mark.slow
def test_a_run_writes_a_styled_geopackage_with_the_geojson_layers_ids_and_counts(demo: Scan) -> None:
    assert demo.run_dir is not None
    gpkg = demo.run_dir / "findings.gpkg"
    assert layers(gpkg) == {**RUN_LAYERS, "layer_styles": None}
    for name, kind in RUN_LAYERS.items():
        info = pyogrio.read_info(gpkg, layer=name)
        assert info["crs"] == "EPSG:4326" and info["geometry_type"] == kind
    for name in ("findings", "footprints", "crack_lines", "photos"):
        features = geojson(demo.run_dir / f"{name}.geojson")["features"]
        assert column(gpkg, name, "id") == [f["id"] for f in features], name
    assert pyogrio.read_info(gpkg, layer="photos")["features"] == 10
    assert pyogrio.read_info(gpkg, layer="flight_path")["features"] == 1
    assert_styled(gpkg)
    names = {(r["f_table_name"], r["styleName"]) for r in styles(gpkg)}
    assert {("findings", "by class"), ("findings", "by review status"), ("crack_lines", "by width class")} <= names
    # GDAL lists the styles table as a table of the file (registered in gpkg_contents as attributes)
    assert pyogrio.read_info(gpkg, layer="layer_styles")["features"] == len(names)


def system_qgis() -> str | None:
    """The system Python when it has PyQGIS (Debian's python3-qgis, which .ci/run installs), else None."""
    python = shutil.which("python3", path="/usr/bin")
    if python is None:
        return None
    found = subprocess.run([python, "-c", "import qgis.core"], capture_output=True)
    return python if found.returncode == 0 else None


@pytest.mark.slow
def test_qgis_opens_every_layer_of_the_geopackage_with_its_style(demo: Scan) -> None:
    python = system_qgis()
    if python is None:
        pytest.skip("no PyQGIS in the system Python (apt-get install python3-qgis qgis-providers)")
    assert demo.run_dir is not None
    script = Path(__file__).with_name("qgis_layers.py")
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    shown = subprocess.run([python, str(script), str(demo.run_dir / "findings.gpkg"), *RUN_LAYERS],
                           capture_output=True, text=True, timeout=300, env=env)
    assert shown.returncode == 0, shown.stderr[-2000:]
    layers_shown = json.loads(shown.stdout.strip().splitlines()[-1])["layers"]
    for name, layer in layers_shown.items():
        assert layer["valid"] and layer["style_loaded"], (name, layer)
        assert layer["features"] == pyogrio.read_info(demo.run_dir / "findings.gpkg", layer=name)["features"]
    for name, attribute in (("findings", "class"), ("footprints", "class"), ("crack_lines", "width_class")):
        assert layers_shown[name]["renderer"] == "categorizedSymbol", name
        assert layers_shown[name]["attribute"] == attribute, name
    assert "crack" in layers_shown["findings"]["categories"]
    assert {"photos", "flight_path"} <= set(layers_shown)


@pytest.mark.slow
def test_photos_geojson_holds_each_frame_footprint_around_its_centre(demo: Scan) -> None:
    assert demo.run_dir is not None
    photos = geojson(demo.run_dir / "photos.geojson")["features"]
    findings = geojson(demo.run_dir / "findings.geojson")["features"]
    assert len(photos) == 10 and sum(p["properties"]["n_findings"] for p in photos) == len(findings)
    for p in photos:
        props = p["properties"]
        polygon = shapely.geometry.shape(p["geometry"])
        assert polygon.is_valid and polygon.exterior.is_ccw  # RFC 7946
        assert polygon.contains(shapely.Point(props["centre_lon"], props["centre_lat"]))
        assert props["georef_method"] == "nadir" and props["gsd_m"] > 0 and props["image"].endswith(".JPG")
    by_image = {p["properties"]["image"]: shapely.geometry.shape(p["geometry"]) for p in photos}
    for f in findings:  # a finding lies inside the footprint of the photo it was found in
        assert by_image[f["properties"]["image"]].buffer(1e-6).contains(shapely.Point(f["geometry"]["coordinates"]))


@pytest.mark.slow
def test_the_run_layers_in_rd_new_match_pyproj_within_a_millimetre(demo: Scan, tmp_path: Path) -> None:
    assert demo.run_dir is not None
    collections = {n: geojson(demo.run_dir / f"{n}.geojson") for n in ("findings", "footprints", "crack_lines",
                                                                        "photos")}
    target = tmp_path / "rd.gpkg"
    write_gpkg(target, [Layer(n, c, RUN_LAYERS[n]) for n, c in collections.items()], 28992)
    for name, collection in collections.items():
        assert pyogrio.read_info(target, layer=name)["crs"] == "EPSG:28992"
        assert_same_coordinates(target, name, to_crs(lonlat_geometries(collection), 28992))
    assert_styled(target)


@pytest.mark.slow
def test_csv_and_kml_hold_the_same_findings_as_the_geojson(demo: Scan) -> None:
    assert demo.run_dir is not None
    features = geojson(demo.run_dir / "findings.geojson")["features"]
    ids = [f["id"] for f in features]
    raw = (demo.run_dir / "findings.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # UTF-8 with a BOM, for Excel
    with (demo.run_dir / "findings.csv").open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert [r["id"] for r in rows] == ids
    t = pyproj.Transformer.from_crs(4326, 28992, always_xy=True)
    for row, f in zip(rows, features, strict=True):
        lon, lat = f["geometry"]["coordinates"]
        assert (float(row["lon"]), float(row["lat"])) == (lon, lat)
        x, y = t.transform(lon, lat)
        assert abs(float(row["x_28992"]) - x) < 0.001 and abs(float(row["y_28992"]) - y) < 0.001
        assert row["class"] == f["properties"]["class"] and row["status"] == "unconfirmed"
    # GDAL reads it too, BOM and all, with the points from lon/lat
    info = pyogrio.read_info(demo.run_dir / "findings.csv")
    assert info["fields"][0] == "id" and info["features"] == len(ids)
    kml = demo.run_dir / "findings.kml"
    assert pyogrio.read_info(kml)["crs"] == "EPSG:4326"
    assert column(kml, "findings", "id") == ids
    assert all(name.startswith("crack ") for name in column(kml, "findings", "Name"))
    _, _, wkb, _ = read(kml, columns=[])
    for w, f in zip(wkb, features, strict=True):
        assert shapely.from_wkb(w).equals_exact(shapely.Point(f["geometry"]["coordinates"]), 1e-7)


@pytest.mark.slow
def test_scan_crs_writes_the_geopackage_and_csv_in_that_crs(tmp_path: Path) -> None:
    copy_photos(tmp_path / "flight", 2)
    scan = run_scan(tmp_path / "flight", tmp_path / "out", "--crs", "EPSG:28992")
    assert scan.exit_code == 0, scan.output
    assert scan.run_dir is not None
    gpkg = scan.run_dir / "findings.gpkg"
    for name in RUN_LAYERS:
        assert pyogrio.read_info(gpkg, layer=name)["crs"] == "EPSG:28992"
    findings = geojson(scan.run_dir / "findings.geojson")
    assert_same_coordinates(gpkg, "findings", to_crs(lonlat_geometries(findings), 28992))
    assert json.loads((scan.run_dir / "run.json").read_text())["arguments"]["crs"] == "EPSG:28992"
    header = (scan.run_dir / "findings.csv").read_text(encoding="utf-8-sig").splitlines()[0].split(",")
    assert "x_28992" in header and "y_28992" in header
    # `report RUN` writes it again in the run's own CRS
    again = CliRunner().invoke(app, ["report", scan.run_dir.name, "--out", str(tmp_path / "out")])
    assert again.exit_code == 0, again.output
    assert pyogrio.read_info(gpkg, layer="findings")["crs"] == "EPSG:28992"


@pytest.mark.slow
@pytest.mark.parametrize(("fmt", "suffix"), [("gpkg", ".gpkg"), ("geojson", ".geojson"), ("csv", ".csv"),
                                             ("kml", ".kml")])
def test_export_format_writes_every_finding_of_the_ledger(demo: Scan, tmp_path: Path, fmt: str, suffix: str) -> None:
    assert demo.run_dir is not None
    out = demo.run_dir.parents[1]
    runner = CliRunner()
    reference = tmp_path / "reference.geojson"
    assert runner.invoke(app, ["export", "--out", str(out), "--to", str(reference)]).exit_code == 0
    ids = [f["id"] for f in geojson(reference)["features"]]
    target = tmp_path / f"all{suffix}"
    result = runner.invoke(app, ["export", "--out", str(out), "--to", str(target), "--crs", "EPSG:28992"])
    assert result.exit_code == 0, result.output  # the format from the suffix
    by_flag = tmp_path / "by-flag.data"
    assert runner.invoke(app, ["export", "--out", str(out), "--to", str(by_flag), "--format", fmt]).exit_code == 0
    for path in (target, Path(shutil.copy(by_flag, tmp_path / f"by-flag{suffix}"))):
        info = pyogrio.read_info(path, layer=0)
        assert info["features"] == len(ids)
        assert sorted(column(path, info["layer_name"], "id")) == sorted(ids)
    if fmt == "gpkg":
        assert pyogrio.read_info(target, layer="findings")["crs"] == "EPSG:28992"
        assert_same_coordinates(target, "findings", to_crs(lonlat_geometries(geojson(reference)), 28992))
        assert_styled(target)
    if fmt == "csv":
        assert "x_28992" in target.read_text(encoding="utf-8-sig").splitlines()[0]


@pytest.mark.parametrize("args", [["scan", str(FLIGHT), "--crs", "EPSG:99999"], ["export", "--crs", "EPSG:5709"],
                                  ["export", "--crs", "RD"], ["export", "--format", "shp"]])
def test_a_bad_crs_or_format_is_one_line_and_exit_2(tmp_path: Path, args: list[str]) -> None:
    result = CliRunner().invoke(app, [*args, "--out", str(tmp_path)])
    assert result.exit_code == 2
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.output
    assert "--crs" in lines[0] or "--format" in lines[0]
    assert not (tmp_path / "ledger.sqlite").exists()


def test_the_config_file_sets_the_crs_and_names_the_file_when_it_is_bad(tmp_path: Path) -> None:
    good = tmp_path / "dronecheck.toml"
    good.write_text('crs = "EPSG:28992"\n[[inbox]]\npath = "."\ncrs = "epsg:32631"\n')
    config = load_config(good)
    assert config.defaults.crs == 28992 and config.inboxes[0].settings.crs == 32631
    bad = tmp_path / "bad.toml"
    bad.write_text('crs = "EPSG:123456789"\n')
    with pytest.raises(ConfigError, match=r"bad\.toml: unknown CRS 'EPSG:123456789'"):
        load_config(bad)


def _track() -> Track:
    t0 = datetime(2025, 6, 12, 10, 0, 0)
    obs = tuple(Observation(t0 + timedelta(seconds=i), 3.60 + i * 1e-5, 51.40 - i * 1e-5, f"f{i}") for i in range(3))
    return Track("V.MP4:1", "ship", obs, tuple(Motion(3.5, 200.0, 3) for _ in obs))


def test_tracks_and_violations_layers_in_the_geopackage(tmp_path: Path) -> None:
    track = _track()
    rule = Rule("speed_limit", "port", min_duration_s=1.0)
    violation = Violation("speed_limit", rule, "Port", "ship", track.id, track.start, track.end, ("f0", "f1", "f2"),
                          tuple((o.lon, o.lat) for o in track.observations), {"speed_mean_kn": 3.5}, "violation-1")
    single = Violation("trawling_in_closed_area", rule, "Closed", "ship", None, None, None, ("f0",),
                       ((3.6, 51.4),), {}, "violation-2")
    collections = {"tracks": tracks_collection([track], points=False), "violations": violations_collection([violation])}
    target = tmp_path / "t.gpkg"
    write_gpkg(target, [Layer(n, c, "LineString") for n, c in collections.items()], 28992)
    assert layers(target) == {"tracks": "LineString", "violations": "LineString", "layer_styles": None}
    for name, collection in collections.items():
        assert column(target, name, "id" if name == "violations" else "track_id") == [track.id if name == "tracks"
                                                                                      else "violation-1"]
        assert_same_coordinates(target, name, to_crs(lonlat_geometries(collection), 28992))
    assert json.loads(column(target, "tracks", "finding_ids")[0]) == ["f0", "f1", "f2"]  # lists as JSON text
    assert json.loads(column(target, "violations", "rule")[0])["kind"] == "speed_limit"
    assert_styled(target)
    # a violation of one sighting is a point: a layer of points alone is a Point layer, styled with a marker
    points = tmp_path / "p.gpkg"
    write_gpkg(points, [Layer("violations", violations_collection([single]), "LineString")])
    assert layers(points)["violations"] == "Point"
    assert_styled(points)


def test_an_empty_run_still_writes_its_layers(tmp_path: Path) -> None:
    empty = {"type": "FeatureCollection", "features": []}
    target = tmp_path / "e.gpkg"
    write_gpkg(target, [Layer("findings", empty, "Point"), Layer("footprints", empty, "Polygon")], 28992)
    assert layers(target) == {"findings": "Point", "footprints": "Polygon", "layer_styles": None}
    assert pyogrio.read_info(target, layer="findings")["features"] == 0
    assert_styled(target)
