"""run.json: what ran, with which model and settings, how long each stage took, what failed."""

from __future__ import annotations

import platform
import sys
from collections.abc import Sequence
from dataclasses import asdict
from typing import Any

from dronecheck.report.crops import blur_summary
from dronecheck.run import RunResult


def record(run: RunResult, version: str, tile_sizes: Sequence[int]) -> dict[str, Any]:
    """The record of a scan; `tile_sizes` says how each of `run.frames` went to the model (0: whole)."""
    options, detector = run.options, run.model
    assert options is not None and detector is not None and run.finished is not None
    scanned = max(1, len(run.frames))
    return {
        "dronecheck_version": version,
        "run": run.run_id,
        "flight": run.flight,
        "resumed": run.resumed,
        "started": run.started.isoformat(),
        "finished": run.finished.isoformat(),
        "seconds": round((run.finished - run.started).total_seconds(), 3),
        "command": sys.argv,
        "arguments": options.to_dict(),
        "profile": {"name": options.profile.name, "source": options.profile.source,
                    "conf": detector.conf, "iou": detector.iou, "imgsz": detector.imgsz,
                    "tile_size": detector.tile_size, "tile_overlap": detector.tile_overlap,
                    "target_gsd_cm": options.profile.target_gsd_cm, "min_object_m": options.profile.min_object_m,
                    "full_pass": options.profile.full_pass, **run.plan.to_dict()},
        "model": {"name": detector.name, "path": str(detector.weights), "sha256": detector.sha256,
                  "classes": list(detector.class_names)},
        "device": detector.device,
        "ground": run.ground or {"dem": None},  # the DEM and take-off height findings were placed with
        "platform": {"python": platform.python_version(), "system": platform.platform()},
        "timings_s": {k: round(v, 4) for k, v in run.timings.items()},
        "seconds_per_frame": {k: round(v / scanned, 4) for k, v in run.timings.items() if k != "load_model"},
        "counts": run.counts,
        "blur": blur_summary(run.blurred, options.profile.blur) if options.profile.blur else None,  # privacy
        "skipped": [asdict(s) for s in run.skipped],
        "ignored": run.ignored,
        "frames": [{"image": f.name, "sha256": f.sha256, "time": f.time.isoformat() if f.time else None,
                    "lat": f.pose.lat, "lon": f.pose.lon, "tile_size": size, "notes": list(f.notes)}
                   for f, size in zip(run.frames, tile_sizes, strict=True)],
        "exit_code": run.exit_code,
    }
