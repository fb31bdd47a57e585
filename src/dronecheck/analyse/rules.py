"""Rules: when tracks and findings inside zones become suspected violations.

A profile lists its rules as TOML ``[[rules]]`` tables, e.g.::

    [[rules]]
    kind = "trawling_in_closed_area"
    zone_kind = "closed"
    min_speed_kn = 2
    max_speed_kn = 5
    min_duration_s = 60

`parse_rules` checks them when the profile loads; `find_violations` applies them to the tracks and
findings of a scan and the zones of a zones file (see `zones`). The kinds:

* ``trawling_in_closed_area``: a track inside a zone of `zone_kind` at a speed between
  `min_speed_kn` and `max_speed_kn` (towing gear is slow and steady).
* ``gear_in_closed_area``: an object of one of `classes` (nets, buoys) inside such a zone.
* ``outside_allowed_hours``: a track inside such a zone at a local time outside the zone's
  ``allowed_hours``, optionally only within a speed range (fishing, not passing through).
* ``speed_limit``: a track inside such a zone faster than the zone's ``speed_limit_kn``
  plus `tolerance_kn`.

Track rules fire on a run of consecutive observations that all meet the condition, at
least `min_observations` of them spanning at least `min_duration_s`. A violation is only
ever *suspected*: an inspector confirms it.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, fields, replace
from datetime import datetime
from typing import Any

import numpy as np

from dronecheck.analyse.motion import GROUND_METHODS, Motion, Track
from dronecheck.analyse.zones import Zone
from dronecheck.errors import ProfileError
from dronecheck.types import Finding

SUSPECTED = "suspected — to be confirmed by an inspector"
# Per kind: the keys it requires and the optional keys it accepts (besides "kind").
KINDS: dict[str, tuple[frozenset[str], frozenset[str]]] = {
    "trawling_in_closed_area": (frozenset({"zone_kind", "min_speed_kn", "max_speed_kn"}),
                                frozenset({"classes", "min_duration_s", "min_observations"})),
    "gear_in_closed_area": (frozenset({"zone_kind", "classes"}), frozenset({"min_observations"})),
    "outside_allowed_hours": (frozenset({"zone_kind"}),
                              frozenset({"classes", "min_speed_kn", "max_speed_kn", "min_duration_s",
                                         "min_observations"})),
    "speed_limit": (frozenset({"zone_kind"}),
                    frozenset({"classes", "min_duration_s", "min_observations", "tolerance_kn"})),
}


@dataclass(frozen=True)
class Rule:
    """One rule of a profile. `classes` empty: every class."""

    kind: str
    zone_kind: str
    classes: tuple[str, ...] = ()
    min_speed_kn: float | None = None
    max_speed_kn: float | None = None
    min_duration_s: float = 0.0
    min_observations: int = 1
    tolerance_kn: float = 0.0

    def params(self) -> dict[str, Any]:
        """The rule as written in a profile: its kind and every parameter that differs from the default.

        >>> Rule("speed_limit", "port", min_observations=3).params()
        {'kind': 'speed_limit', 'zone_kind': 'port', 'min_observations': 3}
        """
        out: dict[str, Any] = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if f.name in ("kind", "zone_kind") or value != f.default:
                out[f.name] = list(value) if isinstance(value, tuple) else value
        return out

    def applies_to(self, class_name: str) -> bool:
        return not self.classes or class_name in self.classes


@dataclass(frozen=True)
class Violation:
    """A suspected violation: which rule, where, who, when, what was measured, and the findings behind it."""

    kind: str
    rule: Rule
    zone: str
    class_name: str
    track_id: str | None  # None: a single untracked finding
    start: datetime | None
    end: datetime | None
    finding_ids: tuple[str, ...]
    path: tuple[tuple[float, float], ...]  # (lon, lat) of the evidence, in time order
    values: dict[str, Any] = field(default_factory=dict, compare=False)  # measured: speeds, duration, counts
    id: str = ""  # violation-1, violation-2, ... in time order within a run (given by `find_violations`)


def parse_rules(raw: list[dict], source: str, class_names: Sequence[str] | None = None) -> list[Rule]:
    """The `[[rules]]` of a profile; ProfileError naming the rule and the key that is wrong.

    With `class_names` (the profile's classes), a rule naming another class is refused too.

    >>> parse_rules([{"kind": "speed_limit", "zone_kind": "port", "min_observations": 3}], "p.toml")
    [Rule(kind='speed_limit', zone_kind='port', classes=(), min_speed_kn=None, max_speed_kn=None, \
min_duration_s=0.0, min_observations=3, tolerance_kn=0.0)]
    >>> parse_rules([{"kind": "speed_limit", "zone_kind": "port", "limit": 6}], "p.toml")
    Traceback (most recent call last):
    dronecheck.errors.ProfileError: profile p.toml: rules[0] (speed_limit): unknown key 'limit'; \
known keys are classes, kind, min_duration_s, min_observations, tolerance_kn, zone_kind
    """
    if not isinstance(raw, list):
        raise ProfileError(f"profile {source}: 'rules' must be a list of [[rules]] tables")
    return [_parse_rule(entry, f"profile {source}: rules[{i}]", class_names) for i, entry in enumerate(raw)]


def _parse_rule(entry: Any, where: str, class_names: Sequence[str] | None) -> Rule:
    if not isinstance(entry, dict):
        raise ProfileError(f"{where}: expected a table of keys, got {entry!r}")
    kind = entry.get("kind")
    if not isinstance(kind, str) or kind not in KINDS:
        raise ProfileError(f"{where}: key 'kind' is {kind!r}; expected one of {', '.join(sorted(KINDS))}")
    where = f"{where} ({kind})"
    required, optional = KINDS[kind]
    known = required | optional | {"kind"}
    unknown = sorted(set(entry) - known)
    if unknown:
        raise ProfileError(f"{where}: unknown key {', '.join(map(repr, unknown))}; "
                           f"known keys are {', '.join(sorted(known))}")
    missing = sorted(required - set(entry))
    if missing:
        raise ProfileError(f"{where}: missing key {', '.join(map(repr, missing))}")
    values = {key: _value(key, entry[key], where) for key in entry if key != "kind"}
    rule = Rule(kind=kind, **values)
    lo, hi = rule.min_speed_kn, rule.max_speed_kn
    if lo is not None and hi is not None and lo > hi:
        raise ProfileError(f"{where}: key 'min_speed_kn' ({lo:g}) is above 'max_speed_kn' ({hi:g})")
    foreign = [c for c in rule.classes if class_names is not None and c not in class_names]
    if foreign:
        raise ProfileError(f"{where}: key 'classes' names {', '.join(map(repr, foreign))}, not a class of the "
                           f"profile ({', '.join(class_names or ())})")
    return rule


def _value(key: str, value: Any, where: str) -> Any:
    if key == "zone_kind":
        if not isinstance(value, str) or not value.strip():
            raise ProfileError(f"{where}: key 'zone_kind' must be a non-empty text, got {value!r}")
        return value
    if key == "classes":
        if not isinstance(value, list) or not value or not all(isinstance(c, str) and c for c in value):
            raise ProfileError(f"{where}: key 'classes' must be a non-empty list of class names, got {value!r}")
        return tuple(value)
    if key == "min_observations":
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ProfileError(f"{where}: key 'min_observations' must be a whole number >= 1, got {value!r}")
        return value
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= sys.float_info.max:
        raise ProfileError(f"{where}: key {key!r} must be a finite number >= 0, got {value!r}")  # not NaN, inf
    return float(value)


def unmatched_rules(rules: Iterable[Rule], zones: Sequence[Zone]) -> list[Rule]:
    """The rules whose `zone_kind` no zone has: they can never fire, which is worth a warning."""
    kinds = {z.kind for z in zones}
    return [r for r in rules if r.zone_kind not in kinds]


# Says, for each observation of a track, whether the rule's condition (besides being inside the zone) holds.
Condition = Callable[[Track], np.ndarray]


def find_violations(rules: Iterable[Rule], zones: Sequence[Zone], tracks: Sequence[Track],
                    findings: Sequence[Finding] = ()) -> list[Violation]:
    """Every suspected violation of `rules`, ordered by start time, with ids violation-1, violation-2, ...

    Track rules look at `tracks`. `gear_in_closed_area` looks at tracks of its classes and
    also at `findings` of those classes that are in no track (gear seen once), each alone.
    """
    tracked = {o.finding_id for t in tracks for o in t.observations}
    loose = [f for f in findings if f.id not in tracked and f.point is not None and f.method in GROUND_METHODS]
    out: list[Violation] = []
    for rule in rules:
        for zone in (z for z in zones if z.kind == rule.zone_kind):
            condition = _CONDITIONS[rule.kind](rule, zone)
            if condition is None:
                continue
            out += [v for t in tracks if rule.applies_to(t.class_name) for v in _track_violations(rule, zone, t,
                                                                                                  condition)]
            if rule.kind == "gear_in_closed_area":
                out += _finding_violations(rule, zone, loose)
    ordered = sorted(out, key=lambda v: (v.start is None, v.start.timestamp() if v.start else 0.0, v.kind, v.zone))
    return [replace(v, id=f"violation-{i}") for i, v in enumerate(ordered, 1)]


def _anywhere(track: Track) -> np.ndarray:
    return np.ones(len(track.observations), dtype=bool)


def _speed_between(rule: Rule) -> Condition:
    if rule.min_speed_kn is None and rule.max_speed_kn is None:
        return _anywhere  # speed does not matter, so a sighting without one counts too
    lo = -np.inf if rule.min_speed_kn is None else rule.min_speed_kn
    hi = np.inf if rule.max_speed_kn is None else rule.max_speed_kn
    return lambda t: np.array([m.speed_kn is not None and lo <= m.speed_kn <= hi for m in t.motion], dtype=bool)


def _outside_hours(rule: Rule, zone: Zone) -> Condition | None:
    hours = zone.allowed_hours
    if hours is None:  # no restricted hours in this zone
        return None
    speed = _speed_between(rule)
    return lambda t: speed(t) & np.array([not hours.contains(zone.local_time(o.time).time())
                                          for o in t.observations], dtype=bool)


def _speeding(rule: Rule, zone: Zone) -> Condition | None:
    if zone.speed_limit_kn is None:
        return None
    over = zone.speed_limit_kn + rule.tolerance_kn
    return lambda t: np.array([m.speed_kn is not None and m.speed_kn > over for m in t.motion], dtype=bool)


_CONDITIONS: dict[str, Callable[[Rule, Zone], Condition | None]] = {
    "trawling_in_closed_area": lambda rule, zone: _speed_between(rule),
    "gear_in_closed_area": lambda rule, zone: _anywhere,
    "outside_allowed_hours": _outside_hours,
    "speed_limit": _speeding,
}


def runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """(start, stop) index pairs of the runs of consecutive True values.

    >>> runs(np.array([True, True, False, True, False, False, True]))
    [(0, 2), (3, 4), (6, 7)]
    """
    edges = np.diff(np.concatenate([[0], mask.astype(np.int8), [0]]))
    return list(zip(np.flatnonzero(edges == 1).tolist(), np.flatnonzero(edges == -1).tolist(), strict=True))


def _track_violations(rule: Rule, zone: Zone, track: Track, condition: Condition) -> list[Violation]:
    obs = track.observations
    inside = zone.contains(np.array([o.lon for o in obs]), np.array([o.lat for o in obs]))
    out = []
    for lo, hi in runs(inside & condition(track)):
        part = obs[lo:hi]
        duration = (part[-1].time - part[0].time).total_seconds()
        if len(part) < rule.min_observations or duration < rule.min_duration_s:
            continue
        values = {"n_observations": len(part), "duration_s": round(duration, 1),
                  **_speed_stats(track.motion[lo:hi]), **_zone_values(rule, zone, part[0].time, part[-1].time)}
        out.append(Violation(rule.kind, rule, zone.name, track.class_name, track.id, part[0].time, part[-1].time,
                             tuple(o.finding_id for o in part), tuple((o.lon, o.lat) for o in part), values))
    return out


def _finding_violations(rule: Rule, zone: Zone, findings: Sequence[Finding]) -> list[Violation]:
    if rule.min_observations > 1:
        return []
    out = []
    for f in findings:
        assert f.point is not None
        if rule.applies_to(f.class_name) and zone.contains(*f.point).item():
            out.append(Violation(rule.kind, rule, zone.name, f.class_name, None, f.frame.time, f.frame.time,
                                 (f.id,), (f.point,), {"n_observations": 1, "duration_s": 0.0}))
    return out


def _speed_stats(motion: Sequence[Motion]) -> dict[str, float]:
    speeds = [m.speed_kn for m in motion if m.speed_kn is not None]
    if not speeds:
        return {}
    return {"speed_min_kn": round(min(speeds), 2), "speed_mean_kn": round(sum(speeds) / len(speeds), 2),
            "speed_max_kn": round(max(speeds), 2)}


def _zone_values(rule: Rule, zone: Zone, start: datetime, end: datetime) -> dict[str, Any]:
    if rule.kind == "speed_limit":
        return {"speed_limit_kn": zone.speed_limit_kn}
    if rule.kind == "outside_allowed_hours":
        return {"allowed_hours": str(zone.allowed_hours), "timezone": zone.timezone.key,
                "local_start": zone.local_time(start).isoformat(), "local_end": zone.local_time(end).isoformat()}
    return {}
