"""The scan: folder -> ingest -> detect -> georef -> sinks, one batch of photos at a time."""

from __future__ import annotations

import hashlib
import logging
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from dronecheck import __version__
from dronecheck.detect import yolo
from dronecheck.errors import BadInputError
from dronecheck.geo.georef import georeference
from dronecheck.ingest import discover, load_pixels, read_frame
from dronecheck.profile import Profile
from dronecheck.report import html, runrecord
from dronecheck.report.crops import write_crop
from dronecheck.report.files import write_json
from dronecheck.report.geojson import RunContext, findings_collection, footprints_collection
from dronecheck.types import Finding, Frame

log = logging.getLogger("dronecheck")

EXIT_OK = 0
EXIT_SOME_FAILED = 3
EXIT_NOTHING_SCANNED = 4
STAGES = ("load_model", "read", "detect", "georef", "write")


@dataclass(frozen=True)
class ScanOptions:
    path: Path
    profile: Profile
    out: Path = Path("outputs")
    device: str | None = None
    conf: float | None = None
    iou: float | None = None
    batch: int = 4


@dataclass
class Skipped:
    path: str
    reason: str


@dataclass
class RunResult:
    run_id: str
    flight: str
    run_dir: Path
    options: ScanOptions
    started: datetime
    frames: list[Frame] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    crops: dict[str, str] = field(default_factory=dict)
    skipped: list[Skipped] = field(default_factory=list)
    ignored: list[str] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=lambda: dict.fromkeys(STAGES, 0.0))
    detector: yolo.Detector | None = None
    finished: datetime | None = None

    @property
    def exit_code(self) -> int:
        if not self.frames:
            return EXIT_NOTHING_SCANNED
        return EXIT_SOME_FAILED if self.skipped else EXIT_OK

    @property
    def counts(self) -> dict[str, object]:
        return {"photos_found": len(self.frames) + len(self.skipped), "photos_scanned": len(self.frames),
                "photos_skipped": len(self.skipped), "files_ignored": len(self.ignored),
                "findings": len(self.findings),
                "findings_per_class": dict(Counter(f.class_name for f in self.findings)),
                "findings_without_position": sum(f.point is None for f in self.findings)}


@contextmanager
def timed(timings: dict[str, float], stage: str) -> Iterator[None]:
    t0 = time.perf_counter()
    try:
        yield
    finally:
        timings[stage] += time.perf_counter() - t0


def finding_id(frame: Frame, model_sha256: str, class_id: int, box: np.ndarray) -> str:
    """Stable across re-scans of the same photo bytes with the same model, whatever the file name."""
    key = f"{frame.sha256}:{frame.frame_index}:{model_sha256}:{class_id}:" + ",".join(f"{v:.1f}" for v in box)
    return hashlib.sha256(key.encode()).hexdigest()[:16]


def new_run(options: ScanOptions) -> RunResult:
    started = datetime.now(UTC)
    root = options.path if options.path.is_dir() else options.path.parent
    flight = root.resolve().name or "flight"
    run_id = started.strftime("%Y%m%dT%H%M%SZ")
    run_dir = options.out / flight / run_id
    n = 1
    while run_dir.exists():
        n += 1
        run_dir = options.out / flight / f"{run_id}-{n}"
    return RunResult(run_dir.name, flight, run_dir, options, started)


def scan(options: ScanOptions, on_photo: Callable[[int, int, str], None] | None = None) -> RunResult:
    """Scan every photo under `options.path` and write the run's outputs. Bad files are skipped."""
    run = new_run(options)
    found = discover(options.path)
    run.ignored = [_relative(p, options.path) for p in found.ignored]
    profile = options.profile
    with timed(run.timings, "load_model"):
        run.detector = yolo.load(profile.weights, device=options.device,
                                 conf=profile.conf if options.conf is None else options.conf,
                                 iou=profile.iou if options.iou is None else options.iou, imgsz=profile.imgsz,
                                 tile_size=profile.tile_size, tile_overlap=profile.tile_overlap)
    run.run_dir.mkdir(parents=True)
    total = len(found.photos)
    for start in range(0, total, max(1, options.batch)):
        batch = found.photos[start:start + max(1, options.batch)]
        _scan_batch(run, batch)
        if on_photo:
            on_photo(start + len(batch), total, batch[-1].name)
    with timed(run.timings, "write"):
        write_outputs(run)
    return run


def _relative(path: Path, root: Path) -> str:
    return str(path.relative_to(root)) if root.is_dir() and path.is_relative_to(root) else path.name


def _read(run: RunResult, paths: list[Path]) -> list[tuple[Frame, np.ndarray]]:
    loaded = []
    for path in paths:
        try:
            frame = read_frame(path)
            loaded.append((frame, load_pixels(frame)))
        except BadInputError as exc:
            name = _relative(path, run.options.path)
            log.warning("skipped %s: %s", name, exc.reason)
            run.skipped.append(Skipped(name, exc.reason))
    return loaded


def _scan_batch(run: RunResult, paths: list[Path]) -> None:
    detector = run.detector
    assert detector is not None
    with timed(run.timings, "read"):
        loaded = _read(run, paths)
    with timed(run.timings, "detect"):
        detections = detector.detect([pixels for _, pixels in loaded], run.options.batch)
    for (frame, pixels), dets in zip(loaded, detections, strict=True):
        with timed(run.timings, "georef"):
            ids = [finding_id(frame, detector.sha256, int(c), b) for c, b in zip(dets.class_id, dets.xyxy, strict=True)]
            findings = georeference(frame, dets, detector.class_names, ids)
        with timed(run.timings, "write"):
            for f in findings:
                rel = f"crops/{f.id}.jpg"
                write_crop(pixels, f.box_px, run.run_dir / rel)
                run.crops[f.id] = rel
        for note in frame.notes:
            log.info("%s: %s", frame.name, note)
        run.frames.append(frame)
        run.findings.extend(findings)


def write_outputs(run: RunResult) -> None:
    """findings.geojson, footprints.geojson, run.json and report.html, each written atomically."""
    detector = run.detector
    assert detector is not None
    run.finished = datetime.now(UTC)
    ctx = RunContext(run.run_id, run.options.profile.name, detector.name, detector.sha256)
    write_json(run.run_dir / "findings.geojson", findings_collection(run.findings, ctx, run.crops))
    write_json(run.run_dir / "footprints.geojson", footprints_collection(run.findings, ctx))
    write_json(run.run_dir / "run.json", runrecord.record(run, __version__))
    html.write_report(run, run.run_dir / "report.html")
