"""The analyse stage: findings linked into tracks across a sequence of frames, and the
suspected violations of a profile's rules inside the zones of a zones file.

It works on what the scan already recorded (frames and their findings in pixels and on
the ground), never on pixels, so it runs the same on a scan just finished, on a run taken
up after a kill, and on a past run read back from the ledger.

Sequences are what a tracker can follow: the sampled frames of one video in order, and
photos in time order, a new sequence starting where two photos are more than
SEQUENCE_GAP_S apart (another pass over the area, or another flight).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dronecheck.ingest.video import sequence_order
from dronecheck.rules import Rule, Violation, evaluate, parse_rules, unmatched_rules
from dronecheck.track import Track, Tracker, build_tracks
from dronecheck.types import Detections, Finding, Frame
from dronecheck.zones import Zone, load_zones

SEQUENCE_GAP_S = 10.0


@dataclass(frozen=True)
class Plan:
    """What to analyse: the profile's tracking and rules, and the zones file of the scan."""

    track: bool = False
    rules: tuple[Rule, ...] = ()
    zones_file: Path | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"track": self.track, "rules": [r.params() for r in self.rules],
                "zones_file": str(self.zones_file) if self.zones_file else None}

    @classmethod
    def from_dict(cls, data: dict[str, Any], source: str) -> Plan:
        zones = data.get("zones_file")
        return cls(bool(data.get("track")), tuple(parse_rules(data.get("rules", []), source)),
                   Path(zones) if zones else None)

    def zones(self) -> list[Zone]:
        """The zones of `zones_file` (none without one); BadInputError naming the file when it is not usable."""
        return load_zones(self.zones_file) if self.zones_file else []

    def warnings(self, zones: Sequence[Zone]) -> list[str]:
        """What makes rules unable to fire: said once at the start of a scan."""
        if self.rules and not self.zones_file:
            return [f"the profile has {len(self.rules)} rule(s) but no --zones file was given: no violations "
                    "are checked"]
        if self.zones_file and not self.rules:
            return [f"--zones {self.zones_file}: the profile has no rules, so the zones are only drawn"]
        return [f"rule {r.kind}: no zone of kind {r.zone_kind!r} in {self.zones_file}, so it cannot fire"
                for r in unmatched_rules(self.rules, zones)]


@dataclass
class Analysis:
    tracks: list[Track] = field(default_factory=list)
    violations: list[Violation] = field(default_factory=list)
    zones: list[Zone] = field(default_factory=list)


def analyse(frames: Sequence[Frame], findings: Sequence[Finding], plan: Plan, zones: Sequence[Zone]) -> Analysis:
    """Tracks (when the plan asks for them) and the violations of the plan's rules in `zones`."""
    tracks = build_tracks(findings, track_ids(frames, findings)) if plan.track else []
    violations = evaluate(plan.rules, zones, tracks, findings) if plan.rules and zones else []
    return Analysis(tracks, violations, list(zones))


def sequences(frames: Sequence[Frame]) -> list[tuple[str, list[Frame]]]:
    """(name, frames in order) of each sequence: every video, then runs of timed photos.

    Photos without a time cannot be ordered and are in no sequence.
    """
    videos: dict[Path, list[Frame]] = defaultdict(list)
    photos = []
    for frame in frames:
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
