"""A run's files: the GeoJSON layers, report.html and run.json, each written atomically."""

from __future__ import annotations

from datetime import UTC, datetime

from dronecheck import __version__
from dronecheck.models import card
from dronecheck.pipeline.tiles import tile_size_of
from dronecheck.report import html, runrecord
from dronecheck.report.files import write_json
from dronecheck.report.geojson import (
    RunContext,
    crack_lines_collection,
    findings_collection,
    footprints_collection,
    tracks_collection,
    violations_collection,
)
from dronecheck.run import RunResult


def write_outputs(run: RunResult, *, record: bool = True) -> None:
    """findings.geojson, footprints.geojson, crack_lines.geojson (when the profile traces cracks),
    tracks.geojson and violations.geojson (when the profile tracks and has rules), report.html and,
    with `record` (a scan, not a report written again), run.json."""
    model = run.model
    assert model is not None
    run.finished = run.finished or datetime.now(UTC)
    ctx = RunContext(run.run_id, run.profile, model.name, model.sha256, traced=bool(run.plan.trace),
                     codes=model.codes)
    write_json(run.run_dir / "findings.geojson", findings_collection(run.findings, ctx, run.crops))
    write_json(run.run_dir / "footprints.geojson", footprints_collection(run.findings, ctx))
    if run.plan.trace:
        write_json(run.run_dir / "crack_lines.geojson", crack_lines_collection(run.findings, ctx))
    if run.plan.track:
        write_json(run.run_dir / "tracks.geojson", tracks_collection(run.analysis.tracks))
    if run.plan.rules and run.plan.zones_file:
        write_json(run.run_dir / "violations.geojson", violations_collection(run.analysis.violations))
    if record:
        assert run.options is not None
        sizes = [tile_size_of(run.options.profile, f) for f in run.frames]
        write_json(run.run_dir / "run.json", runrecord.record(run, __version__, sizes))
    html.write_report(run, card.read(model.weights), run.run_dir / "report.html")
