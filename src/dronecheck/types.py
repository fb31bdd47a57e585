"""The few plain types passed between the stages: Frame, Detections, Finding.

    folder -> ingest -> Frame -> detect -> Detections -> georef -> Finding -> report

Missing metadata is None, never invented.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
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

    @property
    def has_position(self) -> bool:
        return self.lat is not None and self.lon is not None


@dataclass(frozen=True)
class Frame:
    """One image to look at: where its pixels come from, when, the pose and the camera."""

    path: Path
    sha256: str  # of the file's bytes: the identity of a photo, whatever its name
    camera: Camera
    pose: Pose
    time: datetime | None = None
    frame_index: int | None = None  # the frame of a video; None for a photo
    notes: tuple[str, ...] = ()  # what was missing or odd in the metadata

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
    method: str  # "nadir", "oblique-flat-ground", "camera-position" or "none"
    point: tuple[float, float] | None = None
    footprint: tuple[tuple[float, float], ...] | None = None  # closed ring, counter-clockwise
    gsd_m: float | None = None  # ground size of one pixel at the point
    width_m: float | None = None  # ground size of the box: across and along its longer side
    length_m: float | None = None
    uncertainty_m: float | None = None  # 1-sigma horizontal error of `point`
    note: str | None = None
