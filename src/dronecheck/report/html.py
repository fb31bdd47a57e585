"""report.html: the inspector's view of a run, one file that opens from disk offline."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from datetime import datetime
from pathlib import Path
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape

from dronecheck import __version__
from dronecheck.analyse.rules import SUSPECTED
from dronecheck.analyse.zones import Zone
from dronecheck.report import planview
from dronecheck.report.files import text_bytes, write_atomic
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
    ordered = sorted((f for f in run.frames if f.pose.has_position), key=lambda f: (f.time is None, f.time))
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


def write_report(run: RunResult, card: dict[str, Any], path: Path) -> None:
    env = Environment(loader=PackageLoader("dronecheck", "report/templates"),
                      autoescape=select_autoescape(["html", "j2"]))
    env.filters["when"] = when
    html = env.get_template("report.html.j2").render(**context(run, card))
    write_atomic(path, text_bytes(html))
