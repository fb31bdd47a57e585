"""Train a detector with Ultralytics, fully offline, and write its model card (`dronecheck train`)."""

from __future__ import annotations

import shutil
import time
from dataclasses import dataclass
from pathlib import Path

import yaml

from dronecheck import __version__
from dronecheck.detect import runtime, yolo
from dronecheck.errors import ProfileError
from dronecheck.hashing import file_sha256
from dronecheck.models import card
from dronecheck.models.scores import validate
from dronecheck.profiles import load_profile

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
          workers: int = 2, freeze: int | None = None) -> TrainResult:
    """Train from `start` weights (fine-tuning) or from scratch on `arch`; copy best.pt to `out`.

    `freeze`: the first this many layers keep the start's weights (e.g. 10, the YOLO11 backbone).
    """
    runtime.prepare()
    from ultralytics import YOLO

    model = YOLO(str(start) if start else arch)
    run_dir = out.parent / "runs" / out.stem
    t0 = time.perf_counter()
    model.train(data=str(data.resolve()), epochs=epochs, imgsz=imgsz, batch=batch, device=device,
                workers=workers, project=str(run_dir.parent.resolve()), name=run_dir.name,
                exist_ok=True, pretrained=bool(start), amp=device != "cpu", plots=False,
                verbose=False, **AUGMENT, **({"freeze": freeze} if freeze else {}))
    seconds = time.perf_counter() - t0
    out.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(run_dir / "weights" / "best.pt", out)
    return TrainResult(out, run_dir, seconds, epochs, imgsz, device, str(start or arch))


def train_profile(profile_name: str, data: Path, *, epochs: int, imgsz: int, batch: int, start: Path | None,
                  device: str | None, out: Path | None) -> TrainResult:
    profile = load_profile(profile_name, require_weights=False)
    names = yaml.safe_load(data.read_text()).get("names", {})
    classes = [names[k] for k in sorted(names)] if isinstance(names, dict) else list(names)
    if classes != list(profile.classes):
        raise ProfileError(f"{data} has classes {classes} but profile {profile.name} expects {list(profile.classes)}")
    target = out or Path("weights") / profile.weights.name
    chosen = yolo.pick_device(device)
    result = train(data, target, epochs=epochs, imgsz=imgsz, batch=batch, start=start, device=chosen)
    training = {"epochs": epochs, "imgsz": imgsz, "batch": batch, "device": chosen,
                "seconds": round(result.seconds), "start": result.start,
                "start_sha256": file_sha256(start) if start else None}
    card.write(target, card.new_card(name=target.stem, purpose=profile.description, classes=classes, data=data,
                                     training=training, sha256=file_sha256(target), version=__version__,
                                     initialised_from=card.initialised_from(start)))
    card.set_scores(target, validate(target, data, split="val", imgsz=imgsz, device=chosen), "val")
    return result
