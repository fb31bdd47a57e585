"""Tracks: ByteTrack ids over pixel boxes, and speed and course on the ground against known paths."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

import numpy as np
import pyproj
import pytest

from dronecheck.analyse.motion import KNOT_M_S, Observation, Track, build_tracks, motion
from dronecheck.detect.tracker import Tracker
from dronecheck.geo.crs import lonlat_to_enu
from dronecheck.geo.georef import georeference
from dronecheck.report.geojson import tracks_collection
from dronecheck.types import Detections, Finding
from frames import NADIR, make_frame

GEOD = pyproj.Geod(ellps="WGS84")
T0 = datetime(2025, 7, 1, 10, 0, 0)


def vessel_path(lon: float, lat: float, speed_kn: float, course_deg: float, seconds: list[float],
                noise_m: float = 0.0, seed: int = 0) -> list[tuple[float, float]]:
    """(lon, lat) of a vessel that leaves (lon, lat) at `seconds`[0] on a geodesic at constant speed.

    With `noise_m`, each position is moved by a normal error of that 1-sigma in a random direction.
    """
    t = np.asarray(seconds, dtype=float) - seconds[0]
    n = len(t)
    lons, lats, _ = GEOD.fwd(np.full(n, lon), np.full(n, lat), np.full(n, course_deg), t * speed_kn * KNOT_M_S)
    if noise_m:
        rng = np.random.default_rng(seed)
        lons, lats, _ = GEOD.fwd(lons, lats, rng.uniform(0, 360, n), np.abs(rng.normal(0, noise_m, n)))
    return list(zip(np.atleast_1d(lons).tolist(), np.atleast_1d(lats).tolist(), strict=True))


def vessel_track(lon: float, lat: float, speed_kn: float, course_deg: float, seconds: list[float],
                 t0: datetime = T0, track_id: str = "t1", class_name: str = "ship", **noise) -> Track:
    """A Track of a vessel on `vessel_path`, observed at t0 + `seconds`, finding ids <track_id>-<i>."""
    obs = tuple(Observation(t0 + timedelta(seconds=s), x, y, f"{track_id}-{i}")
                for i, (s, (x, y)) in enumerate(zip(seconds, vessel_path(lon, lat, speed_kn, course_deg, seconds,
                                                                         **noise), strict=True)))
    return Track(track_id, class_name, obs, motion(obs))


def course_error(a: float, b: float) -> float:
    return abs((a - b + 180.0) % 360.0 - 180.0)


@pytest.mark.parametrize(("speed_kn", "course_deg", "noise_m"), [
    (8.0, 60.0, 0.0), (3.0, 300.0, 0.0), (15.0, 180.0, 0.0), (0.8, 355.0, 0.0), (8.0, 60.0, 2.0)])
def test_speed_and_course_of_a_known_path(speed_kn: float, course_deg: float, noise_m: float) -> None:
    # every 10 s for 2 minutes, as a drone photo series might see it; 2 m is a drone's GNSS error
    track = vessel_track(4.5, 52.5, speed_kn, course_deg, list(range(0, 130, 10)), noise_m=noise_m, seed=1)
    for m in track.motion:
        assert m.n_obs == 5
        assert m.speed_kn == pytest.approx(speed_kn, rel=0.05)
        assert course_error(m.course_deg, course_deg) < 5.0


def test_a_short_track_is_fitted_whole_and_a_single_sighting_has_no_motion() -> None:
    short = vessel_track(4.5, 52.5, 8.0, 60.0, [0.0, 4.0, 9.0])
    assert [m.n_obs for m in short.motion] == [3, 3, 3]
    assert short.motion[0].speed_kn == pytest.approx(8.0, rel=1e-6)
    single = vessel_track(4.5, 52.5, 8.0, 60.0, [0.0])
    assert single.motion[0].speed_kn is None and single.motion[0].course_deg is None
    same_time = vessel_track(4.5, 52.5, 8.0, 60.0, [5.0, 5.0])
    assert same_time.motion[0].speed_kn is None


def test_a_vessel_that_hardly_moves_has_a_speed_but_no_course() -> None:
    drifting = vessel_track(4.5, 52.5, 0.2, 90.0, list(range(0, 60, 10)))
    assert drifting.motion[2].speed_kn == pytest.approx(0.2, rel=0.01)
    assert drifting.motion[2].course_deg is None


def test_the_window_follows_a_turn() -> None:
    north = vessel_track(4.5, 52.5, 6.0, 0.0, list(range(0, 100, 10)))
    last = north.observations[-1]
    east = vessel_track(last.lon, last.lat, 6.0, 90.0, list(range(100, 200, 10)))
    turn = motion(north.observations + east.observations[1:])
    assert course_error(turn[1].course_deg, 0.0) < 1 and course_error(turn[-2].course_deg, 90.0) < 1


def moving_boxes(start: tuple[float, float], step: tuple[float, float], size: tuple[float, float],
                 n: int) -> np.ndarray:
    x = start[0] + step[0] * np.arange(n)
    y = start[1] + step[1] * np.arange(n)
    return np.column_stack([x, y, x + size[0], y + size[1]])


def test_tracker_keeps_one_id_for_a_box_moving_smoothly() -> None:
    tracker = Tracker()
    boxes = moving_boxes((100, 500), (8, -5), (120, 50), 20)
    ids = [tracker.update(Detections([b], [0.8], [0])).tolist() for b in boxes]
    assert ids == [[1]] * 20


def test_tracker_gives_each_box_its_own_id_whatever_the_order_and_survives_an_empty_frame() -> None:
    tracker = Tracker()
    paths = [moving_boxes((100, 100), (6, 0), (80, 40), 20), moving_boxes((800, 600), (-6, -3), (80, 40), 20),
             moving_boxes((400, 300), (0, 5), (60, 60), 20)]
    seen = []
    for i in range(20):
        if i == 10:
            assert tracker.update(Detections.empty()).tolist() == []
            continue
        order = np.roll([0, 1, 2], i)  # the detector's order says nothing about identity
        boxes = np.array([p[i] for p in paths])[order]
        # a faint box (score under ByteTrack's 0.1 floor) in the middle gets no id
        dets = Detections(np.insert(boxes, 1, [500, 50, 540, 70], axis=0), [0.9, 0.05, 0.8, 0.7], [0, 0, 0, 0])
        ids = tracker.update(dets)
        assert ids[1] == -1
        seen.append(tuple(np.delete(ids, 1)[np.argsort(order)].tolist()))
    assert set(seen) == {seen[0]} and sorted(seen[0]) == [1, 2, 3]


def test_boxes_of_a_video_become_a_track_with_the_speed_of_the_vessel() -> None:
    """Pixel boxes -> ByteTrack ids -> georeference -> build_tracks: 8 kn heading 60 degrees."""
    pose = replace(NADIR, altitude_rel_m=100.0)  # 0.1 m per pixel, the drone hovering
    frame_times = [T0 + timedelta(seconds=0.2 * i) for i in range(20)]  # a 5 fps video
    path = vessel_path(5.0, 52.0, 8.0, 60.0, [0.2 * i for i in range(20)])
    east, north = lonlat_to_enu(5.0, 52.0, *np.array(path).T)
    centres = np.column_stack([500 + east / 0.1, 400 - north / 0.1])  # nadir, yaw 0: image up is north
    tracker, findings, track_ids = Tracker(), [], []
    for i, (t, (u, v)) in enumerate(zip(frame_times, centres, strict=True)):
        frame = replace(make_frame(pose, name="clip.mp4"), time=t, frame_index=i)
        dets = Detections([[u - 60, v - 25, u + 60, v + 25]], [0.8], [0])
        track_ids += [f"clip.mp4:{k}" for k in tracker.update(dets)]
        findings += georeference(frame, dets, ["ship"], [f"f{i}"])
    [track] = build_tracks(findings, track_ids)
    assert track.id == "clip.mp4:1" and len(track.observations) == 20
    assert track.mean_speed_kn == pytest.approx(8.0, rel=0.01)
    assert all(course_error(m.course_deg, 60.0) < 1 for m in track.motion)


def finding(fid: str, point: tuple[float, float] | None, seconds: float | None, class_name: str = "ship",
            method: str = "nadir") -> Finding:
    time = None if seconds is None else T0 + timedelta(seconds=seconds)
    return Finding(id=fid, frame=replace(make_frame(), time=time), class_id=0, class_name=class_name, score=0.9,
                   box_px=(0, 0, 1, 1), method=method, point=point)


def test_build_tracks_groups_by_id_in_time_order_and_leaves_out_what_shows_no_motion() -> None:
    path = vessel_path(4.5, 52.5, 5.0, 45.0, [0, 10, 20, 30])
    findings = [finding("c", path[2], 20), finding("a", path[0], 0), finding("b", path[1], 10, class_name="net"),
                finding("d", path[3], 30, class_name="net"), finding("e", path[3], 30),
                finding("no-time", path[1], None), finding("drone", (4.6, 52.6), 15, method="camera-position"),
                finding("loose", path[0], 0)]
    tracks = build_tracks(findings, ["v", "v", "v", "v", "w", "v", "v", None])
    assert [t.id for t in tracks] == ["v", "w"]
    v = tracks[0]
    assert [o.finding_id for o in v.observations] == ["a", "b", "c", "d"]
    assert v.class_name in ("ship", "net") and v.duration_s == 30.0
    assert v.motion[0].speed_kn == pytest.approx(5.0, rel=1e-3)
    with pytest.raises(ValueError, match="2 track ids for 8 findings"):
        build_tracks(findings, ["v", "v"])


def test_tracks_geojson_is_lon_lat_with_one_value_per_observation() -> None:
    track = vessel_track(4.5, 52.5, 8.0, 60.0, list(range(0, 70, 10)))
    doc = tracks_collection([track, vessel_track(4.6, 52.6, 8.0, 60.0, [0.0], track_id="t2")])
    line, single = doc["features"][:2]
    assert line["geometry"]["type"] == "LineString" and single["geometry"]["type"] == "Point"
    lon, lat = line["geometry"]["coordinates"][0]
    assert (lon, lat) == (4.5, 52.5)
    props = line["properties"]
    assert props["track_id"] == "t1" and props["n_observations"] == 7
    assert props["start"] == "2025-07-01T10:00:00" and props["end"] == "2025-07-01T10:01:00"
    assert len(props["times"]) == len(props["speeds_kn"]) == len(props["courses_deg"]) == len(props["n_obs"]) == 7
    assert props["mean_speed_kn"] == pytest.approx(8.0, abs=0.01)
    points = [f for f in doc["features"] if f["geometry"]["type"] == "Point" and "finding_id" in f["properties"]]
    assert len(points) == 8 and points[0]["properties"]["finding_id"] == "t1-0"
