"""GeoJSON for GIS teams, as RFC 7946 wants it.

WGS84 lon/lat, no `crs` member, exterior rings counter-clockwise, at most 7 decimals.
`findings.geojson` holds one Point per finding (null geometry when it could not be placed);
`footprints.geojson` holds the ground footprint of each box as a Polygon, with the same ids;
`crack_lines.geojson` the traced centre line of each crack; `tracks.geojson` a LineString per
track and a Point per sighting; `violations.geojson` the evidence of each suspected violation;
`photos.geojson` the ground footprint of each frame scanned. The flight path (a LineString through
the camera positions) goes into the GeoPackage only.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from itertools import groupby
from typing import Any

from dronecheck.analyse.motion import Track
from dronecheck.analyse.rules import SUSPECTED, Violation
from dronecheck.geo.crs import DECIMALS, ground_distance, lonlat_to_rd
from dronecheck.geo.georef import centre_gsd, frame_ground
from dronecheck.types import Finding, Frame, Verdict


@dataclass(frozen=True)
class RunContext:
    """What every feature of a run shares."""

    run_id: str
    profile: str
    model: str
    model_sha256: str
    traced: bool = False  # the profile traces cracks: every finding carries the crack properties
    codes: dict[str, str] = field(default_factory=dict)  # class name -> the profile's code (e.g. RDD2022's)
    verdicts: dict[str, Verdict] = field(default_factory=dict)  # finding id -> its latest verdict (the ledger's)


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
        **review_properties(ctx.verdicts.get(f.id)),
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


def review_properties(v: Verdict | None) -> dict[str, Any]:
    """A finding's review (see README, 'Review'): `status` and `review_status` (one of REVIEW_STATES), who and
    when, the class a corrected verdict gives (its box is `corrected_box_px`), the reviewer's comment."""
    status = v.verdict if v else "unconfirmed"
    return {"status": status, "review_status": status, "reviewed_by": v.reviewed_by if v else None,
            "reviewed_at": v.reviewed_at.isoformat() if v else None,
            "corrected_class": v.corrected_class if v else None,
            "corrected_box_px": [round(b, 1) for b in v.corrected_box_px] if v and v.corrected_box_px else None,
            "review_comment": v.comment if v else None}


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


def frame_id(frame: Frame) -> str:
    """A frame's id: its file's hash (as finding ids are), with the frame number for a video frame."""
    head = frame.sha256[:16]
    return head if frame.frame_index is None else f"{head}#{frame.frame_index}"


def photo_feature(frame: Frame, n_findings: int) -> dict[str, Any]:
    """One frame scanned: its ground footprint (null where it cannot be projected) and its pose."""
    pose, cam = frame.pose, frame.camera
    ground = frame_ground(frame)
    centre = ground.centre
    ring = [[_lonlat(p) for p in ground.ring]] if ground.ring else None
    return {"type": "Feature", "id": frame_id(frame),
            "geometry": {"type": "Polygon", "coordinates": ring} if ring else None,
            "properties": {
                "id": frame_id(frame),
                "image": str(frame.name),
                "image_sha256": frame.sha256,
                "time": frame.time.isoformat() if frame.time else None,
                "camera_lon": _round(pose.lon, DECIMALS),
                "camera_lat": _round(pose.lat, DECIMALS),
                "altitude_m": _round(pose.altitude_abs_m, 2),
                "height_m": _round(pose.altitude_rel_m, 2),
                "gimbal_yaw_deg": _round(pose.gimbal_yaw_deg, 2),
                "gimbal_pitch_deg": _round(pose.gimbal_pitch_deg, 2),
                "gimbal_roll_deg": _round(pose.gimbal_roll_deg, 2),
                "flight_yaw_deg": _round(pose.flight_yaw_deg, 2),
                "gsd_m": _round(centre_gsd(frame), 5),
                "centre_lon": centre[0] if centre else None,
                "centre_lat": centre[1] if centre else None,
                "georef_method": ground.method,
                "width_px": cam.width,
                "height_px": cam.height,
                "camera": " ".join(p for p in (cam.make, cam.model) if p) or None,
                "n_findings": n_findings,
                "note": ground.note,
            }}


def photos_collection(frames: Sequence[Frame], findings: Sequence[Finding]) -> dict[str, Any]:
    """A FeatureCollection (RFC 7946) of the frames scanned, in time order, with how many findings each gave."""
    counts = Counter(frame_id(f.frame) for f in findings)
    return {"type": "FeatureCollection",
            "features": [photo_feature(fr, counts[frame_id(fr)]) for fr in sorted(frames, key=time_order)]}


def time_order(frame: Frame) -> tuple[bool, str, str, int]:
    """Frames with a time first, by time (as ISO text: aware and naive times do not compare), then by name."""
    return (frame.time is None, frame.time.isoformat() if frame.time else "", str(frame.path),
            frame.frame_index or 0)


def _path_key(frame: Frame) -> str:
    """What one flight path follows: a video's own frames; the photos of a run together (one flight)."""
    return str(frame.path) if frame.frame_index is not None else ""


def flight_path_collection(frames: Sequence[Frame]) -> dict[str, Any]:
    """One LineString through the camera positions in time order per video, and one through the photos; a path
    with fewer than two positions is left out (it is no line)."""
    placed = sorted((f for f in frames if f.pose.has_position), key=lambda f: (_path_key(f), time_order(f)))
    features = []
    for key, group in groupby(placed, key=_path_key):
        path = list(group)
        coords = [_lonlat((f.pose.lon, f.pose.lat)) for f in path]  # type: ignore[arg-type]
        if len(coords) < 2:
            continue
        heights = [f.pose.altitude_rel_m for f in path if f.pose.altitude_rel_m is not None]
        times = [f.time for f in path if f.time]
        same_kind = len(times) > 1 and (times[0].tzinfo is None) == (times[-1].tzinfo is None)
        duration = (times[-1] - times[0]).total_seconds() if same_kind else None
        pid = path[0].sha256[:16] if key else "photos"  # a video's frames in `photos` are "<this id>#N"
        features.append({"type": "Feature", "id": pid, "geometry": {"type": "LineString", "coordinates": coords},
                         "properties": {"id": pid, "source": path[0].path.name if key else "photos",
                                        "n_frames": len(path),
                                        "start": times[0].isoformat() if times else None,
                                        "end": times[-1].isoformat() if times else None,
                                        "duration_s": _round(duration, 1),
                                        "height_min_m": _round(min(heights), 2) if heights else None,
                                        "height_max_m": _round(max(heights), 2) if heights else None,
                                        "length_m": _round(_length_m(coords), 1)}})
    return {"type": "FeatureCollection", "features": features}


def _length_m(coords: Sequence[Sequence[float]]) -> float:
    return math.fsum(ground_distance(a[0], a[1], b[0], b[1]) for a, b in zip(coords, coords[1:], strict=False))
