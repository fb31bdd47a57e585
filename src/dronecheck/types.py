"""The few plain types passed between the stages, and the records a run keeps of itself.

    folder -> ingest -> Frame -> detect -> Detections -> georef -> Finding -> report

Missing metadata is None, never invented. `ModelInfo` and `Skipped` are what a run records
of its model and of the files it could not scan; `ExitCode` is what a command ends with.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime
from enum import IntEnum
from pathlib import Path
from typing import Any

import numpy as np


@dataclass(frozen=True)
class Camera:
    """What the image sensor and lens are; enough to turn a pixel into a ray."""

    width: int  # pixels, as stored in the file
    height: int
    make: str | None = None
    model: str | None = None
    focal_mm: float | None = None
    focal_35mm: float | None = None  # 35 mm equivalent focal length
    focal_px: float | None = None  # focal length in pixels, from the best source available
    sensor_width_mm: float | None = None
    sensor_height_mm: float | None = None
    focal_source: str | None = None  # how focal_px was found, e.g. "xmp-calibrated", "sensor-table"


@dataclass(frozen=True)
class Pose:
    """Where the camera was and where it looked. Angles in degrees.

    Gimbal angles follow DJI: yaw clockwise from true north, pitch 0 at the horizon and
    -90 straight down, roll positive when the right side of the image dips.
    """

    lat: float | None = None
    lon: float | None = None
    altitude_abs_m: float | None = None  # above sea level / ellipsoid, as the drone writes it
    altitude_rel_m: float | None = None  # above the take-off point
    gimbal_yaw_deg: float | None = None
    gimbal_pitch_deg: float | None = None
    gimbal_roll_deg: float | None = None
    flight_yaw_deg: float | None = None
    flight_pitch_deg: float | None = None
    flight_roll_deg: float | None = None
    # The laser range finder of DJI H20/H20N/H30/H30T/M30T cameras, only when its status is "Normal": the slant
    # range along the optical axis and the target it hit at the image centre (heights as the altitudes above).
    lrf_distance_m: float | None = None
    lrf_lat: float | None = None
    lrf_lon: float | None = None
    lrf_alt_rel_m: float | None = None
    lrf_alt_abs_m: float | None = None

    @property
    def has_position(self) -> bool:
        return self.lat is not None and self.lon is not None


@dataclass(frozen=True)
class MapGrid:
    """Where the pixels of a map image (a window of an orthomosaic) lie: no camera, a grid on the map.

    `transform` is the affine (a, b, c, d, e, f) of GDAL and rasterio from the image's pixel
    (col, row) to its CRS: x = a*col + b*row + c, y = d*col + e*row + f, with (0, 0) the top left
    corner of the top left pixel. `crs` is "EPSG:<code>" where the CRS has one, else its WKT.
    """

    transform: tuple[float, float, float, float, float, float]
    crs: str


@dataclass(frozen=True, eq=False)
class Terrain:
    """Ground heights around one frame's camera, from a DEM window (see ingest.dem and geo.terrain).

    `heights` (rows, columns) are metres in the DEM's vertical datum, NaN where it has no data.
    `to_grid` (2 x 3) takes (east, north, 1), metres from (lon0, lat0), to the window's (column, row),
    with cell centres at whole numbers: one affine map stands for the DEM's CRS over the window.
    `cell_m` is the shorter side of a cell in metres. `takeoff_m` is the ground height at take-off in
    the same datum, with its 1-sigma error `takeoff_sigma_m` (None: unknown, the DEM is not used).
    """

    lon0: float
    lat0: float
    heights: np.ndarray
    to_grid: np.ndarray
    cell_m: float
    takeoff_m: float | None = None
    takeoff_sigma_m: float = 0.0
    source: str = ""  # the DEM's file name


@dataclass(frozen=True)
class Frame:
    """One image to look at: where its pixels come from, when, the pose and the camera."""

    path: Path
    sha256: str  # of the file's bytes: the identity of a photo, whatever its name
    camera: Camera
    pose: Pose
    time: datetime | None = None
    frame_index: int | None = None  # the frame of a video, or the window of an orthomosaic; None for a photo
    notes: tuple[str, ...] = ()  # what was missing or odd in the metadata
    grid: MapGrid | None = None  # a window of an orthomosaic: its pixels on the map (camera and pose are empty)
    blurred: tuple[tuple[str, int], ...] | None = None  # (class, boxes) the privacy blur hid in what the report
    # shows of it; None where it was not looked at. Kept with the frame, so a run taken up again or done by several
    # workers says what was blurred in all of it.

    @property
    def name(self) -> str:
        return self.path.name if self.frame_index is None else f"{self.path.name}#{self.frame_index}"


@dataclass
class Detections:
    """Boxes in pixels (x0, y0, x1, y1) of one frame, as arrays with one row per box."""

    xyxy: np.ndarray
    confidence: np.ndarray
    class_id: np.ndarray
    data: dict[str, np.ndarray] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.xyxy = np.asarray(self.xyxy, dtype=np.float64).reshape(-1, 4)
        n = len(self.xyxy)
        self.confidence = np.asarray(self.confidence, dtype=np.float64).reshape(n)
        self.class_id = np.asarray(self.class_id, dtype=np.int64).reshape(n)

    @classmethod
    def empty(cls) -> Detections:
        return cls(np.zeros((0, 4)), np.zeros(0), np.zeros(0, dtype=np.int64))

    def __len__(self) -> int:
        return len(self.xyxy)

    def __getitem__(self, index: Any) -> Detections:
        return Detections(self.xyxy[index], self.confidence[index], self.class_id[index],
                          {k: v[index] for k, v in self.data.items()})

    def named(self, class_names: Sequence[str], ids: Sequence[str]
              ) -> Iterator[tuple[str, np.ndarray, float, int, str]]:
        """(id, box, score, class id, class name) of each box; ValueError when the ids or a class id do not fit."""
        if len(ids) != len(self):
            raise ValueError(f"{len(ids)} finding ids for {len(self)} detections")
        for fid, box, score, cid in zip(ids, self.xyxy, self.confidence, self.class_id, strict=True):
            if not 0 <= cid < len(class_names):
                raise ValueError(f"class id {cid} outside the {len(class_names)} class names")
            yield fid, box, float(score), int(cid), class_names[int(cid)]


@dataclass(frozen=True)
class Finding:
    """One detection placed on the ground. Coordinates are WGS84 (lon, lat).

    `point` and `footprint` are None when the frame has no position or the ray misses the
    ground; `note` then says why.
    """

    id: str
    frame: Frame
    class_id: int
    class_name: str
    score: float
    box_px: tuple[float, float, float, float]
    method: str  # "nadir", "oblique-flat-ground", "dem", "lrf-plane", "camera-position" or "none"
    point: tuple[float, float] | None = None
    footprint: tuple[tuple[float, float], ...] | None = None  # closed ring, counter-clockwise
    gsd_m: float | None = None  # ground size of one pixel at the point
    width_m: float | None = None  # ground size of the box: across and along its longer side
    length_m: float | None = None
    uncertainty_m: float | None = None  # 1-sigma horizontal error of `point`
    note: str | None = None
    # A crack traced from its pixels (profiles with `trace`; see analyse.cracks): its centre line on
    # the ground, length and widths from the ground resolution. Widths are None where the crack is
    # no wider than one pixel (`width_below_gsd`): never invented.
    line: tuple[tuple[float, float], ...] | None = None
    crack_length_m: float | None = None
    crack_width_mean_m: float | None = None
    crack_width_max_m: float | None = None
    width_below_gsd: bool | None = None
    width_class: str | None = None  # e.g. "0.2-0.5 mm", from the profile's width_classes_mm


@dataclass(frozen=True)
class ModelInfo:
    """What a report says about the model that ran: the serialisable record of a loaded detector
    (or a past run's record of one), with the profile's rules for tiling each frame."""

    weights: Path
    name: str
    sha256: str
    device: str
    class_names: tuple[str, ...]
    conf: float
    iou: float
    imgsz: int
    tile_size: int
    tile_overlap: float
    min_object_m: float | None = None
    target_gsd_cm: float | None = None
    full_pass: bool = False
    class_codes: tuple[str, ...] = ()  # the profile's code of each class, when it gives them

    def to_dict(self) -> dict[str, object]:
        return {**asdict(self), "weights": str(self.weights), "class_names": list(self.class_names),
                "class_codes": list(self.class_codes)}

    @classmethod
    def from_dict(cls, data: dict) -> ModelInfo:
        return cls(**{**data, "weights": Path(data["weights"]), "class_names": tuple(data["class_names"]),
                      "class_codes": tuple(data.get("class_codes", ()))})

    @property
    def codes(self) -> dict[str, str]:
        """Class name -> code (empty when the profile gives no codes)."""
        return dict(zip(self.class_names, self.class_codes, strict=False))


REVIEW_STATES = ("unconfirmed", "confirmed", "rejected", "corrected")  # a finding's review status, as exports say it
VERDICTS = REVIEW_STATES[1:]  # what a reviewer can say: confirmed, rejected, corrected


@dataclass(frozen=True)
class Verdict:
    """What a reviewer said of one finding (see ledger `record_verdicts`, `review.verdicts_file`)."""

    finding_id: str
    verdict: str  # "confirmed" | "rejected" | "corrected"
    reviewed_by: str
    reviewed_at: datetime  # aware, UTC
    corrected_class: str | None = None  # a corrected verdict: the class it is, or its box, or both
    corrected_box_px: tuple[float, float, float, float] | None = None
    comment: str | None = None


@dataclass
class Skipped:
    """A file a run could not scan, and why."""

    path: str
    reason: str


class ExitCode(IntEnum):
    """What `dronecheck` exits with (the README's table). With several inboxes a scan ends with
    the worst of theirs, in the order of `WORST_FIRST`."""

    OK = 0  # done: every new photo and video was scanned
    ERROR = 1  # missing weights, unusable device, unreadable ledger: nothing was scanned
    CONFIG = 2  # bad usage, option, profile, dronecheck.toml or zones file
    SOME_FAILED = 3  # some files could not be scanned; the rest were scanned and written
    NOTHING_TO_DO = 4  # no photos or videos, or all were scanned before with the same settings and model
    LOCKED = 5  # another scan holds the ledger
    INTERRUPTED = 6  # stopped by SIGTERM or Ctrl-C after its batch in flight; the next scan goes on from there


WORST_FIRST = (ExitCode.INTERRUPTED, ExitCode.ERROR, ExitCode.CONFIG, ExitCode.LOCKED, ExitCode.SOME_FAILED,
               ExitCode.OK, ExitCode.NOTHING_TO_DO)
