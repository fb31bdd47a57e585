"""A run's files: the GeoJSON layers, the GeoPackage, CSV and KML, report.html and run.json, each written
atomically."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from dronecheck import __version__
from dronecheck.analyse.cracks import width_labels
from dronecheck.geo.crs import WGS84
from dronecheck.models import card, factsheet
from dronecheck.models.factsheet import Owner
from dronecheck.pipeline.tiles import tile_size_of
from dronecheck.profiles import Profile
from dronecheck.report import html, runrecord
from dronecheck.report.files import write_json
from dronecheck.report.geojson import (
    RunContext,
    crack_lines_collection,
    findings_collection,
    flight_path_collection,
    footprints_collection,
    photos_collection,
    tracks_collection,
    violations_collection,
)
from dronecheck.report.gpkg import Layer, write_gpkg, write_kml
from dronecheck.report.i18n import DEFAULT_LANG
from dronecheck.report.tables import write_csv
from dronecheck.run import RunResult


def geojson_layers(run: RunResult, ctx: RunContext) -> dict[str, dict[str, Any]]:
    """The run's GeoJSON files by name: findings, footprints and photos; crack_lines when the profile traces
    cracks, tracks when it tracks, violations when it has rules and zones."""
    layers = {"findings": findings_collection(run.findings, ctx, run.crops),
              "footprints": footprints_collection(run.findings, ctx)}
    if run.plan.trace:
        layers["crack_lines"] = crack_lines_collection(run.findings, ctx)
    if run.plan.track:
        layers["tracks"] = tracks_collection(run.analysis.tracks)
    if run.plan.rules and run.plan.zones_file:
        layers["violations"] = violations_collection(run.analysis.violations)
    layers["photos"] = photos_collection(run.frames, run.findings)
    return layers


GEOMETRY = {"findings": "Point", "footprints": "Polygon", "crack_lines": "LineString", "tracks": "LineString",
            "violations": "LineString", "photos": "Polygon", "flight_path": "LineString"}


def gpkg_layers(run: RunResult, geojson: dict[str, dict[str, Any]]) -> list[Layer]:
    """The GeoPackage's layers: those of the GeoJSON files (tracks as lines only, without their sightings),
    and the flight path."""
    collections = {**geojson, "flight_path": flight_path_collection(run.frames)}
    if run.plan.track:
        collections["tracks"] = tracks_collection(run.analysis.tracks, points=False)
    return [Layer(name, c, GEOMETRY[name]) for name, c in collections.items()]


def write_outputs(run: RunResult, *, record: bool = True, crs: int | None = None, lang: str | None = None,
                  owner: Owner | None = None, profile: Profile | None = None) -> None:
    """The GeoJSON files of `geojson_layers`, findings.gpkg (every layer, styled for QGIS), findings.csv and
    findings.kml, report.html and, with `record` (a scan, not a report written again), run.json.

    The GeoPackage and the CSV's x/y are in `crs` (an EPSG code), by default the scan's --crs; GeoJSON and
    KML are WGS84 whatever it is. The report is in `lang` with the factsheet of `profile` and `owner`, by default
    the scan's."""
    model = run.model
    assert model is not None
    run.finished = run.finished or datetime.now(UTC)
    ctx = RunContext(run.run_id, run.profile, model.name, model.sha256, traced=bool(run.plan.trace),
                     codes=model.codes, verdicts=run.verdicts)
    epsg = crs or (run.options.crs if run.options else WGS84)
    geojson = geojson_layers(run, ctx)
    for name, collection in geojson.items():
        write_json(run.run_dir / f"{name}.geojson", collection)
    profile = profile or (run.options.profile if run.options else None)  # a report written again has no options
    widths = width_labels(profile.width_classes_mm) if profile else []
    write_gpkg(run.run_dir / "findings.gpkg", gpkg_layers(run, geojson), epsg, model.class_names, widths)
    write_csv(run.run_dir / "findings.csv", geojson["findings"], epsg)
    write_kml(run.run_dir / "findings.kml", geojson["findings"])
    if record:
        assert run.options is not None
        sizes = [tile_size_of(run.options.profile, f) for f in run.frames]
        write_json(run.run_dir / "run.json", runrecord.record(run, __version__, sizes))
    about = card.read(model.weights)
    lang = lang or (run.options.lang_used if run.options else DEFAULT_LANG)
    owner = owner or (run.options.owner if run.options else Owner())
    html.write_report(run, about, run.run_dir / "report.html", lang=lang,
                      factsheet=factsheet.facts(profile, about, owner, lang, model.weights))
