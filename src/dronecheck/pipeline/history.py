"""Past runs from the ledger: write a run's report again, export every finding for GIS.

A run's tracks and violations are worked out again from its findings, with the profile's
rules and the zones file as they were when it ran (the zones file must still be there).
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import Any

from dronecheck.analyse.plan import Plan, analyse
from dronecheck.errors import DronecheckError
from dronecheck.ledger.sqlite import Ledger, RunRow, existing
from dronecheck.pipeline.outputs import write_outputs
from dronecheck.report.geojson import RunContext, findings_collection
from dronecheck.run import RunResult
from dronecheck.types import ModelInfo, Skipped


@contextmanager
def open_ledgers(paths: Sequence[Path]) -> Iterator[list[Ledger]]:
    """The ledgers at `paths` that exist, opened read-only (a scan may be writing them), closed at the end;
    LedgerError when none exists."""
    with ExitStack() as stack:
        yield [stack.enter_context(Ledger(p, read_only=True)) for p in existing(paths)]


def rebuild(ledger: Ledger, run_id: str, zones: Path | None = None) -> RunResult:
    """A past run as the scan left it, from what the ledger recorded; with `zones`, its rules are
    checked against those zones instead of the run's own."""
    row = ledger.run(run_id)
    if row is None:
        raise DronecheckError(f"no run {run_id!r} in {ledger.path} (see `dronecheck runs`)")
    details = row.details
    if not row.run_dir or not details.get("model"):
        raise DronecheckError(f"run {run_id} scanned nothing ({row.status}): it has no report")
    frames, findings, crops, failures = ledger.run_contents(run_id)
    plan = Plan.from_dict(details.get("plan", {}), f"run {run_id}")
    if zones is not None:
        plan = replace(plan, zones_file=zones)
    run = RunResult(row.run_id, row.flight, Path(row.run_dir), row.profile, datetime.fromisoformat(row.started),
                    None, frames, findings, crops, [Skipped(p, r) for p, r in failures],
                    details.get("ignored", []), row.files_already_done,
                    model=ModelInfo.from_dict(details["model"]),
                    finished=datetime.fromisoformat(row.finished) if row.finished else None, plan=plan)
    run.timings.update(details.get("timings_s", {}))
    run.analysis = analyse(frames, findings, plan, plan.zones())
    return run


def write_report_again(ledger: Ledger, run_id: str, zones: Path | None = None) -> RunResult:
    """The GeoJSON files and report.html of a past run, written from the ledger (see `rebuild`).

    run.json is left as the scan wrote it; a run killed before the end never wrote one.
    """
    run = rebuild(ledger, run_id, zones)
    write_outputs(run, record=False)
    return run


def export(ledgers: list[Ledger], target: Path, profile: str | None = None,
           since: datetime | None = None) -> dict[str, Any]:
    """One FeatureCollection of every finding in the ledgers, each id once (its newest run).

    Crop paths are made relative to `target`'s folder, so a GIS can open them from there.
    """
    features: list[dict[str, Any]] = []
    for ledger in ledgers:
        for row, finding, crop in ledger.all_findings():
            if (profile and row.profile != profile) or (since and datetime.fromisoformat(row.started) < since):
                continue
            features += _features(row, finding, crop, target)
    return {"type": "FeatureCollection", "features": features}


def _features(row: RunRow, finding: Any, crop: str | None, target: Path) -> list[dict[str, Any]]:
    details = row.details
    model = ModelInfo.from_dict(details["model"]) if details.get("model") else None
    ctx = RunContext(row.run_id, row.profile, row.model, row.model_sha256,
                     traced=bool(details.get("plan", {}).get("trace")), codes=model.codes if model else {})
    crops = {}
    if crop and row.run_dir:
        crops[finding.id] = os.path.relpath(Path(row.run_dir) / crop, target.resolve().parent)
    collection = findings_collection([finding], ctx, crops)
    for feature in collection["features"]:
        feature["properties"]["flight"] = row.flight
    return collection["features"]
