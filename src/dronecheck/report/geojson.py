"""GeoJSON for GIS teams, as RFC 7946 wants it.

WGS84 lon/lat, no `crs` member, exterior rings counter-clockwise, at most 7 decimals.
`findings.geojson` holds one Point per finding (null geometry when it could not be placed);
`footprints.geojson` holds the ground footprint of each box as a Polygon, with the same ids;
`crack_lines.geojson` the traced centre line of each crack; `tracks.geojson` a LineString per
track and a Point per sighting; `violations.geojson` the evidence of each suspected violation.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from dronecheck.analyse.motion import Track
from dronecheck.analyse.rules import SUSPECTED, Violation
from dronecheck.geo.crs import DECIMALS, lonlat_to_rd
from dronecheck.types import Finding


@dataclass(frozen=True)
class RunContext:
    """What every feature of a run shares."""

    run_id: str
    profile: str
    model: str
    model_sha256: str
    traced: bool = False  # the profile traces cracks: every finding carries the crack properties
    codes: dict[str, str] = field(default_factory=dict)  # class name -> the profile's code (e.g. RDD2022's)


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
        **({"class_code": ctx.codes.get(f.class_name)} if ctx.codes else {}),
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
        **(crack_properties(f) if ctx.traced else {}),
    }


def crack_properties(f: Finding) -> dict[str, Any]:
    """A traced crack's measures (see README, 'Crack lines'); None where the finding was not traced or
    no crack was found in its box."""
    return {"crack_length_m": _round(f.crack_length_m), "crack_width_mean_m": _round(f.crack_width_mean_m, 5),
            "crack_width_max_m": _round(f.crack_width_max_m, 5), "width_below_gsd": f.width_below_gsd,
            "width_class": f.width_class}


def _lonlat(p: tuple[float, float]) -> list[float]:
    return [round(p[0], DECIMALS), round(p[1], DECIMALS)]


def _line(points: Sequence[tuple[float, float]]) -> dict[str, Any]:
    """A LineString through `points` (lon, lat), or a Point when there is one."""
    coords = [_lonlat(p) for p in points]
    return {"type": "LineString", "coordinates": coords} if len(coords) > 1 else \
        {"type": "Point", "coordinates": coords[0]}


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


def crack_lines_collection(findings: list[Finding], ctx: RunContext) -> dict[str, Any]:
    """One LineString per traced crack (its centre line on the ground), with the finding's id."""
    features = [{
        "type": "Feature",
        "id": f.id,
        "geometry": _line(f.line),
        "properties": {"id": f.id, "class": f.class_name, "score": round(f.score, 4), "image": str(f.frame.name),
                       "run": ctx.run_id, "length_m": _round(f.crack_length_m),
                       "width_mean_m": _round(f.crack_width_mean_m, 5), "width_max_m": _round(f.crack_width_max_m, 5),
                       "width_below_gsd": f.width_below_gsd, "width_class": f.width_class,
                       "gsd_m": _round(f.gsd_m, 5)},
    } for f in findings if f.line]
    return {"type": "FeatureCollection", "features": features}


def track_feature(track: Track) -> dict[str, Any]:
    """The track as one GeoJSON Feature: a LineString through its observations (a Point when there is one)."""
    geometry = _line([(o.lon, o.lat) for o in track.observations])
    return {"type": "Feature", "id": track.id, "geometry": geometry, "properties": {
        "track_id": track.id,
        "class": track.class_name,
        "start": track.start.isoformat(),
        "end": track.end.isoformat(),
        "duration_s": round(track.duration_s, 1),
        "times": [o.time.isoformat() for o in track.observations],
        "speeds_kn": [_round(m.speed_kn, 2) for m in track.motion],
        "courses_deg": [_round(m.course_deg, 1) for m in track.motion],
        "n_obs": [m.n_obs for m in track.motion],
        "mean_speed_kn": _round(track.mean_speed_kn, 2),
        "n_observations": len(track.observations),
        "finding_ids": [o.finding_id for o in track.observations],
    }}


def observation_features(track: Track) -> list[dict[str, Any]]:
    """One GeoJSON Point Feature per observation of `track`, with the motion there."""
    return [{"type": "Feature", "id": f"{track.id}/{i}",
             "geometry": {"type": "Point", "coordinates": _lonlat((o.lon, o.lat))},
             "properties": {"track_id": track.id, "class": track.class_name, "time": o.time.isoformat(),
                            "finding_id": o.finding_id, "speed_kn": _round(m.speed_kn, 2),
                            "course_deg": _round(m.course_deg, 1), "n_obs": m.n_obs}}
            for i, (o, m) in enumerate(zip(track.observations, track.motion, strict=True))]


def tracks_collection(tracks: Sequence[Track], points: bool = True) -> dict[str, Any]:
    """A FeatureCollection (RFC 7946) of the tracks' lines, then, with `points`, their observations."""
    features = [track_feature(t) for t in tracks]
    if points:
        features += [p for t in tracks for p in observation_features(t)]
    return {"type": "FeatureCollection", "features": features}


def violation_feature(v: Violation) -> dict[str, Any]:
    """One GeoJSON Feature: the evidence as a LineString (a Point when it is one sighting)."""
    return {"type": "Feature", "id": v.id, "geometry": _line(v.path), "properties": {
        "id": v.id,
        "kind": v.kind,
        "status": SUSPECTED,
        "rule": v.rule.params(),
        "zone": v.zone,
        "class": v.class_name,
        "track_id": v.track_id,
        "start": v.start.isoformat() if v.start else None,
        "end": v.end.isoformat() if v.end else None,
        **v.values,
        "finding_ids": list(v.finding_ids),
    }}


def violations_collection(violations: Sequence[Violation]) -> dict[str, Any]:
    """A FeatureCollection (RFC 7946) of `violations`."""
    return {"type": "FeatureCollection", "features": [violation_feature(v) for v in violations]}
