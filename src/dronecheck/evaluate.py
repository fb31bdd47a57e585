"""Score weights on a YOLO data set: precision, recall, mAP50 and mAP50-95 per class."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from dronecheck.detect import runtime, yolo


def evaluate(weights: Path, data: Path, *, split: str = "test", imgsz: int = 640, device: str | None = None,
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
    return {"weights": str(weights), "sha256": yolo.sha256_file(weights), "data": str(data), "split": split,
            "imgsz": imgsz, "device": chosen, "rows": rows}
