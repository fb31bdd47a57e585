"""report.html: the inspector's view of a run, one file that opens from disk offline."""

from __future__ import annotations

import shutil
from collections import Counter
from collections.abc import Iterable
from datetime import datetime
from importlib.resources import as_file, files
from pathlib import Path
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape

from dronecheck import __version__
from dronecheck.analyse.rules import SUSPECTED
from dronecheck.analyse.zones import Zone
from dronecheck.models.factsheet import shown_scores
from dronecheck.report import planview
from dronecheck.report.crops import blur_summary, crop_box
from dronecheck.report.files import text_bytes, write_atomic
from dronecheck.report.geojson import frame_id, photos_collection, time_order, track_feature, violation_feature
from dronecheck.report.i18n import DEFAULT_LANG, EN, text, translator
from dronecheck.review.verdicts_file import verdict_to_json
from dronecheck.run import RunResult

EVIDENCE_CROPS = 6
PALETTE = ["#e6194b", "#3cb44b", "#4363d8", "#f58231", "#911eb4", "#42d4f4", "#f032e6", "#9a6324"]


def _points(view: planview.PlanView, coords: Iterable[tuple[float, float]]) -> str:
    """SVG `points` of lon/lat coordinates."""
    return " ".join("{},{}".format(*view.xy(lon, lat)) for lon, lat in coords)


def _zone_rings(zone: Zone) -> list[list[tuple[float, float]]]:
    polygons = getattr(zone.geometry, "geoms", [zone.geometry])
    return [list(p.exterior.coords) for p in polygons]


def _plan(run: RunResult, colours: dict[str, str]) -> dict[str, Any] | None:
    """The plan view: drawn to fit the flight and its findings; zones are drawn where they fall in it."""
    cameras = [(f.pose.lon, f.pose.lat) for f in run.frames if f.pose.has_position]
    footprints = [p for f in run.findings if f.footprint for p in f.footprint]
    view = planview.fit(cameras + [f.point for f in run.findings if f.point] + footprints)
    if view is None:
        return None
    ordered = sorted((f for f in run.frames if f.pose.has_position), key=time_order)
    bar_px, bar_label = view.scale_bar()
    return {
        "width": planview.WIDTH, "height": planview.HEIGHT, "bar_px": bar_px, "bar_label": bar_label,
        "path": _points(view, ((f.pose.lon, f.pose.lat) for f in ordered)),
        "photos": [{"xy": view.xy(f.pose.lon, f.pose.lat), "name": f.name} for f in ordered],
        "findings": [{"id": f.id, "xy": view.xy(*f.point), "colour": colours[f.class_name],
                      "label": f"{f.class_name} {f.score:.2f}",
                      "ring": _points(view, f.footprint) if f.footprint else None}
                     for f in run.findings if f.point],
        "zones": [{"name": z.name, "kind": z.kind, "rings": [_points(view, r) for r in _zone_rings(z)]}
                  for z in run.analysis.zones],
        "tracks": [{"id": t.id, "line": _points(view, ((o.lon, o.lat) for o in t.observations)),
                    "end": view.xy(t.observations[-1].lon, t.observations[-1].lat)}
                   for t in run.analysis.tracks],
        "violations": [{"id": v.id, "line": _points(view, v.path), "kind": v.kind}
                       for v in run.analysis.violations],
    }


def _evidence(run: RunResult) -> list[dict[str, Any]]:
    """Each violation with the findings that show it: at most EVIDENCE_CROPS, spread over its time."""
    by_id = {f.id: f for f in run.findings}
    out = []
    for v in run.analysis.violations:
        ids = list(v.finding_ids)
        step = max(1, -(-len(ids) // EVIDENCE_CROPS))
        shown = ids[::step][:EVIDENCE_CROPS - 1] + ([ids[-1]] if len(ids) > 1 else [])
        out.append({"id": v.id, "v": v, "rule": v.rule.params(),
                    "evidence": [by_id[fid] for fid in dict.fromkeys(shown) if fid in by_id]})
    return out


def view_path(fid: str) -> str:
    """Where a scan puts the downscaled copy of a photo with findings, relative to the run folder.

    >>> view_path("0123456789abcdef#12")
    'views/0123456789abcdef-12.jpg'
    """
    return f"views/{fid.replace('#', '-')}.jpg"


def _geometry(kind: str, coords: Any) -> dict[str, Any]:
    return {"type": kind, "coordinates": coords}


def map_data(run: RunResult, colours: dict[str, str]) -> dict[str, Any]:
    """What the map and the review list of the report draw, embedded in the page as JSON (a report opened from
    disk cannot fetch files): findings with their boxes, crops and photos, the camera path, the photo footprints,
    tracks, zones and violations."""
    findings = []
    for f in sorted(run.findings, key=lambda f: (f.frame.name, -f.score)):
        fid, cam = frame_id(f.frame), f.frame.camera
        view = view_path(fid)
        size = (cam.width, cam.height) if cam.width and cam.height else None
        findings.append({
            "id": f.id, "class": f.class_name, "score": round(f.score, 4), "image": str(f.frame.name),
            "frame_id": fid, "time": when(f.frame.time), "point": list(f.point) if f.point else None,
            "footprint": [list(p) for p in f.footprint] if f.footprint else None,
            "box_px": [round(v, 1) for v in f.box_px], "size_px": list(size) if size else None,
            "crop": run.crops.get(f.id), "crop_px": list(crop_box(*size, f.box_px)) if size else None,
            "view": view if (run.run_dir / view).is_file() else None,
            "width_class": f.width_class, "method": f.method, "note": f.note,
            "camera": " ".join(p for p in (cam.make, cam.model) if p) or None,
            "uncertainty_m": None if f.uncertainty_m is None else round(f.uncertainty_m, 1),
            "length_m": None if f.length_m is None else round(f.length_m, 2),
            "width_m": None if f.width_m is None else round(f.width_m, 2),
        })
    ordered = sorted((f for f in run.frames if f.pose.has_position), key=time_order)
    photos = photos_collection(run.frames, run.findings)["features"]
    return {
        "colours": colours,
        "findings": findings,
        "path": [[f.pose.lon, f.pose.lat] for f in ordered],
        "photos": [p for p in photos if p["geometry"]],
        "tracks": [track_feature(t) for t in run.analysis.tracks],
        "violations": [violation_feature(v) for v in run.analysis.violations],
        "zones": [{"name": z.name, "kind": z.kind, "rings": [[list(c) for c in r] for r in _zone_rings(z)]}
                  for z in run.analysis.zones],
    }


def context(run: RunResult, card: dict[str, Any]) -> dict[str, Any]:
    """What the template shows: the run, and the model card of the weights that ran (empty without one)."""
    model = run.model
    assert model is not None
    classes = sorted({f.class_name for f in run.findings})
    colours = {c: PALETTE[i % len(PALETTE)] for i, c in enumerate(classes)}
    unplaced = Counter(f.frame.name for f in run.findings if f.point is None)
    return {
        "run": run, "version": __version__, "detector": model, "card": card,
        "counts": run.counts, "colours": colours, "plan": _plan(run, colours),
        "findings": sorted(run.findings, key=lambda f: (f.frame.name, -f.score)),
        "unplaced": [{"image": name, "n": n, "why": next(f.note for f in run.findings
                                                         if f.frame.name == name and f.point is None)}
                     for name, n in sorted(unplaced.items())],
        "frames_with_notes": [f for f in run.frames if f.notes],
        "tracks": run.analysis.tracks, "violations": _evidence(run), "rules_status": SUSPECTED,
        "seconds": round(sum(run.timings.values()), 2),
        "width_classes": sorted({f.width_class for f in run.findings if f.width_class}),
        "map": map_data(run, colours),
        "verdicts": {fid: verdict_to_json(v) for fid, v in run.verdicts.items()},  # the ledger's, as the file has them
        "blur": blur_summary(run.blurred, run.options.profile.blur) if run.options and run.options.profile.blur
        else None,  # privacy: what was blurred in the crops and photo views
    }


def when(moment: datetime | None) -> str:
    """A time for people: to the second, or to the tenth where frames come faster.

    >>> when(datetime(2025, 6, 12, 10, 1, 9, 500000)), when(datetime(2025, 6, 12, 10, 1, 9))
    ('2025-06-12 10:01:09.5', '2025-06-12 10:01:09')
    """
    if moment is None:
        return ""
    text = moment.isoformat(sep=" ", timespec="seconds")
    return f"{text}.{moment.microsecond // 100_000}" if moment.microsecond else text


def copy_static(run_dir: Path) -> None:
    """The report's scripts and styles (Leaflet) into `run_dir`/static, so the page opened from disk needs no
    network."""
    with as_file(files("dronecheck.report") / "static") as source:
        shutil.copytree(source, run_dir / "static", dirs_exist_ok=True)


def page_texts(lang: str) -> dict[str, str]:
    """What review.js writes into the page at run time, in `lang`: the catalog's `js.` keys without the prefix,
    embedded as JSON (`dc-text`); `{name}` in a text is filled in by the script.

    >>> page_texts("nl")["confirmed"]
    'bevestigd'
    """
    return {key.removeprefix("js."): text(key, lang) for key in EN if key.startswith("js.")}


def write_report(run: RunResult, card: dict[str, Any], path: Path, *,
                 lang: str = DEFAULT_LANG, factsheet: dict[str, Any] | None = None) -> None:
    """report.html in `lang` (nl or en: `t` in the templates), with the run's factsheet (models.factsheet) as a
    section when there is one."""
    env = Environment(loader=PackageLoader("dronecheck", "report/templates"),
                      autoescape=select_autoescape(["html", "j2"]))
    env.filters["when"] = when
    copy_static(path.parent)
    language = {"lang": lang, "t": translator(lang), "page_texts": page_texts(lang), "factsheet": factsheet,
                "factsheet_scores": shown_scores(factsheet) if factsheet else []}
    html = env.get_template("report.html.j2").render(**context(run, card), **language)
    write_atomic(path, text_bytes(html))
