"""report.html: the inspector's view of a run, one file that opens from disk offline."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING, Any

from jinja2 import Environment, PackageLoader, select_autoescape

from dronecheck import __version__, card
from dronecheck.report import planview
from dronecheck.report.files import write_atomic

if TYPE_CHECKING:
    from dronecheck.pipeline import RunResult

PALETTE = ["#e6194b", "#3cb44b", "#4363d8", "#f58231", "#911eb4", "#42d4f4", "#f032e6", "#9a6324"]


def _plan(run: RunResult, colours: dict[str, str]) -> dict[str, Any] | None:
    cameras = [(f.pose.lon, f.pose.lat) for f in run.frames if f.pose.has_position]
    footprints = [p for f in run.findings if f.footprint for p in f.footprint]
    view = planview.fit(cameras + [f.point for f in run.findings if f.point] + footprints)
    if view is None:
        return None
    ordered = sorted((f for f in run.frames if f.pose.has_position), key=lambda f: (f.time is None, f.time))
    bar_px, bar_label = view.scale_bar()
    return {
        "width": planview.WIDTH, "height": planview.HEIGHT, "bar_px": bar_px, "bar_label": bar_label,
        "path": " ".join("{},{}".format(*view.xy(f.pose.lon, f.pose.lat)) for f in ordered),
        "photos": [{"xy": view.xy(f.pose.lon, f.pose.lat), "name": f.name} for f in ordered],
        "findings": [{"id": f.id, "xy": view.xy(*f.point), "colour": colours[f.class_name],
                      "label": f"{f.class_name} {f.score:.2f}",
                      "ring": " ".join("{},{}".format(*view.xy(*p)) for p in f.footprint) if f.footprint else None}
                     for f in run.findings if f.point],
    }


def context(run: RunResult) -> dict[str, Any]:
    model = run.model
    assert model is not None
    classes = sorted({f.class_name for f in run.findings})
    colours = {c: PALETTE[i % len(PALETTE)] for i, c in enumerate(classes)}
    unplaced = Counter(f.frame.name for f in run.findings if f.point is None)
    return {
        "run": run, "version": __version__, "detector": model, "card": card.read(model.weights),
        "counts": run.counts, "colours": colours, "plan": _plan(run, colours),
        "findings": sorted(run.findings, key=lambda f: (f.frame.name, -f.score)),
        "unplaced": [{"image": name, "n": n, "why": next(f.note for f in run.findings
                                                         if f.frame.name == name and f.point is None)}
                     for name, n in sorted(unplaced.items())],
        "frames_with_notes": [f for f in run.frames if f.notes],
        "seconds": round(sum(run.timings.values()), 2),
    }


def write_report(run: RunResult, path: Path) -> None:
    env = Environment(loader=PackageLoader("dronecheck", "report/templates"),
                      autoescape=select_autoescape(["html", "j2"]))
    html = env.get_template("report.html.j2").render(**context(run))
    write_atomic(path, html.encode())
