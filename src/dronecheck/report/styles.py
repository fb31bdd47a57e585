"""QGIS styles (QML) for the GeoPackage's layers, stored in its `layer_styles` table (see `report.gpkg`).

QGIS opens a GeoPackage layer with the style marked `useAsDefault` for it, and lists the others under
Layer Properties > Style. Findings are coloured by class (the default) or by review status; footprints
by class with a translucent fill; crack lines by width class, wider classes drawn thicker; the other
layers with one symbol. A class colour follows the class's place among the profile's classes, so a
class has the same colour in every run of a profile.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape

# ColorBrewer Set1, then Dark2: qualitative colours that tell classes apart.
PALETTE = ("228,26,28", "55,126,184", "77,175,74", "152,78,163", "255,127,0", "166,86,40", "247,129,191",
           "27,158,119", "217,95,2", "117,112,179", "102,166,30", "230,171,2")
OTHER = "153,153,153"
STATUS_COLOURS = {"unconfirmed": "255,170,0", "confirmed": "215,25,28", "rejected": "150,150,150",
                  "corrected": "152,78,163"}  # types.REVIEW_STATES
WIDTH_RAMP = ("255,237,160", "254,178,76", "240,59,32", "189,0,38")  # narrow to wide (YlOrRd)


@dataclass(frozen=True)
class Symbol:
    """One QGIS symbol. Colours are "r,g,b"; sizes and widths in millimetres on the map."""

    kind: str  # marker, line or fill
    colour: str
    alpha: int = 255
    size: float = 2.6  # marker diameter or line width
    outline: str = "35,35,35"
    outline_alpha: int = 255
    outline_width: float = 0.3
    shape: str = "circle"
    dash: bool = False

    def fields(self) -> dict[str, Any]:
        """What the template fills in."""
        return {"kind": self.kind, "color": f"{self.colour},{self.alpha}", "size": self.size, "shape": self.shape,
                "outline": f"{self.outline},{self.outline_alpha}", "outline_width": self.outline_width,
                "dash": self.dash}


@dataclass(frozen=True)
class Style:
    """A row of `layer_styles`: a layer's style by name, and whether QGIS opens the layer with it."""

    layer: str
    name: str
    qml: str
    default: bool
    description: str
    attr: str | None = None  # the field it categorizes on


@functools.cache
def _template() -> Any:
    env = Environment(loader=PackageLoader("dronecheck", "report/templates"), autoescape=select_autoescape(["j2"]),
                      keep_trailing_newline=True)
    return env.get_template("style.qml.j2")


def qml(default: Symbol, attr: str | None = None, categories: Sequence[tuple[str, str, Symbol]] = ()) -> str:
    """A QML document: a categorized renderer on `attr` with `categories` (value, label, symbol; an empty value
    is "all other values", NULL included), or one `default` symbol when there is no `attr`."""
    cats = [{"value": v, "label": label, "symbol": s.fields()} for v, label, s in categories]
    return _template().render(attr=attr, categories=cats, default=default.fields())


def ordered(known: Sequence[str], present: Iterable[Any]) -> list[str]:
    """`known` (the profile's order), then the other values present, sorted; NULL is left out.

    >>> ordered(["crack"], ["spall", None, "crack"])
    ['crack', 'spall']
    """
    extra = sorted({str(v) for v in present if v is not None} - set(known))
    return [*known, *extra]


def _values(features: Sequence[dict[str, Any]], key: str) -> list[Any]:
    return [f["properties"].get(key) for f in features]


def _by_class(base: Symbol, classes: Sequence[str], present: Iterable[Any], **other: Any) -> list[tuple[str, str,
                                                                                                        Symbol]]:
    values = ordered(classes, present)
    cats = [(v, v, replace(base, colour=PALETTE[i % len(PALETTE)], **other)) for i, v in enumerate(values)]
    return [*cats, ("", "other", replace(base, colour=OTHER, **other))]


def findings_styles(features: Sequence[dict[str, Any]], classes: Sequence[str]) -> list[Style]:
    """Points by class (the default) and by review status."""
    point = Symbol("marker", OTHER, size=3.0)
    statuses = [(s, s, replace(point, colour=c, alpha=110 if s == "rejected" else 255))
                for s, c in STATUS_COLOURS.items()]
    statuses += [(v, v, replace(point, colour=OTHER)) for v in ordered([], _values(features, "status"))
                 if v not in STATUS_COLOURS]
    return [Style("findings", "by class", qml(point, "class", _by_class(point, classes, _values(features, "class"))),
                  True, "findings coloured by class", "class"),
            Style("findings", "by review status", qml(point, "status", [*statuses, ("", "other", point)]), False,
                  "findings coloured by review status: unconfirmed, confirmed, rejected, corrected", "status")]


def footprints_styles(features: Sequence[dict[str, Any]], classes: Sequence[str]) -> list[Style]:
    """Polygons by class: a translucent fill in the class colour, outlined in it."""
    fill = Symbol("fill", OTHER, alpha=70, outline_width=0.4)
    cats = [(v, label, replace(s, outline=s.colour)) for v, label, s in
            _by_class(fill, classes, _values(features, "class"))]
    return [Style("footprints", "by class", qml(fill, "class", cats), True,
                  "box footprints on the ground, translucent, by class", "class")]


def _width_key(label: str) -> tuple[float, int]:
    """"< 0.2 mm" before "0.2-0.5 mm" before "> 0.5 mm"; a label without a number last."""
    number = re.search(r"\d+(\.\d+)?", label)
    return (float(number.group()) if number else float("inf"), {"<": 0, ">": 2}.get(label[:1], 1))


def crack_lines_styles(features: Sequence[dict[str, Any]], width_classes: Sequence[str] = ()) -> list[Style]:
    """Centre lines by width class (`width_classes`: the profile's, narrow to wide, then any others present),
    wider classes thicker and redder; no width class (too narrow to measure) thin and grey."""
    values = [*width_classes, *sorted(ordered(width_classes, _values(features, "width_class"))[len(width_classes):],
                                      key=_width_key)]
    ramp = [WIDTH_RAMP[min(i * len(WIDTH_RAMP) // max(len(values), 1), len(WIDTH_RAMP) - 1)]
            for i in range(len(values))]
    line = Symbol("line", OTHER, size=0.4)
    cats = [(v, v, replace(line, colour=c, size=round(0.5 + 0.4 * i, 2))) for i, (v, c) in
            enumerate(zip(values, ramp, strict=True))]
    return [Style("crack_lines", "by width class", qml(line, "width_class", [*cats, ("", "no width class", line)]),
                  True, "traced crack centre lines by width class", "width_class")]


SIMPLE = {
    "tracks": (Symbol("line", "31,120,180", size=0.8), "vessel tracks"),
    "violations": (Symbol("line", "215,25,28", size=1.4, dash=True), "suspected violations (to be confirmed)"),
    "photos": (Symbol("fill", "166,206,227", alpha=40, outline="31,120,180", outline_width=0.2),
               "ground footprints of the photos and video frames scanned"),
    "flight_path": (Symbol("line", "60,60,60", size=0.5, dash=True), "camera positions in time order"),
}


def simple_styles(layer: str, geometry_type: str) -> list[Style]:
    """One symbol; a layer whose evidence is a single sighting (a point) gets a marker in the line's colour."""
    symbol, description = SIMPLE[layer]
    if geometry_type == "Point" and symbol.kind != "marker":
        symbol = Symbol("marker", symbol.colour)
    return [Style(layer, "default", qml(symbol), True, description)]


def layer_styles(layer: str, features: Sequence[dict[str, Any]], geometry_type: str, classes: Sequence[str] = (),
                 width_classes: Sequence[str] = ()) -> list[Style]:
    """The styles of a dronecheck layer (the first is QGIS's default); none for a layer it does not know.
    `classes` and `width_classes` are the profile's (see `ordered`)."""
    if layer == "findings":
        return findings_styles(features, classes)
    if layer == "footprints":
        return footprints_styles(features, classes)
    if layer == "crack_lines":
        return crack_lines_styles(features, width_classes)
    return simple_styles(layer, geometry_type) if layer in SIMPLE else []
