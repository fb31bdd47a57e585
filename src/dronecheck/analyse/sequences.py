"""Sequences of frames a tracker can follow, and the track id of each finding in them.

A sequence is the sampled frames of one video in order, or photos in time order, a new
sequence starting where two photos are more than SEQUENCE_GAP_S apart (another pass over
the area, or another flight).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from pathlib import Path

from dronecheck.detect.tracker import Tracker
from dronecheck.types import Detections, Finding, Frame

SEQUENCE_GAP_S = 10.0


def sequence_order(frames: Iterable[Frame]) -> list[Frame]:
    """Frames in time order (a photo series, or frames of several videos); untimed frames last.

    Times with and without a UTC offset are compared by their clock reading, the drone's
    local time. Ties and untimed frames keep name order.
    """
    frames = sorted(frames, key=lambda f: (str(f.path), f.frame_index or 0))
    timed = [f for f in frames if f.time is not None]
    return sorted(timed, key=lambda f: f.time.replace(tzinfo=None)) + [f for f in frames if f.time is None]


def sequences(frames: Sequence[Frame]) -> list[tuple[str, list[Frame]]]:
    """(name, frames in order) of each sequence: every video, then runs of timed photos.

    Photos without a time cannot be ordered and are in no sequence, nor are the windows of an orthomosaic
    (places side by side, not moments one after another).
    """
    videos: dict[Path, list[Frame]] = defaultdict(list)
    photos = []
    for frame in (f for f in frames if f.grid is None):
        (videos[frame.path] if frame.frame_index is not None else photos).append(frame)
    out = [(path.name, sorted(group, key=lambda f: f.frame_index or 0)) for path, group in sorted(videos.items())]
    runs: list[list[Frame]] = []
    for photo in (f for f in sequence_order(photos) if f.time is not None):
        last = runs[-1][-1] if runs else None
        gap = None if last is None else (photo.time - last.time).total_seconds()  # type: ignore[operator]
        if gap is None or gap > SEQUENCE_GAP_S:
            runs.append([])
        runs[-1].append(photo)
    return out + [(f"photos-{i}", run) for i, run in enumerate(runs, 1)]


def track_ids(frames: Sequence[Frame], findings: Sequence[Finding]) -> list[str | None]:
    """The track id of each finding ("<sequence>:<n>"), or None where the tracker gave none.

    One ByteTrack per sequence, fed every frame in order, empty ones included, with the
    findings' pixel boxes: the tracker knows nothing of the ground.
    """
    of_frame: dict[tuple[Path, int | None, str], list[int]] = defaultdict(list)
    for i, f in enumerate(findings):
        of_frame[_key(f.frame)].append(i)
    ids: list[str | None] = [None] * len(findings)
    for name, frames_in_order in sequences(frames):
        tracker = Tracker()
        for frame in frames_in_order:
            members = of_frame.get(_key(frame), [])
            found = Detections([findings[i].box_px for i in members], [findings[i].score for i in members],
                               [findings[i].class_id for i in members])
            for i, tid in zip(members, tracker.update(found), strict=True):
                ids[i] = f"{name}:{tid}" if tid >= 0 else None
    return ids


def _key(frame: Frame) -> tuple[Path, int | None, str]:
    return frame.path, frame.frame_index, frame.sha256
