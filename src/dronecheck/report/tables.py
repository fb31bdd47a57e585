"""findings.csv: one row per finding, for a spreadsheet.

UTF-8 with a byte order mark: without it Excel reads a CSV in the Windows code page, and an "é" in
a file name or a "±" in a note comes out garbled. Comma-separated with a decimal point, as GDAL, QGIS,
pandas and LibreOffice read it; Excel set to Dutch (decimal comma) should open it through Data > From
Text/CSV, which asks for the separator, rather than by a double click. Besides lon/lat (WGS84),
x and y are given in a projected CRS, named by its EPSG code: the one asked for, or RD New
(`x_28992`, `y_28992`) when that was WGS84.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from dronecheck.geo.crs import DECIMALS, RD_NEW, WGS84, is_geographic, lonlat_to_crs
from dronecheck.report.files import text_bytes, write_atomic

BOM = "\ufeff"
FIRST = ("id", "class", "class_code", "score", "status", "review_status", "reviewed_by", "reviewed_at",
         "corrected_class", "image", "time", "flight", "run", "lon", "lat")
LAST = ("georef_method", "uncertainty_m", "gsd_m", "width_m", "length_m", "crack_length_m", "crack_width_mean_m",
        "crack_width_max_m", "width_below_gsd", "width_class", "crop", "note", "corrected_box_px", "review_comment")


def xy_crs(epsg: int) -> int:
    """The CRS of the x/y columns: `epsg`, or RD New when `epsg` is WGS84 (lon/lat are there already)."""
    return RD_NEW if epsg == WGS84 else epsg


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return value


def rows(findings: dict[str, Any], epsg: int = WGS84) -> tuple[list[str], list[list[Any]]]:
    """The header and the rows of the findings' CSV: the columns of FIRST and LAST that any finding has, lon/lat
    and x/y in `xy_crs(epsg)` in between."""
    features = findings["features"]
    code = xy_crs(epsg)
    present = {k for f in features for k in f["properties"]} | {"id", "class", "score", "status", "lon", "lat"}
    first = [k for k in FIRST if k in present]
    last = [k for k in LAST if k in present]
    lonlat = np.array([f["geometry"]["coordinates"] if f["geometry"] else (np.nan, np.nan) for f in features],
                      dtype=np.float64).reshape(-1, 2)
    x, y = lonlat_to_crs(code, lonlat[:, 0], lonlat[:, 1])
    digits = DECIMALS if is_geographic(code) else 3  # millimetres
    out = []
    for f, lon, lat, xi, yi in zip(features, lonlat[:, 0], lonlat[:, 1], x, y, strict=True):
        p = {**f["properties"], "id": f["id"]}
        placed = bool(np.isfinite(lon))
        p["lon"], p["lat"] = (float(lon), float(lat)) if placed else (None, None)
        xy = [round(float(xi), digits), round(float(yi), digits)] if placed else [None, None]
        out.append([_cell(p.get(k)) for k in first] + [_cell(v) for v in xy] + [_cell(p.get(k)) for k in last])
    return [*first, f"x_{code}", f"y_{code}", *last], out


def csv_bytes(header: Sequence[str], table: Sequence[Sequence[Any]]) -> bytes:
    """The table as UTF-8 CSV with a byte order mark (an odd byte of a file name written escaped)."""
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(table)
    return text_bytes(BOM + buffer.getvalue())


def write_csv(path: Path, findings: dict[str, Any], epsg: int = WGS84) -> None:
    write_atomic(path, csv_bytes(*rows(findings, epsg)))
