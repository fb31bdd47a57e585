"""The analyse stage: findings linked into tracks across a sequence of frames, and the
suspected violations of a profile's rules inside the zones of a zones file.

It works on what the scan already recorded (frames and their findings in pixels and on
the ground), never on pixels, so it runs the same on a scan just finished, on a run taken
up after a kill, and on a past run read back from the ledger.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dronecheck.analyse.motion import Track, build_tracks
from dronecheck.analyse.rules import Rule, Violation, find_violations, parse_rules, unmatched_rules
from dronecheck.analyse.sequences import track_ids
from dronecheck.analyse.zones import Zone, load_zones
from dronecheck.types import Finding, Frame


@dataclass(frozen=True)
class Plan:
    """What to analyse: the profile's tracking, rules and traced classes, and the zones file of the scan."""

    track: bool = False
    rules: tuple[Rule, ...] = ()
    zones_file: Path | None = None
    trace: tuple[str, ...] = ()  # classes measured from their pixels during the scan (see analyse.cracks)

    def to_dict(self) -> dict[str, Any]:
        return {"track": self.track, "rules": [r.params() for r in self.rules],
                "zones_file": str(self.zones_file) if self.zones_file else None, "trace": list(self.trace)}

    @classmethod
    def from_dict(cls, data: dict[str, Any], source: str) -> Plan:
        zones = data.get("zones_file")
        return cls(bool(data.get("track")), tuple(parse_rules(data.get("rules", []), source)),
                   Path(zones) if zones else None, tuple(data.get("trace", [])))

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
    violations = find_violations(plan.rules, zones, tracks, findings) if plan.rules and zones else []
    return Analysis(tracks, violations, list(zones))
