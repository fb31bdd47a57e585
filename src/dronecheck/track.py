"""Tracks: detections linked across frames, then their motion on the ground.

Two steps, kept apart:

* `Tracker` gives each detection of a frame sequence a track id. It is a thin adapter
  over Ultralytics' ByteTrack with its default `bytetrack.yaml` settings (pixel boxes
  only; it knows nothing of GPS). Ultralytics is imported when a `Tracker` is made,
  after `detect.runtime.prepare()`, never at import of this module.
* `build_tracks` groups georeferenced findings by track id and estimates speed over
  ground and course for every observation (`motion`), in a local east/north frame.

Speed and course come from a least-squares straight-line fit of east and north against
time over a sliding window of observations (see `window_size`). Local ENU rather than RD
New: RD grid north is off true north by up to about 2 degrees across the Netherlands, and a
course must be degrees *true*.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np

from dronecheck.errors import ModelError
from dronecheck.geo.crs import lonlat_to_enu
from dronecheck.types import Detections, Finding

KNOT_M_S = 1852.0 / 3600.0
# Observations behind each speed/course value, a window centred on the observation: at least
# WINDOW_OBS of them, and more when they come fast enough (video) to span WINDOW_S seconds, so
# that a few decimetres of noise per position do not become knots of noise in the speed.
WINDOW_OBS = 5
WINDOW_S = 10.0
# Below this speed the direction of travel is lost in the position noise (a few metres per
# finding), so the course is left out (None).
MIN_COURSE_SPEED_KN = 0.5
# Methods that place a finding at the object itself; "camera-position" is where the
# drone was, not where the object is, so it cannot show how the object moved.
GROUND_METHODS = ("nadir", "oblique-flat-ground")
DECIMALS = 7


class Tracker:
    """ByteTrack over the frames of one sequence (a video, or photos shot one after another).

    Make one per sequence and feed its frames in order, empty ones included, so that lost
    tracks age. Ids start at 1 for each tracker. Matching is on box overlap in pixels, so
    the frames must overlap: consecutive video frames, or photos taken a second or two
    apart from a hovering drone.
    """

    def __init__(self) -> None:
        from dronecheck.detect import runtime

        runtime.prepare()
        try:
            from ultralytics.trackers.byte_tracker import BYTETracker
        except ImportError as exc:  # its matching step needs `lap`, which it would try to pip-install
            raise ModelError(f"tracking needs the 'lap' package ({exc}); install it with: pip install 'lap>=0.5.12'") \
                from exc
        from ultralytics.engine.results import Boxes
        from ultralytics.utils import ROOT, YAML, IterableSimpleNamespace

        self._boxes = Boxes
        args = IterableSimpleNamespace(**YAML.load(ROOT / "cfg" / "trackers" / "bytetrack.yaml"))
        self._tracker = BYTETracker(args)

    def update(self, detections: Detections) -> np.ndarray:
        """Track ids (int64, one per detection) for the next frame; -1 where there is none.

        A detection gets no id when its score is below ByteTrack's thresholds, or when it
        starts a track after the first frame: ByteTrack confirms a new track only on its
        second matched frame.

        >>> t = Tracker()
        >>> t.update(Detections([[10, 10, 50, 40]], [0.9], [0])).tolist()
        [1]
        >>> t.update(Detections([[12, 10, 52, 40]], [0.9], [0])).tolist()
        [1]
        """
        data = np.column_stack([detections.xyxy, detections.confidence, detections.class_id]).astype(np.float32)
        # orig_shape only serves Boxes' normalised coordinates, which ByteTrack does not read
        out = self._tracker.update(self._boxes(data, orig_shape=(1, 1)))
        ids = np.full(len(detections), -1, dtype=np.int64)
        for row in out:  # [x1, y1, x2, y2, track_id, score, cls, idx]
            ids[int(row[7])] = int(row[4])
        return ids


@dataclass(frozen=True)
class Observation:
    """One sighting of a tracked object on the ground."""

    time: datetime
    lon: float
    lat: float
    finding_id: str


@dataclass(frozen=True)
class Motion:
    """Speed over ground and course at one observation, and how many observations the fit used.

    Both are None when the window spans no time; the course also when the object hardly moves.
    """

    speed_kn: float | None
    course_deg: float | None  # true, 0 = north, clockwise
    n_obs: int


@dataclass(frozen=True)
class Track:
    """One object followed over time: its observations in time order and the motion at each."""

    id: str
    class_name: str
    observations: tuple[Observation, ...]
    motion: tuple[Motion, ...]

    @property
    def start(self) -> datetime:
        return self.observations[0].time

    @property
    def end(self) -> datetime:
        return self.observations[-1].time

    @property
    def duration_s(self) -> float:
        return (self.end - self.start).total_seconds()

    @property
    def mean_speed_kn(self) -> float | None:
        speeds = [m.speed_kn for m in self.motion if m.speed_kn is not None]
        return sum(speeds) / len(speeds) if speeds else None


def fit_velocity(seconds: np.ndarray, east: np.ndarray, north: np.ndarray) -> tuple[float, float] | None:
    """East and north velocity (m/s) of a least-squares line through the points; None without a time span.

    >>> fit_velocity(np.array([0.0, 10.0, 20.0]), np.array([0.0, 50.0, 100.0]), np.array([0.0, 0.0, 0.0]))
    (5.0, 0.0)
    """
    t = seconds - seconds.mean()
    tt = float(t @ t)
    if tt == 0.0:
        return None
    return float(t @ (east - east.mean())) / tt, float(t @ (north - north.mean())) / tt


def window_size(seconds: np.ndarray) -> int:
    """Observations per fit: WINDOW_OBS, or as many as span WINDOW_S at the track's usual spacing.

    >>> window_size(np.arange(0.0, 60.0, 10.0)), window_size(np.arange(0.0, 60.0, 0.5))
    (5, 21)
    """
    gaps = np.diff(seconds)
    gaps = gaps[gaps > 0]
    if not len(gaps):
        return WINDOW_OBS
    return max(WINDOW_OBS, math.ceil(WINDOW_S / float(np.median(gaps))) + 1)


def motion(observations: Sequence[Observation], window: int | None = None) -> tuple[Motion, ...]:
    """Speed and course at each of `observations` (in time order) from a centred window of `window`
    observations (default: `window_size`).

    Near the ends the window is shifted, not shrunk; a track shorter than `window` is fitted whole.
    """
    if window is not None and window < 2:
        raise ValueError(f"window of {window} observations: a speed needs at least 2")
    if not observations:
        return ()
    t0, lon0, lat0 = observations[0].time, observations[0].lon, observations[0].lat
    seconds = np.array([(o.time - t0).total_seconds() for o in observations])
    window = window or window_size(seconds)
    east, north = lonlat_to_enu(lon0, lat0, np.array([o.lon for o in observations]),
                                np.array([o.lat for o in observations]))
    n, size = len(observations), min(window, len(observations))
    result = []
    for i in range(n):
        start = min(max(i - size // 2, 0), n - size)
        w = slice(start, start + size)
        result.append(_motion(fit_velocity(seconds[w], east[w], north[w]), size))
    return tuple(result)


def _motion(velocity: tuple[float, float] | None, n_obs: int) -> Motion:
    if velocity is None:
        return Motion(None, None, n_obs)
    speed = math.hypot(*velocity) / KNOT_M_S
    course = math.degrees(math.atan2(*velocity)) % 360.0 if speed >= MIN_COURSE_SPEED_KN else None
    return Motion(speed, course, n_obs)


def build_tracks(findings: Sequence[Finding], track_ids: Sequence[str | None],
                 window: int | None = None) -> list[Track]:
    """Tracks from `findings` and their track ids (None: untracked), sorted by id.

    Ids must be unique across the run (e.g. "<video>:<tracker id>"), as each `Tracker`
    starts at 1. Findings without a capture time or not placed on the ground (see
    GROUND_METHODS) cannot show motion and are left out. A track's class is its most
    frequent one: ByteTrack does not match on class, so a track may mix a few.
    """
    if len(track_ids) != len(findings):
        raise ValueError(f"{len(track_ids)} track ids for {len(findings)} findings")
    groups: dict[str, list[tuple[Observation, str]]] = defaultdict(list)
    for f, tid in zip(findings, track_ids, strict=True):
        obs = observation(f)
        if tid is not None and obs is not None:
            groups[tid].append((obs, f.class_name))
    tracks = []
    for tid in sorted(groups):
        members = sorted(groups[tid], key=lambda m: m[0].time)
        obs = tuple(o for o, _ in members)
        cls = Counter(c for _, c in members).most_common(1)[0][0]
        tracks.append(Track(tid, cls, obs, motion(obs, window)))
    return tracks


def observation(finding: Finding) -> Observation | None:
    """The finding as an observation of where its object was when; None without a time or a ground point."""
    if finding.point is None or finding.frame.time is None or finding.method not in GROUND_METHODS:
        return None
    return Observation(finding.frame.time, finding.point[0], finding.point[1], finding.id)


def _round(value: float | None, digits: int) -> float | None:
    return None if value is None else round(value, digits)


def _position(o: Observation) -> list[float]:
    return [round(o.lon, DECIMALS), round(o.lat, DECIMALS)]


def track_feature(track: Track) -> dict[str, Any]:
    """The track as one GeoJSON Feature: a LineString through its observations (a Point when there is one)."""
    coords = [_position(o) for o in track.observations]
    geometry = {"type": "LineString", "coordinates": coords} if len(coords) > 1 else \
        {"type": "Point", "coordinates": coords[0]}
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
    return [{"type": "Feature", "id": f"{track.id}/{i}", "geometry": {"type": "Point", "coordinates": _position(o)},
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
