"""Vessels end to end: `dronecheck scan` of a DJI-style video with its SRT, filmed by a moving drone,
gives the vessel's speed and course on the ground, and the zone rules fire when, and only when,
their conditions hold. The video is made by tests/vessel_video.py with a known truth; the
detector is the shipped ships model."""

from __future__ import annotations

import json
import shutil
import signal
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from conftest import Scan, dronecheck, photos_done, run_scan, signal_when
from dronecheck.cli import app
from dronecheck.geo.crs import enu_to_lonlat
from vessel_video import Drone, VesselVideo, make_vessel_video

pytestmark = pytest.mark.slow  # these tests run the model

FPS = "2"  # frames looked at per second of video: the default


def zones_file(path: Path, video: VesselVideo, zones: list[dict[str, Any]], offset_m: float = 0.0) -> Path:
    """Zones that are squares around the vessel's whole path (moved `offset_m` east), with `zones` properties."""
    (lon0, lat0), (lon1, lat1) = video.vessel_at(0.0), video.vessel_at(video.seconds)
    lon_c, lat_c = (lon0 + lon1) / 2, (lat0 + lat1) / 2
    lons, lats = enu_to_lonlat(lon_c, lat_c, [offset_m - 500, offset_m + 500, offset_m + 500, offset_m - 500],
                               [-500, -500, 500, 500])
    ring = [[float(x), float(y)] for x, y in zip(lons, lats, strict=True)]
    features = [{"type": "Feature", "properties": props, "geometry": {"type": "Polygon", "coordinates":
                                                                      [ring + ring[:1]]}} for props in zones]
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}))
    return path


def features(scan: Scan, name: str) -> list[dict[str, Any]]:
    assert scan.run_dir is not None
    return json.loads((scan.run_dir / name).read_text())["features"]


def without_run(feature: dict[str, Any]) -> dict[str, Any]:
    return {**feature, "properties": {k: v for k, v in feature["properties"].items() if k != "run"}}


def course_error(a: float, b: float) -> float:
    return abs((a - b + 180.0) % 360.0 - 180.0)


@pytest.fixture(scope="module")
def harbour(tmp_path_factory: pytest.TempPathFactory) -> tuple[VesselVideo, Scan, Path]:
    """A vessel at 8 kn on course 65 for 30 s, scanned with the ships profile and a 6 kn port zone."""
    root = tmp_path_factory.mktemp("harbour")
    video = make_vessel_video(root / "flight", speed_kn=8.0, course_deg=65.0, seconds=30.0)
    port = zones_file(root / "port.geojson", video, [{"name": "Port", "kind": "port", "speed_limit_kn": 6}])
    scan = run_scan(root / "flight", root / "out", "--profile", "ships", "--fps", FPS, "--zones", str(port))
    assert scan.exit_code == 0, scan.output
    return video, scan, root


def test_a_vessel_filmed_by_a_moving_drone_gives_its_speed_and_course(harbour) -> None:  # noqa: ANN001
    video, scan, _ = harbour
    lines = [f for f in features(scan, "tracks.geojson") if f["geometry"]["type"] == "LineString"]
    assert len(lines) == 1, [f["properties"]["track_id"] for f in lines]
    track = lines[0]["properties"]
    assert track["track_id"] == "DJI_0001.MP4:1" and track["n_observations"] >= 57  # of 60 frames
    assert track["mean_speed_kn"] == pytest.approx(video.speed_kn, rel=0.05)
    for speed, course in zip(track["speeds_kn"], track["courses_deg"], strict=True):
        assert speed == pytest.approx(video.speed_kn, rel=0.05)
        assert course_error(course, video.course_deg) < 5.0
    record = json.loads((scan.run_dir / "run.json").read_text())
    assert record["counts"]["videos_scanned"] == 1 and record["counts"]["video_frames_scanned"] == 60
    assert record["counts"]["tracks"] == 1


def test_kill_9_midway_through_a_video_then_rerun_gives_the_tracks_and_violations_of_an_uninterrupted_run(
        harbour, tmp_path: Path) -> None:  # noqa: ANN001
    _, scan, root = harbour  # before the next test writes the port's violations again with another limit
    out = tmp_path / "out"
    args = ("scan", str(root / "flight"), "--out", str(out), "--profile", "ships", "--fps", FPS, "--zones",
            str(root / "port.geojson"))
    victim = dronecheck(*args)
    signal_when(victim, lambda: photos_done(out / "ledger.sqlite") >= 20, signal.SIGKILL, timeout_s=120)
    victim.wait()
    assert victim.returncode == -signal.SIGKILL, "the scan ended before it could be killed"
    assert 20 <= photos_done(out / "ledger.sqlite") < 60, "killed midway through the video's 60 frames"
    rerun = run_scan(root / "flight", out, *args[4:])
    assert rerun.exit_code == 0 and "resumed" in rerun.output, rerun.output
    for name in ("tracks.geojson", "violations.geojson"):
        assert features(rerun, name) == features(scan, name), name
    assert [without_run(f) for f in features(rerun, "findings.geojson")] == [
        without_run(f) for f in features(scan, "findings.geojson")]
    record = json.loads((rerun.run_dir / "run.json").read_text())
    assert record["counts"]["video_frames_scanned"] == 60 and record["resumed"]


def test_the_port_speed_limit_fires_above_the_limit_and_not_below(harbour) -> None:  # noqa: ANN001
    video, scan, root = harbour
    [violation] = features(scan, "violations.geojson")
    props = violation["properties"]
    assert (props["kind"], props["zone"], props["track_id"]) == ("speed_limit", "Port", "DJI_0001.MP4:1")
    assert props["speed_limit_kn"] == 6 and props["speed_min_kn"] > 6 and "suspected" in props["status"]
    assert 'id="violation-1"' in (scan.run_dir / "report.html").read_text()

    slow_port = zones_file(root / "port-10kn.geojson", video, [{"name": "Port", "kind": "port", "speed_limit_kn": 10}])
    again = CliRunner().invoke(app, ["report", scan.run_dir.name, "--out", str(root / "out"), "--zones",
                                     str(slow_port)])
    assert again.exit_code == 0, again.output
    assert features(scan, "violations.geojson") == [] and "0 suspected violations" in again.output


def test_a_scanned_video_is_not_scanned_again(harbour) -> None:  # noqa: ANN001
    _, _, root = harbour
    rerun = run_scan(root / "flight", root / "out", "--profile", "ships", "--fps", FPS)
    assert rerun.exit_code == 4 and "nothing to do" in rerun.output


def test_trawling_in_a_closed_area_and_fishing_outside_hours_fire_only_inside(tmp_path: Path) -> None:
    video = make_vessel_video(tmp_path / "flight", speed_kn=3.5, course_deg=200.0, seconds=70.0,
                              drone=Drone(speed_ms=1.8))  # a trawler at 3.5 kn, followed for 70 s from 10:00
    rules = [{"name": "Closed box", "kind": "closed"},
             {"name": "Ground B", "kind": "fishing", "allowed_hours": "06:00-09:00"}]
    inside = zones_file(tmp_path / "inside.geojson", video, rules)
    scan = run_scan(tmp_path / "flight", tmp_path / "out", "--profile", "fishing", "--fps", FPS, "--zones",
                    str(inside))
    assert scan.exit_code == 0, scan.output
    found = {f["properties"]["kind"]: f["properties"] for f in features(scan, "violations.geojson")}
    assert set(found) == {"trawling_in_closed_area", "outside_allowed_hours"}
    trawling = found["trawling_in_closed_area"]
    assert trawling["zone"] == "Closed box" and trawling["duration_s"] >= 60
    assert 2 <= trawling["speed_min_kn"] and trawling["speed_max_kn"] <= 5
    assert found["outside_allowed_hours"]["local_start"].startswith("2025-06-12T10:00")

    runner = CliRunner()
    for name, zones, expected in [
        ("elsewhere", zones_file(tmp_path / "elsewhere.geojson", video, rules, offset_m=3000), set()),
        ("open now", zones_file(tmp_path / "open.geojson", video,
                                [rules[0], {**rules[1], "allowed_hours": "09:00-18:00"}]), {"trawling_in_closed_area"}),
    ]:
        again = runner.invoke(app, ["report", scan.run_dir.name, "--out", str(tmp_path / "out"), "--zones", str(zones)])
        assert again.exit_code == 0, again.output
        assert {f["properties"]["kind"] for f in features(scan, "violations.geojson")} == expected, name


def test_a_video_without_its_srt_is_skipped_with_the_reason(tmp_path: Path) -> None:
    video = make_vessel_video(tmp_path / "made", seconds=4.0)
    (tmp_path / "flight").mkdir()
    shutil.copy(video.video, tmp_path / "flight" / "DJI_0002.MP4")
    scan = run_scan(tmp_path / "flight", tmp_path / "out", "--profile", "ships")
    assert scan.exit_code == 3, scan.output
    assert "DJI_0002.MP4: no telemetry sidecar DJI_0002.SRT" in scan.output.replace("\n", " ")
    [skipped] = json.loads((scan.run_dir / "run.json").read_text())["skipped"]
    assert skipped["path"] == "DJI_0002.MP4" and "no telemetry sidecar" in skipped["reason"]
