"""One scan's options and what it produced: what the pipeline fills in and the writers write out."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from dronecheck.analyse.plan import Analysis, Plan
from dronecheck.config import DEFAULT_BATCH, DEFAULT_CRS, DEFAULT_FPS, DEFAULT_OUT, LEDGER_NAME
from dronecheck.ledger.records import shown
from dronecheck.models.factsheet import Owner
from dronecheck.profiles import Profile
from dronecheck.report.i18n import DEFAULT_LANG
from dronecheck.types import ExitCode, Finding, Frame, ModelInfo, Skipped, Verdict

STAGES = ("hash", "load_model", "read", "detect", "georef", "measure", "write", "analyse")


@dataclass(frozen=True)
class ScanOptions:
    path: Path
    profile: Profile
    out: Path = DEFAULT_OUT
    device: str | None = None
    conf: float | None = None
    iou: float | None = None
    batch: int | str = DEFAULT_BATCH  # frames (and tiles) per model call; "auto": as many as fit the GPU
    ledger: Path | str | None = None  # default: OUT/ledger.sqlite; a str is a postgresql:// URL
    wait: float | None = 0  # seconds to wait for the ledger's lock; None: as long as it takes
    read_ahead: int = 0  # frames decoded ahead of the model; 0: two batches
    fps: float = DEFAULT_FPS  # video frames looked at per second of video
    hfov_deg: float | None = None  # a video's horizontal field of view, when its SRT gives no focal length
    zones: Path | None = None  # GeoJSON zones the profile's rules look at
    dem: Path | None = None  # GeoTIFF DEM the findings are put on (else flat ground at take-off height)
    crs: int = DEFAULT_CRS  # EPSG code of the GeoPackage's layers and the CSV's x/y (GeoJSON and KML stay WGS84)
    executor: str = "plain"  # where decoding and detection run: "plain" (this process) or "ray" (pipeline.executors)
    address: str | None = None  # with ray: the cluster's head (HOST:PORT, ray://..., auto); None: one started here
    workers: int | None = None  # with ray: detector actors; None: one per GPU, or per cpus_per_worker cores
    cpus_per_worker: float | None = None  # with ray: CPU cores (and torch threads) of each CPU actor
    lang: str | None = None  # nl or en for the report and the summary; None: the profile's, else English
    owner: Owner = field(default_factory=Owner)  # the organisation and contact the report's factsheet names

    @property
    def ledger_path(self) -> Path | str:
        return self.ledger or self.out / LEDGER_NAME

    @property
    def lang_used(self) -> str:
        """The language of the run's report: the setting, else the profile's, else English."""
        return self.lang or self.profile.lang or DEFAULT_LANG

    @property
    def conf_used(self) -> float:
        return self.profile.conf if self.conf is None else self.conf

    @property
    def iou_used(self) -> float:
        return self.profile.iou if self.iou is None else self.iou

    @property
    def plan(self) -> Plan:
        return Plan(self.profile.track, self.profile.rules, self.zones, self.profile.trace)

    def to_dict(self) -> dict[str, object]:
        """The options as the run record and the ledger keep them."""
        return {"path": str(self.path), "out": str(self.out), "profile": self.profile.name, "device": self.device,
                "conf": self.conf, "iou": self.iou, "batch": self.batch, "ledger": shown(self.ledger_path),
                "fps": self.fps, "hfov_deg": self.hfov_deg, "zones": str(self.zones) if self.zones else None,
                "dem": str(self.dem) if self.dem else None,
                "crs": f"EPSG:{self.crs}", "lang": self.lang_used,
                **({"owner": self.owner.to_dict()} if self.owner.to_dict() else {}),
                **({"executor": self.executor, "address": self.address, "workers": self.workers,
                    "cpus_per_worker": self.cpus_per_worker} if self.executor != "plain" else {})}


@dataclass
class RunResult:
    run_id: str
    flight: str
    run_dir: Path
    profile: str
    started: datetime
    options: ScanOptions | None = None  # None for a run rebuilt from the ledger
    frames: list[Frame] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    crops: dict[str, str] = field(default_factory=dict)
    skipped: list[Skipped] = field(default_factory=list)
    ignored: list[str] = field(default_factory=list)
    already_done: int = 0  # photos and videos found that an earlier run scanned with the same settings
    resumed: bool = False  # this run took up an interrupted one
    interrupted: bool = False  # stopped by a signal before it had done all its work
    part: bool = False  # one worker's part of a run shared by several scans, whose outputs another worker wrote
    timings: dict[str, float] = field(default_factory=lambda: dict.fromkeys(STAGES, 0.0))
    model: ModelInfo | None = None
    finished: datetime | None = None
    plan: Plan = field(default_factory=Plan)
    analysis: Analysis = field(default_factory=Analysis)
    ground: dict[str, object] = field(default_factory=dict)  # the DEM and take-off height used (pipeline.ground)
    verdicts: dict[str, Verdict] = field(default_factory=dict)  # the latest verdict of each finding that has one

    @property
    def blurred(self) -> dict[str, dict[str, int]]:
        """Frame (sha256 and frame index) -> the people and vehicles blurred in its view, of every frame the
        privacy blur looked at."""
        return {f"{f.sha256}:{f.frame_index}": dict(f.blurred) for f in self.frames if f.blurred is not None}

    @property
    def exit_code(self) -> ExitCode:
        if self.interrupted:
            return ExitCode.INTERRUPTED
        if self.skipped:
            return ExitCode.SOME_FAILED
        return ExitCode.OK if self.frames else ExitCode.NOTHING_TO_DO

    @property
    def status(self) -> str:
        return {ExitCode.OK: "done", ExitCode.SOME_FAILED: "some-failed", ExitCode.NOTHING_TO_DO: "nothing-to-do",
                ExitCode.INTERRUPTED: "interrupted"}[self.exit_code]

    @property
    def counts(self) -> dict[str, object]:
        photos = sum(f.frame_index is None for f in self.frames)
        windows = [f for f in self.frames if f.grid is not None]  # of orthomosaics
        mosaics = len({f.path for f in windows})
        videos = len({f.path for f in self.frames if f.frame_index is not None and f.grid is None})
        return {"files_found": photos + videos + mosaics + len(self.skipped) + self.already_done,
                "photos_scanned": photos, "videos_scanned": videos,
                "video_frames_scanned": len(self.frames) - photos - len(windows),
                "mosaics_scanned": mosaics, "mosaic_windows_scanned": len(windows),
                "files_skipped": len(self.skipped), "files_already_done": self.already_done,
                "files_ignored": len(self.ignored), "findings": len(self.findings),
                "findings_per_class": dict(Counter(f.class_name for f in self.findings)),
                "findings_without_position": sum(f.point is None for f in self.findings),
                "tracks": len(self.analysis.tracks), "violations": len(self.analysis.violations)}
