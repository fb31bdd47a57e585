"""Zones and rules: each rule fires when, and only when, its conditions hold.

tests/data/zones/test-zones.geojson holds hand-drawn rectangles near 4.5 E, 52.5 N: a closed
area "Closed box A" (lon 4.50-4.52, lat 52.50-52.51, plus a second box), "Fishing ground B"
(lon 4.53-4.56) open 06:00-18:00, "Fishing ground D" without hours, and "Port C"
(lon 4.60-4.62) with a 6 kn limit.
"""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest
from test_track import finding, vessel_track

from dronecheck.analyse.rules import SUSPECTED, Rule, find_violations, parse_rules, unmatched_rules
from dronecheck.analyse.zones import load_zones
from dronecheck.errors import BadInputError, ProfileError
from dronecheck.report.geojson import violations_collection

ZONES_FILE = Path(__file__).parent / "data" / "zones" / "test-zones.geojson"
ZONES = load_zones(ZONES_FILE)
EVERY_10S_FOR_2MIN = list(range(0, 130, 10))

TRAWLING = Rule("trawling_in_closed_area", "closed", min_speed_kn=2.0, max_speed_kn=5.0, min_duration_s=60.0)
GEAR = Rule("gear_in_closed_area", "closed", classes=("net", "buoy"))
HOURS = Rule("outside_allowed_hours", "fishing", min_duration_s=60.0)
SPEED = Rule("speed_limit", "port", min_duration_s=20.0, min_observations=3)


def test_zones_load_with_their_parameters() -> None:
    by_name = {z.name: z for z in ZONES}
    assert sorted(by_name) == ["Closed box A", "Fishing ground B", "Fishing ground D", "Port C"]
    assert str(by_name["Fishing ground B"].allowed_hours) == "06:00-18:00"
    assert by_name["Fishing ground B"].timezone.key == "Europe/Amsterdam"
    assert by_name["Port C"].speed_limit_kn == 6.0 and by_name["Closed box A"].speed_limit_kn is None
    closed = by_name["Closed box A"]
    assert closed.contains([4.51, 4.505, 4.515, 4.49], [52.505, 52.525, 52.525, 52.505]).tolist() == \
        [True, True, False, False]


def square(lon: float = 4.5, lat: float = 52.5, d: float = 0.01) -> list:
    return [[[lon, lat], [lon + d, lat], [lon + d, lat + d], [lon, lat + d], [lon, lat]]]


def zone_feature(props: dict | None = None, geometry: dict | None = None) -> dict:
    return {"type": "Feature", "properties": {"name": "Z", "kind": "closed", **(props or {})},
            "geometry": geometry or {"type": "Polygon", "coordinates": square()}}


@pytest.mark.parametrize(("content", "reason"), [
    ("{not json", "not valid JSON"),
    (json.dumps({"type": "Feature"}), "expected a GeoJSON FeatureCollection"),
    (json.dumps({"type": "FeatureCollection", "features": []}), "no zones"),
    (zone_feature(geometry={"type": "Point", "coordinates": [4.5, 52.5]}), "geometry is Point, expected one of"),
    (zone_feature(geometry={"type": "Polygon", "coordinates": square(155000, 463000, 1000)}), "not WGS84 lon/lat"),
    (zone_feature(geometry={"type": "Polygon", "coordinates": [[[4.5, 52.5], [4.6, 52.6], [4.6, 52.5],
                                                                [4.5, 52.6], [4.5, 52.5]]]}), "invalid Polygon"),
    (zone_feature(geometry={"type": "Polygon", "coordinates": [[4.5, 52.5]]}), "malformed Polygon"),
    (zone_feature({"name": ""}), "'name' missing"),
    (zone_feature({"kind": None}), "'kind' missing"),
    (zone_feature({"allowed_hours": "6-18"}), "allowed_hours '6-18': expected \"HH:MM-HH:MM\""),
    (zone_feature({"allowed_hours": "06:00-06:00"}), "start and end are the same"),
    (zone_feature({"timezone": "Europe/Utrecht"}), "not an IANA time zone"),
    (zone_feature({"speed_limit_kn": "6 kn"}), "speed_limit_kn '6 kn': expected a positive number"),
    (zone_feature({"speed_limit_kn": 0}), "expected a positive number"),
])
def test_a_bad_zones_file_is_refused_with_the_reason(tmp_path: Path, content: str | dict, reason: str) -> None:
    path = tmp_path / "zones.geojson"
    if isinstance(content, dict):
        content = json.dumps({"type": "FeatureCollection", "features": [content]})
    path.write_text(content)
    with pytest.raises(BadInputError, match=str(path)) as info:
        load_zones(path)
    assert reason in info.value.reason


def test_a_missing_zones_file_is_bad_input(tmp_path: Path) -> None:
    with pytest.raises(BadInputError, match="cannot read zones file"):
        load_zones(tmp_path / "nowhere.geojson")


def test_rules_parse_from_profile_tables() -> None:
    raw = [{"kind": "trawling_in_closed_area", "zone_kind": "closed", "min_speed_kn": 2, "max_speed_kn": 5,
            "min_duration_s": 60},
           {"kind": "gear_in_closed_area", "zone_kind": "closed", "classes": ["net", "buoy"]},
           {"kind": "outside_allowed_hours", "zone_kind": "fishing", "min_duration_s": 60},
           {"kind": "speed_limit", "zone_kind": "port", "min_duration_s": 20, "min_observations": 3}]
    assert parse_rules(raw, "fishing.toml", ["ship", "net", "buoy"]) == [TRAWLING, GEAR, HOURS, SPEED]
    assert TRAWLING.params() == {"kind": "trawling_in_closed_area", "zone_kind": "closed", "min_speed_kn": 2.0,
                                 "max_speed_kn": 5.0, "min_duration_s": 60.0}


@pytest.mark.parametrize(("rule", "message"), [
    ({"kind": "fishing"}, r"rules\[0\]: key 'kind' is 'fishing'; expected one of gear_in_closed_area, "),
    ({"zone_kind": "port"}, "key 'kind' is None"),
    ({"kind": "speed_limit"}, r"rules\[0\] \(speed_limit\): missing key 'zone_kind'"),
    ({"kind": "speed_limit", "zone_kind": "port", "limit_kn": 6}, "unknown key 'limit_kn'; known keys are "),
    ({"kind": "gear_in_closed_area", "zone_kind": "closed"}, "missing key 'classes'"),
    ({"kind": "gear_in_closed_area", "zone_kind": "closed", "classes": "net"}, "key 'classes' must be a non-empty"),
    ({"kind": "gear_in_closed_area", "zone_kind": "closed", "classes": ["nets"]}, "'nets', not a class"),
    ({"kind": "speed_limit", "zone_kind": ""}, "key 'zone_kind' must be a non-empty text"),
    ({"kind": "speed_limit", "zone_kind": "port", "min_duration_s": -1}, "'min_duration_s' must be a finite number"),
    ({"kind": "speed_limit", "zone_kind": "port", "tolerance_kn": True}, "key 'tolerance_kn' must be a finite number"),
    ({"kind": "speed_limit", "zone_kind": "port", "min_observations": 0}, "key 'min_observations' must be a whole"),
    ({"kind": "trawling_in_closed_area", "zone_kind": "closed", "min_speed_kn": 5, "max_speed_kn": 2},
     r"key 'min_speed_kn' \(5\) is above 'max_speed_kn' \(2\)"),
])
def test_a_bad_rule_is_refused_naming_the_key(rule: dict, message: str) -> None:
    with pytest.raises(ProfileError, match=message):
        parse_rules([rule], "my.toml", ["ship", "net", "buoy"])


def test_rules_must_be_a_list_of_tables() -> None:
    with pytest.raises(ProfileError, match="'rules' must be a list"):
        parse_rules({"kind": "speed_limit"}, "my.toml")  # type: ignore[arg-type]
    with pytest.raises(ProfileError, match=r"rules\[0\]: expected a table"):
        parse_rules(["speed_limit"], "my.toml")  # type: ignore[list-item]


@pytest.mark.parametrize(("lon", "lat", "speed_kn", "seconds", "fires"), [
    (4.505, 52.505, 3.0, EVERY_10S_FOR_2MIN, True),  # inside, trawling speed, 120 s
    (4.505, 52.515, 3.0, EVERY_10S_FOR_2MIN, False),  # just north of the zone
    (4.505, 52.505, 8.0, EVERY_10S_FOR_2MIN, False),  # steaming through, too fast
    (4.505, 52.505, 1.0, EVERY_10S_FOR_2MIN, False),  # drifting, too slow
    (4.505, 52.505, 3.0, list(range(0, 50, 10)), False),  # 40 s, below the 60 s minimum
    (4.505, 52.525, 3.0, EVERY_10S_FOR_2MIN, True),  # in the second part of the MultiPolygon
])
def test_trawling_in_closed_area(lon: float, lat: float, speed_kn: float, seconds: list[int], fires: bool) -> None:
    track = vessel_track(lon, lat, speed_kn, 90.0, seconds)
    violations = find_violations([TRAWLING], ZONES, [track])
    assert bool(violations) == fires
    if fires:
        [v] = violations
        assert (v.kind, v.zone, v.track_id, v.class_name) == ("trawling_in_closed_area", "Closed box A", "t1", "ship")
        assert v.finding_ids == tuple(o.finding_id for o in track.observations)
        assert v.values["n_observations"] == 13 and v.values["duration_s"] == 120.0
        assert v.values["speed_mean_kn"] == pytest.approx(3.0, abs=0.01)


def test_only_the_part_of_a_track_inside_the_zone_is_evidence() -> None:
    # 3 kn east from 338 m west of the zone: it crosses into the zone after about 220 s
    track = vessel_track(4.495, 52.505, 3.0, 90.0, list(range(0, 310, 10)))
    [v] = find_violations([TRAWLING], ZONES, [track])
    inside = [o.finding_id for o in track.observations if o.lon >= 4.5]
    assert list(v.finding_ids) == inside and len(inside) < len(track.observations)
    assert v.start == track.observations[len(track.observations) - len(inside)].time
    assert len(v.path) == len(inside) and all(lon >= 4.5 for lon, _ in v.path)


@pytest.mark.parametrize(("point", "class_name", "fires"), [
    ((4.51, 52.505), "net", True),
    ((4.51, 52.505), "buoy", True),
    ((4.49, 52.505), "net", False),  # outside
    ((4.51, 52.505), "ship", False),  # not gear
    ((4.545, 52.505), "net", False),  # in a fishing zone, not a closed one
])
def test_gear_in_closed_area_from_single_findings(point: tuple[float, float], class_name: str, fires: bool) -> None:
    violations = find_violations([GEAR], ZONES, [], [finding("g1", point, 0, class_name=class_name)])
    assert [(v.zone, v.finding_ids, v.track_id) for v in violations] == \
        ([("Closed box A", ("g1",), None)] if fires else [])


def test_gear_seen_in_many_frames_is_one_violation_and_the_camera_position_proves_nothing() -> None:
    buoy = vessel_track(4.51, 52.505, 0.0, 0.0, list(range(0, 60, 10)), track_id="b1", class_name="buoy")
    in_track = [finding(o.finding_id, (o.lon, o.lat), 0, class_name="buoy") for o in buoy.observations]
    drone = finding("drone", (4.51, 52.505), 0, class_name="net", method="camera-position")
    [v] = find_violations([GEAR], ZONES, [buoy], [*in_track, drone])
    assert v.track_id == "b1" and len(v.finding_ids) == 6
    assert find_violations([replace(GEAR, min_observations=7)], ZONES, [buoy], in_track) == []


@pytest.mark.parametrize(("t0", "fires"), [
    (datetime(2025, 7, 1, 20, 0), True),  # evening, camera clock without offset: local time
    (datetime(2025, 7, 1, 12, 0), False),
    (datetime(2025, 7, 1, 5, 59, 10), False),  # outside until 06:00, but for only 40 s
    (datetime(2025, 7, 1, 17, 0, tzinfo=UTC), True),  # 19:00 summer time in Amsterdam, though 17:00 UTC
    (datetime(2025, 7, 1, 5, 30, tzinfo=UTC), False),  # 07:30 in Amsterdam, though 05:30 UTC
    (datetime(2025, 1, 15, 17, 30, tzinfo=UTC), True),  # winter: 18:30 CET
    (datetime(2025, 1, 15, 16, 30, tzinfo=UTC), False),  # winter: 17:30 CET
])
def test_outside_allowed_hours(t0: datetime, fires: bool) -> None:
    in_b = vessel_track(4.54, 52.505, 3.0, 90.0, EVERY_10S_FOR_2MIN, t0=t0)
    in_d = vessel_track(4.54, 52.525, 3.0, 90.0, EVERY_10S_FOR_2MIN, t0=t0, track_id="t2")  # no hours: never
    violations = find_violations([HOURS], ZONES, [in_b, in_d])
    assert [(v.zone, v.track_id) for v in violations] == ([("Fishing ground B", "t1")] if fires else [])
    if fires:
        assert violations[0].values["allowed_hours"] == "06:00-18:00"
        assert violations[0].values["local_start"].endswith(("+02:00", "+01:00"))


def test_outside_allowed_hours_without_a_minimum_duration_needs_one_sighting_and_no_speed() -> None:
    once = vessel_track(4.54, 52.505, 3.0, 90.0, [0.0], t0=datetime(2025, 7, 1, 20, 0))
    assert once.motion[0].speed_kn is None
    assert len(find_violations([replace(HOURS, min_duration_s=0.0)], ZONES, [once])) == 1
    assert find_violations([replace(HOURS, min_duration_s=0.0, min_speed_kn=1.0)], ZONES, [once]) == []


def test_outside_allowed_hours_counts_only_the_time_after_closing() -> None:
    track = vessel_track(4.54, 52.505, 3.0, 90.0, EVERY_10S_FOR_2MIN, t0=datetime(2025, 7, 1, 17, 59))
    [v] = find_violations([HOURS], ZONES, [track])
    assert v.start == datetime(2025, 7, 1, 18, 0) and v.values["duration_s"] == 60.0
    assert find_violations([replace(HOURS, min_duration_s=61.0)], ZONES, [track]) == []


@pytest.mark.parametrize(("speed_kn", "rule", "fires"), [
    (8.0, SPEED, True),
    (5.0, SPEED, False),  # under the port's 6 kn
    (8.0, replace(SPEED, tolerance_kn=3.0), False),  # within the measuring tolerance
    (8.0, replace(SPEED, min_observations=20), False),
])
def test_speed_limit(speed_kn: float, rule: Rule, fires: bool) -> None:
    track = vessel_track(4.605, 52.505, speed_kn, 90.0, EVERY_10S_FOR_2MIN)
    outside = vessel_track(4.605, 52.515, speed_kn, 90.0, EVERY_10S_FOR_2MIN, track_id="t2")
    violations = find_violations([rule], ZONES, [track, outside])
    assert [(v.zone, v.track_id) for v in violations] == ([("Port C", "t1")] if fires else [])
    if fires:
        assert violations[0].values["speed_limit_kn"] == 6.0
        assert violations[0].values["speed_min_kn"] == pytest.approx(8.0, abs=0.01)


def test_rules_only_look_at_their_classes() -> None:
    fast_net = vessel_track(4.605, 52.505, 8.0, 90.0, EVERY_10S_FOR_2MIN, class_name="net")
    assert find_violations([replace(SPEED, classes=("ship",))], ZONES, [fast_net]) == []
    assert len(find_violations([SPEED], ZONES, [fast_net])) == 1


def test_a_rule_without_zones_of_its_kind_is_reported() -> None:
    anchorage = Rule("speed_limit", "anchorage")
    assert unmatched_rules([SPEED, anchorage], ZONES) == [anchorage]


def test_violations_geojson() -> None:
    trawler = vessel_track(4.505, 52.505, 3.0, 90.0, EVERY_10S_FOR_2MIN)
    net = finding("g1", (4.51, 52.505), 30, class_name="net")
    doc = violations_collection(find_violations([TRAWLING, GEAR], ZONES, [trawler], [net]))
    [line, point] = doc["features"]
    assert line["geometry"]["type"] == "LineString" and len(line["geometry"]["coordinates"]) == 13
    assert line["geometry"]["coordinates"][0] == [4.505, 52.505]
    assert point["geometry"] == {"type": "Point", "coordinates": [4.51, 52.505]}
    props = line["properties"]
    assert props["status"] == SUSPECTED and props["id"] == line["id"] == "violation-1"
    assert props["rule"] == TRAWLING.params() and props["zone"] == "Closed box A"
    assert props["start"] == "2025-07-01T10:00:00" and props["end"] == "2025-07-01T10:02:00"
    assert props["finding_ids"][0] == "t1-0" and props["n_observations"] == 13
    assert point["properties"]["kind"] == "gear_in_closed_area" and point["properties"]["track_id"] is None
