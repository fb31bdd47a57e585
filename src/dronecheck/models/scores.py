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

from dronecheck.analyse.cracks import centre_line_length, trace
from dronecheck.detect import runtime, yolo
from dronecheck.hashing import file_sha256
from dronecheck.profiles import Profile
from dronecheck.types import Detections

IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".tif", ".tiff", ".bmp"}
# A traced crack pixel counts as right when a true crack pixel lies this close, and the other way
# round: annotators draw a crack's edge to a pixel or two.
PIXEL_TOLERANCE_PX = 2


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


def crack_pixel_scores(pairs: list[tuple[np.ndarray, np.ndarray, float]],
                       tolerance_px: int = PIXEL_TOLERANCE_PX) -> dict[str, float]:
    """Pixel-level scores of traced cracks against true masks, from (true mask, traced mask, traced length)
    per image: recall of the true crack pixels, precision of the traced ones (each within
    `tolerance_px` of the other), F1, and the length error (|traced - true| / true, summed over images).

    >>> truth = np.zeros((20, 20), bool); truth[10, 2:18] = True
    >>> crack_pixel_scores([(truth, truth, 15.0)])
    {'recall': 1.0, 'precision': 1.0, 'f1': 1.0, 'length_error': 0.0, 'images': 1}
    """
    from scipy import ndimage

    near = np.ones((2 * tolerance_px + 1,) * 2, dtype=bool)
    hit_true = true_px = hit_traced = traced_px = 0
    true_length = length_gap = 0.0
    for truth, traced, length in pairs:
        hit_true += int((truth & ndimage.binary_dilation(traced, near)).sum())
        hit_traced += int((traced & ndimage.binary_dilation(truth, near)).sum())
        true_px, traced_px = true_px + int(truth.sum()), traced_px + int(traced.sum())
        expected = centre_line_length(truth)
        true_length, length_gap = true_length + expected, length_gap + abs(length - expected)
    recall = hit_true / true_px if true_px else 0.0
    precision = hit_traced / traced_px if traced_px else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"recall": round(recall, 4), "precision": round(precision, 4), "f1": round(f1, 4),
            "length_error": round(length_gap / true_length, 4) if true_length else 0.0, "images": len(pairs)}


def _masks_dir(data: Path, split: str) -> Path:
    return data.parent / "masks" / split


def _traced(pixels: np.ndarray, dets: Detections, traced_ids: set[int]) -> tuple[np.ndarray, float]:
    """The crack pixels and total length traced in the boxes of `dets` whose class is traced."""
    mask = np.zeros(pixels.shape[:2], dtype=bool)
    length = 0.0
    for box, cid in zip(dets.xyxy, dets.class_id, strict=True):
        found = trace(pixels, box) if int(cid) in traced_ids else None
        if found is not None:
            x0, y0, x1, y1 = found.window
            mask[y0:y1, x0:x1] |= found.mask
            length += found.length_px
    return mask, length


def _box_precision(pairs: list[tuple[np.ndarray, Detections]]) -> float:
    """Share of the boxes that overlap a true box of their class by IoU 0.5 or more."""
    import torch
    from ultralytics.utils.metrics import box_iou

    right = total = 0
    for truth, dets in pairs:
        total += len(dets)
        if len(dets) and len(truth):
            iou = box_iou(torch.from_numpy(dets.xyxy), torch.from_numpy(truth[:, 1:])).numpy()
            same = dets.class_id[:, None] == truth[:, 0].astype(int)[None, :]
            right += int(((iou >= 0.5) & same).any(axis=1).sum())
    return round(right / total, 4) if total else 0.0


def score_as_scan(profile: Profile, data: Path, *, split: str = "test", device: str | None = None,
                  batch: int = 4) -> dict[str, Any]:
    """Score the profile's model the way `scan` sees photos: whole photos at the profile's image
    size, or tiled as the profile says, with the same merging.

    Where the data set has true crack masks (`masks/<split>/<image>.png`) and the profile traces
    cracks, `crack_pixels` scores the cracks traced in the boxes scan keeps (score >= conf) on the
    images with a mask: see `crack_pixel_scores`, with the precision of those boxes.
    """
    detector = yolo.load(profile.weights, device=device, conf=0.001, iou=profile.iou, imgsz=profile.imgsz,
                         tile_size=profile.tile_size, tile_overlap=profile.tile_overlap)
    images = _split_images(data, split)
    masks = _masks_dir(data, split)
    traced_ids = {i for i, name in enumerate(detector.class_names) if name in profile.trace}
    pairs, masked, pixel_pairs = [], [], []
    for start in range(0, len(images), batch):
        chunk = images[start:start + batch]
        pixels = [np.asarray(Image.open(p).convert("RGB")) for p in chunk]
        for image, array, dets in zip(chunk, pixels, detector.detect(pixels, batch), strict=True):
            truth = _labels(image, array.shape[1], array.shape[0])
            pairs.append((truth, dets))
            found = dets[dets.confidence >= profile.conf]  # what scan keeps
            true_mask = masks / f"{image.stem}.png"
            if traced_ids and true_mask.is_file():
                masked.append((truth, found))
                pixel_pairs.append((np.asarray(Image.open(true_mask).convert("L")) > 127,
                                    *_traced(array, found, traced_ids)))
    result = {"weights": str(profile.weights), "sha256": detector.sha256, "data": str(data), "split": split,
              "imgsz": profile.imgsz, "tile_size": profile.tile_size, "tile_overlap": profile.tile_overlap,
              "device": detector.device, "mode": "as scan", "images": len(images),
              "rows": score(pairs, detector.class_names)}
    if pixel_pairs:
        result["crack_pixels"] = {**crack_pixel_scores(pixel_pairs), "conf": profile.conf,
                                  "box_precision": _box_precision(masked),
                                  "tolerance_px": PIXEL_TOLERANCE_PX, "masks": str(masks)}
    return result
