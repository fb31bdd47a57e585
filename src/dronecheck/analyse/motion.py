"""Tracks on the ground: findings grouped by the track ids the tracker gave them
(`detect.tracker`), with speed over ground and course at every observation.

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

import numpy as np

from dronecheck.geo.crs import lonlat_to_enu
from dronecheck.types import Finding

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
