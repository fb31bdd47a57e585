"""How well weights find what they should on a YOLO data set: precision, recall, mAP50 and mAP50-95 per
class, scored by Ultralytics' own validator (`validate`) or the way `scan` sees photos (`score_as_scan`)."""

from __future__ import annotations

import tempfile
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np
import yaml
from PIL import Image

from dronecheck.detect import runtime, yolo
from dronecheck.hashing import file_sha256
from dronecheck.profiles import Profile
from dronecheck.types import Detections

IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".tif", ".tiff", ".bmp"}


def validate(weights: Path, data: Path, *, split: str = "test", imgsz: int = 640, device: str | None = None,
             conf: float = 0.001, iou: float = 0.6, batch: int = 8) -> dict[str, Any]:
    """Validate with Ultralytics on `split` of `data`; one row per class plus an "all" row.

    `imgsz` is the size the images go to the model at: use the profile's size to score the
    model the way `scan` sees whole photos.
    """
    runtime.prepare()
    from ultralytics import YOLO

    chosen = yolo.pick_device(device)
    model = YOLO(str(weights), task="detect")
    with tempfile.TemporaryDirectory(prefix="dronecheck-val-") as scratch:  # Ultralytics writes a run folder
        metrics = model.val(data=str(data.resolve()), split=split, imgsz=imgsz, batch=batch, conf=conf, iou=iou,
                            device=chosen, plots=False, verbose=False, project=scratch, name="val")
    box, names = metrics.box, model.names
    instances = metrics.nt_per_class
    rows = [{"class": "all", "instances": int(instances.sum()), "precision": float(box.mp),
             "recall": float(box.mr), "map50": float(box.map50), "map50_95": float(box.map)}]
    for i, c in enumerate(box.ap_class_index):
        p, r, ap50, ap = box.class_result(i)
        rows.append({"class": names[int(c)], "instances": int(instances[int(c)]), "precision": float(p),
                     "recall": float(r), "map50": float(ap50), "map50_95": float(ap)})
    return {"weights": str(weights), "sha256": file_sha256(weights), "data": str(data), "split": split,
            "imgsz": imgsz, "device": chosen, "rows": rows}


def _split_images(data: Path, split: str) -> list[Path]:
    """The images of one split of an Ultralytics data file: a folder or a .txt list of paths."""
    entry = Path(str(yaml.safe_load(data.read_text())[split]))
    entry = entry if entry.is_absolute() else data.parent / entry
    if entry.suffix == ".txt":
        return [entry.parent / line.strip() for line in entry.read_text().splitlines() if line.strip()]
    return sorted(p for p in entry.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)


def _labels(image: Path, width: int, height: int) -> np.ndarray:
    """YOLO labels of an image as (n, 5): class, x0, y0, x1, y1 in pixels."""
    from ultralytics.data.utils import img2label_paths

    label = Path(img2label_paths([image])[0])
    rows = np.array([r.split() for r in label.read_text().splitlines() if r.strip()] if label.exists() else [],
                    dtype=np.float64).reshape(-1, 5)
    cls, cx, cy, w, h = rows.T
    return np.column_stack([cls, (cx - w / 2) * width, (cy - h / 2) * height, (cx + w / 2) * width,
                            (cy + h / 2) * height])


def score(pairs: list[tuple[np.ndarray, Detections]], class_names: tuple[str, ...]) -> list[dict[str, Any]]:
    """Precision, recall, mAP50 and mAP50-95 per class, from (truth, detections) per image.

    `truth` rows are (class, x0, y0, x1, y1) in pixels. Matching and average precision are
    Ultralytics' own (`match_predictions`, `ap_per_class`), so figures compare with `validate`.
    """
    import torch
    from ultralytics.engine.validator import BaseValidator
    from ultralytics.utils.metrics import ap_per_class, box_iou

    matcher = SimpleNamespace(iouv=torch.linspace(0.5, 0.95, 10))
    stats: dict[str, list[np.ndarray]] = {"tp": [], "conf": [], "pred_cls": [], "target_cls": []}
    for truth, dets in pairs:
        order = np.argsort(-dets.confidence, kind="stable")  # matching expects descending confidence
        iou = box_iou(torch.from_numpy(truth[:, 1:]), torch.from_numpy(dets.xyxy[order]))
        correct = BaseValidator.match_predictions(matcher, torch.from_numpy(dets.class_id[order]),
                                                  torch.from_numpy(truth[:, 0]), iou)
        stats["tp"].append(correct.numpy())
        stats["conf"].append(dets.confidence[order])
        stats["pred_cls"].append(dets.class_id[order])
        stats["target_cls"].append(truth[:, 0])
    joined = {k: np.concatenate(v) for k, v in stats.items()}
    _, _, p, r, _, ap, classes, *_ = ap_per_class(joined["tp"], joined["conf"], joined["pred_cls"],
                                                  joined["target_cls"])
    counts = np.bincount(joined["target_cls"].astype(int), minlength=len(class_names))
    rows = [{"class": "all", "instances": int(counts.sum()), "precision": float(p.mean()) if len(p) else 0.0,
             "recall": float(r.mean()) if len(r) else 0.0, "map50": float(ap[:, 0].mean()) if len(ap) else 0.0,
             "map50_95": float(ap.mean()) if len(ap) else 0.0}]
    return rows + [{"class": class_names[int(c)], "instances": int(counts[int(c)]), "precision": float(p[i]),
                    "recall": float(r[i]), "map50": float(ap[i, 0]), "map50_95": float(ap[i].mean())}
                   for i, c in enumerate(classes)]


def score_as_scan(profile: Profile, data: Path, *, split: str = "test", device: str | None = None,
                     batch: int = 4) -> dict[str, Any]:
    """Score the profile's model the way `scan` sees photos: whole photos at the profile's image
    size, or tiled as the profile says, with the same merging.
    """
    detector = yolo.load(profile.weights, device=device, conf=0.001, iou=profile.iou, imgsz=profile.imgsz,
                         tile_size=profile.tile_size, tile_overlap=profile.tile_overlap)
    images = _split_images(data, split)
    pairs = []
    for start in range(0, len(images), batch):
        chunk = images[start:start + batch]
        pixels = [np.asarray(Image.open(p).convert("RGB")) for p in chunk]
        for image, array, dets in zip(chunk, pixels, detector.detect(pixels, batch), strict=True):
            pairs.append((_labels(image, array.shape[1], array.shape[0]), dets))
    return {"weights": str(profile.weights), "sha256": detector.sha256, "data": str(data), "split": split,
            "imgsz": profile.imgsz, "tile_size": profile.tile_size, "tile_overlap": profile.tile_overlap,
            "device": detector.device, "mode": "as scan", "images": len(images),
            "rows": score(pairs, detector.class_names)}
