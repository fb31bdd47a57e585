"""The privacy detector: people and vehicles in a photo, to blur in what the report shows.

Two ordinary YOLO Detectors (`yolo.load`), whose boxes are blurred together:
- `weights/privacy-yolo11n.pt` (person, car, truck, bus), fine-tuned from the Ultralytics YOLO11n COCO
  weights on aerial and drone views of streets with the people boxed by hand: the COCO model sees cars from
  straight above as "cell phone" and finds almost no one from above. People from above are 10-30 pixels, so
  it looks at a photo in FINE_TILE-pixel tiles at full resolution (and whole);
- `weights/yolo11n-coco.pt`, the COCO model itself, unchanged, for people seen from the side or at a low
  angle (which the fine-tune saw little of) and cyclists (COCO bicycle and motorcycle).
Both run at a low confidence (BLUR_CONF): a box blurred for nothing costs little, a person or car left
sharp in a published crop costs much. The card of privacy-yolo11n.pt scores the two together.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from dronecheck.detect import yolo
from dronecheck.detect.tiling import concat
from dronecheck.errors import ModelError
from dronecheck.types import Detections

CLASSES = ("person", "car", "truck", "bus", "cyclist")  # what can be blurred, in this order (the class ids)
WEIGHTS_NAME = "privacy-yolo11n.pt"  # its classes are CLASSES; all but cyclist are used
PEOPLE_WEIGHTS_NAME = "yolo11n-coco.pt"  # COCO: people from the side, and cyclists
FINE_TUNED = ("person", "car", "truck", "bus")
FROM_COCO = {0: "person", 1: "cyclist", 3: "cyclist"}  # COCO person, bicycle, motorcycle
BLUR_CONF = 0.1  # blurring errs on the side of too much
IOU = 0.5
IMGSZ = 640  # the size the fine-tuned model was trained at
FINE_TILE = 640  # the fine-tuned model sees photos in tiles of this many pixels, at full resolution (and whole)
TILE_SIZE = 1280  # the COCO model sees photos longer than WHOLE_MAX in tiles of this many pixels (and whole)
WHOLE_MAX = 2048
TILE_OVERLAP = 0.2


@dataclass(frozen=True)
class PrivacyDetector:
    fine_tuned: yolo.Detector  # person, car, truck, bus from above
    coco: yolo.Detector  # person from the side, cyclist
    class_names: tuple[str, ...] = CLASSES


def _load(weights: Path, device: str | None) -> yolo.Detector:
    return yolo.load(weights, device=device, conf=BLUR_CONF, iou=IOU, imgsz=IMGSZ, tile_size=TILE_SIZE,
                     tile_overlap=TILE_OVERLAP, full_pass=True)


@lru_cache(maxsize=2)
def load(weights: Path, people_weights: Path, device: str | None = None) -> PrivacyDetector:
    """The privacy detector, loaded once per process; ModelError when the weights are not the expected ones."""
    fine_tuned, coco = _load(weights, device), _load(people_weights, device)
    if fine_tuned.class_names != CLASSES:
        raise ModelError(f"privacy weights {weights} have classes {list(fine_tuned.class_names)}, "
                         f"expected {list(CLASSES)}")
    if any(coco.class_names[i:i + 1] != (name,) for i, name in ((0, "person"), (1, "bicycle"), (3, "motorcycle"))):
        raise ModelError(f"people weights {people_weights} are not a COCO model (person, bicycle, car, motorcycle)")
    return PrivacyDetector(fine_tuned, coco)


def tile_size(image: np.ndarray) -> int:
    """For the COCO model: 0 (the whole photo at IMGSZ) for photos up to WHOLE_MAX pixels long, else TILE_SIZE."""
    return 0 if max(image.shape[:2]) <= WHOLE_MAX else TILE_SIZE


def fine_tile_size(image: np.ndarray) -> int:
    """For the fine-tuned model: FINE_TILE tiles, or 0 (whole) for a photo no longer than that."""
    return 0 if max(image.shape[:2]) <= FINE_TILE else FINE_TILE


def _mapped(dets: Detections, ids: dict[int, int]) -> Detections:
    keep = np.isin(dets.class_id, list(ids))
    dets = dets[keep]
    return Detections(dets.xyxy, dets.confidence, np.array([ids[int(c)] for c in dets.class_id], dtype=np.int64))


def find(detector: PrivacyDetector, images: list[np.ndarray], classes: tuple[str, ...], batch: int = 4
         ) -> list[Detections]:
    """People and vehicles of `classes` in each image (boxes in image pixels, class ids in CLASSES)."""
    found = [[] for _ in images]
    fine_ids = {CLASSES.index(c): CLASSES.index(c) for c in classes if c in FINE_TUNED}
    coco_ids = {k: CLASSES.index(v) for k, v in FROM_COCO.items() if v in classes}
    for model, ids, sizes in ((detector.fine_tuned, fine_ids, [fine_tile_size(i) for i in images]),
                              (detector.coco, coco_ids, [tile_size(i) for i in images])):
        if ids:
            for out, dets in zip(found, model.detect(images, batch, tile_sizes=sizes), strict=True):
                out.append(_mapped(dets, ids))
    return [concat(parts) for parts in found]
