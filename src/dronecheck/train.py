"""Train a detector with Ultralytics, fully offline."""

from __future__ import annotations

import shutil
import time
from dataclasses import dataclass
from pathlib import Path

from dronecheck.detect import runtime

# Colour, scale and flip augmentation on top of mosaic: the notes in shared/notes found that
# the models otherwise learn the sites, not the cracks.
AUGMENT = {"hsv_h": 0.02, "hsv_s": 0.6, "hsv_v": 0.5, "degrees": 10.0, "scale": 0.6,
           "flipud": 0.5, "fliplr": 0.5, "mosaic": 1.0, "close_mosaic": 10}


@dataclass(frozen=True)
class TrainResult:
    weights: Path
    run_dir: Path
    seconds: float
    epochs: int
    imgsz: int
    device: str
    start: str


def train(data: Path, out: Path, *, epochs: int = 60, imgsz: int = 384, batch: int = 16,
          start: Path | None = None, device: str = "cpu", arch: str = "yolov8n.yaml",
          workers: int = 2) -> TrainResult:
    """Train from `start` weights (fine-tuning) or from scratch on `arch`; copy best.pt to `out`."""
    runtime.prepare()
    from ultralytics import YOLO

    model = YOLO(str(start) if start else arch)
    run_dir = out.parent / "runs" / out.stem
    t0 = time.perf_counter()
    model.train(data=str(data.resolve()), epochs=epochs, imgsz=imgsz, batch=batch, device=device,
                workers=workers, project=str(run_dir.parent.resolve()), name=run_dir.name,
                exist_ok=True, pretrained=bool(start), amp=device != "cpu", plots=False,
                verbose=False, **AUGMENT)
    seconds = time.perf_counter() - t0
    out.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(run_dir / "weights" / "best.pt", out)
    return TrainResult(out, run_dir, seconds, epochs, imgsz, device, str(start or arch))
