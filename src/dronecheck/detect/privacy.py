"""The privacy detector: people and vehicles in a photo, to blur in what the report shows.

Two ordinary YOLO Detectors (`yolo.load`):
- vehicles (car, truck, bus): `weights/privacy-yolo11n.pt`, fine-tuned from the Ultralytics YOLO11n COCO
  weights on aerial and drone views of streets (the COCO model sees cars from straight above as "cell phone");
- people (person, and cyclist from COCO's bicycle and motorcycle): `weights/yolo11n-coco.pt`, the COCO model
  itself, unchanged: the fine-tune had no person to learn from and lost COCO's people (its card says so).
Both run at a low confidence (BLUR_CONF): a box blurred for nothing costs little, a person or car left
sharp in a published crop costs much. The card of privacy-yolo11n.pt scores the two together.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from dronecheck.detect import yolo
from dronecheck.errors import ModelError
from dronecheck.types import Detections

CLASSES = ("person", "car", "truck", "bus", "cyclist")  # what can be blurred, in this order (the class ids)
WEIGHTS_NAME = "privacy-yolo11n.pt"  # vehicles (its classes are CLASSES; only car, truck and bus are used)
PEOPLE_WEIGHTS_NAME = "yolo11n-coco.pt"  # people: COCO
VEHICLES = ("car", "truck", "bus")
FROM_COCO = {0: "person", 1: "cyclist", 3: "cyclist"}  # COCO person, bicycle, motorcycle
BLUR_CONF = 0.1  # blurring errs on the side of too much
IOU = 0.5
IMGSZ = 640  # the size the vehicle model was trained at
TILE_SIZE = 1280  # photos longer than WHOLE_MAX go in tiles of this many pixels (plus the whole photo)
WHOLE_MAX = 2048
TILE_OVERLAP = 0.2


@dataclass(frozen=True)
class PrivacyDetector:
    vehicles: yolo.Detector
    people: yolo.Detector
    class_names: tuple[str, ...] = CLASSES


def _load(weights: Path, device: str | None) -> yolo.Detector:
    return yolo.load(weights, device=device, conf=BLUR_CONF, iou=IOU, imgsz=IMGSZ, tile_size=TILE_SIZE,
                     tile_overlap=TILE_OVERLAP, full_pass=True)


@lru_cache(maxsize=2)
def load(weights: Path, people_weights: Path, device: str | None = None) -> PrivacyDetector:
    """The privacy detector, loaded once per process; ModelError when the weights are not the expected ones."""
    vehicles, people = _load(weights, device), _load(people_weights, device)
    if vehicles.class_names != CLASSES:
        raise ModelError(f"privacy weights {weights} have classes {list(vehicles.class_names)}, "
                         f"expected {list(CLASSES)}")
    if any(people.class_names[i:i + 1] != (name,) for i, name in ((0, "person"), (1, "bicycle"), (3, "motorcycle"))):
        raise ModelError(f"people weights {people_weights} are not a COCO model (person, bicycle, car, motorcycle)")
    return PrivacyDetector(vehicles, people)


def tile_size(image: np.ndarray) -> int:
    """0 (the whole photo at IMGSZ) for photos up to WHOLE_MAX pixels long, else TILE_SIZE tiles."""
    return 0 if max(image.shape[:2]) <= WHOLE_MAX else TILE_SIZE


def _mapped(dets: Detections, ids: dict[int, int]) -> Detections:
    keep = np.isin(dets.class_id, list(ids))
    dets = dets[keep]
    return Detections(dets.xyxy, dets.confidence, np.array([ids[int(c)] for c in dets.class_id], dtype=np.int64))


def find(detector: PrivacyDetector, images: list[np.ndarray], classes: tuple[str, ...], batch: int = 4
         ) -> list[Detections]:
    """People and vehicles of `classes` in each image (boxes in image pixels, class ids in CLASSES)."""
    sizes = [tile_size(i) for i in images]
    found = [[] for _ in images]
    vehicle_ids = {CLASSES.index(c): CLASSES.index(c) for c in classes if c in VEHICLES}
    people_ids = {k: CLASSES.index(v) for k, v in FROM_COCO.items() if v in classes}
    for model, ids in ((detector.vehicles, vehicle_ids), (detector.people, people_ids)):
        if ids:
            for out, dets in zip(found, model.detect(images, batch, tile_sizes=sizes), strict=True):
                out.append(_mapped(dets, ids))
    return [_joined(parts) for parts in found]


def _joined(parts: list[Detections]) -> Detections:
    if not parts:
        return Detections.empty()
    return Detections(np.concatenate([p.xyxy for p in parts]).reshape(-1, 4),
                      np.concatenate([p.confidence for p in parts]),
                      np.concatenate([p.class_id for p in parts]).astype(np.int64))
