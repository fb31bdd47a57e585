"""The analyse stage: which frames form a sequence, and track ids that follow one object across it."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path

from dronecheck.analyse.plan import Plan
from dronecheck.analyse.rules import Rule
from dronecheck.analyse.sequences import SEQUENCE_GAP_S, sequences, track_ids
from dronecheck.types import Finding, Frame
from frames import make_frame

T0 = datetime(2025, 6, 12, 10, 0, 0)


def photo(name: str, seconds: float | None) -> Frame:
    time = None if seconds is None else T0 + timedelta(seconds=seconds)
    return replace(make_frame(name=name), sha256=name, time=time)


def video_frame(video: str, index: int) -> Frame:
    return replace(make_frame(name=video), sha256=f"{video}#{index}", frame_index=index,
                   time=T0 + timedelta(seconds=index / 10))


def test_sequences_are_each_video_in_frame_order_then_runs_of_timed_photos() -> None:
    frames = [photo("c.jpg", 4), video_frame("b.mp4", 20), photo("a.jpg", 0), video_frame("b.mp4", 0),
              photo("late.jpg", 4 + SEQUENCE_GAP_S + 1), photo("untimed.jpg", None), video_frame("a.mp4", 5)]
    found = {name: [f.name for f in group] for name, group in sequences(frames)}
    assert found == {"a.mp4": ["a.mp4#5"], "b.mp4": ["b.mp4#0", "b.mp4#20"], "photos-1": ["a.jpg", "c.jpg"],
                     "photos-2": ["late.jpg"]}


def sighting(frame: Frame, box: tuple[float, float, float, float], fid: str) -> Finding:
    return Finding(id=fid, frame=frame, class_id=0, class_name="ship", score=0.9, box_px=box, method="nadir",
                   point=(5.0, 52.0))


def test_track_ids_follow_each_object_through_its_sequence_and_restart_per_sequence() -> None:
    clip = [video_frame("clip.mp4", i) for i in range(6)]
    shots = [photo(f"p{i}.jpg", 2 * i) for i in range(4)]
    findings = []
    for i, frame in enumerate(clip):
        findings.append(sighting(frame, (100 + 5 * i, 100, 200 + 5 * i, 150), f"a{i}"))
        if i != 3:  # the second vessel is missed in one frame
            findings.append(sighting(frame, (600, 400 - 4 * i, 700, 450 - 4 * i), f"b{i}"))
    findings += [sighting(frame, (300 + 3 * i, 300, 360 + 3 * i, 330), f"c{i}") for i, frame in enumerate(shots)]
    ids = dict(zip((f.id for f in findings), track_ids(clip + shots, findings), strict=True))
    assert {ids[f"a{i}"] for i in range(6)} == {"clip.mp4:1"}
    assert {ids[f"b{i}"] for i in range(6) if i != 3} == {"clip.mp4:2"}
    assert {ids[f"c{i}"] for i in range(4)} == {"photos-1:1"}


def test_a_plan_says_why_its_rules_cannot_fire() -> None:
    rule = Rule("speed_limit", "port")
    assert "no --zones file" in Plan(True, (rule,)).warnings([])[0]
    assert "only drawn" in Plan(True, (), Path("z.geojson")).warnings([])[0]
    assert Plan(False).warnings([]) == []
    assert Plan.from_dict(Plan(True, (rule,), Path("z.geojson")).to_dict(), "run x") == \
        Plan(True, (rule,), Path("z.geojson"))
