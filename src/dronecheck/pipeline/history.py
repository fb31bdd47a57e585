"""Past runs from the ledger: write a run's report again, export every finding for GIS (GeoJSON, a styled
GeoPackage, CSV or KML).

A run's tracks and violations are worked out again from its findings, with the profile's
rules and the zones file as they were when it ran (the zones file must still be there).
"""

from __future__ import annotations

import os
from collections.abc import Collection, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import Any

from dronecheck.analyse.plan import Plan, analyse
from dronecheck.config import DEFAULT_OUT, parse_crs
from dronecheck.errors import ConfigError, DronecheckError, ProfileError
from dronecheck.ledger import Ledger, RunRow, Where, existing, open_ledger
from dronecheck.models.factsheet import Owner
from dronecheck.pipeline.outputs import write_outputs
from dronecheck.profiles import load_profile
from dronecheck.report.files import write_json
from dronecheck.report.geojson import RunContext, findings_collection
from dronecheck.report.gpkg import Layer, write_gpkg, write_kml
from dronecheck.report.i18n import DEFAULT_LANG
from dronecheck.report.tables import write_csv
from dronecheck.run import RunResult
from dronecheck.types import REVIEW_STATES, ModelInfo, Skipped, Verdict


@contextmanager
def open_ledgers(paths: Sequence[Where]) -> Iterator[list[Ledger]]:
    """The ledgers at `paths` (files or PostgreSQL URLs) that exist, opened read-only (a scan may be writing
    them), closed at the end; LedgerError when none exists."""
    with ExitStack() as stack:
        yield [stack.enter_context(open_ledger(p, read_only=True)) for p in existing(paths)]


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
    run.verdicts = ledger.verdicts(f.id for f in findings)
    run.analysis = analyse(frames, findings, plan, plan.zones())
    return run


def write_report_again(ledger: Ledger, run_id: str, zones: Path | None = None, lang: str | None = None,
                       owner: Owner | None = None) -> RunResult:
    """The GeoJSON files and report.html of a past run, written from the ledger (see `rebuild`); the report in
    `lang`, else the run's own language, else its profile's, with `owner` in its factsheet.

    run.json is left as the scan wrote it; a run killed before the end never wrote one.
    """
    run = rebuild(ledger, run_id, zones)
    options = ledger.run(run_id).details.get("options", {})  # type: ignore[union-attr]
    crs = options.get("crs")
    try:
        profile = load_profile(run.profile, require_weights=False)
    except ProfileError:  # a user's profile file, known here only by its name: the factsheet has the card alone
        profile = None
    lang = lang or options.get("lang") or (profile.lang if profile else None) or DEFAULT_LANG
    owner = owner or Owner.from_dict(options.get("owner") or {})  # else the organisation the scan named
    write_outputs(run, record=False, crs=parse_crs(crs) if crs else None, lang=lang, owner=owner, profile=profile)
    return run


def export(ledgers: list[Ledger], target: Path, profile: str | None = None,
           since: datetime | None = None, statuses: Collection[str] | None = None) -> dict[str, Any]:
    """One FeatureCollection of every finding in the ledgers, each id once (its newest run), with its latest
    verdict; with `statuses`, only the findings whose review status is one of them.

    Crop paths are made relative to `target`'s folder, so a GIS can open them from there.
    """
    features: list[dict[str, Any]] = []
    for ledger in ledgers:
        verdicts = ledger.verdicts()
        contexts: dict[str, RunContext] = {}  # a run's, made once for all its findings
        for row, finding, crop in ledger.all_findings():
            if (profile and row.profile != profile) or (since and datetime.fromisoformat(row.started) < since):
                continue
            verdict = verdicts.get(finding.id)
            if statuses is not None and (verdict.verdict if verdict else "unconfirmed") not in statuses:
                continue
            ctx = contexts.get(row.run_id) or contexts.setdefault(row.run_id, _context(row, verdicts))
            features += _features(row, finding, crop, target, ctx)
    return {"type": "FeatureCollection", "features": features}


def parse_statuses(values: Sequence[str] | None) -> set[str] | None:
    """--status, repeated or comma-separated, as a set of REVIEW_STATES; None when not given; ConfigError for
    one it does not know.

    >>> sorted(parse_statuses(["confirmed,corrected"]))
    ['confirmed', 'corrected']
    """
    if not values:
        return None
    given = {s.strip().lower() for v in values for s in v.split(",") if s.strip()}
    unknown = sorted(given - set(REVIEW_STATES))
    if unknown or not given:
        raise ConfigError(f"--status {unknown[0] if unknown else ''!r}: give one or more of {', '.join(REVIEW_STATES)}")
    return given


def _context(row: RunRow, verdicts: dict[str, Verdict]) -> RunContext:
    details = row.details
    model = ModelInfo.from_dict(details["model"]) if details.get("model") else None
    return RunContext(row.run_id, row.profile, row.model, row.model_sha256,
                      traced=bool(details.get("plan", {}).get("trace")), codes=model.codes if model else {},
                      verdicts=verdicts)


def _features(row: RunRow, finding: Any, crop: str | None, target: Path, ctx: RunContext) -> list[dict[str, Any]]:
    crops = {}
    if crop and row.run_dir:
        crops[finding.id] = os.path.relpath(Path(row.run_dir) / crop, target.resolve().parent)
    collection = findings_collection([finding], ctx, crops)
    for feature in collection["features"]:
        feature["properties"]["flight"] = row.flight
    return collection["features"]


FORMATS = {".geojson": "geojson", ".json": "geojson", ".gpkg": "gpkg", ".csv": "csv", ".kml": "kml"}


def export_target(target: Path | None, fmt: str | None) -> tuple[Path, str]:
    """The file and format of an export: `fmt`, else the one `target`'s suffix names, else GeoJSON; without
    `target`, all-findings.<format> in the default output folder. ConfigError for a format it does not know.

    >>> export_target(Path("a.gpkg"), None), export_target(None, "csv")
    ((PosixPath('a.gpkg'), 'gpkg'), (PosixPath('outputs/all-findings.csv'), 'csv'))
    """
    known = sorted(set(FORMATS.values()))
    if fmt is not None and fmt.lower() not in known:
        raise ConfigError(f"--format {fmt!r}: give one of {', '.join(known)}")
    fmt = fmt.lower() if fmt else FORMATS.get(target.suffix.lower(), "geojson") if target else "geojson"
    ext = next(k for k, v in FORMATS.items() if v == fmt)
    return target or DEFAULT_OUT / f"all-findings{ext}", fmt


def write_export(collection: dict[str, Any], target: Path, fmt: str, crs: int) -> None:
    """The findings of `export` as `fmt`: GeoJSON and KML in WGS84, the GeoPackage (one layer, `findings`,
    styled) and the CSV's x/y in `crs`."""
    if fmt == "gpkg":
        write_gpkg(target, [Layer("findings", collection, "Point")], crs)
    elif fmt == "csv":
        write_csv(target, collection, crs)
    elif fmt == "kml":
        write_kml(target, collection)
    else:
        write_json(target, collection)
