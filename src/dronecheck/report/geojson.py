"""GeoJSON for GIS teams, as RFC 7946 wants it.

WGS84 lon/lat, no `crs` member, exterior rings counter-clockwise, at most 7 decimals.
`findings.geojson` holds one Point per finding (null geometry when it could not be placed);
`footprints.geojson` holds the ground footprint of each box as a Polygon, with the same ids.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from dronecheck.geo.crs import lonlat_to_rd
from dronecheck.types import Finding

DECIMALS = 7


@dataclass(frozen=True)
class RunContext:
    """What every feature of a run shares."""

    run_id: str
    profile: str
    model: str
    model_sha256: str


def _round(value: float | None, digits: int = 3) -> float | None:
    return None if value is None else round(float(value), digits)


def properties(f: Finding, ctx: RunContext, crop: str | None) -> dict[str, Any]:
    """The documented properties of a finding (see README, 'GeoJSON properties')."""
    pose = f.frame.pose
    rd = lonlat_to_rd(*f.point) if f.point else None
    return {
        "id": f.id,
        "class": f.class_name,
        "class_id": f.class_id,
        "score": round(f.score, 4),
        "status": "unconfirmed",
        "image": str(f.frame.name),
        "image_sha256": f.frame.sha256,
        "time": f.frame.time.isoformat() if f.frame.time else None,
        "profile": ctx.profile,
        "model": ctx.model,
        "model_sha256": ctx.model_sha256,
        "run": ctx.run_id,
        "georef_method": f.method,
        "uncertainty_m": _round(f.uncertainty_m, 2),
        "gsd_m": _round(f.gsd_m, 4),
        "width_m": _round(f.width_m),
        "length_m": _round(f.length_m),
        "box_px": [round(v, 1) for v in f.box_px],
        "camera_lon": _round(pose.lon, DECIMALS),
        "camera_lat": _round(pose.lat, DECIMALS),
        "height_m": _round(pose.altitude_rel_m, 2),
        "gimbal_pitch_deg": _round(pose.gimbal_pitch_deg, 2),
        "gimbal_yaw_deg": _round(pose.gimbal_yaw_deg, 2),
        "rd_x": _round(rd[0], 2) if rd else None,
        "rd_y": _round(rd[1], 2) if rd else None,
        "crop": crop,
        "note": f.note,
    }


def _lonlat(p: tuple[float, float]) -> list[float]:
    return [round(p[0], DECIMALS), round(p[1], DECIMALS)]


def findings_collection(findings: list[Finding], ctx: RunContext, crops: dict[str, str]) -> dict[str, Any]:
    features = [{
        "type": "Feature",
        "id": f.id,
        "geometry": {"type": "Point", "coordinates": _lonlat(f.point)} if f.point else None,
        "properties": properties(f, ctx, crops.get(f.id)),
    } for f in findings]
    return {"type": "FeatureCollection", "features": features}


def footprints_collection(findings: list[Finding], ctx: RunContext) -> dict[str, Any]:
    features = [{
        "type": "Feature",
        "id": f.id,
        "geometry": {"type": "Polygon", "coordinates": [[_lonlat(p) for p in f.footprint]]},
        "properties": {"id": f.id, "class": f.class_name, "score": round(f.score, 4), "run": ctx.run_id,
                       "width_m": _round(f.width_m), "length_m": _round(f.length_m)},
    } for f in findings if f.footprint]
    return {"type": "FeatureCollection", "features": features}
