"""GeoPackage and KML, written by GDAL through pyogrio from the GeoJSON collections of a run.

The GeoPackage holds one layer per collection, in the CRS asked (WGS84 by default), with the same
ids and properties as the GeoJSON; list and object properties become JSON text. Its `layer_styles`
table (the table QGIS itself writes styles to: see `report.styles`) gives each layer its look,
so QGIS opens the file styled. KML (Google Earth) is always WGS84.

pyogrio is imported where it is used, so commands that never write these files do not load GDAL.
"""

from __future__ import annotations

import json
import os
import sqlite3
import warnings
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from io import BytesIO
from pathlib import Path
from typing import Any

import numpy as np

from dronecheck.errors import OutputError
from dronecheck.geo.crs import WGS84, crs_wkt, lonlat_to_crs
from dronecheck.report.files import file_mode, fsync_file, temp_beside, write_atomic
from dronecheck.report.styles import Style, layer_styles

GEOMETRY_COLUMN = "geom"

LAYER_STYLES = """CREATE TABLE layer_styles (
  id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
  f_table_catalog TEXT(256), f_table_schema TEXT(256), f_table_name TEXT(256), f_geometry_column TEXT(256),
  styleName TEXT(30), styleQML TEXT, styleSLD TEXT, useAsDefault BOOLEAN, description TEXT, owner TEXT(30),
  ui TEXT(30), update_time DATETIME DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')))"""


@dataclass(frozen=True)
class Layer:
    """One layer to write: a GeoJSON FeatureCollection, and its geometry type for when it is empty."""

    name: str
    collection: dict[str, Any]
    geometry_type: str  # Point, LineString or Polygon
    empty_fields: tuple[str, ...] = ("id",)  # the fields of the layer when it has no features

    @property
    def features(self) -> list[dict[str, Any]]:
        return self.collection["features"]


def _text(value: Any) -> str:
    """A property as text: strings as they are (an odd byte of a file name escaped, as in the GeoJSON), lists
    and objects as JSON."""
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


def _column(values: Sequence[Any]) -> tuple[np.ndarray, np.ndarray | None]:
    """A field's values as the array GDAL gets (its type follows from the values) and its null mask."""
    present = [v for v in values if v is not None]
    mask = np.array([v is None for v in values], dtype=bool)
    if present and all(isinstance(v, bool) for v in present):
        return np.array([bool(v) for v in values], dtype=bool), mask
    if present and all(isinstance(v, int) and not isinstance(v, bool) for v in present):
        return np.array([v or 0 for v in values], dtype=np.int64), mask
    if present and all(isinstance(v, int | float) and not isinstance(v, bool) for v in present):
        return np.array([np.nan if v is None else float(v) for v in values], dtype=np.float64), None  # NaN: null
    return np.array([None if v is None else _text(v) for v in values], dtype=object), None


def _fields(layer: Layer) -> tuple[list[str], list[np.ndarray], list[np.ndarray | None]]:
    """Field names in the order they first appear, their arrays and masks."""
    names: dict[str, None] = {}
    for f in layer.features:
        names.update(dict.fromkeys(f["properties"]))
    if not layer.features:
        names = dict.fromkeys(layer.empty_fields)
    columns = [_column([f["properties"].get(n) for f in layer.features]) for n in names]
    return list(names), [c[0] for c in columns], [c[1] for c in columns]


def geometry_kind(layer: Layer) -> str:
    """The one type of the layer's geometries, 'Unknown' when they mix (a track of one sighting is a point),
    the layer's own when it has none."""
    kinds = {f["geometry"]["type"] for f in layer.features if f["geometry"]}
    return kinds.pop() if len(kinds) == 1 else ("Unknown" if kinds else layer.geometry_type)


def _wkb(layer: Layer, epsg: int) -> np.ndarray:
    """The features' geometries as WKB in `epsg`, None where a feature has none."""
    import shapely

    geoms = np.array([shapely.geometry.shape(f["geometry"]) if f["geometry"] else None for f in layer.features],
                     dtype=object)
    if epsg != WGS84:
        geoms = shapely.transform(geoms, lambda xy: np.column_stack(lonlat_to_crs(epsg, xy[:, 0], xy[:, 1])))
    return np.asarray(shapely.to_wkb(geoms), dtype=object)


def _write_layer(target: Path | BytesIO, driver: str, layer: Layer, epsg: int) -> None:
    """Add `layer` to the file at `target` (made when it is not there), or write it into `target`'s memory."""
    from pyogrio.raw import write

    names, arrays, masks = _fields(layer)
    options = {"GEOMETRY_NAME": GEOMETRY_COLUMN} if driver == "GPKG" else None
    with warnings.catch_warnings():  # GDAL on the temporary name: "the filename extension should be 'gpkg'"
        warnings.filterwarnings("ignore", ".*extension", RuntimeWarning)
        write(target if isinstance(target, BytesIO) else str(target), _wkb(layer, epsg), arrays, names,
              field_mask=masks, layer=layer.name, driver=driver, geometry_type=geometry_kind(layer),
              crs=crs_wkt(epsg), encoding="UTF-8", promote_to_multi=False, layer_options=options)


def add_styles(path: Path, styles: Sequence[Style]) -> None:
    """Create `layer_styles` in the GeoPackage at `path` with `styles`, registered in gpkg_contents as an
    attributes table so that GDAL and QGIS list it as a table of the file."""
    with sqlite3.connect(path) as db:
        db.execute(LAYER_STYLES)
        db.execute("INSERT INTO gpkg_contents (table_name, data_type, identifier, description) "
                   "VALUES ('layer_styles', 'attributes', 'layer_styles', 'QGIS layer styles')")
        db.executemany("INSERT INTO layer_styles (f_table_catalog, f_table_schema, f_table_name, f_geometry_column, "
                       "styleName, styleQML, styleSLD, useAsDefault, description, owner) "
                       "VALUES ('', '', ?, ?, ?, ?, '', ?, ?, 'dronecheck')",
                       [(s.layer, GEOMETRY_COLUMN, s.name, s.qml, int(s.default), s.description) for s in styles])
    db.close()


def _gdal_errors() -> tuple[type[Exception], ...]:
    from pyogrio.errors import DataLayerError, DataSourceError, FieldError, GeometryError

    return OSError, sqlite3.Error, DataSourceError, DataLayerError, FieldError, GeometryError


def _output_error(path: Path, exc: Exception) -> OutputError:
    return OutputError(path, exc if isinstance(exc, OSError) else OSError(str(exc)))


@contextmanager
def _unsynced() -> Iterator[None]:
    """GDAL's SQLite without a disk sync at each commit (several per layer: a second for a run's few layers,
    a quarter of that without). Safe for a temporary file that is synced once, whole, before it is renamed."""
    import pyogrio

    before = pyogrio.get_gdal_config_option("OGR_SQLITE_SYNCHRONOUS")
    pyogrio.set_gdal_config_options({"OGR_SQLITE_SYNCHRONOUS": "OFF"})
    try:
        yield
    finally:
        pyogrio.set_gdal_config_options({"OGR_SQLITE_SYNCHRONOUS": before})



def write_gpkg(path: Path, layers: Sequence[Layer], epsg: int = WGS84, classes: Sequence[str] = (),
               width_classes: Sequence[str] = ()) -> None:
    """A GeoPackage of `layers` in `epsg`, with the QGIS styles of each (`classes` and `width_classes`: the
    profile's, for stable colours; see `styles.layer_styles`). GDAL writes it at a temporary name beside
    `path`, renamed over `path` when whole, so a killed run never leaves half a file; OutputError when it
    cannot be written."""
    try:
        tmp = temp_beside(path)
    except OSError as exc:
        raise OutputError(path, exc) from exc
    tmp.unlink()  # GDAL makes the file itself
    try:
        styles = []
        with _unsynced():
            for layer in layers:
                mine = layer_styles(layer.name, layer.features, geometry_kind(layer), classes, width_classes)
                if not layer.features:  # the fields its styles look at, so that QGIS shows the legend
                    layer = replace(layer, empty_fields=("id", *dict.fromkeys(s.attr for s in mine if s.attr)))
                _write_layer(tmp, "GPKG", layer, epsg)
                styles += mine
        add_styles(tmp, styles)
        fsync_file(tmp)
        os.chmod(tmp, file_mode())
        os.replace(tmp, path)
    except _gdal_errors() as exc:
        raise _output_error(path, exc) from exc
    finally:
        tmp.unlink(missing_ok=True)


def _description(p: dict[str, Any]) -> str:
    """What Google Earth shows in a finding's balloon."""
    lines = [f"{p['class']}, score {p['score']:.2f}, {p.get('status', 'unconfirmed')}", f"image: {p.get('image')}"]
    if p.get("time"):
        lines.append(f"time: {p['time']}")
    if p.get("uncertainty_m") is not None:
        lines.append(f"placed: {p.get('georef_method')}, ± {p['uncertainty_m']} m")
    if p.get("width_m") is not None and p.get("length_m") is not None:
        lines.append(f"size: {p['width_m']} × {p['length_m']} m")
    if p.get("note"):
        lines.append(f"note: {p['note']}")
    return "\n".join(lines)


KML_FIELDS = ("class", "score", "status", "review_status", "reviewed_by", "reviewed_at", "corrected_class", "image",
              "time", "georef_method", "uncertainty_m", "width_m", "length_m", "run", "flight", "crop")


def _placemark(fid: str, p: dict[str, Any]) -> dict[str, Any]:
    return {"id": fid, "name": f"{p['class']} {p['score']:.2f}", "description": _description(p),
            **{k: p[k] for k in KML_FIELDS if k in p}}


def kml_driver() -> str:
    """LIBKML (a Placemark's id is the finding's id) where GDAL has it, else GDAL's own KML writer."""
    import pyogrio

    return "LIBKML" if "LIBKML" in pyogrio.list_drivers(write=True) else "KML"


def write_kml(path: Path, findings: dict[str, Any]) -> None:
    """The findings as KML Placemarks for Google Earth: named by class and score, described in a few lines,
    the main properties as extended data; always WGS84 (KML knows no other CRS)."""
    features = [{**f, "properties": _placemark(f["id"], f["properties"])} for f in findings["features"]]
    layer = Layer("findings", {"type": "FeatureCollection", "features": features}, "Point",
                  ("id", "name", "description"))
    buffer = BytesIO()  # in memory: LIBKML makes a folder of a name that does not end in .kml
    try:
        _write_layer(buffer, kml_driver(), layer, WGS84)
    except _gdal_errors() as exc:
        raise _output_error(path, exc) from exc
    write_atomic(path, buffer.getvalue())
